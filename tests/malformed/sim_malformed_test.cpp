// Generated malformed commands to the simulated OpenPGP card (issue 6, item 2). Every command has the
// exact status word ISO 7816-4 / OpenPGP 3.4 and the applet prescribe, and leaves the committed state
// image byte-for-byte unchanged (no commit at all), on a card before and after PIN verification.
// Status words: iso7816.md §1-§4 (transport: 6700 length, 6E00 CLA, 6883/6884 chaining, 6D00 INS),
// openpgp-card.md per command (6A86 P1P2, 6A88 unknown DO, 6982 security, 6A80 data).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "../integration/sim_test_support.hpp"
#include "card_fixture.hpp"

using namespace malformed;

namespace {

struct Step {
    Bytes command;
    std::uint16_t sw = 0;
};
// One generated test: usually one command; chaining abuse needs a sequence.
using Case = std::vector<Step>;
using Family = std::vector<Case>;

Case one(Bytes command, std::uint16_t sw) { return Case{Step{std::move(command), sw}}; }

// Implemented INS with a P1/P2 that the applet accepts (so only the part under test is wrong).
struct Ins {
    std::uint8_t ins, p1, p2;
};
const Ins kImplemented[] = {{0x20, 0x00, 0x81}, {0x24, 0x00, 0x81}, {0x2C, 0x02, 0x81}, {0x2A, 0x9E, 0x9A},
                            {0x88, 0x00, 0x00}, {0x84, 0x00, 0x00}, {0x47, 0x81, 0x00}, {0xCA, 0x00, 0x6E},
                            {0xCC, 0x7F, 0x21}, {0xDA, 0x00, 0x5E}, {0xDB, 0x3F, 0xFF}, {0xA5, 0x02, 0x04},
                            {0xE6, 0x00, 0x00}, {0x44, 0x00, 0x00}, {0xC0, 0x00, 0x00}, {0xA4, 0x04, 0x00}};

bool implemented(std::uint8_t ins) {
    return std::any_of(std::begin(kImplemented), std::end(kImplemented), [&](const Ins& i) { return i.ins == ins; });
}

Bytes header(std::uint8_t cla, const Ins& i) { return Bytes{cla, i.ins, i.p1, i.p2}; }
Bytes filler(std::size_t n, std::uint8_t seed = 0x41) {
    Bytes b(n);
    for (std::size_t k = 0; k < n; ++k) b[k] = static_cast<std::uint8_t>(seed + k % 23);
    return b;
}
Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// ---- families ------------------------------------------------------------------------------------

// Fewer than the 4 header bytes (iso7816.md §1.1): 6700.
Family short_headers() {
    Family f{one({}, 0x6700)};
    for (std::size_t len = 1; len <= 3; ++len)
        for (std::uint8_t b : {0x00, 0x10, 0x20, 0x2A, 0x47, 0x80, 0x84, 0xA4, 0xC0, 0xCA, 0xDA, 0xDB, 0xE6, 0xF0, 0xFE, 0xFF})
            f.push_back(one(Bytes(len, b), 0x6700));
    return f;
}

// Short Lc that disagrees with the data actually sent: neither 5+Lc nor 6+Lc bytes (ISO 7816-3 §12.1.3).
Family wrong_short_lc() {
    Family f;
    for (const Ins& i : kImplemented)
        for (std::size_t lc : {1, 2, 5, 6, 8, 16, 100, 200, 254, 255}) {
            std::set<std::size_t> sizes{lc - 1, lc / 2, lc + 2, lc + 3, lc + 50, 1};
            for (std::size_t d : sizes) {
                if (d == 0 || d == lc || d == lc + 1) continue;  // 0: a case-2 Le; lc, lc+1: well-formed
                Bytes c = header(0x00, i);
                c.push_back(static_cast<std::uint8_t>(lc));
                f.push_back(one(concat(c, filler(d)), 0x6700));
            }
        }
    return f;
}

// Extended length abuse: "00" + one byte, 2-byte Lc with missing or extra data, Lc = 0000,
// 3-byte Le after a short or extended Lc.
Family extended_lengths() {
    Family f;
    for (const Ins& i : kImplemented) {
        for (std::uint8_t b : {0x00, 0x01, 0xFF}) f.push_back(one(concat(header(0, i), {0x00, b}), 0x6700));
        for (std::size_t lc : {0x0001, 0x0002, 0x0010, 0x0100, 0x1000, 0xFFFF}) {
            for (std::size_t d : {std::size_t{1}, lc - 1, lc + 1, lc + 3, std::size_t{300}}) {
                if (d == 0 || d == lc || d == lc + 2) continue;  // 0: a case-2E Le; lc, lc+2: well-formed
                Bytes c = concat(header(0, i), {0x00, static_cast<std::uint8_t>(lc >> 8), static_cast<std::uint8_t>(lc)});
                f.push_back(one(concat(c, filler(d)), 0x6700));
            }
        }
        for (std::size_t d : {1, 2, 5, 255}) f.push_back(one(concat(concat(header(0, i), {0x00, 0x00, 0x00}), filler(d)), 0x6700));
        f.push_back(one(concat(header(0, i), {0x01, 0xAA, 0x00, 0x01, 0x00}), 0x6700));              // short Lc, 3-byte Le
        f.push_back(one(concat(header(0, i), {0x02, 0xAA, 0xBB, 0x00, 0x00, 0x00}), 0x6700));        // short Lc, 3-byte Le 0000
        f.push_back(one(concat(header(0, i), {0x00, 0x00, 0x02, 0xAA, 0xBB, 0x00, 0x01, 0x00}), 0x6700));  // ext Lc, 3-byte Le
        f.push_back(one(concat(header(0, i), {0x00, 0x00, 0x02, 0xAA, 0xBB, 0x01}), 0x6700));        // ext Lc, 1-byte Le
    }
    return f;
}

// Le missing, too large, or too small; GET RESPONSE with nothing pending. `lengths` = full DO sizes.
Family wrong_le(bool verified, const std::map<std::uint16_t, std::size_t>& lengths) {
    Family f;
    // GET CHALLENGE (§11): Le is the challenge length, 1..0800 (C0 bytes 3-4); data not allowed.
    f.push_back(one(hex("00 84 00 00"), 0x6700));
    f.push_back(one(hex("00 84 00 00 02 AA BB"), 0x6700));
    f.push_back(one(hex("00 84 00 00 02 AA BB 08"), 0x6700));
    for (std::uint32_t le : {0x0801u, 0x0900u, 0x0FFFu, 0x1000u, 0x8000u, 0xFFFFu, 0x10000u})
        f.push_back(one(apdu(0, 0x84, 0, 0, {}, le, true), 0x6700));
    // Le smaller than the DO: the first Le bytes and 61xx announcing the rest (iso7816.md §3).
    for (const auto& [tag, length] : lengths)
        for (std::size_t le = 1; le < length; le += (length > 64 ? 7 : 1)) {
            const std::size_t rest = length - le;
            const auto sw = static_cast<std::uint16_t>(0x6100 | (rest > 0xFF ? 0 : rest));
            f.push_back(one(apdu(0, 0xCA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag), {},
                                 static_cast<std::uint32_t>(le), le % 2 == 0),
                            sw));
        }
    // GET RESPONSE (iso7816.md §3) with nothing pending, bad P1P2, or data.
    for (std::uint32_t le : {1u, 16u, 255u, 256u}) f.push_back(Case{{hex("00 CA 00 C4 00"), 0x9000}, {apdu(0, 0xC0, 0, 0, {}, le), 0x6985}});
    f.push_back(one(apdu(0, 0xC0, 0, 0, {}, 0x1000, true), 0x6985));
    f.push_back(one(hex("00 C0 00 00 02 AA BB"), 0x6700));
    f.push_back(one(hex("00 C0 00 00 02 AA BB 00"), 0x6700));
    // Le on commands that return no data is ignored: an empty VERIFY is still the status query.
    for (std::uint8_t p2 : {0x81, 0x82, 0x83})
        for (std::uint32_t le : {1u, 256u, 65536u})
            f.push_back(one(apdu(0, 0x20, 0x00, p2, {}, le, le > 256), verified ? 0x9000 : 0x63C3));
    return f;
}

