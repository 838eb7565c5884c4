#include <catch2/catch.hpp>

#include <mbedtls/x509_crt.h>

#include <algorithm>

#include "qscd/error.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/hashing.hpp"
#include "signing_test_support.hpp"

using namespace qscd;
using test::serial_of;
using Clock = std::chrono::system_clock;

namespace {

const std::string kDocument = "Ich, Alice, bestelle hiermit 42 Zwiebeln.\n";

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

CadesSigner signer_for(const SoftwareKey& key, Bytes certificate) {
    return CadesSigner{std::move(certificate), {}, key.scheme(),
                       [&key](HashAlgorithm h, ByteView digest) { return key.sign(h, digest); }};
}

Bytes sign_document(const SoftwareKey& key, const Bytes& cert, HashAlgorithm h, const std::string& doc,
                    Clock::time_point when = Clock::now()) {
    return create_cades_detached(signer_for(key, cert), h, hash_bytes(h, as_bytes(doc)), when);
}

std::function<Bytes(HashAlgorithm)> digest_of(const std::string& doc) {
    return [doc](HashAlgorithm h) { return hash_bytes(h, as_bytes(doc)); };
}

std::vector<Bytes> anchors() { return {test::test_ca().certificate_der}; }

// Replaces the single occurrence of `from` by `to` (same length) in `data`.
void splice(Bytes& data, const Bytes& from, const Bytes& to) {
    REQUIRE(from.size() == to.size());
    auto it = std::search(data.begin(), data.end(), from.begin(), from.end());
    REQUIRE(it != data.end());
    std::copy(to.begin(), to.end(), it);
}

struct Case {
    KeyType type;
    HashAlgorithm hash;
};
const Case kCases[] = {{KeyType::EcP256, HashAlgorithm::Sha256},
                       {KeyType::EcP384, HashAlgorithm::Sha384},
                       {KeyType::Rsa2048, HashAlgorithm::Sha256},
                       {KeyType::Rsa2048, HashAlgorithm::Sha512}};

}  // namespace

TEST_CASE("openssl cms accepts our CAdES-B-B for RSA and ECDSA with default purpose", "[signing][cades][openssl]") {
    test::TempDir dir;
    test::write_text(dir / "doc.txt", kDocument);
    test::write_text(dir / "ca.pem", der_to_pem(test::test_ca().certificate_der, "CERTIFICATE"));
    for (const Case& c : kCases) {
        INFO(to_string(c.type) << " " << to_string(c.hash));
        const SoftwareKey& key = test::key_of(c.type);
        Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
        Bytes cms = create_cades_detached(signer_for(key, cert), c.hash, hash_file(c.hash, dir / "doc.txt"), Clock::now());
        test::write_file(dir / "sig.p7s", cms);
        // Default purpose (smimesign): a nonRepudiation-only leaf must pass.
        auto verify = test::run("openssl cms -verify -binary -inform DER -in " + test::q(dir / "sig.p7s") + " -content " +
                                test::q(dir / "doc.txt") + " -CAfile " + test::q(dir / "ca.pem") + " -out /dev/null");
        INFO(verify.output);
        CHECK(verify.status == 0);
        CHECK(contains(verify.output, "Verification successful"));

        auto print = test::run("openssl cms -cmsout -print -inform DER -in " + test::q(dir / "sig.p7s"));
        INFO(print.output);
        REQUIRE(print.status == 0);
        CHECK(contains(print.output, "id-smime-aa-signingCertificateV2"));
        CHECK(contains(print.output, "signingTime"));
        CHECK(contains(print.output, "messageDigest"));
        CHECK(contains(print.output, "contentType"));
        CHECK(contains(print.output, "eContent: <ABSENT>"));  // detached

        // Tampered document: openssl must refuse too (our judge is not lenient).
        test::write_text(dir / "tampered.txt", kDocument + " ");
        auto bad = test::run("openssl cms -verify -binary -inform DER -in " + test::q(dir / "sig.p7s") + " -content " +
                             test::q(dir / "tampered.txt") + " -CAfile " + test::q(dir / "ca.pem") + " -out /dev/null");
        CHECK(bad.status != 0);
    }
}

