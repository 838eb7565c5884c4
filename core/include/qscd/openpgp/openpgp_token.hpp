// OpenPgpToken: the key-handle interface over an OpenPGP card 3.4 — a real card behind PC/SC or the
// simulator; this code cannot tell them apart and takes no shortcut for either.
#pragma once

#include <memory>
#include <string>

#include "qscd/openpgp/openpgp_card.hpp"
#include "qscd/token.hpp"

namespace qscd::openpgp {

class OpenPgpToken final : public Token {
public:
    // Takes ownership of the transport; selects the application and reads its data.
    // `label` is how the origin names the token (file name, reader name); may be empty.
    OpenPgpToken(std::unique_ptr<Transport> transport, std::string label);
    ~OpenPgpToken() override;

    TokenInfo info() override;
    std::vector<std::shared_ptr<KeyHandle>> keys() override;
    std::vector<PinStatus> pin_status() override;
    std::optional<std::uint32_t> signature_counter() override;
    void change_pin(PinRole role, const Pin& current, const Pin& replacement) override;
    void unblock_pin(PinRole authority, const Pin& secret, const Pin& new_user_pin) override;

    // Card administration (Admin PIN): used to personalise simulated tokens and by `qscd` admin commands.
    // Generates a key in `slot`, stores its generation time and V4 fingerprint, returns the public key.
    PublicKey generate_key(const Pin& admin_pin, KeySlot slot, KeyType type);
    void store_certificate(const Pin& admin_pin, KeySlot slot, ByteView der);
    void set_cardholder_name(const Pin& admin_pin, std::string_view name);
    // Whether the card keeps the User PIN valid for one signature (the default) or several.
    void set_pin_policy(const Pin& admin_pin, PinPolicy policy);

    void set_trace(ApduTraceHook hook) override;
    bool has_pin_pad() override;
    void change_pin_on_pin_pad(PinRole role) override;

    // Low-level access for tests and tools (the caller handles transactions).
    OpenPgpCard& card();

    struct Session;

private:
    std::shared_ptr<Session> session_;
};

}  // namespace qscd::openpgp
