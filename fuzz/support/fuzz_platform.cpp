#include "fuzz_platform.hpp"

namespace qscd::fuzz {

void DeterministicRandom::fill(std::span<std::uint8_t> out) {
    for (auto& byte : out) {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        byte = static_cast<std::uint8_t>((state_ * 0x2545F4914F6CDD1Dull) >> 56);
    }
}

}  // namespace qscd::fuzz
