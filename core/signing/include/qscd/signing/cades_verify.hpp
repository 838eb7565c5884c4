// Verification of CAdES-B-B signatures (RFC 5652 / ETSI EN 319 122-1): detached or with encapsulated
// content, one or several signers, as produced by create_cades_detached and by other tools.
//
// Validity is judged at the validation time (ETSI EN 319 102-1 §5.2.5), never at the signer's claimed
// signing time: a CAdES-B-B signing-time attribute is written by the signer and proves nothing. A
// certificate that is expired at the validation time therefore makes the signature INDETERMINATE
// (no proof of existence before the expiry; that needs a time-stamp, which B-B does not carry).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd {

// ETSI EN 319 102-1 §5.1.3 main indications, plus Unsupported: a signature qscd cannot check (an
// algorithm or format it does not implement) is named as such, never called INVALID.
enum class Indication { Valid, Invalid, Indeterminate, Unsupported };
const char* to_string(Indication indication);  // "VALID", "INVALID", "INDETERMINATE", "UNSUPPORTED"

struct CheckResult {
    bool ok = false;
    bool skipped = false;  // not performed (an earlier problem or missing input); ok is false
    std::string detail;    // why it failed, or what was established
};

// One SignerInfo. `valid` ⇔ indication == Valid ⇔ problems is empty.
struct SignerReport {
    bool valid = false;
    Indication indication = Indication::Invalid;

    CheckResult algorithm;             // digest and signature algorithm acceptable (SHA-1 refused, ETSI TS 119 312)
    CheckResult signature;             // signature over the signed attributes verifies with the signer cert
    CheckResult message_digest;        // message-digest attribute equals the content's digest
    CheckResult content_type;          // content-type attribute present and id-data (= eContentType)
    CheckResult signing_certificate;   // signing-certificate-v2 matches the signer cert (hash + issuer/serial)
    CheckResult signing_time;          // present, not after the validation time, within the certificate validity
    CheckResult certificate_validity;  // signer certificate valid at the validation time
    CheckResult key_usage;             // keyUsage allows nonRepudiation or digitalSignature; EKU allows signing documents
    bool key_usage_extension = false;  // the signer certificate has a keyUsage extension at all
    CheckResult chain;                 // chains to a trust anchor; every CA valid at the validation time
    bool chain_checked = false;        // false: no trust anchors were given (chain.detail says so)
    CheckResult revocation;            // no certificate of the chain revoked at the validation time (CRLs)
    bool revocation_checked = false;   // true only if every certificate below the anchor had a usable CRL

    std::string signer_subject;
    std::optional<std::chrono::system_clock::time_point> signing_time_claimed;  // the signer's claim, unproven
    std::optional<HashAlgorithm> hash_algorithm;
    std::optional<SignatureScheme> scheme;
    Bytes signer_certificate_der;
    std::vector<std::string> problems;  // the detail of every failed check, in check order
};

struct VerificationReport {
    bool valid = false;  // every signer valid (the chain counts only when trust anchors were given)
    Indication indication = Indication::Invalid;  // the worst over the signers (Invalid > Unsupported > Indeterminate)
    CheckResult parse;                            // CMS structure readable, signer certificates embedded
    bool attached = false;                        // eContent present: the content is inside the signature
    Bytes encapsulated_content;                   // when attached
    std::chrono::system_clock::time_point validation_time;
    std::vector<SignerReport> signers;
    std::vector<std::string> problems;  // parse problem, or every signer's ("signer N: ..." when several)
};

struct VerificationOptions {
    std::vector<Bytes> trust_anchors_der;
    std::vector<Bytes> crls_der;  // CRLs (DER or PEM) for any certificate of the chains; RFC 5280 §6.3
    std::chrono::system_clock::time_point validation_time = std::chrono::system_clock::now();
};

// Certificates from a file's bytes: every CERTIFICATE block of a PEM bundle, or one DER certificate; each
// must parse. Error(IoError) "<name>: not a usable certificate file (PEM or DER): ..." otherwise.
std::vector<Bytes> parse_certificates(ByteView data, const std::string& name);
// The same from a file (trust anchors, intermediates to embed). Error(NotFound) when it does not exist.
std::vector<Bytes> read_certificates(const std::filesystem::path& file);

// True if data is one or more X.509 CRLs mbedTLS can read (PEM or DER).
bool is_readable_crl(ByteView data);

// Malformed, truncated or hostile CMS never throws: it yields valid=false, parse.ok=false and the reason
// in problems. Throws only for the caller's side: an unusable trust anchor or CRL (Error(InvalidArgument))
// or whatever detached_document_digest throws (e.g. Error(IoError)). detached_document_digest is called
// only for a detached signature, at most once per digest algorithm; with content attached, the
// encapsulated content is hashed instead.
VerificationReport verify_cades(ByteView cms_der, const std::function<Bytes(HashAlgorithm)>& detached_document_digest,
                                const VerificationOptions& options);

// Shorthands: trust anchors only, no CRLs, validation time `now`.
VerificationReport verify_cades_detached(ByteView cms_der, const std::function<Bytes(HashAlgorithm)>& document_digest,
                                         const std::vector<Bytes>& trust_anchors_der,
                                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// Hashing the document file (streamed). Error(IoError) if the document cannot be read.
VerificationReport verify_cades_detached(ByteView cms_der, const std::filesystem::path& document,
                                         const std::vector<Bytes>& trust_anchors_der,
                                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace qscd
