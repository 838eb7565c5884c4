// qscd sign, qscd sign-batch: options mapped to a qscd::SigningService request, and its outcome printed.
// The service owns the workflow (policy gate, output check, audit intent, PIN, card signature with
// the counter checked, self-check, audit result, atomic output); nothing here touches the card.
#include <fmt/core.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "qscd/atomic_file.hpp"
#include "qscd/audit.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "qscd/pin_entry.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing_service.hpp"
#include "session.hpp"

namespace qscd::cli {

// The intermediates to embed: --chain if given; else the local test PKI's issuing CA when it issued
// the signer's certificate, so that verifiers holding only the root can build the chain.
std::vector<Bytes> chain_for(const GlobalOptions& global, const std::string& chain, Token& token, const std::string& key_id) {
    if (!chain.empty()) return read_certificates(chain);
    const auto issuing = token_directory(global).simulator_dir() / "test-pki" / "issuing.pem";
    const Bytes signer = token.key(key_id)->attributes().certificate;
    if (signer.empty() || !std::filesystem::exists(issuing)) return {};
    std::vector<Bytes> local = read_certificates(issuing);
    if (summarize_certificate(local.front()).subject != summarize_certificate(signer).issuer) return {};
    return local;
}

namespace {

struct SignOptions {
    TokenChoice choice;
    std::string input;
    std::string digest;          // ALG:HEX, a digest computed elsewhere (--digest), instead of --in
    std::string output;
    std::string hash;            // default: the key's natural hash
    std::string format = "cades";
    std::optional<int> pin_fd;
    bool pin_pad = false;        // the PIN is typed on the reader's keypad (PC/SC part 10)
    bool require_pin_pad = false;  // QES only with the PIN typed on the reader's keypad
    bool force = false;
    std::string level = "ades";
    std::string chain;           // PEM file of intermediate certificates to embed
    std::string audit_log;       // default: <state dir>/audit.log
    std::string key = "sig";     // sig: the signature key; auth: an ID card's authentication key (asked for explicitly)
};

// --pin-pad: the reader's keypad collects the PIN (the host never holds it); otherwise the CLI's
// host prompt order. Never automatic: a reader announcing a PIN pad it does not have would hang.
std::unique_ptr<PinEntry> pin_entry_for(bool pin_pad, std::optional<int> pin_fd) {
    if (pin_pad) return std::make_unique<ReaderPinPad>();
    return pin_from_fd_env_or_terminal(pin_fd, "QSCD_PIN");
}

SignatureLevel level_of(const std::string& name) {
    if (name == "qes") return SignatureLevel::Qes;
    if (name == "basic") return SignatureLevel::Basic;
    return SignatureLevel::Ades;
}

// --digest ALG:HEX: the flow of servers that hash the document themselves (web-eid, DSS's
// data-to-sign). The length must be that of ALG.
PrecomputedDigest parse_given_digest(const std::string& text) {
    const auto colon = text.find(':');
    std::string name = text.substr(0, colon);
    std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto hash = colon == std::string::npos ? std::nullopt : parse_hash_algorithm(name);
    if (!hash) throw Error(ErrorCode::InvalidArgument, "--digest wants ALG:HEX with ALG sha256, sha384 or sha512");
    auto value = from_hex(std::string_view(text).substr(colon + 1));
    if (!value || value->size() != digest_size(*hash))
        throw Error(ErrorCode::InvalidArgument, "--digest: " + std::string(to_string(*hash)) + " wants " +
                                                    std::to_string(2 * digest_size(*hash)) + " hex digits");
    return {*hash, std::move(*value)};
}

std::filesystem::path audit_log_path(const GlobalOptions& global, const std::string& option) {
    return option.empty() ? token_directory(global).simulator_dir() / "audit.log" : std::filesystem::path(option);
}

void sign(const GlobalOptions& global, const SignOptions& o) {
    SignRequest request;
    if (!o.digest.empty()) {
        request.subject = parse_given_digest(o.digest);
        if (o.output.empty()) throw Error(ErrorCode::InvalidArgument, "--digest needs --out (a file, or - for standard output)");
    } else if (o.input.empty()) {
        throw Error(ErrorCode::InvalidArgument, "give the document (--in) or its digest (--digest ALG:HEX)");
    } else {
        request.subject = DocumentFile{o.input};
    }
    if (!o.hash.empty()) request.hash = parse_hash_algorithm(o.hash);
    request.format = o.format == "raw" ? SignatureFormat::Raw : SignatureFormat::Cades;
    request.level = level_of(o.level);
    request.pin_pad_required_for_qes = o.require_pin_pad;
    const bool to_stdout = o.output == "-";
    if (to_stdout) request.output = OutputStream{&std::cout, "standard output"};
    else request.output = OutputFile{o.output.empty() ? o.input + (o.format == "cades" ? ".p7s" : ".sig") : o.output, o.force};

    auto token = open_token(global, o.choice);
    const bool authentication_key = o.key == "auth";
    const std::string key_id = authentication_key ? "AUT" : "SIG";
    if (request.format == SignatureFormat::Cades) request.chain = chain_for(global, o.chain, *token, key_id);
    JsonLinesAuditLog audit(audit_log_path(global, o.audit_log));
    const auto pin = pin_entry_for(o.pin_pad, o.pin_fd);
    SigningService service(*token, audit, *pin, key_id, authentication_key);
    const SignOutcome done = service.sign(request);

    // With -o - standard output carries the signature only; the report goes to stderr.
    std::FILE* report = to_stdout ? stderr : stdout;
    fmt::print(report, "Signed {} ({} {}) → {}\n", done.subject, to_string(done.hash), to_hex(done.digest, ""), done.output);
    fmt::print(report, "Policy: {} requirements met before signing\n", to_string(done.level));
    if (done.counter) fmt::print(report, "Card signature counter: {} → {}\n", done.counter->before, done.counter->after);
}

struct BatchOptions {
    TokenChoice choice;
    std::vector<std::string> inputs;
    std::string hash;
    std::string level = "ades";
    std::string chain;
    std::string audit_log;
    std::optional<int> pin_fd;
    bool pin_pad = false;
    bool require_pin_pad = false;
    bool confirm = false;
    bool force = false;
};

// Shows the documents and their hashes, then asks (sole control: the holder knows what the one PIN
// entry will authorise); --confirm says the list was reviewed.
void confirm_batch(const std::vector<BatchItem>& items, bool confirmed) {
    fmt::print("Documents to sign with ONE User PIN entry ({} {}):\n", items.size(), to_string(items.front().hash));
    for (std::size_t i = 0; i < items.size(); ++i) fmt::print("  {:>3}. {}  {}\n", i + 1, items[i].subject, to_hex(items[i].digest, ""));
    std::fflush(stdout);
    if (confirmed) return;
    if (!::isatty(STDIN_FILENO)) throw Error(ErrorCode::Cancelled, "review the list above, then run again with --confirm (no terminal to ask)");
    fmt::print("Sign all {} documents? [y/N] ", items.size());
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") throw Error(ErrorCode::Cancelled, "batch not confirmed; nothing signed");
}

// One PIN entry for N documents — only where the card allows it (the service refuses otherwise).
void sign_batch(const GlobalOptions& global, const BatchOptions& o) {
    auto token = open_token(global, o.choice);
    const std::vector<Bytes> chain = chain_for(global, o.chain, *token);
    std::vector<SignRequest> requests;
    for (const auto& name : o.inputs) {
        SignRequest r;
        r.subject = DocumentFile{name};
        if (!o.hash.empty()) r.hash = parse_hash_algorithm(o.hash);
        r.level = level_of(o.level);
        r.pin_pad_required_for_qes = o.require_pin_pad;
        r.output = OutputFile{name + ".p7s", o.force};
        r.chain = chain;
        requests.push_back(std::move(r));
    }
    JsonLinesAuditLog audit(audit_log_path(global, o.audit_log));
    const auto pin = pin_entry_for(o.pin_pad, o.pin_fd);
    SigningService service(*token, audit, *pin);
    const auto done = service.sign_batch(
        requests, [&](const std::vector<BatchItem>& items) { confirm_batch(items, o.confirm); },
        [&](std::size_t i) { fmt::print(stderr, "[{}/{}] signed {}\n", i + 1, requests.size(), o.inputs[i]); });
    if (done.front().counter)
        fmt::print("Signed {} documents with one PIN entry; card signature counter {} → {}\n", done.size(), done.front().counter->before,
                   done.back().counter->after);
    else
        fmt::print("Signed {} documents with one PIN entry\n", done.size());
}

}  // namespace

constexpr const char* kRequirePinPadHelp =
    "with --level qes: refuse (exit 7, before any PIN is asked) unless the PIN is typed on the reader's PIN pad (--pin-pad on a "
    "reader that has one)";

void add_sign_command(CLI::App& app, GlobalOptions& global) {
    auto* batch = app.add_subcommand("sign-batch", "sign several documents with one User PIN entry (only if the card allows it)");
    auto b = std::make_shared<BatchOptions>();
    add_token_options(batch, b->choice);
    batch->add_option("documents", b->inputs, "documents to sign (each gets <document>.p7s)")->required();
    batch->add_option("--hash", b->hash, "digest algorithm")->check(CLI::IsMember({"sha256", "sha384", "sha512"}));
    batch->add_option("--level", b->level, "signing policy: qes, ades or basic")->check(CLI::IsMember({"qes", "ades", "basic"}))->capture_default_str();
    batch->add_option("--chain", b->chain, "PEM file with intermediate CA certificates to embed");
    batch->add_option("--audit-log", b->audit_log, "audit log (default: <state dir>/audit.log)");
    batch->add_option("--pin-fd", b->pin_fd, "read the User PIN from this file descriptor (else QSCD_PIN, else the terminal)");
    batch->add_flag("--pin-pad", b->pin_pad, "type the User PIN on the reader's keypad (PC/SC part 10 PIN pad); the host never sees it")
        ->excludes("--pin-fd");
    batch->add_flag("--require-pin-pad", b->require_pin_pad, kRequirePinPadHelp);
    batch->add_flag("--confirm", b->confirm, "the list was reviewed: do not ask (required without a terminal)");
    batch->add_flag("--force", b->force, "replace existing .p7s files (regular files only)");
    batch->callback([&global, b] { sign_batch(global, *b); });

    auto* cmd = app.add_subcommand("sign", "sign a document with the token's signature key (CAdES-B-B detached by default)");
    auto o = std::make_shared<SignOptions>();
    add_token_options(cmd, o->choice);
    auto* in_option = cmd->add_option("--in,-i", o->input, "document to sign");
    auto* digest_option = cmd->add_option("--digest", o->digest, "sign a digest computed elsewhere instead of a document: ALG:HEX "
                                                                 "(ALG sha256, sha384 or sha512); needs --out")
                              ->excludes(in_option);
    cmd->add_option("--out,-o", o->output, "signature file (default: <in>.p7s, or <in>.sig for raw; - for standard output); "
                                           "only a regular file is ever replaced, never the document itself");
    cmd->add_option("--hash", o->hash, "digest algorithm (default: SHA-384 for P-384 keys, else SHA-256)")
        ->check(CLI::IsMember({"sha256", "sha384", "sha512"}))
        ->excludes(digest_option);
    cmd->add_option("--format", o->format, "cades: CMS SignedData (.p7s); raw: the bare signature (ECDSA as DER)")
        ->check(CLI::IsMember({"cades", "raw"}))
        ->capture_default_str();
    cmd->add_option("--pin-fd", o->pin_fd, "read the User PIN from this file descriptor (else QSCD_PIN, else the terminal)");
    cmd->add_flag("--pin-pad", o->pin_pad, "type the User PIN on the reader's keypad (PC/SC part 10 PIN pad); the host never sees it")
        ->excludes("--pin-fd");
    cmd->add_flag("--require-pin-pad", o->require_pin_pad, kRequirePinPadHelp);
    cmd->add_flag("--force", o->force, "replace an existing output file (a regular file only)");
    cmd->add_option("--level", o->level, "signing policy checked before the card signs: qes (qualified certificate, QcSSCD, natural person, "
                                         "non-repudiation), ades (non-repudiation), basic (algorithms only)")
        ->check(CLI::IsMember({"qes", "ades", "basic"}))
        ->capture_default_str();
    cmd->add_option("--audit-log", o->audit_log, "hash-chained audit log to append to (default: <state dir>/audit.log)");
    cmd->add_option("--chain", o->chain, "PEM file with intermediate CA certificates to embed (default: the local test PKI's issuing CA if it issued the signer)");
    cmd->add_option("--key", o->key, "sig: the signature key; auth: a national ID card's authentication key (PIN1), "
                                     "which signs documents only when asked for here")
        ->check(CLI::IsMember({"sig", "auth"}))
        ->capture_default_str();
    cmd->callback([&global, o] { sign(global, *o); });
}

}  // namespace qscd::cli
