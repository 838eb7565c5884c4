// Signing policy as data: which certificates, keys and hashes a signature of a given level may use.
// One SigningPolicy value per level (for_level), checked against the signer's certificate before the
// card is asked to sign. ETSI EN 319 412-2/-5 for the certificate rules, ETSI TS 119 312 for the
// algorithm floor (RSA ≥ 2048 bits, ECDSA P-256 / P-384, SHA-256 or stronger).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd {

enum class SignatureLevel {
    Qes,   // qualified electronic signature: qualified certificate for esign, key in a QSCD, natural person
    Ades,  // advanced: a certificate fit for commitment (nonRepudiation), valid now
    Basic, // any valid certificate; only the algorithm floor applies
};
const char* to_string(SignatureLevel level);

struct SigningPolicy {
    SignatureLevel level = SignatureLevel::Basic;
    bool require_valid_now = true;          // notBefore <= now <= notAfter
    bool require_qc_compliance = false;     // QCStatements: QcCompliance
    bool require_qc_sscd = false;           // QCStatements: QcSSCD
    bool require_non_repudiation = false;   // keyUsage nonRepudiation (contentCommitment)
    bool require_natural_person = false;    // subject givenName / surname, not an organizationIdentifier
    std::vector<KeyType> allowed_keys;      // the certificate's key must be one of these (and match `key`)
    std::vector<HashAlgorithm> allowed_hashes;
    // The PIN is typed on the reader's own keypad (PC/SC part 10 PIN pad), never on the host. Not part of
    // any level by default (eIDAS lets a QSCD's PIN be entered on the host; ID cards are used that way);
    // a deployment asks for it for QES (SignRequest::pin_pad_required_for_qes, qscd sign --require-pin-pad).
    bool require_pin_pad = false;

    static SigningPolicy for_level(SignatureLevel level);
};

struct PolicyFinding {
    std::string rule;     // "valid now", "qc compliance", ... (stable names; see evaluate_signing_policy)
    bool required = false;
    bool passed = false;  // for rules the policy does not require: whether the certificate would pass
    std::string detail;
};

// Every rule, in a fixed order: "certificate readable", "key type allowed", "key matches certificate",
// "key strength", "hash allowed", "valid now", "non-repudiation", "qc compliance", "qc sscd",
// "natural person". Never throws for a bad certificate (that is a failed "certificate readable",
// after which the certificate rules fail too).
std::vector<PolicyFinding> evaluate_signing_policy(const SigningPolicy& policy, ByteView certificate_der, KeyType key,
                                                   HashAlgorithm hash,
                                                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Throws Error(PolicyViolation, "<rule>: <why>") for the first required rule that fails.
void check_signing_policy(const SigningPolicy& policy, ByteView certificate_der, KeyType key, HashAlgorithm hash,
                          std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// "pin pad": with policy.require_pin_pad, throws Error(PolicyViolation) unless the PIN entry is the
// reader's PIN pad (`entry_on_pin_pad`) and the token's reader has one (`reader_has_pin_pad`); checked
// before any PIN is asked. Does nothing when the policy does not require it.
void check_pin_entry_policy(const SigningPolicy& policy, bool entry_on_pin_pad, bool reader_has_pin_pad,
                            const std::string& reader);

}  // namespace qscd
