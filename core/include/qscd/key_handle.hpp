// KeyHandle: a private key that lives on a token, described by immutable attributes.
// sign_hash() is public and non-virtual: it validates the request, opens a transaction and only
// then calls the backend, so no backend can forget the checks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"
#include "qscd/secure_bytes.hpp"
#include "qscd/signature_counter.hpp"
#include "qscd/transport.hpp"

namespace qscd {

enum class PinPolicy {
    PerSignature,  // a fresh PIN for every signature (QES sole control; OpenPGP C4 byte 1 = 00)
    Session,       // the card keeps the PIN verified for several signatures
};

enum class KeyUsage : std::uint8_t { Sign = 1, Authenticate = 2, Decrypt = 4 };

struct KeyAttributes {
    std::string id;                  // stable within the token: "SIG", "AUT", ...
    std::string label;               // for people: "Signature key"
    KeyType type = KeyType::EcP256;
    SignatureScheme scheme = SignatureScheme::Ecdsa;
    std::uint8_t key_reference = 0;  // card key reference (OpenPGP: 1 = SIG, 3 = AUT)
    Bytes public_key;                // SubjectPublicKeyInfo DER
    Bytes certificate;               // X.509 DER, empty when the card holds none
    PinPolicy pin_policy = PinPolicy::PerSignature;
    KeyUsage usage = KeyUsage::Sign;
    bool on_card = true;             // private key cannot leave the device
};

// What a PIN prompt is told. tries_left lets the UI warn before the last attempt.
struct PinRequest {
    std::string token_label;
    std::string pin_name;            // "User PIN (signature)"
    std::optional<int> tries_left;
    std::size_t min_length = 0;
    std::size_t max_length = 0;
};

// A signature with the card's signature counter read around it inside the same card transaction
// (nullopt for a token without a counter).
struct CountedSignature {
    Bytes signature;
    std::optional<CounterReading> counter;
};

// Called once per signature for per-signature keys; throw Error(Cancelled) to decline.
using PinPrompt = std::function<Pin(const PinRequest&)>;

// Several signatures under one PIN entry, inside one card transaction (see KeyHandle::begin_batch).
// sign() as many times as announced, then finish(): it checks that the card counted exactly those
// signatures. Destroying an unfinished batch logs the PIN out.
class SignatureBatch {
public:
    virtual ~SignatureBatch() = default;
    // Card-format signature over `digest` (no PIN prompt: it was entered once for the batch).
    virtual Bytes sign(HashAlgorithm hash, ByteView digest) = 0;
    // The counter read before the PIN and after the last signature, inside the batch's transaction
    // (nullopt for a token without a counter).
    virtual std::optional<CounterReading> finish() = 0;
};

class KeyHandle {
public:
    virtual ~KeyHandle() = default;
    KeyHandle(const KeyHandle&) = delete;
    KeyHandle& operator=(const KeyHandle&) = delete;

    const KeyAttributes& attributes() const { return attributes_; }

    // Signs a digest computed by the caller. Returns the card-format signature: RSA PKCS#1 v1.5
    // (modulus length) or ECDSA r‖s (2 × field size). Throws Error: InvalidArgument (digest length),
    // PolicyViolation (usage / hash too weak), WrongPin (with tries left), PinBlocked, CardRemoved, ...
    Bytes sign_hash(HashAlgorithm hash, ByteView digest, const PinPrompt& prompt) {
        return sign_hash_counted(hash, digest, prompt).signature;
    }
    // The same, with the counter values read inside the signing transaction.
    CountedSignature sign_hash_counted(HashAlgorithm hash, ByteView digest, const PinPrompt& prompt);

    // Batch signing under sole control: one PIN for `count` signatures, only where the card itself
    // keeps the PIN valid for several signatures (PinPolicy::Session) — otherwise
    // Error(PolicyViolation). The caller must have shown the documents and their hashes first.
    std::unique_ptr<SignatureBatch> begin_batch(std::size_t count, const PinPrompt& prompt);

protected:
    explicit KeyHandle(KeyAttributes attributes) : attributes_(std::move(attributes)) {}

private:
    virtual Transport& transport() = 0;
    virtual CountedSignature do_sign_hash(HashAlgorithm hash, ByteView digest, const PinPrompt& prompt) = 0;
    virtual std::unique_ptr<SignatureBatch> do_begin_batch(std::size_t count, const PinPrompt& prompt);

    const KeyAttributes attributes_;
};

}  // namespace qscd
