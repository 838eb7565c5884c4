// The simulated OpenPGP card for the malformed-input suites: a card on MemoryStorage driven by raw
// APDUs without Catch2 assertions in the hot path, personalised with a P-256 key generated on the
// card or a fixed RSA-2048 key imported into it (no slow RSA key generation).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hex.hpp"
#include "qscd/codec/apdu.hpp"
#include "qscd/codec/bytes.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/virtual_card.hpp"

namespace malformed {

using qscd::ByteView;
using qscd::Bytes;

using qscd::test::hex;

inline Bytes apdu(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data = {},
                  std::uint32_t ne = 0, bool extended = false) {
    auto enc = qscd::CommandApdu(cla, ins, p1, p2, data, ne).encode(extended);
    if (!enc) throw std::logic_error("unencodable test APDU");
    return *enc;
}

// Fixed RSA-2048 test key (primes only; e = 65537): imported, so the suites need no RSA key generation.
inline const char* const kRsaP =
    "cd3ec6fcbb2069084d0a41e1cffc39b0e4f7ddc4cdf39fcc90a2599fc3acb4d90eb4f1c58d63ce99798b95640ad39d1f"
    "1033d58d4a5a5e8ad2c2e927e70e99a1b580f4dbaa2e20136eaab9901b9e2a83cf89d3c4186f3772151982cd40bf662b"
    "489e1d8e92b25f018959c743b4c04252add4338fa62270a1420115de6a686d39";
inline const char* const kRsaQ =
    "c17131ad8ff056a56d0731af31a14033f979d2d81296fd9ba568e4f11d0a25b01b702653dc8b8dbaf9e3f9b7e57431d0"
    "e08a3de5ba7b1495cb699cfeca18bc49aaccbeb2eb75dd916acdb842855b2d26d06db2ac052ce22f43ba43218b67fa2d"
    "c632fe51e0e0afbc613c635dc1b5af4c6132061f286e8c3b36b2a95aac122d41";

// Two more fixed RSA-2048 keys (e = 65537), for the decryption and authentication slots.
inline const char* const kRsaDecP =
    "f6686f3211b0a9b57e9c8f15cf964967ecc67bf19808bc99c956f3e29e2d2144803ca4e04363fb783d16c5f4b4f0cc1b"
    "761215ea60c95e1a219a0ebf564be639e278a48521a0e86288ee65cf3a3c7ed8dd52722deae4e85f2486437233d2d048"
    "b3e7792b7947dffbbc090ba54c10006fc88637b2450fbb3cc5f899957caaa149";
inline const char* const kRsaDecQ =
    "d7e84f0ef093dc857ace9270d399765cc92a91d785cbd78dfe28bc5d352a4345f905589f12bd82afed03ee18a2dc26c2"
    "c3664fb3ab4a3a2af2b6bf919b2f9f8db9acf58e6f5dda6a9deec8ec5accc09e946bc2b71dc87600d40a058acc299bb5"
    "8682d2f649ac257bd2f10d1045d9be23af3e7828982797c583b127fd12cb84c3";
inline const char* const kRsaAutP =
    "f0c4ea8f85e06a8840fb181acb85099d5f7792f6858dc0d1193e3854456d3a3bbbb0cf23b6f113f712fde476b83f4a6d"
    "91ba672fe05d6b9c84d6c3f860e86e74b34513336d789c64ed79d374bb22bd1e8844f26a1b4ae78c68736a77d4ab65bf"
    "9032a643298b528628bda5ba2f9b16f4c598eec4f3231c90c29c0e52ff40d6e1";
inline const char* const kRsaAutQ =
    "b99c20724866d193c15092e9b67d63cbfad857400f319f91d478aff401cd91ee2c50392418177874132d8251975799746f"
    "a9fbc7e3a9f8f1b3f8a33aefd582ea03a05241daf52f8d3354c2a8ec04ef72abb648abc06d47ce33037c82d7ffd1626830"
    "d5b4088f71633fcdc8e9ae40f1366358698d9bc8f69281104f6893ee4301";

enum class KeyKind { P256, Rsa2048 };
// Which key slots the card is personalised with: the signature key only, or SIG, DEC and AUT.
enum class KeySlots { SigOnly, All };

struct Reply {
    Bytes data;
    std::uint16_t sw = 0;
};

class Card {
public:
    explicit Card(KeyKind kind = KeyKind::P256, KeySlots slots = KeySlots::SigOnly) : kind_(kind) {
        card_ = std::make_unique<qscd::sim::VirtualCard>(storage_, random_, clock_, qscd::sim::CardOptions{1000});
        if (card_->format({0x00, 0x00, 0x00, 0x01}) != qscd::sim::StorageStatus::Ok)
            throw std::runtime_error("format failed");
        card_->power_on();
        select();
        verify(0x83, "12345678");
        if (kind == KeyKind::P256) {
            expect(send(apdu(0, 0x47, 0x80, 0x00, {0xB6, 0x00}, 256)), 0x9000, "GENERATE");
            if (slots == KeySlots::All) {
                // Algorithm attributes (§5): C2 = ECDH P-256 (12), C3 = ECDSA P-256 (13); then a key generated in each.
                const Bytes p256_oid = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
                Bytes ecdh{0x12}, ecdsa{0x13};
                ecdh.insert(ecdh.end(), p256_oid.begin(), p256_oid.end());
                ecdsa.insert(ecdsa.end(), p256_oid.begin(), p256_oid.end());
                expect(send(apdu(0, 0xDA, 0x00, 0xC2, ecdh)), 0x9000, "PUT DATA C2");
                expect(send(apdu(0, 0xDA, 0x00, 0xC3, ecdsa)), 0x9000, "PUT DATA C3");
                expect(send(apdu(0, 0x47, 0x80, 0x00, {0xB8, 0x00}, 256)), 0x9000, "GENERATE B8");
                expect(send(apdu(0, 0x47, 0x80, 0x00, {0xA4, 0x00}, 256)), 0x9000, "GENERATE A4");
            }
        } else {
            expect(send(apdu(0, 0xDA, 0x00, 0xC1, {0x01, 0x08, 0x00, 0x00, 0x20, 0x00})), 0x9000, "PUT DATA C1");
            expect(send(apdu(0, 0xDB, 0x3F, 0xFF, rsa_import_template(0xB6, kRsaP, kRsaQ), 0, true)), 0x9000, "import");
            if (slots == KeySlots::All) {  // C2 and C3 are RSA-2048 by default
                expect(send(apdu(0, 0xDB, 0x3F, 0xFF, rsa_import_template(0xB8, kRsaDecP, kRsaDecQ), 0, true)), 0x9000,
                       "import B8");
                expect(send(apdu(0, 0xDB, 0x3F, 0xFF, rsa_import_template(0xA4, kRsaAutP, kRsaAutQ), 0, true)), 0x9000,
                       "import A4");
            }
        }
        // A certificate for the SIG key (the card does not parse it) and some cardholder data.
        expect(send(apdu(0, 0xA5, 0x02, 0x04, {0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21})), 0x9000, "SELECT DATA");
        expect(send(apdu(0, 0xDA, 0x7F, 0x21, Bytes(300, 0x30))), 0x9000, "PUT DATA 7F21");
        expect(send(apdu(0, 0xDA, 0x00, 0x5B, {'T', 'E', 'S', 'T'})), 0x9000, "PUT DATA 5B");
        select();
    }

