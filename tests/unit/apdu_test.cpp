// Command and response APDUs (qscd/codec/apdu.hpp), iso7816.md §1 and §1.1.
#include <catch2/catch.hpp>

#include "hex.hpp"

#include <random>
#include <set>
#include <string>

#include "qscd/codec/apdu.hpp"

using qscd::ApduError;
using qscd::Bytes;
using qscd::ByteView;
using qscd::CommandApdu;
using qscd::CommandApduView;
using qscd::parse_command_apdu;
using qscd::parse_response_apdu;
using qscd::ResponseApdu;
using qscd::StatusWord;
using qscd::to_hex;

namespace {

Bytes H(std::string_view hex) { return qscd::test::hex(hex); }

Bytes pattern(std::size_t n, std::uint8_t seed = 0) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
    return b;
}

std::string enc_hex(const CommandApdu& c, bool force = false) {
    auto r = c.encode(force);
    REQUIRE(r.ok());
    return to_hex(*r);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Encoding

TEST_CASE("encode case 1", "[apdu][encode]") {
    CommandApdu c(0x00, 0x20, 0x00, 0x81);
    CHECK(c.iso_case() == 1);
    CHECK_FALSE(c.needs_extended());
    CHECK(enc_hex(c) == "00 20 00 81");
    CHECK(enc_hex(c, true) == "00 20 00 81");  // nothing to extend
}

TEST_CASE("encode case 2S", "[apdu][encode]") {
    CommandApdu c(0x00, 0xCA, 0x00, 0x6E, {}, 256);
    CHECK(c.iso_case() == 2);
    CHECK(enc_hex(c) == "00 CA 00 6E 00");  // Le 256 → 00
    c.ne = 1;
    CHECK(enc_hex(c) == "00 CA 00 6E 01");
    c.ne = 0x0E;
    CHECK(enc_hex(c) == "00 CA 00 6E 0E");
    c.ne = 255;
    CHECK(enc_hex(c) == "00 CA 00 6E FF");
}

TEST_CASE("encode case 3S", "[apdu][encode]") {
    CommandApdu c(0x00, 0x20, 0x00, 0x81, H("31 32 33 34 35 36"));
    CHECK(c.iso_case() == 3);
    CHECK(enc_hex(c) == "00 20 00 81 06 31 32 33 34 35 36");
    CommandApdu one(0x00, 0xDA, 0x00, 0xC1, Bytes{0xAB});
    CHECK(enc_hex(one) == "00 DA 00 C1 01 AB");
}

TEST_CASE("encode case 4S", "[apdu][encode]") {
    CommandApdu c(0x00, 0xA4, 0x04, 0x00, H("D2 76 00 01 24 01"), 256);
    CHECK(c.iso_case() == 4);
    CHECK(enc_hex(c) == "00 A4 04 00 06 D2 76 00 01 24 01 00");
    CommandApdu g(0x00, 0x47, 0x80, 0x00, H("B6 00"), 0x0E);
    CHECK(enc_hex(g) == "00 47 80 00 02 B6 00 0E");
}

TEST_CASE("encode case 2E", "[apdu][encode]") {
    CommandApdu c(0x00, 0xCA, 0x7F, 0x21, {}, 65536);
    CHECK(c.iso_case() == 2);
    CHECK(c.needs_extended());
    CHECK(enc_hex(c) == "00 CA 7F 21 00 00 00");  // Le 65536 → 00 00 00
    c.ne = 257;
    CHECK(enc_hex(c) == "00 CA 7F 21 00 01 01");
    c.ne = 65535;
    CHECK(enc_hex(c) == "00 CA 7F 21 00 FF FF");
    c.ne = 270;
    CHECK(enc_hex(c) == "00 CA 7F 21 00 01 0E");
}

TEST_CASE("encode case 3E", "[apdu][encode]") {
    const Bytes data = pattern(778);
    CommandApdu c(0x00, 0xDA, 0x7F, 0x21, data);
    CHECK(c.iso_case() == 3);
    auto r = c.encode();
    REQUIRE(r.ok());
    REQUIRE(r->size() == 4 + 3 + 778);
    CHECK(to_hex(ByteView(*r).first(7)) == "00 DA 7F 21 00 03 0A");
    CHECK(Bytes(r->begin() + 7, r->end()) == data);

    CommandApdu max(0x00, 0xDA, 0x00, 0x00, pattern(65535));
    auto m = max.encode();
    REQUIRE(m.ok());
    REQUIRE(m->size() == 4 + 3 + 65535);
    CHECK(to_hex(ByteView(*m).first(7)) == "00 DA 00 00 00 FF FF");
}

TEST_CASE("encode case 4E", "[apdu][encode]") {
    CommandApdu c(0x00, 0x47, 0x80, 0x00, H("B6 00"), 65536);
    CHECK(c.iso_case() == 4);
    CHECK(enc_hex(c) == "00 47 80 00 00 00 02 B6 00 00 00");
    c.ne = 270;
    CHECK(enc_hex(c) == "00 47 80 00 00 00 02 B6 00 01 0E");
    c.ne = 257;
    CHECK(enc_hex(c) == "00 47 80 00 00 00 02 B6 00 01 01");

    // Extended because of the data; Le 256 is then 01 00 (not 00).
    const Bytes data = pattern(256);
    CommandApdu big(0x00, 0x2A, 0x9E, 0x9A, data, 256);
    auto r = big.encode();
    REQUIRE(r.ok());
    REQUIRE(r->size() == 4 + 3 + 256 + 2);
    CHECK(to_hex(ByteView(*r).first(7)) == "00 2A 9E 9A 00 01 00");
    CHECK(Bytes(r->begin() + 7, r->end() - 2) == data);
    CHECK(to_hex(ByteView(*r).last(2)) == "01 00");
}

TEST_CASE("encode switches to extended between 255 and 256 data bytes", "[apdu][encode]") {
    CommandApdu c(0x00, 0xDA, 0x00, 0xC1, pattern(255));
    CHECK_FALSE(c.needs_extended());
    auto s = c.encode();
    REQUIRE(s.ok());
    REQUIRE(s->size() == 4 + 1 + 255);
    CHECK((*s)[4] == 0xFF);
    CHECK(Bytes(s->begin() + 5, s->end()) == c.data);

    c.data = pattern(256);
    CHECK(c.needs_extended());
    auto e = c.encode();
    REQUIRE(e.ok());
    REQUIRE(e->size() == 4 + 3 + 256);
    CHECK(to_hex(ByteView(*e).subspan(4, 3)) == "00 01 00");
    CHECK(Bytes(e->begin() + 7, e->end()) == c.data);

    // 255 data bytes and Le 256 still fit short (case 4S).
    CommandApdu four(0x00, 0x2A, 0x9E, 0x9A, pattern(255), 256);
    CHECK_FALSE(four.needs_extended());
    auto f = four.encode();
    REQUIRE(f.ok());
    REQUIRE(f->size() == 4 + 1 + 255 + 1);
    CHECK((*f)[4] == 0xFF);
    CHECK(f->back() == 0x00);
}

TEST_CASE("encode switches to extended between Ne 256 and 257", "[apdu][encode]") {
    CommandApdu c(0x00, 0xB0, 0x00, 0x00, {}, 256);
    CHECK_FALSE(c.needs_extended());
    CHECK(enc_hex(c) == "00 B0 00 00 00");
    c.ne = 257;
    CHECK(c.needs_extended());
    CHECK(enc_hex(c) == "00 B0 00 00 00 01 01");
    // Short data with a large Ne: both fields go extended (never mix).
    CommandApdu d(0x00, 0x47, 0x80, 0x00, H("B6 00"), 257);
    CHECK(enc_hex(d) == "00 47 80 00 00 00 02 B6 00 01 01");
}

TEST_CASE("encode force_extended", "[apdu][encode]") {
    CHECK(enc_hex(CommandApdu(0x00, 0xCA, 0x00, 0x6E, {}, 256), true) == "00 CA 00 6E 00 01 00");
    CHECK(enc_hex(CommandApdu(0x00, 0xCA, 0x00, 0x6E, {}, 1), true) == "00 CA 00 6E 00 00 01");
    CHECK(enc_hex(CommandApdu(0x00, 0xCA, 0x00, 0x6E, {}, 65536), true) == "00 CA 00 6E 00 00 00");
    CHECK(enc_hex(CommandApdu(0x00, 0xDA, 0x00, 0xC1, H("B6 00")), true) == "00 DA 00 C1 00 00 02 B6 00");
    CHECK(enc_hex(CommandApdu(0x00, 0x47, 0x80, 0x00, H("B6 00"), 256), true) ==
          "00 47 80 00 00 00 02 B6 00 01 00");
    CHECK(enc_hex(CommandApdu(0x00, 0x47, 0x80, 0x00, H("B6 00"), 0x0E), true) ==
          "00 47 80 00 00 00 02 B6 00 00 0E");
    // Without force the same commands are short.
    CHECK(enc_hex(CommandApdu(0x00, 0x47, 0x80, 0x00, H("B6 00"), 256)) == "00 47 80 00 02 B6 00 00");
}

TEST_CASE("encode rejects data over 65535 bytes", "[apdu][encode]") {
    CommandApdu c(0x00, 0xDA, 0x00, 0x00, pattern(65536));
    auto r = c.encode();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == ApduError::DataTooLong);
    auto f = c.encode(true);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error() == ApduError::DataTooLong);
    c.ne = 256;
    auto four = c.encode();
    REQUIRE_FALSE(four.ok());
    CHECK(four.error() == ApduError::DataTooLong);
}

