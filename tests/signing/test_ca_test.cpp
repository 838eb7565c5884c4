#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "qscd/error.hpp"
#include "qscd/signing/test_ca.hpp"
#include "signing_test_support.hpp"

using namespace qscd;

namespace {
bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }
}  // namespace

TEST_CASE("PEM and DER convert both ways", "[signing][test_ca]") {
    Bytes der = test::test_ca().certificate_der;
    std::string pem = der_to_pem(der, "CERTIFICATE");
    CHECK(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
    CHECK(pem.back() == '\n');
    CHECK(pem_to_der(pem) == der);
    CHECK(pem_to_der("leading text\n" + pem) == der);
    CHECK_THROWS_AS(pem_to_der("no pem here"), Error);
    CHECK_THROWS_AS(pem_to_der("-----BEGIN X-----\n!!!!\n-----END X-----\n"), Error);
}

TEST_CASE("the test CA is a self-signed CA that says TEST", "[signing][test_ca][openssl]") {
    test::TempDir dir;
    test::write_text(dir / "ca.pem", der_to_pem(test::test_ca().certificate_der, "CERTIFICATE"));
    auto text = test::run("openssl x509 -in " + test::q(dir / "ca.pem") + " -noout -text");
    REQUIRE(text.status == 0);
    INFO(text.output);
    CHECK(contains(text.output, "CN = qscd TEST Root CA - NOT FOR PRODUCTION"));
    CHECK(contains(text.output, "O = qscd TEST"));
    CHECK(contains(text.output, "CA:TRUE"));
    CHECK(contains(text.output, "Certificate Sign, CRL Sign"));
    CHECK(contains(text.output, "Subject Key Identifier"));
    CHECK(contains(text.output, "ecdsa-with-SHA256"));
    auto verify = test::run("openssl verify -CAfile " + test::q(dir / "ca.pem") + " " + test::q(dir / "ca.pem"));
    CHECK(verify.status == 0);
}

TEST_CASE("issued leaf certificates chain to the CA and carry the profile", "[signing][test_ca][openssl]") {
    test::TempDir dir;
    const TestCa& ca = test::test_ca();
    test::write_text(dir / "ca.pem", der_to_pem(ca.certificate_der, "CERTIFICATE"));
    for (KeyType type : {KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048}) {
        INFO(to_string(type));
        CertificateProfile profile = test::alice();
        profile.common_name = "Alice, \"the\" Example+1";  // RFC 4514 specials must survive
        Bytes leaf = issue_certificate(ca, test::key_of(type).spki(), profile);
        test::write_text(dir / "leaf.pem", der_to_pem(leaf, "CERTIFICATE"));
        auto text = test::run("openssl x509 -in " + test::q(dir / "leaf.pem") + " -noout -text -nameopt RFC2253");
        REQUIRE(text.status == 0);
        INFO(text.output);
        CHECK(contains(text.output, "O=qscd TEST"));
        CHECK(contains(text.output, "GN=Alice"));
        CHECK(contains(text.output, "SN=Example"));
        CHECK(contains(text.output, "serialNumber=PNOXX-1234567890"));
        CHECK(contains(text.output, "C=XX"));
        CHECK(contains(text.output, "CN=Alice\\, \\\"the\\\" Example\\+1"));
        CHECK(contains(text.output, "Non Repudiation"));
        CHECK_FALSE(contains(text.output, "Digital Signature"));
        CHECK(contains(text.output, "Authority Key Identifier"));
        CHECK(contains(text.output, "Subject Key Identifier"));
        CHECK(contains(text.output, "CA:FALSE"));
        auto verify = test::run("openssl verify -purpose smimesign -CAfile " + test::q(dir / "ca.pem") + " " +
                                test::q(dir / "leaf.pem"));
        INFO(verify.output);
        CHECK(verify.status == 0);
    }
    Bytes a = issue_certificate(ca, test::key_of(KeyType::EcP256).spki(), test::alice());
    Bytes b = issue_certificate(ca, test::key_of(KeyType::EcP256).spki(), test::alice());
    CHECK(a != b);  // random serials

    CertificateProfile none = test::alice();
    none.non_repudiation = false;
    CHECK_THROWS_AS(issue_certificate(ca, test::key_of(KeyType::EcP256).spki(), none), Error);
    CHECK_THROWS_AS(issue_certificate(ca, as_bytes("not a key"), test::alice()), Error);
}

TEST_CASE("load_or_create_test_ca persists the CA with a private key file", "[signing][test_ca]") {
    test::TempDir dir;
    TestCa first = load_or_create_test_ca(dir / "pki");
    struct stat st {};
    REQUIRE(::stat((dir / "pki" / "ca-key.pem").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    TestCa second = load_or_create_test_ca(dir / "pki");
    CHECK(second.certificate_der == first.certificate_der);
    CHECK(second.key.spki() == first.key.spki());
    // No temp files left behind.
    int files = 0;
    for (auto& entry : std::filesystem::directory_iterator(dir / "pki")) {
        (void)entry;
        ++files;
    }
    CHECK(files == 2);

    // A key that does not belong to the certificate is reported, not silently replaced.
    SoftwareKey::generate(KeyType::EcP256).save_pem(dir / "pki" / "ca-key.pem");
    try {
        load_or_create_test_ca(dir / "pki");
        FAIL("mismatched key accepted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::StateCorrupted);
    }
    std::filesystem::remove(dir / "pki" / "ca-key.pem");
    CHECK_THROWS_AS(load_or_create_test_ca(dir / "pki"), Error);
}
