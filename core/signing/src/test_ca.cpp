// Test CA and leaf certificates via mbedtls_x509write_crt (RFC 5280 profile).
#include "qscd/signing/test_ca.hpp"

#include <mbedtls/x509_crt.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include <mbedtls/x509_crl.h>

#include "atomic_file.hpp"
#include "der.hpp"
#include "mbedtls_glue.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd {
namespace {

// Escapes an attribute value for mbedtls_x509_string_to_names (RFC 4514 special characters).
std::string escape_dn_value(std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '=' ||
            (c == '#' && i == 0) || (c == ' ' && (i == 0 || i + 1 == value.size())))
            out += '\\';
        out += c;
    }
    return out;
}

void add_rdn(std::string& dn, std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (!dn.empty()) dn += ',';
    dn += key;
    dn += '=';
    dn += escape_dn_value(value);
}

// mbedtls validity format YYYYMMDDhhmmss (UTC).
std::string validity_time(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

Bytes random_serial() {
    Bytes serial(16);
    random_bytes(serial);
    serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7f) | 0x40);  // positive, no leading zero (RFC 5280 §4.1.2.2)
    return serial;
}

struct RawExtension {
    Bytes oid;  // DER content octets
    bool critical;
    Bytes value;
};

struct CertRequest {
    std::string subject;
    std::string issuer;
    mbedtls_pk_context* subject_key;
    mbedtls_pk_context* issuer_key;
    HashAlgorithm hash;
    int validity_days;
    bool ca;
    unsigned key_usage;
    int max_path_len = -1;
    std::vector<RawExtension> extensions = {};
    std::optional<std::chrono::system_clock::time_point> not_before = {};
    std::optional<std::chrono::system_clock::time_point> not_after = {};
};

Bytes write_certificate(const CertRequest& req) {
    mbedtls_x509write_cert crt;
    mbedtls_x509write_crt_init(&crt);
    struct Guard {
        mbedtls_x509write_cert* c;
        ~Guard() { mbedtls_x509write_crt_free(c); }
    } guard{&crt};
    auto now = std::chrono::system_clock::now();
    Bytes serial = random_serial();
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, glue::md_type(req.hash));
    mbedtls_x509write_crt_set_subject_key(&crt, req.subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, req.issuer_key);
    if (mbedtls_x509write_crt_set_subject_name(&crt, req.subject.c_str()) != 0)
        throw Error(ErrorCode::InvalidArgument, "certificate subject not encodable: " + req.subject);
    glue::check(mbedtls_x509write_crt_set_issuer_name(&crt, req.issuer.c_str()), "setting certificate issuer");
    glue::check(mbedtls_x509write_crt_set_serial_raw(&crt, serial.data(), serial.size()), "setting serial number");
    // 5 minutes back-dated so a freshly issued certificate is valid on hosts with slightly slow clocks.
    auto not_before = req.not_before.value_or(now - std::chrono::minutes(5));
    auto not_after = req.not_after.value_or(now + std::chrono::hours(24) * req.validity_days);
    glue::check(mbedtls_x509write_crt_set_validity(&crt, validity_time(not_before).c_str(),
                                                   validity_time(not_after).c_str()),
                "setting validity");
    glue::check(mbedtls_x509write_crt_set_basic_constraints(&crt, req.ca ? 1 : 0, req.max_path_len),
                "setting basicConstraints");
    if (req.key_usage != 0) glue::check(mbedtls_x509write_crt_set_key_usage(&crt, req.key_usage), "setting keyUsage");
    glue::check(mbedtls_x509write_crt_set_subject_key_identifier(&crt), "setting subjectKeyIdentifier");
    if (req.subject_key != req.issuer_key)  // all but self-signed roots
        glue::check(mbedtls_x509write_crt_set_authority_key_identifier(&crt), "setting authorityKeyIdentifier");
    for (const auto& ext : req.extensions)
        glue::check(mbedtls_x509write_crt_set_extension(&crt, reinterpret_cast<const char*>(ext.oid.data()),
                                                        ext.oid.size(), ext.critical ? 1 : 0, ext.value.data(),
                                                        ext.value.size()),
                    "adding certificate extension");
    Bytes buf(8192);
    int len = mbedtls_x509write_crt_der(&crt, buf.data(), buf.size(), glue::rng, glue::rng_context());
    if (len < 0) glue::fail(len, "writing certificate");
    return Bytes(buf.end() - len, buf.end());
}

