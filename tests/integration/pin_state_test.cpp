// No PIN state is left on the card (issue 11 item 4): after an operation that verified a PIN and did
// not consume it, the driver logs the PIN out (VERIFY P1 = FF, OpenPGP card 3.4 §7.2.2) and asks the
// transport to reset the card when it closes; a card without the logout is handled gracefully. New
// PINs outside the card's limits never reach the card (item 5). The simulated card forgets its
// verifications when another process changed the token (reload).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "hex.hpp"
#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/in_process_transport.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "token_conformance.hpp"

using namespace qscd;
using openpgp::KeySlot;
using openpgp::OpenPgpToken;
using openpgp::Password;
using test::error_code_of;

namespace {

const char* kUserPin = "123456";
const char* kAdminPin = "12345678";

// Forwards to a simulated card and records what the driver does: every command, and whether it
// asked for a reset at close. `logout_answer` makes the card answer VERIFY P1 = FF with that status
// word instead (a card before OpenPGP 3.1).
class RecordingTransport final : public Transport {
public:
    explicit RecordingTransport(std::unique_ptr<sim::InProcessTransport> card) : card_(std::move(card)) {}

    Bytes transmit(ByteView command) override {
        commands.emplace_back(command.begin(), command.end());
        if (logout_answer && is_logout(command))
            return Bytes{static_cast<std::uint8_t>(*logout_answer >> 8), static_cast<std::uint8_t>(*logout_answer)};
        return card_->transmit(command);
    }
    void begin_transaction() override { card_->begin_transaction(); }
    void end_transaction() noexcept override { card_->end_transaction(); }
    void reset_card_on_close() noexcept override { reset_requested = true; }
    Bytes atr() const override { return card_->atr(); }
    std::string description() const override { return card_->description(); }

    static bool is_logout(ByteView c) { return c.size() == 4 && c[1] == 0x20 && c[2] == 0xFF; }
    // VERIFY P1 = FF P2 = `reference` sent since the last clear().
    bool logged_out(std::uint8_t reference) const {
        for (const Bytes& c : commands)
            if (is_logout(c) && c[3] == reference) return true;
        return false;
    }
    void clear() {
        commands.clear();
        reset_requested = false;
    }

    std::vector<Bytes> commands;
    bool reset_requested = false;
    std::optional<std::uint16_t> logout_answer;

private:
    std::unique_ptr<sim::InProcessTransport> card_;
};

struct Fixture {
    RecordingTransport* transport = nullptr;
    std::unique_ptr<OpenPgpToken> token;

    Fixture() {
        static const std::array<std::uint8_t, 4> serial{0x00, 0x00, 0x43, 0x21};
        sim::CardOptions options;
        options.pin_iterations = 1000;
        auto card = std::make_unique<sim::InProcessTransport>(std::make_unique<sim::MemoryStorage>(), "memory card", options, &serial);
        auto recording = std::make_unique<RecordingTransport>(std::move(card));
        transport = recording.get();
        token = std::make_unique<OpenPgpToken>(std::move(recording), "memory");
        token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256);
        transport->clear();
    }

    // Asks the card, in the card session the operation left behind (no SELECT in between), whether
    // `password` is still verified: an empty VERIFY answers 9000 only then [§6.2].
    bool still_verified(Password password) {
        Transaction transaction(*transport);
        return !token->card().verification_status(password).has_value();
    }
    // Pass as `*f.user_pin()`.
    std::unique_ptr<PinEntry> user_pin() const {
        return std::make_unique<HostPinPrompt>([](const PinRequest&) { return Pin(kUserPin); });
    }
};

Bytes digest_of(std::string_view text) { return hash_bytes(HashAlgorithm::Sha256, as_bytes(text)); }

}  // namespace

TEST_CASE("unblock with the Admin PIN logs the Admin PIN out and asks for a reset at close", "[driver][pin-state]") {
    Fixture f;
    f.token->unblock_pin(PinRole::Admin, Pin(kAdminPin), Pin("654321"));
    CHECK(f.transport->logged_out(0x83));
    CHECK(f.transport->reset_requested);
    CHECK_FALSE(f.still_verified(Password::Pw3));
}

