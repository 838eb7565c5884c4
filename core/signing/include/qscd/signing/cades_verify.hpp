// Verification of CAdES-B-B detached signatures as produced by create_cades_detached (and by other
// tools that follow RFC 5652 / ETSI EN 319 122-1 with one signer).
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

struct CheckResult {
    bool ok = false;
    std::string detail;  // why it failed, or what was established
};

struct VerificationReport {
    // All checks passed. The chain counts only when trust anchors were given: without anchors `valid`
    // means "intact and self-consistent", not "trusted" — look at chain_checked.
    bool valid = false;

    CheckResult parse;                 // CMS structure readable, one signer, detached, signer cert embedded
    CheckResult signature;             // signature over the signed attributes verifies with the signer cert
    CheckResult message_digest;        // message-digest attribute equals the document's digest
    CheckResult content_type;          // content-type attribute present and id-data (= eContentType)
    CheckResult signing_certificate;   // signing-certificate-v2 matches the signer cert (hash + issuer/serial)
    CheckResult certificate_validity;  // signing time present and within the signer cert's notBefore..notAfter
    CheckResult key_usage;             // signer cert allows nonRepudiation or digitalSignature
    CheckResult chain;                 // chains to a trust anchor; CA validity judged at signing time
    bool chain_checked = false;        // false: no trust anchors were given (chain.detail says so)

    std::string signer_subject;
    std::optional<std::chrono::system_clock::time_point> signing_time;
    std::optional<HashAlgorithm> hash_algorithm;
    std::optional<SignatureScheme> scheme;
    Bytes signer_certificate_der;
    std::vector<std::string> problems;  // the detail of every failed check, in check order
};

// Malformed, truncated or hostile CMS never throws: it yields valid=false, parse.ok=false and the reason
// in problems. Throws only for the caller's side: an unusable trust anchor (Error(InvalidArgument)) or
// whatever document_digest throws (e.g. Error(IoError)). document_digest is called at most once,
// with the CMS's digest algorithm. `now` bounds the signing time (a signature from the future fails)
// and stands in for it when the signing-time attribute is missing.
VerificationReport verify_cades_detached(ByteView cms_der, const std::function<Bytes(HashAlgorithm)>& document_digest,
                                         const std::vector<Bytes>& trust_anchors_der,
                                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Same, hashing the document file (streamed). Error(IoError) if the document cannot be read.
VerificationReport verify_cades_detached(ByteView cms_der, const std::filesystem::path& document,
                                         const std::vector<Bytes>& trust_anchors_der,
                                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace qscd
