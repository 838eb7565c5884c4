#include "qscd/signing_policy.hpp"

#include <algorithm>
#include <ctime>
#include <optional>

#include "qscd/error.hpp"
#include "qscd/signing/qc_statements.hpp"

namespace qscd {
namespace {

template <typename T>
bool contains(const std::vector<T>& v, const T& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

std::string utc(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string describe_key(const CertificateFacts& f) {
    if (f.key_type) return to_string(*f.key_type);
    return std::string(f.rsa ? "RSA-" : "key of ") + std::to_string(f.key_bits) + (f.rsa ? "" : " bits");
}

}  // namespace

const char* to_string(SignatureLevel level) {
    switch (level) {
        case SignatureLevel::Qes: return "QES";
        case SignatureLevel::Ades: return "AdES";
        case SignatureLevel::Basic: return "basic";
    }
    return "?";
}

SigningPolicy SigningPolicy::for_level(SignatureLevel level) {
    SigningPolicy p;
    p.level = level;
    // ETSI TS 119 312 floor; every KeyType qscd knows meets it (RSA ≥ 2048, P-256, P-384).
    p.allowed_keys = {KeyType::Rsa2048, KeyType::Rsa3072, KeyType::Rsa4096, KeyType::EcP256, KeyType::EcP384};
    p.allowed_hashes = {HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512};
    p.require_valid_now = true;
    switch (level) {
        case SignatureLevel::Qes:
            p.require_qc_compliance = true;
            p.require_qc_sscd = true;
            p.require_non_repudiation = true;
            p.require_natural_person = true;
            break;
        case SignatureLevel::Ades:
            p.require_non_repudiation = true;
            break;
        case SignatureLevel::Basic:
            break;
    }
    return p;
}

std::vector<PolicyFinding> evaluate_signing_policy(const SigningPolicy& policy, ByteView certificate_der, KeyType key,
                                                   HashAlgorithm hash, std::chrono::system_clock::time_point now) {
    std::vector<PolicyFinding> out;
    std::optional<CertificateFacts> facts;
    std::string unreadable;
    try {
        facts = facts_of(certificate_der);
    } catch (const Error& e) {
        unreadable = e.what();
    }
    out.push_back({"certificate readable", true, facts.has_value(), facts ? facts->subject : unreadable});

    // Rules about the certificate: when it is unreadable they fail with that reason.
    auto cert_rule = [&](std::string rule, bool required, auto&& judge) {
        if (!facts) {
            out.push_back({std::move(rule), required, false, "certificate unreadable"});
            return;
        }
        std::string detail;
        bool ok = judge(*facts, detail);
        out.push_back({std::move(rule), required, ok, std::move(detail)});
    };

    {
        bool ok = contains(policy.allowed_keys, key);
        std::string detail = std::string(to_string(key)) + (ok ? " is allowed" : " is not in the policy's allowed keys");
        if (ok && facts && !facts->key_type) {
            ok = false;
            detail = "certificate key " + describe_key(*facts) + " is not an allowed key type";
        } else if (ok && facts && !contains(policy.allowed_keys, *facts->key_type)) {
            ok = false;
            detail = "certificate key " + describe_key(*facts) + " is not in the policy's allowed keys";
        }
        out.push_back({"key type allowed", true, ok, detail});
    }
    cert_rule("key matches certificate", true, [&](const CertificateFacts& f, std::string& d) {
        bool ok = f.key_type && *f.key_type == key;
        d = "certificate key " + describe_key(f) + (ok ? " matches " : " does not match ") + "signing key " + to_string(key);
        return ok;
    });
    cert_rule("key strength", true, [&](const CertificateFacts& f, std::string& d) {
        // TS 119 312: RSA moduli of at least 2048 bits; ECDSA on P-256 or P-384 (the only curves KeyType has).
        bool ok = f.rsa ? f.key_bits >= 2048 : (f.key_type == KeyType::EcP256 || f.key_type == KeyType::EcP384);
        d = describe_key(f) + (ok ? " meets" : " is below") + " the ETSI TS 119 312 floor";
        return ok;
    });
    {
        bool ok = contains(policy.allowed_hashes, hash);
        out.push_back({"hash allowed", true, ok,
                       std::string(to_string(hash)) + (ok ? " is allowed" : " is not in the policy's allowed hashes")});
    }
    cert_rule("valid now", policy.require_valid_now, [&](const CertificateFacts& f, std::string& d) {
        if (now < f.not_before) {
            d = "not valid before " + utc(f.not_before);
            return false;
        }
        if (now > f.not_after) {
            d = "expired at " + utc(f.not_after);
            return false;
        }
        d = "valid " + utc(f.not_before) + " .. " + utc(f.not_after);
        return true;
    });
    cert_rule("non-repudiation", policy.require_non_repudiation, [&](const CertificateFacts& f, std::string& d) {
        d = !f.key_usage_present ? "certificate has no keyUsage extension"
            : f.non_repudiation  ? "keyUsage allows nonRepudiation"
                                 : "keyUsage lacks nonRepudiation (contentCommitment)";
        return f.key_usage_present && f.non_repudiation;
    });
    cert_rule("qc compliance", policy.require_qc_compliance, [&](const CertificateFacts& f, std::string& d) {
        bool ok = f.qc && f.qc->compliance;
        d = !f.qc ? "certificate has no QCStatements" : ok ? "QcCompliance present" : "QcCompliance statement missing";
        return ok;
    });
    cert_rule("qc sscd", policy.require_qc_sscd, [&](const CertificateFacts& f, std::string& d) {
        bool ok = f.qc && f.qc->sscd;
        d = !f.qc ? "certificate has no QCStatements" : ok ? "QcSSCD present" : "QcSSCD statement missing";
        return ok;
    });
    cert_rule("natural person", policy.require_natural_person, [&](const CertificateFacts& f, std::string& d) {
        bool ok = f.natural_person && !f.legal_person;
        d = ok ? "subject is a natural person"
            : f.legal_person ? "subject is a legal person (organizationIdentifier): a seal, not a signature"
                             : "subject has no givenName / surname";
        return ok;
    });
    return out;
}

void check_signing_policy(const SigningPolicy& policy, ByteView certificate_der, KeyType key, HashAlgorithm hash,
                          std::chrono::system_clock::time_point now) {
    for (const auto& f : evaluate_signing_policy(policy, certificate_der, key, hash, now))
        if (f.required && !f.passed)
            throw Error(ErrorCode::PolicyViolation, f.rule + ": " + f.detail + " (" + to_string(policy.level) + " policy)");
}

void check_pin_entry_policy(const SigningPolicy& policy, bool entry_on_pin_pad, bool reader_has_pin_pad,
                            const std::string& reader) {
    if (!policy.require_pin_pad) return;
    const std::string level = to_string(policy.level);
    if (!entry_on_pin_pad)
        throw Error(ErrorCode::PolicyViolation, "pin pad: " + level + " requires the PIN typed on the reader's PIN pad, not on the host "
                                                "(qscd sign --pin-pad); no PIN was asked");
    if (!reader_has_pin_pad)
        throw Error(ErrorCode::PolicyViolation, "pin pad: " + level + " requires a reader with a PIN pad; " + reader +
                                                    " has none qscd can use; no PIN was asked");
}

}  // namespace qscd
