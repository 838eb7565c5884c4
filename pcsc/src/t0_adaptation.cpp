#include "qscd/pcsc/t0_adaptation.hpp"

#include "qscd/codec/apdu.hpp"

namespace qscd::pcsc {

const char* to_string(Protocol protocol) { return protocol == Protocol::T0 ? "T=0" : "T=1"; }

Bytes adapt_command(ByteView command, Protocol protocol) {
    Bytes out(command.begin(), command.end());
    if (protocol != Protocol::T0) return out;
    const auto parsed = parse_command_apdu(command);
    if (!parsed.ok() || parsed->iso_case != 4) return out;
    out.resize(out.size() - (parsed->extended ? 2 : 1));
    return out;
}

}  // namespace qscd::pcsc