std::string subject_string(const mbedtls_x509_crt& crt) {
    char buf[1024];
    int n = mbedtls_x509_dn_gets(buf, sizeof buf, &crt.subject);
    if (n < 0) glue::fail(n, "formatting certificate subject");
    return buf;
}

// organizationIdentifier has no short name in mbedTLS: numeric OID with a hex DER UTF8String value.
void add_rdn_hex_utf8(std::string& dn, std::string_view oid, std::string_view value) {
    if (value.empty()) return;
    if (value.size() > 127) throw Error(ErrorCode::InvalidArgument, "subject attribute too long");
    Bytes der{0x0c, static_cast<std::uint8_t>(value.size())};
    der.insert(der.end(), value.begin(), value.end());
    if (!dn.empty()) dn += ',';
    dn += oid;
    dn += "=#";
    dn += to_hex(der, "");
}

void check_pair(const Bytes& der, const SoftwareKey& key, const std::filesystem::path& cert_path,
                const std::filesystem::path& key_path) {
    glue::Crt crt;
    glue::parse_certificate(crt, der, cert_path.string());
    if (mbedtls_pk_check_pair(&crt.ctx.pk, &glue::native_pk(key), glue::rng, glue::rng_context()) != 0)
        throw Error(ErrorCode::StateCorrupted, key_path.string() + " does not match " + cert_path.string());
}

// Reads cert + key written by save_ca; nullopt if the certificate does not exist.
std::optional<TestCa> load_ca(const std::filesystem::path& cert_path, const std::filesystem::path& key_path) {
    if (!std::filesystem::exists(cert_path)) return std::nullopt;
    if (!std::filesystem::exists(key_path))
        throw Error(ErrorCode::StateCorrupted, cert_path.string() + " exists without its key " + key_path.string());
    Bytes pem = read_file(cert_path);
    Bytes der;
    try {
        der = pem_to_der(std::string_view(reinterpret_cast<const char*>(pem.data()), pem.size()));
    } catch (const Error&) {
        throw Error(ErrorCode::StateCorrupted, cert_path.string() + ": not a PEM certificate");
    }
    SoftwareKey key = SoftwareKey::load_pem(key_path);
    check_pair(der, key, cert_path, key_path);
    return TestCa{std::move(der), std::move(key)};
}

void save_ca(const TestCa& ca, const std::filesystem::path& cert_path, const std::filesystem::path& key_path) {
    ca.key.save_pem(key_path);
    std::string cert_pem = der_to_pem(ca.certificate_der, "CERTIFICATE");
    write_file_atomic(cert_path, as_bytes(cert_pem), 0644);
}

}  // namespace

TestCa create_test_ca(std::string common_name, std::optional<std::chrono::system_clock::time_point> not_before) {
    SoftwareKey key = SoftwareKey::generate(KeyType::EcP256);
    std::string dn;
    add_rdn(dn, "C", "XX");
    add_rdn(dn, "O", kTestOrganization);
    add_rdn(dn, "CN", common_name);
    CertRequest req{dn, dn, &glue::native_pk(key), &glue::native_pk(key), HashAlgorithm::Sha256, 3653, true,
                    MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN};
    if (not_before) {
        req.not_before = *not_before;
        req.not_after = *not_before + std::chrono::hours(24) * req.validity_days;
    }
    Bytes cert = write_certificate(req);
    return TestCa{std::move(cert), std::move(key)};
}

TestCa load_or_create_test_ca(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(ErrorCode::IoError, "cannot create " + dir.string() + ": " + ec.message());
    const auto cert_path = dir / "ca.pem";
    const auto key_path = dir / "ca-key.pem";
    if (auto existing = load_ca(cert_path, key_path)) return std::move(*existing);
    // Key first, certificate last (save_ca): the certificate's presence marks a complete CA, so an
    // interrupted creation (key only) is simply redone.
    TestCa ca = create_test_ca();
    save_ca(ca, cert_path, key_path);
    return ca;
}

