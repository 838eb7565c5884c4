// Shared by the OpenPGP applet's source files: status words, constant DOs, algorithm attributes.
// Private to the card core (not installed).
#pragma once

#include "qscd/sim/openpgp_applet.hpp"

#include <algorithm>
#include <cstring>


#include "qscd/codec/tlv.hpp"
#include "qscd/sim/card_crypto.hpp"
#include "iso_status.hpp"

namespace qscd::sim::applet_detail {

inline constexpr std::uint8_t kOidP256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
inline constexpr std::uint8_t kOidP384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};

// DO 5F52 historical bytes (§3.4): category 00, card service data, capabilities
// (chaining + extended Lc/Le), LCS 05 + 9000.
inline constexpr std::uint8_t kHistorical[] = {0x00, 0x31, 0xC5, 0x73, 0xC0, 0x01, 0xC0, 0x05, 0x90, 0x00};

// DO C0 extended capabilities (§4): GET CHALLENGE, key import, PW status changeable, private DOs,
// attributes changeable (0x7C); no SM; challenge ≤ 0x0800; certificate ≤ 0x1000;
// special DOs ≤ 0xFF; no PIN block 2; no MSE.
inline constexpr std::uint8_t kExtendedCapabilities[] = {
    0x7C, 0x00,
    static_cast<std::uint8_t>(kMaxChallenge >> 8), static_cast<std::uint8_t>(kMaxChallenge & 0xFF),
    static_cast<std::uint8_t>(kMaxCertificate >> 8), static_cast<std::uint8_t>(kMaxCertificate & 0xFF),
    0x00, static_cast<std::uint8_t>(kMaxSpecialDo), 0x00, 0x00};

// DO 7F66 extended length information (§3.1): max command / response bytes.
inline constexpr std::uint8_t kExtendedLengthInfo[] = {
    0x02, 0x02, static_cast<std::uint8_t>(kMaxCommandData >> 8), static_cast<std::uint8_t>(kMaxCommandData & 0xFF),
    0x02, 0x02, static_cast<std::uint8_t>(kMaxResponseData >> 8), static_cast<std::uint8_t>(kMaxResponseData & 0xFF)};

inline constexpr std::uint8_t kAttrRsa2048[] = {0x01, 0x08, 0x00, 0x00, 0x20, 0x00};
inline constexpr std::uint8_t kAttrRsa3072[] = {0x01, 0x0C, 0x00, 0x00, 0x20, 0x00};
inline constexpr std::uint8_t kAttrRsa4096[] = {0x01, 0x10, 0x00, 0x00, 0x20, 0x00};
inline constexpr std::uint8_t kAttrEcdsaP256[] = {0x13, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
inline constexpr std::uint8_t kAttrEcdsaP384[] = {0x13, 0x2B, 0x81, 0x04, 0x00, 0x22};
inline constexpr std::uint8_t kAttrEcdhP256[] = {0x12, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
inline constexpr std::uint8_t kAttrEcdhP384[] = {0x12, 0x2B, 0x81, 0x04, 0x00, 0x22};

inline constexpr std::uint8_t kDefaultPw1[] = {'1', '2', '3', '4', '5', '6'};
inline constexpr std::uint8_t kDefaultPw3[] = {'1', '2', '3', '4', '5', '6', '7', '8'};
constexpr std::size_t kPw1MinLength = 6;
constexpr std::size_t kPw3MinLength = 8;
constexpr std::size_t kRcMinLength = 8;

enum class AlgoKind { None, Rsa, Ecdsa, Ecdh };

struct Algo {
    AlgoKind kind = AlgoKind::None;
    unsigned rsa_bits = 0;
    crypto::Curve curve = crypto::Curve::None;
};

inline bool equal(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

// Algorithm attributes (§5.1, §5.2) → what this card supports for `slot`, or kind None.
inline Algo decode_attributes(ByteView attr, std::size_t slot) {
    Algo a;
    if (attr.empty()) return a;
    if (attr[0] == 0x01) {  // RSA: 01 <n bits 2> <e bits 2> [format]
        if (attr.size() != 5 && attr.size() != 6) return a;
        const unsigned bits = static_cast<unsigned>(attr[1] << 8 | attr[2]);
        const unsigned ebits = static_cast<unsigned>(attr[3] << 8 | attr[4]);
        if (bits != 2048 && bits != 3072 && bits != 4096) return a;
        if (ebits < 17 || ebits > 32) return a;
        if (attr.size() == 6 && attr[5] > 0x03) return a;
        a.kind = AlgoKind::Rsa;
        a.rsa_bits = bits;
        return a;
    }
    if (attr[0] == 0x13 || attr[0] == 0x12) {  // ECDSA / ECDH: id <oid> [00|FF]
        if (attr[0] == 0x13 && slot == kSlotDec) return a;
        if (attr[0] == 0x12 && slot != kSlotDec) return a;
        ByteView oid = attr.subspan(1);
        if (!oid.empty() && (oid.back() == 0x00 || oid.back() == 0xFF)) oid = oid.first(oid.size() - 1);
        if (equal(oid, ByteView(kOidP256, sizeof kOidP256))) {
            a.curve = crypto::Curve::P256;
        } else if (equal(oid, ByteView(kOidP384, sizeof kOidP384))) {
            a.curve = crypto::Curve::P384;
        } else {
            return a;
        }
        a.kind = attr[0] == 0x13 ? AlgoKind::Ecdsa : AlgoKind::Ecdh;
    }
    return a;
}

// Slot of a control reference template tag (§1 table): B6 SIG, B8 DEC, A4 AUT.
inline int slot_of_crt(std::uint32_t tag) {
    switch (tag) {
        case 0xB6: return kSlotSig;
        case 0xB8: return kSlotDec;
        case 0xA4: return kSlotAut;
        default: return -1;
    }
}

}  // namespace qscd::sim::applet_detail