// GET DATA / PUT DATA tags the applet knows (§4.4 table); everything else is 6A88.
const std::set<std::uint16_t> kGetTags = {0x004F, 0x005E, 0x5F50, 0x5F52, 0x0065, 0x006E, 0x007A, 0x00C0, 0x00C1,
                                          0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00CD, 0x00DE, 0x7F21, 0x7F66,
                                          0x00F9, 0x00FA, 0x0101, 0x0102, 0x0103, 0x0104};
const std::set<std::uint16_t> kPutTags = {0x005E, 0x5F50, 0x005B, 0x5F2D, 0x5F35, 0x0101, 0x0102, 0x0103, 0x0104,
                                          0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C7, 0x00C8, 0x00C9, 0x00CA, 0x00CB,
                                          0x00CC, 0x00CE, 0x00CF, 0x00D0, 0x00D3, 0x7F21};

// The status word for a P1/P2 the command does not accept; nullopt when P1/P2 is valid (not generated).
std::optional<std::uint16_t> bad_p1p2_sw(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2) {
    const auto p1p2 = static_cast<std::uint16_t>(p1 << 8 | p2);
    switch (ins) {
        case 0xCA: return kGetTags.count(p1p2) ? std::nullopt : std::optional<std::uint16_t>(0x6A88);
        case 0xCC: return p1p2 == 0x7F21 ? std::nullopt : std::optional<std::uint16_t>(0x6A88);
        case 0xDA: return kPutTags.count(p1p2) ? std::nullopt : std::optional<std::uint16_t>(0x6A88);
        case 0xDB: return p1p2 == 0x3FFF ? std::nullopt : std::optional<std::uint16_t>(0x6A86);
        case 0xA5:
            if (p2 != 0x04) return 0x6A86;
            if (p1 > 2) return 0x6A88;  // §10: no such occurrence
            return std::nullopt;
        case 0x20: return (p1 == 0x00 || p1 == 0xFF) && p2 >= 0x81 && p2 <= 0x83 ? std::nullopt : std::optional<std::uint16_t>(0x6A86);
        case 0x24: return p1 == 0x00 && (p2 == 0x81 || p2 == 0x83) ? std::nullopt : std::optional<std::uint16_t>(0x6A86);
        case 0x2C: return p2 == 0x81 && (p1 == 0x00 || p1 == 0x02) ? std::nullopt : std::optional<std::uint16_t>(0x6A86);
        case 0x47: return (p1 == 0x80 || p1 == 0x81) && p2 == 0x00 ? std::nullopt : std::optional<std::uint16_t>(0x6A86);
        case 0x2A:
            if (p1p2 == 0x9E9A) return std::nullopt;
            return p1p2 == 0x8086 ? 0x6A81 : 0x6A86;  // PSO:DECIPHER is not implemented
        case 0x88: case 0x84: case 0xE6: case 0x44: case 0xC0:
            return p1p2 == 0x0000 ? std::nullopt : std::optional<std::uint16_t>(0x6A86);
        case 0xA4:
            if (p1 != 0x04) return 0x6A82;  // no file system: only selection by DF name
            if ((p2 & 0xF3) != 0x00) return 0x6A86;
            return std::nullopt;
        default: return std::nullopt;
    }
}

