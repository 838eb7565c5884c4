#include "host_session.hpp"

#include "attempt.hpp"
#include "personalised_card.hpp"
#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/token_source.hpp"

namespace qscd::fuzz {

void run_host_session(std::unique_ptr<Transport> transport) {
    std::unique_ptr<Token> token;
    attempt([&] { token = open_card(std::move(transport), ""); });
    if (!token) return;
    auto* openpgp = dynamic_cast<openpgp::OpenPgpToken*>(token.get());

    HostPinPrompt prompt([](const PinRequest&) { return Pin(kUserPin); });
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd fuzz document"));

    attempt([&] { token->info(); });
    attempt([&] { token->pin_status(); });
    attempt([&] { token->signature_counter(); });
    std::vector<std::shared_ptr<KeyHandle>> keys;
    attempt([&] { keys = token->keys(); });
    for (const auto& key : keys) {
        attempt([&] { key->sign_hash(HashAlgorithm::Sha256, digest, prompt); });
        attempt([&] {
            auto batch = key->begin_batch(2, prompt);
            batch->sign(HashAlgorithm::Sha256, digest);
            batch->sign(HashAlgorithm::Sha256, digest);
            batch->finish();
        });
    }
    if (openpgp) {
        attempt([&] {
            Transaction transaction(openpgp->card().channel().transport());
            openpgp->card().select();
            openpgp->card().read_certificate(openpgp::KeySlot::Signature);
        });
    }
    attempt([&] { token->change_pin(PinRole::User, Pin(kUserPin), Pin("654321")); });
    attempt([&] { token->unblock_pin(PinRole::ResetCode, Pin(kResettingCode), Pin(kUserPin)); });
}

}  // namespace qscd::fuzz