TEST_CASE("our verifier accepts good signatures and reports their details", "[signing][cades]") {
    for (const Case& c : kCases) {
        INFO(to_string(c.type) << " " << to_string(c.hash));
        const SoftwareKey& key = test::key_of(c.type);
        Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
        auto when = Clock::now();
        Bytes cms = sign_document(key, cert, c.hash, kDocument, when);
        VerificationReport r = verify_cades_detached(cms, digest_of(kDocument), anchors());
        for (auto& p : r.problems) UNSCOPED_INFO(p);
        CHECK(r.valid);
        CHECK(r.parse.ok);
        CHECK(r.signers.at(0).signature.ok);
        CHECK(r.signers.at(0).message_digest.ok);
        CHECK(r.signers.at(0).content_type.ok);
        CHECK(r.signers.at(0).signing_certificate.ok);
        CHECK(r.signers.at(0).certificate_validity.ok);
        CHECK(r.signers.at(0).key_usage.ok);
        CHECK(r.signers.at(0).chain_checked);
        CHECK(r.signers.at(0).chain.ok);
        CHECK(r.problems.empty());
        CHECK(r.signers.at(0).hash_algorithm == c.hash);
        CHECK(r.signers.at(0).scheme == key.scheme());
        CHECK(r.signers.at(0).signer_certificate_der == cert);
        CHECK(contains(r.signers.at(0).signer_subject, "CN=Alice Example"));
        REQUIRE(r.signers.at(0).signing_time_claimed);
        CHECK(std::chrono::abs(*r.signers.at(0).signing_time_claimed - when) < std::chrono::seconds(2));

        // Without trust anchors the chain is not checked and does not count.
        VerificationReport unanchored = verify_cades_detached(cms, digest_of(kDocument), {});
        CHECK(unanchored.valid);
        CHECK_FALSE(unanchored.signers.at(0).chain_checked);
        CHECK(contains(unanchored.signers.at(0).chain.detail, "not checked"));
    }
}

TEST_CASE("our verifier accepts openssl's CAdES signatures (interop)", "[signing][cades][openssl]") {
    test::TempDir dir;
    test::write_text(dir / "doc.txt", kDocument);
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
    test::write_text(dir / "cert.pem", der_to_pem(cert, "CERTIFICATE"));
    SecureBytes pem = key.private_key_pem();
    test::write_file(dir / "key.pem", ByteView(pem.data(), pem.size()));
    auto sign = test::run("openssl cms -sign -binary -cades -md sha256 -in " + test::q(dir / "doc.txt") + " -signer " +
                          test::q(dir / "cert.pem") + " -inkey " + test::q(dir / "key.pem") + " -outform DER -out " +
                          test::q(dir / "sig.p7s"));
    INFO(sign.output);
    REQUIRE(sign.status == 0);
    VerificationReport r = verify_cades_detached(test::read_all(dir / "sig.p7s"), dir / "doc.txt", anchors());
    for (auto& p : r.problems) UNSCOPED_INFO(p);
    CHECK(r.valid);
}

TEST_CASE("our verifier rejects a tampered document", "[signing][cades]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cms = sign_document(key, issue_certificate(test::test_ca(), key.spki(), test::alice()), HashAlgorithm::Sha256,
                              kDocument);
    VerificationReport r = verify_cades_detached(cms, digest_of(kDocument + "x"), anchors());
    CHECK_FALSE(r.valid);
    CHECK(r.signers.at(0).signature.ok);
    CHECK_FALSE(r.signers.at(0).message_digest.ok);
    REQUIRE_FALSE(r.problems.empty());
    CHECK(contains(r.problems.front(), "document does not match"));

    test::TempDir dir;
    CHECK_THROWS_AS(verify_cades_detached(cms, dir / "missing.txt", anchors()), Error);
}

