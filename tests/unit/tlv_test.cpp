// BER-TLV (qscd/codec/tlv.hpp), iso7816.md §5 and the OpenPGP 6E example (openpgp-card.md §13.2).
#include <catch2/catch.hpp>

#include "hex.hpp"

#include <array>
#include <set>
#include <string>

#include "qscd/codec/tlv.hpp"

using qscd::Bytes;
using qscd::ByteView;
using qscd::Tlv;
using qscd::TlvError;
using qscd::TlvReader;
using qscd::TlvWriter;
using qscd::to_hex;

namespace {

Bytes H(std::string_view hex) { return qscd::test::hex(hex); }

Bytes zeros(std::size_t n) { return Bytes(n, 0x00); }

Bytes filled(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 13 + 1);
    return b;
}

// R: of GET DATA 6E in openpgp-card.md §13.2, without the trailing 90 00.
Bytes openpgp_6e() {
    Bytes b = H(
        "6E 81 EF 4F 10 D2 76 00 01 24 01 03 04 FF FF 00 00 00 01 00 00"
        " 5F 52 0A 00 31 C5 73 C0 01 C0 05 90 00 7F 66 08 02 02 08 00 02 02 08 00"
        " 73 81 C2 C0 0A 7C 00 08 00 08 00 00 FF 00 00 C1 09 13 2A 86 48 CE 3D 03 01 07"
        " C2 06 01 08 00 00 20 00 C3 06 01 08 00 00 20 00 C4 07 00 7F 7F 7F 03 00 03"
        " C5 3C 7E 05 EA B7 40 8B 77 BB 82 63 13 D0 BA 97 05 62 EE 7E 4C 2A");
    b = qscd::concat(b, zeros(40));
    b = qscd::concat(b, H("C6 3C"));
    b = qscd::concat(b, zeros(60));
    b = qscd::concat(b, H("CD 0C 65 00 00 00"));
    b = qscd::concat(b, zeros(8));
    b = qscd::concat(b, H("DE 06 01 01 02 00 03 00"));
    return b;
}

// Results borrow the input: refuse temporaries so no test reads a freed buffer.
Tlv parse_one(Bytes&& raw) = delete;
Tlv parse_one(const Bytes& raw) {
    ByteView in(raw);
    auto r = qscd::parse_tlv(in);
    REQUIRE(r.ok());
    CHECK(in.empty());
    return *r;
}

