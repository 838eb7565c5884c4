// KeyHandle: a private key that lives on a token, described by immutable attributes.
// sign_hash() is public and non-virtual: it validates the request, opens the backend's operation
// scope (a card transaction, a PKCS#11 session, a remote lease) and only then calls the backend, so no
// backend can forget the checks. Nothing here assumes an APDU transport or that the host holds the PIN.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"
#include "qscd/pin_entry.hpp"

namespace qscd {

// The counter as read inside one signing transaction: before the PIN was verified and after the last
// signature. These are the values to show and log: a later read may include other programs' signatures.
struct CounterReading {
    std::uint32_t before = 0;
    std::uint32_t after = 0;
};

enum class PinPolicy {
    PerSignature,  // a fresh PIN for every signature (QES sole control; OpenPGP C4 byte 1 = 00)
    Session,       // the card keeps the PIN verified for several signatures
};

enum class KeyUsage { Signature, Authentication, Decryption };  // one value per key
const char* to_string(KeyUsage usage);                           // "signature", "authentication", "decryption"

struct KeyAttributes {
    std::string id;                  // stable within the token: "SIG", "AUT", ...
    std::string label;               // for people: "Signature key"
    KeyType type = KeyType::EcP256;
    SignatureScheme scheme = SignatureScheme::Ecdsa;
    std::uint8_t key_reference = 0;  // card key reference (OpenPGP: 1 = SIG, 3 = AUT)
    Bytes public_key;                // SubjectPublicKeyInfo DER
    Bytes certificate;               // X.509 DER, empty when the card holds none
    PinPolicy pin_policy = PinPolicy::PerSignature;
    KeyUsage usage = KeyUsage::Signature;
    bool on_card = true;             // private key cannot leave the device
};

// A signature with the card's signature counter read around it inside the same card transaction
// (nullopt for a token without a counter).
struct CountedSignature {
    Bytes signature;
    std::optional<CounterReading> counter;
};

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
    // (modulus length) or ECDSA r‖s (2 × field size). `pin` is asked once (per-signature keys: for
    // every signature); purpose: what the PIN authorises, passed to it (PinRequest::purpose); may be
    // empty. A signature or authentication key signs; a decryption key is refused (whether an
    // authentication key may sign a document is the caller's choice: SigningService refuses it unless
    // asked). Throws Error: InvalidArgument (digest length), PolicyViolation (usage / hash too weak),
    // Cancelled, WrongPin (with tries left), PinBlocked, CardRemoved, ...
    Bytes sign_hash(HashAlgorithm hash, ByteView digest, PinEntry& pin, std::string_view purpose = {}) {
        return sign_hash_counted(hash, digest, pin, purpose).signature;
    }
    // The same, with the counter values read inside the signing operation.
    CountedSignature sign_hash_counted(HashAlgorithm hash, ByteView digest, PinEntry& pin, std::string_view purpose = {});

    // Batch signing under sole control: one PIN for `count` signatures, only where the card itself
    // keeps the PIN valid for several signatures (PinPolicy::Session) — otherwise
    // Error(PolicyViolation). The caller must have shown the documents and their hashes first.
    // Opens the operation scope itself (like sign_hash) and keeps it until the batch is destroyed.
    std::unique_ptr<SignatureBatch> begin_batch(std::size_t count, PinEntry& pin, std::string_view purpose = {});

protected:
    explicit KeyHandle(KeyAttributes attributes) : attributes_(std::move(attributes)) {}

    // Exclusive use of the key for one whole operation: a card transaction (PC/SC SCardBeginTransaction,
    // the simulator's lock), a PKCS#11 session, a remote service's lease. Released on destruction.
    class OperationScope {
    public:
        virtual ~OperationScope() = default;
    };

private:
    virtual std::unique_ptr<OperationScope> begin_operation() = 0;
    // Called inside the scope; the base has validated the request (digest length, usage, scheme).
    virtual CountedSignature do_sign_hash(HashAlgorithm hash, ByteView digest, PinEntry& pin, std::string_view purpose) = 0;
    // Called inside the scope, which lives as long as the returned batch. Default: NotSupported.
    virtual std::unique_ptr<SignatureBatch> do_begin_batch(std::size_t count, PinEntry& pin, std::string_view purpose);

    const KeyAttributes attributes_;
};

}  // namespace qscd
