// Qualified-profile test certificates (ETSI EN 319 412-2/-3/-5), the two-level test PKI, the
// QCStatements parser and the signing policy. openssl judges what we encode.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "qscd/error.hpp"
#include "qscd/signing/qc_statements.hpp"
#include "qscd/signing/test_ca.hpp"
#include "qscd/signing_policy.hpp"
#include "signing_test_support.hpp"

using namespace qscd;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

const TestPki& pki() {
    static TestPki p = create_test_pki();
    return p;
}

Bytes issue(CertificateKind kind, KeyType type = KeyType::EcP256) {
    CertificateProfile profile = kind == CertificateKind::LegalPersonSeal
                                     ? profile_for(kind, "qscd TEST Seal Organization", "", "42")
                                     : profile_for(kind, "Alice", "Example", "1234567890");
    return issue_certificate(pki().issuing, test::key_of(type).spki(), profile);
}

const Bytes& qualified_p256() {
    static Bytes cert = issue(CertificateKind::NaturalPersonQualified);
    return cert;
}

// The PolicyViolation message check_signing_policy throws, or "" when it passes.
std::string violation(const SigningPolicy& policy, ByteView cert, KeyType key, HashAlgorithm hash,
                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
    try {
        check_signing_policy(policy, cert, key, hash, now);
        return "";
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::PolicyViolation);
        return e.what();
    }
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

const PolicyFinding& finding(const std::vector<PolicyFinding>& all, const std::string& rule) {
    auto it = std::find_if(all.begin(), all.end(), [&](const PolicyFinding& f) { return f.rule == rule; });
    REQUIRE(it != all.end());
    return *it;
}

}  // namespace

TEST_CASE("OIDs encode and decode", "[signing][qualified]") {
    for (const char* oid : {kOidQcStatements, kOidQcCompliance, kOidQcTypeEsign, kOidQcpNaturalQscd, kOidTestPolicy,
                            "2.999.1", "1.2.840.113549.1.1.11"})
        CHECK(decode_oid(encode_oid(oid)) == oid);
    CHECK(encode_oid("0.4.0.1862.1.1") == Bytes{0x04, 0x00, 0x8e, 0x46, 0x01, 0x01});
    for (const char* bad : {"", "1", "3.1", "1.40", "1..2", "1.2.", "a.b", "1.2.99999999999999999999999"})
        CHECK_THROWS_AS(encode_oid(bad), Error);
    CHECK_THROWS_AS(decode_oid(Bytes{}), Error);
    CHECK_THROWS_AS(decode_oid(Bytes{0x2a, 0x86}), Error);        // truncated arc
    CHECK_THROWS_AS(decode_oid(Bytes{0x2a, 0x80, 0x01}), Error);  // leading 0x80
    CHECK_THROWS_AS(decode_oid(Bytes(20, 0xff)), Error);          // overflow, no end
}