TlvError parse_error(const Bytes& raw) {
    ByteView in(raw);
    auto r = qscd::parse_tlv(in);
    REQUIRE_FALSE(r.ok());
    // A failed parse does not consume input.
    CHECK(in.data() == raw.data());
    CHECK(in.size() == raw.size());
    return r.error();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tags

TEST_CASE("parse 1-byte tag", "[tlv][parse]") {
    const Bytes raw = H("4F 03 D2 76 00");
    const Tlv t = parse_one(raw);
    CHECK(t.tag == 0x4F);
    CHECK(to_hex(t.value) == "D2 76 00");
    CHECK(t.value.data() == raw.data() + 2);
    CHECK(t.encoded.data() == raw.data());
    CHECK(t.encoded.size() == 5);
    CHECK_FALSE(t.constructed());
}

TEST_CASE("parse 2-byte tags 5F52 and 7F49", "[tlv][parse]") {
    const Bytes raw_a = H("5F 52 02 00 31");
    const Tlv a = parse_one(raw_a);
    CHECK(a.tag == 0x5F52);
    CHECK(to_hex(a.value) == "00 31");
    CHECK_FALSE(a.constructed());

    const Bytes raw_b = H("7F 49 05 86 03 04 AA BB");
    const Tlv b = parse_one(raw_b);
    CHECK(b.tag == 0x7F49);
    CHECK(b.constructed());
    CHECK(to_hex(b.value) == "86 03 04 AA BB");
    CHECK(b.encoded.size() == 8);
}

TEST_CASE("parse 3-byte tag 5FC105", "[tlv][parse]") {
    const Bytes raw = H("5F C1 05 03 53 01 AA");
    const Tlv t = parse_one(raw);
    CHECK(t.tag == 0x5FC105);
    CHECK(to_hex(t.value) == "53 01 AA");
    CHECK(t.value.data() == raw.data() + 4);
    CHECK_FALSE(t.constructed());
}

TEST_CASE("parse 4-byte tag is the maximum", "[tlv][parse]") {
    const Bytes raw = H("1F 81 82 03 01 AA");
    const Tlv t = parse_one(raw);
    CHECK(t.tag == 0x1F818203u);
    CHECK(to_hex(t.value) == "AA");
}

TEST_CASE("parse tag with more than 4 bytes is TagTooLong", "[tlv][parse][malformed]") {
    CHECK(parse_error(H("1F 81 82 83 04 01 AA")) == TlvError::TagTooLong);
    CHECK(parse_error(H("5F 81 81 81 81 01 01 AA")) == TlvError::TagTooLong);
}

TEST_CASE("parse truncated tag", "[tlv][parse][malformed]") {
    CHECK(parse_error(Bytes{}) == TlvError::Truncated);
    CHECK(parse_error(H("5F")) == TlvError::Truncated);
    CHECK(parse_error(H("5F C1")) == TlvError::Truncated);  // C1 says another byte follows
    CHECK(parse_error(H("7F")) == TlvError::Truncated);
}

TEST_CASE("tag_is_constructed follows bit 0x20 of the first byte", "[tlv]") {
    for (std::uint32_t tag : {0x20u, 0x30u, 0x65u, 0x6Eu, 0x73u, 0x7Au, 0x7Cu, 0x7Eu, 0xA4u, 0xACu, 0xB6u,
                              0xB8u, 0xE0u, 0xFFu, 0x7F21u, 0x7F49u, 0x7F66u, 0x3F8101u}) {
        INFO("tag " << std::hex << tag);
        CHECK(qscd::tag_is_constructed(tag));
    }
    for (std::uint32_t tag : {0x00u, 0x02u, 0x4Fu, 0x53u, 0x5Cu, 0x81u, 0x93u, 0x9Fu, 0xC0u, 0xC4u, 0xCDu,
                              0xDEu, 0x5F52u, 0x5F48u, 0x5FC105u, 0x9F7F2Au, 0x1F818203u}) {
        INFO("tag " << std::hex << tag);
        CHECK_FALSE(qscd::tag_is_constructed(tag));
    }
}

TEST_CASE("tag_size and length_size", "[tlv]") {
    CHECK(qscd::tag_size(0x4F) == 1);
    CHECK(qscd::tag_size(0xC4) == 1);
    CHECK(qscd::tag_size(0x5F52) == 2);
    CHECK(qscd::tag_size(0x7F49) == 2);
    CHECK(qscd::tag_size(0x5FC105) == 3);
    CHECK(qscd::tag_size(0x1F818203u) == 4);

    CHECK(qscd::length_size(0) == 1);
    CHECK(qscd::length_size(127) == 1);
    CHECK(qscd::length_size(128) == 2);
    CHECK(qscd::length_size(255) == 2);
    CHECK(qscd::length_size(256) == 3);
    CHECK(qscd::length_size(65535) == 3);
    CHECK(qscd::length_size(65536) == 4);
    CHECK(qscd::length_size(0xFFFFFF) == 4);
}

// ---------------------------------------------------------------------------------------------
// Lengths

TEST_CASE("parse short-form lengths 00 and 7F", "[tlv][parse]") {
    const Bytes raw_empty = H("C4 00");
    const Tlv empty = parse_one(raw_empty);
    CHECK(empty.tag == 0xC4);
    CHECK(empty.value.empty());
    CHECK(empty.encoded.size() == 2);

    const Bytes raw = qscd::concat(H("C5 7F"), filled(127));
    const Tlv t = parse_one(raw);
    CHECK(t.value.size() == 127);
    CHECK(Bytes(t.value.begin(), t.value.end()) == filled(127));
}

TEST_CASE("parse long-form lengths 81, 82 and 83", "[tlv][parse]") {
    const Bytes r81 = qscd::concat(H("53 81 80"), filled(128));
    const Tlv a = parse_one(r81);
    CHECK(a.value.size() == 128);
    CHECK(a.value.data() == r81.data() + 3);

    const Bytes r82 = qscd::concat(H("7F 49 82 01 09"), filled(265));
    const Tlv b = parse_one(r82);
    CHECK(b.tag == 0x7F49);
    CHECK(b.value.size() == 265);
    CHECK(b.value.data() == r82.data() + 5);
    CHECK(b.encoded.size() == 270);

    const Bytes r83 = qscd::concat(H("53 83 01 00 00"), filled(65536));
    const Tlv c = parse_one(r83);
    CHECK(c.value.size() == 65536);
    CHECK(c.value.data() == r83.data() + 5);
}

TEST_CASE("parse accepts non-minimal long-form lengths", "[tlv][parse]") {
    for (const char* hex : {"4F 81 02 AA BB", "4F 82 00 02 AA BB", "4F 83 00 00 02 AA BB"}) {
        INFO(hex);
        const Bytes raw = H(hex);
        const Tlv t = parse_one(raw);
        CHECK(t.tag == 0x4F);
        CHECK(to_hex(t.value) == "AA BB");
        CHECK(t.encoded.size() == raw.size());
    }
    const Bytes zero = H("4F 81 00");
    CHECK(parse_one(zero).value.empty());
}

TEST_CASE("parse indefinite length 80 is LengthTooLong", "[tlv][parse][malformed]") {
    CHECK(parse_error(H("30 80 02 01 00 00 00")) == TlvError::LengthTooLong);
}

TEST_CASE("parse 5-byte length 84 is LengthTooLong", "[tlv][parse][malformed]") {
    CHECK(parse_error(H("53 84 00 00 00 01 AA")) == TlvError::LengthTooLong);
    CHECK(parse_error(H("53 FF")) == TlvError::LengthTooLong);
}

TEST_CASE("parse truncated length", "[tlv][parse][malformed]") {
    CHECK(parse_error(H("4F")) == TlvError::Truncated);
    CHECK(parse_error(H("5F 52")) == TlvError::Truncated);
    CHECK(parse_error(H("4F 81")) == TlvError::Truncated);
    CHECK(parse_error(H("4F 82 01")) == TlvError::Truncated);
    CHECK(parse_error(H("4F 83 00 01")) == TlvError::Truncated);
}

TEST_CASE("parse value running past the end", "[tlv][parse][malformed]") {
    CHECK(parse_error(H("4F 03 01 02")) == TlvError::Truncated);
    CHECK(parse_error(H("4F 01")) == TlvError::Truncated);
    CHECK(parse_error(qscd::concat(H("53 81 80"), filled(127))) == TlvError::Truncated);
    CHECK(parse_error(qscd::concat(H("53 82 01 00"), filled(255))) == TlvError::Truncated);
    CHECK(parse_error(H("53 83 FF FF FF 00")) == TlvError::Truncated);
}

TEST_CASE("parse_tlv advances past one object and TlvReader iterates", "[tlv][parse]") {
    const Bytes raw = H("C4 01 AA 5F 52 00 7F 49 02 86 00");
    ByteView in(raw);
    auto first = qscd::parse_tlv(in);
    REQUIRE(first.ok());
    CHECK(first->tag == 0xC4);
    CHECK(to_hex(first->encoded) == "C4 01 AA");
    CHECK(in.data() == raw.data() + 3);
    CHECK(in.size() == raw.size() - 3);

    TlvReader reader(raw);
    std::vector<std::uint32_t> tags;
    while (!reader.at_end()) {
        auto t = reader.next();
        REQUIRE(t.ok());
        tags.push_back(t->tag);
    }
    CHECK(tags == std::vector<std::uint32_t>{0xC4, 0x5F52, 0x7F49});

    const Bytes bad_raw = H("C4 01 AA 5F");
    TlvReader bad(bad_raw);
    REQUIRE(bad.next().ok());
    CHECK_FALSE(bad.at_end());
    auto err = bad.next();
    REQUIRE_FALSE(err.ok());
    CHECK(err.error() == TlvError::Truncated);
}

// ---------------------------------------------------------------------------------------------
// Searching the OpenPGP application related data

TEST_CASE("openpgp 6E example has the documented size", "[tlv][openpgp]") {
    const Bytes ex = openpgp_6e();
    CHECK(ex.size() == 3 + 0xEF);
    const Tlv outer = parse_one(ex);
    CHECK(outer.tag == 0x6E);
    CHECK(outer.value.size() == 0xEF);
    auto valid = qscd::validate_tlv_sequence(ex);
    REQUIRE(valid.ok());
    CHECK(*valid);
}

TEST_CASE("find_tlv_path 6E 73 C4 on the OpenPGP example", "[tlv][openpgp]") {
    const Bytes ex = openpgp_6e();
    auto c4 = qscd::find_tlv_path(ex, {0x6E, 0x73, 0xC4});
    REQUIRE(c4.ok());
    CHECK(c4->tag == 0xC4);
    CHECK(to_hex(c4->value) == "00 7F 7F 7F 03 00 03");
    CHECK(to_hex(c4->encoded) == "C4 07 00 7F 7F 7F 03 00 03");
    // Borrowed from the input.
    CHECK(c4->value.data() >= ex.data());
    CHECK(c4->value.data() + c4->value.size() <= ex.data() + ex.size());

    auto disc = qscd::find_tlv_path(ex, {0x6E, 0x73});
    REQUIRE(disc.ok());
    CHECK(disc->value.size() == 0xC2);
    CHECK(to_hex(disc->encoded.first(3)) == "73 81 C2");

    auto aid = qscd::find_tlv_path(ex, {0x6E, 0x4F});
    REQUIRE(aid.ok());
    CHECK(to_hex(aid->value) == "D2 76 00 01 24 01 03 04 FF FF 00 00 00 01 00 00");

    auto hist = qscd::find_tlv_path(ex, {0x6E, 0x5F52});
    REQUIRE(hist.ok());
    CHECK(to_hex(hist->value) == "00 31 C5 73 C0 01 C0 05 90 00");

    auto ext = qscd::find_tlv_path(ex, {0x6E, 0x7F66, 0x02});
    REQUIRE(ext.ok());
    CHECK(to_hex(ext->value) == "08 00");

    auto c1 = qscd::find_tlv_path(ex, {0x6E, 0x73, 0xC1});
    REQUIRE(c1.ok());
    CHECK(to_hex(c1->value) == "13 2A 86 48 CE 3D 03 01 07");

    auto de = qscd::find_tlv_path(ex, {0x6E, 0x73, 0xDE});
    REQUIRE(de.ok());
    CHECK(to_hex(de->value) == "01 01 02 00 03 00");

    auto c5 = qscd::find_tlv_path(ex, {0x6E, 0x73, 0xC5});
    REQUIRE(c5.ok());
    REQUIRE(c5->value.size() == 60);
    CHECK(c5->value[0] == 0x7E);
    CHECK(c5->value[19] == 0x2A);
    CHECK(c5->value[20] == 0x00);
}

TEST_CASE("find_tlv_path errors", "[tlv][openpgp][malformed]") {
    const Bytes ex = openpgp_6e();
    auto prim = qscd::find_tlv_path(ex, {0x6E, 0x4F, 0xC4});
    REQUIRE_FALSE(prim.ok());
    CHECK(prim.error() == TlvError::NotConstructed);

    auto prim2 = qscd::find_tlv_path(ex, {0x6E, 0x73, 0xC4, 0x00});
    REQUIRE_FALSE(prim2.ok());
    CHECK(prim2.error() == TlvError::NotConstructed);

    auto missing = qscd::find_tlv_path(ex, {0x6E, 0x73, 0xC7});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error() == TlvError::NotFound);

    auto not_top = qscd::find_tlv_path(ex, {0x6E, 0xC4});  // C4 is inside 73, not directly in 6E
    REQUIRE_FALSE(not_top.ok());
    CHECK(not_top.error() == TlvError::NotFound);

    auto wrong_root = qscd::find_tlv_path(ex, {0x73});
    REQUIRE_FALSE(wrong_root.ok());
    CHECK(wrong_root.error() == TlvError::NotFound);

    auto empty_path = qscd::find_tlv_path(ex, {});
    REQUIRE_FALSE(empty_path.ok());
    CHECK(empty_path.error() == TlvError::NotFound);

    auto empty_input = qscd::find_tlv_path(Bytes{}, {0x6E});
    REQUIRE_FALSE(empty_input.ok());
    CHECK(empty_input.error() == TlvError::NotFound);

    // Malformed content inside the path is reported, not hidden as NotFound.
    auto broken = qscd::find_tlv_path(H("6E 04 73 02 C4 05"), {0x6E, 0x73, 0xC4});
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error() == TlvError::Truncated);
}