TEST_CASE("every Admin PIN operation leaves PW3 logged out", "[driver][pin-state]") {
    Fixture f;
    SECTION("cardholder name") { f.token->set_cardholder_name(Pin(kAdminPin), "Doe<<Jane"); }
    SECTION("PIN policy") { f.token->set_pin_policy(Pin(kAdminPin), PinPolicy::Session); }
    SECTION("key generation") { f.token->generate_key(Pin(kAdminPin), KeySlot::Signature, KeyType::EcP256); }
    CHECK(f.transport->logged_out(0x83));
    CHECK(f.transport->reset_requested);
    CHECK_FALSE(f.still_verified(Password::Pw3));
}

TEST_CASE("a PIN change logs the changed PIN out", "[driver][pin-state]") {
    Fixture f;
    SECTION("User PIN") {
        f.token->change_pin(PinRole::User, Pin(kUserPin), Pin("135791"));
        CHECK(f.transport->logged_out(0x81));
        CHECK(f.transport->logged_out(0x82));
        CHECK_FALSE(f.still_verified(Password::Pw1Signing));
    }
    SECTION("Admin PIN") {
        f.token->change_pin(PinRole::Admin, Pin(kAdminPin), Pin("87654321"));
        CHECK(f.transport->logged_out(0x83));
        CHECK_FALSE(f.still_verified(Password::Pw3));
    }
    CHECK(f.transport->reset_requested);
}

TEST_CASE("a session-policy signature logs PW1 out — a per-signature one consumed it", "[driver][pin-state]") {
    Fixture f;
    SECTION("session policy: PW1 stays valid on the card unless logged out") {
        f.token->set_pin_policy(Pin(kAdminPin), PinPolicy::Session);
        auto key = f.token->key("SIG");
        f.transport->clear();
        (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("session"), *f.user_pin());
        CHECK(f.transport->logged_out(0x81));
        CHECK(f.transport->reset_requested);
        CHECK_FALSE(f.still_verified(Password::Pw1Signing));
    }
    SECTION("per-signature policy: PSO:CDS consumed PW1, no logout, no reset") {
        auto key = f.token->key("SIG");
        (void)key->sign_hash(HashAlgorithm::Sha256, digest_of("per signature"), *f.user_pin());
        CHECK_FALSE(f.transport->logged_out(0x81));
        CHECK_FALSE(f.transport->reset_requested);
        CHECK_FALSE(f.still_verified(Password::Pw1Signing));
    }
}

TEST_CASE("the end of a batch logs PW1 out and asks for a reset at close", "[driver][pin-state][batch]") {
    Fixture f;
    f.token->set_pin_policy(Pin(kAdminPin), PinPolicy::Session);
    auto key = f.token->key("SIG");
    f.transport->clear();
    auto batch = key->begin_batch(2, *f.user_pin());
    (void)batch->sign(HashAlgorithm::Sha256, digest_of("one"));
    (void)batch->sign(HashAlgorithm::Sha256, digest_of("two"));
    batch->finish();
    CHECK(f.transport->logged_out(0x81));
    CHECK(f.transport->reset_requested);
    batch.reset();
    CHECK_FALSE(f.still_verified(Password::Pw1Signing));
}

TEST_CASE("a card without the logout (6A86, 6D00) still ends with no PIN verified", "[driver][pin-state]") {
    Fixture f;
    const std::uint16_t answer = GENERATE(0x6A86, 0x6D00);
    f.transport->logout_answer = answer;
    // No error for the user: the unblock worked; the driver re-SELECTs and relies on the reset.
    f.token->unblock_pin(PinRole::Admin, Pin(kAdminPin), Pin("654321"));
    CHECK(f.transport->logged_out(0x83));
    CHECK(f.transport->reset_requested);
    CHECK_FALSE(f.still_verified(Password::Pw3));
}

