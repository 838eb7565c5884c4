#include "qscd/signing_service.hpp"

#include <chrono>
#include <istream>
#include <ostream>

#include "qscd/atomic_file.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd {

const char* to_string(SignatureFormat format) { return format == SignatureFormat::Raw ? "raw" : "cades"; }

namespace {

constexpr const char* kDigestOnly = "the given digest (the document itself was not seen)";

std::string sha256_hex(ByteView data) { return to_hex(hash_bytes(HashAlgorithm::Sha256, data), ""); }

// A document is a regular file: NotFound when it is missing, InvalidArgument naming what it is
// otherwise (a directory, FIFO or device is a wrong argument, not a missing file).
void check_document(const std::filesystem::path& in) {
    const FileKind kind = file_kind(in);
    if (kind == FileKind::Missing) throw Error(ErrorCode::NotFound, "no such document: " + in.string());
    if (kind != FileKind::Regular) throw Error(ErrorCode::InvalidArgument, in.string() + " is " + describe(kind) + ", not a document to sign");
}

std::string subject_name(const SignSubject& subject) {
    if (const auto* file = std::get_if<DocumentFile>(&subject)) return file->path.string();
    if (const auto* stream = std::get_if<DocumentStream>(&subject)) return stream->name.empty() ? "a stream" : stream->name;
    return kDigestOnly;
}

std::string output_name(const SignOutput& output) {
    if (const auto* file = std::get_if<OutputFile>(&output)) return file->path.string();
    if (const auto* stream = std::get_if<OutputStream>(&output)) return stream->name.empty() ? "a stream" : stream->name;
    return "memory";
}

Bytes hash_stream(HashAlgorithm hash, std::istream& in, const std::string& name) {
    Hasher hasher(hash);
    Bytes buffer(64 * 1024);
    while (in) {
        in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
        hasher.update(ByteView(buffer.data(), static_cast<std::size_t>(in.gcount())));
    }
    if (in.bad()) throw Error(ErrorCode::IoError, "cannot read " + name);
    return hasher.finish();
}

// Appends `entry`; if the log fails now, the user still learns what happened to the card first.
void append_after(AuditSink& audit, const AuditEntry& entry, const Error& cause) {
    try {
        audit.append(entry);
    } catch (const Error& e) {
        throw Error(cause.code(), std::string(cause.what()) + " (and the audit log could not record it: " + e.what() + ")",
                    cause.tries_left(), cause.sw());
    }
}

}  // namespace

// One request, checked and hashed, ready for the card.
struct SigningService::Prepared {
    HashAlgorithm hash = HashAlgorithm::Sha256;
    Bytes digest;
    std::optional<PendingFile> file;  // OutputFile: checked, written last
    std::ostream* stream = nullptr;   // OutputStream
    AuditEntry audit;                 // the intent, filled in
    const SignRequest* request = nullptr;
    std::string purpose;              // for the PIN entry: what the PIN authorises
};

// The card's counter before an attempt, for the intent: if the program dies before the result is
// logged, `audit verify` knows where that attempt could have cost a count. Unknown if it cannot be read
// (the signature itself will then tell what is wrong).
std::optional<std::uint32_t> SigningService::counter_now() {
    try {
        return token_.signature_counter();
    } catch (const Error&) {
        return std::nullopt;
    }
}

SigningService::SigningService(Token& token, AuditSink& audit, PinEntry& pin, const std::string& key_id, bool allow_authentication_key)
    : token_(token), audit_(audit), pin_(pin), key_(token.key(key_id)), allow_authentication_key_(allow_authentication_key),
      token_serial_(), token_origin_() {
    const TokenInfo info = token.info();
    token_serial_ = info.serial;
    token_origin_ = info.origin;
}

