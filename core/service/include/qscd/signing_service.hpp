// SigningService: the whole signing workflow a QSCD layer promises, in one call, for the CLI and for
// applications alike. For each request, in this order:
//   policy gate → output target check → audit intent → PIN entry and card signature (the card's
//   counter read and checked inside the same card transaction) → self-check of the result →
//   audit result → atomic output.
// Every refusal and failure reaches the audit log; nothing is written that was not logged first, and
// no signature is made that cannot be logged (the sink is checked before the card is asked).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "qscd/algorithms.hpp"
#include "qscd/audit.hpp"
#include "qscd/codec/bytes.hpp"
#include "qscd/key_handle.hpp"
#include "qscd/pin_entry.hpp"
#include "qscd/signing_policy.hpp"
#include "qscd/token.hpp"

namespace qscd {

enum class SignatureFormat {
    Cades,  // CAdES-B-B detached (CMS SignedData, .p7s)
    Raw,    // the bare signature: ECDSA as DER (what `openssl dgst -verify` reads), RSA PKCS#1 v1.5 bytes
};
const char* to_string(SignatureFormat format);  // "cades", "raw"

// What is signed: a document file (hashed here, streamed), a stream, or a digest computed elsewhere
// (web-eid, DSS's data-to-sign: the document itself is never seen, and the audit log says so).
struct DocumentFile {
    std::filesystem::path path;
};
struct DocumentStream {
    std::istream* stream = nullptr;
    std::string name;  // for the audit log and messages
};
struct PrecomputedDigest {
    HashAlgorithm hash = HashAlgorithm::Sha256;
    Bytes value;
};
using SignSubject = std::variant<DocumentFile, DocumentStream, PrecomputedDigest>;

// Where the signature goes: a file (written atomically, only ever replacing a regular file, and never
// the document), a stream, or nowhere but the returned outcome.
struct OutputFile {
    std::filesystem::path path;
    bool replace = false;
};
struct OutputStream {
    std::ostream* stream = nullptr;
    std::string name;  // "standard output"
};
struct OutputInMemory {};
using SignOutput = std::variant<OutputFile, OutputStream, OutputInMemory>;

struct SignRequest {
    SignSubject subject;
    std::optional<HashAlgorithm> hash;  // documents only (a digest brings its own); default: the key's natural hash
    SignatureFormat format = SignatureFormat::Cades;
    SignatureLevel level = SignatureLevel::Ades;
    SignOutput output = OutputInMemory{};
    std::vector<Bytes> chain;  // intermediate CA certificates (DER) to embed in a CAdES signature
    // With level QES: refused (PolicyViolation, before any PIN is asked) unless the PIN entry is the
    // reader's PIN pad on a reader that has one (SigningPolicy::require_pin_pad).
    bool pin_pad_required_for_qes = false;
};

struct SignOutcome {
    Bytes signature;          // what was (or would be) written
    std::string subject;      // the document's name, or "the given digest (the document itself was not seen)"
    std::string output;       // the output's name: a path, "standard output", "memory"
    HashAlgorithm hash = HashAlgorithm::Sha256;
    Bytes digest;             // of the document
    SignatureLevel level = SignatureLevel::Ades;
    std::optional<CounterReading> counter;  // as read inside the signing transaction (nullopt: no counter)
    std::uint64_t audit_sequence = 0;       // the audit log's result entry
};

// A batch is shown before the PIN is asked: the holder must know what one PIN will authorise.
struct BatchItem {
    std::string subject;
    HashAlgorithm hash = HashAlgorithm::Sha256;
    Bytes digest;
    std::string output;
};
// Throws Error(Cancelled) to decline; nothing has been asked of the card yet.
using BatchConfirmation = std::function<void(const std::vector<BatchItem>& items)>;

class SigningService {
public:
    // Signs with `token`'s key `key_id` (default: the signature key "SIG"; an ID card's authentication key
    // is "AUT"). A key whose usage is not "signature" is refused (PolicyViolation, logged with each
    // request) unless `allow_authentication_key` says the caller asked for it explicitly (`qscd sign
    // --key auth`). Throws NotFound when the token has no such key. The token, audit sink and PIN entry
    // must outlive the service.
    SigningService(Token& token, AuditSink& audit, PinEntry& pin, const std::string& key_id = "SIG",
                   bool allow_authentication_key = false);

    // Throws Error: PolicyViolation (the level's rules; logged as refused), InvalidArgument / NotFound /
    // IoError (subject or output unusable), WrongPin, PinBlocked, Cancelled, CardRemoved, CardError (an
    // unexpected counter step), VerificationFailed (the card's signature did not check out), ...
    SignOutcome sign(const SignRequest& request);

    // Several documents with ONE PIN entry inside one card transaction, only where the card keeps the PIN
    // valid for several signatures (else PolicyViolation, logged). Every request must be CAdES. `confirm`
    // sees the list (documents, hashes, outputs) before the PIN is asked. Either every signature is made
    // and logged, or none is written.
    // `progress` (if given) is told after each card signature (index into requests).
    std::vector<SignOutcome> sign_batch(const std::vector<SignRequest>& requests, const BatchConfirmation& confirm,
                                        const std::function<void(std::size_t index)>& progress = {});

private:
    struct Prepared;
    Prepared prepare(const SignRequest& request);
    Bytes checked_raw_signature(const Prepared& p, Bytes card_signature) const;
    std::optional<std::uint32_t> counter_now();

    Token& token_;
    AuditSink& audit_;
    PinEntry& pin_;
    std::shared_ptr<KeyHandle> key_;
    bool allow_authentication_key_ = false;
    std::string token_serial_;
    std::string token_origin_;  // the reader's name, for messages
};

}  // namespace qscd