TEST_CASE("a new PIN outside the card's limits never reaches the card", "[driver][pin-state][pin-length]") {
    Fixture f;
    const auto before = f.token->pin_status();
    const std::size_t pw1_max = before[0].max_length, pw3_max = before[2].max_length;
    REQUIRE(pw1_max > 0);
    REQUIRE(pw3_max > 0);
    const Pin too_long_user(std::string(pw1_max + 1, '7'));
    const Pin too_long_admin(std::string(pw3_max + 1, '7'));
    auto sent_a_secret = [&] {
        for (const Bytes& c : f.transport->commands)
            if (c[1] == 0x20 || c[1] == 0x24 || c[1] == 0x2C) return true;  // VERIFY, CHANGE, RESET RETRY COUNTER
        return false;
    };
    f.transport->clear();
    CHECK(error_code_of([&] { f.token->change_pin(PinRole::User, Pin(kUserPin), too_long_user); }) == ErrorCode::InvalidPin);
    CHECK(error_code_of([&] { f.token->change_pin(PinRole::User, Pin(kUserPin), Pin("12345")); }) == ErrorCode::InvalidPin);
    CHECK(error_code_of([&] { f.token->change_pin(PinRole::Admin, Pin(kAdminPin), too_long_admin); }) == ErrorCode::InvalidPin);
    CHECK(error_code_of([&] { f.token->change_pin(PinRole::Admin, Pin(kAdminPin), Pin("1234567")); }) == ErrorCode::InvalidPin);
    CHECK(error_code_of([&] { f.token->unblock_pin(PinRole::Admin, Pin(kAdminPin), too_long_user); }) == ErrorCode::InvalidPin);
    CHECK(error_code_of([&] { f.token->unblock_pin(PinRole::ResetCode, Pin("abcdefgh"), too_long_user); }) == ErrorCode::InvalidPin);
    CHECK_FALSE(sent_a_secret());
    try {
        f.token->change_pin(PinRole::User, Pin(kUserPin), too_long_user);
    } catch (const Error& e) {
        const std::string what = e.what();
        CHECK(what.find("at most " + std::to_string(pw1_max)) != std::string::npos);
        CHECK(what.find("wrong") == std::string::npos);
    }
    const auto after = f.token->pin_status();
    CHECK(after[0].tries_left == before[0].tries_left);
    CHECK(after[2].tries_left == before[2].tries_left);
}

TEST_CASE("simulator: a reload after another process changed the token voids the verifications", "[sim][pin-state]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("qscd-pin-state-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    sim::SimulatorStore store(dir);
    store.create_token("shared", sim::CardOptions{1000});
    auto first = store.open_simulator("shared", sim::CardOptions{1000});
    auto second = store.open_simulator("shared", sim::CardOptions{1000});
    auto sw = [](sim::InProcessTransport& t, std::string_view apdu) {
        const Bytes r = t.transmit(test::hex(apdu));
        REQUIRE(r.size() >= 2);
        return static_cast<std::uint16_t>(r[r.size() - 2] << 8 | r[r.size() - 1]);
    };
    REQUIRE(sw(*first, "00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
    REQUIRE(sw(*first, "00 20 00 83 08 31 32 33 34 35 36 37 38") == 0x9000);  // Admin PIN verified
    REQUIRE(sw(*first, "00 20 00 83") == 0x9000);
    // Another process changes the token (a wrong User PIN is committed: the counter drops).
    REQUIRE(sw(*second, "00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
    REQUIRE(sw(*second, "00 20 00 81 06 30 30 30 30 30 30") == 0x6982);
    // The first session reloads the new state: its Admin PIN verification is void, still selected.
    CHECK(sw(*first, "00 20 00 83") == 0x63C3);
    CHECK(sw(*first, "00 2C 02 81 06 31 31 31 31 31 31") == 0x6982);  // RESET RETRY COUNTER needs PW3
    CHECK(sw(*first, "00 DA 00 5B 03 44 6F 65") == 0x6982);            // PUT DATA needs PW3
    first.reset();
    second.reset();
    fs::remove_all(dir);
}
