// The simulated PIN-pad reader puts the typed PIN into the APDU exactly as a PC/SC part 10
// PIN_VERIFY_STRUCTURE / PIN_MODIFY_STRUCTURE says (simulator/reader). Reference structures: the
// ones GnuPG (OpenPGP, variable length) and OpenSC (PIV, fixed 8-byte FF block) send (pcsc.md §6.2),
// and the ISO 9564 format-2 block of German signature cards (BCD, length nibble).
#include <catch2/catch.hpp>

#include "qscd/sim/pin_pad.hpp"

using namespace qscd;
namespace pp = qscd::sim::pinpad;

namespace {

Bytes hex(const char* h) { return *from_hex(h); }

pp::VerifyRequest verify(const char* structure) {
    auto r = pp::parse_verify(hex(structure));
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("GnuPG's OpenPGP structure: ASCII, variable length, the reader sets Lc") {
    const auto r = verify("00 00 82 00 00 20 06 02 01 09 04 00 00 00 05 05 00 00 00 00 20 00 81 00");
    CHECK(r.format.min_digits == 6);
    CHECK(r.format.max_digits == 0x20);
    CHECK(r.number_message == 1);
    const auto apdu = pp::format_verify(r, "123456");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 81 06 31 32 33 34 35 36"));
    const auto longer = pp::format_verify(r, "12345678");
    REQUIRE(longer);
    CHECK(*longer == hex("00 20 00 81 08 31 32 33 34 35 36 37 38"));
}

TEST_CASE("the 4-byte template (no Lc) gives the same APDU") {
    const auto r = verify("00 00 82 00 00 20 06 02 01 09 04 00 00 00 00 04 00 00 00 00 20 00 81");
    const auto apdu = pp::format_verify(r, "123456");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 81 06 31 32 33 34 35 36"));
}

TEST_CASE("OpenSC's PIV structure: ASCII left-justified in an 8-byte FF block, Lc kept") {
    const auto r = verify("1E 1E 82 08 00 08 04 02 00 00 00 00 00 00 00 0D 00 00 00 00 20 00 80 08 FF FF FF FF FF FF FF FF");
    CHECK(r.timeout == 0x1E);
    const auto apdu = pp::format_verify(r, "123456");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 80 08 31 32 33 34 35 36 FF FF"));
    CHECK(pp::format_verify(r, "123").error() == pp::kSwBadPinLength);        // below the minimum 4
    CHECK(pp::format_verify(r, "123456789").error() == pp::kSwBadPinLength);  // above the maximum 8
}

TEST_CASE("ISO 9564 format 2: BCD from byte 1, 4-bit length at bit 4, F padding from the template") {
    // bmFormatString 89: bytes, position 1, left, BCD; bmPINBlockString 47: 4-bit length, 7-byte block;
    // bmPINLengthFormat 04: bits, position 4.
    const auto r = verify("00 00 89 47 04 0C 04 02 01 09 04 00 00 00 00 0D 00 00 00 00 20 00 81 08 2F FF FF FF FF FF FF FF");
    auto apdu = pp::format_verify(r, "123456");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 81 08 26 12 34 56 FF FF FF FF"));
    apdu = pp::format_verify(r, "12345");  // odd: the last nibble keeps the template's F
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 81 08 25 12 34 5F FF FF FF FF"));
    apdu = pp::format_verify(r, "123456789012");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 81 08 2C 12 34 56 78 90 12 FF"));
}

TEST_CASE("right justification, binary digits, and a length byte") {
    // bmFormatString 85: bytes, position 0, right, BCD; block 4 bytes; no length.
    auto r = verify("00 00 85 04 00 08 04 02 00 00 00 00 00 00 00 09 00 00 00 00 20 00 01 04 00 00 00 00");
    auto apdu = pp::format_verify(r, "1234");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 01 04 00 00 12 34"));
    // bmFormatString 88: bytes, position 1, left, binary; block 6; 8-bit length at byte 0.
    r = verify("00 00 88 86 10 06 04 02 00 00 00 00 00 00 00 0C 00 00 00 00 20 00 02 07 00 FF FF FF FF FF FF");
    apdu = pp::format_verify(r, "9081");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 02 07 04 09 00 08 01 FF FF"));
}

TEST_CASE("a structure whose block does not fit the template is refused with 6B80") {
    const auto r = verify("00 00 82 08 00 08 04 02 00 00 00 00 00 00 00 09 00 00 00 00 20 00 80 04 FF FF FF FF");
    CHECK(pp::format_verify(r, "1234").error() == pp::kSwBadStructure);
    CHECK_FALSE(pp::parse_verify(hex("00 00 82 00 00 20 06 02 01 09 04 00 00 00 09 00 00 00 00 20 00 81")));  // ulDataLength lies
    CHECK(pp::format_verify(verify("00 00 83 00 00 20 06 02 01 09 04 00 00 00 00 04 00 00 00 00 20 00 81"), "123456").error() ==
          pp::kSwBadStructure);  // encoding 11 does not exist
}

TEST_CASE("keys other than digits, and an empty entry, are refused") {
    const auto r = verify("00 00 82 00 00 20 06 02 01 09 04 00 00 00 00 04 00 00 00 00 20 00 81");
    CHECK(pp::format_verify(r, "12345a").error() == pp::kSwBadPinLength);
    CHECK(pp::format_verify(r, "").error() == pp::kSwBadPinLength);
}

TEST_CASE("PIN_MODIFY, OpenPGP style: old and new PIN concatenated, Lc set by the reader") {
    // bTimerOut 00, 00, bmFormatString 82, block 00, length 00, offsets 00 00, wPINMaxExtraDigit 0620,
    // bConfirmPIN 03 (ask old, confirm new), validation 02, 3 messages, lang 0409, msg 00 01 02, prologue, ulDataLength 5.
    const auto r = pp::parse_modify(hex("00 00 82 00 00 00 00 20 06 03 02 03 09 04 00 01 02 00 00 00 05 00 00 00 00 24 00 81 00"));
    REQUIRE(r);
    CHECK(r->asks_old());
    CHECK(r->confirms_new());
    CHECK(r->msg_index[2] == 2);
    const auto apdu = pp::format_modify(*r, "123456", "654321");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 24 00 81 0C 31 32 33 34 35 36 36 35 34 33 32 31"));
}

TEST_CASE("PIN_MODIFY with fixed blocks: each PIN at its insertion offset") {
    // Two ISO format-2 blocks: old at 0, new at 8.
    const auto r = pp::parse_modify(hex("00 00 89 47 04 00 08 0C 04 03 02 03 09 04 00 01 02 00 00 00 15 00 00 00"
                                        "00 24 00 81 10 2F FF FF FF FF FF FF FF 2F FF FF FF FF FF FF FF"));
    REQUIRE(r);
    const auto apdu = pp::format_modify(*r, "1234", "98765");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 24 00 81 10 24 12 34 FF FF FF FF FF 25 98 76 5F FF FF FF FF"));
}

TEST_CASE("the announcements: features (big-endian codes), PIN and display properties (little-endian)") {
    CHECK(pp::feature_list() == hex("06 04 42 33 00 06 07 04 42 33 00 07 0A 04 42 33 00 0A 0F 04 42 33 00 0F 11 04 42 33 00 11 12 04 42 33 00 12"));
    CHECK(pp::pin_properties() == hex("10 02 02 00"));
    CHECK(pp::display_properties() == hex("10 00 02 00"));
    CHECK(pp::kGetFeatureRequest == 0x42000D48);
}

TEST_CASE("WRITE_DISPLAY: time, column, row, language, length, text") {
    const auto w = pp::parse_write_display(hex("B8 0B 00 01 09 04 05 68 65 6C 6C 6F"));
    REQUIRE(w);
    CHECK(w->time_ms == 3000);
    CHECK(w->column == 0);
    CHECK(w->row == 1);
    CHECK(w->text == "hello");
    CHECK_FALSE(pp::parse_write_display(hex("B8 0B 00 01 09 04 06 68 65 6C 6C 6F")));  // length lies
    CHECK_FALSE(pp::parse_write_display(hex("B8 0B 00 02 09 04 01 68")));              // row 2 of a 2-line display
}
