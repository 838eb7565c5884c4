// A simulated Estonian ID card on MemoryStorage for the applet tests: formatted, and (by default)
// personalised with raw APDUs as the issuer does it (keys generated on the card, certificate EFs written,
// ACTIVATE FILE). PBKDF2 iterations lowered for speed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qscd/profiles/estonian_id.hpp"
#include "qscd/profiles/finnish_id.hpp"
#include "sim_test_support.hpp"

namespace idtest {

using qscd::ByteView;
using qscd::Bytes;
using simtest::hex;
using simtest::Resp;
namespace ee = qscd::profiles::estonian_id;
namespace fi = qscd::profiles::finnish_id;

// ASCII digits padded with FF to the Estonian card's 12-byte PIN block.
inline Bytes block(const std::string& digits, std::size_t length = 12, std::uint8_t pad = 0xFF) {
    Bytes b(digits.begin(), digits.end());
    if (b.size() < length) b.resize(length, pad);
    return b;
}

inline Bytes cmd(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data = {}, int le = -1) {
    Bytes c{0x00, ins, p1, p2};
    if (!data.empty()) {
        c.push_back(static_cast<std::uint8_t>(data.size()));
        c.insert(c.end(), data.begin(), data.end());
    }
    if (le >= 0) c.push_back(static_cast<std::uint8_t>(le));
    return c;
}

// A certificate-shaped blob (the card never parses its EFs): SEQUENCE of `n` - 4 bytes.
inline Bytes fake_certificate(std::size_t n, std::uint8_t seed) {
    Bytes c{0x30, 0x82, static_cast<std::uint8_t>((n - 4) >> 8), static_cast<std::uint8_t>(n - 4)};
    for (std::size_t i = 4; i < n; ++i) c.push_back(static_cast<std::uint8_t>(seed + i * 7));
    return c;
}

struct IdSim {
    qscd::sim::MemoryStorage storage;
    qscd::sim::SystemRandom random;
    qscd::sim::SystemClock clock;
    std::unique_ptr<qscd::sim::VirtualCard> card;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(qscd::sim::kMaxResponseApdu);
    Bytes auth_point, sign_point;  // uncompressed P-384 points, from GENERATE
    Bytes auth_cert = fake_certificate(1000, 0x11), sign_cert = fake_certificate(1234, 0x22);

    qscd::sim::CardType type = qscd::sim::CardType::EstonianId;

    explicit IdSim(bool personalise = true, std::uint32_t iterations = 1000) : IdSim(qscd::sim::CardType::EstonianId, personalise, iterations) {}
    // A card of another simulated profile (FinnishIdV4), personalised its way.
    IdSim(qscd::sim::CardType card_type, bool personalise, std::uint32_t iterations = 1000) : type(card_type) {
        card = make_card(iterations);
        REQUIRE(card->format({0x00, 0x00, 0x00, 0x01}) == qscd::sim::StorageStatus::Ok);
        card->power_on();
        if (personalise) personalise_card();
    }

    std::unique_ptr<qscd::sim::VirtualCard> make_card(std::uint32_t iterations = 1000) {
        qscd::sim::CardOptions options;
        options.pin_iterations = iterations;
        options.card_type = type;
        return std::make_unique<qscd::sim::VirtualCard>(storage, random, clock, options);
    }

    // The card as another process would find it: a new card object loading the stored state.
    void reload() {
        card = make_card();
        REQUIRE(card->load().ok());
        card->power_on();
    }

