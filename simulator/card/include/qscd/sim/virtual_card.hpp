// The simulated card: either a TEST CARD (AID manufacturer FFFF, ATR issuer data "TestSig") running the
// OpenPGP 3.4 application, or a national ID card's signature application from a card profile
// (id_card_applet.hpp), as the state file records. Handles the ISO 7816-4 transport layer: APDU parsing, response chaining
// (61xx / GET RESPONSE, iso7816.md §3), command chaining (CLA bit 0x10, §4) and SELECT.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/sim/id_card_applet.hpp"
#include "qscd/sim/openpgp_applet.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

// Minimum size of the response buffer passed to process(): 65536 data bytes + SW1 SW2.
inline constexpr std::size_t kMaxResponseApdu = 65538;

class VirtualCard {
public:
    VirtualCard(Storage& storage, Random& random, Clock& clock, CardOptions options = {});

    // ATR of the OpenPGP test card (iso7816.md §9.4 with issuer data "TestSig").
    static ByteView atr();
    // ATR this card presents: the OpenPGP test card's, or the real ID card's its profile describes.
    ByteView card_atr() const;
    CardType card_type() const { return type_; }

    // Loads the persistent state (the applet its card type names); the card answers 6F00 to everything
    // until it has a state.
    Result<LoadedState, StateError> load();
    // Factory-fresh card of CardOptions::card_type with the given serial, committed to the storage.
    StorageStatus format(const std::array<std::uint8_t, 4>& serial);

    void power_on();
    void reset();
    void power_off();

    // One command APDU in, data + SW1 SW2 out (`response` ≥ kMaxResponseApdu bytes). Returns the length.
    std::size_t process(ByteView command, std::span<std::uint8_t> response);

    const CardState& state() const { return applet_.state(); }
    std::uint64_t generation() const { return type_ == CardType::OpenPgp ? applet_.generation() : id_applet_.generation(); }
    OpenPgpApplet& applet() { return applet_; }
    IdCardApplet& id_applet() { return id_applet_; }
    // Whether a state is loaded (either applet).
    bool loaded() const { return type_ == CardType::OpenPgp ? applet_.loaded() : id_applet_.loaded(); }

private:
    void clear_volatile();
    std::size_t respond(std::span<std::uint8_t> response, std::size_t data_length, std::uint32_t ne,
                        std::uint16_t sw);
    ApduReply dispatch(const ApduCommand& command);

    Storage& storage_;
    CardOptions options_;
    OpenPgpApplet applet_;
    IdCardApplet id_applet_;
    CardType type_;
    bool selected_ = false;
    std::array<std::uint8_t, kStateMaxImage> scratch_{};  // load(): reads the card type

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
