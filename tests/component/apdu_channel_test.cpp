// ApduChannel against a scripted transport: 61xx chains, 6Cxx, command chaining, extended length,
// bounded loops and trace redaction.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "qscd/apdu_channel.hpp"
#include "qscd/error.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using qscd::test::hex;
using qscd::test::ScriptedTransport;

namespace {
std::string repeat(std::string_view byte_hex, int count) {
    std::string s;
    for (int i = 0; i < count; ++i) s += std::string(byte_hex) + " ";
    return s;
}
}  // namespace

TEST_CASE("a plain case-4 exchange passes through unchanged", "[channel]") {
    ScriptedTransport t;
    t.expect("00 A4 04 00 06 D2 76 00 01 24 01 00", "90 00");
    ApduChannel ch(t);
    auto r = ch.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, hex("D2 76 00 01 24 01"), 256));
    CHECK(r.sw == sw::kSuccess);
    CHECK(r.data.empty());
    CHECK(t.finished());
}

TEST_CASE("61xx responses are collected with GET RESPONSE until 9000", "[channel]") {
    ScriptedTransport t;
    t.expect("00 47 81 00 02 B6 00 00", repeat("AA", 256) + "61 0E")
        .expect("00 C0 00 00 0E", repeat("BB", 14) + "90 00");
    ApduChannel ch(t);
    auto r = ch.transmit(CommandApdu(0x00, 0x47, 0x81, 0x00, hex("B6 00"), 65536));
    CHECK(r.sw == sw::kSuccess);
    REQUIRE(r.data.size() == 270);
    CHECK(r.data[255] == 0xAA);
    CHECK(r.data[256] == 0xBB);
    CHECK(t.finished());
}

TEST_CASE("61 00 means 256 more bytes and chains several rounds", "[channel]") {
    ScriptedTransport t;
    t.expect("00 CA 7F 21 00", repeat("01", 256) + "61 00")
        .expect("00 C0 00 00 00", repeat("02", 256) + "61 05")
        .expect("00 C0 00 00 05", repeat("03", 5) + "90 00");
    ApduChannel ch(t);
    auto r = ch.transmit(CommandApdu(0x00, 0xCA, 0x7F, 0x21, {}, 65536));
    CHECK(r.data.size() == 517);
    CHECK(r.sw.is_success());
}

TEST_CASE("an endless 61xx stream is cut off by the round bound", "[channel][malformed]") {
    ScriptedTransport t;
    t.expect("00 CA 00 6E 00", "61 01");
    for (int i = 0; i < ApduChannel::kMaxGetResponseRounds; ++i) t.expect("00 C0 00 00 01", "00 61 01");
    ApduChannel ch(t);
    try {
        (void)ch.transmit(CommandApdu(0x00, 0xCA, 0x00, 0x6E, {}, 256));
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ProtocolError);
    }
    CHECK(t.sent() == ApduChannel::kMaxGetResponseRounds + 1);
}

TEST_CASE("a response growing past the size bound is refused", "[channel][malformed]") {
    ScriptedTransport t;
    t.expect("00 CA 00 6E 00", repeat("00", 256) + "61 00");
    for (int i = 0; i < 290; ++i) t.expect("00 C0 00 00 00", repeat("00", 256) + "61 00");
    ApduChannel ch(t);
    try {
        (void)ch.transmit(CommandApdu(0x00, 0xCA, 0x00, 0x6E, {}, 256));
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ProtocolError);
    }
    CHECK(t.sent() < 290);
}

TEST_CASE("6Cxx resends the same command with the right Le, once", "[channel]") {
    ScriptedTransport t;
    t.expect("00 84 00 00 00", "6C 08").expect("00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00");
    ApduChannel ch(t);
    auto r = ch.transmit(CommandApdu(0x00, 0x84, 0x00, 0x00, {}, 256));
    CHECK(r.data == hex("01 02 03 04 05 06 07 08"));

    ScriptedTransport twice;
    twice.expect("00 84 00 00 00", "6C 08").expect("00 84 00 00 08", "6C 04");
    ApduChannel ch2(twice);
    CHECK_THROWS_AS(ch2.transmit(CommandApdu(0x00, 0x84, 0x00, 0x00, {}, 256)), Error);
}

TEST_CASE("long data is chained when the card lacks extended length", "[channel]") {
    const std::string part1 = repeat("11", 255), part2 = repeat("11", 45);
    ScriptedTransport t;
    t.expect("10 DA 7F 21 FF " + part1, "90 00").expect("00 DA 7F 21 2D " + part2, "90 00");
    ApduChannel ch(t);
    ch.set_capabilities({.extended_length = false, .command_chaining = true});
    auto r = ch.transmit(CommandApdu(0x00, 0xDA, 0x7F, 0x21, Bytes(300, 0x11)));
    CHECK(r.sw.is_success());
    CHECK(t.finished());
}

