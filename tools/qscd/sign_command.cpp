// qscd sign: hash the document here (or take a digest computed elsewhere, --digest), let the card sign
// the hash after the holder's PIN, wrap the result as CAdES-B-B (detached) or write the raw signature.
#include <fmt/core.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <filesystem>

#include "commands.hpp"
#include "qscd/atomic_file.hpp"
#include "qscd/error.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/pem.hpp"
#include "qscd/signing_policy.hpp"
#include "audit_log.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

struct SignOptions {
    TokenChoice choice;
    std::string input;
    std::string digest;          // ALG:HEX, a digest computed elsewhere (--digest), instead of --in
    std::string output;
    std::string hash;            // default: the key's natural hash
    std::string format = "cades";
    std::optional<int> pin_fd;
    bool force = false;
    std::string level = "ades";
    std::string chain;           // PEM file of intermediate certificates to embed
    std::string audit_log;       // default: <state dir>/audit.log
};

SignatureLevel level_of(const std::string& name) {
    if (name == "qes") return SignatureLevel::Qes;
    if (name == "basic") return SignatureLevel::Basic;
    return SignatureLevel::Ades;
}

// Every certificate in a PEM bundle.
std::vector<Bytes> load_pem_bundle(const std::filesystem::path& path) {
    const Bytes raw = read_file(path);
    const std::string text(raw.begin(), raw.end());
    std::vector<Bytes> certs;
    // A file that exists but holds no usable certificate is a failure (exit 1) naming the file, not a
    // command-line error: the same as a corrupt CA file for `qscd verify`.
    try {
        for (std::size_t at = text.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
             at = text.find("-----BEGIN CERTIFICATE-----", at + 1))
            certs.push_back(pem_to_der(std::string_view(text).substr(at)));
    } catch (const Error& e) {
        throw Error(ErrorCode::CryptoError, path.string() + ": " + e.what());
    }
    if (certs.empty()) throw Error(ErrorCode::CryptoError, "no certificate in " + path.string());
    return certs;
}

// The intermediates to embed: --chain if given; else the local test PKI's issuing CA when it issued
// the signer's certificate, so that verifiers holding only the root can build the chain.
std::vector<Bytes> chain_for(const GlobalOptions& global, const SignOptions& o, ByteView signer) {
    if (!o.chain.empty()) return load_pem_bundle(o.chain);
    const auto issuing = make_source(global).state_dir() / "test-pki" / "issuing.pem";
    if (!std::filesystem::exists(issuing)) return {};
    std::vector<Bytes> local = load_pem_bundle(issuing);
    if (summarize_certificate(local.front()).subject != summarize_certificate(signer).issuer) return {};
    return local;
}

// A document is a regular file: NotFound when it is missing, InvalidArgument naming what it is
// otherwise (a directory, FIFO or device is a wrong argument, not a missing file).
void check_document(const std::filesystem::path& in) {
    const FileKind kind = file_kind(in);
    if (kind == FileKind::Missing) throw Error(ErrorCode::NotFound, "no such document: " + in.string());
    if (kind != FileKind::Regular)
        throw Error(ErrorCode::InvalidArgument, in.string() + " is " + describe(kind) + ", not a document to sign");
}

struct GivenDigest {
    HashAlgorithm hash;
    Bytes value;
};

// --digest ALG:HEX: the flow of servers that hash the document themselves (web-eid, DSS's
// data-to-sign). The length must be that of ALG.
GivenDigest parse_given_digest(const std::string& text) {
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

void refuse_output_over_input(const std::filesystem::path& out, const std::filesystem::path& in) {
    if (same_file(out, in))
        throw Error(ErrorCode::InvalidArgument, out.string() + " is the document " + in.string() + " itself; choose another output");
}

void write_to_stdout(ByteView data) {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0)
        throw Error(ErrorCode::IoError, "cannot write the signature to standard output");
}

// Runs a policy gate; a refusal is appended to the audit log ("refused: <rule>") before it reaches
// the user, so the log holds every attempt, not only those the card saw.
template <typename Gate>
void logging_refusal(const std::filesystem::path& log, AuditEntry entry, Gate gate) {
    try {
        gate();
    } catch (const Error& e) {
        if (e.code() != ErrorCode::PolicyViolation) throw;
        entry.result = std::string("refused: ") + e.what();
        append_audit_entry(log, entry);
        throw;
    }
}

