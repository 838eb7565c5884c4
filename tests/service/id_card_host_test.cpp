// Our ID-card host driver against the simulated Estonian ID card in-process (qscd sim create --card
// estonian-id, opened through the token directory like `qscd --token`): the card's ATR and SELECT choose the
// driver; SigningService signs with the signature key (PIN2) without a signature counter and refuses the
// authentication key unless asked for; a wrong PIN2 three times blocks it, the PUK unblocks it; PIN1 and
// PIN2 change.
#include <catch2/catch.hpp>

#include <functional>
#include <sstream>

#include "qscd/audit.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing_service.hpp"
#include "qscd/simulated_token.hpp"
#include "qscd/token_discovery.hpp"
#include "signing_test_support.hpp"

using namespace qscd;
using qscd::test::TempDir;

namespace {

std::unique_ptr<PinEntry> fixed(std::string pin) {
    return std::make_unique<HostPinPrompt>([pin](const PinRequest&) { return Pin(pin); });
}

ErrorCode code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error");
    return ErrorCode::CardError;
}

int tries(Token& token, const std::string& name) {
    for (const PinStatus& p : token.pin_status())
        if (p.name == name) return p.tries_left;
    FAIL("no PIN " + name);
    return -1;
}

struct EstonianCard {
    TempDir dir;
    std::unique_ptr<Token> token;
    EstonianCard() {
        SimulatedTokenOptions options;
        options.name = "est";
        options.card = "estonian-id";
        options.holder = "Mari Maasikas";
        create_simulated_token(dir.path(), options);
        token = TokenDirectory(dir.path()).open(TokenChoice{.name = "est"});
    }
    SignRequest request(const std::string& text) const {
        SignRequest r;
        auto stream = std::make_shared<std::istringstream>(text);
        streams.push_back(stream);
        r.subject = DocumentStream{stream.get(), "document"};
        r.level = SignatureLevel::Qes;
        return r;
    }
    mutable std::vector<std::shared_ptr<std::istringstream>> streams;
};

}  // namespace

TEST_CASE("the simulated Estonian card opens with the ID-card driver: card type, both keys, three PINs", "[idcard][service]") {
    EstonianCard card;
    const TokenInfo info = card.token->info();
    CHECK(info.card_type == "Estonian ID card (IDEMIA 2018)");
    CHECK(info.test_card);
    CHECK(info.serial.front() == 'T');
    CHECK_FALSE(card.token->signature_counter().has_value());
    const auto keys = card.token->keys();
    REQUIRE(keys.size() == 2);
    CHECK(keys[0]->attributes().id == "SIG");
    CHECK(keys[0]->attributes().usage == KeyUsage::Signature);
    CHECK(keys[1]->attributes().id == "AUT");
    CHECK(keys[1]->attributes().usage == KeyUsage::Authentication);
    CHECK(tries(*card.token, "PIN1") == 3);
    CHECK(tries(*card.token, "PIN2") == 3);
    CHECK(tries(*card.token, "PUK") == 3);
}

TEST_CASE("SigningService signs with SIG (PIN2) on a card without a counter, the audit log verifies", "[idcard][service]") {
    EstonianCard card;
    const auto log = card.dir.path() / "audit.log";
    JsonLinesAuditLog audit(log);
    auto pin = fixed("12345");
    SigningService service(*card.token, audit, *pin);
    const SignRequest r = card.request("a contract");
    const SignOutcome done = service.sign(r);
    CHECK_FALSE(done.counter.has_value());
    CHECK(done.hash == HashAlgorithm::Sha384);  // the P-384 key's natural hash
    const VerificationReport report = verify_cades_detached(done.signature, [&](HashAlgorithm h) {
        return h == done.hash ? done.digest : Bytes{};
    }, {});
    REQUIRE(report.signers.size() == 1);
    CHECK(report.signers[0].signature.ok);
    const AuditCheck checked = verify_audit_log(log);
    CHECK(checked.problems.empty());
    CHECK(checked.unfinished.empty());
    CHECK(checked.entries == 2);
}

TEST_CASE("the authentication key is refused for documents unless asked for explicitly", "[idcard][service]") {
    EstonianCard card;
    JsonLinesAuditLog audit(card.dir.path() / "audit.log");
    auto pin = fixed("1234");
    SigningService refusing(*card.token, audit, *pin, "AUT");
    SignRequest r = card.request("a contract");
    r.level = SignatureLevel::Basic;
    CHECK(code_of([&] { (void)refusing.sign(r); }) == ErrorCode::PolicyViolation);
    CHECK(tries(*card.token, "PIN1") == 3);  // the card was not asked

    SigningService asked(*card.token, audit, *pin, "AUT", true);
    r = card.request("a login challenge");
    r.level = SignatureLevel::Basic;
    r.format = SignatureFormat::Raw;
    const SignOutcome done = asked.sign(r);
    CHECK(verify_signature(card.token->key("AUT")->attributes().certificate, SignatureScheme::Ecdsa, done.hash, done.digest,
                           ecdsa_der_to_raw(done.signature, 48)));
}

TEST_CASE("a wrong PIN2 three times blocks it, the PUK unblocks it, PIN1 and PIN2 change", "[idcard][service]") {
    EstonianCard card;
    auto key = card.token->key("SIG");
    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("x"));
    for (int left : {2, 1}) {
        try {
            (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("99999"));
            FAIL("signed");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::WrongPin);
            CHECK(e.tries_left() == left);
        }
    }
    CHECK(code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("99999")); }) == ErrorCode::PinBlocked);
    CHECK(tries(*card.token, "PIN2") == 0);
    CHECK(tries(*card.token, "PIN1") == 3);
    CHECK(code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("12345")); }) == ErrorCode::PinBlocked);

    CHECK(code_of([&] { card.token->reset_pin(PinRole::SignaturePin, PinRole::Puk, Pin("00000000"), Pin("54321")); }) == ErrorCode::WrongPin);
    CHECK(tries(*card.token, "PUK") == 2);
    card.token->reset_pin(PinRole::SignaturePin, PinRole::Puk, Pin("17258403"), Pin("54321"));
    CHECK(tries(*card.token, "PIN2") == 3);
    const Bytes signature = key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("54321"));
    CHECK(verify_signature(key->attributes().public_key, SignatureScheme::Ecdsa, HashAlgorithm::Sha384, digest, signature));

    card.token->change_pin(PinRole::SignaturePin, Pin("54321"), Pin("11223"));
    card.token->change_pin(PinRole::AuthenticationPin, Pin("1234"), Pin("4321"));
    CHECK(code_of([&] { card.token->change_pin(PinRole::AuthenticationPin, Pin("1234"), Pin("5678")); }) == ErrorCode::WrongPin);
    CHECK(code_of([&] { card.token->change_pin(PinRole::Admin, Pin("1234"), Pin("5678")); }) == ErrorCode::NotSupported);
    (void)key->sign_hash(HashAlgorithm::Sha384, digest, *fixed("11223"));
    (void)card.token->key("AUT")->sign_hash(HashAlgorithm::Sha384, digest, *fixed("4321"));
    // PIN1 too is unblocked by the PUK.
    card.token->reset_pin(PinRole::AuthenticationPin, PinRole::Puk, Pin("17258403"), Pin("2468"));
    (void)card.token->key("AUT")->sign_hash(HashAlgorithm::Sha384, digest, *fixed("2468"));
}
