// Row group 5: what CAdES-B-B costs beyond the raw signature, and verification speed.
// The CMS work is timed directly: the signer callback returns a signature computed once beforehand
// (the signing time is fixed, so every call signs the same attributes), so a timed call does only
// what qscd adds to the card's signature — signed attributes, their hash, the deliberate self-check
// (the card's answer verified against the certificate before it is embedded) and the DER of
// SignedData. The peer is raw mbedTLS making one signature of the same kind (P-256, SHA-256 digest).
#include <mbedtls/x509_crt.h>

#include <cstdlib>
#include <optional>

#include "bench_main.hpp"
#include "harness.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/test_ca.hpp"
#include "raw_signer.hpp"

using namespace qscd;

namespace bench {

int run_cades(const Options& o) {
    timer = Timer::ThreadCpu;  // pure computation in this process
    const TestPki pki = create_test_pki();
    const SoftwareKey key = SoftwareKey::generate(KeyType::EcP256);
    const Bytes cert = issue_certificate(pki.issuing, key.spki(), profile_for(CertificateKind::NaturalPersonQualified, "Bench", "Tester"));
    const Bytes document_digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd benchmark document"));
    const auto now = std::chrono::system_clock::now();

    // The precomputed signature: made by the key on the first call, then returned as it is. Any other
    // digest (the attributes changed between calls) would make the timed calls meaningless: abort.
    std::optional<Bytes> signed_digest, fixed_signature;
    const CadesSigner fixed{cert, {pki.issuing.certificate_der}, SignatureScheme::Ecdsa, [&](HashAlgorithm h, ByteView d) {
                                if (!fixed_signature) {
                                    signed_digest = Bytes(d.begin(), d.end());
                                    fixed_signature = key.sign(h, d);
                                }
                                if (Bytes(d.begin(), d.end()) != *signed_digest) std::abort();
                                return *fixed_signature;
                            }};
    const Bytes cms = create_cades_detached(fixed, HashAlgorithm::Sha256, document_digest, now);
    const auto digest_of = [&](HashAlgorithm) { return document_digest; };
    const std::vector<Bytes> anchors{pki.root.certificate_der};
    if (!verify_cades_detached(cms, digest_of, anchors).valid) std::abort();  // measure only what works

    // As a signing application uses it for a document (or a batch): the signer prepared once.
    const CadesDetachedSigner prepared(fixed);
    RawSigner raw(KeyType::EcP256);
    // The self-check alone, as raw mbedTLS does it: one pk_verify with the certificate's key, parsed once.
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, cert.data(), cert.size()) != 0) std::abort();
    const Bytes der_signature = ecdsa_raw_to_der(*fixed_signature);
    const auto raw_verify = [&] {
        if (mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, signed_digest->data(), signed_digest->size(),
                              der_signature.data(), der_signature.size()) != 0)
            std::abort();
    };
    const auto us = interleaved_us(o.passes, o.rounds * 4,
                                   {[&] { raw.sign(document_digest); },
                                    [&] { (void)prepared.sign(HashAlgorithm::Sha256, document_digest, now); },
                                    raw_verify,
                                    [&] { (void)verify_cades_detached(cms, digest_of, anchors); },
                                    [&] { (void)create_cades_detached(fixed, HashAlgorithm::Sha256, document_digest, now); }});
    metric("cades.raw_sign_us", us[0]);
    metric("cades.cms_us", us[1]);          // CadesDetachedSigner::sign, precomputed signature
    metric("cades.self_check_us", us[2]);   // the self-check's one ECDSA verification, alone
    metric("cades.oneshot_cms_us", us[4]);  // create_cades_detached: also parses the certificates
    metric("cades.raw_verify", per_second(us[2]));
    metric("cades.verify", per_second(us[3]));
    mbedtls_x509_crt_free(&crt);
    return 0;
}

}  // namespace bench