// policy gate → output target check → hash; anything refused here is logged as refused (the card
// was not asked) before it reaches the caller.
SigningService::Prepared SigningService::prepare(const SignRequest& request) {
    const KeyAttributes& a = key_->attributes();
    Prepared p;
    p.request = &request;
    const auto* given = std::get_if<PrecomputedDigest>(&request.subject);
    p.hash = given ? given->hash : request.hash.value_or(default_hash(a.type));

    AuditEntry& e = p.audit;
    e.event = AuditEvent::Intent;
    e.token_serial = token_serial_;
    e.certificate_sha256 = a.certificate.empty() ? "" : sha256_hex(a.certificate);
    e.document = subject_name(request.subject);
    e.document_seen = given == nullptr;
    e.hash_algorithm = to_string(p.hash);
    e.level = to_string(request.level);
    e.format = to_string(request.format);
    e.output = output_name(request.output);

    audit_.check_ready();  // a signature that cannot be logged is never made
    try {
        // The key's usage: an authentication key (an ID card's PIN1 key) signs a document only when the
        // caller asked for it by name; a decryption key never.
        if (a.usage == KeyUsage::Decryption || (a.usage == KeyUsage::Authentication && !allow_authentication_key_))
            throw Error(ErrorCode::PolicyViolation, "key " + a.id + " (" + to_string(a.usage) +
                                                        " key) is not a signature key; it signs documents only when asked for explicitly "
                                                        "(qscd sign --key auth)");
        // Policy first: the card is not asked to sign what the requested level does not allow.
        SigningPolicy policy = SigningPolicy::for_level(request.level);
        policy.require_pin_pad = request.level == SignatureLevel::Qes && request.pin_pad_required_for_qes;
        if (policy.require_pin_pad)
            check_pin_entry_policy(policy, pin_.on_reader_pin_pad(), pin_.on_reader_pin_pad() && token_.has_pin_pad(), token_origin_);
        if (!a.certificate.empty())
            check_signing_policy(policy, a.certificate, a.type, p.hash);
        else if (request.level != SignatureLevel::Basic)
            throw Error(ErrorCode::PolicyViolation,
                        "certificate present: the token holds no certificate, so only the basic level (with the raw format) is possible");
        if (request.format == SignatureFormat::Cades && a.certificate.empty())
            throw Error(ErrorCode::NotFound, "the token holds no certificate for its signature key; CAdES needs one (or use the raw format)");

        // The output is checked (its kind, and that a file can be created there) before the PIN is
        // asked: the card never signs for a signature that cannot be written.
        if (const auto* file = std::get_if<OutputFile>(&request.output)) {
            if (const auto* document = std::get_if<DocumentFile>(&request.subject); document && same_file(file->path, document->path))
                throw Error(ErrorCode::InvalidArgument, file->path.string() + " is the document " + document->path.string() +
                                                            " itself; choose another output");
            p.file.emplace(file->path, 0644, file->replace);
        } else if (const auto* stream = std::get_if<OutputStream>(&request.output)) {
            if (!stream->stream) throw Error(ErrorCode::InvalidArgument, "no output stream given");
            p.stream = stream->stream;
        }

        if (given) {
            if (given->value.size() != digest_size(given->hash))
                throw Error(ErrorCode::InvalidArgument, std::string("the given ") + to_string(given->hash) + " digest has " +
                                                            std::to_string(given->value.size()) + " bytes, not " +
                                                            std::to_string(digest_size(given->hash)));
            p.digest = given->value;
        } else if (const auto* file = std::get_if<DocumentFile>(&request.subject)) {
            check_document(file->path);
            p.digest = hash_file(p.hash, file->path);
        } else {
            const auto& stream = std::get<DocumentStream>(request.subject);
            if (!stream.stream) throw Error(ErrorCode::InvalidArgument, "no document stream given");
            p.digest = hash_stream(p.hash, *stream.stream, e.document);
        }
    } catch (const Error& error) {
        AuditEntry refused = e;
        refused.event = AuditEvent::Refused;
        refused.detail = error.what();
        append_after(audit_, refused, error);
        throw;
    }
    e.document_hash = to_hex(p.digest, "");
    p.purpose = "sign " + e.document + " (" + e.hash_algorithm + " " + e.document_hash.substr(0, 16) + "…)";
    return p;
}

// A raw signature, checked against the key before anyone sees it: a card that signed with another key,
// or returned garbage, produces no signature. ECDSA as DER (what `openssl dgst -verify` reads).
Bytes SigningService::checked_raw_signature(const Prepared& p, Bytes card_signature) const {
    const KeyAttributes& a = key_->attributes();
    if (!verify_signature(a.public_key, a.scheme, p.hash, p.digest, card_signature))
        throw Error(ErrorCode::VerificationFailed, "the card's signature does not verify against its public key");
    return a.scheme == SignatureScheme::Ecdsa ? ecdsa_raw_to_der(card_signature) : card_signature;
}

namespace {

// The CMS as a verifier reads it: one signer; signature, message-digest and signing-certificate-v2 in
// order (create_cades_detached has checked the card's signature against the certificate already).
void self_check_cades(ByteView cms, HashAlgorithm hash, ByteView digest) {
    const VerificationReport report = verify_cades_detached(
        cms, [&](HashAlgorithm h) { return h == hash ? Bytes(digest.begin(), digest.end()) : Bytes{}; }, {});
    const bool ok = report.parse.ok && report.signers.size() == 1 && report.signers[0].signature.ok &&
                    report.signers[0].message_digest.ok && report.signers[0].signing_certificate.ok;
    if (!ok)
        throw Error(ErrorCode::VerificationFailed, "the signature just made does not verify: " +
                                                       (report.problems.empty() ? std::string("unknown reason") : report.problems.front()));
}

CadesSigner cades_signer_for(const KeyAttributes& a, const std::vector<Bytes>& chain) {
    CadesSigner signer;
    signer.certificate_der = a.certificate;
    signer.chain_der = chain;
    signer.scheme = a.scheme;
    return signer;
}

void write_output(std::ostream& out, ByteView data, const std::string& name) {
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) throw Error(ErrorCode::IoError, "cannot write the signature to " + name);
}

}  // namespace

