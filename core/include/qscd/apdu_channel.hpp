// ApduChannel: ISO 7816-4 transmission rules over a byte Transport (iso7816.md §3, §4):
// 61xx → GET RESPONSE (bounded), 6Cxx → resend with the right Le, command chaining when the data
// exceeds the short limit and the card lacks extended length, extended length when announced.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "qscd/codec/apdu.hpp"
#include "qscd/transport.hpp"

namespace qscd {

// What the card announced (ATR / historical bytes / DO 7F66). Defaults are the ISO baseline.
struct CardCapabilities {
    bool extended_length = false;
    bool command_chaining = false;
    std::size_t max_command_data = 255;    // per APDU, with extended length (7F66)
    std::size_t max_response_data = 256;   // per APDU, with extended length (7F66)
};

// Receives one formatted line per APDU: ">> 00 20 00 81 06 REDACTED" / "<< 90 00".
using ApduTraceHook = std::function<void(std::string_view line)>;

class ApduChannel {
public:
    // Bounds against a card that never stops answering 61xx.
    static constexpr int kMaxGetResponseRounds = 300;
    static constexpr std::size_t kMaxResponseSize = 65536 + 4096;

    explicit ApduChannel(Transport& transport) : transport_(transport) {}

    void set_capabilities(const CardCapabilities& caps) { caps_ = caps; }
    const CardCapabilities& capabilities() const { return caps_; }
    void set_trace(ApduTraceHook hook) { trace_ = std::move(hook); }
    Transport& transport() { return transport_; }

    // Sends `command` and returns the complete response. Never throws for a card status word —
    // the caller interprets it; throws Error for transport failures and protocol violations.
    ResponseApdu transmit(const CommandApdu& command);

private:
    ResponseApdu exchange(const CommandApdu& command, bool extended);
    ResponseApdu collect_remaining(ResponseApdu first, std::uint8_t cla);
    void trace_command(const CommandApdu& command, ByteView encoded, bool extended) const;
    void trace_response(ByteView raw) const;

    Transport& transport_;
    CardCapabilities caps_;
    ApduTraceHook trace_;
};

// True for commands whose data is a secret (PINs, resetting codes, key import): trace prints REDACTED.
bool carries_secret(const CommandApdu& command);

}  // namespace qscd
