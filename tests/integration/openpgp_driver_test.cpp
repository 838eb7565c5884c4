// The OpenPGP host driver against the in-process simulated card: the same driver code that talks to
// a real card through PC/SC, end to end through APDUs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <vector>
#include <fstream>

#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signature_counter.hpp"
#include "qscd/signing/test_ca.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/in_process_transport.hpp"
#include "qscd/sim/file_storage.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "token_conformance.hpp"

using namespace qscd;
using openpgp::KeySlot;
using openpgp::OpenPgpToken;

namespace {

const char* kUserPin = "123456";
const char* kAdminPin = "12345678";

std::unique_ptr<OpenPgpToken> fresh_token() {
    static const std::array<std::uint8_t, 4> serial{0x00, 0x00, 0x12, 0x34};
    sim::CardOptions options;
    options.pin_iterations = 1000;  // keeps the suite fast; the default is what files get
    auto transport = std::make_unique<sim::InProcessTransport>(std::make_unique<sim::MemoryStorage>(), "memory card",
                                                               options, &serial);
    return std::make_unique<OpenPgpToken>(std::move(transport), "memory");
}

// A prompt that answers `pin` and counts how often it was asked.
struct CountingPrompt {
    std::string pin;
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    std::shared_ptr<std::optional<int>> last_tries = std::make_shared<std::optional<int>>();
    std::shared_ptr<PinRequest> last_request = std::make_shared<PinRequest>();
    // A fresh host prompt sharing the counters; pass it as `*x.prompt()`.
    std::unique_ptr<PinEntry> prompt() const {
        return std::make_unique<HostPinPrompt>([pin = pin, calls = calls, tries = last_tries, request = last_request](const PinRequest& r) {
            ++*calls;
            *tries = r.tries_left;
            *request = r;
            return Pin(pin);
        });
    }
};

using test::error_code_of;

Bytes digest_of(std::string_view text, HashAlgorithm h = HashAlgorithm::Sha256) { return hash_bytes(h, as_bytes(text)); }

}  // namespace

TEST_CASE("a fresh simulated card presents itself as an OpenPGP 3.4 test card", "[driver]") {
    auto token = fresh_token();
    const TokenInfo info = token->info();
    CHECK(info.application == "OpenPGP 3.4");
    CHECK(info.serial == "FFFF00001234");
    CHECK(info.test_card);
    CHECK(info.manufacturer.find("test card") != std::string::npos);
    CHECK(token->keys().empty());
    auto pins = token->pin_status();
    REQUIRE(pins.size() == 3);
    CHECK(pins[0].tries_left == 3);
    CHECK(pins[1].tries_left == 0);  // no resetting code set
    CHECK(pins[2].tries_left == 3);
    CHECK(token->signature_counter() == 0u);
}

TEST_CASE("keys generated on the card sign, and the signatures verify", "[driver][sign]") {
    auto type = GENERATE(KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048);
    auto token = fresh_token();
    const openpgp::PublicKey pub = token->generate_key(Pin(kAdminPin), KeySlot::Signature, type);
    CHECK(key_type_of_spki(pub.spki) == type);

    auto keys = token->keys();
    REQUIRE(keys.size() == 1);
    const KeyAttributes& a = keys[0]->attributes();
    CHECK(a.id == "SIG");
    CHECK(a.type == type);
    CHECK(a.public_key == pub.spki);
    CHECK(a.pin_policy == PinPolicy::PerSignature);
    CHECK(a.certificate.empty());

    const HashAlgorithm hash = default_hash(type);
    const Bytes digest = digest_of("hello world", hash);
    CountingPrompt prompt{kUserPin};
    const Bytes signature = keys[0]->sign_hash(hash, digest, *prompt.prompt());
    CHECK(verify_signature(a.public_key, a.scheme, hash, digest, signature));
    CHECK_FALSE(verify_signature(a.public_key, a.scheme, hash, digest_of("hello world!", hash), signature));
    CHECK(token->signature_counter() == 1u);
    CHECK(*prompt.calls == 1);
    CHECK(*prompt.last_tries == 3);
}

