// The simulated card: a TEST CARD (AID manufacturer FFFF, ATR issuer data "TestSig") running the
// OpenPGP 3.4 application. Handles the ISO 7816-4 transport layer: APDU parsing, response chaining
// (61xx / GET RESPONSE, iso7816.md §3), command chaining (CLA bit 0x10, §4) and SELECT.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/sim/openpgp_applet.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

// Minimum size of the response buffer passed to process(): 65536 data bytes + SW1 SW2.
inline constexpr std::size_t kMaxResponseApdu = 65538;

class VirtualCard {
public:
    VirtualCard(Storage& storage, Random& random, Clock& clock, CardOptions options = {});

    // ATR of the test card (iso7816.md §9.4 with issuer data "TestSig").
    static ByteView atr();

    // Loads the persistent state; the card answers 6F00 to everything until it has a state.
    Result<LoadedState, StateError> load() { return applet_.load(); }
    // Factory-fresh card with the given serial, committed to the storage.
    StorageStatus format(const std::array<std::uint8_t, 4>& serial) { return applet_.format(serial); }

    void power_on();
    void reset();
    void power_off();

    // One command APDU in, data + SW1 SW2 out (`response` ≥ kMaxResponseApdu bytes). Returns the length.
    std::size_t process(ByteView command, std::span<std::uint8_t> response);

    const CardState& state() const { return applet_.state(); }
    std::uint64_t generation() const { return applet_.generation(); }
    OpenPgpApplet& applet() { return applet_; }

private:
    void clear_volatile();
    std::size_t respond(std::span<std::uint8_t> response, std::size_t data_length, std::uint32_t ne,
                        std::uint16_t sw);
    ApduReply dispatch(const ApduCommand& command);

    OpenPgpApplet applet_;
    bool selected_ = false;

    // Response chaining: the full response is kept here, `pending_` bytes from `pending_offset_`.
    std::array<std::uint8_t, kMaxResponseData> response_{};
    std::size_t pending_offset_ = 0;
    std::size_t pending_ = 0;

    // Command chaining.
    std::array<std::uint8_t, kMaxCommandData> chain_{};
    std::size_t chain_length_ = 0;
    bool chaining_ = false;
    std::uint8_t chain_ins_ = 0, chain_p1_ = 0, chain_p2_ = 0;
};

}  // namespace qscd::sim
