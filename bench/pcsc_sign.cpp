// Row group 2 (run inside a private pcscd with qscd-sim, see run.sh): one P-256 signature through
// pcscd + vpcd + qscd-sim, beside a model built from figures of the same run:
//   model = raw mbedTLS signature + measured APDU round trip × the APDUs of the timed call
//           (+ the card's PIN check, PBKDF2-HMAC-SHA256 with the card's default count, for the per-signature-PIN card).
// The APDUs are counted for the very call that is timed: KeyHandle::sign_hash on the first card, one
// SignatureBatch::sign inside an open batch on the second (begin_batch and finish are not timed).
// `pcsc PERPIN_READER SESSION_READER`: the first card wants the PIN for every signature, the
// second keeps it valid for several (signed inside KeyHandle::begin_batch).
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include "bench_main.hpp"
#include "counting_transport.hpp"
#include "harness.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/state.hpp"
#include "raw_signer.hpp"

using namespace qscd;

namespace bench {
namespace {

HostPinPrompt kPrompt([](const PinRequest&) { return Pin("123456"); });
const Bytes kGetPwStatus = {0x00, 0xCA, 0x00, 0xC4, 0x00};

struct PcscCard {
    std::size_t apdus = 0;
    std::unique_ptr<openpgp::OpenPgpToken> token;
    std::shared_ptr<KeyHandle> key;
    PcscCard(pcsc::Context& context, const std::string& reader) {
        auto connection = std::make_unique<pcsc::CardConnection>(context, reader, pcsc::ShareMode::Shared, pcsc::Disposition::Leave);
        token = std::make_unique<openpgp::OpenPgpToken>(std::make_unique<CountingTransport>(std::move(connection), &apdus), reader);
        key = token->key("SIG");
    }
};

double pbkdf2_us(int rounds) {
    const unsigned char salt[16] = {};
    unsigned char out[32];
    // CPU time: the card's PIN check is computation; wall time here would add other programs' load.
    const Timer saved = timer;
    timer = Timer::ThreadCpu;
    struct Restore { Timer& t; Timer v; ~Restore() { t = v; } } restore{timer, saved};
    return median_us(rounds, [&] {
        mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, reinterpret_cast<const unsigned char*>("123456"), 6, salt, sizeof salt,
                                      sim::kDefaultPinIterations, sizeof out, out);
    });
}

}  // namespace

int run_pcsc(const Options& o) {
    if (o.args.size() != 2) {
        std::fprintf(stderr, "usage: qscd_bench pcsc PERPIN_READER SESSION_READER\n");
        return 2;
    }
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd PC/SC benchmark"));
    RawSigner raw(KeyType::EcP256);
    pcsc::Context context;
    PcscCard perpin(context, o.args[0]);
    PcscCard session(context, o.args[1]);
    const std::size_t batch_size = static_cast<std::size_t>(o.passes * (o.rounds + 1));
    auto batch = session.key->begin_batch(batch_size, kPrompt);  // holds the session card's transaction

    // The round trip of a small APDU on the per-signature card (its own transaction).
    std::vector<double> rtt;
    for (int p = 0; p < o.passes; ++p) {
        Transaction t(perpin.token->card().channel().transport());
        rtt.push_back(median_us(o.rounds * 4, [&] { (void)perpin.token->card().channel().transport().transmit(kGetPwStatus); }));
    }
    const auto us = interleaved_us(o.passes, o.rounds,
                                   {[&] { raw.sign(digest); },
                                    [&] { (void)perpin.key->sign_hash(HashAlgorithm::Sha256, digest, kPrompt); },
                                    [&] { (void)batch->sign(HashAlgorithm::Sha256, digest); }});
    batch->finish();
    const double kdf = pbkdf2_us(o.rounds);

    perpin.apdus = 0;
    (void)perpin.key->sign_hash(HashAlgorithm::Sha256, digest, kPrompt);
    const double apdus_perpin = static_cast<double>(perpin.apdus);
    // A batch of 10 as a whole (VERIFY, counter checks, logout included), and one of its signatures.
    constexpr std::size_t kBatch = 10;
    session.apdus = 0;
    auto counted = session.key->begin_batch(kBatch, kPrompt);
    std::size_t apdus_one_batch_signature = 0;
    for (std::size_t i = 0; i < kBatch; ++i) {
        const std::size_t before = session.apdus;
        (void)counted->sign(HashAlgorithm::Sha256, digest);
        if (i == kBatch / 2) apdus_one_batch_signature = session.apdus - before;
    }
    counted->finish();
    const double apdus_batch10 = static_cast<double>(session.apdus) / kBatch;
    counted.reset();

    const double round_trip = median(rtt);
    metric("pcsc.rtt_us", round_trip);
    metric("pcsc.raw_sign_us", us[0]);
    metric("pcsc.pin_check_us", kdf);
    metric("pcsc.perpin_us", us[1]);
    metric("pcsc.apdus_perpin", apdus_perpin);
    metric("pcsc.model_perpin_us", us[0] + round_trip * apdus_perpin);
    metric("pcsc.model_perpin_kdf_us", us[0] + kdf + round_trip * apdus_perpin);
    metric("pcsc.batch_us", us[2]);
    metric("pcsc.apdus_batch10", apdus_batch10);
    metric("pcsc.apdus_batch_sign", static_cast<double>(apdus_one_batch_signature));
    metric("pcsc.model_batch_us", us[0] + round_trip * static_cast<double>(apdus_one_batch_signature));
    return 0;
}

}  // namespace bench
