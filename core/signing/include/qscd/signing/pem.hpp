// PEM (RFC 7468) ↔ DER for certificates and keys.
#pragma once

#include <string>
#include <string_view>

#include "qscd/codec/bytes.hpp"

namespace qscd {

// Decodes the first PEM block of any label. Error(InvalidArgument) if there is none or it is malformed.
Bytes pem_to_der(std::string_view pem);
// One block with the given label ("CERTIFICATE"), 64-column base64, trailing newline.
std::string der_to_pem(ByteView der, std::string_view label);

}  // namespace qscd