TestPki create_test_pki() {
    TestCa root = create_test_ca(kTestRootCaCommonName);
    SoftwareKey key = SoftwareKey::generate(KeyType::EcP256);
    glue::Crt root_crt;
    glue::parse_certificate(root_crt, root.certificate_der, "test root CA certificate");
    std::string dn;
    add_rdn(dn, "C", "XX");
    add_rdn(dn, "O", kTestOrganization);
    add_rdn(dn, "CN", kTestIssuingCaCommonName);
    CertRequest req{dn, subject_string(root_crt.ctx), &glue::native_pk(key), &glue::native_pk(root.key),
                    HashAlgorithm::Sha256, 3652, true, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN, 0};
    Bytes cert = write_certificate(req);
    return TestPki{std::move(root), TestCa{std::move(cert), std::move(key)}};
}

namespace {

// ---- CRLs (RFC 5280 §5) and the revocation record of the test PKI ----

constexpr std::uint8_t kBitString = 0x03, kEnumerated = 0x0a;
const Bytes kOidAuthorityKeyIdentifier = {0x55, 0x1d, 0x23};  // 2.5.29.35
const Bytes kOidCrlNumber = {0x55, 0x1d, 0x14};               // 2.5.29.20
const Bytes kOidReasonCode = {0x55, 0x1d, 0x15};              // 2.5.29.21

// INTEGER content octets for a non-negative value (X.690 §8.3: minimal, positive).
Bytes unsigned_integer(std::uint64_t v) {
    Bytes out;
    do {
        out.insert(out.begin(), static_cast<std::uint8_t>(v & 0xff));
        v >>= 8;
    } while (v != 0);
    if (out.front() & 0x80) out.insert(out.begin(), 0x00);
    return out;
}

Bytes extension(ByteView oid, ByteView value) {
    return der::seq({der::tlv(der::kOid, oid), der::tlv(der::kOctetString, value)});
}

// Serial number INTEGER content in its canonical form: no redundant leading zero, positive.
Bytes canonical_serial(ByteView serial) {
    Bytes out(serial.begin(), serial.end());
    while (out.size() > 1 && out[0] == 0x00 && !(out[1] & 0x80)) out.erase(out.begin());
    if (!out.empty() && (out[0] & 0x80)) out.insert(out.begin(), 0x00);
    return out;
}

Bytes serial_of(const Bytes& certificate_der) {
    glue::Crt crt;
    glue::parse_certificate(crt, certificate_der, "test CA certificate");
    return canonical_serial({crt.ctx.serial.p, crt.ctx.serial.len});
}

// GeneralizedTime text, YYYYMMDDhhmmssZ (UTC).
std::string generalized(std::chrono::system_clock::time_point t) { return validity_time(t) + "Z"; }

// dir/revocations: "crl-number N" then one "revoked root|issuing SERIALHEX YYYYMMDDhhmmssZ reason" per
// revocation. Plain text, so a person can read what the test PKI has revoked.
struct RevocationRecord {
    std::uint64_t crl_number = 0;
    std::vector<Revocation> by_root;     // certificates the root issued (the issuing CA)
    std::vector<Revocation> by_issuing;  // leaves
};

RevocationRecord load_revocations(const std::filesystem::path& path) {
    RevocationRecord record;
    if (!std::filesystem::exists(path)) return record;
    const Bytes raw = read_file(path);
    std::istringstream in(std::string(raw.begin(), raw.end()));
    std::string line;
    int number = 0;
    auto corrupt = [&](const std::string& why) {
        return Error(ErrorCode::StateCorrupted, path.string() + " line " + std::to_string(number) + ": " + why);
    };
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        std::istringstream words(line);
        std::string kind, ca, serial_hex, date, reason;
        words >> kind;
        if (kind == "crl-number") {
            if (!(words >> record.crl_number)) throw corrupt("bad crl-number");
            continue;
        }
        if (kind != "revoked" || !(words >> ca >> serial_hex >> date >> reason) || (ca != "root" && ca != "issuing"))
            throw corrupt("expected \"revoked root|issuing SERIAL TIME REASON\"");
        auto serial = from_hex(serial_hex);
        auto when = der::parse_time(der::kGeneralizedTime, as_bytes(date));
        auto why = revocation_reason_from_string(reason);
        if (!serial || serial->empty() || !when || !why) throw corrupt("bad serial, time or reason");
        (ca == "root" ? record.by_root : record.by_issuing).push_back(Revocation{canonical_serial(*serial), *when, *why});
    }
    return record;
}

