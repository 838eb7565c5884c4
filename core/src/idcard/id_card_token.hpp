// IdCardToken: the key-handle interface over a national ID card's ISO 7816-4/-8 signature application,
// one generic driver configured by the card's profile (core/profiles). A real card behind PC/SC or the
// simulated one: this code cannot tell them apart. Internal to qscd_core (open_card chooses it by ATR).
#pragma once

#include <memory>
#include <string>

#include "qscd/profiles/card_profile.hpp"
#include "qscd/token.hpp"
#include "qscd/transport.hpp"

namespace qscd::idcard {

// The profile whose ATR table matches `transport`'s ATR and whose application answers SELECT; nullptr
// otherwise (the card is left for the other drivers).
const profiles::CardProfile* recognise(Transport& transport);

class IdCardToken final : public Token {
public:
    IdCardToken(std::unique_ptr<Transport> transport, std::string label, const profiles::CardProfile& profile);
    ~IdCardToken() override;

    TokenInfo info() override;
    // The signature key ("SIG", PIN2, nonRepudiation) and the authentication key ("AUT", PIN1).
    std::vector<std::shared_ptr<KeyHandle>> keys() override;
    std::vector<PinStatus> pin_status() override;
    // No ID card profile has a signature counter: nullopt.
    std::optional<std::uint32_t> signature_counter() override;
    void change_pin(PinRole role, const Pin& current, const Pin& replacement) override;
    // Unblocks the signature PIN (PIN2) with the PUK.
    void unblock_pin(PinRole authority, const Pin& secret, const Pin& new_user_pin) override;
    void reset_pin(PinRole target, PinRole authority, const Pin& secret, const Pin& new_pin) override;
    void change_pin_on_pin_pad(PinRole role) override;
    void set_trace(ApduTraceHook hook) override;
    bool has_pin_pad() override;

    struct Session;

private:
    std::shared_ptr<Session> session_;
};

}  // namespace qscd::idcard