// Every implemented INS with P1 over 00..FF for a few P2, and P2 over 00..FF for a few P1.
Family bad_p1p2() {
    Family f;
    const std::map<std::uint8_t, Bytes> body = {
        {0x20, hex("39 39 39 39 39 39")}, {0x24, filler(12, 0x30)}, {0x2C, filler(6, 0x30)},
        {0x2A, filler(32)},               {0x88, filler(32)},       {0x47, hex("B6 00")},
        {0xDA, hex("01 02 03")},          {0xDB, hex("4D 00")},     {0xA5, hex("60 04 5C 02 7F 21")},
        {0xA4, hex("D2 76 00 01 24 01")}};
    for (const Ins& i : kImplemented) {
        std::set<std::uint16_t> combos;
        for (int p1 = 0; p1 < 256; ++p1)
            for (int p2 : {0x00, 0x01, 0x04, 0x80, 0x81, 0x82, 0x83, 0x9A, 0xFF}) combos.insert(static_cast<std::uint16_t>(p1 << 8 | p2));
        for (int p2 = 0; p2 < 256; ++p2)
            for (int p1 : {0x00, 0x02, 0x04, 0x7F, 0x80, 0x81, 0x9E, 0xFF}) combos.insert(static_cast<std::uint16_t>(p1 << 8 | p2));
        const auto found = body.find(i.ins);
        const Bytes data = found == body.end() ? Bytes{} : found->second;
        const std::uint32_t ne = data.empty() && i.ins != 0xE6 && i.ins != 0x44 ? 256 : 0;
        for (std::uint16_t c : combos) {
            const auto p1 = static_cast<std::uint8_t>(c >> 8), p2 = static_cast<std::uint8_t>(c);
            if (auto sw = bad_p1p2_sw(i.ins, p1, p2)) f.push_back(one(apdu(0, i.ins, p1, p2, data, ne), *sw));
        }
    }
    return f;
}

