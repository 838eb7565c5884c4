// Row group 7: P-256 signatures/s on a file-backed simulated token (the state file `qscd sign`
// uses: every retry-counter and signature-counter change is committed). run.sh runs it once with
// the default durable store (fsync file + directory) and once with QSCD_SIM_DURABILITY=relaxed,
// passes interleaved across processes. `durability DIR LABEL` prints durability.LABEL.{perpin,batch}.
#include <unistd.h>

#include "bench_main.hpp"
#include "harness.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/simulator_store.hpp"

using namespace qscd;

namespace bench {

int run_durability(const Options& o) {
    if (o.args.size() != 2) {
        std::fprintf(stderr, "usage: qscd_bench durability DIR LABEL\n");
        return 2;
    }
    HostPinPrompt prompt([](const PinRequest&) { return Pin("123456"); });
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd benchmark document"));
    sim::SimulatorStore store(o.args[0]);
    const std::string pid = std::to_string(::getpid());
    store.create_token("perpin-" + pid);
    store.create_token("session-" + pid);
    openpgp::OpenPgpToken perpin(store.open("perpin-" + pid), "perpin");
    openpgp::OpenPgpToken session(store.open("session-" + pid), "session");
    for (auto* t : {&perpin, &session}) t->generate_key(Pin("12345678"), openpgp::KeySlot::Signature, KeyType::EcP256);
    session.set_pin_policy(Pin("12345678"), PinPolicy::Session);
    auto perpin_key = perpin.key("SIG");
    auto batch = session.key("SIG")->begin_batch(static_cast<std::size_t>(o.passes * (o.rounds + 1)), prompt);

    const auto us = interleaved_us(o.passes, o.rounds,
                                   {[&] { (void)perpin_key->sign_hash(HashAlgorithm::Sha256, digest, prompt); },
                                    [&] { (void)batch->sign(HashAlgorithm::Sha256, digest); }});
    batch->finish();
    metric("durability." + o.args[1] + ".perpin", per_second(us[0]));
    metric("durability." + o.args[1] + ".batch", per_second(us[1]));
    return 0;
}

}  // namespace bench
