// The card core's crypto seam: every cryptographic operation the applets and the state image need, and
// nothing else (key generation and import, private key (de)serialisation, signatures, the PIN KDF, SHA-256,
// constant-time comparison, zeroisation). One implementation, card_crypto_mbedtls.cpp, is the only card
// source that sees mbedTLS; a port to a secure element replaces that file, not the applets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/sim/platform.hpp"

namespace qscd::sim::crypto {

enum class Curve : std::uint8_t { None, P256, P384 };

// Bytes of one coordinate / scalar of `curve` (0 for None).
constexpr std::size_t field_bytes(Curve curve) {
    return curve == Curve::P256 ? 32 : curve == Curve::P384 ? 48 : 0;
}

inline constexpr std::size_t kKeyContextSize = 192;  // the implementation's key context (checked there)
inline constexpr std::size_t kMaxEcPoint = 1 + 2 * 66;
inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::size_t kSha256ContextSize = 128;  // the implementation's SHA-256 context (checked there)

// A private key held by the card, opaque to the applets. Empty until generated, imported or loaded;
// the destructor frees it (and the implementation wipes it).
class Key {
public:
    Key();
    ~Key();
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;

    bool ready() const { return ready_; }
    // Frees the key: empty again.
    void clear();
    // Takes `other`'s key (this one's is freed); `other` is left empty.
    void take(Key& other);

private:
    friend struct KeyAccess;  // the implementation's view of context_
    alignas(alignof(std::max_align_t)) std::array<unsigned char, kKeyContextSize> context_;
    bool ready_ = false;
};

// Generation (GENERATE ASYMMETRIC KEY PAIR). False on failure (`key` left empty).
bool generate_rsa(Key& key, unsigned bits, Random& random);
bool generate_ec(Key& key, Curve curve, Random& random);
// Import of a private key from its parts (OpenPGP card 3.4 §4.4.3.12): RSA from e, p, q (must give a modulus
// of `bits`); EC from the scalar d (big-endian, ≤ field bytes), its public point computed.
bool import_rsa(Key& key, unsigned bits, ByteView e, ByteView p, ByteView q);
bool import_ec(Key& key, Curve curve, ByteView d, Random& random);
// Persistence: the private key as DER (PKCS#1 / SEC1) written at the START of `out` (length, 0 on failure),
// and back.
std::size_t write_der(const Key& key, std::span<std::uint8_t> out);
bool load_der(Key& key, ByteView der, Random& random);

// Public parts.
bool is_rsa(const Key& key);
std::size_t rsa_modulus_bytes(const Key& key);
// Modulus n (rsa_modulus_bytes long) into `n`, public exponent without leading zeros into `e` (its length).
std::size_t rsa_public(const Key& key, std::span<std::uint8_t> n, std::span<std::uint8_t> e);
// Uncompressed point 04 || X || Y (length, 0 on failure).
std::size_t ec_point(const Key& key, std::span<std::uint8_t> out);

// RSA PKCS#1 v1.5 type 1 over `input` as given (a DigestInfo), modulus bytes long (length, 0 on failure).
std::size_t sign_rsa_pkcs1(Key& key, ByteView input, std::span<std::uint8_t> out, Random& random);
// ECDSA of `hash` (a longer one is truncated, a shorter one acts left-padded: FIPS 186-5 §6.4) as r || s,
// each field bytes long; deterministic nonces (RFC 6979) with the curve's hash. Length, 0 on failure.
std::size_t sign_ecdsa(Key& key, Curve curve, ByteView hash, std::span<std::uint8_t> out, Random& random);

// PIN verifier KDF: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2). False on failure.
bool pbkdf2_sha256(ByteView secret, ByteView salt, std::uint32_t iterations, std::span<std::uint8_t> out);
bool sha256(ByteView data, std::array<std::uint8_t, kSha256Size>& digest);

// SHA-256 over data given in pieces (a state image streamed to or from storage). The destructor wipes it.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    bool update(ByteView data);
    bool finish(std::array<std::uint8_t, kSha256Size>& digest);

private:
    friend struct KeyAccess;  // the implementation's view of context_
    alignas(alignof(std::max_align_t)) std::array<unsigned char, kSha256ContextSize> context_;
    bool ok_ = true;
};
// Equal sizes and contents, in time independent of the contents.
bool equal_ct(ByteView a, ByteView b);
// Wipes memory in a way the compiler does not remove.
void zeroize(void* data, std::size_t size);

}  // namespace qscd::sim::crypto
