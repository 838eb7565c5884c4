// qscd verify: checks a CAdES signature and says, check by check, why it is valid or not. Validity
// is judged at the validation time (now, or --at), never at the signing time the signer claims.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "qscd/atomic_file.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/pem.hpp"
#include "qscd/signing/qc_statements.hpp"

namespace qscd::cli {

namespace {

struct VerifyOptions {
    std::string input;
    std::string signature;
    std::vector<std::string> anchors;
    std::vector<std::string> crls;
    std::string at;
};

// Missing inputs are "file not found" (exit 5), as everywhere in qscd; a directory, FIFO or device is
// named as such rather than read (a FIFO would block, a device never end).
Bytes read_input(const std::string& path, const char* option) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) throw Error(ErrorCode::NotFound, fmt::format("no such file: {} ({})", path, option));
    const char* kind = std::filesystem::is_directory(status)          ? "a directory"
                       : std::filesystem::is_fifo(status)             ? "a FIFO"
                       : std::filesystem::is_block_file(status) ||
                               std::filesystem::is_character_file(status) ? "a device"
                       : !std::filesystem::is_regular_file(status)    ? "not a regular file"
                                                                      : nullptr;
    if (kind) throw Error(ErrorCode::InvalidArgument, fmt::format("{} is {}, not a document ({})", path, kind, option));
    return read_file(path);
}

// Every certificate of a PEM bundle, or one DER certificate; each must parse (else exit 1, file named).
std::vector<Bytes> load_certificates(const std::string& path) { return parse_certificates(read_input(path, "--ca"), path); }