TEST_CASE("find_tlv searches only the top level", "[tlv]") {
    const Bytes ex = openpgp_6e();
    auto top = qscd::find_tlv(ex, 0x6E);
    REQUIRE(top.ok());
    CHECK(top->encoded.size() == ex.size());
    auto nested = qscd::find_tlv(ex, 0x4F);
    REQUIRE_FALSE(nested.ok());
    CHECK(nested.error() == TlvError::NotFound);

    const Bytes seq = H("C1 01 11 C2 01 22 C2 01 33");
    auto c2 = qscd::find_tlv(seq, 0xC2);
    REQUIRE(c2.ok());
    CHECK(to_hex(c2->value) == "22");  // the first match

    auto bad = qscd::find_tlv(H("C1 01 11 C2 05 22"), 0xC3);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == TlvError::Truncated);
}

TEST_CASE("find_tlv_recursive finds objects at any depth", "[tlv][openpgp]") {
    const Bytes ex = openpgp_6e();
    auto c4 = qscd::find_tlv_recursive(ex, 0xC4);
    REQUIRE(c4.ok());
    CHECK(to_hex(c4->value) == "00 7F 7F 7F 03 00 03");

    auto cd = qscd::find_tlv_recursive(ex, 0xCD);
    REQUIRE(cd.ok());
    CHECK(cd->value.size() == 12);
    CHECK(to_hex(cd->value.first(4)) == "65 00 00 00");

    auto hist = qscd::find_tlv_recursive(ex, 0x5F52);
    REQUIRE(hist.ok());
    CHECK(hist->value.size() == 10);

    auto inner = qscd::find_tlv_recursive(ex, 0x02);  // inside 7F66
    REQUIRE(inner.ok());
    CHECK(to_hex(inner->value) == "08 00");

    auto outer = qscd::find_tlv_recursive(ex, 0x6E);
    REQUIRE(outer.ok());
    CHECK(outer->value.size() == 0xEF);

    auto missing = qscd::find_tlv_recursive(ex, 0xC7);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error() == TlvError::NotFound);
}