TEST_CASE("qualified certificates carry keyUsage, policies and QCStatements that openssl reads",
          "[signing][qualified][openssl]") {
    test::TempDir dir;
    test::write_text(dir / "root.pem", der_to_pem(pki().root.certificate_der, "CERTIFICATE"));
    test::write_text(dir / "issuing.pem", der_to_pem(pki().issuing.certificate_der, "CERTIFICATE"));
    test::write_text(dir / "leaf.pem", der_to_pem(qualified_p256(), "CERTIFICATE"));

    auto text = test::run("openssl x509 -in " + test::q(dir / "leaf.pem") + " -noout -text -nameopt RFC2253");
    REQUIRE(text.status == 0);
    INFO(text.output);
    CHECK(contains(text.output, "X509v3 Key Usage: critical"));
    CHECK(contains(text.output, "Non Repudiation"));
    CHECK_FALSE(contains(text.output, "Digital Signature"));
    CHECK_FALSE(contains(text.output, "Key Encipherment"));
    CHECK(contains(text.output, "X509v3 Certificate Policies"));
    CHECK(contains(text.output, "Policy: 1.3.6.1.4.1.99999.1"));
    CHECK(contains(text.output, "Policy: 0.4.0.194112.1.2"));
    CHECK(contains(text.output, "GN=Alice"));
    CHECK(contains(text.output, "SN=Example"));
    CHECK(contains(text.output, "serialNumber=PNOXX-TEST-1234567890"));
    CHECK(contains(text.output, "CN=Alice Example (TEST)"));
    CHECK(contains(text.output, "CN=qscd TEST Qualified Issuing CA - NOT FOR PRODUCTION"));

    // The QCStatements extension value, parsed by openssl on its own.
    auto parse = test::run("openssl asn1parse -in " + test::q(dir / "leaf.pem"));
    REQUIRE(parse.status == 0);
    std::size_t at = parse.output.find("qcStatements");
    if (at == std::string::npos) at = parse.output.find("1.3.6.1.5.5.7.1.3");
    INFO(parse.output);
    REQUIRE(at != std::string::npos);
    std::size_t next_line = parse.output.find('\n', at) + 1;
    long offset = std::stol(parse.output.substr(next_line, parse.output.find(':', next_line) - next_line));
    CHECK(contains(parse.output.substr(next_line, parse.output.find('\n', next_line) - next_line), "OCTET STRING"));
    auto qc = test::run("openssl asn1parse -in " + test::q(dir / "leaf.pem") + " -strparse " + std::to_string(offset));
    REQUIRE(qc.status == 0);
    INFO(qc.output);
    CHECK(contains(qc.output, ":0.4.0.1862.1.1\n"));
    CHECK(contains(qc.output, ":0.4.0.1862.1.4\n"));
    CHECK(contains(qc.output, ":0.4.0.1862.1.6\n"));
    CHECK(contains(qc.output, ":0.4.0.1862.1.6.1\n"));
    CHECK(contains(qc.output, ":0.4.0.1862.1.5\n"));
    CHECK(contains(qc.output, "IA5STRING         :https://example.invalid/qscd-TEST-pds"));
    CHECK(contains(qc.output, "PRINTABLESTRING   :en"));

    // Chain: leaf → issuing CA → root.
    auto verify = test::run("openssl verify -purpose smimesign -CAfile " + test::q(dir / "root.pem") + " -untrusted " +
                            test::q(dir / "issuing.pem") + " " + test::q(dir / "leaf.pem"));
    INFO(verify.output);
    CHECK(verify.status == 0);
    auto ca_text = test::run("openssl x509 -in " + test::q(dir / "issuing.pem") + " -noout -text");
    CHECK(contains(ca_text.output, "CA:TRUE, pathlen:0"));
    CHECK(contains(ca_text.output, "Authority Key Identifier"));
}

TEST_CASE("legal-person seal and non-qualified certificates", "[signing][qualified][openssl]") {
    test::TempDir dir;
    Bytes seal = issue(CertificateKind::LegalPersonSeal);
    test::write_text(dir / "seal.pem", der_to_pem(seal, "CERTIFICATE"));
    auto text = test::run("openssl x509 -in " + test::q(dir / "seal.pem") + " -noout -subject -nameopt RFC2253");
    REQUIRE(text.status == 0);
    INFO(text.output);
    CHECK(contains(text.output, "O=qscd TEST Seal Organization"));
    CHECK((contains(text.output, "organizationIdentifier=NTRXX-TEST-42") || contains(text.output, "2.5.4.97=NTRXX-TEST-42")));
    CHECK(contains(text.output, "CN=qscd TEST Seal Organization (TEST)"));

    CertificateFacts f = facts_of(seal);
    CHECK(f.legal_person);
    CHECK_FALSE(f.natural_person);
    REQUIRE(f.qc);
    CHECK(f.qc->types == std::vector<std::string>{"eseal"});
    CHECK(f.policy_oids == std::vector<std::string>{kOidTestPolicy, kOidQcpLegalQscd});

    CertificateFacts n = facts_of(issue(CertificateKind::NaturalPersonNonQualified));
    REQUIRE(n.qc);
    CHECK_FALSE(n.qc->compliance);
    CHECK_FALSE(n.qc->sscd);
    CHECK(n.qc->types == std::vector<std::string>{"esign"});
    CHECK(n.policy_oids == std::vector<std::string>{kOidTestPolicy});
}