TEST_CASE("every signature asks for the PIN again (sole control)", "[driver][sign][qscd]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    CountingPrompt prompt{kUserPin};
    for (int i = 0; i < 3; ++i) (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("doc"), *prompt.prompt());
    CHECK(*prompt.calls == 3);
    CHECK(token->signature_counter() == 3u);

    // Below the key handle too: after one PSO:CDS the card itself wants a new VERIFY [§6.1].
    auto& card = token->card();
    card.select();
    card.verify(openpgp::Password::Pw1Signing, Pin(kUserPin));
    (void)card.compute_digital_signature(digest_of("one"));
    CHECK(error_code_of([&] { (void)card.compute_digital_signature(digest_of("two")); }) == ErrorCode::PinRequired);
}

TEST_CASE("conformance bodies shared with the PC/SC backend", "[driver][conformance]") {
    auto type = GENERATE(KeyType::EcP256, KeyType::Rsa2048);
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, type);
    test::check_sign_and_verify(*token, kUserPin);
    test::check_wrong_pin_lockout_and_unblock(*token, kUserPin, kAdminPin);
}

TEST_CASE("digest length and usage are checked before the card is asked", "[driver][sign]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    CountingPrompt prompt{kUserPin};
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, Bytes(31, 0), *prompt.prompt()); }) == ErrorCode::InvalidArgument);
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha384, Bytes(32, 0), *prompt.prompt()); }) == ErrorCode::InvalidArgument);
    CHECK(*prompt.calls == 0);
    CHECK(token->signature_counter() == 0u);
}

TEST_CASE("wrong PIN → tries left → blocked → unblock with the Admin PIN", "[driver][pin]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    CountingPrompt wrong{"999999"};
    for (int expected = 2; expected >= 1; --expected) {
        try {
            (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *wrong.prompt());
            FAIL("wrong PIN accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::WrongPin);
            CHECK(e.tries_left() == expected);
            CHECK(std::string(e.what()) == "wrong User PIN, " + std::to_string(expected) + (expected == 1 ? " try" : " tries") + " left");
        }
    }
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *wrong.prompt()); }) == ErrorCode::PinBlocked);
    // Blocked: the right PIN is refused too, and the prompt is not even shown.
    CountingPrompt right{kUserPin};
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *right.prompt()); }) == ErrorCode::PinBlocked);
    CHECK(*right.calls == 0);
    CHECK(token->pin_status()[0].tries_left == 0);
    CHECK(token->signature_counter() == 0u);

    token->unblock_pin(PinRole::Admin, Pin(kAdminPin), Pin("654321"));
    CHECK(token->pin_status()[0].tries_left == 3);
    CountingPrompt fresh{"654321"};
    const Bytes sig = key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *fresh.prompt());
    CHECK(verify_signature(key->attributes().public_key, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest_of("x"), sig));
}

TEST_CASE("unblock with the resetting code", "[driver][pin]") {
    auto token = fresh_token();
    auto& card = token->card();
    card.select();
    card.verify(openpgp::Password::Pw3, Pin(kAdminPin));
    card.put_data(0x00D3, as_bytes("RESET-CODE-1"));
    CHECK(token->pin_status()[1].tries_left == 3);
    for (int i = 0; i < 3; ++i) (void)error_code_of([&] { token->change_pin(PinRole::User, Pin("000000"), Pin("111111")); });
    CHECK(token->pin_status()[0].tries_left == 0);

    CHECK(error_code_of([&] { token->unblock_pin(PinRole::ResetCode, Pin("WRONG-CODE-1"), Pin("222222")); }) == ErrorCode::WrongPin);
    CHECK(token->pin_status()[1].tries_left == 2);
    token->unblock_pin(PinRole::ResetCode, Pin("RESET-CODE-1"), Pin("222222"));
    CHECK(token->pin_status()[0].tries_left == 3);
    token->change_pin(PinRole::User, Pin("222222"), Pin("333333"));
}