TEST_CASE("encode rejects Ne over 65536", "[apdu][encode]") {
    CommandApdu c(0x00, 0xB0, 0x00, 0x00, {}, 65537);
    auto r = c.encode();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == ApduError::LeTooLarge);
    c.ne = 0xFFFFFFFFu;
    auto m = c.encode(true);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error() == ApduError::LeTooLarge);
    CommandApdu d(0x00, 0x2A, 0x9E, 0x9A, H("01 02"), 70000);
    auto e = d.encode();
    REQUIRE_FALSE(e.ok());
    CHECK(e.error() == ApduError::LeTooLarge);
}

TEST_CASE("ApduError descriptions are distinct", "[apdu]") {
    std::set<std::string> seen;
    for (ApduError e : {ApduError::TooShort, ApduError::LengthMismatch, ApduError::DataTooLong,
                        ApduError::LeTooLarge}) {
        const std::string s = qscd::describe(e);
        CHECK_FALSE(s.empty());
        seen.insert(s);
    }
    CHECK(seen.size() == 4);
}

// ---------------------------------------------------------------------------------------------
// Card-side parser, iso7816.md §1.1

TEST_CASE("parse case 1", "[apdu][parse]") {
    const Bytes raw = H("00 20 00 81");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->cla == 0x00);
    CHECK(r->ins == 0x20);
    CHECK(r->p1 == 0x00);
    CHECK(r->p2 == 0x81);
    CHECK(r->iso_case == 1);
    CHECK(r->ne == 0);
    CHECK(r->data.empty());
    CHECK_FALSE(r->extended);
    CHECK_FALSE(r->has_le());
}

