#include "framing.hpp"

#include <algorithm>

namespace qscd::fuzz {

std::vector<ByteView> split_frames(ByteView input) {
    std::vector<ByteView> frames;
    while (input.size() >= 2) {
        const std::size_t want = static_cast<std::size_t>(input[0]) << 8 | input[1];
        const std::size_t take = std::min(want, input.size() - 2);
        frames.push_back(input.subspan(2, take));
        input = input.subspan(2 + take);
    }
    return frames;
}

void append_frame(Bytes& out, ByteView message) {
    const std::size_t n = std::min<std::size_t>(message.size(), 0xFFFF);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), message.begin(), message.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace qscd::fuzz