TEST_CASE("find_tlv_recursive does not look inside primitive objects", "[tlv]") {
    // 5F52 holds compact-TLV that happens to contain 73; C0's value looks like a 4F TLV.
    auto r = qscd::find_tlv_recursive(H("C0 03 4F 01 AA"), 0x4F);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == TlvError::NotFound);
    auto hist = qscd::find_tlv_recursive(H("5F 52 03 73 01 AA"), 0x73);
    REQUIRE_FALSE(hist.ok());
    CHECK(hist.error() == TlvError::NotFound);
}

TEST_CASE("find_tlv_recursive reports malformed nested content", "[tlv][malformed]") {
    auto r = qscd::find_tlv_recursive(H("70 02 FF FF 4F 01 AA"), 0x4F);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == TlvError::Truncated);
}

TEST_CASE("find_tlv_recursive depth limit", "[tlv]") {
    // 20 nested constructed objects (tag 70) around a 4F.
    Bytes inner = H("4F 01 AA");
    for (int i = 0; i < 20; ++i) inner = qscd::concat(H("70"), qscd::concat(Bytes{static_cast<std::uint8_t>(inner.size())}, inner));
    auto deep = qscd::find_tlv_recursive(inner, 0x4F);
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error() == TlvError::TooDeep);
    auto deeper_limit = qscd::find_tlv_recursive(inner, 0x4F, 32);
    REQUIRE(deeper_limit.ok());
    CHECK(to_hex(deeper_limit->value) == "AA");
}