TEST_CASE("parse case 2S with Le 00 is Ne 256", "[apdu][parse]") {
    const Bytes raw = H("00 CA 00 6E 00");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->ins == 0xCA);
    CHECK(r->p2 == 0x6E);
    CHECK(r->iso_case == 2);
    CHECK(r->ne == 256);
    CHECK(r->data.empty());
    CHECK_FALSE(r->extended);
    CHECK(r->has_le());
}

TEST_CASE("parse case 2S with explicit Le", "[apdu][parse]") {
    const Bytes raw = H("00 C0 00 00 0E");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->iso_case == 2);
    CHECK(r->ne == 14);
    CHECK_FALSE(r->extended);
    const Bytes ff = H("00 C0 00 00 FF");
    auto f = parse_command_apdu(ff);
    REQUIRE(f.ok());
    CHECK(f->ne == 255);
}

TEST_CASE("parse case 3S", "[apdu][parse]") {
    const Bytes raw = H("00 20 00 81 06 31 32 33 34 35 36");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->iso_case == 3);
    CHECK(r->ne == 0);
    CHECK_FALSE(r->extended);
    CHECK_FALSE(r->has_le());
    REQUIRE(r->data.size() == 6);
    CHECK(r->data.data() == raw.data() + 5);  // borrows the input
    CHECK(to_hex(r->data) == "31 32 33 34 35 36");
}

TEST_CASE("parse case 4S SELECT with Le 00 is Ne 256", "[apdu][parse]") {
    const Bytes raw = H("00 A4 04 00 06 D2 76 00 01 24 01 00");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->ins == 0xA4);
    CHECK(r->p1 == 0x04);
    CHECK(r->iso_case == 4);
    CHECK(r->ne == 256);
    CHECK_FALSE(r->extended);
    CHECK(r->has_le());
    REQUIRE(r->data.size() == 6);
    CHECK(r->data.data() == raw.data() + 5);
    CHECK(to_hex(r->data) == "D2 76 00 01 24 01");
}

