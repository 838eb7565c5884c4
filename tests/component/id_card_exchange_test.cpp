// The ID-card host driver against scripted exchanges in the Estonian ID card's (IDEMIA 2018) PUBLISHED
// command formats, not against our simulator: every command must be byte for byte what the real card is
// sent by its established middleware, and the answers are the card's answers as those sources show them.
// Sources (facts only, no code): OpenSC src/libopensc/card-esteid2018.c [O] (ATR, MSE SET with 84 01 9F,
// 48-byte PSO:CDS input left-padded with zeros, GET DATA 4D 08 70 06 BF 81 <ref&0F> 02 A0 80 and its
// 32-byte answer quoted there, VERIFY PUK then RESET RETRY COUNTER for unblock, SELECT of the main AID
// as the logout); web-eid libelectronic-id src/electronic-ids/pcsc/EIDIDEMIA.cpp, pcsc-common.hpp and
// libpcsc-cpp's CommandApdu::select [W] (SELECT 00 A4 04 0C by AID and 00 A4 09 0C by path from the main
// application, READ BINARY of 4 bytes then blocks of B5, MSE SET 00 22 41 B6 06 80 01 54 84 01 9F,
// VERIFY 00 20 00 85 with the PIN padded with FF to 12 bytes, PSO:CDS and INTERNAL AUTHENTICATE with Le 00,
// tries at byte 13 and the maximum at byte 10 of the GET DATA answer).
#include <catch2/catch.hpp>

#include <chrono>

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

constexpr const char* kAtr = "3B DB 96 00 80 B1 FE 45 1F 83 00 12 23 3F 53 65 49 44 0F 90 00 F1";  // [O] esteid_atrs
constexpr const char* kSelectMain = "00 A4 04 0C 10 A0 00 00 00 77 01 08 00 07 00 00 FE 00 00 01 00";  // [W] MAIN_AID
constexpr const char* kSelectAdf1 = "00 A4 04 0C 0D E8 28 BD 08 0F F2 50 4F 54 20 41 57 50";              // [W] ADF1_AID
constexpr const char* kSelectAdf2 = "00 A4 04 0C 10 51 53 43 44 20 41 70 70 6C 69 63 61 74 69 6F 6E";     // [W] ADF2_AID
// [O] the card's answer to the IDEMIA GET DATA (lapo.it link in card-esteid2018.c), for PIN number `n`
// with `left` tries: 9A 01 03 = 3 tries at most, 9B 01 <left>.
std::string pin_info(const char* n, const char* left) {
    return std::string("70 1E BF 81 ") + n + " 1A A0 18 9A 01 03 9B 01 " + left +
           " A1 10 8C 06 F3 00 00 73 43 00 9C 06 F3 00 00 73 43 00 90 00";
}

// An Estonian card on a script: the ATR of the 2018 card; counts the resets asked for at disconnect.
class EstonianCardScript : public qscd::test::ScriptedTransport {
public:
    Bytes atr() const override { return hex(kAtr); }
    void reset_card_on_close() noexcept override { ++resets; }
    PinPad* pin_pad() override { return pad; }
    std::uint64_t held_generation() const override { return generation; }
    int resets = 0;
    qscd::test::ScriptedPinPad* pad = nullptr;  // a reader without a PIN pad unless a test gives it one
    std::uint64_t generation = 0;               // 0: shared access, nothing kept between signatures
};

struct Card {
    SoftwareKey sign_key = SoftwareKey::generate(KeyType::EcP384);
    SoftwareKey auth_key = SoftwareKey::generate(KeyType::EcP384);
    Bytes sign_cert, auth_cert;
    EstonianCardScript* script = nullptr;
    std::unique_ptr<Token> token;

    Card() {
        const TestPki pki = create_test_pki();
        CertificateProfile qualified = profile_for(CertificateKind::NaturalPersonQualified, "Mari", "Maasikas", "TEST1");
        qualified.non_repudiation = true;
        qualified.digital_signature = false;
        sign_cert = issue_certificate(pki.issuing, sign_key.spki(), qualified);
        CertificateProfile authentication = profile_for(CertificateKind::NaturalPersonNonQualified, "Mari", "Maasikas", "TEST1");
        auth_cert = issue_certificate(pki.issuing, auth_key.spki(), authentication);
    }