TEST_CASE("parse_qc_statements and facts_of read back what the test CA wrote", "[signing][qualified]") {
    std::optional<QcInfo> qc = parse_qc_statements(qualified_p256());
    REQUIRE(qc);
    CHECK(qc->compliance);
    CHECK(qc->sscd);
    CHECK(qc->types == std::vector<std::string>{"esign"});
    CHECK(qc->pds_urls == std::vector<std::string>{kTestPdsUrl});

    CertificateFacts f = facts_of(qualified_p256());
    CHECK(f.key_usage_present);
    CHECK(f.key_usage_critical);
    CHECK(f.non_repudiation);
    CHECK_FALSE(f.digital_signature);
    CHECK_FALSE(f.key_encipherment);
    CHECK_FALSE(f.key_cert_sign);
    CHECK(f.natural_person);
    CHECK_FALSE(f.legal_person);
    CHECK(f.policy_oids == std::vector<std::string>{kOidTestPolicy, kOidQcpNaturalQscd});
    CHECK(f.key_type == KeyType::EcP256);
    CHECK(f.key_bits == 256);
    auto now = std::chrono::system_clock::now();
    CHECK(f.not_before < now);
    CHECK(f.not_before > now - 1h);
    CHECK(f.not_after > now + 24h * 700);
    CHECK(contains(f.subject, "Alice Example (TEST)"));

    // Plain profiles (the CLI's) have no QC statements or policies; CA certificates neither.
    Bytes plain = issue_certificate(test::test_ca(), test::key_of(KeyType::EcP256).spki(), test::alice());
    std::string error;
    CHECK_FALSE(parse_qc_statements(plain, &error));
    CHECK(error.empty());
    CHECK(facts_of(plain).policy_oids.empty());
    CHECK(facts_of(pki().issuing.certificate_der).key_cert_sign);

    // Not a certificate: nullopt with a reason; facts_of throws.
    CHECK_FALSE(parse_qc_statements(as_bytes("not a certificate"), &error));
    CHECK_FALSE(error.empty());
    CHECK_THROWS_AS(facts_of(as_bytes("not a certificate")), Error);
}

TEST_CASE("malformed QCStatements never crash the parser", "[signing][qualified]") {
    Bytes good = encode_qc_statements(true, true, {"esign", "eseal"}, {{kTestPdsUrl, "en"}});
    QcInfo info = parse_qc_statements_extension(good);
    CHECK(info.types == std::vector<std::string>{"esign", "eseal"});

    auto survives = [](ByteView bytes) {
        try {
            (void)parse_qc_statements_extension(bytes);
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InvalidArgument);
            CHECK(starts_with(e.what(), "QCStatements: "));
        }
    };
    for (std::size_t n = 0; n < good.size(); ++n) survives(ByteView(good.data(), n));  // every truncation
    std::mt19937 rng(1862);
    for (int i = 0; i < 3000; ++i) {
        Bytes mutated = good;
        int flips = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < flips; ++k) mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(rng());
        survives(mutated);
    }
    survives(Bytes{0x30, 0x84, 0xff, 0xff, 0xff, 0xff});  // length far past the end
    survives(Bytes{0x30, 0x03, 0x30, 0x01, 0x06});       // OID without content room
    survives(Bytes{0x30, 0x02, 0x30, 0x00});             // statement without an id
    CHECK_THROWS_AS(parse_qc_statements_extension(Bytes{0x30, 0x00, 0x00}), Error);  // trailing bytes

    // The same damage inside a certificate: facts_of / parse_qc_statements / policy report it, never crash.
    Bytes cert = qualified_p256();
    Bytes value = encode_qc_statements(true, true, {"esign"}, {{kTestPdsUrl, "en"}});
    auto at = std::search(cert.begin(), cert.end(), value.begin(), value.end());
    REQUIRE(at != cert.end());
    std::size_t start = static_cast<std::size_t>(at - cert.begin());
    int rejected = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        Bytes damaged = cert;
        damaged[start + i] ^= 0x5a;
        std::string error;
        if (!parse_qc_statements(damaged, &error) && !error.empty()) ++rejected;
        auto findings = evaluate_signing_policy(SigningPolicy::for_level(SignatureLevel::Qes), damaged, KeyType::EcP256,
                                                HashAlgorithm::Sha256);
        CHECK(findings.size() == 10);
    }
    CHECK(rejected > 0);
    Bytes damaged = cert;
    damaged[start + 1] ^= 0x5a;  // outer SEQUENCE length
    CHECK_THROWS_AS(facts_of(damaged), Error);
    CHECK(starts_with(violation(SigningPolicy::for_level(SignatureLevel::Qes), damaged, KeyType::EcP256,
                                HashAlgorithm::Sha256),
                      "certificate readable: "));
}