// ---------------------------------------------------------------------------------------------
// validate_tlv_sequence

TEST_CASE("validate_tlv_sequence accepts well-formed sequences", "[tlv][validate]") {
    auto empty = qscd::validate_tlv_sequence(Bytes{});
    REQUIRE(empty.ok());
    auto flat = qscd::validate_tlv_sequence(H("C1 01 11 C2 00 5F 52 01 00"));
    REQUIRE(flat.ok());
    // Garbage inside a primitive value is fine.
    auto prim = qscd::validate_tlv_sequence(H("C0 03 FF FF FF"));
    REQUIRE(prim.ok());
    auto nested = qscd::validate_tlv_sequence(H("6E 07 73 05 C4 03 00 7F 7F"));
    REQUIRE(nested.ok());
}

TEST_CASE("validate_tlv_sequence rejects nested garbage", "[tlv][validate][malformed]") {
    struct Case {
        const char* hex;
        TlvError error;
    };
    const Case cases[] = {
        {"6E 05 73 03 C0 05 00", TlvError::Truncated},        // inner value too long
        {"70 02 FF FF", TlvError::Truncated},                 // inner multi-byte tag never ends
        {"6E 04 73 02 C4 80", TlvError::LengthTooLong},       // inner indefinite length
        {"6E 04 73 02 C4 84", TlvError::LengthTooLong},       // inner 5-byte length
        {"6E 07 1F 81 82 83 04 01 AA", TlvError::TagTooLong}, // inner 5-byte tag
        {"6E 08 1F 81 82 83 04 01 AA", TlvError::Truncated},  // outer length runs past the end
        {"6E 02 C4 00 C5", TlvError::Truncated},              // trailing byte at top level
        {"C1 01 11 73 03 C4 01", TlvError::Truncated},        // second object truncated
        {"7F 49 03 86 82 01", TlvError::Truncated},           // inner length truncated
    };
    for (const Case& c : cases) {
        INFO(c.hex);
        auto r = qscd::validate_tlv_sequence(H(c.hex));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error() == c.error);
    }
}

