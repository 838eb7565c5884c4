#include <catch2/catch.hpp>

#include "qscd/pcsc/reader_quirks.hpp"

using namespace qscd::pcsc;

TEST_CASE("reader quirks are looked up by the start of the reader name pcscd shows") {
    const auto dell = quirks_for("Dell Smart Card Reader Keyboard 00 00");
    CHECK(dell.pin_pad_unusable);
    CHECK_FALSE(dell.no_variable_length_pin);
    CHECK(dell.why.find("OpenSC issue #205") != std::string::npos);
    const auto gemalto = quirks_for("Gemalto PC Pinpad (A1B2C3D4) 01 00");
    CHECK_FALSE(gemalto.pin_pad_unusable);
    CHECK(gemalto.no_variable_length_pin);
    const auto ours = quirks_for("QSCD PIN Pad 00 00");
    CHECK_FALSE(ours.pin_pad_unusable);
    CHECK_FALSE(ours.no_variable_length_pin);
    CHECK(ours.why.empty());
    CHECK_FALSE(quirks_for("Dell").pin_pad_unusable);  // a prefix of the model name is not the model
}
