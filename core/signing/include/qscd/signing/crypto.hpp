// The crypto adapter: signature formats, public keys, verification and a software signer, all on
// mbedTLS. Signatures are in "card format" everywhere in qscd: RSA PKCS#1 v1.5 bytes (modulus length)
// and ECDSA raw r‖s (each the field size); DER ECDSA appears only inside CMS and X.509.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"
#include "qscd/secure_bytes.hpp"

namespace qscd {

// ECDSA-Sig-Value (RFC 5480 §2.2 / X9.62) ↔ raw r‖s. raw_to_der takes r‖s of even length (P-256: 64,
// P-384: 96); der_to_raw left-pads r and s to field_size. Error(InvalidArgument) on malformed input.
Bytes ecdsa_raw_to_der(ByteView r_s);
Bytes ecdsa_der_to_raw(ByteView der, std::size_t field_size);

// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) from raw key material, e.g. an OpenPGP card's 7F49
// object: modulus/exponent big-endian (leading zeros allowed), EC point uncompressed (04 ‖ X ‖ Y).
// Error(NotSupported) for sizes outside KeyType, InvalidArgument for malformed values.
Bytes spki_from_rsa(ByteView modulus, ByteView exponent);
Bytes spki_from_ec_point(KeyType type, ByteView uncompressed_point);
// Error(InvalidArgument) if not an SPKI, NotSupported if the key is not one of KeyType.
KeyType key_type_of_spki(ByteView spki);

// True iff signature (card format) is valid for digest under the key in spki_or_certificate_der.
// A wrong signature, including one of the wrong length, is false; an unusable key, a digest of the
// wrong length, or a scheme that does not match the key throws Error(InvalidArgument / NotSupported).
bool verify_signature(ByteView spki_or_certificate_der, SignatureScheme scheme, HashAlgorithm hash,
                      ByteView digest, ByteView signature);

// Fills out with bytes from the process-wide CTR-DRBG (thread-safe).
void random_bytes(std::span<std::uint8_t> out);

// A private key in host memory: the test CA's key and a stand-in for a card in tests.
// Never use it for qualified signatures; that is what the card is for.
class SoftwareKey {
public:
    static SoftwareKey generate(KeyType type);
    // PKCS#8 / SEC1 / PKCS#1 private key, DER or PEM. Error(InvalidArgument) if unreadable or not a KeyType.
    static SoftwareKey from_private_key(ByteView der_or_pem);
    // Error(IoError) if the file cannot be read.
    static SoftwareKey load_pem(const std::filesystem::path& path);

    ~SoftwareKey();
    SoftwareKey(SoftwareKey&&) noexcept;
    SoftwareKey& operator=(SoftwareKey&&) noexcept;
    SoftwareKey(const SoftwareKey&) = delete;
    SoftwareKey& operator=(const SoftwareKey&) = delete;

    KeyType type() const { return type_; }
    SignatureScheme scheme() const { return is_rsa(type_) ? SignatureScheme::RsaPkcs1v15 : SignatureScheme::Ecdsa; }
    Bytes spki() const;
    SecureBytes private_key_der() const;
    SecureBytes private_key_pem() const;
    // Writes the PEM private key atomically with mode 0600. Error(IoError) on failure.
    void save_pem(const std::filesystem::path& path) const;

    // Card-format signature over digest (RSA PKCS#1 v1.5 with DigestInfo; deterministic ECDSA r‖s).
    // Error(InvalidArgument) if the digest length does not match hash.
    Bytes sign(HashAlgorithm hash, ByteView digest) const;

private:
    struct Impl;
    SoftwareKey(std::unique_ptr<Impl> impl, KeyType type);
    std::unique_ptr<Impl> impl_;
    KeyType type_;
    friend struct SoftwareKeyAccess;
};

}  // namespace qscd
