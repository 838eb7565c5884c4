#include "qscd/apdu_channel.hpp"

#include <algorithm>

#include "qscd/error.hpp"
#include "qscd/secure_bytes.hpp"

namespace qscd {

namespace {
constexpr std::uint8_t kChainingBit = 0x10;
constexpr std::uint8_t kInsGetResponse = 0xC0;
constexpr std::size_t kShortDataMax = 255;
constexpr std::size_t kMaxSingleResponse = 65536 + 2;
}  // namespace

bool carries_secret(const CommandApdu& c) {
    switch (c.ins) {
        case 0x20:  // VERIFY
        case 0x24:  // CHANGE REFERENCE DATA
        case 0x2C:  // RESET RETRY COUNTER
        case 0xDB:  // PUT DATA (odd): OpenPGP key import, extended header list 4D
            return true;
        case 0xDA:  // PUT DATA D3: OpenPGP resetting code
            return c.p1 == 0x00 && c.p2 == 0xD3;
        default:
            return false;
    }
}

void ApduChannel::trace_command(const CommandApdu& command, ByteView encoded, bool extended) const {
    if (!trace_) return;
    if (carries_secret(command) && !command.data.empty()) {
        // Header and Lc only: the data (and anything after it) is hidden.
        const std::size_t visible = 4 + (extended ? 3 : 1);
        trace_(">> " + to_hex(encoded.first(std::min(visible, encoded.size()))) + " REDACTED");
    } else {
        trace_(">> " + to_hex(encoded));
    }
}

void ApduChannel::trace_response(ByteView raw) const {
    if (trace_) trace_("<< " + to_hex(raw));
}

ResponseApdu ApduChannel::exchange(const CommandApdu& command, bool extended) {
    auto encoded = command.encode(extended);
    if (!encoded) throw Error(ErrorCode::InvalidArgument, describe(encoded.error()));
    trace_command(command, *encoded, extended || command.needs_extended());
    Bytes raw = transport_.transmit(*encoded);
    if (carries_secret(command)) secure_zero(encoded->data(), encoded->size());
    trace_response(raw);
    // ISO 7816-4 §5.1: at most 65536 data bytes + SW1 SW2 in one response; more is a broken card or
    // transport, not data to hand to a parser.
    if (raw.size() > kMaxSingleResponse)
        throw Error(ErrorCode::ProtocolError, "card response longer than the ISO 7816-4 maximum");
    auto response = parse_response_apdu(raw);
    if (!response) throw Error(ErrorCode::ProtocolError, "card sent a response without a status word");
    return std::move(response).value();
}

ResponseApdu ApduChannel::collect_remaining(ResponseApdu response, std::uint8_t cla) {
    // 61xx: the card holds more data; fetch it with GET RESPONSE until 9000 (iso7816.md §3).
    int rounds = 0;
    Bytes data = std::move(response.data);
    while (response.sw.has_more_data()) {
        if (++rounds > kMaxGetResponseRounds)
            throw Error(ErrorCode::ProtocolError, "card kept answering 61xx beyond the GET RESPONSE bound");
        const std::uint32_t ne = response.sw.sw2() ? response.sw.sw2() : 256;
        response = exchange(CommandApdu(static_cast<std::uint8_t>(cla & ~kChainingBit), kInsGetResponse, 0, 0, {}, ne), false);
        data.insert(data.end(), response.data.begin(), response.data.end());
        if (data.size() > kMaxResponseSize)
            throw Error(ErrorCode::ProtocolError, "card response exceeds the maximum size");
    }
    response.data = std::move(data);
    return response;
}

ResponseApdu ApduChannel::transmit(const CommandApdu& command) {
    const bool needs_long_data = command.data.size() > kShortDataMax;
    const bool use_extended = caps_.extended_length && command.needs_extended();

    ResponseApdu response;
    if (needs_long_data && !caps_.extended_length) {
        if (!caps_.command_chaining)
            throw Error(ErrorCode::NotSupported,
                        "command data exceeds 255 bytes and the card supports neither extended length nor chaining");
        // Command chaining (iso7816.md §4): every part but the last has CLA | 0x10 and no Le.
        std::size_t offset = 0;
        const std::size_t total = command.data.size();
        while (total - offset > kShortDataMax) {
            CommandApdu part(command.cla | kChainingBit, command.ins, command.p1, command.p2,
                             Bytes(command.data.begin() + offset, command.data.begin() + offset + kShortDataMax));
            ResponseApdu r = exchange(part, false);
            if (!r.is_success()) return r;  // the card refused a part: report its status
            offset += kShortDataMax;
        }
        CommandApdu last(command.cla, command.ins, command.p1, command.p2,
                         Bytes(command.data.begin() + offset, command.data.end()), std::min<std::uint32_t>(command.ne, 256));
        response = exchange(last, false);
    } else if (use_extended) {
        response = exchange(command, true);
    } else {
        // Short APDU; a wish for more than 256 bytes becomes Le = 00 and 61xx does the rest.
        CommandApdu short_command = command;
        short_command.ne = std::min<std::uint32_t>(command.ne, 256);
        response = exchange(short_command, false);
        if (response.sw.is_wrong_le()) {
            // 6Cxx: resend the identical command with Le = xx, once (iso7816.md §3).
            short_command.ne = response.sw.sw2() ? response.sw.sw2() : 256;
            response = exchange(short_command, false);
            if (response.sw.is_wrong_le()) throw Error(ErrorCode::ProtocolError, "card answered 6Cxx twice");
        }
    }
    return collect_remaining(std::move(response), command.cla);
}

}  // namespace qscd