TEST_CASE("signing policy: a qualified certificate passes every QES rule", "[signing][qualified][policy]") {
    SigningPolicy qes = SigningPolicy::for_level(SignatureLevel::Qes);
    CHECK(qes.require_qc_compliance);
    CHECK(qes.require_qc_sscd);
    CHECK(qes.require_non_repudiation);
    CHECK(qes.require_natural_person);
    CHECK(qes.require_valid_now);
    CHECK(violation(qes, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256).empty());
    auto findings = evaluate_signing_policy(qes, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256);
    std::vector<std::string> rules;
    for (const auto& f : findings) {
        INFO(f.rule << ": " << f.detail);
        CHECK(f.passed);
        CHECK(f.required);
        rules.push_back(f.rule);
    }
    CHECK(rules == std::vector<std::string>{"certificate readable", "key type allowed", "key matches certificate",
                                            "key strength", "hash allowed", "valid now", "non-repudiation",
                                            "qc compliance", "qc sscd", "natural person"});

    // P-384 with SHA-384 and RSA-2048 are inside the TS 119 312 floor.
    CHECK(violation(qes, issue(CertificateKind::NaturalPersonQualified, KeyType::EcP384), KeyType::EcP384,
                    HashAlgorithm::Sha384)
              .empty());
    CHECK(violation(qes, issue(CertificateKind::NaturalPersonQualified, KeyType::Rsa2048), KeyType::Rsa2048,
                    HashAlgorithm::Sha256)
              .empty());
}

TEST_CASE("signing policy: every rule refuses what it should", "[signing][qualified][policy]") {
    const SigningPolicy qes = SigningPolicy::for_level(SignatureLevel::Qes);
    const SigningPolicy ades = SigningPolicy::for_level(SignatureLevel::Ades);
    const SigningPolicy basic = SigningPolicy::for_level(SignatureLevel::Basic);
    const auto now = std::chrono::system_clock::now();

    SECTION("certificate readable") {
        CHECK(starts_with(violation(basic, as_bytes("garbage"), KeyType::EcP256, HashAlgorithm::Sha256),
                          "certificate readable: "));
    }
    SECTION("qc compliance: a non-qualified certificate is not enough for QES, fine for AdES") {
        Bytes cert = issue(CertificateKind::NaturalPersonNonQualified);
        CHECK(starts_with(violation(qes, cert, KeyType::EcP256, HashAlgorithm::Sha256), "qc compliance: "));
        CHECK(violation(ades, cert, KeyType::EcP256, HashAlgorithm::Sha256).empty());
        // A certificate without any QCStatements fails the same rule.
        Bytes plain = issue_certificate(pki().issuing, test::key_of(KeyType::EcP256).spki(), test::alice());
        CHECK(starts_with(violation(qes, plain, KeyType::EcP256, HashAlgorithm::Sha256), "qc compliance: "));
    }
    SECTION("qc sscd: QcCompliance without QcSSCD is refused for QES") {
        CertificateProfile p = profile_for(CertificateKind::NaturalPersonQualified, "Alice", "Example");
        p.qc_statements->sscd = false;
        Bytes cert = issue_certificate(pki().issuing, test::key_of(KeyType::EcP256).spki(), p);
        CHECK(starts_with(violation(qes, cert, KeyType::EcP256, HashAlgorithm::Sha256), "qc sscd: "));
        SigningPolicy relaxed = qes;
        relaxed.require_qc_sscd = false;
        CHECK(violation(relaxed, cert, KeyType::EcP256, HashAlgorithm::Sha256).empty());
    }
    SECTION("natural person: a legal-person seal is refused for QES, accepted for AdES") {
        Bytes seal = issue(CertificateKind::LegalPersonSeal);
        std::string v = violation(qes, seal, KeyType::EcP256, HashAlgorithm::Sha256);
        CHECK(starts_with(v, "natural person: "));
        CHECK(contains(v, "legal person"));
        CHECK(violation(ades, seal, KeyType::EcP256, HashAlgorithm::Sha256).empty());
    }
    SECTION("non-repudiation: a digitalSignature-only certificate is refused for QES and AdES") {
        CertificateProfile p = profile_for(CertificateKind::NaturalPersonQualified, "Alice", "Example");
        p.non_repudiation = false;
        p.digital_signature = true;
        Bytes cert = issue_certificate(pki().issuing, test::key_of(KeyType::EcP256).spki(), p);
        CHECK(starts_with(violation(qes, cert, KeyType::EcP256, HashAlgorithm::Sha256), "non-repudiation: "));
        CHECK(starts_with(violation(ades, cert, KeyType::EcP256, HashAlgorithm::Sha256), "non-repudiation: "));
        CHECK(violation(basic, cert, KeyType::EcP256, HashAlgorithm::Sha256).empty());
    }
    SECTION("valid now: expired and not-yet-valid certificates") {
        std::string expired = violation(qes, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256, now + 24h * 800);
        CHECK(starts_with(expired, "valid now: expired at "));
        std::string early = violation(qes, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256, now - 24h);
        CHECK(starts_with(early, "valid now: not valid before "));
        SigningPolicy lax = qes;
        lax.require_valid_now = false;
        CHECK(violation(lax, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256, now + 24h * 800).empty());
        auto findings = evaluate_signing_policy(lax, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256, now + 24h * 800);
        CHECK_FALSE(finding(findings, "valid now").required);
        CHECK_FALSE(finding(findings, "valid now").passed);  // still reported
    }
    SECTION("key type allowed / key matches certificate") {
        SigningPolicy p384_only = qes;
        p384_only.allowed_keys = {KeyType::EcP384};
        CHECK(starts_with(violation(p384_only, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256),
                          "key type allowed: "));
        CHECK(starts_with(violation(qes, qualified_p256(), KeyType::EcP384, HashAlgorithm::Sha384),
                          "key matches certificate: "));
    }
    SECTION("hash allowed: a hash outside the allowed list (SHA-1 style refusal)") {
        SigningPolicy strong = qes;
        strong.allowed_hashes = {HashAlgorithm::Sha384, HashAlgorithm::Sha512};
        CHECK(starts_with(violation(strong, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha256), "hash allowed: "));
        CHECK(violation(strong, qualified_p256(), KeyType::EcP256, HashAlgorithm::Sha384).empty());
    }
    SECTION("key strength: an RSA-1024 certificate is below the floor at every level") {
        test::TempDir dir;
        auto gen = test::run("openssl req -x509 -newkey rsa:1024 -nodes -keyout " + test::q(dir / "k.pem") + " -out " +
                             test::q(dir / "c.pem") +
                             " -days 2 -subj '/C=XX/O=qscd TEST/CN=RSA-1024 (TEST)' -addext 'keyUsage=critical,nonRepudiation'");
        INFO(gen.output);
        REQUIRE(gen.status == 0);
        Bytes pem = test::read_all(dir / "c.pem");
        Bytes cert = pem_to_der(std::string_view(reinterpret_cast<const char*>(pem.data()), pem.size()));
        CertificateFacts f = facts_of(cert);
        CHECK(f.rsa);
        CHECK(f.key_bits == 1024);
        CHECK_FALSE(f.key_type);
        std::string v = violation(basic, cert, KeyType::Rsa2048, HashAlgorithm::Sha256);
        CHECK(starts_with(v, "key type allowed: "));
        CHECK(contains(v, "RSA-1024"));
        auto findings = evaluate_signing_policy(basic, cert, KeyType::Rsa2048, HashAlgorithm::Sha256);
        CHECK_FALSE(finding(findings, "key strength").passed);
        CHECK_FALSE(finding(findings, "key matches certificate").passed);
        CHECK(finding(findings, "certificate readable").passed);
    }
}

