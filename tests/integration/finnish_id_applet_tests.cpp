// The simulated Finnish ID card (FinEID v4 profile) against raw APDUs in the card's published formats
// (core/profiles/include/qscd/profiles/finnish_id.hpp lists the sources): ATR, SELECT of the PKCS#15 AID and of
// the certificate EFs by path from the MF with their FCP, READ BINARY in blocks of B5, PIN blocks padded with 00,
// GET DATA with the tries in DF21 at byte 20, VERIFY before MSE SET whose algorithm byte names the hash,
// PSO:HASH then PSO:CDS with Le 60, five tries and no PUK.
#include "id_card_test_support.hpp"

#include "qscd/profiles/finnish_id.hpp"

using namespace idtest;
using qscd::sim::CardType;

namespace {

// The shared ID-card rig, personalised the FinEID way (keys in the PKCS#15 application, certificate EFs by path).
struct FinSim : IdSim {
    FinSim() : IdSim(CardType::FinnishIdV4, true) {}

    // [W] pinRetriesLeft: GET DATA 00 CB 00 FF 05 A0 03 83 01 <ref> 00, the tries at byte 20.
    int tries(std::uint8_t reference) {
        Resp r = send(cmd(0xCB, 0x00, 0xFF, Bytes{0xA0, 0x03, 0x83, 0x01, reference}, 0));
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() >= 21);
        REQUIRE(r.data[17] == 0xDF);
        REQUIRE(r.data[18] == 0x21);
        return r.data[20];
    }
    // [W] VERIFY, MSE SET with the hash's algorithm byte, PSO:HASH with the bare hash, PSO:CDS Le 60.
    Resp sign(std::uint8_t pin, const std::string& digits, std::uint8_t algorithm, std::uint8_t key, const Bytes& hash) {
        REQUIRE(sw(cmd(0x20, 0x00, pin, block(digits, 12, 0x00))) == 0x9000);
        REQUIRE(sw(cmd(0x22, 0x41, 0xB6, Bytes{0x80, 0x01, algorithm, 0x84, 0x01, key})) == 0x9000);
        Bytes tlv{0x90, static_cast<std::uint8_t>(hash.size())};
        tlv.insert(tlv.end(), hash.begin(), hash.end());
        REQUIRE(sw(cmd(0x2A, 0x90, 0xA0, tlv)) == 0x9000);
        return send(cmd(0x2A, 0x9E, 0x9A, {}, 0x60));
    }
};

Bytes joined(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

bool verifies(const Bytes& point, const Bytes& hash, const Bytes& rs) {
    return simtest::ecdsa_verifies(MBEDTLS_ECP_DP_SECP384R1, point, hash, rs);
}

}  // namespace

TEST_CASE("finnish id card: presents the FinEID v4 ATR, which the profile table matches, the state reloads") {
    FinSim sim;
    const Bytes atr(sim.card->card_atr().begin(), sim.card->card_atr().end());
    REQUIRE(atr == Bytes(fi::kAtrV4.begin(), fi::kAtrV4.end()));
    REQUIRE(qscd::profiles::find_by_atr(atr) == &fi::kProfile);
    REQUIRE(qscd::profiles::find_by_id("finnish-id") == &fi::kProfile);
    auto reloaded = sim.make_card();
    REQUIRE(reloaded->load().ok());
    REQUIRE(reloaded->card_type() == CardType::FinnishIdV4);
}

TEST_CASE("finnish id card: certificates by PKCS#15 AID then 00 A4 08 04 <path> 00 with the FCP, READ BINARY in B5 blocks") {
    FinSim sim;
    for (const auto& [path, content] : {std::pair{hex("43 31"), sim.auth_cert}, std::pair{hex("50 16 43 32"), sim.sign_cert}}) {
        sim.select_pkcs15();
        Resp fcp = sim.send(cmd(0xA4, 0x08, 0x04, path, 0));
        REQUIRE(fcp.sw == 0x9000);
        REQUIRE(fcp.data == Bytes{0x62, 0x04, 0x80, 0x02, static_cast<std::uint8_t>(content.size() >> 8),
                                  static_cast<std::uint8_t>(content.size())});
        Bytes read;
        while (read.size() < content.size()) {
            const std::size_t n = std::min<std::size_t>(0xB5, content.size() - read.size());
            Resp r = sim.send(cmd(0xB0, static_cast<std::uint8_t>(read.size() >> 8), static_cast<std::uint8_t>(read.size()), {},
                                  static_cast<int>(n)));
            REQUIRE(r.sw == 0x9000);
            REQUIRE(r.data.size() == n);
            read.insert(read.end(), r.data.begin(), r.data.end());
        }
        REQUIRE(read == content);
    }
    REQUIRE(sim.sw("00 A4 08 04 02 43 39 00") == 0x6A82);
}

