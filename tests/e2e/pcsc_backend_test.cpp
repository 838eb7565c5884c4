// The key-handle interface through a real pcscd + vpcd with qscd-sim as the card: the same test
// bodies as for the in-process backend, plus what only a real reader stack has — reset by another
// program, two cards in two slots. Run by pcsc_backend_test.sh inside tests/e2e/private_pcscd.sh.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"
#include "token_conformance.hpp"

using namespace qscd;

namespace {

const char* kUserPin = "123456";
const char* kAdminPin = "12345678";
const char* kReader0 = "Virtual PCD 00 00";
const char* kReader1 = "Virtual PCD 00 01";

std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v) FAIL(std::string("run through pcsc_backend_test.sh: ") + name + " is not set");
    return v;
}

std::unique_ptr<Token> open_reader(const std::string& reader) {
    pcsc::PcscTokenSource source;
    return source.open_matching({reader, std::nullopt, std::nullopt});
}

}  // namespace

TEST_CASE("PC/SC: the simulated card is listed with its serial and ATR", "[pcsc]") {
    pcsc::PcscTokenSource source;
    const auto listings = source.scan();
    bool found = false;
    for (const auto& l : listings) {
        if (l.descriptor.location != kReader0) continue;
        found = true;
        CHECK_FALSE(l.descriptor.problem);
        CHECK(l.descriptor.serial == env("QSCD_E2E_SERIAL_0"));
        CHECK(to_hex(l.atr, "") == "3B8D8131FE158073C021C0575465737453696738");
    }
    CHECK(found);
}

TEST_CASE("PC/SC: sign and verify with the conformance bodies", "[pcsc][conformance]") {
    auto token = open_reader(kReader0);
    CHECK(token->info().origin == kReader0);
    CHECK(token->info().test_card);
    test::check_sign_and_verify(*token, kUserPin);
    test::check_wrong_pin_lockout_and_unblock(*token, kUserPin, kAdminPin);
}

TEST_CASE("PC/SC: two cards in two slots, chosen by serial", "[pcsc]") {
    pcsc::PcscTokenSource source;
    const std::string serial0 = env("QSCD_E2E_SERIAL_0"), serial1 = env("QSCD_E2E_SERIAL_1");
    REQUIRE(serial0 != serial1);
    auto a = source.open_matching({std::nullopt, serial0, std::nullopt});
    auto b = source.open_matching({std::nullopt, serial1, std::nullopt});
    CHECK(a->info().origin == kReader0);
    CHECK(b->info().origin == kReader1);
    CHECK(a->info().serial == serial0);
    CHECK(b->info().serial == serial1);
    CHECK(test::error_code_of([&] { (void)source.open_matching({std::nullopt, std::string("FFFF0BADBAD0"), std::nullopt}); }) ==
          ErrorCode::NotFound);
    CHECK(test::error_code_of([&] { (void)source.open_matching({}); }) == ErrorCode::InvalidArgument);
    test::check_sign_and_verify(*b, kUserPin);
}

TEST_CASE("PC/SC: a reset by another program drops the PIN — the next signature asks again", "[pcsc][reset]") {
    pcsc::Context context;
    auto connection = std::make_unique<pcsc::CardConnection>(context, kReader0, pcsc::ShareMode::Shared, pcsc::Disposition::Leave);
    pcsc::CardConnection* raw = connection.get();
    openpgp::OpenPgpToken token(std::move(connection), "reset");
    auto& card = token.card();
    {
        Transaction t(*raw);
        card.select();
        card.verify(openpgp::Password::Pw1Signing, Pin(kUserPin));
    }
    // Another program resets the card between our transactions.
    {
        pcsc::Context other_context;
        pcsc::CardConnection other(other_context, kReader0, pcsc::ShareMode::Shared, pcsc::Disposition::Leave);
        other.reconnect(pcsc::Disposition::Reset);
    }
    CHECK(test::error_code_of([&] { Transaction t(*raw); }) == ErrorCode::CardReset);
    {
        Transaction t(*raw);
        card.select();
        // The verification made before the reset is gone.
        CHECK(card.verification_status(openpgp::Password::Pw1Signing).has_value());
        CHECK(test::error_code_of([&] { (void)card.compute_digital_signature(Bytes(32, 0x11)); }) == ErrorCode::PinRequired);
    }
    // And the key handle path works again, with a fresh PIN.
    test::check_sign_and_verify(token, kUserPin);
}
