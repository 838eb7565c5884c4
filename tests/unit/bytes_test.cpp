// Hex conversion and byte helpers (qscd/codec/bytes.hpp).
#include <catch2/catch.hpp>

#include "qscd/codec/bytes.hpp"

using qscd::Bytes;
using qscd::from_hex;
using qscd::to_hex;

TEST_CASE("from_hex parses spaced upper-case hex", "[bytes]") {
    auto b = from_hex("3B 8D 81");
    REQUIRE(b.has_value());
    CHECK(*b == Bytes{0x3B, 0x8D, 0x81});
}

TEST_CASE("from_hex parses compact lower-case and mixed-case hex", "[bytes]") {
    auto lower = from_hex("3b8d81");
    REQUIRE(lower.has_value());
    CHECK(*lower == Bytes{0x3B, 0x8D, 0x81});
    auto mixed = from_hex("aBcDeF09");
    REQUIRE(mixed.has_value());
    CHECK(*mixed == Bytes{0xAB, 0xCD, 0xEF, 0x09});
}

TEST_CASE("from_hex accepts colon tab and newline separators", "[bytes]") {
    auto b = from_hex("3B:8D\t81\n00 FF");
    REQUIRE(b.has_value());
    CHECK(*b == Bytes{0x3B, 0x8D, 0x81, 0x00, 0xFF});
}

TEST_CASE("from_hex of empty or separator-only input is empty", "[bytes]") {
    auto empty = from_hex("");
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
    auto spaces = from_hex("   ");
    REQUIRE(spaces.has_value());
    CHECK(spaces->empty());
}

TEST_CASE("from_hex rejects an odd digit count", "[bytes]") {
    CHECK_FALSE(from_hex("3").has_value());
    CHECK_FALSE(from_hex("3B8").has_value());
    CHECK_FALSE(from_hex("3B 8D 8").has_value());
    CHECK_FALSE(from_hex("ABC").has_value());
}

TEST_CASE("from_hex rejects non-hex characters", "[bytes]") {
    CHECK_FALSE(from_hex("3G").has_value());
    CHECK_FALSE(from_hex("0x3B").has_value());
    CHECK_FALSE(from_hex("3B-8D").has_value());
    CHECK_FALSE(from_hex("3B,8D").has_value());
    CHECK_FALSE(from_hex("zz").has_value());
    CHECK_FALSE(from_hex("3B 8D g1").has_value());
    // A NUL byte inside the view is a non-hex character, not a terminator.
    CHECK_FALSE(from_hex(std::string_view("3B\0" "8D", 5)).has_value());
}

TEST_CASE("to_hex uses upper case and the default space separator", "[bytes]") {
    const Bytes b{0x3B, 0x8D, 0x81, 0x0a, 0xff};
    CHECK(to_hex(b) == "3B 8D 81 0A FF");
}

TEST_CASE("to_hex with custom or empty separator", "[bytes]") {
    const Bytes b{0x00, 0x01, 0xA0};
    CHECK(to_hex(b, "") == "0001A0");
    CHECK(to_hex(b, ":") == "00:01:A0");
    CHECK(to_hex(b, ", ") == "00, 01, A0");
}

TEST_CASE("to_hex of empty and single byte", "[bytes]") {
    CHECK(to_hex(Bytes{}) == "");
    CHECK(to_hex(Bytes{}, ":") == "");
    CHECK(to_hex(Bytes{0x7F}) == "7F");
}

TEST_CASE("to_hex and from_hex round trip all byte values", "[bytes]") {
    Bytes all(256);
    for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    const std::string spaced = to_hex(all);
    CHECK(spaced.size() == 256 * 3 - 1);
    CHECK(spaced.substr(0, 8) == "00 01 02");
    CHECK(spaced.substr(spaced.size() - 5) == "FE FF");
    auto back = from_hex(spaced);
    REQUIRE(back.has_value());
    CHECK(*back == all);
    auto back_compact = from_hex(to_hex(all, ""));
    REQUIRE(back_compact.has_value());
    CHECK(*back_compact == all);
}

TEST_CASE("concat and as_bytes", "[bytes]") {
    const Bytes a{0x01, 0x02};
    const Bytes b{0x03};
    CHECK(qscd::concat(a, b) == Bytes{0x01, 0x02, 0x03});
    CHECK(qscd::concat(Bytes{}, b) == Bytes{0x03});
    CHECK(qscd::concat(a, Bytes{}) == a);
    auto v = qscd::as_bytes("AB\x01");
    REQUIRE(v.size() == 3);
    CHECK(v[0] == 0x41);
    CHECK(v[1] == 0x42);
    CHECK(v[2] == 0x01);
}
