// The simulated Latvian eID card (IDEMIA v2 profile, core/profiles/include/qscd/profiles/latvian_id.hpp lists
// the sources) against raw APDUs in the card's published formats: RSA-2048 keys generated on the card (the
// public key answer is longer than 256 bytes: GET RESPONSE chaining after a short Le, whole after an extended
// Le), MSE SET 41 B6 80 01 42 84 01 9F then PSO:CDS with the bare SHA-256 hash (the card adds the DigestInfo),
// MSE SET 41 A4 80 01 02 84 01 81 then INTERNAL AUTHENTICATE with the 51-byte DigestInfo, PIN blocks padded
// with FF to 12, tries in the IDEMIA GET DATA answer. RSA-2048 generation is slow (more so under ASan): each
// test program personalises one card and every case starts from a copy of its stored state.
#include "id_card_test_support.hpp"

#include "qscd/profiles/latvian_id.hpp"
#include "qscd/signing/crypto.hpp"

using namespace idtest;
using qscd::sim::CardType;
namespace lv = qscd::profiles::latvian_id;

namespace {

// [W] DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1).
const Bytes kSha256DigestInfoPrefix = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                       0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

// One personalised card per test program: its stored image, the SPKIs of its two keys.
struct Personalised {
    std::vector<std::uint8_t> image;
    Bytes auth_spki, sign_spki;
    std::size_t auth_answer_length = 0, sign_answer_length = 0;
};

Bytes spki_of(const Bytes& answer) {
    return qscd::spki_from_rsa(simtest::pubkey_field(answer, 0x81), simtest::pubkey_field(answer, 0x82));
}

const Personalised& personalised() {
    static const Personalised p = [] {
        Personalised out;
        IdSim c(CardType::LatvianId, false);  // formatted, keys generated below
        // Authentication key: short Le 00, the rest of the answer through GET RESPONSE (ISO 7816-4 §5.3.4).
        c.select_auth();
        Resp first = c.send("00 47 80 00 03 84 01 81 00");
        REQUIRE(first.sw == 0x6100 + (first.sw & 0xFF));
        REQUIRE((first.sw & 0xFF00) == 0x6100);
        REQUIRE(first.data.size() == 256);
        Bytes answer = first.data;
        Resp rest = c.send(cmd(0xC0, 0x00, 0x00, {}, first.sw & 0xFF));
        REQUIRE(rest.sw == 0x9000);
        answer.insert(answer.end(), rest.data.begin(), rest.data.end());
        out.auth_answer_length = answer.size();
        out.auth_spki = spki_of(answer);
        // Signature key: extended Le, the whole answer at once.
        c.select_qscd();
        Resp whole = c.send("00 47 80 00 00 00 03 84 01 9F 00 00");
        REQUIRE(whole.sw == 0x9000);
        out.sign_answer_length = whole.data.size();
        out.sign_spki = spki_of(whole.data);
        // Certificate EFs (the card never parses them), then ACTIVATE FILE.
        for (const auto* path : {&ee::kAuthCertPath, &ee::kSignCertPath}) {
            REQUIRE(c.sw(cmd(0xA4, 0x08, 0x0C, Bytes(path->begin(), path->end()))) == 0x9000);
            const Bytes content = fake_certificate(200, 0x33);
            REQUIRE(c.sw(cmd(0xD6, 0x00, 0x00, content)) == 0x9000);
        }
        REQUIRE(c.sw("00 44 00 00") == 0x9000);
        out.image = *c.storage.image();
        return out;
    }();
    return p;
}

// A card loaded from a copy of the personalised card's state.
struct Loaded : IdSim {
    Loaded() : IdSim(CardType::LatvianId, false) {
        storage.set_image(personalised().image);
        reload();
    }
};

Bytes hash_of(std::uint8_t seed) {
    Bytes h(32);
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(seed + 3 * i);
    return h;
}

Bytes extended_or_short_le(Bytes c) {
    c.push_back(0x00);  // Le 00: 256 bytes, the modulus length
    return c;
}

}  // namespace

TEST_CASE("Latvian ID card: ATR, RSA-2048 public keys from GENERATE longer than 256 bytes (GET RESPONSE and extended Le)",
          "[latvian_id]") {
    const Personalised& p = personalised();
    // 7F49 82 01 09 { 81 82 01 00 <n> 82 03 01 00 01 }: 270 bytes.
    CHECK(p.auth_answer_length == 270);
    CHECK(p.sign_answer_length == 270);
    CHECK(qscd::key_type_of_spki(p.auth_spki) == qscd::KeyType::Rsa2048);
    CHECK(qscd::key_type_of_spki(p.sign_spki) == qscd::KeyType::Rsa2048);
    CHECK(p.auth_spki != p.sign_spki);
    Loaded c;
    CHECK(Bytes(c.card->card_atr().begin(), c.card->card_atr().end()) == Bytes(lv::kAtr.begin(), lv::kAtr.end()));
    // After ACTIVATE FILE no key can be generated again.
    c.select_qscd();
    CHECK(c.sw("00 47 80 00 03 84 01 9F 00") == 0x6985);
}

