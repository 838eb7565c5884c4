// The ID-card host driver against scripted exchanges in the Latvian eID card's (IDEMIA v2, RSA-2048) command
// formats as web-eid's libelectronic-id sends them (facts only, no code): EIDIDEMIA.cpp, the IDEMIA base class
// LatEIDIDEMIAv2 uses [W]: SELECT ADF2, MSE SET 00 22 41 B6 06 80 01 42 84 01 9F (LatEIDIDEMIAv2.cpp 2022),
// VERIFY 00 20 00 85 with the PIN padded with FF to 12, PSO:CDS 00 2A 9E 9A with the bare SHA-256 hash (the
// card adds the DigestInfo) and Le 00; SELECT ADF1, MSE SET 00 22 41 A4 06 80 01 02 84 01 81, VERIFY 01,
// INTERNAL AUTHENTICATE with the DigestInfo (51 bytes); tries from the IDEMIA GET DATA. The card is not
// simulated (RSA keys in the ID-card applet are not built yet): this is the only test of the RSA path of the
// driver. Certificates are read here as from the Estonian card (unconfirmed for the Latvian one: [R] says the
// card names them in PKCS#15 files).
#include <catch2/catch.hpp>

#include "hex.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing/test_ca.hpp"
#include "qscd/token_source.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using qscd::test::hex;

namespace {

constexpr const char* kAtr = "3B DB 96 00 80 B1 FE 45 1F 83 00 12 42 8F 53 65 49 44 0F 90 00 20";  // [R]
constexpr const char* kSelectMain = "00 A4 04 0C 10 A0 00 00 00 77 01 08 00 07 00 00 FE 00 00 01 00";
constexpr const char* kSelectAdf1 = "00 A4 04 0C 0D E8 28 BD 08 0F F2 50 4F 54 20 41 57 50";
constexpr const char* kSelectAdf2 = "00 A4 04 0C 10 51 53 43 44 20 41 70 70 6C 69 63 61 74 69 6F 6E";
std::string pin_info(const char* n, const char* left) {
    return std::string("70 1E BF 81 ") + n + " 1A A0 18 9A 01 03 9B 01 " + left +
           " A1 10 8C 06 F3 00 00 73 43 00 9C 06 F3 00 00 73 43 00 90 00";
}

class LatvianCardScript : public qscd::test::ScriptedTransport {
public:
    Bytes atr() const override { return hex(kAtr); }
    void reset_card_on_close() noexcept override { ++resets; }
    int resets = 0;
};

struct Card {
    SoftwareKey sign_key = SoftwareKey::generate(KeyType::Rsa2048);
    SoftwareKey auth_key = SoftwareKey::generate(KeyType::Rsa2048);
    Bytes sign_cert, auth_cert;
    LatvianCardScript* script = nullptr;
    std::unique_ptr<Token> token;

    Card() {
        const TestPki pki = create_test_pki();
        CertificateProfile qualified = profile_for(CertificateKind::NaturalPersonQualified, "Janis", "Berzins", "TEST1");
        qualified.non_repudiation = true;
        qualified.digital_signature = false;
        sign_cert = issue_certificate(pki.issuing, sign_key.spki(), qualified);
        auth_cert = issue_certificate(pki.issuing, auth_key.spki(),
                                      profile_for(CertificateKind::NaturalPersonNonQualified, "Janis", "Berzins", "TEST1"));
        auto transport = std::make_unique<LatvianCardScript>();
        script = transport.get();
        script->expect(kSelectMain, "90 00").expect(kSelectMain, "90 00");
        token = open_card(std::move(transport), "scripted");
        REQUIRE(script->finished());
        expect_certificate("AD F2 34 1F", sign_cert);
        expect_certificate("AD F1 34 01", auth_cert);
    }
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
};

std::unique_ptr<PinEntry> fixed(const char* pin) {
    return std::make_unique<HostPinPrompt>([pin](const PinRequest&) { return Pin(pin); });
}

}  // namespace

TEST_CASE("Latvian eID: RSA-2048 keys, PIN2 signature with MSE SET 42 and the bare SHA-256 hash in PSO:CDS", "[idcard][scripted][latvian]") {
    Card card;
    auto keys = card.token->keys();
    REQUIRE(card.script->finished());
    REQUIRE(keys.size() == 2);
    CHECK(keys[0]->attributes().type == KeyType::Rsa2048);
    CHECK(keys[0]->attributes().scheme == SignatureScheme::RsaPkcs1v15);
    auto key = card.token->key("SIG");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("ligums"));
    const Bytes signature = card.sign_key.sign(HashAlgorithm::Sha256, digest);
    card.script->expect(kSelectMain, "90 00")
        .expect(kSelectAdf2, "90 00")
        .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00", pin_info("05", "03"))
        .expect(kSelectAdf2, "90 00")
        .expect("00 22 41 B6 06 80 01 42 84 01 9F", "90 00")
        .expect("00 20 00 85 0C 31 32 33 34 35 36 FF FF FF FF FF FF", "90 00")
        .expect("00 2A 9E 9A 20 " + to_hex(digest) + " 00", to_hex(signature) + " 90 00");
    CHECK(key->sign_hash(HashAlgorithm::Sha256, digest, *fixed("123456")) == signature);
    CHECK(card.script->finished());
    CHECK(verify_signature(card.sign_cert, SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256, digest, signature));
    // RS256 only: another hash is refused before anything is sent.
    try {
        (void)key->sign_hash(HashAlgorithm::Sha384, hash_bytes(HashAlgorithm::Sha384, as_bytes("ligums")), *fixed("123456"));
        FAIL("signed");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NotSupported);
    }
    CHECK(card.script->finished());
}

TEST_CASE("Latvian eID: PIN1 authentication with MSE SET A4 80 01 02 and INTERNAL AUTHENTICATE of the DigestInfo", "[idcard][scripted][latvian]") {
    Card card;
    (void)card.token->keys();
    auto key = card.token->key("AUT");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("challenge"));
    const Bytes signature = card.auth_key.sign(HashAlgorithm::Sha256, digest);
    card.script->expect(kSelectMain, "90 00")
        .expect(kSelectMain, "90 00")
        .expect("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80 00", pin_info("01", "03"))
        .expect(kSelectAdf1, "90 00")
        .expect("00 22 41 A4 06 80 01 02 84 01 81", "90 00")
        .expect("00 20 00 01 0C 31 32 33 34 FF FF FF FF FF FF FF FF", "90 00")
        .expect("00 88 00 00 33 30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20 " + to_hex(digest) + " 00",
                to_hex(signature) + " 90 00")
        .expect(kSelectMain, "90 00");
    CHECK(key->sign_hash(HashAlgorithm::Sha256, digest, *fixed("1234")) == signature);
    CHECK(card.script->finished());
}