void sign(const GlobalOptions& global, const SignOptions& o) {
    const std::filesystem::path in(o.input);
    const std::optional<GivenDigest> given = o.digest.empty() ? std::nullopt : std::optional(parse_given_digest(o.digest));
    if (given && o.output.empty()) throw Error(ErrorCode::InvalidArgument, "--digest needs --out (a file, or - for standard output)");
    if (!given && o.input.empty()) throw Error(ErrorCode::InvalidArgument, "give the document (--in) or its digest (--digest ALG:HEX)");
    const bool to_stdout = o.output == "-";
    const std::filesystem::path out = o.output.empty() ? std::filesystem::path(o.input + (o.format == "cades" ? ".p7s" : ".sig")) : std::filesystem::path(o.output);
    if (!given) check_document(in);
    // The output is checked (its kind, and that a file can be created there) before the card is even
    // opened: the PIN is never asked, and the card never signs, for a signature that cannot be written.
    std::optional<PendingFile> pending;
    if (!to_stdout) {
        if (!given) refuse_output_over_input(out, in);
        pending.emplace(out, 0644, o.force);
    }
    const std::string signed_what = given ? std::string("the given digest (the document itself was not seen)") : in.string();
    const std::string out_name = to_stdout ? std::string("standard output") : out.string();
    // With -o - standard output carries the signature only; the report goes to stderr.
    std::FILE* report = to_stdout ? stderr : stdout;

    auto token = open_token(global, o.choice);
    auto key = token->key("SIG");
    const KeyAttributes& a = key->attributes();
    HashAlgorithm hash = default_hash(a.type);
    if (!o.hash.empty()) hash = *parse_hash_algorithm(o.hash);
    if (given) hash = given->hash;

    AuditEntry audit;
    audit.token_serial = token->info().serial;
    audit.certificate_sha256 = a.certificate.empty() ? "" : to_hex(hash_bytes(HashAlgorithm::Sha256, a.certificate), "");
    audit.document = signed_what;
    audit.hash_algorithm = to_string(hash);
    audit.level = to_string(level_of(o.level));
    const auto log_path = o.audit_log.empty() ? make_source(global).state_dir() / "audit.log" : std::filesystem::path(o.audit_log);
    check_audit_log_writable(log_path);

    // Policy first: the card is not asked to sign what the requested level does not allow. A refusal
    // is logged too (no counter: the card was not asked).
    logging_refusal(log_path, audit, [&] {
        if (!a.certificate.empty()) check_signing_policy(SigningPolicy::for_level(level_of(o.level)), a.certificate, a.type, hash);
        else if (o.level != "basic")
            throw Error(ErrorCode::PolicyViolation,
                        "certificate present: the token holds no certificate, so only --level basic (with --format raw) is possible");
    });

    const Bytes digest = given ? given->value : hash_file(hash, in);
    audit.document_hash = to_hex(digest, "");
    audit.counter_before = token->signature_counter();  // for a failed attempt's log line only
    const std::unique_ptr<PinEntry> pin = pin_from_fd_env_or_terminal(o.pin_fd, "QSCD_PIN");

    Bytes result;
    std::optional<CounterReading> counter;  // as read inside the signing transaction
    try {
        if (o.format == "raw") {
            CountedSignature signed_hash = key->sign_hash_counted(hash, digest, *pin);
            counter = signed_hash.counter;
            const Bytes& signature = signed_hash.signature;
            if (!verify_signature(a.public_key, a.scheme, hash, digest, signature))
                throw Error(ErrorCode::VerificationFailed, "the card's signature does not verify against its public key");
            // DER for ECDSA so that `openssl dgst -verify` reads it; PKCS#1 bytes for RSA.
            result = a.scheme == SignatureScheme::Ecdsa ? ecdsa_raw_to_der(signature) : signature;
        } else {
            if (a.certificate.empty())
                throw Error(ErrorCode::NotFound, "the token holds no certificate for its signature key; CAdES needs one (or use --format raw)");
            CadesSigner signer;
            signer.certificate_der = a.certificate;
            signer.chain_der = chain_for(global, o, a.certificate);
            signer.scheme = a.scheme;
            signer.sign_digest = [&](HashAlgorithm h, ByteView d) {
                CountedSignature signed_hash = key->sign_hash_counted(h, d, *pin);
                counter = signed_hash.counter;
                return std::move(signed_hash.signature);
            };
            // create_cades_detached checks the card's signature against the certificate before
            // embedding it: a card whose key no longer matches its certificate produces no file.
            result = create_cades_detached(signer, hash, digest, std::chrono::system_clock::now());
        }
        // The driver checked, inside the signing transaction, that the card's counter rose by exactly
        // one; those are the values shown and logged (other programs may sign before or after).
        if (counter) {
            audit.counter_before = counter->before;
            audit.counter_after = counter->after;
        } else {
            audit.counter_before = audit.counter_after = std::nullopt;
        }
        if (to_stdout) write_to_stdout(result);
        else pending->commit(result);
    } catch (const Error& e) {
        audit.result = std::string("failed: ") + e.what();
        append_audit_entry(log_path, audit);
        throw;
    }
    audit.result = "signed " + out_name;
    append_audit_entry(log_path, audit);
    fmt::print(report, "Signed {} ({} {}) → {}\n", signed_what, to_string(hash), to_hex(digest, ""), out_name);
    fmt::print(report, "Policy: {} requirements met before signing\n", to_string(level_of(o.level)));
    if (counter) fmt::print(report, "Card signature counter: {} → {}\n", counter->before, counter->after);
}

