// Revocation (RFC 5280 §5 CRLs written by the test PKI, §6.3 checking in the verifier) and the signer
// certificate's key usage / extended key usage (RFC 5280 §4.2.1.3, §4.2.1.12).
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

const std::string kDocument = "Ich, Alice, widerrufe nichts.\n";

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::function<Bytes(HashAlgorithm)> digest_of(const std::string& doc) {
    return [doc](HashAlgorithm h) { return hash_bytes(h, as_bytes(doc)); };
}

const TestPki& pki() {
    static TestPki p = create_test_pki();
    return p;
}

struct Signed {
    Bytes certificate;
    Bytes cms;
};

Signed sign_with(const CertificateProfile& profile) {
    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    Bytes cert = issue_certificate(pki().issuing, key.spki(), profile);
    CadesSigner signer{cert, {pki().issuing.certificate_der}, key.scheme(),
                       [&key](HashAlgorithm h, ByteView d) { return key.sign(h, d); }};
    return {cert, create_cades_detached(signer, HashAlgorithm::Sha256, hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument)),
                                        Clock::now())};
}

VerificationReport verify(const Bytes& cms, std::vector<Bytes> crls, Clock::time_point at = Clock::now()) {
    return verify_cades(cms, digest_of(kDocument), VerificationOptions{{pki().root.certificate_der}, std::move(crls), at});
}

Bytes crl(const TestCa& ca, std::vector<Revocation> revoked, Clock::time_point this_update = Clock::now() - std::chrono::minutes(1),
          Clock::time_point next_update = Clock::now() + std::chrono::hours(24)) {
    return issue_crl(ca, revoked, 1, this_update, next_update);
}

}  // namespace

TEST_CASE("issue_crl writes a v2 CRL that openssl reads: CRL number, authority key id, reason code", "[signing][crl][openssl]") {
    test::TempDir dir;
    const Bytes serial = {0x12, 0x34, 0x56};
    const Bytes der = issue_crl(pki().issuing, {{serial, Clock::now(), RevocationReason::KeyCompromise}, {Bytes{0x07}, Clock::now(), RevocationReason::Unspecified}},
                                42, Clock::now(), Clock::now() + std::chrono::hours(24));
    test::write_file(dir / "ca.crl", der);
    test::write_text(dir / "issuing.pem", der_to_pem(pki().issuing.certificate_der, "CERTIFICATE"));
    auto text = test::run("openssl crl -inform DER -in " + test::q(dir / "ca.crl") + " -noout -text -CAfile " + test::q(dir / "issuing.pem"));
    INFO(text.output);
    CHECK(text.status == 0);
    CHECK(contains(text.output, "verify OK"));
    CHECK(contains(text.output, "Version 2"));
    CHECK(contains(text.output, "X509v3 CRL Number"));
    CHECK(contains(text.output, "42"));
    CHECK(contains(text.output, "X509v3 Authority Key Identifier"));
    CHECK(contains(text.output, "Serial Number: 123456"));
    CHECK(contains(text.output, "Key Compromise"));
    CHECK(contains(text.output, "Serial Number: 07"));
    CHECK(is_readable_crl(der));
    CHECK_FALSE(is_readable_crl(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}));
}