SignOutcome SigningService::sign(const SignRequest& request) {
    Prepared p = prepare(request);
    const KeyAttributes& a = key_->attributes();
    p.audit.counter_before = counter_now();  // where an attempt that never logs its result would start
    const std::uint64_t intent = audit_.append(p.audit);

    AuditEntry result = p.audit;
    result.intent = intent;
    SignOutcome outcome;
    try {
        std::optional<CounterReading> counter;
        if (request.format == SignatureFormat::Raw) {
            CountedSignature signed_hash = key_->sign_hash_counted(p.hash, p.digest, pin_, p.purpose);
            counter = signed_hash.counter;
            outcome.signature = checked_raw_signature(p, std::move(signed_hash.signature));
        } else {
            CadesSigner signer = cades_signer_for(a, request.chain);
            signer.sign_digest = [&](HashAlgorithm h, ByteView d) {
                CountedSignature signed_hash = key_->sign_hash_counted(h, d, pin_, p.purpose);
                counter = signed_hash.counter;
                return std::move(signed_hash.signature);
            };
            outcome.signature = create_cades_detached(signer, p.hash, p.digest, std::chrono::system_clock::now());
            self_check_cades(outcome.signature, p.hash, p.digest);
        }
        outcome.counter = counter;
    } catch (const Error& error) {
        result.event = AuditEvent::Failed;
        result.detail = error.what();
        append_after(audit_, result, error);
        throw;
    }

    // The driver checked, inside the signing transaction, that the card's counter rose by exactly one;
    // those are the values logged and returned (other programs may sign before or after).
    result.event = AuditEvent::Signed;
    if (outcome.counter) {
        result.counter_before = outcome.counter->before;
        result.counter_after = outcome.counter->after;
    }
    outcome.audit_sequence = audit_.append(result);  // logged before it is written anywhere

    try {
        if (p.file) p.file->commit(outcome.signature);
        else if (p.stream) write_output(*p.stream, outcome.signature, p.audit.output);
    } catch (const Error& error) {
        AuditEntry lost = result;
        lost.event = AuditEvent::NotWritten;
        lost.detail = error.what();
        append_after(audit_, lost, error);
        throw;
    }
    outcome.subject = p.audit.document;
    outcome.output = p.audit.output;
    outcome.hash = p.hash;
    outcome.digest = std::move(p.digest);
    outcome.level = request.level;
    return outcome;
}