TEST_CASE("validate_tlv_sequence depth limit", "[tlv][validate]") {
    auto nest = [](int levels) {
        Bytes b = H("C0 00");
        for (int i = 0; i < levels; ++i) b = qscd::concat(Bytes{0x70, static_cast<std::uint8_t>(b.size())}, b);
        return b;
    };
    CHECK(qscd::validate_tlv_sequence(nest(3)).ok());
    CHECK(qscd::validate_tlv_sequence(nest(8)).ok());
    auto deep = qscd::validate_tlv_sequence(nest(20));
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error() == TlvError::TooDeep);
    auto small_limit = qscd::validate_tlv_sequence(nest(3), 1);
    REQUIRE_FALSE(small_limit.ok());
    CHECK(small_limit.error() == TlvError::TooDeep);
}

TEST_CASE("TlvError descriptions are distinct", "[tlv]") {
    std::set<std::string> seen;
    for (TlvError e : {TlvError::Truncated, TlvError::TagTooLong, TlvError::LengthTooLong,
                       TlvError::NotConstructed, TlvError::NotFound, TlvError::TooDeep}) {
        const std::string s = qscd::describe(e);
        CHECK_FALSE(s.empty());
        seen.insert(s);
    }
    CHECK(seen.size() == 6);
}

// ---------------------------------------------------------------------------------------------
// Building

