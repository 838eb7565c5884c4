// qscd verify: checks a detached CAdES signature and says, check by check, why it is valid or not.
#include <fmt/core.h>

#include <ctime>
#include <fstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "qscd/atomic_file.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/pem.hpp"
#include "qscd/signing/qc_statements.hpp"

#include <algorithm>

namespace qscd::cli {

namespace {

struct VerifyOptions {
    std::string input;
    std::string signature;
    std::vector<std::string> anchors;
};

Bytes load_certificate(const std::string& path) {
    const Bytes raw = read_file(path);
    const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
    return text.find("-----BEGIN") != std::string_view::npos ? pem_to_der(text) : raw;
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
    fmt::print("  [{}] {:<22} {}\n", c.ok ? "ok" : "!!", name, c.detail);
}

// What the signature is (eIDAS): QES needs a qualified certificate for a natural person whose key
// is in a QSCD (QcCompliance + QcSSCD), non-repudiation, a chain to a trust anchor and validity at
// signing time; otherwise a valid signature is AdES. Each reason is printed.
void print_level(const VerificationReport& r) {
    std::vector<std::string> missing;
    try {
        const CertificateFacts f = facts_of(r.signer_certificate_der);
        if (!f.qc || !f.qc->compliance) missing.push_back("certificate is not qualified (no QcCompliance statement)");
        if (!f.qc || !f.qc->sscd) missing.push_back("key not declared to be in a QSCD (no QcSSCD statement)");
        if (f.qc && std::find(f.qc->types.begin(), f.qc->types.end(), "esign") == f.qc->types.end())
            missing.push_back("certificate is not for electronic signatures (QcType is not esign)");
        if (!f.natural_person) missing.push_back("signer is not a natural person");
        if (!f.non_repudiation) missing.push_back("certificate lacks nonRepudiation");
    } catch (const Error& e) {
        missing.push_back(std::string("certificate facts unreadable: ") + e.what());
    }
    if (missing.empty()) {
        fmt::print("Level: QES — qualified certificate (QcCompliance, QcSSCD, esign) for a natural person, "
                   "non-repudiation, valid at signing time, chain to the given trust anchor\n");
        fmt::print("       (a real QES also needs that anchor to be a qualified trust service on an EU trusted list)\n");
    } else {
        fmt::print("Level: AdES — not QES because:\n");
        for (const auto& m : missing) fmt::print("  - {}\n", m);
    }
}

void verify(const VerifyOptions& o) {
    std::vector<Bytes> anchors;
    for (const auto& path : o.anchors) anchors.push_back(load_certificate(path));
    const Bytes cms = read_file(o.signature);
    const VerificationReport r = verify_cades_detached(cms, std::filesystem::path(o.input), anchors);

    fmt::print("Signature {} for {}\n", o.signature, o.input);
    if (!r.signer_subject.empty()) fmt::print("  signer:       {}\n", r.signer_subject);
    if (r.signing_time) fmt::print("  signing time: {}\n", utc(*r.signing_time));
    if (r.hash_algorithm && r.scheme) fmt::print("  algorithm:    {} with {}\n", to_string(*r.scheme), to_string(*r.hash_algorithm));
    print_check("structure", r.parse);
    if (r.parse.ok) {
        print_check("signature", r.signature);
        print_check("message digest", r.message_digest);
        print_check("content type", r.content_type);
        print_check("signing certificate", r.signing_certificate);
        print_check("validity at signing", r.certificate_validity);
        print_check("key usage", r.key_usage);
        if (r.chain_checked) print_check("chain", r.chain);
    }
    if (r.valid && r.chain_checked) {
        fmt::print("Result: VALID (CAdES-B-B, chains to a trust anchor)\n");
        print_level(r);
    } else if (r.valid) {
        fmt::print("Result: INTACT but NOT TRUSTED: no trust anchor given (use --ca)\n");
        throw VerificationFailed();
    } else {
        fmt::print("Result: INVALID\n");
        for (const auto& p : r.problems) fmt::print("  - {}\n", p);
        throw VerificationFailed();
    }
}

}  // namespace

void add_verify_command(CLI::App& app, GlobalOptions&) {
    auto* cmd = app.add_subcommand("verify", "verify a detached CAdES signature (.p7s) over a document");
    auto o = std::make_shared<VerifyOptions>();
    cmd->add_option("--in,-i", o->input, "the signed document")->required()->check(CLI::ExistingFile);
    cmd->add_option("--sig,-s", o->signature, "the signature file (.p7s, DER)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--ca", o->anchors, "trust anchor certificate (PEM or DER); repeatable")->check(CLI::ExistingFile);
    cmd->callback([o] { verify(*o); });
}

}  // namespace qscd::cli
