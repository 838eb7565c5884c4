// The same work through three paths in one run: raw mbedTLS, the in-process simulated card, and the
// simulated card behind a real pcscd + vpcd (qscd-sim). Run by bench/pcsc_bench.sh inside the
// private pcscd harness. Prints medians and ratios.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "qscd/codec/apdu.hpp"
#include "median.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/in_process_transport.hpp"

using namespace qscd;

namespace {


const char* kReader = "Virtual PCD 00 00";
const Bytes kGetPwStatus = {0x00, 0xCA, 0x00, 0xC4, 0x00};

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd PC/SC benchmark"));
    const PinPrompt prompt = [](const PinRequest&) { return Pin("123456"); };

    // Raw mbedTLS P-256 signature.
    mbedtls_pk_context pk;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
    mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, &drbg);
    const double raw_sign = median_us(rounds, [&] {
        unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        size_t len = 0;
        mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig, sizeof sig, &len, mbedtls_ctr_drbg_random, &drbg);
    });

    // In-process simulated card (memory storage: no file I/O in the figure).
    static const std::array<std::uint8_t, 4> serial{0, 0, 0, 9};
    auto memory = std::make_unique<sim::InProcessTransport>(std::make_unique<sim::MemoryStorage>(), "memory", sim::CardOptions{}, &serial);
    sim::InProcessTransport* memory_raw = memory.get();
    openpgp::OpenPgpToken memory_token(std::move(memory), "bench");
    memory_token.generate_key(Pin("12345678"), openpgp::KeySlot::Signature, KeyType::EcP256);
    auto memory_key = memory_token.key("SIG");
    double inproc_apdu = 0;
    {
        Transaction t(*memory_raw);
        inproc_apdu = median_us(rounds, [&] { (void)memory_raw->transmit(kGetPwStatus); });
    }
    const double inproc_sign = median_us(rounds / 10 + 5, [&] { (void)memory_key->sign_hash(HashAlgorithm::Sha256, digest, prompt); });

    // Through pcscd + vpcd + qscd-sim (the token's state file, so fsyncs are in this figure).
    pcsc::Context context;
    double pcsc_apdu = 0;
    {
        pcsc::CardConnection connection(context, kReader, pcsc::ShareMode::Shared, pcsc::Disposition::Leave);
        Transaction t(connection);
        pcsc_apdu = median_us(rounds, [&] { (void)connection.transmit(kGetPwStatus); });
    }
    pcsc::PcscTokenSource source;
    auto pcsc_token = source.open_matching({std::string(kReader), std::nullopt, std::nullopt});
    auto pcsc_key = pcsc_token->key("SIG");
    const double pcsc_sign = median_us(rounds / 10 + 5, [&] { (void)pcsc_key->sign_hash(HashAlgorithm::Sha256, digest, prompt); });

    std::printf("APDU round trip (GET DATA C4), median of %d:\n", rounds);
    std::printf("  in-process simulated card   %8.1f us\n", inproc_apdu);
    std::printf("  pcscd + vpcd + qscd-sim     %8.1f us   (%.0fx in-process)\n", pcsc_apdu, pcsc_apdu / inproc_apdu);
    std::printf("P-256 signature (SHA-256 digest), median of %d:\n", rounds / 10 + 5);
    std::printf("  raw mbedTLS pk_sign         %8.1f us\n", raw_sign);
    std::printf("  in-process card, sign_hash  %8.1f us   (%.1fx raw)\n", inproc_sign, inproc_sign / raw_sign);
    std::printf("  PC/SC card, sign_hash       %8.1f us   (%.1fx raw, %.2fx in-process)\n", pcsc_sign, pcsc_sign / raw_sign,
                pcsc_sign / inproc_sign);
    std::printf("  (sign_hash = SELECT, GET DATA 6E, VERIFY with a 10000-iteration PBKDF2 PIN check, PSO:CDS)\n");

    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
}