TEST_CASE("encode_tlv uses minimal lengths", "[tlv][build]") {
    CHECK(to_hex(qscd::encode_tlv(0xC4, Bytes{})) == "C4 00");
    CHECK(to_hex(qscd::encode_tlv(0x4F, H("D2 76"))) == "4F 02 D2 76");

    struct Row {
        std::size_t length;
        const char* header;
    };
    const Row rows[] = {
        {1, "53 01"},          {127, "53 7F"},          {128, "53 81 80"},       {255, "53 81 FF"},
        {256, "53 82 01 00"},  {265, "53 82 01 09"},    {65535, "53 82 FF FF"},  {65536, "53 83 01 00 00"},
    };
    for (const Row& r : rows) {
        INFO("length " << r.length);
        const Bytes value = filled(r.length);
        const Bytes enc = qscd::encode_tlv(0x53, value);
        const Bytes header = H(r.header);
        REQUIRE(enc.size() == header.size() + r.length);
        CHECK(to_hex(ByteView(enc).first(header.size())) == r.header);
        CHECK(Bytes(enc.begin() + static_cast<std::ptrdiff_t>(header.size()), enc.end()) == value);
        // And it parses back.
        const Tlv t = parse_one(enc);
        CHECK(t.tag == 0x53);
        CHECK(t.value.size() == r.length);
    }
}

TEST_CASE("encode_tlv with multi-byte tags", "[tlv][build]") {
    CHECK(to_hex(qscd::encode_tlv(0x5F52, H("00 31"))) == "5F 52 02 00 31");
    CHECK(to_hex(qscd::encode_tlv(0x7F49, H("86 00"))) == "7F 49 02 86 00");
    CHECK(to_hex(qscd::encode_tlv(0x5FC105, H("AA"))) == "5F C1 05 01 AA");
    CHECK(to_hex(qscd::encode_tlv(0x1F818203u, Bytes{})) == "1F 81 82 03 00");
    const Bytes big = qscd::encode_tlv(0x7F49, filled(265));
    CHECK(to_hex(ByteView(big).first(5)) == "7F 49 82 01 09");
    CHECK(big.size() == 270);
}

TEST_CASE("append_tlv appends after existing content", "[tlv][build]") {
    Bytes out = H("AA BB");
    qscd::append_tlv(out, 0xC4, H("01"));
    qscd::append_tlv(out, 0x5F52, Bytes{});
    CHECK(to_hex(out) == "AA BB C4 01 01 5F 52 00");
    qscd::append_tlv(out, 0x53, filled(128));
    REQUIRE(out.size() == 8 + 3 + 128);
    CHECK(to_hex(ByteView(out).subspan(8, 3)) == "53 81 80");
}

TEST_CASE("TlvWriter writes nested objects", "[tlv][build]") {
    std::array<std::uint8_t, 64> buf{};
    TlvWriter w(buf);
    w.open(0x6E, 12);
    w.open(0x73, 10);
    w.put(0xC4, H("00 7F 7F 7F 03"));
    w.put_byte(0x93, 0x05);
    CHECK_FALSE(w.overflowed());
    CHECK(w.size() == 14);
    CHECK(to_hex(w.written()) == "6E 0C 73 0A C4 05 00 7F 7F 7F 03 93 01 05");
    CHECK(w.written().data() == buf.data());
    auto t93 = qscd::find_tlv_path(w.written(), {0x6E, 0x73, 0x93});
    REQUIRE(t93.ok());
    CHECK(to_hex(t93->value) == "05");
    CHECK(qscd::validate_tlv_sequence(w.written()).ok());
}

