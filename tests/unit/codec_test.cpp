#include <catch2/catch.hpp>
#include "qscd/codec/apdu.hpp"
TEST_CASE("placeholder") { REQUIRE(qscd::parse_command_apdu(qscd::Bytes{0,0xA4,4,0}).ok()); }