TEST_CASE("a revoked signer certificate is INVALID with the reason and date — without a CRL it is never checked",
          "[signing][crl]") {
    Signed s = sign_with(profile_for(CertificateKind::NaturalPersonQualified, "Alice", "Example"));
    const Bytes root_crl = crl(pki().root, {});

    // Current CRLs for both levels, nothing revoked: checked.
    VerificationReport clean = verify(s.cms, {crl(pki().issuing, {}), root_crl});
    for (auto& p : clean.problems) UNSCOPED_INFO(p);
    CHECK(clean.valid);
    CHECK(clean.signers.at(0).revocation_checked);

    // Only the issuing CA's CRL: the intermediate's status is unknown, so not fully checked (but valid).
    VerificationReport partial = verify(s.cms, {crl(pki().issuing, {})});
    CHECK(partial.valid);
    CHECK_FALSE(partial.signers.at(0).revocation_checked);
    CHECK(contains(partial.signers.at(0).revocation.detail, "Qualified Issuing CA"));

    // No CRL at all: valid, not checked.
    VerificationReport none = verify(s.cms, {});
    CHECK(none.valid);
    CHECK_FALSE(none.signers.at(0).revocation_checked);
    CHECK(contains(none.signers.at(0).revocation.detail, "not checked"));

    // Revoked an hour ago.
    const auto when = Clock::now() - std::chrono::hours(1);
    VerificationReport revoked =
        verify(s.cms, {crl(pki().issuing, {{serial_of(s.certificate), when, RevocationReason::KeyCompromise}}), root_crl});
    CHECK_FALSE(revoked.valid);
    CHECK(revoked.indication == Indication::Invalid);
    CHECK_FALSE(revoked.signers.at(0).revocation.ok);
    CHECK(contains(revoked.signers.at(0).revocation.detail, "revoked on"));
    CHECK(contains(revoked.signers.at(0).revocation.detail, "keyCompromise"));

    // Validated at a time before the revocation (--at): not revoked then.
    VerificationReport before = verify(
        s.cms, {crl(pki().issuing, {{serial_of(s.certificate), Clock::now() + std::chrono::hours(2), RevocationReason::Superseded}}), root_crl},
        Clock::now() + std::chrono::hours(1));
    for (auto& p : before.problems) UNSCOPED_INFO(p);
    CHECK(before.valid);
    CHECK(contains(before.signers.at(0).revocation.detail, "after the validation time"));

    // The intermediate revoked on the root's CRL: every signature below it is revoked.
    VerificationReport ca_revoked = verify(
        s.cms, {crl(pki().issuing, {}), crl(pki().root, {{serial_of(pki().issuing.certificate_der), when, RevocationReason::CaCompromise}})});
    CHECK_FALSE(ca_revoked.valid);
    CHECK(contains(ca_revoked.signers.at(0).revocation.detail, "cACompromise"));
}

TEST_CASE("a CRL not signed by the issuing CA, or out of date, is not believed", "[signing][crl]") {
    Signed s = sign_with(profile_for(CertificateKind::NaturalPersonQualified, "Alice", "Example"));
    const Bytes root_crl = crl(pki().root, {});
    // Same issuer name, other key (a forged CRL that would hide a revocation): status unknown, not VALID.
    TestPki other = create_test_pki();
    VerificationReport forged = verify(s.cms, {crl(other.issuing, {}), root_crl});
    CHECK_FALSE(forged.valid);
    CHECK(forged.indication == Indication::Indeterminate);
    CHECK(contains(forged.signers.at(0).revocation.detail, "not signed by that CA"));
    // nextUpdate passed.
    VerificationReport stale = verify(s.cms, {crl(pki().issuing, {}, Clock::now() - std::chrono::hours(48),
                                                  Clock::now() - std::chrono::hours(24)),
                                              root_crl});
    CHECK_FALSE(stale.valid);
    CHECK(stale.indication == Indication::Indeterminate);
    CHECK(contains(stale.signers.at(0).revocation.detail, "out of date"));
    // A current CRL next to the stale one is used.
    VerificationReport both = verify(s.cms, {crl(pki().issuing, {}, Clock::now() - std::chrono::hours(48), Clock::now() - std::chrono::hours(24)),
                                             crl(pki().issuing, {}), root_crl});
    CHECK(both.valid);
    CHECK(both.signers.at(0).revocation_checked);
    // Unreadable CRL bytes are the caller's error.
    CHECK_THROWS_AS(verify(s.cms, {Bytes{1, 2, 3}}), Error);
}