    // open_card: the ATR names the profile, SELECT of the main AID confirms it; the driver selects it again.
    void open() {
        auto transport = std::make_unique<EstonianCardScript>();
        script = transport.get();
        script->expect(kSelectMain, "90 00").expect(kSelectMain, "90 00");
        token = open_card(std::move(transport), "scripted");
        REQUIRE(script->finished());
    }

    // [W] getCertificateImpl: SELECT main, SELECT 00 A4 09 0C <path>, READ BINARY 4 bytes for the length,
    // then the whole file in blocks of at most B5 bytes.
    void expect_certificate(const char* path, const Bytes& der) {
        script->expect(kSelectMain, "90 00").expect(std::string("00 A4 09 0C 04 ") + path, "90 00");
        script->expect("00 B0 00 00 04", to_hex(ByteView(der).first(4)) + " 90 00");
        for (std::size_t offset = 0; offset < der.size(); offset += 0xB5) {
            const std::size_t n = std::min<std::size_t>(0xB5, der.size() - offset);
            const Bytes command{0x00, 0xB0, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset),
                                static_cast<std::uint8_t>(n)};
            script->expect(to_hex(command), to_hex(ByteView(der).subspan(offset, n)) + " 90 00");
        }
    }
    void expect_keys() {
        expect_certificate("AD F2 34 1F", sign_cert);
        expect_certificate("AD F1 34 01", auth_cert);
    }
};

std::unique_ptr<PinEntry> fixed(const char* pin) {
    return std::make_unique<HostPinPrompt>([pin](const PinRequest&) { return Pin(pin); });
}

Bytes padded_to_48(ByteView digest) {
    Bytes input(48 - digest.size(), 0x00);
    input.insert(input.end(), digest.begin(), digest.end());
    return input;
}

}  // namespace

TEST_CASE("ATR and SELECT choose the ID-card driver, the certificates are read the card's way", "[idcard][scripted]") {
    Card card;
    card.open();
    card.expect_keys();
    auto keys = card.token->keys();
    REQUIRE(card.script->finished());
    REQUIRE(keys.size() == 2);
    CHECK(keys[0]->attributes().id == "SIG");
    CHECK(keys[0]->attributes().usage == KeyUsage::Signature);
    CHECK(keys[0]->attributes().type == KeyType::EcP384);
    CHECK(keys[0]->attributes().key_reference == 0x9F);
    CHECK(keys[0]->attributes().public_key == card.sign_key.spki());
    CHECK(keys[1]->attributes().id == "AUT");
    CHECK(keys[1]->attributes().usage == KeyUsage::Authentication);
    CHECK(keys[1]->attributes().key_reference == 0x81);
    CHECK(keys[1]->attributes().certificate == card.auth_cert);
}

TEST_CASE("a card with another ATR is not taken for an ID card", "[idcard][scripted]") {
    auto transport = std::make_unique<qscd::test::ScriptedTransport>();  // ATR 3B 80 80 01 01
    // Straight to the OpenPGP driver's SELECT: an ID-card command first would be a logic_error of the script.
    transport->expect("00 A4 04 00 06 D2 76 00 01 24 01 00", "6A 82");
    try {
        (void)open_card(std::move(transport), "");  // the transport dies with the failed driver
        FAIL("opened");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NotSupported);
    }
}