TEST_CASE("Latvian ID card: PSO:CDS with the bare SHA-256 hash after MSE SET 41 B6 80 01 42 84 01 9F and VERIFY 85",
          "[latvian_id]") {
    Loaded c;
    c.select_qscd();
    REQUIRE(c.sw("00 22 41 B6 06 80 01 42 84 01 9F") == 0x9000);
    const Bytes hash = hash_of(0x51);
    // Not verified yet.
    CHECK(c.sw(extended_or_short_le(cmd(0x2A, 0x9E, 0x9A, hash))) == 0x6982);
    // PIN2 block: ASCII digits padded with FF to 12 bytes; a wrong one reports the tries left as 63Cx.
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("654321"))) == 0x63C2);
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("123456", 6))) == 0x6700);
    REQUIRE(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("123456"))) == 0x9000);
    // The DigestInfo is the card's work: a 51-byte input is refused.
    Bytes digest_info = kSha256DigestInfoPrefix;
    digest_info.insert(digest_info.end(), hash.begin(), hash.end());
    CHECK(c.sw(extended_or_short_le(cmd(0x2A, 0x9E, 0x9A, digest_info))) == 0x6700);
    Resp r = c.send(extended_or_short_le(cmd(0x2A, 0x9E, 0x9A, hash)));
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 256);
    CHECK(qscd::verify_signature(personalised().sign_spki, qscd::SignatureScheme::RsaPkcs1v15, qscd::HashAlgorithm::Sha256,
                                 hash, r.data));
    // Sole control: PIN2 is good for one signature.
    CHECK(c.sw(extended_or_short_le(cmd(0x2A, 0x9E, 0x9A, hash))) == 0x6982);
}

TEST_CASE("Latvian ID card: INTERNAL AUTHENTICATE with the 51-byte DigestInfo after MSE SET 41 A4 80 01 02 84 01 81",
          "[latvian_id]") {
    Loaded c;
    c.select_auth();
    REQUIRE(c.sw("00 22 41 A4 06 80 01 02 84 01 81") == 0x9000);
    REQUIRE(c.sw(cmd(0x20, 0x00, lv::kPin1Ref, block("1234"))) == 0x9000);
    const Bytes hash = hash_of(0x07);
    CHECK(c.sw(extended_or_short_le(cmd(0x88, 0x00, 0x00, hash))) == 0x6700);  // the bare hash is not its input
    Bytes digest_info = kSha256DigestInfoPrefix;
    digest_info.insert(digest_info.end(), hash.begin(), hash.end());
    Resp r = c.send(extended_or_short_le(cmd(0x88, 0x00, 0x00, digest_info)));
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 256);
    CHECK(qscd::verify_signature(personalised().auth_spki, qscd::SignatureScheme::RsaPkcs1v15, qscd::HashAlgorithm::Sha256,
                                 hash, r.data));
    // PIN1 stays verified: a second authentication needs no VERIFY.
    CHECK(c.sw(extended_or_short_le(cmd(0x88, 0x00, 0x00, digest_info))) == 0x9000);
}

TEST_CASE("Latvian ID card: PIN formats and tries in the IDEMIA GET DATA answer, PUK unblocks PIN2", "[latvian_id]") {
    Loaded c;
    auto tries = [&](std::uint8_t reference) {
        Resp r = c.send(cmd(0xCB, 0x3F, 0xFF,
                            Bytes{0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, static_cast<std::uint8_t>(reference & 0x0F), 0x02, 0xA0, 0x80}, 0));
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() >= 14);
        return std::pair<int, int>{r.data[10], r.data[13]};
    };
    c.select_qscd();
    CHECK(tries(lv::kPin2Ref) == std::pair<int, int>{3, 3});
    // PIN2: 6 to 12 digits; a 5-digit block is malformed.
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("12345"))) == 0x6A80);
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("000000"))) == 0x63C2);
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("000000"))) == 0x63C1);
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("000000"))) == 0x63C0);
    CHECK(tries(lv::kPin2Ref) == std::pair<int, int>{3, 0});
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("123456"))) == 0x6983);
    // PUK (8 digits, FF-padded) with a new PIN2: RESET RETRY COUNTER 00 2C 00 85.
    Bytes data = block("12345678");
    const Bytes new_pin = block("246810");
    data.insert(data.end(), new_pin.begin(), new_pin.end());
    CHECK(c.sw(cmd(0x2C, 0x00, lv::kPin2Ref, data)) == 0x9000);
    CHECK(tries(lv::kPin2Ref) == std::pair<int, int>{3, 3});
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin2Ref, block("246810"))) == 0x9000);
    // PIN1 (4 to 12 digits) lives in the MF.
    REQUIRE(c.sw("00 A4 00 0C") == 0x9000);
    CHECK(tries(lv::kPin1Ref) == std::pair<int, int>{3, 3});
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin1Ref, block("123"))) == 0x6A80);
    CHECK(c.sw(cmd(0x20, 0x00, lv::kPin1Ref, block("1234"))) == 0x9000);
}
