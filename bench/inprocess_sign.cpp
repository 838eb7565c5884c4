// Row group 1: signatures/s through the KeyHandle interface on the in-process simulated card
// (memory storage: no file I/O here, see durability.cpp) beside raw mbedTLS, per algorithm:
//   card.perpin  — the QSCD default: SELECT, GET DATA 6E, GET DATA 7A, VERIFY (the PIN check),
//                  PSO:CDS, GET DATA 7A for every signature;
//   card.batch   — a card with the PIN valid for several signatures (C4 byte 1 = 01) inside
//                  KeyHandle::begin_batch: VERIFY once, then one PSO:CDS per signature — the card's
//                  crypto path and the APDU round trip only.
#include <memory>
#include <string>

#include "bench_main.hpp"
#include "counting_transport.hpp"
#include "harness.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/in_process_transport.hpp"
#include "raw_signer.hpp"

using namespace qscd;

namespace bench {
namespace {

HostPinPrompt kPrompt([](const PinRequest&) { return Pin("123456"); });

struct SimCard {
    std::size_t apdus = 0;
    std::unique_ptr<openpgp::OpenPgpToken> token;
    std::shared_ptr<KeyHandle> key;

    SimCard(KeyType type, PinPolicy policy) {
        static const std::array<std::uint8_t, 4> serial{0, 0, 0, 7};
        auto card = std::make_unique<sim::InProcessTransport>(std::make_unique<sim::MemoryStorage>(), "bench", sim::CardOptions{}, &serial);
        token = std::make_unique<openpgp::OpenPgpToken>(std::make_unique<CountingTransport>(std::move(card), &apdus), "bench");
        token->generate_key(Pin("12345678"), openpgp::KeySlot::Signature, type);
        if (policy == PinPolicy::Session) token->set_pin_policy(Pin("12345678"), PinPolicy::Session);
        key = token->key("SIG");
    }
};

void compare(KeyType type, int passes, int rounds) {
    const std::string name = cli_name(type);
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd benchmark document"));
    RawSigner raw(type);
    SimCard perpin(type, PinPolicy::PerSignature);
    SimCard session(type, PinPolicy::Session);
    // One batch for every timed call of every pass (+1 warm-up per pass).
    const std::size_t batch_size = static_cast<std::size_t>(passes * (rounds + 1));
    auto batch = session.key->begin_batch(batch_size, kPrompt);

    const auto us = interleaved_us(passes, rounds,
                                   {[&] { raw.sign(digest); },
                                    [&] { (void)perpin.key->sign_hash(HashAlgorithm::Sha256, digest, kPrompt); },
                                    [&] { (void)batch->sign(HashAlgorithm::Sha256, digest); }});
    batch->finish();

    // APDUs per signature, counted at the transport.
    perpin.apdus = 0;
    (void)perpin.key->sign_hash(HashAlgorithm::Sha256, digest, kPrompt);
    const std::size_t perpin_apdus = perpin.apdus;
    session.apdus = 0;
    constexpr std::size_t kBatch = 10;
    auto counted = session.key->begin_batch(kBatch, kPrompt);
    for (std::size_t i = 0; i < kBatch; ++i) (void)counted->sign(HashAlgorithm::Sha256, digest);
    counted->finish();

    metric("sign." + name + ".raw", per_second(us[0]));
    metric("sign." + name + ".card_perpin", per_second(us[1]));
    metric("sign." + name + ".card_batch", per_second(us[2]));
    metric("sign." + name + ".apdus_perpin", static_cast<double>(perpin_apdus));
    metric("sign." + name + ".apdus_batch10", static_cast<double>(session.apdus) / kBatch);
}

}  // namespace

int run_inprocess_sign(const Options& o) {
    timer = Timer::ThreadCpu;  // pure computation in this process
    for (KeyType type : {KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048, KeyType::Rsa3072})
        compare(type, o.passes, o.rounds);
    // RSA-PSS: the raw figure only; OpenPGP card 3.4 PSO:CDS is PKCS#1 v1.5 (§7.2.10), the applet
    // offers no PSS and KeyHandle::sign_hash refuses it with NotSupported.
    RawSigner pss(KeyType::Rsa2048, true);
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd benchmark document"));
    metric("sign.rsa2048-pss.raw", per_second(interleaved_us(o.passes, o.rounds, {[&] { pss.sign(digest); }})[0]));
    return 0;
}

}  // namespace bench
