// A qscd::Transport straight onto a simulated card on memory storage with the deterministic
// platform — what the harnesses and the seed generator talk to. No file, no lock, no system RNG.
#pragma once

#include <memory>
#include <vector>

#include "fuzz_platform.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/virtual_card.hpp"
#include "qscd/transport.hpp"

namespace qscd::fuzz {

// One PBKDF2 iteration: a VERIFY must cost microseconds, not milliseconds, while fuzzing.
inline constexpr std::uint32_t kFuzzPinIterations = 1;

class SimTransport : public Transport {
public:
    // Loads the image held by `storage`; formats a factory-fresh card (serial FFFF00000F22) if it holds none.
    explicit SimTransport(std::shared_ptr<sim::MemoryStorage> storage);

    Bytes transmit(ByteView command) override;
    Bytes atr() const override;
    std::string description() const override { return "fuzz card"; }

    sim::VirtualCard& card() { return *card_; }
    sim::MemoryStorage& storage() { return *storage_; }

private:
    std::shared_ptr<sim::MemoryStorage> storage_;
    DeterministicRandom random_;
    FixedClock clock_;
    std::unique_ptr<sim::VirtualCard> card_;
    std::vector<std::uint8_t> response_ = std::vector<std::uint8_t>(sim::kMaxResponseApdu);
};

}  // namespace qscd::fuzz
