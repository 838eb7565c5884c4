// The ID-card host driver against scripted exchanges in the Finnish ID card's (FinEID v4) published command
// formats, not against our simulator: every command is byte for byte what web-eid's libelectronic-id sends
// the card. Sources (facts only, no code): libelectronic-id src/electronic-ids/pcsc/FinEID.cpp and
// libpcsc-cpp's CommandApdu::select / selectEF [W] (SELECT 00 A4 04 0C of the PKCS#15 AID, the certificate
// EFs by path from the MF with 00 A4 08 04 <path> 00, 4331 and 5016/4332, READ BINARY in blocks of B5;
// VERIFY 00 20 00 82 / 11 with the PIN padded with 00 to 12 bytes, *then* MSE SET 00 22 41 B6 06 80 01
// <04 | hash> 84 01 <02 | 01>, PSO:HASH 00 2A 90 A0 <90 len hash> with the bare hash, PSO:CDS 00 2A 9E 9A 60;
// GET DATA 00 CB 00 FF 05 A0 03 83 01 <ref> with the tries at byte 20 (first byte of DF21 [R])).
#include <catch2/catch.hpp>

#include "hex.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/test_ca.hpp"
#include "qscd/token_source.hpp"
#include "scripted_pin_pad.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using qscd::test::hex;

namespace {

constexpr const char* kAtrV4 = "3B 7F 96 00 00 80 31 B8 65 B0 85 05 00 11 12 24 60 82 90 00";  // [R], [O25] FinEID 2022
constexpr const char* kSelectPkcs15 = "00 A4 04 0C 0C A0 00 00 00 63 50 4B 43 53 2D 31 35";     // [W] SELECT_MAIN_AID
constexpr const char* kSelectMf = "00 A4 00 0C";  // (unconfirmed) our MF select; [W] never selects the MF
// A GET DATA answer with `left` tries as the first byte of DF21, at byte 20 of the answer.
std::string pin_info(const char* ref, const char* left) {
    return std::string("A0 13 83 01 ") + ref + " 8A 01 05 C0 07 00 00 00 00 00 00 00 DF 21 01 " + left + " 90 00";
}

class FinnishCardScript : public qscd::test::ScriptedTransport {
public:
    Bytes atr() const override { return hex(kAtrV4); }
    void reset_card_on_close() noexcept override { ++resets; }
    PinPad* pin_pad() override { return pad; }
    int resets = 0;
    qscd::test::ScriptedPinPad* pad = nullptr;
};

struct Card {
    SoftwareKey sign_key = SoftwareKey::generate(KeyType::EcP384);
    SoftwareKey auth_key = SoftwareKey::generate(KeyType::EcP384);
    Bytes sign_cert, auth_cert;
    FinnishCardScript* script = nullptr;
    std::unique_ptr<Token> token;

    Card() {
        const TestPki pki = create_test_pki();
        CertificateProfile qualified = profile_for(CertificateKind::NaturalPersonQualified, "Matti", "Meikäläinen", "TEST1");
        qualified.non_repudiation = true;
        qualified.digital_signature = false;
        sign_cert = issue_certificate(pki.issuing, sign_key.spki(), qualified);
        auth_cert = issue_certificate(pki.issuing, auth_key.spki(),
                                      profile_for(CertificateKind::NaturalPersonNonQualified, "Matti", "Meikäläinen", "TEST1"));
    }

    // open_card: the ATR names the FinEID v4 profile, SELECT of the PKCS#15 AID confirms it.
    void open() {
        auto transport = std::make_unique<FinnishCardScript>();
        script = transport.get();
        script->expect(kSelectPkcs15, "90 00").expect(kSelectMf, "90 00");
        token = open_card(std::move(transport), "scripted");
        REQUIRE(script->finished());
    }

    // [W] FinEIDv4::getCertificateImpl: SELECT the PKCS#15 AID, SELECT the EF by path from the MF with its FCP,
    // READ BINARY (4 bytes for the DER length, then blocks of at most B5 bytes).
    void expect_certificate(const std::string& path, const Bytes& der) {
        const std::size_t n = hex(path).size();
        script->expect(kSelectPkcs15, "90 00")
            .expect("00 A4 08 04 0" + std::to_string(n) + " " + path + " 00",
                    "62 04 80 02 " + to_hex(Bytes{static_cast<std::uint8_t>(der.size() >> 8), static_cast<std::uint8_t>(der.size())}) + " 90 00");
        script->expect("00 B0 00 00 04", to_hex(ByteView(der).first(4)) + " 90 00");
        for (std::size_t offset = 0; offset < der.size(); offset += 0xB5) {
            const std::size_t k = std::min<std::size_t>(0xB5, der.size() - offset);
            const Bytes command{0x00, 0xB0, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset),
                                static_cast<std::uint8_t>(k)};
            script->expect(to_hex(command), to_hex(ByteView(der).subspan(offset, k)) + " 90 00");
        }
    }
    void expect_keys() {
        expect_certificate("50 16 43 32", sign_cert);
        expect_certificate("43 31", auth_cert);
    }
};