void save_revocations(const std::filesystem::path& path, const RevocationRecord& record) {
    std::string text = "# qscd TEST PKI revocations: revoked <CA> <serial> <revocation time> <reason>\n";
    text += "crl-number " + std::to_string(record.crl_number) + "\n";
    for (const auto& [ca, list] : {std::pair{"root", &record.by_root}, std::pair{"issuing", &record.by_issuing}})
        for (const Revocation& r : *list)
            text += std::string("revoked ") + ca + " " + to_hex(r.serial, "") + " " + generalized(r.date) + " " +
                    to_string(r.reason) + "\n";
    write_file_atomic(path, as_bytes(text), 0644);
}

// True if a CRL is missing, unreadable, or past half of its lifetime (so it is renewed well before
// its nextUpdate).
bool crls_need_refresh(const std::filesystem::path& dir) {
    for (const char* name : {kIssuingCrlFile, kRootCrlFile}) {
        const auto path = dir / name;
        if (!std::filesystem::exists(path)) return true;
        Bytes data = read_file(path);
        data.push_back(0);  // PEM parsing needs the terminating NUL counted
        mbedtls_x509_crl crl;
        mbedtls_x509_crl_init(&crl);
        bool stale = mbedtls_x509_crl_parse(&crl, data.data(), data.size()) != 0;
        if (!stale) {
            using namespace std::chrono;
            const year_month_day ymd{year(crl.next_update.year), month(static_cast<unsigned>(crl.next_update.mon)),
                                     day(static_cast<unsigned>(crl.next_update.day))};
            stale = sys_days(ymd) - system_clock::now() < kTestCrlLifetime / 2;
        }
        mbedtls_x509_crl_free(&crl);
        if (stale) return true;
    }
    return false;
}

}  // namespace

const char* to_string(RevocationReason reason) {
    switch (reason) {
        case RevocationReason::Unspecified: return "unspecified";
        case RevocationReason::KeyCompromise: return "keyCompromise";
        case RevocationReason::CaCompromise: return "cACompromise";
        case RevocationReason::AffiliationChanged: return "affiliationChanged";
        case RevocationReason::Superseded: return "superseded";
        case RevocationReason::CessationOfOperation: return "cessationOfOperation";
        case RevocationReason::PrivilegeWithdrawn: return "privilegeWithdrawn";
        case RevocationReason::AaCompromise: return "aACompromise";
    }
    return "?";
}

std::optional<RevocationReason> revocation_reason_from_code(int code) {
    for (int c : {0, 1, 2, 3, 4, 5, 9, 10})
        if (c == code) return static_cast<RevocationReason>(code);
    return std::nullopt;
}

std::optional<RevocationReason> revocation_reason_from_string(std::string_view name) {
    for (int c : {0, 1, 2, 3, 4, 5, 9, 10}) {
        auto reason = static_cast<RevocationReason>(c);
        if (name == to_string(reason)) return reason;
    }
    return std::nullopt;
}