// Unknown INS under CLA 00 and CLA 10 (chained): 6D00 (ISO 7816-4 §5.1.1.1).
Family unknown_ins() {
    Family f;
    for (int ins = 0; ins < 256; ++ins) {
        if (implemented(static_cast<std::uint8_t>(ins))) continue;
        const auto i = static_cast<std::uint8_t>(ins);
        f.push_back(one(Bytes{0x00, i, 0x00, 0x00}, 0x6D00));
        f.push_back(one(Bytes{0x00, i, 0x12, 0x34, 0x00}, 0x6D00));
        f.push_back(one(Bytes{0x10, i, 0x00, 0x00, 0x02, 0xAA, 0xBB}, 0x6D00));
    }
    return f;
}

// CLA other than 00/10: logical channels, secure messaging bits, proprietary classes, FF (PPS): 6E00.
Family invalid_cla() {
    Family f;
    for (std::uint8_t cla : {0x01, 0x02, 0x03, 0x04, 0x08, 0x0C, 0x0F, 0x13, 0x1C, 0x1F, 0x20, 0x40, 0x4F, 0x60, 0x7F,
                             0x80, 0x84, 0x8C, 0x90, 0xA0, 0xB0, 0xC0, 0xE0, 0xEF, 0xF0, 0xFE, 0xFF})
        for (int ins = 0; ins < 256; ins += (implemented(static_cast<std::uint8_t>(ins)) ? 1 : 3)) {
            const auto i = static_cast<std::uint8_t>(ins);
            f.push_back(one(Bytes{cla, i, 0x00, 0x00, 0x00}, 0x6E00));
            if (implemented(i)) f.push_back(one(Bytes{cla, i, 0x00, 0x81, 0x06, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36}, 0x6E00));
        }
    return f;
}

