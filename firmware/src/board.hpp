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

// Persistent memory as two RAM banks of one image each: a commit writes the bank not in use and then
// switches to it, so the card can still read the stored image (its certificates) while it writes the next.
// The banks are the caller's (zero-initialised statics in .bss: the object itself, with its vtable pointer,
// lives in .data and would carry the arrays into the image's flash).
class RamStorage final : public sim::Storage {
public:
    RamStorage(std::span<std::uint8_t> bank0, std::span<std::uint8_t> bank1) : banks_{bank0, bank1} {}
    sim::StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) override;
    sim::StorageStatus commit(ByteView image) override;
    sim::StorageStatus open_image(std::size_t& size) override;
    sim::StorageStatus read(std::size_t offset, std::span<std::uint8_t> out) override;
    sim::StorageStatus begin_commit(std::size_t size) override;
    sim::StorageStatus write(ByteView chunk) override;
    sim::StorageStatus finish_commit(sim::CommitSync sync) override;

private:
    std::array<std::span<std::uint8_t>, 2> banks_;
    std::size_t active_ = 0;       // the bank of the stored image
    std::size_t size_ = 0;         // its length
    bool stored_ = false;
    std::size_t next_size_ = 0;    // the image being written into the other bank
    std::size_t written_ = 0;
    bool writing_ = false;
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
