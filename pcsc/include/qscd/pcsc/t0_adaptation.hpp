// T=0 cannot carry Lc and Le in one TPDU (ISO 7816-3 §12.2): a case-4 command goes out without
// Le, the card answers 61xx and ApduChannel fetches the data with GET RESPONSE.
#pragma once

#include "qscd/codec/bytes.hpp"

namespace qscd::pcsc {

enum class Protocol { T0, T1 };

const char* to_string(Protocol protocol);

// The command as it must be sent under `protocol`: for T=0 a case-4 APDU loses its Le field
// (1 byte short, 2 bytes extended); anything else — and anything unparsable, which the card
// will reject itself — is returned unchanged.
Bytes adapt_command(ByteView command, Protocol protocol);

}  // namespace qscd::pcsc