// Command chaining abuse (iso7816.md §4). Each sequence ends with GET DATA C4 = 9000: the chain is gone.
Family chaining_abuse() {
    Family f;
    const Bytes probe = hex("00 CA 00 C4 00");
    const Ins chainable[] = {{0xDA, 0x7F, 0x21}, {0xDB, 0x3F, 0xFF}, {0x2A, 0x9E, 0x9A}, {0x20, 0x00, 0x81}, {0xA5, 0x02, 0x04},
                             {0x24, 0x00, 0x81}, {0x2C, 0x02, 0x81}, {0x88, 0x00, 0x00}, {0x47, 0x80, 0x00}};
    const std::size_t parts = qscd::sim::kMaxCommandData / 255;  // whole 255-byte parts that fit
    for (const Ins& i : chainable) {
        // A chain that never ends: 255-byte parts until the 0x1100-byte buffer overflows → 6700.
        Case c;
        for (std::size_t k = 0; k < parts; ++k) c.push_back({apdu(0x10, i.ins, i.p1, i.p2, filler(255)), 0x9000});
        c.push_back({apdu(0x10, i.ins, i.p1, i.p2, filler(255)), 0x6700});
        c.push_back({probe, 0x9000});
        f.push_back(c);
        // The same with extended parts, and with a last part one byte too many.
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(0x1000), 0, true), 0x9000},
                         {apdu(0x10, i.ins, i.p1, i.p2, filler(0x1000), 0, true), 0x6700},
                         {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(0x1100), 0, true), 0x9000},
                         {apdu(0x00, i.ins, i.p1, i.p2, filler(1)), 0x6700},
                         {probe, 0x9000}});
        // Switched to another INS (or P1/P2, or CLA) mid-way → 6883 / 6E00 / 6700, and the chain is dropped.
        for (const Ins& j : kImplemented) {
            if (j.ins == i.ins) continue;
            f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000},
                             {apdu(0x00, j.ins, j.p1, j.p2, {}, 256), 0x6883},
                             {probe, 0x9000}});
        }
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000},
                         {apdu(0x10, i.ins, static_cast<std::uint8_t>(i.p1 ^ 1), i.p2, filler(3)), 0x6883},
                         {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000},
                         {apdu(0x00, i.ins, i.p1, static_cast<std::uint8_t>(i.p2 ^ 1), filler(3)), 0x6883},
                         {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000}, {hex("10 C0 00 00 00"), 0x6883}, {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000},
                         {apdu(0x80, i.ins, i.p1, i.p2, filler(3)), 0x6E00},
                         {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000}, {hex("00 DA"), 0x6700}, {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(10)), 0x9000},
                         {concat(Bytes{0x00, i.ins, i.p1, i.p2, 0x05}, filler(2)), 0x6700},
                         {probe, 0x9000}});
    }
    // Chaining on commands that take no chained data (ISO 7816-4 §5.1.1.1): 6884.
    for (const Ins& i : kImplemented) {
        if (i.ins == 0xC0) {
            f.push_back(one(hex("10 C0 00 00 00"), 0x6883));
            continue;
        }
        if (std::any_of(std::begin(chainable), std::end(chainable), [&](const Ins& c) { return c.ins == i.ins; })) continue;
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(4)), 0x6884}, {probe, 0x9000}});
        f.push_back(Case{{apdu(0x10, i.ins, i.p1, i.p2, filler(255)), 0x6884}, {probe, 0x9000}});
    }
    return f;
}

// Nested 4D objects, `depth` levels, around `core`.
Bytes nested(std::uint32_t tag, int depth, Bytes core = {}) {
    for (int d = 0; d < depth; ++d) core = qscd::encode_tlv(tag, core);
    return core;
}

