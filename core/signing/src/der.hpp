// Minimal DER building and bounds-checked reading for CMS (private to the signing core).
// Lengths and tags go through mbedtls_asn1_*; this only strings the pieces together.
#pragma once

#include <mbedtls/oid.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>

#include "qscd/algorithms.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd::der {

inline constexpr std::uint8_t kInteger = 0x02, kOctetString = 0x04, kNull = 0x05, kOid = 0x06, kUtcTime = 0x17,
                              kGeneralizedTime = 0x18, kSequence = 0x30, kSet = 0x31;
constexpr std::uint8_t context(unsigned n, bool constructed = true) {
    return static_cast<std::uint8_t>(0x80 | (constructed ? 0x20 : 0) | n);
}

// OID content octets. mbedTLS defines the algorithm OIDs; the CMS / ESS attribute OIDs are ours.
inline ByteView oid_bytes(const char* oid, std::size_t len) { return {reinterpret_cast<const std::uint8_t*>(oid), len}; }
#define QSCD_OID(name, literal) inline const ByteView name = oid_bytes(literal, sizeof(literal) - 1)
QSCD_OID(kIdData, MBEDTLS_OID_PKCS "\x07\x01");                                // RFC 5652 §4
QSCD_OID(kIdSignedData, MBEDTLS_OID_PKCS "\x07\x02");                          // RFC 5652 §5.1
QSCD_OID(kIdContentType, MBEDTLS_OID_PKCS9 "\x03");                            // RFC 5652 §11.1
QSCD_OID(kIdMessageDigest, MBEDTLS_OID_PKCS9 "\x04");                          // RFC 5652 §11.2
QSCD_OID(kIdSigningTime, MBEDTLS_OID_PKCS9 "\x05");                            // RFC 5652 §11.3
QSCD_OID(kIdSigningCertificateV2, MBEDTLS_OID_PKCS9 "\x10\x02\x2f");           // RFC 5035 §3
QSCD_OID(kIdRsaEncryption, MBEDTLS_OID_PKCS1_RSA);
#undef QSCD_OID

ByteView digest_oid(HashAlgorithm hash);
ByteView rsa_signature_oid(HashAlgorithm hash);    // shaNNNWithRSAEncryption (RFC 4055 §5)
ByteView ecdsa_signature_oid(HashAlgorithm hash);  // ecdsa-with-SHANNN (RFC 5758 §3.2)
std::optional<HashAlgorithm> hash_of_digest_oid(ByteView oid);

// ---- writing ----
Bytes tlv(std::uint8_t tag, ByteView content);
Bytes seq(std::initializer_list<ByteView> parts);
Bytes join(std::initializer_list<ByteView> parts);
// UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5652 §11.3), whole seconds, "Z".
Bytes time(std::chrono::system_clock::time_point t);
// X.690 §11.6: DER SET OF orders its elements by their encodings.
Bytes set_of(std::vector<Bytes> elements);

// ---- reading ----
// Thrown for structurally invalid input; the verifier turns it into a report entry.
struct Malformed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Walks the elements of one DER/BER constructed value. Every read is bounds-checked by
// mbedtls_asn1_get_tag / get_len; nothing is ever read past end.
class Reader {
public:
    explicit Reader(ByteView data) : p_(data.data()), end_(data.data() + data.size()) {}
    bool at_end() const { return p_ >= end_; }
    bool peek(std::uint8_t tag) const { return p_ < end_ && *p_ == tag; }
    // Content of the next element, which must carry tag; whole (if given) receives tag+length+content.
    ByteView read(std::uint8_t tag, const char* what, ByteView* whole = nullptr);
    // Next element of any single-byte tag.
    ByteView read_any(std::uint8_t* tag, const char* what, ByteView* whole = nullptr);
    void expect_end(const char* what) const;

private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

// Parses UTCTime / GeneralizedTime content ending in 'Z'; nullopt if malformed.
std::optional<std::chrono::system_clock::time_point> parse_time(std::uint8_t tag, ByteView content);
int small_integer(ByteView content, const char* what);

}  // namespace qscd::der