TEST_CASE("parse case 4S with explicit Le", "[apdu][parse]") {
    const Bytes raw = H("00 47 80 00 02 B6 00 0E");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->iso_case == 4);
    CHECK(r->ne == 14);
    CHECK(to_hex(r->data) == "B6 00");
}

TEST_CASE("parse short Lc FF boundaries", "[apdu][parse]") {
    Bytes three = {0x00, 0xDA, 0x00, 0xC1, 0xFF};
    const Bytes data = pattern(255);
    three.insert(three.end(), data.begin(), data.end());
    auto r3 = parse_command_apdu(three);
    REQUIRE(r3.ok());
    CHECK(r3->iso_case == 3);
    CHECK(r3->data.size() == 255);
    CHECK(Bytes(r3->data.begin(), r3->data.end()) == data);

    Bytes four = three;
    four.push_back(0x80);
    auto r4 = parse_command_apdu(four);
    REQUIRE(r4.ok());
    CHECK(r4->iso_case == 4);
    CHECK(r4->ne == 128);
    CHECK(r4->data.size() == 255);
}

TEST_CASE("parse case 2E", "[apdu][parse]") {
    const Bytes raw = H("00 CA 7F 21 00 00 00");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->iso_case == 2);
    CHECK(r->ne == 65536);
    CHECK(r->extended);
    CHECK(r->data.empty());
    CHECK(r->has_le());

    const Bytes explicit_le = H("00 B0 00 00 00 01 0E");
    auto e = parse_command_apdu(explicit_le);
    REQUIRE(e.ok());
    CHECK(e->iso_case == 2);
    CHECK(e->ne == 270);
    CHECK(e->extended);

    const Bytes small = H("00 B0 00 00 00 00 05");
    auto s = parse_command_apdu(small);
    REQUIRE(s.ok());
    CHECK(s->ne == 5);
    CHECK(s->extended);
}

TEST_CASE("parse case 3E", "[apdu][parse]") {
    const Bytes raw = H("00 DA 00 C1 00 00 02 B6 00");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->iso_case == 3);
    CHECK(r->ne == 0);
    CHECK(r->extended);
    REQUIRE(r->data.size() == 2);
    CHECK(r->data.data() == raw.data() + 7);
    CHECK(to_hex(r->data) == "B6 00");

    Bytes big = H("00 DA 7F 21 00 03 0A");
    const Bytes data = pattern(778);
    big.insert(big.end(), data.begin(), data.end());
    auto b = parse_command_apdu(big);
    REQUIRE(b.ok());
    CHECK(b->iso_case == 3);
    CHECK(b->data.size() == 778);
    CHECK(Bytes(b->data.begin(), b->data.end()) == data);
}

TEST_CASE("parse case 4E with Le 0000 is Ne 65536", "[apdu][parse]") {
    const Bytes raw = H("00 47 80 00 00 00 02 B6 00 00 00");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->ins == 0x47);
    CHECK(r->p1 == 0x80);
    CHECK(r->iso_case == 4);
    CHECK(r->ne == 65536);
    CHECK(r->extended);
    REQUIRE(r->data.size() == 2);
    CHECK(r->data.data() == raw.data() + 7);
    CHECK(to_hex(r->data) == "B6 00");
}

TEST_CASE("parse case 4E with a two-byte non-zero Le", "[apdu][parse]") {
    // The shape vsmartcard's parser wrongly rejects (iso7816.md §1.1).
    const Bytes raw = H("00 47 80 00 00 00 02 B6 00 01 0E");
    auto r = parse_command_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->iso_case == 4);
    CHECK(r->ne == 270);
    CHECK(r->extended);
    CHECK(to_hex(r->data) == "B6 00");
}

TEST_CASE("parse rejects fewer than 4 bytes", "[apdu][parse][malformed]") {
    for (std::size_t n = 0; n < 4; ++n) {
        const Bytes raw(n, 0x00);
        INFO("length " << n);
        auto r = parse_command_apdu(raw);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error() == ApduError::TooShort);
    }
    const Bytes three = H("00 A4 04");
    auto r = parse_command_apdu(three);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == ApduError::TooShort);
}