// TLV bombs (deep nesting, huge / 4-byte / indefinite lengths) in key import, PUT DATA, GENERATE, SELECT DATA.
Family tlv_bombs(bool verified) {
    Family f;
    const std::uint16_t imp = verified ? 0x6A80 : 0x6982;  // §9.3: PW3 is checked before the data
    auto import = [&](const Bytes& data) { f.push_back(one(apdu(0, 0xDB, 0x3F, 0xFF, data), imp)); };
    for (int depth : {2, 3, 10, 100, 1000, 5000, 12000}) import(nested(0x4D, depth));
    for (int depth : {1, 10, 1000}) import(qscd::encode_tlv(0x4D, concat(hex("B6 00"), nested(0x7F48, depth))));
    // Huge, 4-byte, indefinite and missing length forms on the outer 4D.
    for (const char* h : {"4D 82 FF FF 00 00", "4D 83 FF FF FF 00", "4D 84 00 00 00 02 B6 00", "4D 84 FF FF FF FF",
                          "4D 80 B6 00 00 00", "4D 81", "4D 82 01", "4D 85 00 00 00 00 01 00", "4D 88 00 00 00 00 00 00 00 01 00",
                          "4D 8F 00", "4D FF", "4D 02 B6", "4D 00 4D 00", "5F48 00", "7F48 00", "B6 00", "4D 01 00 00"})
        import(hex(h));
    // A structurally plausible but invalid import (zero scalar) whose every length byte is then lied about.
    Bytes plausible = hex("4D 2A B6 00 7F48 02 92 20 5F48 20");
    plausible.resize(plausible.size() + 32, 0x00);
    const std::size_t length_positions[] = {1, 3, 6, 11};  // 4D, B6, 7F48, 5F48 length bytes
    for (std::size_t pos : length_positions)
        for (std::uint8_t lie : {0x00, 0x01, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x8F, 0xFF}) {
            Bytes b = plausible;
            b[pos] = lie;
            import(b);
        }
    for (std::uint8_t lie : {0x21, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFF}) {  // the 92 entry inside 7F48
        Bytes b = plausible;
        b[8] = lie;
        import(b);
    }
    import(hex("4D 0D B6 00 7F48 05 92 84 00 00 00 5F48 00"));  // 4-byte length in the template
    import(hex("4D 0C B6 00 7F48 03 9F 01 01 5F48 01 00"));     // template tag out of 91..99
    import(hex("4D 0A B6 00 7F48 01 92 5F48 00"));              // template entry without a length

    // PUT DATA with TLV bombs as values: length and format rules of each DO (§4.4, §5.3, §6.1).
    const Bytes bomb_small = hex("7F 48 84 FF FF FF FF 30 80");  // 9 bytes
    const Bytes bomb_big = nested(0x30, 150);                      // > 255 bytes, deeply nested
    const Bytes bomb_huge = nested(0x7F21, 1400);                  // > 4096 bytes
    auto put = [&](std::uint16_t tag, const Bytes& v, std::uint16_t sw_verified) {
        f.push_back(one(apdu(0, 0xDA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag), v),
                        verified ? sw_verified : 0x6982));
    };
    for (std::uint16_t tag : {0x00C1, 0x00C2, 0x00C3}) {
        put(tag, bomb_small, 0x6A80);
        put(tag, bomb_big, 0x6700);
        put(tag, nested(0x4D, 3), 0x6A80);
    }
    for (const Bytes* b : {&bomb_small, &bomb_big}) {
        put(0x00C4, *b, 0x6700);
        for (std::uint16_t tag : {0x00C7, 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CE, 0x00CF, 0x00D0}) put(tag, *b, 0x6700);
        put(0x5F35, *b, 0x6700);
    }
    put(0x005B, bomb_big, 0x6700);
    put(0x5F2D, bomb_small, 0x6700);
    put(0x005E, bomb_big, 0x6700);
    put(0x5F50, bomb_big, 0x6700);
    put(0x0101, bomb_big, 0x6700);
    put(0x0102, bomb_big, 0x6700);
    put(0x00D3, bomb_big, 0x6700);
    put(0x7F21, bomb_huge, 0x6A84);
    // GENERATE: the CRT is parsed before the access check (§9.1), in both states 6A80.
    for (std::uint8_t p1 : {0x80, 0x81})
        for (const char* h : {"B6 82 FF FF", "B6 84 00 00 00 00", "B6 80", "B6", "B6 03 84 01", "B6 00 B6 00",
                              "B6 05 84 01 01 84 01", "B6 03 84 01 02", "B7 00", "7F 48 00"})
            f.push_back(one(apdu(0, 0x47, p1, 0x00, hex(h), 256), 0x6A80));
    for (int depth : {2, 50, 2000}) {
        f.push_back(one(apdu(0, 0x47, 0x80, 0x00, nested(0xB6, depth), 256), 0x6A80));
        f.push_back(one(apdu(0, 0x47, 0x81, 0x00, nested(0xB6, depth), 256), 0x6A80));
    }
    // SELECT DATA (§10): only the exact tag list 60 04 5C 02 7F 21 is accepted.
    for (const char* h : {"60 84 00 00 00 04 5C 02 7F 21", "60 80 5C 02 7F 21 00 00", "60 04 5C 82 7F 21", "60 06 5C 04 7F 21 7F 21"})
        f.push_back(one(apdu(0, 0xA5, 0x02, 0x04, hex(h)), 0x6A80));
    f.push_back(one(apdu(0, 0xA5, 0x02, 0x04, nested(0x60, 500)), 0x6A80));
    return f;
}