TEST_CASE("our verifier rejects tampered signed attributes", "[signing][cades]") {
    for (KeyType type : {KeyType::EcP256, KeyType::Rsa2048}) {
        const SoftwareKey& key = test::key_of(type);
        Bytes cms = sign_document(key, issue_certificate(test::test_ca(), key.spki(), test::alice()),
                                  HashAlgorithm::Sha256, kDocument);
        // Last digit of the signing time: still a well-formed time, but no longer what was signed.
        const Bytes signing_time_oid = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
        auto it = std::search(cms.begin(), cms.end(), signing_time_oid.begin(), signing_time_oid.end());
        REQUIRE(it != cms.end());
        std::size_t pos = static_cast<std::size_t>(it - cms.begin()) + signing_time_oid.size() + 2 + 2 + 11;
        REQUIRE(cms[pos] >= '0');
        REQUIRE(cms[pos] <= '9');
        cms[pos] = cms[pos] == '0' ? '1' : '0';
        VerificationReport r = verify_cades_detached(cms, digest_of(kDocument), anchors());
        CHECK(r.parse.ok);
        CHECK_FALSE(r.valid);
        CHECK_FALSE(r.signers.at(0).signature.ok);
        CHECK(r.signers.at(0).message_digest.ok);
    }
}

TEST_CASE("our verifier rejects a substituted certificate with the same name", "[signing][cades]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    SoftwareKey impostor = SoftwareKey::generate(KeyType::EcP256);
    Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
    Bytes cms = sign_document(key, cert, HashAlgorithm::Sha256, kDocument);
    // Same subject, other key, issued by the same CA; ECDSA certificate sizes vary, so pick a same-size one.
    Bytes other;
    for (int i = 0; i < 100 && other.size() != cert.size(); ++i)
        other = issue_certificate(test::test_ca(), impostor.spki(), test::alice());
    REQUIRE(other.size() == cert.size());
    splice(cms, cert, other);
    Bytes sid_serial = serial_of(cert);
    // Point the SignerIdentifier at the impostor certificate (every occurrence, signed attributes included).
    for (auto it = std::search(cms.begin(), cms.end(), sid_serial.begin(), sid_serial.end()); it != cms.end();
         it = std::search(it, cms.end(), sid_serial.begin(), sid_serial.end())) {
        Bytes to = serial_of(other);
        it = std::copy(to.begin(), to.end(), it);
    }
    VerificationReport r = verify_cades_detached(cms, digest_of(kDocument), anchors());
    CHECK(r.parse.ok);
    CHECK_FALSE(r.valid);
    CHECK_FALSE(r.signers.at(0).signature.ok);
    CHECK_FALSE(r.signers.at(0).signing_certificate.ok);
    CHECK(r.signers.at(0).chain.ok);  // the impostor certificate itself is genuine

    // Only the certificate swapped (SignerIdentifier untouched): the signer cannot be found at all.
    Bytes cms2 = sign_document(key, cert, HashAlgorithm::Sha256, kDocument);
    splice(cms2, cert, other);
    VerificationReport r2 = verify_cades_detached(cms2, digest_of(kDocument), anchors());
    CHECK_FALSE(r2.valid);
    CHECK_FALSE(r2.parse.ok);

    // And create_cades_detached refuses to pair a key with somebody else's certificate.
    try {
        create_cades_detached(signer_for(key, other), HashAlgorithm::Sha256,
                              hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument)), Clock::now());
        FAIL("wrong certificate accepted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::VerificationFailed);
    }
}

TEST_CASE("our verifier rejects an untrusted anchor", "[signing][cades]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cms = sign_document(key, issue_certificate(test::test_ca(), key.spki(), test::alice()), HashAlgorithm::Sha256,
                              kDocument);
    TestCa other_ca = create_test_ca("qscd TEST Other CA - NOT FOR PRODUCTION");
    VerificationReport r = verify_cades_detached(cms, digest_of(kDocument), {other_ca.certificate_der});
    CHECK_FALSE(r.valid);
    CHECK(r.signers.at(0).chain_checked);
    CHECK_FALSE(r.signers.at(0).chain.ok);
    CHECK(r.signers.at(0).signature.ok);
    // Same name, different key: still not trusted.
    TestCa lookalike = create_test_ca();
    CHECK_FALSE(verify_cades_detached(cms, digest_of(kDocument), {lookalike.certificate_der}).valid);
    CHECK_THROWS_AS(verify_cades_detached(cms, digest_of(kDocument), {Bytes{1, 2, 3}}), Error);
}

