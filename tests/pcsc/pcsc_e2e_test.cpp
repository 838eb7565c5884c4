// qscd_pcsc against a real pcscd: a private pcscd with vpcd (tests/e2e/private_pcscd.sh) and
// qscd-sim serving token "alice" in slot 0; "bob" exists in the state directory for slot 1.
// Run by pcsc_e2e_driver.sh, which sets QSCD_SIM, QSCD_SIM_CONTROL and QSCD_E2E_*_SERIAL.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "qscd/error.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"
#include "qscd/token_source.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using namespace qscd::pcsc;
using namespace std::chrono_literals;
using qscd::test::hex;

namespace {

const std::string kSlot0 = "Virtual PCD 00 00";
const std::string kSlot1 = "Virtual PCD 00 01";
// 3B 8D 81 31 FE 15 | 80 73 C0 21 C0 57 "TestSig" | TCK (XOR of T0..historical bytes = 38)
const Bytes kTestAtr = hex("3B 8D 81 31 FE 15 80 73 C0 21 C0 57 54 65 73 74 53 69 67 38");

std::string env(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) FAIL(std::string(name) + " is not set: run through pcsc_e2e_driver.sh");
    return value;
}

void sim_ctl(const std::string& command) {
    const std::string line = env("QSCD_SIM") + " ctl --control '" + env("QSCD_SIM_CONTROL") + "' " + command + " >/dev/null";
    REQUIRE(std::system(line.c_str()) == 0);
}

bool wait_absent(Context& context, const std::string& reader, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (!context.reader_status(reader).card_present) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

// Puts "bob" into slot 1 for one test case and takes him out again.
struct BobInSlot1 {
    BobInSlot1() {
        sim_ctl("insert 1 bob");
        Context context;
        REQUIRE(context.wait_for_card(kSlot1, 10s));
    }
    ~BobInSlot1() {
        sim_ctl("remove 1");
        Context context;
        wait_absent(context, kSlot1, 10s);
    }
};

void require_code(const std::function<void()>& action, ErrorCode code, const std::string& says = "") {
    try {
        action();
        FAIL("no exception, expected " << to_string(code));
    } catch (const Error& e) {
        INFO(e.what());
        CHECK(e.code() == code);
        if (!says.empty()) CHECK_THAT(std::string(e.what()), Catch::Contains(says));
    }
}

}  // namespace

TEST_CASE("pcscd lists the two vpcd readers") {
    Context context;
    CHECK(context.list_readers() == std::vector<std::string>{kSlot0, kSlot1});
}

TEST_CASE("slot 0 holds the test card with its ATR, slot 1 is empty") {
    Context context;
    const ReaderStatus slot0 = context.reader_status(kSlot0);
    CHECK(slot0.card_present);
    CHECK_FALSE(slot0.mute);
    CHECK(to_hex(slot0.atr) == to_hex(kTestAtr));
    CHECK_FALSE(context.reader_status(kSlot1).card_present);
    CHECK(context.wait_for_card(kSlot0, 0ms));
    CHECK_FALSE(context.wait_for_card(kSlot1, 200ms));
    require_code([&] { context.reader_status("No Such Reader 00 00"); }, ErrorCode::NotFound);
}

TEST_CASE("PcscTokenSource lists alice with her serial, and the empty reader with a problem") {
    PcscTokenSource source;
    const auto tokens = source.list();
    REQUIRE(tokens.size() == 2);
    CHECK(tokens[0].kind == TokenKind::PcscReader);
    CHECK(tokens[0].name == kSlot0);
    CHECK(tokens[0].location == kSlot0);
    CHECK(tokens[0].serial == env("QSCD_E2E_ALICE_SERIAL"));
    CHECK_FALSE(tokens[0].problem.has_value());
    CHECK(tokens[1].location == kSlot1);
    REQUIRE(tokens[1].problem.has_value());
    CHECK_THAT(*tokens[1].problem, Catch::Contains("no card"));

    const auto token = source.open(tokens[0]);
    const TokenInfo info = token->info();
    CHECK(info.serial == tokens[0].serial);
    CHECK(info.origin == kSlot0);
    CHECK(info.test_card);
}