TEST_CASE("PIN2 signature: SELECT, GET DATA tries, MSE SET, VERIFY padded with FF to 12, PSO:CDS with 48 bytes", "[idcard][scripted]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");

    SECTION("a SHA-384 hash goes as it is") {
        const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
        const Bytes signature = card.sign_key.sign(HashAlgorithm::Sha384, digest);
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "03"))
            .expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF", "90 00")
            .expect("00 2A 9E 9A 30 " + to_hex(digest) + " 00", to_hex(signature) + " 90 00");
        std::optional<int> tries;
        HostPinPrompt pin([&](const PinRequest& r) {
            tries = r.tries_left;
            CHECK(r.pin_name == "PIN2 (signature)");
            CHECK(r.min_length == 5);
            CHECK(r.max_length == 12);
            return Pin("12345");
        });
        const CountedSignature made = key->sign_hash_counted(HashAlgorithm::Sha384, digest, pin);
        CHECK(card.script->finished());
        CHECK(made.signature == signature);
        CHECK_FALSE(made.counter.has_value());  // the card has no signature counter
        CHECK(tries == 3);
        CHECK(card.script->resets == 0);  // PIN2 is good for one signature: nothing left to log out
    }

    SECTION("a SHA-256 hash is left-padded with zeros to 48 bytes") {
        const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("contract"));
        const Bytes signature = card.sign_key.sign(HashAlgorithm::Sha256, digest);
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "03"))
            .expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF", "90 00")
            .expect("00 2A 9E 9A 30 " + to_hex(padded_to_48(digest)) + " 00", to_hex(signature) + " 90 00");
        CHECK(key->sign_hash(HashAlgorithm::Sha256, digest, *fixed("12345")) == signature);
        CHECK(card.script->finished());
        CHECK(verify_signature(card.sign_cert, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest, signature));
    }

    SECTION("a wrong PIN2: 63C2 is 2 tries left, nothing more is sent") {
        const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "03"))
            .expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 39 39 39 39 39 FF FF FF FF FF FF FF", "63 C2");
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("99999"));
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::WrongPin);
            CHECK(e.tries_left() == 2);
        }
        CHECK(card.script->finished());
    }

    SECTION("a blocked PIN2 (GET DATA: 0 tries) is refused before the PIN is asked") {
        const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "00"));
        bool asked = false;
        HostPinPrompt pin([&](const PinRequest&) {
            asked = true;
            return Pin("12345");
        });
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, pin);
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::PinBlocked);
        }
        CHECK_FALSE(asked);
        CHECK(card.script->finished());
    }

    SECTION("a PIN2 of 4 digits is refused before anything is sent (the card takes 5 to 12)") {
        const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "03"))
            .expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00");
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("1234"));
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InvalidPin);
        }
        CHECK(card.script->finished());  // no VERIFY went out
    }
}

TEST_CASE("PIN1 authentication key: MSE SET A4, VERIFY 01, INTERNAL AUTHENTICATE, PIN1 logged out after", "[idcard][scripted]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("AUT");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("challenge"));
    const Bytes signature = card.auth_key.sign(HashAlgorithm::Sha384, digest);
    card.script->expect(kSelectMain, "90 00")
        .expect(kSelectMain, "90 00")  // PIN1 lives in the main application
        .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80 00", pin_info("01", "03"))
        .expect(kSelectAdf1, "90 00")
        .expect("00 22 41 A4 06 80 01 04 84 01 81", "90 00")
        .expect("00 20 00 01 0C 31 32 33 34 FF FF FF FF FF FF FF FF", "90 00")
        .expect("00 88 00 00 30 " + to_hex(digest) + " 00", to_hex(signature) + " 90 00")
        .expect(kSelectMain, "90 00");  // [O] esteid_logout: SELECT of the main AID
    CHECK(key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("1234")) == signature);
    CHECK(card.script->finished());
    CHECK(card.script->resets == 1);  // PIN1 stays verified on the card: reset at disconnect too
}

