// Byte containers and hex conversion shared by every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qscd {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// "3B 8D 81" or "3b8d81" → bytes; nullopt on an odd digit count or a non-hex character.
std::optional<Bytes> from_hex(std::string_view hex);
// Upper-case hex with a separator between bytes ("" for none).
std::string to_hex(ByteView bytes, std::string_view separator = " ");

inline ByteView as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline Bytes concat(ByteView a, ByteView b) {
    Bytes out(a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

}  // namespace qscd