// --at: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DD HH:MM:SS", always UTC.
std::chrono::system_clock::time_point parse_at(const std::string& text) {
    using namespace std::chrono;
    int y = 0, h = 0, mi = 0, s = 0;
    unsigned mo = 0, d = 0;
    char sep = 0, z = 0;
    int n = 0;
    bool ok = false;
    if (std::sscanf(text.c_str(), "%4d-%2u-%2u%n", &y, &mo, &d, &n) == 3 && static_cast<std::size_t>(n) == text.size())
        ok = true;
    else if (std::sscanf(text.c_str(), "%4d-%2u-%2u%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &n) == 7 &&
             (sep == 'T' || sep == ' ') &&
             (static_cast<std::size_t>(n) == text.size() ||
              (static_cast<std::size_t>(n) + 1 == text.size() && (z = text.back()) == 'Z')))
        ok = true;
    const year_month_day ymd{year(y), month(mo), day(d)};
    if (!ok || !ymd.ok() || h > 23 || mi > 59 || s > 59)
        throw Error(ErrorCode::InvalidArgument, "--at wants a UTC time like 2030-01-31 or 2030-01-31T12:00:00Z, not \"" + text + "\"");
    return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
}

std::string utc(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

void print_check(const char* name, const CheckResult& c) {
    fmt::print("  [{}] {:<22} {}\n", c.ok ? "ok" : c.skipped ? "--" : "!!", name, c.detail);
}

// What a valid signature is (eIDAS): QES needs a qualified certificate for a natural person whose key
// is in a QSCD (QcCompliance + QcSSCD), non-repudiation, a chain to a trust anchor, validity at the
// validation time and a revocation status checked for every certificate of the chain; otherwise AdES.
void print_level(const SignerReport& r) {
    std::vector<std::string> missing;
    try {
        const CertificateFacts f = facts_of(r.signer_certificate_der);
        if (!f.qc || !f.qc->compliance) missing.push_back("certificate is not qualified (no QcCompliance statement)");
        if (!f.qc || !f.qc->sscd) missing.push_back("key not declared to be in a QSCD (no QcSSCD statement)");
        if (f.qc && std::find(f.qc->types.begin(), f.qc->types.end(), "esign") == f.qc->types.end())
            missing.push_back("certificate is not for electronic signatures (QcType is not esign)");
        if (!f.natural_person) missing.push_back("signer is not a natural person");
        if (!r.key_usage_extension)
            missing.push_back("certificate has no keyUsage extension");
        else if (!f.non_repudiation)
            missing.push_back("certificate lacks nonRepudiation");
    } catch (const Error& e) {
        missing.push_back(std::string("certificate facts unreadable: ") + e.what());
    }
    if (!r.revocation_checked) missing.push_back("revocation status not checked (give the CAs' CRLs with --crl)");
    if (missing.empty()) {
        fmt::print("Level: QES — qualified certificate (QcCompliance, QcSSCD, esign) for a natural person, "
                   "non-repudiation, valid at the validation time, not revoked, chain to the given trust anchor\n");
        fmt::print("       (a real QES also needs that anchor to be a qualified trust service on an EU trusted list)\n");
    } else {
        fmt::print("Level: AdES — not QES because:\n");
        for (const auto& m : missing) fmt::print("  - {}\n", m);
    }
}

void print_signer(const SignerReport& s) {
    if (!s.signer_subject.empty()) fmt::print("  signer:       {}\n", s.signer_subject);
    if (s.signing_time_claimed) fmt::print("  signing time: {} (claimed by the signer, not proven)\n", utc(*s.signing_time_claimed));
    print_check("algorithm", s.algorithm);
    print_check("signature", s.signature);
    print_check("message digest", s.message_digest);
    print_check("content type", s.content_type);
    print_check("signing certificate", s.signing_certificate);
    print_check("signing time", s.signing_time);
    print_check("certificate validity", s.certificate_validity);
    print_check("key usage", s.key_usage);
    if (s.chain_checked) {
        print_check("chain", s.chain);
        if (s.revocation.ok && !s.revocation_checked)
            fmt::print("  [--] {:<22} {}\n", "revocation", s.revocation.detail);
        else
            print_check("revocation", s.revocation);
    }
}

const char* explain(Indication i) {
    switch (i) {
        case Indication::Invalid: return "the signature is not valid";
        case Indication::Indeterminate: return "the signature cannot be shown to be valid";
        case Indication::Unsupported: return "a signature qscd cannot check (not a judgement of the signature)";
        case Indication::Valid: return "";
    }
    return "";
}

void verify(const VerifyOptions& o) {
    VerificationOptions options;
    for (const auto& path : o.anchors)
        for (Bytes& der : load_certificates(path)) options.trust_anchors_der.push_back(std::move(der));
    for (const auto& path : o.crls) {
        options.crls_der.push_back(read_input(path, "--crl"));
        if (!is_readable_crl(options.crls_der.back()))
            throw Error(ErrorCode::IoError, path + ": not a readable X.509 CRL (PEM or DER)");
    }
    const bool assumed = !o.at.empty();
    if (assumed) options.validation_time = parse_at(o.at);
    const Bytes cms = read_input(o.signature, "--sig");
    if (!o.input.empty()) (void)read_input(o.input, "--in");  // exists, before any work

    const VerificationReport r = verify_cades(
        cms,
        [&](HashAlgorithm hash) {
            if (o.input.empty())
                throw Error(ErrorCode::InvalidArgument, "the signature is detached: give the signed document with --in");
            return hash_file(hash, o.input);
        },
        options);

    fmt::print("Signature {}{}\n", o.signature, o.input.empty() ? "" : " for " + o.input);
    fmt::print("  validation time: {}{}\n", utc(r.validation_time),
               assumed ? " (given with --at: your assumption, not proven)" : " (now)");
    print_check("structure", r.parse);
    bool content_differs = false;
    if (r.parse.ok && r.attached && !o.input.empty()) {
        content_differs = read_file(o.input) != r.encapsulated_content;
        if (content_differs) fmt::print("  [!!] {:<22} {} differs from the content inside the signature\n", "document", o.input);
    }
    for (std::size_t i = 0; i < r.signers.size(); ++i) {
        if (r.signers.size() > 1) fmt::print("Signer {} of {}: {}\n", i + 1, r.signers.size(), to_string(r.signers[i].indication));
        print_signer(r.signers[i]);
    }
    const bool anchored = std::ranges::all_of(r.signers, [](const SignerReport& s) { return s.chain_checked; });
    if (r.valid && !content_differs && anchored) {
        fmt::print("Result: VALID (CAdES-B-B, {}chains to a trust anchor)\n", r.signers.size() > 1 ? "every signer " : "");
        for (std::size_t i = 0; i < r.signers.size(); ++i) {
            if (r.signers.size() > 1) fmt::print("Signer {}: ", i + 1);
            print_level(r.signers[i]);
        }
    } else if (r.valid && !content_differs) {
        fmt::print("Result: INTACT but NOT TRUSTED: no trust anchor given (use --ca)\n");
        throw VerificationFailed();
    } else {
        const Indication shown = content_differs ? Indication::Invalid : r.indication;
        fmt::print("Result: {} — {}\n", to_string(shown), explain(shown));
        if (content_differs) fmt::print("  - the document given with --in differs from the content inside the signature\n");
        for (const auto& p : r.problems) fmt::print("  - {}\n", p);
        throw VerificationFailed();
    }
}

}  // namespace

void add_verify_command(CLI::App& app, GlobalOptions&) {
    auto* cmd = app.add_subcommand("verify", "verify a CAdES signature (.p7s), detached or with the content inside");
    auto o = std::make_shared<VerifyOptions>();
    // Files are checked in verify(), not by CLI11, so that a missing one exits 5 like everywhere else.
    cmd->add_option("--in,-i", o->input, "the signed document (needed for a detached signature)");
    cmd->add_option("--sig,-s", o->signature, "the signature file (.p7s, DER)")->required();
    cmd->add_option("--ca", o->anchors, "trust anchor certificates (PEM bundle or DER); repeatable");
    cmd->add_option("--crl", o->crls, "a CRL (PEM or DER) for certificates of the chain; repeatable");
    cmd->add_option("--at", o->at, "validate at this UTC time instead of now (an assumption the report names)");
    cmd->callback([o] { verify(*o); });
}

}  // namespace qscd::cli
