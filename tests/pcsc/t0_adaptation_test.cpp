#include <catch2/catch.hpp>

#include "qscd/pcsc/t0_adaptation.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using namespace qscd::pcsc;
using qscd::test::hex;

TEST_CASE("T=0: a short case-4 APDU goes out without Le") {
    // SELECT OpenPGP with Le=00 (case 4): under T=0 the card answers 61xx instead.
    CHECK(adapt_command(hex("00 A4 04 00 06 D2 76 00 01 24 01 00"), Protocol::T0) ==
          hex("00 A4 04 00 06 D2 76 00 01 24 01"));
    // PSO:CDS with a 32-byte hash and Le
    Bytes cds = hex("00 2A 9E 9A 20");
    cds.resize(cds.size() + 32, 0xAB);
    Bytes expected = cds;
    cds.push_back(0x00);
    CHECK(adapt_command(cds, Protocol::T0) == expected);
}

TEST_CASE("T=0: an extended case-4 APDU loses its two Le bytes") {
    Bytes apdu = hex("00 2A 9E 9A 00 01 00");
    apdu.resize(apdu.size() + 256, 0x11);
    Bytes expected = apdu;
    apdu.push_back(0x00);
    apdu.push_back(0x00);
    CHECK(adapt_command(apdu, Protocol::T0) == expected);
}

TEST_CASE("T=0: cases 1, 2 and 3 are sent as they are") {
    CHECK(adapt_command(hex("00 A4 04 00"), Protocol::T0) == hex("00 A4 04 00"));                       // case 1
    CHECK(adapt_command(hex("00 CA 00 6E 00"), Protocol::T0) == hex("00 CA 00 6E 00"));                 // case 2
    CHECK(adapt_command(hex("00 20 00 81 06 31 32 33 34 35 36"), Protocol::T0) ==
          hex("00 20 00 81 06 31 32 33 34 35 36"));                                                     // case 3
}

TEST_CASE("T=1 sends every APDU unchanged, Le included") {
    CHECK(adapt_command(hex("00 A4 04 00 06 D2 76 00 01 24 01 00"), Protocol::T1) ==
          hex("00 A4 04 00 06 D2 76 00 01 24 01 00"));
}

TEST_CASE("unparsable commands are passed through for the card to reject") {
    CHECK(adapt_command(hex("00 A4"), Protocol::T0) == hex("00 A4"));
    CHECK(adapt_command(hex("00 A4 04 00 06 D2 76"), Protocol::T0) == hex("00 A4 04 00 06 D2 76"));
}