TEST_CASE("PIN tries the IDEMIA way: PIN1 and PUK in the main application, PIN2 in ADF2", "[idcard][scripted]") {
    Card card;
    card.open();
    card.script->expect(kSelectMain, "90 00")
        .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80 00", pin_info("01", "03"))
        .expect(kSelectAdf2, "90 00")
        .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "01"))
        .expect(kSelectMain, "90 00")
        .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 02 02 A0 80 00", pin_info("02", "00"));
    const auto pins = card.token->pin_status();
    CHECK(card.script->finished());
    REQUIRE(pins.size() == 3);
    CHECK(pins[0].name == "PIN1");
    CHECK(pins[0].role == PinRole::AuthenticationPin);
    CHECK(pins[0].tries_left == 3);
    CHECK(pins[1].name == "PIN2");
    CHECK(pins[1].role == PinRole::SignaturePin);
    CHECK(pins[1].tries_left == 1);
    CHECK(pins[2].name == "PUK");
    CHECK(pins[2].role == PinRole::Puk);
    CHECK(pins[2].tries_left == 0);
}

TEST_CASE("PIN2 unblock: VERIFY PUK, SELECT ADF2, RESET RETRY COUNTER 2C 02 85 with the new PIN2 padded", "[idcard][scripted]") {
    Card card;
    card.open();
    card.script->expect(kSelectMain, "90 00")
        .expect(kSelectMain, "90 00")
        .expect("00 20 00 02 0C 31 37 32 35 38 34 30 33 FF FF FF FF", "90 00")
        .expect(kSelectAdf2, "90 00")
        .expect("00 2C 02 85 0C 35 34 33 32 31 FF FF FF FF FF FF FF", "90 00")
        .expect(kSelectMain, "90 00");  // the PUK is logged out
    card.token->reset_pin(PinRole::SignaturePin, PinRole::Puk, Pin("17258403"), Pin("54321"));
    CHECK(card.script->finished());
    CHECK(card.script->resets == 1);
}

TEST_CASE("PIN1 change: CHANGE REFERENCE DATA 00 24 00 01 with both PINs padded to 12", "[idcard][scripted]") {
    Card card;
    card.open();
    card.script->expect(kSelectMain, "90 00")
        .expect("00 24 00 01 18 31 32 33 34 FF FF FF FF FF FF FF FF 34 33 32 31 30 FF FF FF FF FF FF FF", "90 00")
        .expect(kSelectMain, "90 00");
    card.token->change_pin(PinRole::AuthenticationPin, Pin("1234"), Pin("43210"));
    CHECK(card.script->finished());
}

TEST_CASE("the document number (EF D003, tag 04) is the serial, the profile names the card", "[idcard][scripted]") {
    Card card;
    card.open();
    card.script->expect(kSelectMain, "90 00")
        .expect("00 A4 09 0C 02 D0 03", "90 00")
        .expect("00 B0 00 00 00", "04 09 41 42 31 32 33 34 35 36 37 90 00");
    const TokenInfo info = card.token->info();
    CHECK(card.script->finished());
    CHECK(info.serial == "AB1234567");
    CHECK(info.card_type == "Estonian ID card (IDEMIA 2018)");
    CHECK_FALSE(info.test_card);
}

TEST_CASE("an ID card's malformed or failing answers are errors, and a PIN left verified is logged out", "[idcard][scripted]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
    auto up_to_verify = [&](const std::string& tries_answer) {
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", tries_answer);
    };
    auto code = [&] {
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("12345"));
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::CardError;
    };

    SECTION("a GET DATA answer too short to hold the tries") {
        up_to_verify("70 1E BF 81 05 1A A0 18 9A 01 03 90 00");
        CHECK(code() == ErrorCode::ProtocolError);
    }
    SECTION("a signature of the wrong length after VERIFY: discarded, PIN2 logged out, reset at disconnect") {
        up_to_verify(pin_info("05", "03"));
        card.script->expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF", "90 00")
            .expect("00 2A 9E 9A 30 " + to_hex(digest) + " 00", to_hex(Bytes(64, 0x11)) + " 90 00")
            .expect(kSelectMain, "90 00");
        CHECK(code() == ErrorCode::ProtocolError);
        CHECK(card.script->resets == 1);
    }
    SECTION("PSO:CDS refused (6982) after VERIFY: PIN2 logged out") {
        up_to_verify(pin_info("05", "03"));
        card.script->expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF", "90 00")
            .expect("00 2A 9E 9A 30 " + to_hex(digest) + " 00", "69 82")
            .expect(kSelectMain, "90 00");
        CHECK(code() == ErrorCode::PinRequired);
        CHECK(card.script->resets == 1);
    }
    SECTION("MSE SET refused: nothing verified, nothing to log out") {
        up_to_verify(pin_info("05", "03"));
        card.script->expect(kSelectAdf2, "90 00").expect("00 22 41 B6 06 80 01 54 84 01 9F", "6A 80");
        CHECK(code() == ErrorCode::CardError);
        CHECK(card.script->resets == 0);
    }
    SECTION("VERIFY answers 6983: blocked") {
        up_to_verify(pin_info("05", "01"));
        card.script->expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF", "69 83");
        CHECK(code() == ErrorCode::PinBlocked);
        CHECK(card.script->resets == 0);
    }
    CHECK(card.script->finished());
}

