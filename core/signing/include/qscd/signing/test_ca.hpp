// Test PKI for the simulator and the test suite. Everything it issues says TEST in its names
// (O="qscd TEST", CA CN "... NOT FOR PRODUCTION") so it cannot be mistaken for a real PKI.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "qscd/codec/bytes.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/pem.hpp"
#include "qscd/signing/qc_statements.hpp"

namespace qscd {

inline constexpr const char* kTestCaCommonName = "qscd TEST Root CA - NOT FOR PRODUCTION";
inline constexpr const char* kTestOrganization = "qscd TEST";
inline constexpr const char* kTestRootCaCommonName = "qscd TEST Root CA - NOT FOR PRODUCTION";
inline constexpr const char* kTestIssuingCaCommonName = "qscd TEST Qualified Issuing CA - NOT FOR PRODUCTION";
inline constexpr const char* kTestPdsUrl = "https://example.invalid/qscd-TEST-pds";

struct TestCa {
    Bytes certificate_der;
    SoftwareKey key;
};

// Self-signed root, EC P-256, 10 years: basicConstraints CA:TRUE (critical), keyUsage keyCertSign|cRLSign
// (critical), subjectKeyIdentifier. Subject: C=XX, O=qscd TEST, CN=common_name.
// not_before: when the 10 years start (default: 5 minutes ago); tests back-date it to sign in the past.
TestCa create_test_ca(std::string common_name = kTestCaCommonName,
                      std::optional<std::chrono::system_clock::time_point> not_before = std::nullopt);

// Loads dir/ca.pem + dir/ca-key.pem, or creates them (key mode 0600, each written atomically).
// Error(StateCorrupted) if only the certificate exists or the key does not match it; Error(IoError).
TestCa load_or_create_test_ca(const std::filesystem::path& dir);

// Two-level test PKI: a self-signed root and an issuing CA certified by it (basicConstraints CA:TRUE,
// pathLen 0, keyUsage keyCertSign|cRLSign, authority/subject key identifiers), both EC P-256 and TEST-named.
// Leaf certificates come from `issuing`; verifiers use `root` as the trust anchor and need `issuing` as an
// intermediate.
struct TestPki {
    TestCa root;
    TestCa issuing;
};

TestPki create_test_pki();

// Loads or creates dir/root.pem, root-key.pem, issuing.pem, issuing-key.pem (keys mode 0600, written
// atomically; certificates last so their presence marks a complete PKI). Error(StateCorrupted) if a
// certificate exists without its key, a key does not match, or issuing.pem is not signed by root.pem.
// Independent of load_or_create_test_ca's single-CA files (ca.pem / ca-key.pem), which stay as they are.
// Keeps the CRLs current: dir/issuing-ca.crl and dir/root-ca.crl (PEM) are re-issued when missing,
// unreadable or within half their lifetime of nextUpdate (see refresh_test_pki_crls).
TestPki load_or_create_test_pki(const std::filesystem::path& dir);

// ---- revocation (RFC 5280 §5) ----

// CRLReason (RFC 5280 §5.3.1); certificateHold / removeFromCRL are not offered (no suspension).
enum class RevocationReason : std::uint8_t {
    Unspecified = 0,
    KeyCompromise = 1,
    CaCompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    PrivilegeWithdrawn = 9,
    AaCompromise = 10,
};
// RFC 5280 ASN.1 names: "keyCompromise", "cACompromise", ...
const char* to_string(RevocationReason reason);
std::optional<RevocationReason> revocation_reason_from_string(std::string_view name);
// The reason for a reasonCode value; nullopt for values RFC 5280 does not define.
std::optional<RevocationReason> revocation_reason_from_code(int code);

struct Revocation {
    Bytes serial;  // INTEGER content octets of the revoked certificate's serial number
    std::chrono::system_clock::time_point date;
    RevocationReason reason = RevocationReason::Unspecified;
};

// A v2 CRL (RFC 5280 §5.1) issued and signed by ca: issuer = the CA's subject, thisUpdate/nextUpdate,
// one entry per revocation (reasonCode entry extension unless unspecified, §5.3.1), extensions
// authorityKeyIdentifier (§5.2.1, the CA's subjectKeyIdentifier) and cRLNumber (§5.2.3). DER.
Bytes issue_crl(const TestCa& ca, const std::vector<Revocation>& revoked, std::uint64_t crl_number,
                std::chrono::system_clock::time_point this_update, std::chrono::system_clock::time_point next_update);

inline constexpr const char* kIssuingCrlFile = "issuing-ca.crl";
inline constexpr const char* kRootCrlFile = "root-ca.crl";
inline constexpr const char* kRevocationsFile = "revocations";
inline constexpr auto kTestCrlLifetime = std::chrono::hours(24 * 30);

// Re-issues both CRLs of the test PKI in dir from dir/revocations (each file written atomically;
// the CRL number, kept in dir/revocations, rises by one each time). Error(StateCorrupted) if
// dir/revocations is unreadable (left untouched); Error(IoError).
void refresh_test_pki_crls(const std::filesystem::path& dir, const TestPki& pki);

struct RevokeResult {
    std::string issuer;     // the CA that revoked ("root" or "issuing")
    std::filesystem::path crl;  // its CRL file
    Revocation revocation;
};

// Revokes the certificate with this serial: the issuing CA's own serial goes on the root's CRL, any
// other serial on the issuing CA's (it issues every leaf). Records it in dir/revocations, then
// re-issues both CRLs. Error(InvalidArgument) for an empty serial, the root's own serial, or a serial
// already revoked (the message gives the date); Error(StateCorrupted / IoError) as above.
RevokeResult revoke_in_test_pki(const std::filesystem::path& dir, ByteView serial, RevocationReason reason);

// ETSI EN 319 412 certificate kinds the test PKI can issue.
enum class CertificateKind {
    NaturalPersonQualified,     // EN 319 412-2 natural person + QcCompliance, QcSSCD, QcType esign, QCP-n-qscd
    NaturalPersonNonQualified,  // natural person, QcType esign and PDS but no QcCompliance / QcSSCD
    LegalPersonSeal,            // EN 319 412-3 legal person: organizationName + organizationIdentifier, QcType eseal
};
const char* to_string(CertificateKind kind);

// QCStatements content to write (EN 319 412-5). types: "esign", "eseal", "eweb" or dotted OIDs.
struct QcStatementsProfile {
    bool compliance = false;
    bool sscd = false;
    std::vector<std::string> types;
    std::vector<PdsLocation> pds;
};

// What a leaf certificate says about its holder. Data only: issue_certificate writes what is here and
// never looks at `kind`, which names the profile the fields were filled from (see profile_for).
struct CertificateProfile {
    CertificateKind kind = CertificateKind::NaturalPersonNonQualified;
    std::string common_name;
    std::string given_name;     // omitted from the subject when empty
    std::string surname;        // omitted when empty
    std::string serial_number;  // subject serialNumber attribute (ETSI EN 319 412-1 §5.1.3); omitted when empty
    std::string country = "XX";
    int validity_days = 730;
    // Explicit validity instead of "5 minutes ago + validity_days" (e.g. an expired certificate for tests).
    std::optional<std::chrono::system_clock::time_point> not_before;
    std::optional<std::chrono::system_clock::time_point> not_after;
    bool key_usage_extension = true;  // false: no keyUsage extension at all (non_repudiation etc. ignored)
    std::vector<std::string> extended_key_usage;  // extKeyUsage purposes, dotted OIDs; omitted when empty
    bool non_repudiation = true;     // keyUsage contentCommitment: the signing-key profile
    bool digital_signature = false;  // keyUsage digitalSignature (authentication keys)
    std::string organization;             // subject O; kTestOrganization when empty
    std::string organization_identifier;  // subject organizationIdentifier (2.5.4.97); omitted when empty
    std::vector<std::string> policy_oids;         // certificatePolicies (non-critical); omitted when empty
    std::optional<QcStatementsProfile> qc_statements;  // QCStatements (non-critical); omitted when nullopt
};

// The ETSI-style profile for kind, with TEST names throughout: keyUsage nonRepudiation only, policies
// {kOidTestPolicy (+ QCP-n-qscd / QCP-l-qscd when qualified)}, QCStatements with one PDS
// {kTestPdsUrl, "en"}. Natural persons: CN "<given> <surname> (TEST)", givenName, surname,
// serialNumber "PNOXX-TEST-<id>". Legal person: CN "<organization> (TEST)", O, organizationIdentifier
// "NTRXX-TEST-<id>". The caller may change any field afterwards.
CertificateProfile profile_for(CertificateKind kind, const std::string& given_name_or_organization,
                               const std::string& surname = "", const std::string& id = "0001");

// Leaf certificate for subject_spki_der signed by the CA: keyUsage (critical) per the profile,
// basicConstraints CA:FALSE, authorityKeyIdentifier, subjectKeyIdentifier, random positive 127-bit
// serial, valid from 5 minutes ago; subject C, O, organizationIdentifier, surname, givenName,
// serialNumber, CN (empty ones omitted); certificatePolicies and QCStatements when the profile has them.
// Error(InvalidArgument) for an unusable SPKI or profile.
Bytes issue_certificate(const TestCa& ca, ByteView subject_spki_der, const CertificateProfile& profile);

}  // namespace qscd