TEST_CASE("the test PKI keeps current CRLs and persists revocations", "[signing][crl][test_ca]") {
    test::TempDir dir;
    const TestPki created = load_or_create_test_pki(dir / "pki");
    Bytes issuing_crl = test::read_all(dir / "pki" / kIssuingCrlFile);
    REQUIRE(is_readable_crl(issuing_crl));
    REQUIRE(is_readable_crl(test::read_all(dir / "pki" / kRootCrlFile)));

    const SoftwareKey& key = test::key_of(KeyType::EcP256);
    const Bytes leaf = issue_certificate(created.issuing, key.spki(), test::alice());
    RevokeResult r = revoke_in_test_pki(dir / "pki", serial_of(leaf), RevocationReason::AffiliationChanged);
    CHECK(r.issuer == "issuing");
    CHECK(r.crl == dir / "pki" / kIssuingCrlFile);
    CHECK(test::read_all(dir / "pki" / kIssuingCrlFile) != issuing_crl);
    // Persisted: a reload (and a later refresh) keeps it, and a second revocation is refused.
    (void)load_or_create_test_pki(dir / "pki");
    refresh_test_pki_crls(dir / "pki", created);
    const std::string record = [&] {
        Bytes b = test::read_all(dir / "pki" / kRevocationsFile);
        return std::string(b.begin(), b.end());
    }();
    CHECK(contains(record, "revoked issuing " + to_hex(serial_of(leaf), "")));
    CHECK(contains(record, "affiliationChanged"));
    CHECK(contains(record, "crl-number 3"));  // creation, revocation, refresh
    try {
        revoke_in_test_pki(dir / "pki", serial_of(leaf), RevocationReason::KeyCompromise);
        FAIL("revoked twice");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
        CHECK(contains(e.what(), "already revoked"));
    }
    CHECK_THROWS_AS(revoke_in_test_pki(dir / "pki", serial_of(created.root.certificate_der), RevocationReason::Unspecified), Error);
    CHECK(revoke_in_test_pki(dir / "pki", serial_of(created.issuing.certificate_der), RevocationReason::CaCompromise).issuer == "root");

    // The CRLs on disk make the verifier refuse the leaf.
    CadesSigner signer{leaf, {created.issuing.certificate_der}, key.scheme(),
                       [&key](HashAlgorithm h, ByteView d) { return key.sign(h, d); }};
    Bytes cms = create_cades_detached(signer, HashAlgorithm::Sha256, hash_bytes(HashAlgorithm::Sha256, as_bytes(kDocument)), Clock::now());
    VerificationReport v = verify_cades(cms, digest_of(kDocument),
                                        VerificationOptions{{created.root.certificate_der},
                                                            {test::read_all(dir / "pki" / kIssuingCrlFile),
                                                             test::read_all(dir / "pki" / kRootCrlFile)},
                                                            Clock::now()});
    CHECK_FALSE(v.valid);
    CHECK(contains(v.signers.at(0).revocation.detail, "affiliationChanged"));

    // A corrupt revocation record is reported, not rewritten.
    test::write_text(dir / "pki" / kRevocationsFile, "revoked nobody\n");
    CHECK_THROWS_AS(revoke_in_test_pki(dir / "pki", Bytes{0x01}, RevocationReason::Unspecified), Error);
    Bytes after = test::read_all(dir / "pki" / kRevocationsFile);
    CHECK(std::string(after.begin(), after.end()) == "revoked nobody\n");
}

TEST_CASE("key usage and purpose of the signer certificate", "[signing][keyusage]") {
    CertificateProfile base = profile_for(CertificateKind::NaturalPersonQualified, "Alice", "Example");

    // Extended key usage for TLS only: refused, the purposes named.
    CertificateProfile tls = base;
    tls.extended_key_usage = {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"};
    VerificationReport r = verify(sign_with(tls).cms, {});
    CHECK_FALSE(r.valid);
    CHECK(r.indication == Indication::Invalid);
    CHECK(contains(r.signers.at(0).key_usage.detail, "excludes signing documents"));
    CHECK(contains(r.signers.at(0).key_usage.detail, "TLS Web Server Authentication"));

    // Document-signing purposes are accepted (RFC 9336 documentSigning, S/MIME, any).
    for (const char* purpose : {"1.3.6.1.5.5.7.3.36", "1.3.6.1.5.5.7.3.4", "2.5.29.37.0"}) {
        INFO(purpose);
        CertificateProfile doc = base;
        doc.extended_key_usage = {"1.3.6.1.5.5.7.3.1", purpose};
        VerificationReport ok = verify(sign_with(doc).cms, {});
        for (auto& p : ok.problems) UNSCOPED_INFO(p);
        CHECK(ok.valid);
    }

    // digitalSignature alone is enough for a valid signature.
    CertificateProfile ds = base;
    ds.non_repudiation = false;
    ds.digital_signature = true;
    VerificationReport ds_report = verify(sign_with(ds).cms, {});
    CHECK(ds_report.valid);
    CHECK(ds_report.signers.at(0).key_usage_extension);

    // No keyUsage extension at all: valid (RFC 5280 allows any use) but flagged, so never QES.
    CertificateProfile none = base;
    none.key_usage_extension = false;
    VerificationReport none_report = verify(sign_with(none).cms, {});
    CHECK(none_report.valid);
    CHECK_FALSE(none_report.signers.at(0).key_usage_extension);
    CHECK(contains(none_report.signers.at(0).key_usage.detail, "no keyUsage extension"));
}