TEST_CASE("a certificate file that does not hold DER is a protocol error", "[idcard][scripted]") {
    Card card;
    card.open();
    card.script->expect(kSelectMain, "90 00").expect("00 A4 09 0C 04 AD F2 34 1F", "90 00").expect("00 B0 00 00 04", "FF FF FF FF 90 00");
    try {
        (void)card.token->keys();
        FAIL("read");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ProtocolError);
    }
    CHECK(card.script->finished());
}

// PC/SC part 10 §2.5.2 on a PIN-pad reader: the reader builds VERIFY 00 20 00 85 from the structure, the
// PIN2 digits in ASCII left-justified in a 12-byte block of FF ([W] EIDIDEMIA: VERIFY padded with FF to 12;
// [O] card-esteid2018.c sets the same pad and length for its pin-pad path), 5 to 12 digits.
TEST_CASE("PIN2 on the reader's PIN pad: the PIN_VERIFY structure of the IDEMIA card, the display first", "[idcard][scripted][pinpad]") {
    constexpr const char* kPin2Structure =
        "00 00 82 0C 00 0C 05 02 01 09 04 00 00 00 00 11 00 00 00 00 20 00 85 0C FF FF FF FF FF FF FF FF FF FF FF FF";
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");
    qscd::test::ScriptedPinPad pad;
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
    const std::string purpose = "sign /tmp/contract.pdf (SHA-384 " + to_hex(ByteView(digest).first(4), "") + ")";
    auto expect_until_verify = [&] {
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "03"))
            .expect(kSelectAdf2, "90 00")
            .expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00");
    };
    ReaderPinPad keypad;

    SECTION("typed right: the structure byte for byte, the document on the display before, then PSO:CDS") {
        card.script->pad = &pad;
        pad.answer(0x9000);
        const Bytes signature = card.sign_key.sign(HashAlgorithm::Sha384, digest);
        expect_until_verify();
        card.script->expect("00 2A 9E 9A 30 " + to_hex(digest) + " 00", to_hex(signature) + " 90 00");
        CHECK(key->sign_hash(HashAlgorithm::Sha384, digest, keypad, purpose) == signature);
        CHECK(card.script->finished());
        REQUIRE(pad.structures.size() == 1);
        CHECK(to_hex(pad.structures[0]) == to_hex(hex(kPin2Structure)));
        REQUIRE(pad.display.size() == 1);
        // Each line cut to the display's 16 columns.
        CHECK(pad.display[0] == "sign contract.pd|SHA-384 " + to_hex(ByteView(digest).first(4), ""));
        CHECK(card.script->resets == 0);
    }

    SECTION("a wrong PIN2 typed: the card's 63C2 is WrongPin with 2 tries, no signature asked") {
        card.script->pad = &pad;
        pad.answer(0x63C2);
        expect_until_verify();
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, keypad, purpose);
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::WrongPin);
            CHECK(e.tries_left() == 2);
        }
        CHECK(card.script->finished());
    }

    SECTION("keypad cancel and timeout: Cancelled, nothing verified, so nothing to log out") {
        card.script->pad = &pad;
        for (const std::uint16_t sw : {0x6401, 0x6400}) {
            pad.answer(sw);
            expect_until_verify();
            try {
                (void)key->sign_hash(HashAlgorithm::Sha384, digest, keypad, purpose);
                FAIL("signed");
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::Cancelled);
                CHECK(e.sw() == StatusWord(sw));
            }
            CHECK(card.script->finished());  // no SELECT of the main application as a logout
        }
        CHECK(card.script->resets == 0);
    }

    SECTION("a reader without a PIN pad: NotSupported, no VERIFY sent") {
        expect_until_verify();
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, keypad, purpose);
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::NotSupported);
            CHECK(std::string(e.what()).find("has no PIN pad") != std::string::npos);
        }
        CHECK(card.script->finished());
    }
}

