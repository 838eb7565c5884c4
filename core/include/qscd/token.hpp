// Token: one card application (or simulated card) holding keys and PINs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qscd/key_handle.hpp"

namespace qscd {

// Receives one line per APDU exchanged with a token, PINs and keys REDACTED (the same type as
// ApduChannel's hook).
using ApduTraceHook = std::function<void(std::string_view line)>;

// OpenPGP cards: User, Admin, ResetCode. National ID cards: AuthenticationPin (PIN1), SignaturePin
// (PIN2), Puk; on them User means the signature PIN (the one `qscd sign` asks for) and ResetCode the PUK.
enum class PinRole { User, Admin, ResetCode, AuthenticationPin, SignaturePin, Puk };
const char* to_string(PinRole role);

struct PinStatus {
    PinRole role = PinRole::User;
    std::string name;          // "User PIN"
    int tries_left = 0;        // 0 = blocked (or, for the resetting code, not set)
    std::size_t min_length = 0;
    std::size_t max_length = 0;
};

struct TokenInfo {
    std::string label;         // for people
    std::string serial;        // manufacturer-unique, hex for OpenPGP: "FFFF00000001"
    std::string manufacturer;  // "test card (FFFF)"
    std::string application;   // "OpenPGP 3.4"
    std::string origin;        // reader name or "simulator <path>"
    bool test_card = false;    // true for simulated tokens and OpenPGP test manufacturer ids
    Bytes atr;
    std::string card_type;     // a national ID card's type ("Estonian ID card (IDEMIA 2018)"); empty for OpenPGP cards
};

enum class TokenKind { Simulated, PcscReader };
const char* to_string(TokenKind kind);  // "simulator", "pcsc"

// A token as a listing shows it, before it is opened.
struct TokenDescriptor {
    std::string name;                    // what a user types to choose it (--token)
    TokenKind kind = TokenKind::Simulated;
    std::string serial;
    std::string location;                // state file or reader name
    std::optional<std::string> problem = std::nullopt;  // set when the token is present but unusable
    std::optional<std::string> simulated_as = std::nullopt;  // a reader's card that is the simulated token of this name (qscd-sim)
    std::string card_type = {};             // a national ID card's type (TokenInfo::card_type); empty otherwise
    std::vector<PinStatus> pins = {};        // its PINs' tries, when card_type is set
};

class Token {
public:
    virtual ~Token() = default;

    virtual TokenInfo info() = 0;
    virtual std::vector<std::shared_ptr<KeyHandle>> keys() = 0;
    virtual std::vector<PinStatus> pin_status() = 0;
    // Digital signature counter kept by the card, if it has one.
    virtual std::optional<std::uint32_t> signature_counter() = 0;

    // Changes the User or Admin PIN. Throws WrongPin (tries left), PinBlocked, InvalidPin.
    virtual void change_pin(PinRole role, const Pin& current, const Pin& replacement) = 0;
    // Unblocks the User PIN with `authority` (the resetting code / PUK, or the Admin PIN).
    virtual void unblock_pin(PinRole authority, const Pin& secret, const Pin& new_user_pin) = 0;
    // Unblocks `target` with `authority` and sets it to `new_pin` (ID cards: PIN1 or PIN2 with the PUK).
    // Default: a User target is unblock_pin(); any other is NotSupported.
    virtual void reset_pin(PinRole target, PinRole authority, const Pin& secret, const Pin& new_pin);
    // Changes `role`'s PIN with both PINs typed on the reader's PIN pad (PC/SC part 10
    // MODIFY_PIN_DIRECT); the host never sees them. Default: NotSupported (nothing sent).
    virtual void change_pin_on_pin_pad(PinRole role);

    // True when the token's reader has a PIN pad qscd can use (PC/SC part 10 VERIFY_PIN_DIRECT, after the
    // reader quirks table); a simulated token has none.
    virtual bool has_pin_pad() { return false; }

    // Every APDU to the token goes to `hook`, secrets REDACTED (see ApduChannel).
    virtual void set_trace(ApduTraceHook hook) = 0;

    // Looks a key up by id ("SIG"); throws NotFound.
    std::shared_ptr<KeyHandle> key(const std::string& id);
};

}  // namespace qscd