TEST_CASE("PIN change: the old PIN stops working, bad lengths are refused", "[driver][pin]") {
    auto token = fresh_token();
    token->change_pin(PinRole::User, Pin(kUserPin), Pin("24680135"));
    CHECK(error_code_of([&] { token->change_pin(PinRole::User, Pin(kUserPin), Pin("13572468")); }) == ErrorCode::WrongPin);
    CHECK(error_code_of([&] { token->change_pin(PinRole::User, Pin("24680135"), Pin("123")); }) == ErrorCode::InvalidPin);
    token->change_pin(PinRole::Admin, Pin(kAdminPin), Pin("admin-pin-2"));
    CHECK(error_code_of([&] { token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256); }) == ErrorCode::WrongPin);
    token->generate_key(Pin("admin-pin-2"), KeySlot::Signature, KeyType::EcP256);
}

TEST_CASE("an ID card's PIN roles mean nothing to an OpenPGP card: refused, no PIN sent", "[driver][pin]") {
    auto token = fresh_token();
    for (PinRole role : {PinRole::AuthenticationPin, PinRole::SignaturePin, PinRole::Puk})
        CHECK(error_code_of([&] { token->change_pin(role, Pin(kUserPin), Pin("24680135")); }) == ErrorCode::NotSupported);
    // A PUK is not taken for the Admin PIN (which a wrong guess would cost a try).
    CHECK(error_code_of([&] { token->unblock_pin(PinRole::Puk, Pin(kAdminPin), Pin("654321")); }) == ErrorCode::InvalidArgument);
    CHECK(error_code_of([&] { token->reset_pin(PinRole::SignaturePin, PinRole::Admin, Pin(kAdminPin), Pin("654321")); }) ==
          ErrorCode::NotSupported);
    const auto pins = token->pin_status();
    CHECK(pins[0].tries_left == 3);
    CHECK(pins[2].tries_left == 3);
    token->reset_pin(PinRole::User, PinRole::Admin, Pin(kAdminPin), Pin("654321"));  // the OpenPGP unblock
    token->change_pin(PinRole::User, Pin("654321"), Pin("123456"));
}

TEST_CASE("a certificate issued for the card key is stored on the card and read back", "[driver][cert]") {
    auto token = fresh_token();
    const auto pub = token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::Rsa2048);
    const TestCa ca = create_test_ca();
    CertificateProfile profile;
    profile.common_name = "Driver Test (TEST)";
    const Bytes cert = issue_certificate(ca, pub.spki, profile);
    REQUIRE(cert.size() > 255);  // needs extended length or chaining
    token->store_certificate(Pin(kAdminPin), KeySlot::Signature, cert);
    CHECK(token->key("SIG")->attributes().certificate == cert);
    CHECK(token->card().read_certificate(KeySlot::Authentication).empty());
}

TEST_CASE("the APDU trace never shows a PIN", "[driver][secrets]") {
    auto token = fresh_token();
    std::string trace;
    token->set_trace([&](std::string_view line) { trace += std::string(line) + "\n"; });
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    CountingPrompt prompt{kUserPin};
    (void)token->key("SIG")->sign_hash(HashAlgorithm::Sha256, digest_of("doc"), *prompt.prompt());
    CHECK(trace.find("00 20 00 81 06 REDACTED") != std::string::npos);
    CHECK(trace.find("00 20 00 83 08 REDACTED") != std::string::npos);
    CHECK(trace.find("31 32 33 34 35 36") == std::string::npos);
    CHECK(trace.find("00 2A 9E 9A") != std::string::npos);
}

TEST_CASE("GET CHALLENGE and factory reset through TERMINATE DF / ACTIVATE FILE", "[driver]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto& card = token->card();
    card.select();
    const Bytes a = card.get_challenge(32), b = card.get_challenge(32);
    CHECK(a.size() == 32);
    CHECK(a != b);

    // GnuPG's factory-reset sequence [§11]: block PW3, terminate, activate.
    for (int i = 0; i < 3; ++i) (void)error_code_of([&] { card.verify(openpgp::Password::Pw3, Pin("wrong-admin")); });
    card.terminate();
    card.activate();
    card.select();
    card.read_application_data();
    CHECK(token->keys().empty());
    CHECK(token->pin_status()[2].tries_left == 3);
    card.verify(openpgp::Password::Pw3, Pin(kAdminPin));
}

