// The card's platform on the emulated board (docs/firmware.md): persistent memory in RAM, a deterministic
// random source and a fixed clock, so that a run is reproducible byte for byte. For the test only: nothing
// here is secure (the "random" bytes are predictable, the state is lost at power-off).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qscd/sim/platform.hpp"
#include "qscd/sim/virtual_card.hpp"

namespace qscd::firmware {

// Persistent memory as a RAM array: one image, replaced whole at each commit (trivially atomic here).
// The array is the caller's (a zero-initialised static in .bss: the object itself, with its vtable pointer,
// lives in .data and would carry the whole array into the image's flash).
class RamStorage final : public sim::Storage {
public:
    explicit RamStorage(std::span<std::uint8_t> memory) : memory_(memory) {}
    sim::StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) override;
    sim::StorageStatus commit(ByteView image) override;

private:
    std::span<std::uint8_t> memory_;
    std::size_t size_ = 0;
    bool stored_ = false;
};

// xorshift64* (Vigna 2016) from a fixed seed: the same bytes at every run. NOT a random source.
class TestRandom final : public sim::Random {
public:
    void fill(std::span<std::uint8_t> out) override;

private:
    std::uint64_t state_ = 0x9E3779B97F4A7C15u;
};

// Always 2026-01-01T00:00:00Z (key generation dates).
class FixedClock final : public sim::Clock {
public:
    std::uint64_t now() override { return 1767225600u; }
};

// Bytes of the main stack used so far (the highest point reached; startup.cpp paints it) and reserved.
std::size_t stack_peak();
std::size_t stack_reserved();

}  // namespace qscd::firmware
