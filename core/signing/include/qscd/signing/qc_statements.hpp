// Qualified-certificate semantics (ETSI EN 319 412-1/-2/-3/-5): the QCStatements extension, certificate
// policies and the facts a signing policy needs, read from a certificate's DER with bounds-checked parsing.
// Both directions live here: the encoders feed the test CA, the parsers feed the signing policy.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd {

// Object identifiers, dotted.
inline constexpr const char* kOidQcStatements = "1.3.6.1.5.5.7.1.3";        // id-pe-qcStatements (RFC 3739)
inline constexpr const char* kOidCertificatePolicies = "2.5.29.32";         // RFC 5280 §4.2.1.4
inline constexpr const char* kOidQcCompliance = "0.4.0.1862.1.1";           // id-etsi-qcs-QcCompliance
inline constexpr const char* kOidQcSscd = "0.4.0.1862.1.4";                 // id-etsi-qcs-QcSSCD
inline constexpr const char* kOidQcPds = "0.4.0.1862.1.5";                  // id-etsi-qcs-QcPDS
inline constexpr const char* kOidQcType = "0.4.0.1862.1.6";                 // id-etsi-qcs-QcType
inline constexpr const char* kOidQcTypeEsign = "0.4.0.1862.1.6.1";          // id-etsi-qct-esign
inline constexpr const char* kOidQcTypeEseal = "0.4.0.1862.1.6.2";          // id-etsi-qct-eseal
inline constexpr const char* kOidQcTypeEweb = "0.4.0.1862.1.6.3";           // id-etsi-qct-web
inline constexpr const char* kOidQcpNaturalQscd = "0.4.0.194112.1.2";       // QCP-n-qscd (EN 319 411-2)
inline constexpr const char* kOidQcpLegalQscd = "0.4.0.194112.1.3";         // QCP-l-qscd
inline constexpr const char* kOidOrganizationIdentifier = "2.5.4.97";       // X.520 organizationIdentifier
// qscd's own TEST policy arc (private enterprise number 99999 is not assigned to anyone real):
// certificates under this policy come from the "NOT FOR PRODUCTION" test PKI only.
inline constexpr const char* kOidTestPolicy = "1.3.6.1.4.1.99999.1";

struct PdsLocation {
    std::string url;       // https URL of the PKI disclosure statement
    std::string language;  // ISO 639-1, two letters
};

// What a certificate's QCStatements extension says (content, for encoding and as parsed).
struct QcInfo {
    bool compliance = false;              // QcCompliance: an EU qualified certificate
    bool sscd = false;                    // QcSSCD: the private key is in a QSCD
    std::vector<std::string> types;       // QcType: "esign", "eseal", "eweb" (unknown OIDs kept dotted)
    std::vector<std::string> pds_urls;    // QcPDS locations (parse result)
};

// Dotted OID ↔ DER content octets. Error(InvalidArgument) for malformed input (never reads past the end).
Bytes encode_oid(std::string_view dotted);
std::string decode_oid(ByteView content);

// Extension values (the OCTET STRING content of extnValue) as the test CA writes them.
// types are "esign" / "eseal" / "eweb" or dotted OIDs. Error(InvalidArgument) for unusable input.
Bytes encode_qc_statements(bool compliance, bool sscd, const std::vector<std::string>& types,
                           const std::vector<PdsLocation>& pds);
Bytes encode_certificate_policies(const std::vector<std::string>& policy_oids);

// Parses a QCStatements extension value. Unknown statements are skipped. Error(InvalidArgument,
// "QCStatements: ...") when malformed; never reads out of bounds.
QcInfo parse_qc_statements_extension(ByteView extension_value);

// QCStatements of a certificate: nullopt if the certificate has none, or if it is not a parsable
// certificate or its QCStatements extension is malformed (then error, if given, says why).
std::optional<QcInfo> parse_qc_statements(ByteView certificate_der, std::string* error = nullptr);

// What a signing policy looks at, read from one certificate.
struct CertificateFacts {
    std::string subject;                   // RFC 4514-ish, from mbedTLS
    bool key_usage_present = false;
    bool digital_signature = false;        // keyUsage bits (all false when the extension is absent)
    bool non_repudiation = false;          // a.k.a. contentCommitment
    bool key_encipherment = false;
    bool key_cert_sign = false;
    bool key_usage_critical = false;
    bool natural_person = false;           // subject has givenName or surname (EN 319 412-2 §4.2.4)
    bool legal_person = false;             // subject has organizationIdentifier (EN 319 412-3 §4.2.1)
    std::vector<std::string> policy_oids;  // certificatePolicies, dotted
    std::optional<QcInfo> qc;              // nullopt: no QCStatements
    std::optional<KeyType> key_type;       // nullopt: a key no qscd token can hold (e.g. RSA-1024)
    bool rsa = false;
    unsigned key_bits = 0;
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;
};

// Error(InvalidArgument, "...") when certificate_der is not a certificate or its keyUsage,
// certificatePolicies or QCStatements extension is malformed.
CertificateFacts facts_of(ByteView certificate_der);

}  // namespace qscd