TEST_CASE("finnish id card: VERIFY 82 then MSE SET 44/54/64 then PSO:HASH and PSO:CDS Le 60 gives r||s, PIN2 good for one signature") {
    FinSim sim;
    sim.select_pkcs15();
    struct Form {
        std::uint8_t algorithm;
        std::size_t hash_size;
    };
    for (const Form form : {Form{0x54, 48}, Form{0x44, 32}, Form{0x64, 64}}) {
        CAPTURE(form.algorithm);
        const Bytes hash(form.hash_size, 0x5A);
        Resp r = sim.sign(fi::kPin2Ref, "123456", form.algorithm, 0x02, hash);
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() == 96);
        REQUIRE(verifies(sim.sign_point, hash, r.data));
        REQUIRE_FALSE(verifies(sim.auth_point, hash, r.data));
        // Sole control: the hash and PIN2 are used up.
        REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, {}, 0x60)) == 0x6985);
    }
    // PIN2 must be verified; a PSO:HASH of another length than the MSE form names is refused.
    REQUIRE(sim.sw(cmd(0x22, 0x41, 0xB6, hex("80 01 54 84 01 02"))) == 0x9000);
    REQUIRE(sim.sw(cmd(0x2A, 0x90, 0xA0, joined(hex("90 20"), Bytes(32, 1)))) == 0x6A80);
    REQUIRE(sim.sw(cmd(0x2A, 0x90, 0xA0, joined(hex("90 30"), Bytes(48, 1)))) == 0x9000);
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, {}, 0x60)) == 0x6982);
    // PSO:CDS with the hash in it is not this card's form.
    REQUIRE(sim.sw(cmd(0x20, 0x00, fi::kPin2Ref, block("123456", 12, 0x00))) == 0x9000);
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, Bytes(48, 1), 0x60)) == 0x6700);
}

TEST_CASE("finnish id card: PIN1 11 with the authentication key 01, the IDEMIA forms are refused") {
    FinSim sim;
    sim.select_pkcs15();
    const Bytes hash(48, 0x3C);
    Resp r = sim.sign(fi::kPin1Ref, "1234", 0x54, 0x01, hash);
    REQUIRE(r.sw == 0x9000);
    REQUIRE(verifies(sim.auth_point, hash, r.data));
    REQUIRE(sim.sw("00 22 41 B6 06 80 01 54 84 01 9F") == 0x6A80);  // the Estonian signature key form
    REQUIRE(sim.sw("00 CB 3F FF 0A 4D 08 70 06 BF 81 02 02 A0 80 00") == 0x6A86);  // the IDEMIA retry query
    REQUIRE(sim.sw(cmd(0x20, 0x00, fi::kPin1Ref, block("1234"))) == 0x6A80);  // FF padding is not this card's
}

TEST_CASE("finnish id card: five wrong PIN2 block it (63C4..63C0, then 6983), DF21 counts down, there is no PUK") {
    FinSim sim;
    sim.select_pkcs15();
    REQUIRE(sim.tries(fi::kPin2Ref) == 5);
    REQUIRE(sim.tries(fi::kPin1Ref) == 5);
    for (int left = 4; left >= 0; --left) {
        REQUIRE(sim.sw(cmd(0x20, 0x00, fi::kPin2Ref, block("999999", 12, 0x00))) == 0x63C0 + left);
        REQUIRE(sim.tries(fi::kPin2Ref) == left);
    }
    REQUIRE(sim.sw(cmd(0x20, 0x00, fi::kPin2Ref, block("123456", 12, 0x00))) == 0x6983);
    // No unblocking PIN in the profile: RESET RETRY COUNTER is refused in every form.
    for (const std::uint8_t p1 : std::array<std::uint8_t, 4>{0x00, 0x01, 0x02, 0x03})
        REQUIRE(sim.sw(cmd(0x2C, p1, fi::kPin2Ref, block("12345678", 12, 0x00))) == 0x6985);
    REQUIRE(sim.tries(fi::kPin1Ref) == 5);  // PIN1 untouched
    // PIN2 is local to the PKCS#15 application.
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, fi::kPin2Ref, block("123456", 12, 0x00))) == 0x6A88);
}