    Bytes raw(ByteView command) {
        const std::size_t n = card->process(command, buffer);
        REQUIRE(n >= 2);
        return Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
    Resp send(const Bytes& command) { return simtest::split(raw(command)); }
    Resp send(const std::string& h) { return send(hex(h)); }
    std::uint16_t sw(const std::string& h) { return send(h).sw; }
    std::uint16_t sw(const Bytes& c) { return send(c).sw; }

    void select_main() { REQUIRE(sw(cmd(0xA4, 0x04, 0x00, Bytes(ee::kMainAid.begin(), ee::kMainAid.end()), 0)) == 0x9000); }
    void select_auth() { REQUIRE(sw(cmd(0xA4, 0x04, 0x0C, Bytes(ee::kAuthAid.begin(), ee::kAuthAid.end()))) == 0x9000); }
    void select_qscd() { REQUIRE(sw(cmd(0xA4, 0x04, 0x0C, Bytes(ee::kQscdAid.begin(), ee::kQscdAid.end()))) == 0x9000); }

    // The public key: the EC point, or (the Latvian card's RSA-2048 keys, 270 bytes: extended Le) the modulus.
    Bytes generate(std::uint8_t key) {
        if (type == qscd::sim::CardType::LatvianId) {
            Resp r = send(Bytes{0x00, 0x47, 0x80, 0x00, 0x00, 0x00, 0x03, 0x84, 0x01, key, 0x00, 0x00});
            REQUIRE(r.sw == 0x9000);
            return simtest::pubkey_field(r.data, 0x81);
        }
        Resp r = send(cmd(0x47, 0x80, 0x00, Bytes{0x84, 0x01, key}, 0));
        REQUIRE(r.sw == 0x9000);
        return simtest::pubkey_field(r.data, 0x86);
    }
    void write_file(const Bytes& path, const Bytes& content) {
        REQUIRE(sw(cmd(0xA4, 0x08, 0x0C, path)) == 0x9000);
        for (std::size_t off = 0; off < content.size(); off += 200) {
            const std::size_t n = std::min<std::size_t>(200, content.size() - off);
            const Bytes part(content.begin() + static_cast<std::ptrdiff_t>(off),
                             content.begin() + static_cast<std::ptrdiff_t>(off + n));
            REQUIRE(sw(cmd(0xD6, static_cast<std::uint8_t>(off >> 8), static_cast<std::uint8_t>(off), part)) == 0x9000);
        }
    }
    // [W] FinEID: the PKCS#15 application by AID (where this simulation keeps both keys and PIN2).
    void select_pkcs15() { REQUIRE(sw(cmd(0xA4, 0x04, 0x0C, Bytes(fi::kPkcs15Aid.begin(), fi::kPkcs15Aid.end()))) == 0x9000); }

    void personalise_card() {
        if (type == qscd::sim::CardType::FinnishIdV4) {
            select_pkcs15();
            auth_point = generate(0x01);
            sign_point = generate(0x02);
            write_file(Bytes(fi::kAuthCertPath.begin(), fi::kAuthCertPath.end()), auth_cert);
            write_file(Bytes(fi::kSignCertPath.begin(), fi::kSignCertPath.end()), sign_cert);
            REQUIRE(sw("00 44 00 00") == 0x9000);
            return;
        }
        select_auth();
        auth_point = generate(0x81);
        select_qscd();
        sign_point = generate(0x9F);
        write_file(Bytes(ee::kAuthCertPath.begin(), ee::kAuthCertPath.end()), auth_cert);
        write_file(Bytes(ee::kSignCertPath.begin(), ee::kSignCertPath.end()), sign_cert);
        REQUIRE(sw("00 44 00 00") == 0x9000);
    }

    // Remaining tries from the IDEMIA GET DATA answer (byte 13; byte 10 = max), after selecting where the
    // PIN lives (OpenSC: MF for PIN1 and PUK, ADF2 for PIN2).
    std::pair<int, int> tries(std::uint8_t reference) {
        if (reference == ee::kPin2Ref) {
            select_main();
            REQUIRE(sw("00 A4 01 0C 02 AD F2") == 0x9000);
        } else {
            REQUIRE(sw("00 A4 00 0C") == 0x9000);
        }
        Resp r = send(cmd(0xCB, 0x3F, 0xFF, Bytes{0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, static_cast<std::uint8_t>(reference & 0x0F), 0x02, 0xA0, 0x80}, 0));
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() == 32);
        return {r.data[13], r.data[10]};
    }
};

}  // namespace idtest