TEST_CASE("our verifier judges certificate validity at the validation time, not at the claimed signing time",
          "[signing][cades]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
    // A claimed signing time before notBefore contradicts the certificate: refused.
    Bytes early = sign_document(key, cert, HashAlgorithm::Sha256, kDocument, Clock::now() - std::chrono::hours(48));
    VerificationReport r = verify_cades_detached(early, digest_of(kDocument), anchors());
    CHECK_FALSE(r.valid);
    CHECK(r.signers.at(0).signature.ok);
    CHECK_FALSE(r.signers.at(0).signing_time.ok);
    CHECK(std::ranges::any_of(r.problems, [](const std::string& p) { return contains(p, "outside the certificate validity"); }));
    // Signed while valid, verified after expiry: a B-B signature has no proof of existence before the
    // expiry (ETSI EN 319 102-1), so it is no longer VALID, it is INDETERMINATE with the reason named.
    Bytes cms = sign_document(key, cert, HashAlgorithm::Sha256, kDocument);
    VerificationReport later =
        verify_cades_detached(cms, digest_of(kDocument), anchors(), Clock::now() + std::chrono::hours(24 * 365 * 20));
    CHECK_FALSE(later.valid);
    CHECK(later.indication == Indication::Indeterminate);
    CHECK_FALSE(later.signers.at(0).certificate_validity.ok);
    CHECK(contains(later.signers.at(0).certificate_validity.detail, "expired"));
    CHECK(contains(later.signers.at(0).certificate_validity.detail, "no proof"));
    // The CA expired too: the chain says so at the validation time.
    CHECK_FALSE(later.signers.at(0).chain.ok);
    // A signing time in the future of the validation time is rejected.
    VerificationReport past = verify_cades_detached(cms, digest_of(kDocument), anchors(), Clock::now() - std::chrono::hours(1));
    CHECK_FALSE(past.valid);
    CHECK_FALSE(past.signers.at(0).signing_time.ok);
    // Signing time after 2049 is encoded as GeneralizedTime and still parsed (and outside validity).
    Bytes y2050 = sign_document(key, cert, HashAlgorithm::Sha256, kDocument, Clock::now() + std::chrono::hours(24 * 365 * 30));
    VerificationReport far = verify_cades_detached(y2050, digest_of(kDocument), anchors(),
                                                   Clock::now() + std::chrono::hours(24 * 365 * 31));
    CHECK(far.parse.ok);
    CHECK(far.signers.at(0).signature.ok);
    CHECK_FALSE(far.signers.at(0).signing_time.ok);
    CHECK_FALSE(far.signers.at(0).certificate_validity.ok);
}

TEST_CASE("a certificate that expired in 2021 does not verify because the signature claims 2020, and openssl agrees",
          "[signing][cades][openssl]") {
    // The issue's case: the signer writes a signing time inside the (long past) validity period.
    // The CA exists since 2019, so at the claimed time everything was valid.
    test::TempDir dir;
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    using namespace std::chrono;
    static const TestCa ca = create_test_ca("qscd TEST CA since 2019 - NOT FOR PRODUCTION", sys_days(2019y / January / 1));
    CertificateProfile profile = test::alice();
    profile.not_before = sys_days(2020y / January / 1);
    profile.not_after = sys_days(2021y / January / 1);
    Bytes cert = issue_certificate(ca, key.spki(), profile);
    Bytes cms = sign_document(key, cert, HashAlgorithm::Sha256, kDocument, sys_days(2020y / June / 1));
    VerificationReport r = verify_cades_detached(cms, digest_of(kDocument), {ca.certificate_der});
    for (auto& p : r.problems) UNSCOPED_INFO(p);
    CHECK_FALSE(r.valid);
    CHECK(r.indication == Indication::Indeterminate);
    CHECK(r.signers.at(0).signing_time.ok);  // the claim itself is consistent
    CHECK(contains(r.signers.at(0).certificate_validity.detail, "expired on 2021-01-01"));

    // openssl, the independent judge, refuses it too (it validates at the current time).
    test::write_text(dir / "doc.txt", kDocument);
    test::write_file(dir / "sig.p7s", cms);
    test::write_text(dir / "ca.pem", der_to_pem(ca.certificate_der, "CERTIFICATE"));
    auto openssl = test::run("openssl cms -verify -binary -inform DER -in " + test::q(dir / "sig.p7s") + " -content " +
                             test::q(dir / "doc.txt") + " -CAfile " + test::q(dir / "ca.pem") + " -out /dev/null");
    INFO(openssl.output);
    CHECK(openssl.status != 0);
    CHECK(contains(openssl.output, "expired"));
    // At a validation time inside the validity (--at: the user's assumption), both accept.
    const auto at = sys_days(2020y / June / 2);
    VerificationReport then = verify_cades_detached(cms, digest_of(kDocument), {ca.certificate_der}, at);
    for (auto& p : then.problems) UNSCOPED_INFO(p);
    CHECK(then.valid);
    auto openssl_at = test::run("openssl cms -verify -binary -inform DER -in " + test::q(dir / "sig.p7s") + " -content " +
                                test::q(dir / "doc.txt") + " -CAfile " + test::q(dir / "ca.pem") + " -attime " +
                                std::to_string(duration_cast<seconds>(at.time_since_epoch()).count()) + " -out /dev/null");
    INFO(openssl_at.output);
    CHECK(openssl_at.status == 0);
}