TEST_CASE("load_or_create_test_pki persists a root and an issuing CA", "[signing][qualified][test_ca]") {
    test::TempDir dir;
    TestPki first = load_or_create_test_pki(dir / "pki");
    TestPki second = load_or_create_test_pki(dir / "pki");
    CHECK(second.root.certificate_der == first.root.certificate_der);
    CHECK(second.issuing.certificate_der == first.issuing.certificate_der);
    CHECK(second.issuing.key.spki() == first.issuing.key.spki());
    for (const char* key : {"root-key.pem", "issuing-key.pem"}) {
        struct stat st {};
        REQUIRE(::stat((dir / "pki" / key).c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
    int files = 0;
    for (auto& entry : std::filesystem::directory_iterator(dir / "pki")) {
        (void)entry;
        ++files;
    }
    CHECK(files == 7);  // root.pem, root-key.pem, issuing.pem, issuing-key.pem, two CRLs, revocations: no temp files
    CHECK(contains(facts_of(first.root.certificate_der).subject, "NOT FOR PRODUCTION"));
    CHECK(contains(facts_of(first.issuing.certificate_der).subject, "NOT FOR PRODUCTION"));

    // An issuing CA from another root is reported, not silently replaced.
    TestPki other = create_test_pki();
    test::write_text(dir / "pki" / "issuing.pem", der_to_pem(other.issuing.certificate_der, "CERTIFICATE"));
    other.issuing.key.save_pem(dir / "pki" / "issuing-key.pem");
    try {
        load_or_create_test_pki(dir / "pki");
        FAIL("foreign issuing CA accepted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::StateCorrupted);
    }
    std::filesystem::remove(dir / "pki" / "issuing-key.pem");
    CHECK_THROWS_AS(load_or_create_test_pki(dir / "pki"), Error);
    std::filesystem::remove(dir / "pki" / "root.pem");
    std::filesystem::remove(dir / "pki" / "root-key.pem");
    CHECK_THROWS_AS(load_or_create_test_pki(dir / "pki"), Error);  // issuing.pem without its root
}