Bytes issue_crl(const TestCa& ca, const std::vector<Revocation>& revoked, std::uint64_t crl_number,
                std::chrono::system_clock::time_point this_update, std::chrono::system_clock::time_point next_update) {
    glue::Crt ca_crt;
    glue::parse_certificate(ca_crt, ca.certificate_der, "CRL issuer certificate");
    const HashAlgorithm hash = default_hash(ca.key.type());
    const Bytes algorithm = is_rsa(ca.key.type())
                                ? der::seq({der::tlv(der::kOid, der::rsa_signature_oid(hash)), der::tlv(der::kNull, {})})
                                : der::seq({der::tlv(der::kOid, der::ecdsa_signature_oid(hash))});
    Bytes entries;
    for (const Revocation& r : revoked) {
        Bytes entry = der::join({der::tlv(der::kInteger, canonical_serial(r.serial)), der::time(r.date)});
        if (r.reason != RevocationReason::Unspecified) {  // §5.3.1: unspecified SHOULD be absent
            const Bytes code = der::tlv(kEnumerated, Bytes{static_cast<std::uint8_t>(r.reason)});
            entry = der::join({entry, der::seq({extension(kOidReasonCode, code)})});
        }
        entries = der::join({entries, der::tlv(der::kSequence, entry)});
    }
    const ByteView key_id(ca_crt.ctx.subject_key_id.p, ca_crt.ctx.subject_key_id.len);
    if (key_id.empty()) throw Error(ErrorCode::InvalidArgument, "CRL issuer certificate has no subjectKeyIdentifier");
    const Bytes extensions = der::tlv(
        der::context(0),
        der::seq({extension(kOidAuthorityKeyIdentifier, der::seq({der::tlv(der::context(0, false), key_id)})),
                  extension(kOidCrlNumber, der::tlv(der::kInteger, unsigned_integer(crl_number)))}));
    const ByteView issuer(ca_crt.ctx.subject_raw.p, ca_crt.ctx.subject_raw.len);
    const Bytes tbs = der::seq({der::tlv(der::kInteger, Bytes{1}),  // v2
                                algorithm, issuer, der::time(this_update), der::time(next_update),
                                revoked.empty() ? Bytes{} : der::tlv(der::kSequence, entries), extensions});
    Bytes signature = ca.key.sign(hash, hash_bytes(hash, tbs));
    if (!is_rsa(ca.key.type())) signature = ecdsa_raw_to_der(signature);
    signature.insert(signature.begin(), 0x00);  // BIT STRING: no unused bits
    return der::seq({tbs, algorithm, der::tlv(kBitString, signature)});
}

void refresh_test_pki_crls(const std::filesystem::path& dir, const TestPki& pki) {
    const auto record_path = dir / kRevocationsFile;
    RevocationRecord record = load_revocations(record_path);
    ++record.crl_number;
    save_revocations(record_path, record);  // the number is used once, even if what follows fails
    const auto now = std::chrono::system_clock::now();
    const auto this_update = now - std::chrono::minutes(5);  // tolerate slightly slow verifier clocks
    const auto next_update = now + kTestCrlLifetime;
    for (const auto& [ca, list, name] : {std::tuple{&pki.issuing, &record.by_issuing, kIssuingCrlFile},
                                         std::tuple{&pki.root, &record.by_root, kRootCrlFile}}) {
        const Bytes crl = issue_crl(*ca, *list, record.crl_number, this_update, next_update);
        write_file_atomic(dir / name, as_bytes(der_to_pem(crl, "X509 CRL")), 0644);
    }
}

RevokeResult revoke_in_test_pki(const std::filesystem::path& dir, ByteView serial_in, RevocationReason reason) {
    const Bytes serial = canonical_serial(serial_in);
    if (serial.empty()) throw Error(ErrorCode::InvalidArgument, "empty serial number");
    const TestPki pki = load_or_create_test_pki(dir);
    if (serial == serial_of(pki.root.certificate_der))
        throw Error(ErrorCode::InvalidArgument,
                    "the root CA cannot be revoked by a CRL; remove it from the verifiers' trust anchors instead");
    const bool by_root = serial == serial_of(pki.issuing.certificate_der);
    RevocationRecord record = load_revocations(dir / kRevocationsFile);
    auto& list = by_root ? record.by_root : record.by_issuing;
    for (const Revocation& r : list)
        if (r.serial == serial)
            throw Error(ErrorCode::InvalidArgument, "serial " + to_hex(serial, "") + " is already revoked (" +
                                                        generalized(r.date) + ", " + to_string(r.reason) + ")");
    Revocation revocation{serial, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), reason};
    list.push_back(revocation);
    save_revocations(dir / kRevocationsFile, record);
    refresh_test_pki_crls(dir, pki);
    return RevokeResult{by_root ? "root" : "issuing", dir / (by_root ? kRootCrlFile : kIssuingCrlFile), revocation};
}