std::vector<SignOutcome> SigningService::sign_batch(const std::vector<SignRequest>& requests, const BatchConfirmation& confirm,
                                                    const std::function<void(std::size_t)>& progress) {
    if (requests.empty()) throw Error(ErrorCode::InvalidArgument, "batch signing: no documents");
    const KeyAttributes& a = key_->attributes();

    // Each document once (by any name: links, ./ spellings), and no signature file written twice or
    // over one of the documents.
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const SignRequest& r = requests[i];
        if (r.format != SignatureFormat::Cades) throw Error(ErrorCode::InvalidArgument, "batch signing makes CAdES signatures only");
        const auto* doc = std::get_if<DocumentFile>(&r.subject);
        const auto* out = std::get_if<OutputFile>(&r.output);
        for (std::size_t j = 0; j < i; ++j) {
            const auto* earlier_doc = std::get_if<DocumentFile>(&requests[j].subject);
            const auto* earlier_out = std::get_if<OutputFile>(&requests[j].output);
            if (doc && earlier_doc && same_file(doc->path, earlier_doc->path))
                throw Error(ErrorCode::InvalidArgument, doc->path.string() + " is the same document as " + earlier_doc->path.string() +
                                                            "; list each document once");
            if (out && earlier_out &&
                std::filesystem::weakly_canonical(out->path) == std::filesystem::weakly_canonical(earlier_out->path))
                throw Error(ErrorCode::InvalidArgument, "two documents would be signed into the same file " + out->path.string());
        }
        for (const SignRequest& other : requests) {
            const auto* other_doc = std::get_if<DocumentFile>(&other.subject);
            if (out && other_doc &&
                (same_file(out->path, other_doc->path) ||
                 std::filesystem::weakly_canonical(out->path) == std::filesystem::weakly_canonical(other_doc->path)))
                throw Error(ErrorCode::InvalidArgument, "the signature file of " + subject_name(r.subject) + " would replace the document " +
                                                            other_doc->path.string() + "; sign them separately");
        }
    }

    std::vector<Prepared> prepared;
    prepared.reserve(requests.size());
    for (const SignRequest& r : requests) prepared.push_back(prepare(r));
    // Sole control: one PIN for several signatures only where the card itself allows it.
    if (a.pin_policy == PinPolicy::PerSignature) {
        const Error refusal(ErrorCode::PolicyViolation, "batch signing refused: the card requires the User PIN for every signature (sole control); "
                                                        "sign the documents one by one with `qscd sign`");
        for (const Prepared& p : prepared) {
            AuditEntry refused = p.audit;
            refused.event = AuditEvent::Refused;
            refused.detail = refusal.what();
            append_after(audit_, refused, refusal);
        }
        throw refusal;
    }

    std::vector<BatchItem> items;
    for (const Prepared& p : prepared) items.push_back({p.audit.document, p.hash, p.digest, p.audit.output});
    if (confirm) {
        try {
            confirm(items);
        } catch (const Error& error) {
            for (const Prepared& p : prepared) {
                AuditEntry declined = p.audit;
                declined.event = AuditEvent::Refused;
                declined.detail = error.what();
                append_after(audit_, declined, error);
            }
            throw;
        }
    }

    std::vector<std::uint64_t> intents;
    const std::optional<std::uint32_t> start = counter_now();
    for (Prepared& p : prepared) {
        p.audit.counter_before = start;
        intents.push_back(audit_.append(p.audit));
    }

    std::vector<SignOutcome> outcomes(prepared.size());
    std::optional<CounterReading> counter;
    try {
        auto batch = key_->begin_batch(prepared.size(), pin_, std::to_string(prepared.size()) + " documents");
        CadesSigner signer = cades_signer_for(a, requests.front().chain);
        signer.sign_digest = [&](HashAlgorithm h, ByteView d) { return batch->sign(h, d); };
        const CadesDetachedSigner cades(std::move(signer));  // certificates parsed once for the batch
        for (std::size_t i = 0; i < prepared.size(); ++i) {
            outcomes[i].signature = cades.sign(prepared[i].hash, prepared[i].digest, std::chrono::system_clock::now());
            self_check_cades(outcomes[i].signature, prepared[i].hash, prepared[i].digest);
            if (progress) progress(i);
        }
        // The card counted exactly these signatures, inside the batch's transaction.
        counter = batch->finish();
    } catch (const Error& error) {
        for (std::size_t i = 0; i < prepared.size(); ++i) {
            AuditEntry failed = prepared[i].audit;
            failed.event = AuditEvent::Failed;
            failed.intent = intents[i];
            failed.detail = error.what();
            append_after(audit_, failed, error);
        }
        throw;
    }

    // One transaction, counter checked: the i-th signature is the card's count before + i + 1.
    std::vector<AuditEntry> results;
    for (std::size_t i = 0; i < prepared.size(); ++i) {
        AuditEntry r = prepared[i].audit;
        r.event = AuditEvent::Signed;
        r.intent = intents[i];
        r.detail = "signed in batch " + std::to_string(i + 1) + "/" + std::to_string(prepared.size());
        if (counter) {
            r.counter_before = counter->before + static_cast<std::uint32_t>(i);
            r.counter_after = counter->before + static_cast<std::uint32_t>(i + 1);
            outcomes[i].counter = CounterReading{*r.counter_before, *r.counter_after};
        }
        outcomes[i].audit_sequence = audit_.append(r);
        results.push_back(std::move(r));
    }
    for (std::size_t i = 0; i < prepared.size(); ++i) {
        Prepared& p = prepared[i];
        try {
            if (p.file) p.file->commit(outcomes[i].signature);
            else if (p.stream) write_output(*p.stream, outcomes[i].signature, p.audit.output);
        } catch (const Error& error) {
            for (std::size_t k = i; k < prepared.size(); ++k) {  // this one and every one not yet written
                AuditEntry lost = results[k];
                lost.event = AuditEvent::NotWritten;
                lost.detail = error.what();
                append_after(audit_, lost, error);
            }
            throw;
        }
        outcomes[i].subject = p.audit.document;
        outcomes[i].output = p.audit.output;
        outcomes[i].hash = p.hash;
        outcomes[i].digest = p.digest;
        outcomes[i].level = requests[i].level;
    }
    return outcomes;
}

}  // namespace qscd