std::unique_ptr<PinEntry> fixed(const char* pin) {
    return std::make_unique<HostPinPrompt>([pin](const PinRequest&) { return Pin(pin); });
}

}  // namespace

TEST_CASE("FinEID v4: ATR and SELECT of the PKCS#15 AID choose the profile, certificates by path from the MF", "[idcard][scripted][fineid]") {
    Card card;
    card.open();
    CHECK(card.token->info().card_type == "Finnish ID card (FinEID v4)");
    card.expect_keys();
    auto keys = card.token->keys();
    REQUIRE(card.script->finished());
    REQUIRE(keys.size() == 2);
    CHECK(keys[0]->attributes().id == "SIG");
    CHECK(keys[0]->attributes().key_reference == 0x02);
    CHECK(keys[0]->attributes().public_key == card.sign_key.spki());
    CHECK(keys[1]->attributes().id == "AUT");
    CHECK(keys[1]->attributes().key_reference == 0x01);
    CHECK(keys[1]->attributes().certificate == card.auth_cert);
}

TEST_CASE("FinEID v4 PIN2 signature: VERIFY 82 padded with 00, then MSE SET naming the hash, PSO:HASH, PSO:CDS Le 60",
          "[idcard][scripted][fineid]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");

    struct Form {
        HashAlgorithm hash;
        const char* algorithm;
    };
    for (const Form form : {Form{HashAlgorithm::Sha384, "54"}, Form{HashAlgorithm::Sha256, "44"}, Form{HashAlgorithm::Sha512, "64"}}) {
        CAPTURE(to_string(form.hash));
        const Bytes digest = hash_bytes(form.hash, as_bytes("sopimus"));
        const Bytes signature = card.sign_key.sign(form.hash, digest);
        card.script->expect(kSelectMf, "90 00")
            .expect(kSelectPkcs15, "90 00")
            .expect("00 CB 00 FF 05 A0 03 83 01 82 00", pin_info("82", "05"))
            .expect(kSelectPkcs15, "90 00")
            .expect("00 20 00 82 0C 31 32 33 34 35 36 00 00 00 00 00 00", "90 00")
            .expect(std::string("00 22 41 B6 06 80 01 ") + form.algorithm + " 84 01 02", "90 00")
            .expect("00 2A 90 A0 " + to_hex(Bytes{static_cast<std::uint8_t>(digest.size() + 2), 0x90, static_cast<std::uint8_t>(digest.size())}) +
                        " " + to_hex(digest),
                    "90 00")
            .expect("00 2A 9E 9A 60", to_hex(signature) + " 90 00");
        std::optional<int> tries;
        HostPinPrompt pin([&](const PinRequest& r) {
            tries = r.tries_left;
            CHECK(r.pin_name == "PIN2 (signature)");
            CHECK(r.min_length == 6);
            return Pin("123456");
        });
        CHECK(key->sign_hash(form.hash, digest, pin) == signature);
        CHECK(card.script->finished());
        CHECK(tries == 5);
        CHECK(verify_signature(card.sign_cert, SignatureScheme::Ecdsa, form.hash, digest, signature));
    }
    CHECK(card.script->resets == 0);  // PIN2 is good for one signature
}

TEST_CASE("FinEID v4: a wrong PIN2 stops before MSE SET, a blocked one has no PUK to name", "[idcard][scripted][fineid]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("sopimus"));

    SECTION("63C4: four tries left, nothing more is sent") {
        card.script->expect(kSelectMf, "90 00")
            .expect(kSelectPkcs15, "90 00")
            .expect("00 CB 00 FF 05 A0 03 83 01 82 00", pin_info("82", "05"))
            .expect(kSelectPkcs15, "90 00")
            .expect("00 20 00 82 0C 39 39 39 39 39 39 00 00 00 00 00 00", "63 C4");
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("999999"));
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::WrongPin);
            CHECK(e.tries_left() == 4);
        }
        CHECK(card.script->finished());
    }
    SECTION("DF21 00: blocked, refused before the PIN is asked") {
        card.script->expect(kSelectMf, "90 00")
            .expect(kSelectPkcs15, "90 00")
            .expect("00 CB 00 FF 05 A0 03 83 01 82 00", pin_info("82", "00"));
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("123456"));
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::PinBlocked);
            CHECK(std::string(e.what()).find("no PUK") != std::string::npos);
        }
        CHECK(card.script->finished());
    }
}