// ---- runner --------------------------------------------------------------------------------------

struct Tally {
    std::map<std::string, std::size_t> commands;      // per family (kind of malformation)
    std::map<std::string, std::size_t> by_command;    // per command addressed (see command_name)
    std::size_t total = 0;
};

// The command a malformed APDU addresses: one of the implemented INS by name, any other INS value
// together, or a header too short to carry an INS.
std::string command_name(const Bytes& command) {
    if (command.size() < 2) return "header < 2 bytes";
    static const std::map<std::uint8_t, const char*> names = {
        {0x20, "VERIFY"}, {0x24, "CHANGE REFERENCE DATA"}, {0x2C, "RESET RETRY COUNTER"}, {0x2A, "PSO"},
        {0x88, "INTERNAL AUTHENTICATE"}, {0x84, "GET CHALLENGE"}, {0x47, "GENERATE ASYMMETRIC KEY PAIR"},
        {0xCA, "GET DATA"}, {0xCC, "GET NEXT DATA"}, {0xDA, "PUT DATA"}, {0xDB, "PUT DATA (odd)"},
        {0xA5, "SELECT DATA"}, {0xE6, "TERMINATE DF"}, {0x44, "ACTIVATE FILE"}, {0xC0, "GET RESPONSE"}, {0xA4, "SELECT"}};
    const auto it = names.find(command[1]);
    if (it == names.end()) return "other INS (240 values)";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02X %s", command[1], it->second);
    return buf;
}

// Runs every case; each command must give its exact SW, and no case may commit anything.
void run_family(Card& card, const std::string& name, const Family& family, Tally& tally) {
    const std::vector<std::uint8_t> image = card.image();
    const std::size_t commits = card.commits();
    std::vector<std::string> mismatches;
    std::size_t sent = 0;
    for (const Case& c : family) {
        for (const Step& step : c) {
            const std::uint16_t sw = card.sw_of(step.command);
            ++sent;
            ++tally.by_command[command_name(step.command)];
            if (sw != step.sw && mismatches.size() < 20) {
                char buf[64];
                std::snprintf(buf, sizeof buf, " -> %04X, expected %04X", sw, step.sw);
                const ByteView shown(step.command.data(), std::min<std::size_t>(step.command.size(), 24));
                mismatches.push_back(qscd::to_hex(shown) + (step.command.size() > 24 ? " ..." : "") + buf);
            }
        }
        if (card.commits() != commits || card.image() != image) {
            FAIL(name << ": a malformed command changed the committed state: " << qscd::to_hex(c.front().command).substr(0, 60));
        }
    }
    INFO(name);
    for (const auto& m : mismatches) INFO(m);
    CHECK(mismatches.empty());
    tally.commands[name] += sent;
    tally.total += sent;
}