TEST_CASE("connect, transaction, SELECT through open_card") {
    Context context;
    auto connection = CardConnection::connect(context, kSlot0);
    CardConnection& raw = *connection;
    CHECK(raw.description() == kSlot0);
    CHECK(raw.share_mode() == ShareMode::Shared);
    CHECK(to_hex(raw.atr()) == to_hex(kTestAtr));
    // vpcd has no PIN pad: whatever it announces, never VERIFY_PIN_DIRECT, and never a failure.
    const ReaderFeatures features = raw.reader_features();
    INFO("vpcd features: " << features.summary());
    CHECK_FALSE(features.has(ReaderFeature::VerifyPinDirect));

    require_code([&] { raw.transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01 00")); }, ErrorCode::InvalidArgument,
                 "no APDU outside a transaction");
    {
        Transaction transaction(raw);
        CHECK(raw.in_transaction());
        const Bytes answer = raw.transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01 00"));
        REQUIRE(answer.size() >= 2);
        CHECK(answer[answer.size() - 2] == 0x90);
    }
    CHECK_FALSE(raw.in_transaction());

    const auto token = open_card(std::move(connection), "");
    const TokenInfo info = token->info();
    CHECK(info.serial == env("QSCD_E2E_ALICE_SERIAL"));
    CHECK(info.application.rfind("OpenPGP 3.", 0) == 0);
    CHECK(to_hex(info.atr) == to_hex(kTestAtr));
    CHECK(token->pin_status().front().tries_left == 3);
    CHECK_FALSE(token->keys().empty());
}

TEST_CASE("a reset by another connection: the next transaction throws CardReset, then works again") {
    Context context;
    auto owned = CardConnection::connect(context, kSlot0);
    CardConnection& first = *owned;
    const auto token = open_card(std::move(owned), "");
    CHECK(token->info().serial == env("QSCD_E2E_ALICE_SERIAL"));

    {
        Context other_context;
        CardConnection second(other_context, kSlot0, ShareMode::Shared, Disposition::Leave);
        second.reconnect(Disposition::Reset);  // SCardReconnect(SCARD_RESET_CARD)
    }
    require_code([&] { token->info(); }, ErrorCode::CardReset, "present the PIN again");
    CHECK_FALSE(first.in_transaction());
    CHECK(token->info().serial == env("QSCD_E2E_ALICE_SERIAL"));

    // The same at the transport level.
    {
        Context other_context;
        CardConnection second(other_context, kSlot0, ShareMode::Shared, Disposition::Leave);
        second.reconnect(Disposition::Reset);
    }
    require_code([&] { first.begin_transaction(); }, ErrorCode::CardReset);
    CHECK_FALSE(first.in_transaction());
    first.begin_transaction();
    const Bytes answer = first.transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01 00"));
    first.end_transaction();
    CHECK(to_hex(answer) == "90 00");
}

TEST_CASE("hot-plug: insertion and removal arrive as events") {
    Context context;
    auto first = context.wait_for_events(0ms);
    REQUIRE(first.size() == 3);  // what is there: two readers, one card
    CHECK(first[0].kind == ReaderEventKind::ReaderAdded);
    CHECK(first[0].reader == kSlot0);
    CHECK(first[1].kind == ReaderEventKind::CardInserted);
    CHECK(first[1].reader == kSlot0);
    CHECK(to_hex(first[1].atr) == to_hex(kTestAtr));
    CHECK(first[2].kind == ReaderEventKind::ReaderAdded);
    CHECK(first[2].reader == kSlot1);
    CHECK(context.wait_for_events(300ms).empty());  // nothing happened

    sim_ctl("insert 1 bob");
    auto inserted = context.wait_for_events(10s);
    REQUIRE(inserted.size() == 1);
    CHECK(inserted[0].kind == ReaderEventKind::CardInserted);
    CHECK(inserted[0].reader == kSlot1);
    CHECK(to_hex(inserted[0].atr) == to_hex(kTestAtr));

    sim_ctl("remove 1");
    auto removed = context.wait_for_events(10s);
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].kind == ReaderEventKind::CardRemoved);
    CHECK(removed[0].reader == kSlot1);

    sim_ctl("insert 1 bob");
    CHECK(context.wait_for_change(10s));
    sim_ctl("remove 1");
    CHECK(context.wait_for_change(10s));
}

TEST_CASE("cancel() ends a wait from another thread") {
    Context context;
    (void)context.wait_for_events(0ms);
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        context.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    require_code([&] { context.wait_for_events(Context::kForever); }, ErrorCode::Cancelled);
    canceller.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a removed card: CardRemoved, and the token source reports the reader empty") {
    std::unique_ptr<CardConnection> connection;
    {
        BobInSlot1 bob;
        Context context;
        connection = CardConnection::connect(context, kSlot1);
    }
    require_code([&] { connection->begin_transaction(); }, ErrorCode::CardRemoved);
    PcscTokenSource source;
    REQUIRE(source.list().size() == 2);
    CHECK(source.list()[1].problem.has_value());
}

TEST_CASE("choosing a token by reader, serial or label") {
    BobInSlot1 bob;
    PcscTokenSource source;
    const auto listing = source.scan();
    REQUIRE(listing.size() == 2);
    REQUIRE_FALSE(listing[1].descriptor.problem.has_value());
    const std::string bob_serial = env("QSCD_E2E_BOB_SERIAL");
    CHECK(listing[1].descriptor.serial == bob_serial);

    CHECK(source.open_matching({.reader = kSlot1})->info().serial == bob_serial);
    CHECK(source.open_matching({.serial = bob_serial})->info().serial == bob_serial);
    CHECK(source.open_matching({.label = listing[0].label})->info().serial == env("QSCD_E2E_ALICE_SERIAL"));
    require_code([&] { source.open_matching({}); }, ErrorCode::InvalidArgument, "2 PC/SC tokens match");
    require_code([&] { source.open_matching({.serial = std::string("FFFF00000000")}); }, ErrorCode::NotFound,
                 bob_serial);

    TokenDescriptor stale = listing[1].descriptor;
    stale.serial = "FFFF00000000";
    require_code([&] { source.open(stale); }, ErrorCode::NotFound, "is now");
}

TEST_CASE("an exclusive connection keeps everyone else out") {
    Context context;
    CardConnection exclusive(context, kSlot0, ShareMode::Exclusive, Disposition::Leave);
    Context other;
    require_code([&] { CardConnection shared(other, kSlot0); }, ErrorCode::TransportError,
                 "card in use by another program (exclusive)");
    PcscTokenSource source;
    const auto tokens = source.list();
    REQUIRE(tokens[0].problem.has_value());
    CHECK_THAT(*tokens[0].problem, Catch::Contains("exclusive"));
}
