// qscd pki show | issue | revoke — the local TEST PKI (root CA → qualified issuing CA), for simulated tokens
// and for applications that need test certificates in the ETSI EN 319 412 profiles.
#include <fmt/core.h>

#include "commands.hpp"
#include "qscd/atomic_file.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/test_ca.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

struct IssueOptions {
    std::string public_key;  // SubjectPublicKeyInfo, PEM or DER
    std::string profile = "qualified";
    std::string given;
    std::string surname = "Tester";
    std::string id = "0001";
    std::string out;
};

struct RevokeOptions {
    std::string serial;  // hex, as `openssl x509 -serial` prints it (colons and spaces allowed)
    std::string reason = "unspecified";
};

void show(const GlobalOptions& global) {
    const auto dir = token_directory(global).simulator_dir() / "test-pki";
    const TestPki pki = load_or_create_test_pki(dir);
    for (const auto& [name, ca] : {std::pair{"root", &pki.root}, std::pair{"issuing", &pki.issuing}}) {
        const CertificateSummary c = summarize_certificate(ca->certificate_der);
        fmt::print("{:<8} {}\n         valid {} to {} UTC\n         {}\n", name, c.subject, c.not_before, c.not_after,
                   (dir / (std::string(name) + ".pem")).string());
    }
    fmt::print("CRLs     {}\n         {}\n", (dir / kIssuingCrlFile).string(), (dir / kRootCrlFile).string());
    fmt::print("TEST material only: trust {} in verifiers for test signatures, never in production.\n", (dir / "root.pem").string());
}

void revoke(const GlobalOptions& global, const RevokeOptions& o) {
    std::string hex;
    for (char c : o.serial)
        if (c != ':' && c != ' ') hex += c;
    if (hex.size() % 2 != 0) hex.insert(hex.begin(), '0');
    const auto serial = from_hex(hex);
    if (hex.empty() || !serial) throw Error(ErrorCode::InvalidArgument, "--serial wants hex digits, not \"" + o.serial + "\"");
    const auto reason = revocation_reason_from_string(o.reason);
    if (!reason) throw Error(ErrorCode::InvalidArgument, "unknown --reason " + o.reason);
    const auto dir = token_directory(global).simulator_dir() / "test-pki";
    const RevokeResult r = revoke_in_test_pki(dir, *serial, *reason);
    fmt::print("Revoked serial {} ({}) by the {} CA; CRLs re-issued: {}, {}\n", to_hex(r.revocation.serial, ""),
               to_string(r.revocation.reason), r.issuer, (dir / kIssuingCrlFile).string(), (dir / kRootCrlFile).string());
}

void issue(const GlobalOptions& global, const IssueOptions& o) {
    const Bytes raw = read_file(o.public_key);
    const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
    const TestPki pki = load_or_create_test_pki(token_directory(global).simulator_dir() / "test-pki");
    const CertificateKind kind = o.profile == "seal" ? CertificateKind::LegalPersonSeal
                                 : o.profile == "non-qualified" ? CertificateKind::NaturalPersonNonQualified
                                                                : CertificateKind::NaturalPersonQualified;
    Bytes cert;
    try {
        const Bytes spki = text.find("-----BEGIN") != std::string_view::npos ? pem_to_der(text) : raw;
        cert = issue_certificate(pki.issuing, spki, profile_for(kind, o.given, o.surname, o.id));
    } catch (const Error& e) {
        // The file exists but holds no usable public key: a failure naming the file (exit 1).
        if (e.code() != ErrorCode::InvalidArgument) throw;
        throw Error(ErrorCode::CryptoError, o.public_key + ": " + e.what());
    }
    const std::string pem = der_to_pem(cert, "CERTIFICATE");
    write_file_atomic(o.out, as_bytes(pem), 0644);
    fmt::print("Issued {} ({}) → {}\n", summarize_certificate(cert).subject, to_string(kind), o.out);
}

}  // namespace

void add_pki_commands(CLI::App& app, GlobalOptions& global) {
    auto* pki = app.add_subcommand("pki", "the local TEST PKI (root CA and qualified issuing CA; never for production)");
    pki->require_subcommand(1);
    pki->add_subcommand("show", "create the test PKI if needed and show its CAs")->callback([&global] { show(global); });
    auto* issue_cmd = pki->add_subcommand("issue", "issue a TEST certificate for a public key (the key stays where it is)");
    auto o = std::make_shared<IssueOptions>();
    issue_cmd->add_option("--pubkey", o->public_key, "SubjectPublicKeyInfo (PEM or DER), e.g. from `openssl pkey -pubout`")
        ->required();  // a missing file is "not found" (exit 5), from read_file
    issue_cmd->add_option("--profile", o->profile, "qualified | non-qualified | seal")
        ->check(CLI::IsMember({"qualified", "non-qualified", "seal"}))
        ->capture_default_str();
    issue_cmd->add_option("--given", o->given, "given name (natural person) or organisation (seal)")->required();
    issue_cmd->add_option("--surname", o->surname, "surname (natural person)")->capture_default_str();
    issue_cmd->add_option("--id", o->id, "identifier for the serialNumber / organizationIdentifier")->capture_default_str();
    issue_cmd->add_option("--out", o->out, "certificate file (PEM)")->required();
    issue_cmd->callback([&global, o] { issue(global, *o); });

    auto* revoke_cmd = pki->add_subcommand("revoke", "revoke a certificate of the TEST PKI and re-issue both CRLs");
    auto r = std::make_shared<RevokeOptions>();
    revoke_cmd->add_option("--serial", r->serial, "the certificate's serial number in hex (`openssl x509 -noout -serial`)")
        ->required();
    revoke_cmd->add_option("--reason", r->reason, "RFC 5280 CRLReason")
        ->check(CLI::IsMember({"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
                               "cessationOfOperation", "privilegeWithdrawn", "aACompromise"}))
        ->capture_default_str();
    revoke_cmd->callback([&global, r] { revoke(global, *r); });
}

}  // namespace qscd::cli
