// Deterministic card platform for fuzzing: the same input must replay the same way, so the card's
// "true random" source is a fixed-seed generator and its clock stands still.
#pragma once

#include <cstdint>

#include "qscd/sim/platform.hpp"

namespace qscd::fuzz {

// xorshift64*: not cryptographic, only reproducible. Never use outside the harnesses.
class DeterministicRandom final : public sim::Random {
public:
    explicit DeterministicRandom(std::uint64_t seed = 0x5EED5EED5EED5EEDull) : state_(seed) {}
    void fill(std::span<std::uint8_t> out) override;

private:
    std::uint64_t state_;
};

class FixedClock final : public sim::Clock {
public:
    std::uint64_t now() override { return 1'780'000'000; }  // 2026-05-28, any fixed instant will do
};

}  // namespace qscd::fuzz
