// Row group 5: what CAdES-B-B adds beyond the raw signature, and verification speed.
// Both sides use the same software P-256 key (deterministic ECDSA), so the difference is the CMS
// work alone: signed attributes, DER, and the self-check create_cades_detached does on purpose
// (it verifies the card's answer against the certificate before embedding it).
#include <mbedtls/x509_crt.h>

#include <cstdlib>

#include "bench_main.hpp"
#include "harness.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/test_ca.hpp"

using namespace qscd;

namespace bench {

int run_cades(const Options& o) {
    timer = Timer::ThreadCpu;  // pure computation in this process
    const TestPki pki = create_test_pki();
    const SoftwareKey key = SoftwareKey::generate(KeyType::EcP256);
    const Bytes cert = issue_certificate(pki.issuing, key.spki(), profile_for(CertificateKind::NaturalPersonQualified, "Bench", "Tester"));
    const CadesSigner signer{cert, {pki.issuing.certificate_der}, SignatureScheme::Ecdsa,
                             [&](HashAlgorithm h, ByteView d) { return key.sign(h, d); }};
    const Bytes document_digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd benchmark document"));
    const Bytes signature = key.sign(HashAlgorithm::Sha256, document_digest);
    const auto now = std::chrono::system_clock::now();
    const Bytes cms = create_cades_detached(signer, HashAlgorithm::Sha256, document_digest, now);
    const auto digest_of = [&](HashAlgorithm) { return document_digest; };
    const std::vector<Bytes> anchors{pki.root.certificate_der};
    if (!verify_cades_detached(cms, digest_of, anchors).valid) std::abort();  // measure only what works

    // As a signing application uses it for a document (or a batch): the signer prepared once.
    const CadesDetachedSigner prepared(signer);
    // The self-check as raw mbedTLS does it: one pk_verify with the certificate's key, parsed once.
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, cert.data(), cert.size()) != 0) std::abort();
    const Bytes der_signature = ecdsa_raw_to_der(signature);
    const auto raw_verify = [&] {
        if (mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, document_digest.data(), document_digest.size(),
                              der_signature.data(), der_signature.size()) != 0)
            std::abort();
    };
    const auto us = interleaved_us(o.passes, o.rounds * 4,
                                   {[&] { (void)key.sign(HashAlgorithm::Sha256, document_digest); },
                                    [&] { (void)prepared.sign(HashAlgorithm::Sha256, document_digest, now); },
                                    raw_verify,
                                    [&] { (void)verify_cades_detached(cms, digest_of, anchors); },
                                    [&] { (void)create_cades_detached(signer, HashAlgorithm::Sha256, document_digest, now); }});
    metric("cades.raw_sign_us", us[0]);
    metric("cades.sign_us", us[1]);
    metric("cades.overhead_us", us[1] - us[0]);
    // Without the deliberate self-check (one ECDSA verification): the CMS/DER work alone.
    metric("cades.overhead_wo_check_us", us[1] - us[0] - us[2]);
    // One-shot create_cades_detached also parses the certificates for every document.
    metric("cades.oneshot_overhead_wo_check_us", us[4] - us[0] - us[2]);
    metric("cades.raw_verify", per_second(us[2]));
    metric("cades.verify", per_second(us[3]));
    mbedtls_x509_crt_free(&crt);
    return 0;
}

}  // namespace bench
