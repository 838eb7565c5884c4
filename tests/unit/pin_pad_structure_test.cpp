// The host's PIN_VERIFY_STRUCTURE (core/src/pin_pad.cpp, PC/SC part 10 §2.5.2) byte by byte, and the
// round trip through the simulated reader's formatting: what the card finally receives.
#include <catch2/catch.hpp>

#include "qscd/error.hpp"
#include "qscd/pin_pad.hpp"
#include "qscd/sim/pin_pad.hpp"

using namespace qscd;

namespace {

Bytes hex(const char* h) { return *from_hex(h); }

PinPadFormat openpgp_pw1(std::uint8_t max) {
    PinPadFormat f;
    f.encoding = PinPadFormat::Encoding::Ascii;
    f.min_digits = 6;
    f.max_digits = max;
    return f;
}

}  // namespace

TEST_CASE("OpenPGP VERIFY PW1: GnuPG's structure for the same card and reader, but bTeoPrologue all zero") {
    // GnuPG (pcsc.md §6.2): 00 00 82 00 00 20 06 02 01 09 04 00 00 00 05 05 00 00 00 00 20 00 81 00 —
    // it writes fixedlen + 5 into bTeoPrologue[2], which the CCID driver overwrites; we send zeros.
    const Bytes header = {0x00, 0x20, 0x00, 0x81};
    CHECK(pin_verify_structure(header, openpgp_pw1(0x20)) ==
          hex("00 00 82 00 00 20 06 02 01 09 04 00 00 00 00 05 00 00 00 00 20 00 81 00"));
}

TEST_CASE("a fixed 12-byte block padded with FF (Estonian ID card PIN2) and a timeout") {
    PinPadFormat f;
    f.encoding = PinPadFormat::Encoding::Ascii;
    f.block_bytes = 12;
    f.min_digits = 5;
    f.max_digits = 12;
    const Bytes header = {0x00, 0x20, 0x00, 0x85};
    CHECK(pin_verify_structure(header, f, 0xFF, 30) ==
          hex("1E 1E 82 0C 00 0C 05 02 01 09 04 00 00 00 00 11 00 00 00 00 20 00 85 0C FF FF FF FF FF FF FF FF FF FF FF FF"));
}

TEST_CASE("round trip: the host's structure, the simulated reader's APDU") {
    const Bytes header = {0x00, 0x20, 0x00, 0x81};
    auto parsed = sim::pinpad::parse_verify(pin_verify_structure(header, openpgp_pw1(127)));
    REQUIRE(parsed);
    auto apdu = sim::pinpad::format_verify(*parsed, "123456");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 81 06 31 32 33 34 35 36"));

    PinPadFormat id;
    id.block_bytes = 12;
    id.min_digits = 5;
    id.max_digits = 12;
    parsed = sim::pinpad::parse_verify(pin_verify_structure(Bytes{0x00, 0x20, 0x00, 0x85}, id, 0xFF));
    REQUIRE(parsed);
    apdu = sim::pinpad::format_verify(*parsed, "12345");
    REQUIRE(apdu);
    CHECK(*apdu == hex("00 20 00 85 0C 31 32 33 34 35 FF FF FF FF FF FF FF"));
}

TEST_CASE("the reader's status words become typed errors, the card's pass through") {
    auto code_of = [](std::uint16_t sw) {
        try {
            check_pin_pad_status(StatusWord(sw));
        } catch (const Error& e) {
            CHECK(e.sw() == StatusWord(sw));
            return e.code();
        }
        return ErrorCode::StateCorrupted;  // "did not throw"
    };
    CHECK(code_of(0x6400) == ErrorCode::Cancelled);
    CHECK(code_of(0x6401) == ErrorCode::Cancelled);
    CHECK(code_of(0x6402) == ErrorCode::InvalidPin);
    CHECK(code_of(0x6403) == ErrorCode::InvalidPin);
    CHECK(code_of(0x6B80) == ErrorCode::NotSupported);
    CHECK_NOTHROW(check_pin_pad_status(StatusWord(0x9000)));
    CHECK_NOTHROW(check_pin_pad_status(StatusWord(0x63C2)));
    CHECK_NOTHROW(check_pin_pad_status(StatusWord(0x6982)));
}

TEST_CASE("WRITE_DISPLAY structure and the two lines shown before a signature PIN") {
    CHECK(write_display_structure(1, "SHA-256 3A7BD3E2") ==
          hex("00 00 00 01 09 04 10 53 48 41 2D 32 35 36 20 33 41 37 42 44 33 45 32"));
    const auto parsed = sim::pinpad::parse_write_display(write_display_structure(0, "sign a.pdf", 3000));
    REQUIRE(parsed);
    CHECK(parsed->text == "sign a.pdf");
    CHECK(parsed->time_ms == 3000);

    auto lines = display_lines("sign /tmp/x/contract.pdf (SHA-256 3A7BD3E2C0FFEE12\u2026)", 16);
    CHECK(lines.first == "sign contract.pd");
    CHECK(lines.second == "SHA-256 3A7BD3E2");
    lines = display_lines("sign a.txt (SHA-384 0011)", 16);
    CHECK(lines.first == "sign a.txt");
    CHECK(lines.second == "SHA-384 0011");
    lines = display_lines("authenticate to example.org", 16);
    CHECK(lines.first == "authenticate to ");
    CHECK(lines.second == "example.org");
}

// PC/SC part 10 §2.5.3: CHANGE REFERENCE DATA 00 24 00 85 with two 12-byte FF blocks (an Estonian ID
// card's PIN2 change on the keypad), the current PIN asked and the new one confirmed (bConfirmPIN 03).
TEST_CASE("PIN_MODIFY_STRUCTURE: two fixed FF blocks at offsets 0 and 12, and what the simulated reader makes of it") {
    PinPadFormat f;
    f.encoding = PinPadFormat::Encoding::Ascii;
    f.block_bytes = 12;
    f.min_digits = 5;
    f.max_digits = 12;
    const Bytes structure = pin_modify_structure(Bytes{0x00, 0x24, 0x00, 0x85}, f, 0xFF);
    CHECK(to_hex(structure) == to_hex(hex("00 00 82 0C 00 00 0C 0C 05 03 02 03 09 04 00 01 02 00 00 00 1D 00 00 00 "
                                          "00 24 00 85 18 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF")));
    const auto parsed = sim::pinpad::parse_modify(structure);
    REQUIRE(parsed);
    CHECK(parsed->asks_old());
    CHECK(parsed->confirms_new());
    const auto apdu = sim::pinpad::format_modify(*parsed, "12345", "54321");
    REQUIRE(apdu);
    CHECK(to_hex(*apdu) == to_hex(hex("00 24 00 85 18 31 32 33 34 35 FF FF FF FF FF FF FF 35 34 33 32 31 FF FF FF FF FF FF FF")));

    // Variable length (OpenPGP style): the reader sets Lc and puts the new PIN right after the old one.
    f.block_bytes = 0;
    const auto variable = sim::pinpad::parse_modify(pin_modify_structure(Bytes{0x00, 0x24, 0x00, 0x81}, f));
    REQUIRE(variable);
    const auto concatenated = sim::pinpad::format_modify(*variable, "123456", "654321");
    REQUIRE(concatenated);
    CHECK(to_hex(*concatenated) == to_hex(hex("00 24 00 81 0C 31 32 33 34 35 36 36 35 34 33 32 31")));
}