TEST_CASE("a corrupted state file gives a clear error and is left untouched", "[driver][state]") {
    const auto dir = std::filesystem::temp_directory_path() / ("qscd-driver-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    sim::SimulatorStore store(dir);
    store.create_token("card");
    const auto path = store.state_path("card");

    auto read_all = [&] {
        std::ifstream in(path, std::ios::binary);
        return Bytes(std::istreambuf_iterator<char>(in), {});
    };
    auto write_all = [&](const Bytes& bytes) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    };
    const Bytes good = read_all();

    SECTION("flipped byte") {  // in the image of every slot of the layout (qscd/sim/file_storage.hpp)
        using qscd::sim::FileStorage;
        Bytes bad = good;
        for (std::size_t slot = 0; slot < static_cast<std::size_t>(FileStorage::kSlots); ++slot)
            bad[FileStorage::kFileHeaderSize + slot * FileStorage::kSlotSize + FileStorage::kSlotHeaderSize + 10] ^= 0x01;
        write_all(bad);
        CHECK(error_code_of([&] { OpenPgpToken t(store.open("card"), "card"); }) == ErrorCode::StateCorrupted);
        CHECK(read_all() == bad);
    }
    SECTION("truncated") {
        Bytes bad(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 3));
        write_all(bad);
        CHECK(error_code_of([&] { OpenPgpToken t(store.open("card"), "card"); }) == ErrorCode::StateCorrupted);
        CHECK(read_all() == bad);
    }
    SECTION("intact file opens") {
        OpenPgpToken t(store.open("card"), "card");
        CHECK(t.info().test_card);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a verified PIN that no signature consumed is logged out", "[driver][sign][qscd]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    // The key disappears behind the handle's back (new algorithm attributes delete it, §5.3):
    // VERIFY succeeds, PSO:CDS then fails with 6A88.
    auto& card = token->card();
    card.select();
    card.verify(openpgp::Password::Pw3, Pin(kAdminPin));
    card.set_algorithm(KeySlot::Signature, KeyType::EcP384);
    CountingPrompt prompt{kUserPin};
    CHECK(error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *prompt.prompt()); }) == ErrorCode::NotFound);
    CHECK(*prompt.calls == 1);
    // Same card session, no SELECT in between: PW1-81 must not be left verified.
    CHECK(card.verification_status(openpgp::Password::Pw1Signing).has_value());
}

TEST_CASE("a signature counter that jumps is reported", "[driver][qscd][counter]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    CountingPrompt prompt{kUserPin};
    const auto before = token->signature_counter();
    (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("one"), *prompt.prompt());
    CHECK_FALSE(unexpected_counter_step(before, token->signature_counter(), 1));
    // Another signature nobody accounted for (as if a second program used the card in between):
    const auto before2 = token->signature_counter();
    (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("two"), *prompt.prompt());
    (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("sneaked in"), *prompt.prompt());
    const auto problem = unexpected_counter_step(before2, token->signature_counter(), 1);
    REQUIRE(problem);
    CHECK(problem->find("went from 1 to 3, expected 2") != std::string::npos);
    CHECK(unexpected_counter_step(std::nullopt, 3u, 1));
}

TEST_CASE("batch signing: one PIN for N signatures only where the card allows it", "[driver][qscd][batch]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    CountingPrompt prompt{kUserPin};
    // Default card: PIN per signature → refused before any PIN is asked.
    CHECK(error_code_of([&] { (void)token->key("SIG")->begin_batch(3, *prompt.prompt()); }) == ErrorCode::PolicyViolation);
    CHECK(*prompt.calls == 0);

    token->set_pin_policy(Pin(kAdminPin), PinPolicy::Session);
    auto key = token->key("SIG");
    REQUIRE(key->attributes().pin_policy == PinPolicy::Session);
    const auto before = token->signature_counter();
    {
        auto batch = key->begin_batch(3, *prompt.prompt());
        for (int i = 0; i < 3; ++i) {
            const Bytes d = digest_of("doc " + std::to_string(i));
            CHECK(verify_signature(key->attributes().public_key, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, d,
                                   batch->sign(HashAlgorithm::Sha256, d)));
        }
        CHECK(error_code_of([&] { (void)batch->sign(HashAlgorithm::Sha256, digest_of("one too many")); }) == ErrorCode::PolicyViolation);
        batch->finish();
    }
    CHECK(*prompt.calls == 1);
    CHECK(token->signature_counter() == *before + 3);

    // An abandoned batch leaves no verified PIN behind.
    {
        auto batch = key->begin_batch(2, *prompt.prompt());
        (void)batch->sign(HashAlgorithm::Sha256, digest_of("only one"));
    }
    auto& card = token->card();
    CHECK(card.verification_status(openpgp::Password::Pw1Signing).has_value());
    CHECK(error_code_of([&] { (void)card.compute_digital_signature(digest_of("sneaky")); }) == ErrorCode::PinRequired);
}