TEST_CASE("parse rejects malformed vectors with LengthMismatch", "[apdu][parse][malformed]") {
    const char* vectors[] = {
        "00 00 00 00 00 01",                    // 6 bytes, b4 = 00: neither 2E nor 3E
        "00 A4 04 00 00 D2",                    // 6 bytes, b4 = 00
        "00 A4 04 00 06 D2 76",                 // short Lc 6, only 2 data bytes
        "00 A4 04 00 06 D2 76 00 01 24",        // short Lc 6, 5 data bytes
        "00 A4 04 00 06 D2 76 00 01 24 01 00 00",  // short Lc 6, two trailing bytes
        "00 A4 04 00 01 AA BB CC",              // Lc 1 but 3 bytes follow
        "00 20 00 81 05 31",                    // Lc 5, 1 byte
        "00 DA 7F 21 00 00 03 AA BB",           // extended Lc 3, 2 bytes
        "00 DA 7F 21 00 00 03 AA BB CC DD",     // extended Lc 3, 4 bytes (1-byte Le)
        "00 DA 7F 21 00 00 03 AA BB CC DD EE FF",  // extended Lc 3, 3 trailing bytes
        "00 47 80 00 00 00 02 B6 00 00",        // 4E with a 1-byte Le
        "00 47 80 00 00 00 02 B6 00 00 00 00",  // 4E with a 3-byte Le (vsmartcard style)
        "00 00 00 00 00 00 00 AA",              // extended Lc = 0000 with data
        "00 CA 00 6E 00 00 00 00",              // extended Lc = 0000, 8 bytes
        "00 CA 00 6E 00 00 00 00 00",           // extended Lc = 0000, 9 bytes (not 4E)
        "00 DA 00 00 00 FF FF 01",              // extended Lc 65535, 1 byte
        "00 DA 00 00 FF 01",                    // short Lc 255, 1 byte
    };
    for (const char* hex : vectors) {
        INFO(hex);
        const Bytes raw = H(hex);
        auto r = parse_command_apdu(raw);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error() == ApduError::LengthMismatch);
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips and robustness

namespace {

void check_round_trip(const CommandApdu& c, bool force) {
    INFO("data " << c.data.size() << " ne " << c.ne << " force " << force);
    auto enc = c.encode(force);
    REQUIRE(enc.ok());
    const Bytes& raw = *enc;
    const bool extended = (force || c.needs_extended()) && c.iso_case() != 1;
    std::size_t expected_size = 4;
    if (!c.data.empty()) expected_size += (extended ? 3 : 1) + c.data.size();
    if (c.ne) expected_size += extended ? (c.data.empty() ? 3 : 2) : 1;
    CHECK(raw.size() == expected_size);

    auto p = parse_command_apdu(raw);
    REQUIRE(p.ok());
    CHECK(p->cla == c.cla);
    CHECK(p->ins == c.ins);
    CHECK(p->p1 == c.p1);
    CHECK(p->p2 == c.p2);
    CHECK(p->iso_case == c.iso_case());
    CHECK(p->ne == c.ne);
    CHECK(p->extended == extended);
    CHECK(p->data.size() == c.data.size());
    CHECK(Bytes(p->data.begin(), p->data.end()) == c.data);
}

}  // namespace

TEST_CASE("encode then parse round trips many shapes", "[apdu][roundtrip]") {
    const std::size_t sizes[] = {0, 1, 2, 6, 127, 128, 200, 254, 255, 256, 257, 1000, 4096, 65534, 65535};
    const std::uint32_t nes[] = {0, 1, 2, 14, 127, 128, 255, 256, 257, 270, 1000, 4096, 65535, 65536};
    std::uint8_t ins = 0;
    for (std::size_t size : sizes) {
        for (std::uint32_t ne : nes) {
            for (bool force : {false, true}) {
                CommandApdu c(0x10, ins++, static_cast<std::uint8_t>(size), static_cast<std::uint8_t>(ne),
                              pattern(size, static_cast<std::uint8_t>(ne)), ne);
                check_round_trip(c, force);
            }
        }
    }
}

TEST_CASE("parse then re-encode reproduces the table vectors", "[apdu][roundtrip]") {
    const char* vectors[] = {
        "00 20 00 81",
        "00 CA 00 6E 00",
        "00 C0 00 00 0E",
        "00 20 00 81 06 31 32 33 34 35 36",
        "00 A4 04 00 06 D2 76 00 01 24 01 00",
        "00 47 80 00 02 B6 00 0E",
        "00 CA 7F 21 00 00 00",
        "00 B0 00 00 00 00 05",
        "00 DA 00 C1 00 00 02 B6 00",
        "00 47 80 00 00 00 02 B6 00 00 00",
        "00 47 80 00 00 00 02 B6 00 01 0E",
        "00 47 80 00 00 00 02 B6 00 01 00",
    };
    for (const char* hex : vectors) {
        INFO(hex);
        const Bytes raw = H(hex);
        auto p = parse_command_apdu(raw);
        REQUIRE(p.ok());
        CommandApdu c(p->cla, p->ins, p->p1, p->p2, Bytes(p->data.begin(), p->data.end()), p->ne);
        auto e = c.encode(p->extended);
        REQUIRE(e.ok());
        CHECK(to_hex(*e) == to_hex(raw));
    }
}

namespace {

struct Expected {
    bool ok = false;
    int iso_case = 0;
    std::uint32_t ne = 0;
    std::size_t data_offset = 0;
    std::size_t data_size = 0;
    bool extended = false;
};

// Independent transcription of the iso7816.md §1.1 table.
Expected reference_parse(const Bytes& raw) {
    Expected e;
    const std::size_t L = raw.size();
    if (L < 4) return e;
    if (L == 4) return {true, 1, 0, 0, 0, false};
    const std::size_t b4 = raw[4];
    if (L == 5) return {true, 2, b4 ? static_cast<std::uint32_t>(b4) : 256u, 0, 0, false};
    if (b4 != 0) {
        if (L == 5 + b4) return {true, 3, 0, 5, b4, false};
        if (L == 6 + b4) return {true, 4, raw[L - 1] ? raw[L - 1] : 256u, 5, b4, false};
        return e;
    }
    if (L == 7) {
        const std::uint32_t le = static_cast<std::uint32_t>(raw[5]) * 256 + raw[6];
        return {true, 2, le ? le : 65536u, 0, 0, true};
    }
    if (L < 7) return e;
    const std::size_t lc = static_cast<std::size_t>(raw[5]) * 256 + raw[6];
    if (lc == 0) return e;
    if (L == 7 + lc) return {true, 3, 0, 7, lc, true};
    if (L == 9 + lc) {
        const std::uint32_t le = static_cast<std::uint32_t>(raw[L - 2]) * 256 + raw[L - 1];
        return {true, 4, le ? le : 65536u, 7, lc, true};
    }
    return e;
}

void check_against_reference(const Bytes& raw) {
    // `raw` is its own heap block of exactly raw.size() bytes: any overread is an ASan error.
    const Expected want = reference_parse(raw);
    auto got = parse_command_apdu(raw);
    REQUIRE(got.ok() == want.ok);
    if (!got.ok()) {
        if (raw.size() < 4) {
            CHECK(got.error() == ApduError::TooShort);
        } else {
            CHECK(got.error() == ApduError::LengthMismatch);
        }
        return;
    }
    CHECK(got->iso_case == want.iso_case);
    CHECK(got->ne == want.ne);
    CHECK(got->extended == want.extended);
    REQUIRE(got->data.size() == want.data_size);
    if (want.data_size) {
        CHECK(got->data.data() == raw.data() + want.data_offset);
    }
    // The view stays within the input.
    CHECK(got->data.data() + got->data.size() <= raw.data() + raw.size());

    // An accepted APDU re-encodes to exactly the same bytes.
    CommandApdu c(got->cla, got->ins, got->p1, got->p2, Bytes(got->data.begin(), got->data.end()), got->ne);
    CHECK(c.iso_case() == got->iso_case);
    auto enc = c.encode(got->extended);
    REQUIRE(enc.ok());
    CHECK(*enc == raw);
}

}  // namespace

TEST_CASE("parse random buffers of every length 0..300", "[apdu][fuzz]") {
    std::mt19937 rng(0x7816u);
    std::uniform_int_distribution<int> byte_dist(0, 255);
    std::size_t accepted = 0;
    for (std::size_t len = 0; len <= 300; ++len) {
        for (int iter = 0; iter < 64; ++iter) {
            Bytes raw(len);
            for (auto& b : raw) b = static_cast<std::uint8_t>(byte_dist(rng));
            // Bias half the buffers towards consistent length fields so the accept paths run too.
            if (len > 4) {
                switch (iter % 8) {
                    case 0: if (len >= 6 && len - 5 <= 255) raw[4] = static_cast<std::uint8_t>(len - 5); break;
                    case 1: if (len >= 7 && len - 6 <= 255) raw[4] = static_cast<std::uint8_t>(len - 6); break;
                    case 2:
                        raw[4] = 0;
                        if (len >= 8) { raw[5] = static_cast<std::uint8_t>((len - 7) >> 8); raw[6] = static_cast<std::uint8_t>(len - 7); }
                        break;
                    case 3:
                        raw[4] = 0;
                        if (len >= 10) { raw[5] = static_cast<std::uint8_t>((len - 9) >> 8); raw[6] = static_cast<std::uint8_t>(len - 9); }
                        break;
                    case 4:
                        raw[4] = 0;
                        if (len >= 7) { raw[5] = 0; raw[6] = 0; }
                        break;
                    default: break;
                }
            }
            INFO("len " << len << " raw " << to_hex(raw));
            check_against_reference(raw);
            if (parse_command_apdu(raw).ok()) ++accepted;
        }
    }
    // The biasing must actually exercise the accepting paths.
    CHECK(accepted > 300);
}

TEST_CASE("parse exhaustive small extended-length headers", "[apdu][fuzz]") {
    // Every Lc1 Lc2 for buffers of 6..12 bytes starting with an extended marker.
    for (std::size_t len = 5; len <= 12; ++len) {
        for (int hi = 0; hi < 256; hi += 51) {
            for (int lo = 0; lo < 256; ++lo) {
                Bytes raw(len, 0xA5);
                raw[4] = 0;
                if (len > 5) raw[5] = static_cast<std::uint8_t>(hi);
                if (len > 6) raw[6] = static_cast<std::uint8_t>(lo);
                INFO("len " << len << " raw " << to_hex(raw));
                check_against_reference(raw);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Response APDUs

TEST_CASE("parse response with only a status word", "[apdu][response]") {
    const Bytes raw = H("90 00");
    auto r = parse_response_apdu(raw);
    REQUIRE(r.ok());
    CHECK(r->data.empty());
    CHECK(r->sw.value == 0x9000);
    CHECK(r->is_success());
}

TEST_CASE("parse response with data and status word", "[apdu][response]") {
    const Bytes raw = H("7A 05 93 03 00 00 01 90 00");
    auto r = parse_response_apdu(raw);
    REQUIRE(r.ok());
    CHECK(to_hex(r->data) == "7A 05 93 03 00 00 01");
    CHECK(r->sw == qscd::sw::kSuccess);
    CHECK(r->is_success());

    const Bytes more = H("01 02 03 61 0E");
    auto m = parse_response_apdu(more);
    REQUIRE(m.ok());
    CHECK(to_hex(m->data) == "01 02 03");
    CHECK(m->sw.value == 0x610E);
    CHECK(m->sw.has_more_data());
    CHECK_FALSE(m->is_success());

    const Bytes err = H("69 82");
    auto e = parse_response_apdu(err);
    REQUIRE(e.ok());
    CHECK(e->data.empty());
    CHECK(e->sw == qscd::sw::kSecurityStatusNotSatisfied);
    CHECK_FALSE(e->is_success());
}

TEST_CASE("parse response shorter than 2 bytes is TooShort", "[apdu][response][malformed]") {
    const Bytes empty;
    auto r0 = parse_response_apdu(empty);
    REQUIRE_FALSE(r0.ok());
    CHECK(r0.error() == ApduError::TooShort);
    const Bytes one{0x90};
    auto r1 = parse_response_apdu(one);
    REQUIRE_FALSE(r1.ok());
    CHECK(r1.error() == ApduError::TooShort);
}

TEST_CASE("encode response appends SW1 SW2", "[apdu][response]") {
    ResponseApdu r;
    CHECK(to_hex(r.encode()) == "00 00");
    r.sw = qscd::sw::kSuccess;
    CHECK(to_hex(r.encode()) == "90 00");
    r.data = H("97 FE 96");
    r.sw = StatusWord(0x63C3);
    CHECK(to_hex(r.encode()) == "97 FE 96 63 C3");

    ResponseApdu big;
    big.data = pattern(256);
    big.sw = StatusWord(0x610E);
    const Bytes enc = big.encode();
    REQUIRE(enc.size() == 258);
    CHECK(enc[256] == 0x61);
    CHECK(enc[257] == 0x0E);
    auto back = parse_response_apdu(enc);
    REQUIRE(back.ok());
    CHECK(back->data == big.data);
    CHECK(back->sw == big.sw);
}