TestPki load_or_create_test_pki(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(ErrorCode::IoError, "cannot create " + dir.string() + ": " + ec.message());
    const auto root_cert = dir / "root.pem", root_key = dir / "root-key.pem";
    const auto issuing_cert = dir / "issuing.pem", issuing_key = dir / "issuing-key.pem";
    std::optional<TestCa> root = load_ca(root_cert, root_key);
    std::optional<TestCa> issuing = load_ca(issuing_cert, issuing_key);
    if (root && issuing) {
        glue::Crt root_crt, issuing_crt;
        glue::parse_certificate(root_crt, root->certificate_der, root_cert.string());
        glue::parse_certificate(issuing_crt, issuing->certificate_der, issuing_cert.string());
        std::uint32_t flags = 0;
        if (mbedtls_x509_crt_verify(&issuing_crt.ctx, &root_crt.ctx, nullptr, nullptr, &flags, nullptr, nullptr) != 0)
            throw Error(ErrorCode::StateCorrupted, issuing_cert.string() + " is not issued by " + root_cert.string());
        TestPki pki{std::move(*root), std::move(*issuing)};
        if (crls_need_refresh(dir)) refresh_test_pki_crls(dir, pki);
        return pki;
    }
    if (issuing)  // an issuing CA without its root cannot be re-rooted
        throw Error(ErrorCode::StateCorrupted, issuing_cert.string() + " exists without " + root_cert.string());
    // Nothing complete: create both. Root files first, issuing certificate last, so the issuing
    // certificate's presence marks a complete PKI; an interrupted creation is redone from scratch.
    TestPki pki = create_test_pki();
    save_ca(pki.root, root_cert, root_key);
    save_ca(pki.issuing, issuing_cert, issuing_key);
    save_revocations(dir / kRevocationsFile, RevocationRecord{});  // new CAs: nothing revoked yet
    refresh_test_pki_crls(dir, pki);
    return pki;
}

const char* to_string(CertificateKind kind) {
    switch (kind) {
        case CertificateKind::NaturalPersonQualified: return "natural person, qualified";
        case CertificateKind::NaturalPersonNonQualified: return "natural person, non-qualified";
        case CertificateKind::LegalPersonSeal: return "legal person seal";
    }
    return "?";
}

namespace {

// The per-kind data behind profile_for: a table, not branches in issue_certificate.
struct KindProfile {
    CertificateKind kind;
    bool natural_person;
    bool qualified;
    const char* qualified_policy;
    const char* qc_type;
};
constexpr KindProfile kKindProfiles[] = {
    {CertificateKind::NaturalPersonQualified, true, true, kOidQcpNaturalQscd, "esign"},
    {CertificateKind::NaturalPersonNonQualified, true, false, nullptr, "esign"},
    {CertificateKind::LegalPersonSeal, false, true, kOidQcpLegalQscd, "eseal"},
};

}  // namespace

CertificateProfile profile_for(CertificateKind kind, const std::string& given_name_or_organization,
                               const std::string& surname, const std::string& id) {
    const KindProfile* k = nullptr;
    for (const auto& candidate : kKindProfiles)
        if (candidate.kind == kind) k = &candidate;
    if (!k) throw Error(ErrorCode::InvalidArgument, "unknown certificate kind");
    CertificateProfile p;
    p.kind = kind;
    p.non_repudiation = true;
    p.digital_signature = false;
    if (k->natural_person) {
        p.given_name = given_name_or_organization;
        p.surname = surname;
        p.serial_number = "PNOXX-TEST-" + id;
        p.common_name = given_name_or_organization + (surname.empty() ? "" : " " + surname) + " (TEST)";
    } else {
        p.organization = given_name_or_organization;
        p.organization_identifier = "NTRXX-TEST-" + id;
        p.common_name = given_name_or_organization + " (TEST)";
    }
    p.policy_oids.push_back(kOidTestPolicy);
    if (k->qualified_policy) p.policy_oids.push_back(k->qualified_policy);
    QcStatementsProfile qc;
    qc.compliance = k->qualified;
    qc.sscd = k->qualified;
    qc.types = {k->qc_type};
    qc.pds = {PdsLocation{kTestPdsUrl, "en"}};
    p.qc_statements = qc;
    return p;
}