namespace {

// The APDUs the driver sends while `f` runs (trace lines ">> CLA INS P1 P2 ...").
std::vector<std::string> commands_sent(OpenPgpToken& token, const std::function<void()>& f) {
    std::vector<std::string> commands;
    token.set_trace([&](std::string_view line) {
        if (line.rfind(">> ", 0) == 0) commands.emplace_back(line);
    });
    f();
    token.set_trace(nullptr);
    return commands;
}

bool any_verify(const std::vector<std::string>& commands) {
    return std::any_of(commands.begin(), commands.end(), [](const std::string& c) { return c.rfind(">> 00 20", 0) == 0; });
}

}  // namespace

TEST_CASE("ReaderPinPad on a transport without a PIN pad (the in-process simulator): NotSupported, and the card sees no VERIFY", "[driver][pin_entry]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    ReaderPinPad pad;
    std::optional<ErrorCode> code;
    const auto commands = commands_sent(*token, [&] { code = error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), pad); }); });
    CHECK(code == ErrorCode::NotSupported);
    CHECK_FALSE(commands.empty());  // the trace saw the SELECT and the status reads
    CHECK_FALSE(any_verify(commands));
    CHECK(token->pin_status()[0].tries_left == 3);
    CHECK(token->signature_counter() == 0u);
}

TEST_CASE("an empty PIN from a host prompt cancels before any VERIFY", "[driver][pin_entry]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    auto key = token->key("SIG");
    HostPinPrompt empty([](const PinRequest&) { return Pin(); });
    std::optional<ErrorCode> code;
    const auto commands = commands_sent(*token, [&] { code = error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), empty); }); });
    CHECK(code == ErrorCode::Cancelled);
    CHECK_FALSE(any_verify(commands));
    CHECK(token->pin_status()[0].tries_left == 3);

    // A PIN entry of its own that hands the token an empty PIN is refused the same way.
    struct EmptyBytes final : PinEntry {
        void enter(const PinRequest&, PinVerification& verification) override { verification.verify_with(Pin()); }
    } raw;
    const auto raw_commands = commands_sent(*token, [&] { code = error_code_of([&] { (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("x"), raw); }); });
    CHECK(code == ErrorCode::Cancelled);
    CHECK_FALSE(any_verify(raw_commands));
    CHECK(token->pin_status()[0].tries_left == 3);
}

TEST_CASE("what the PIN authorises reaches the PIN entry", "[driver][pin_entry]") {
    auto token = fresh_token();
    token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
    CountingPrompt prompt{kUserPin};
    (void)token->key("SIG")->sign_hash(HashAlgorithm::Sha256, digest_of("x"), *prompt.prompt(), "sign contract.pdf (SHA-256 3a7bd3e2…)");
    CHECK(prompt.last_request->purpose == "sign contract.pdf (SHA-256 3a7bd3e2…)");
    CHECK(prompt.last_request->pin_name == "User PIN (signature)");
    CHECK(prompt.last_request->token_label == "memory");
    CHECK(prompt.last_request->tries_left == 3);

    token->set_pin_policy(Pin(kAdminPin), PinPolicy::Session);
    auto batch = token->key("SIG")->begin_batch(2, *prompt.prompt(), "sign 2 documents");
    CHECK(prompt.last_request->purpose == "sign 2 documents");
}