TEST_CASE("TlvWriter lengths and raw", "[tlv][build]") {
    std::array<std::uint8_t, 16> buf{};
    TlvWriter w(buf);
    w.write_tag(0x7F49);
    w.write_length(265);
    w.raw(H("81 82"));
    w.write_length(127);
    w.write_length(128);
    w.write_length(0);
    w.write_length(65536);
    CHECK_FALSE(w.overflowed());
    CHECK(to_hex(w.written()) == "7F 49 82 01 09 81 82 7F 81 80 00 83 01 00 00");
}

TEST_CASE("TlvWriter exact fit does not overflow", "[tlv][build]") {
    std::array<std::uint8_t, 8> storage;
    storage.fill(0xEE);
    TlvWriter w(std::span<std::uint8_t>(storage.data(), 5));
    w.put(0x5F52, H("00 31"));
    CHECK_FALSE(w.overflowed());
    CHECK(w.size() == 5);
    CHECK(to_hex(storage) == "5F 52 02 00 31 EE EE EE");
    w.raw(Bytes{});  // nothing to write still fits
    CHECK_FALSE(w.overflowed());
    w.put_byte(0x01, 0x02);
    CHECK(w.overflowed());
    CHECK(w.size() == 5);
    CHECK(to_hex(storage) == "5F 52 02 00 31 EE EE EE");
}

TEST_CASE("TlvWriter overflow never writes past the buffer", "[tlv][build][overflow]") {
    // Each scenario writes into the first `cap` bytes of a guarded buffer.
    constexpr std::uint8_t kGuard = 0xA5;
    for (std::size_t cap = 0; cap <= 12; ++cap) {
        for (int scenario = 0; scenario < 5; ++scenario) {
            INFO("cap " << cap << " scenario " << scenario);
            std::array<std::uint8_t, 48> storage;
            storage.fill(kGuard);
            TlvWriter w(std::span<std::uint8_t>(storage.data(), cap));
            const Bytes value = filled(10);
            std::size_t needed = 0;
            switch (scenario) {
                case 0: w.put(0x53, value); needed = 12; break;                   // value overflows
                case 1: w.put(0x5FC105, value); needed = 14; break;               // tag may overflow
                case 2: w.open(0x7F49, 300); needed = 5; break;                   // length overflows
                case 3: w.write_length(70000); needed = 4; break;
                case 4: w.raw(value); needed = 10; break;
            }
            const bool should_overflow = cap < needed;
            CHECK(w.overflowed() == should_overflow);
            CHECK(w.size() <= cap);
            if (!should_overflow) CHECK(w.size() == needed);
            for (std::size_t i = cap; i < storage.size(); ++i) {
                INFO("guard byte " << i);
                REQUIRE(storage[i] == kGuard);
            }
            // Sticky: further writes are ignored, even tiny ones that would fit.
            if (should_overflow) {
                const std::size_t before = w.size();
                const auto snapshot = storage;
                w.put_byte(0x01, 0x02);
                w.raw(H("FF"));
                w.write_tag(0x4F);
                w.write_length(1);
                CHECK(w.overflowed());
                CHECK(w.size() == before);
                CHECK(storage == snapshot);
            }
        }
    }
}

TEST_CASE("TlvWriter overflow is sticky after a large raw write", "[tlv][build][overflow]") {
    std::array<std::uint8_t, 12> storage;
    storage.fill(0xA5);
    TlvWriter w(std::span<std::uint8_t>(storage.data(), 8));
    w.put_byte(0xC4, 0x01);  // 3 bytes
    w.raw(filled(6));        // would need 9: rejected whole, nothing written
    CHECK(w.overflowed());
    CHECK(w.size() == 3);
    w.put_byte(0xC5, 0x02);  // would fit in the 5 remaining bytes, but overflow is sticky
    CHECK(w.size() == 3);
    CHECK(to_hex(storage) == "C4 01 01 A5 A5 A5 A5 A5 A5 A5 A5 A5");
}