TEST_CASE("FinEID v4 PIN1 authentication key: VERIFY 11, MSE SET 54 84 01 01, PSO:HASH, PSO:CDS 60, PIN1 logged out after",
          "[idcard][scripted][fineid]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("AUT");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("challenge"));
    const Bytes signature = card.auth_key.sign(HashAlgorithm::Sha384, digest);
    card.script->expect(kSelectMf, "90 00")
        .expect(kSelectMf, "90 00")
        .expect("00 CB 00 FF 05 A0 03 83 01 11 00", pin_info("11", "05"))
        .expect(kSelectPkcs15, "90 00")
        .expect("00 20 00 11 0C 31 32 33 34 00 00 00 00 00 00 00 00", "90 00")
        .expect("00 22 41 B6 06 80 01 54 84 01 01", "90 00")
        .expect("00 2A 90 A0 32 90 30 " + to_hex(digest), "90 00")
        .expect("00 2A 9E 9A 60", to_hex(signature) + " 90 00")
        .expect(kSelectMf, "90 00");  // PIN1 stays verified on the card: logged out
    CHECK(key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("1234")) == signature);
    CHECK(card.script->finished());
    CHECK(card.script->resets == 1);
}

TEST_CASE("FinEID v4: PIN tries from DF21 for both PINs, no PUK, so no unblock", "[idcard][scripted][fineid]") {
    Card card;
    card.open();
    card.script->expect(kSelectMf, "90 00")
        .expect("00 CB 00 FF 05 A0 03 83 01 11 00", pin_info("11", "05"))
        .expect(kSelectPkcs15, "90 00")
        .expect("00 CB 00 FF 05 A0 03 83 01 82 00", pin_info("82", "03"));
    const auto pins = card.token->pin_status();
    CHECK(card.script->finished());
    REQUIRE(pins.size() == 2);
    CHECK(pins[0].name == "PIN1");
    CHECK(pins[0].tries_left == 5);
    CHECK(pins[1].name == "PIN2");
    CHECK(pins[1].tries_left == 3);
    try {
        card.token->unblock_pin(PinRole::Puk, Pin("12345678"), Pin("123456"));
        FAIL("unblocked");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NotSupported);
    }
    CHECK(card.script->finished());  // nothing was sent
}

// PC/SC part 10 §2.5.2 for FinEID v4: VERIFY 00 20 00 82, the digits in ASCII left-justified in a 12-byte
// block of 00 ([W] FinEID.cpp pads PIN2 with 00 to 12), 6 to 12 digits; VERIFY before MSE SET as on the host.
TEST_CASE("FinEID v4 PIN2 on the reader's PIN pad: a 12-byte block padded with 00, then MSE SET, PSO:HASH, PSO:CDS",
          "[idcard][scripted][fineid][pinpad]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");
    qscd::test::ScriptedPinPad pad;
    card.script->pad = &pad;
    pad.answer(0x9000);
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("sopimus"));
    const Bytes signature = card.sign_key.sign(HashAlgorithm::Sha384, digest);
    card.script->expect(kSelectMf, "90 00")
        .expect(kSelectPkcs15, "90 00")
        .expect("00 CB 00 FF 05 A0 03 83 01 82 00", pin_info("82", "05"))
        .expect(kSelectPkcs15, "90 00")
        .expect("00 22 41 B6 06 80 01 54 84 01 02", "90 00")
        .expect("00 2A 90 A0 32 90 30 " + to_hex(digest), "90 00")
        .expect("00 2A 9E 9A 60", to_hex(signature) + " 90 00");
    ReaderPinPad keypad;
    CHECK(key->sign_hash(HashAlgorithm::Sha384, digest, keypad, "sign sopimus.pdf (SHA-384 0011)") == signature);
    CHECK(card.script->finished());
    REQUIRE(pad.structures.size() == 1);
    CHECK(to_hex(pad.structures[0]) ==
          to_hex(hex("00 00 82 0C 00 0C 06 02 01 09 04 00 00 00 00 11 00 00 00 00 20 00 82 0C 00 00 00 00 00 00 00 00 00 00 00 00")));
    CHECK(pad.display == std::vector<std::string>{"sign sopimus.pdf|SHA-384 0011"});
}
