#include "qscd/pcsc/reader_quirks.hpp"

#include <array>

namespace qscd::pcsc {

namespace {

struct QuirkRow {
    std::string_view name_prefix;
    bool pin_pad_unusable;
    bool no_variable_length_pin;
    std::string_view why;
};

// Add a row per reader model; cite where the behaviour was reported.
constexpr std::array<QuirkRow, 2> kQuirks{{
    {"Dell Smart Card Reader Keyboard", true, false,
     "Dell Smart Card Reader Keyboard: announces a PIN pad its firmware does not handle (OpenSC issue #205)"},
    {"Gemalto PC Pinpad", false, true,
     "Gemalto PC Pinpad: its keypad does not take variable-length PINs (OpenSC issue #1221)"},
}};

}  // namespace

ReaderQuirks quirks_for(std::string_view reader_name) {
    for (const auto& row : kQuirks)
        if (reader_name.substr(0, row.name_prefix.size()) == row.name_prefix)
            return {row.pin_pad_unusable, row.no_variable_length_pin, std::string(row.why)};
    return {};
}

}  // namespace qscd::pcsc