    KeyKind kind() const { return kind_; }

    // One command in, one raw response out (no GET RESPONSE).
    Reply send(ByteView command) {
        const std::size_t n = card_->process(command, buffer_);
        if (n < 2) throw std::logic_error("card returned no status word");
        Reply r;
        r.data.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n - 2));
        r.sw = static_cast<std::uint16_t>(buffer_[n - 2] << 8 | buffer_[n - 1]);
        return r;
    }
    // Hot path: status word only, the raw response stays in buffer().
    std::uint16_t sw_of(ByteView command, std::size_t* length = nullptr) {
        const std::size_t n = card_->process(command, buffer_);
        if (n < 2) throw std::logic_error("card returned no status word");
        if (length) *length = n;
        return static_cast<std::uint16_t>(buffer_[n - 2] << 8 | buffer_[n - 1]);
    }
    ByteView buffer(std::size_t n) const { return ByteView(buffer_.data(), n); }

    void select() { expect(send(hex("00 A4 04 00 06 D2 76 00 01 24 01")), 0x9000, "SELECT"); }
    void verify(std::uint8_t p2, const std::string& pin) {
        expect(send(apdu(0, 0x20, 0x00, p2, Bytes(pin.begin(), pin.end()))), 0x9000, "VERIFY");
    }
    void reset() { card_->reset(); }

    // The committed state image: equal bytes = unchanged persistent state (PINs, counters, keys, DOs).
    const std::vector<std::uint8_t>& image() const { return *storage_.image(); }
    std::size_t commits() const { return storage_.commit_count; }
    const qscd::sim::CardState& state() const { return card_->state(); }
    qscd::sim::VirtualCard& virtual_card() { return *card_; }

    // Full response (follows 61xx).
    Reply transceive(const Bytes& command) {
        Reply r = send(command);
        Bytes all = r.data;
        while ((r.sw >> 8) == 0x61) {
            r = send(Bytes{0x00, 0xC0, 0x00, 0x00, static_cast<std::uint8_t>(r.sw & 0xFF)});
            all.insert(all.end(), r.data.begin(), r.data.end());
        }
        r.data = all;
        return r;
    }

    static void expect(const Reply& r, std::uint16_t sw, const char* what) {
        if (r.sw != sw) throw std::runtime_error(std::string("card setup: ") + what + " answered " + std::to_string(r.sw));
    }

private:
    static Bytes rsa_import_template(std::uint8_t crt, const char* p_hex, const char* q_hex) {
        // §9.3: 4D { CRT 00, 7F48 { 91 03, 92 81 80, 93 81 80 }, 5F48 { e ‖ p ‖ q } }
        const Bytes p = hex(p_hex), q = hex(q_hex);
        Bytes values{0x01, 0x00, 0x01};
        values.insert(values.end(), p.begin(), p.end());
        values.insert(values.end(), q.begin(), q.end());
        Bytes body = {crt, 0x00};
        qscd::append_tlv(body, 0x7F48, hex("91 03 92 81 80 93 81 80"));
        qscd::append_tlv(body, 0x5F48, values);
        return qscd::encode_tlv(0x4D, body);
    }

    KeyKind kind_;
    qscd::sim::MemoryStorage storage_;
    qscd::sim::SystemRandom random_;
    qscd::sim::SystemClock clock_;
    std::unique_ptr<qscd::sim::VirtualCard> card_;
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(qscd::sim::kMaxResponseApdu);
};

}  // namespace malformed