std::map<std::uint16_t, std::size_t> do_lengths(Card& card) {
    std::map<std::uint16_t, std::size_t> lengths;
    for (std::uint16_t tag : {0x006E, 0x0065, 0x00C5, 0x00FA, 0x5F52, 0x004F, 0x00C4, 0x007A, 0x7F66, 0x00C0, 0x00CD}) {
        const Reply r = card.send(apdu(0, 0xCA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag), {}, 65536, true));
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() > 1);
        lengths[tag] = r.data.size();
    }
    return lengths;
}

// After the sweep: verification status as before, and the SIG key still signs (and verifies).
void check_card_still_works(Card& card, bool verified) {
    for (std::uint8_t p2 : {0x81, 0x82, 0x83}) CHECK(card.send(Bytes{0x00, 0x20, 0x00, p2}).sw == (verified ? 0x9000 : 0x63C3));
    const Reply pub = card.send(apdu(0, 0x47, 0x81, 0x00, {0xB6, 0x00}, 256));
    REQUIRE(pub.sw == 0x9000);
    const Bytes point = simtest::pubkey_field(pub.data, 0x86);
    if (!verified) card.verify(0x81, "123456");
    const Bytes hash = simtest::sha256(qscd::as_bytes(std::string_view("still signs")));
    const Reply sig = card.send(apdu(0, 0x2A, 0x9E, 0x9A, hash, 256));
    REQUIRE(sig.sw == 0x9000);
    CHECK(simtest::ecdsa_verifies(MBEDTLS_ECP_DP_SECP256R1, point, hash, sig.data));
    const Reply counter = card.send(hex("00 CA 00 7A 00"));
    CHECK(counter.data == hex("7A 05 93 03 00 00 01"));
}

void run_all(bool verified, Tally& tally) {
    Card card(KeyKind::P256);
    if (verified) {
        card.verify(0x81, "123456");
        card.verify(0x82, "123456");
        card.verify(0x83, "12345678");
    }
    const auto lengths = do_lengths(card);
    run_family(card, "short header", short_headers(), tally);
    run_family(card, "wrong short Lc", wrong_short_lc(), tally);
    run_family(card, "extended length", extended_lengths(), tally);
    run_family(card, "wrong/missing Le", wrong_le(verified, lengths), tally);
    run_family(card, "bad P1/P2", bad_p1p2(), tally);
    run_family(card, "unknown INS", unknown_ins(), tally);
    run_family(card, "invalid CLA", invalid_cla(), tally);
    run_family(card, "chaining abuse", chaining_abuse(), tally);
    run_family(card, "TLV bombs", tlv_bombs(verified), tally);
    check_card_still_works(card, verified);
}

void print(const char* state, const Tally& tally) {
    std::printf("sim_malformed (%s):\n", state);
    for (const auto& [name, n] : tally.commands) std::printf("  %-18s %6zu commands\n", name.c_str(), n);
    std::printf("  %-18s %6zu commands\n", "total", tally.total);
    std::printf("sim_malformed (%s), per command:\n", state);
    for (const auto& [name, n] : tally.by_command) std::printf("  %-32s %6zu commands\n", name.c_str(), n);
}

}  // namespace

TEST_CASE("malformed commands before PIN verification: exact SW, state unchanged", "[malformed][sim]") {
    Tally tally;
    run_all(false, tally);
    print("unverified", tally);
    CHECK(tally.total >= 2000);
}

TEST_CASE("malformed commands after PW1 (81, 82) and PW3 verification: exact SW, state unchanged", "[malformed][sim]") {
    Tally tally;
    run_all(true, tally);
    print("PW1+PW3 verified", tally);
    CHECK(tally.total >= 2000);
}
