// Hex literals in tests: hex("00 A4 04 00") → bytes; throws on a typo so the test fails loudly.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "qscd/codec/bytes.hpp"

namespace qscd::test {

inline Bytes hex(std::string_view text) {
    auto b = from_hex(text);
    if (!b) throw std::invalid_argument("bad hex in test: " + std::string(text));
    return *b;
}

}  // namespace qscd::test
