// The README's "Signing from C++" example as a downstream program: a simulated token in a temporary
// state directory, a CAdES-B-B signature through the key-handle interface, verified.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/test_ca.hpp"
#include "qscd/sim/simulator_store.hpp"

using namespace qscd;

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::filesystem::path dir = argv[1];
    {
        std::ofstream("contract.txt") << "a contract\n";
    }
    // Set-up that `qscd sim create` normally does: a card with a key and a TEST certificate.
    sim::SimulatorStore store(sim::resolve_state_dir(dir));
    store.create_token("alice");
    openpgp::OpenPgpToken token(store.open("alice"), "alice");
    const auto pub = token.generate_key(Pin("12345678"), openpgp::KeySlot::Signature, KeyType::EcP256);
    const TestCa ca = load_or_create_test_ca(dir / "test-ca");
    token.store_certificate(Pin("12345678"), openpgp::KeySlot::Signature,
                            issue_certificate(ca, pub.spki, CertificateProfile{.common_name = "Alice (TEST)"}));

    // The README example.
    auto key = token.key("SIG");
    const HashAlgorithm hash = default_hash(key->attributes().type);
    const Bytes digest = hash_file(hash, "contract.txt");
    HostPinPrompt pin([](const PinRequest&) { return Pin("123456"); });

    CadesSigner signer;
    signer.certificate_der = key->attributes().certificate;
    signer.scheme = key->attributes().scheme;
    signer.sign_digest = [&](HashAlgorithm h, ByteView d) { return key->sign_hash(h, d, pin); };
    Bytes p7s = create_cades_detached(signer, hash, digest, std::chrono::system_clock::now());

    const VerificationReport report = verify_cades_detached(p7s, std::filesystem::path("contract.txt"), {ca.certificate_der});
    const bool trusted = report.valid && report.signers.at(0).chain_checked;
    std::printf("%s: %s\n", trusted ? "VALID" : "INVALID", report.signers.at(0).signer_subject.c_str());
    return trusted ? 0 : 1;
}