Bytes issue_certificate(const TestCa& ca, ByteView subject_spki_der, const CertificateProfile& profile) {
    if (profile.common_name.empty()) throw Error(ErrorCode::InvalidArgument, "certificate profile needs a common name");
    if (profile.country.size() != 2) throw Error(ErrorCode::InvalidArgument, "country must be a two-letter code");
    if (profile.validity_days <= 0) throw Error(ErrorCode::InvalidArgument, "validity_days must be positive");
    unsigned usage = (profile.non_repudiation ? MBEDTLS_X509_KU_NON_REPUDIATION : 0u) |
                     (profile.digital_signature ? MBEDTLS_X509_KU_DIGITAL_SIGNATURE : 0u);
    if (!profile.key_usage_extension)
        usage = 0;
    else if (usage == 0)
        throw Error(ErrorCode::InvalidArgument, "certificate profile allows no key usage");

    glue::Pk subject_key;
    if (subject_spki_der.empty() ||
        mbedtls_pk_parse_public_key(&subject_key, subject_spki_der.data(), subject_spki_der.size()) != 0)
        throw Error(ErrorCode::InvalidArgument, "subject public key is not a SubjectPublicKeyInfo");
    glue::key_type_of(subject_key.ctx);  // only key types a card can hold

    glue::Crt ca_crt;
    glue::parse_certificate(ca_crt, ca.certificate_der, "test CA certificate");
    std::string subject;
    add_rdn(subject, "C", profile.country);
    add_rdn(subject, "O", profile.organization.empty() ? std::string(kTestOrganization) : profile.organization);
    add_rdn_hex_utf8(subject, kOidOrganizationIdentifier, profile.organization_identifier);
    add_rdn(subject, "surName", profile.surname);
    add_rdn(subject, "givenName", profile.given_name);
    add_rdn(subject, "serialNumber", profile.serial_number);
    add_rdn(subject, "CN", profile.common_name);
    CertRequest req{subject, subject_string(ca_crt.ctx), &subject_key.ctx, &glue::native_pk(ca.key),
                    default_hash(ca.key.type()), profile.validity_days, false, usage};
    if (!profile.policy_oids.empty())
        req.extensions.push_back({encode_oid(kOidCertificatePolicies), false, encode_certificate_policies(profile.policy_oids)});
    req.not_before = profile.not_before;
    req.not_after = profile.not_after;
    if (!profile.extended_key_usage.empty()) {  // RFC 5280 §4.2.1.12
        std::vector<Bytes> purposes;
        for (const auto& oid : profile.extended_key_usage) purposes.push_back(der::tlv(der::kOid, encode_oid(oid)));
        Bytes list;
        for (const Bytes& p : purposes) list.insert(list.end(), p.begin(), p.end());
        req.extensions.push_back({encode_oid("2.5.29.37"), false, der::tlv(der::kSequence, list)});
    }
    if (profile.qc_statements) {
        const QcStatementsProfile& qc = *profile.qc_statements;
        req.extensions.push_back(
            {encode_oid(kOidQcStatements), false, encode_qc_statements(qc.compliance, qc.sscd, qc.types, qc.pds)});
    }
    Bytes der = write_certificate(req);

    // The issuer is re-encoded from its string form: make sure it is byte-identical to the CA's subject,
    // or path building (name chaining, RFC 5280 §6.1) would fail later in a far less obvious place.
    glue::Crt leaf;
    glue::parse_certificate(leaf, der, "issued certificate");
    if (leaf.ctx.issuer_raw.len != ca_crt.ctx.subject_raw.len ||
        std::memcmp(leaf.ctx.issuer_raw.p, ca_crt.ctx.subject_raw.p, leaf.ctx.issuer_raw.len) != 0)
        throw Error(ErrorCode::CryptoError, "issued certificate's issuer does not match the CA subject encoding");
    return der;
}

}  // namespace qscd
