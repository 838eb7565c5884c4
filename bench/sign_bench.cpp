// One signature through the key-handle interface on the in-process simulated card, beside the raw
// mbedTLS signature of the same digest measured in the same run. Absolute times on shared machines
// are noisy: read the ratios.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <vector>

#include "median.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/in_process_transport.hpp"
#include "qscd/sim/simulator_store.hpp"

using namespace qscd;

namespace {


struct RawSigner {
    mbedtls_pk_context pk;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    explicit RawSigner(KeyType type) {
        mbedtls_pk_init(&pk);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
        if (is_rsa(type)) {
            mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
            mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &drbg, key_bits(type), 65537);
        } else {
            mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
            mbedtls_ecp_gen_key(type == KeyType::EcP256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1,
                                mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, &drbg);
        }
    }
    ~RawSigner() {
        mbedtls_pk_free(&pk);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }
    void sign(ByteView digest) {
        unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        size_t len = 0;
        if (mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig, sizeof sig, &len,
                            mbedtls_ctr_drbg_random, &drbg) != 0)
            std::abort();
    }
};

void compare(KeyType type, int rounds, const std::filesystem::path& dir) {
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd benchmark document"));
    RawSigner raw(type);
    const PinPrompt prompt = [](const PinRequest&) { return Pin("123456"); };

    // In memory: the card's storage costs nothing, so this is protocol + PIN KDF + crypto.
    static const std::array<std::uint8_t, 4> serial{0, 0, 0, 1};
    openpgp::OpenPgpToken memory_token(
        std::make_unique<sim::InProcessTransport>(std::make_unique<sim::MemoryStorage>(), "memory", sim::CardOptions{}, &serial),
        "bench");
    memory_token.generate_key(Pin("12345678"), openpgp::KeySlot::Signature, type);
    auto memory_key = memory_token.key("SIG");

    // The same with a 1-iteration PIN hash: what the protocol and the card's crypto cost without the KDF.
    sim::CardOptions no_kdf;
    no_kdf.pin_iterations = 1;
    openpgp::OpenPgpToken bare_token(
        std::make_unique<sim::InProcessTransport>(std::make_unique<sim::MemoryStorage>(), "memory", no_kdf, &serial), "bench");
    bare_token.generate_key(Pin("12345678"), openpgp::KeySlot::Signature, type);
    auto bare_key = bare_token.key("SIG");

    // A state file, as `qscd sign` uses: every retry-counter and signature-counter change is fsynced.
    sim::SimulatorStore store(dir);
    const std::string name = std::string("bench-") + cli_name(type);
    store.create_token(name);
    openpgp::OpenPgpToken file_token(store.open(name), name);
    file_token.generate_key(Pin("12345678"), openpgp::KeySlot::Signature, type);
    auto file_key = file_token.key("SIG");

    double raw_us = 0, bare_us = 0, mem_us = 0, file_us = 0;
    // Interleave the three measurements so machine drift hits all of them alike.
    for (int pass = 0; pass < 3; ++pass) {
        raw_us += median_us(rounds, [&] { raw.sign(digest); });
        bare_us += median_us(rounds, [&] { (void)bare_key->sign_hash(HashAlgorithm::Sha256, digest, prompt); });
        mem_us += median_us(rounds, [&] { (void)memory_key->sign_hash(HashAlgorithm::Sha256, digest, prompt); });
        file_us += median_us(rounds, [&] { (void)file_key->sign_hash(HashAlgorithm::Sha256, digest, prompt); });
    }
    raw_us /= 3, bare_us /= 3, mem_us /= 3, file_us /= 3;
    std::printf("%-12s %10.0f %28.0f (%5.1fx) %18.0f (%5.1fx) %14.0f (%5.1fx)\n", to_string(type), raw_us, bare_us,
                bare_us / raw_us, mem_us, mem_us / raw_us, file_us, file_us / raw_us);
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
    const auto dir = std::filesystem::temp_directory_path() / ("qscd-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::printf("One SHA-256 signature, median of %d per pass, mean of 3 passes. Ratio = qscd / raw mbedTLS.\n", rounds);
    std::printf("qscd path: SELECT, GET DATA 6E, VERIFY (PBKDF2-HMAC-SHA256 PIN check, 10000 iterations), PSO:CDS.\n");
    std::printf("%-12s %10s %37s %26s %22s\n", "key", "raw us", "card in memory, no PIN KDF us", "card in memory us",
                "state file us");
    compare(KeyType::EcP256, rounds, dir);
    compare(KeyType::Rsa2048, rounds, dir);
    std::filesystem::remove_all(dir);
}