TEST_CASE("a chain part refused by the card stops the chain", "[channel]") {
    ScriptedTransport t;
    t.expect("10 DA 7F 21 FF " + repeat("11", 255), "69 82");
    ApduChannel ch(t);
    ch.set_capabilities({.extended_length = false, .command_chaining = true});
    auto r = ch.transmit(CommandApdu(0x00, 0xDA, 0x7F, 0x21, Bytes(300, 0x11)));
    CHECK(r.sw == sw::kSecurityStatusNotSatisfied);
    CHECK(t.finished());
}

TEST_CASE("extended length is used when the card announces it", "[channel]") {
    ScriptedTransport t;
    t.expect("00 DA 7F 21 00 01 2C " + repeat("11", 300), "90 00")
        .expect("00 47 81 00 00 00 02 B6 00 00 00", repeat("AB", 270) + "90 00");
    ApduChannel ch(t);
    ch.set_capabilities({.extended_length = true, .command_chaining = true});
    CHECK(ch.transmit(CommandApdu(0x00, 0xDA, 0x7F, 0x21, Bytes(300, 0x11))).sw.is_success());
    auto r = ch.transmit(CommandApdu(0x00, 0x47, 0x81, 0x00, hex("B6 00"), 65536));
    CHECK(r.data.size() == 270);
}

TEST_CASE("long data without extended length or chaining is refused before sending", "[channel]") {
    ScriptedTransport t;
    ApduChannel ch(t);
    try {
        (void)ch.transmit(CommandApdu(0x00, 0xDA, 0x7F, 0x21, Bytes(300, 0x11)));
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NotSupported);
    }
    CHECK(t.sent() == 0);
}

TEST_CASE("the trace prints PINs and key material as REDACTED", "[channel][secrets]") {
    ScriptedTransport t;
    t.expect("00 20 00 81 06 31 32 33 34 35 36", "90 00")
        .expect("00 24 00 81 0C 31 32 33 34 35 36 36 35 34 33 32 31", "90 00")
        .expect("00 2C 02 81 06 31 32 33 34 35 36", "90 00")
        .expect("00 DA 00 D3 08 31 32 33 34 35 36 37 38", "90 00")
        .expect("00 DB 3F FF 04 4D 02 B6 00", "90 00")
        .expect("00 CA 00 C4 00", "00 7F 7F 7F 03 00 03 90 00");
    std::vector<std::string> lines;
    ApduChannel ch(t);
    ch.set_trace([&](std::string_view line) { lines.emplace_back(line); });
    (void)ch.transmit(CommandApdu(0x00, 0x20, 0x00, 0x81, hex("31 32 33 34 35 36")));
    (void)ch.transmit(CommandApdu(0x00, 0x24, 0x00, 0x81, hex("31 32 33 34 35 36 36 35 34 33 32 31")));
    (void)ch.transmit(CommandApdu(0x00, 0x2C, 0x02, 0x81, hex("31 32 33 34 35 36")));
    (void)ch.transmit(CommandApdu(0x00, 0xDA, 0x00, 0xD3, hex("31 32 33 34 35 36 37 38")));
    (void)ch.transmit(CommandApdu(0x00, 0xDB, 0x3F, 0xFF, hex("4D 02 B6 00")));
    (void)ch.transmit(CommandApdu(0x00, 0xCA, 0x00, 0xC4, {}, 256));
    REQUIRE(lines.size() == 12);
    CHECK(lines[0] == ">> 00 20 00 81 06 REDACTED");
    CHECK(lines[2] == ">> 00 24 00 81 0C REDACTED");
    CHECK(lines[4] == ">> 00 2C 02 81 06 REDACTED");
    CHECK(lines[6] == ">> 00 DA 00 D3 08 REDACTED");
    CHECK(lines[8] == ">> 00 DB 3F FF 04 REDACTED");
    CHECK(lines[10] == ">> 00 CA 00 C4 00");
    CHECK(lines[11] == "<< 00 7F 7F 7F 03 00 03 90 00");
    for (const auto& line : lines) CHECK(line.find("31 32 33") == std::string::npos);
}

TEST_CASE("a response shorter than a status word is a protocol error", "[channel][malformed]") {
    ScriptedTransport t;
    t.expect("00 CA 00 C4 00", "90");
    ApduChannel ch(t);
    try {
        (void)ch.transmit(CommandApdu(0x00, 0xCA, 0x00, 0xC4, {}, 256));
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ProtocolError);
    }
}