// Issue 15 item 2: while the transport promises that nobody else touched the card (held_generation),
// a signature is MSE SET, VERIFY, PSO:CDS: the application is still selected and PIN2's tries are known
// (the last good VERIFY reset them to 3). A new generation (a reset, a removal, a reconnect) or shared
// access reads everything again.
TEST_CASE("a held card: 3 APDUs per PIN2 signature, a reset or shared access selects and reads again", "[idcard][scripted][held]") {
    Card card;
    card.open();
    card.expect_keys();
    auto key = card.token->key("SIG");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("contract"));
    const Bytes signature = card.sign_key.sign(HashAlgorithm::Sha384, digest);
    auto expect_fresh = [&](const char* tries) {
        card.script->expect(kSelectMain, "90 00")
            .expect(kSelectAdf2, "90 00")
            .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", tries))
            .expect(kSelectAdf2, "90 00");
    };
    auto expect_signature = [&](const char* verify_answer) {
        card.script->expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect(std::string("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF"), verify_answer);
        if (std::string(verify_answer) == "90 00") card.script->expect("00 2A 9E 9A 30 " + to_hex(digest) + " 00", to_hex(signature) + " 90 00");
    };
    std::vector<std::optional<int>> tries_shown;
    HostPinPrompt pin([&](const PinRequest& r) {
        tries_shown.push_back(r.tries_left);
        return Pin("12345");
    });
    auto sent_for_one = [&] {
        const int before = card.script->sent();
        CHECK(key->sign_hash(HashAlgorithm::Sha384, digest, pin) == signature);
        return card.script->sent() - before;
    };

    card.script->generation = 7;
    expect_fresh("02");  // one try lost earlier: read from the card
    expect_signature("90 00");
    CHECK(sent_for_one() == 7);
    expect_signature("90 00");  // nothing selected or read again
    CHECK(sent_for_one() == 3);
    expect_signature("90 00");
    CHECK(sent_for_one() == 3);
    CHECK(tries_shown == std::vector<std::optional<int>>{2, 3, 3});
    CHECK(card.script->finished());

    SECTION("a wrong PIN2 on a held card: the card's count is kept, the next signature selects again") {
        card.script->expect("00 22 41 B6 06 80 01 54 84 01 9F", "90 00")
            .expect("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF", "63 C2");
        CHECK_THROWS_AS(key->sign_hash(HashAlgorithm::Sha384, digest, pin), Error);
        card.script->expect(kSelectAdf2, "90 00");
        expect_signature("90 00");
        CHECK(sent_for_one() == 4);
        CHECK(tries_shown.back() == 2);
        CHECK(card.script->finished());
    }
    SECTION("a new generation (reset, removal, reconnect): SELECT and GET DATA again") {
        card.script->generation = 8;
        expect_fresh("03");
        expect_signature("90 00");
        CHECK(sent_for_one() == 7);
        CHECK(card.script->finished());
    }
    SECTION("shared access (generation 0): every signature from a fresh state, as before") {
        card.script->generation = 0;
        for (int i = 0; i < 2; ++i) {
            expect_fresh("03");
            expect_signature("90 00");
            CHECK(sent_for_one() == 7);
        }
        CHECK(card.script->finished());
    }
}
