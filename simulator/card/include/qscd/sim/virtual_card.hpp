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
#include "qscd/sim/applet.hpp"
#include "qscd/sim/id_card_applet.hpp"
#include "qscd/sim/id_card_state.hpp"
#include "qscd/sim/openpgp_applet.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

// Size of the response buffer passed to process(): the largest response the applets produce + SW1 SW2.
// A longer Le (extended length, up to 65536) is answered in full all the same: no response is longer.
inline constexpr std::size_t kMaxResponseApdu = kMaxResponseData + 2;
// The largest state image either applet stores (what a Storage must hold); the card streams images to
// and from its storage and holds none in RAM.
inline constexpr std::size_t kMaxStateImage = kOpenPgpMaxImage > kIdMaxImage ? kOpenPgpMaxImage : kIdMaxImage;

class VirtualCard {
public:
    VirtualCard(Storage& storage, Random& random, Clock& clock, CardOptions options = {});
    ~VirtualCard();
    VirtualCard(const VirtualCard&) = delete;
    VirtualCard& operator=(const VirtualCard&) = delete;

    // ATR of the OpenPGP test card (iso7816.md §9.4 with issuer data "TestSig").
    static ByteView atr();
    // ATR this card presents: the OpenPGP test card's, or the real ID card's its profile describes.
    ByteView card_atr() const;
    CardType card_type() const { return type_; }

    // Loads the persistent state (the applet its card type names); the card answers 6F00 to everything
    // until it has a state. A failed load of an image that was read leaves the card without a state.
    Result<LoadedState, StateError> load();
    // Factory-fresh card of CardOptions::card_type with the given serial, committed to the storage.
    StorageStatus format(const std::array<std::uint8_t, 4>& serial);

    void power_on();
    void reset();
    void power_off();

    // One command APDU in, data + SW1 SW2 out (`response` ≥ kMaxResponseApdu bytes; a shorter one gets
    // the rest through GET RESPONSE). Returns the length.
    std::size_t process(ByteView command, std::span<std::uint8_t> response);

    // The card holds one applet at a time, the one of card_type(): the OpenPGP accessors are for an
    // OpenPGP card, id_applet() for an ID card (the other aborts).
    const CardState& state() const { return openpgp().state(); }
    std::uint64_t generation() const { return is_openpgp() ? openpgp().generation() : id().generation(); }
    OpenPgpApplet& applet() { return const_cast<OpenPgpApplet&>(openpgp()); }
    IdCardApplet& id_applet() { return const_cast<IdCardApplet&>(id()); }
    // Whether a state is loaded (either applet).
    bool loaded() const { return is_openpgp() ? openpgp().loaded() : id().loaded(); }

private:
    bool is_openpgp() const { return type_ == CardType::OpenPgp; }
    const OpenPgpApplet& openpgp() const;
    const IdCardApplet& id() const;
    // Replaces the applet by the one of `type` (empty, nothing loaded) unless it is that one already.
    void use_applet(CardType type);
    void construct_applet();  // of type_, in applet_
    void destroy_applet();
    void clear_volatile();
    std::size_t respond(std::span<std::uint8_t> response, std::size_t data_length, std::uint32_t ne,
                        std::uint16_t sw);
    ApduReply dispatch(const ApduCommand& command);

    Storage& storage_;
    Random& random_;
    Clock& clock_;
    CardOptions options_;
    // The applet of type_, constructed in place: the two never run at once, so they share the card's RAM.
    union Applet {
        Applet() {}
        ~Applet() {}
        OpenPgpApplet openpgp;
        IdCardApplet id;
    } applet_;
    CardType type_;
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