struct BatchOptions {
    TokenChoice choice;
    std::vector<std::string> inputs;
    std::string hash;
    std::string level = "ades";
    std::string chain;
    std::string audit_log;
    std::optional<int> pin_fd;
    bool confirm = false;
    bool force = false;
};

// One PIN entry for N documents — only where the card allows it, and only after the documents and
// their hashes were shown (sole control: the holder knows what the PIN will authorise).
void sign_batch(const GlobalOptions& global, const BatchOptions& o) {
    // Each document once (by any name: links, ./ spellings), and no signature file written twice or
    // over one of the documents.
    std::vector<std::filesystem::path> inputs;
    for (const auto& name : o.inputs) {
        const std::filesystem::path in(name);
        check_document(in);
        for (const auto& earlier : inputs)
            if (same_file(in, earlier))
                throw Error(ErrorCode::InvalidArgument, name + " is the same document as " + earlier.string() + "; list each document once");
        inputs.push_back(in);
    }
    std::vector<PendingFile> outputs;  // checked before the PIN, like `qscd sign`
    for (const auto& in : inputs) {
        const std::filesystem::path out(in.string() + ".p7s");
        const auto where = std::filesystem::weakly_canonical(out);
        for (const auto& document : inputs)
            if (same_file(out, document) || where == std::filesystem::weakly_canonical(document))
                throw Error(ErrorCode::InvalidArgument, "the signature file of " + in.string() + " would replace the document " +
                                                            document.string() + "; sign them separately");
        for (const auto& earlier : outputs)
            if (where == std::filesystem::weakly_canonical(earlier.path()))
                throw Error(ErrorCode::InvalidArgument, "two documents would be signed into the same file " + out.string());
        outputs.emplace_back(out, 0644, o.force);
    }
    auto token = open_token(global, o.choice);
    auto key = token->key("SIG");
    const KeyAttributes& a = key->attributes();
    if (a.certificate.empty()) throw Error(ErrorCode::NotFound, "the token holds no certificate for its signature key");
    const HashAlgorithm hash = o.hash.empty() ? default_hash(a.type) : *parse_hash_algorithm(o.hash);
    const auto log_path = o.audit_log.empty() ? make_source(global).state_dir() / "audit.log" : std::filesystem::path(o.audit_log);
    check_audit_log_writable(log_path);
    AuditEntry audit;
    audit.token_serial = token->info().serial;
    audit.certificate_sha256 = to_hex(hash_bytes(HashAlgorithm::Sha256, a.certificate), "");
    audit.document = std::to_string(inputs.size()) + " documents (batch)";
    audit.hash_algorithm = to_string(hash);
    audit.level = to_string(level_of(o.level));
    logging_refusal(log_path, audit, [&] {
        check_signing_policy(SigningPolicy::for_level(level_of(o.level)), a.certificate, a.type, hash);
        if (a.pin_policy == PinPolicy::PerSignature)
            throw Error(ErrorCode::PolicyViolation, "batch signing refused: the card requires the User PIN for every signature (sole control); "
                                                    "sign the documents one by one with `qscd sign`");
    });

    std::vector<Bytes> digests;
    fmt::print("Documents to sign with ONE User PIN entry ({} {}):\n", inputs.size(), to_string(hash));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        digests.push_back(hash_file(hash, inputs[i]));
        fmt::print("  {:>3}. {}  {}\n", i + 1, inputs[i].string(), to_hex(digests.back(), ""));
    }
    std::fflush(stdout);
    if (!o.confirm) {
        if (!::isatty(STDIN_FILENO))
            throw Error(ErrorCode::Cancelled, "review the list above, then run again with --confirm (no terminal to ask)");
        fmt::print("Sign all {} documents? [y/N] ", inputs.size());
        std::fflush(stdout);
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") throw Error(ErrorCode::Cancelled, "batch not confirmed; nothing signed");
    }

    audit.counter_before = token->signature_counter();  // for a failed batch's log line only
    std::vector<Bytes> results;
    try {
        const std::unique_ptr<PinEntry> pin = pin_from_fd_env_or_terminal(o.pin_fd, "QSCD_PIN");
        auto batch = key->begin_batch(inputs.size(), *pin);
        CadesSigner signer;
        signer.certificate_der = a.certificate;
        SignOptions chain_options;
        chain_options.chain = o.chain;
        signer.chain_der = chain_for(global, chain_options, a.certificate);
        signer.scheme = a.scheme;
        signer.sign_digest = [&](HashAlgorithm h, ByteView d) { return batch->sign(h, d); };
        const CadesDetachedSigner cades(std::move(signer));  // certificates parsed once for the batch
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            results.push_back(cades.sign(hash, digests[i], std::chrono::system_clock::now()));
            fmt::print(stderr, "[{}/{}] signed {}\n", i + 1, inputs.size(), inputs[i].string());
        }
        // The card counted exactly these signatures; the values shown are those read in the batch's
        // transaction, not a later read that could include other programs' signatures.
        const std::optional<CounterReading> counter = batch->finish();
        audit.counter_before = counter ? std::optional(counter->before) : std::nullopt;
        audit.counter_after = counter ? std::optional(counter->after) : std::nullopt;
    } catch (const Error& e) {
        audit.result = std::string("failed: ") + e.what();
        append_audit_entry(log_path, audit);
        throw;
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        AuditEntry entry = audit;
        entry.document = inputs[i].string();
        entry.document_hash = to_hex(digests[i], "");
        try {
            outputs[i].commit(results[i]);
        } catch (const Error& e) {
            entry.result = std::string("signed in batch, not written: ") + e.what();
            append_audit_entry(log_path, entry);
            throw;
        }
        entry.result = "signed in batch " + outputs[i].path().string();
        append_audit_entry(log_path, entry);
    }
    if (audit.counter_before && audit.counter_after)
        fmt::print("Signed {} documents with one PIN entry; card signature counter {} → {}\n", inputs.size(), *audit.counter_before,
                   *audit.counter_after);
    else
        fmt::print("Signed {} documents with one PIN entry\n", inputs.size());
}

}  // namespace

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
    cmd->add_flag("--force", o->force, "replace an existing output file (a regular file only)");
    cmd->add_option("--level", o->level, "signing policy checked before the card signs: qes (qualified certificate, QcSSCD, natural person, "
                                         "non-repudiation), ades (non-repudiation), basic (algorithms only)")
        ->check(CLI::IsMember({"qes", "ades", "basic"}))
        ->capture_default_str();
    cmd->add_option("--audit-log", o->audit_log, "hash-chained audit log to append to (default: <state dir>/audit.log)");
    cmd->add_option("--chain", o->chain, "PEM file with intermediate CA certificates to embed (default: the local test PKI's issuing CA if it issued the signer)");
    cmd->callback([&global, o] { sign(global, *o); });
}

}  // namespace qscd::cli