TEST_CASE("create_cades_detached validates its inputs", "[signing][cades]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
    Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument));
    CadesSigner s = signer_for(key, cert);
    auto expect = [&](const CadesSigner& signer, HashAlgorithm h, ByteView d, ErrorCode code) {
        try {
            create_cades_detached(signer, h, d, Clock::now());
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == code);
        }
    };
    expect(s, HashAlgorithm::Sha384, digest, ErrorCode::InvalidArgument);  // digest length
    CadesSigner pss = s;
    pss.scheme = SignatureScheme::RsaPss;
    expect(pss, HashAlgorithm::Sha256, digest, ErrorCode::NotSupported);
    CadesSigner rsa_scheme = s;
    rsa_scheme.scheme = SignatureScheme::RsaPkcs1v15;
    expect(rsa_scheme, HashAlgorithm::Sha256, digest, ErrorCode::InvalidArgument);
    CadesSigner short_sig = s;
    short_sig.sign_digest = [](HashAlgorithm, ByteView) { return Bytes(63, 1); };
    expect(short_sig, HashAlgorithm::Sha256, digest, ErrorCode::VerificationFailed);
    CadesSigner no_cert = s;
    no_cert.certificate_der = {0x30, 0x00};
    expect(no_cert, HashAlgorithm::Sha256, digest, ErrorCode::InvalidArgument);

    // With a chain certificate embedded, openssl and we still accept.
    CadesSigner with_chain = s;
    with_chain.chain_der = {test::test_ca().certificate_der};
    Bytes cms = create_cades_detached(with_chain, HashAlgorithm::Sha256, digest, Clock::now());
    CHECK(verify_cades_detached(cms, digest_of(kDocument), anchors()).valid);
}

TEST_CASE("a prepared CadesDetachedSigner signs many documents, each verifying on its own", "[signing][cades]") {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cert = issue_certificate(test::test_ca(), key.spki(), test::alice());
    CadesSigner s = signer_for(key, cert);
    s.chain_der = {test::test_ca().certificate_der};
    const CadesDetachedSigner prepared(s);
    const std::string other = "Ich, Alice, storniere die Zwiebeln.\n";
    Bytes first = prepared.sign(HashAlgorithm::Sha256, hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument)), Clock::now());
    Bytes second = prepared.sign(HashAlgorithm::Sha256, hash_bytes(HashAlgorithm::Sha256, as_bytes(other)), Clock::now());
    CHECK(verify_cades_detached(first, digest_of(kDocument), anchors()).valid);
    CHECK(verify_cades_detached(second, digest_of(other), anchors()).valid);
    CHECK_FALSE(verify_cades_detached(second, digest_of(kDocument), anchors()).valid);

    // Certificate problems surface when preparing, digest problems when signing.
    CadesSigner bad_chain = s;
    bad_chain.chain_der = {{0x30, 0x03, 0x02, 0x01, 0x01}};
    CHECK_THROWS_AS(CadesDetachedSigner(bad_chain), Error);
    try {
        prepared.sign(HashAlgorithm::Sha384, hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument)), Clock::now());
        FAIL("accepted a SHA-256 digest as SHA-384");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
    }
}
