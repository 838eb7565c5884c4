// Host implementations of the card platform interface (simulator/card/include/qscd/sim/platform.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "qscd/sim/platform.hpp"

namespace qscd::sim {

// getrandom(2); aborts if the kernel cannot deliver (a card without entropy must not continue).
class SystemRandom final : public Random {
public:
    void fill(std::span<std::uint8_t> out) override;
};

// An f_rng-shaped adapter for host code that calls a crypto library with the card's Random: pass `&random`
// as its context. (The card core's own crypto goes through card_crypto.hpp.)
inline int random_f_rng(void* random, unsigned char* out, std::size_t length) {
    static_cast<Random*>(random)->fill(std::span<std::uint8_t>(out, length));
    return 0;
}

class SystemClock final : public Clock {
public:
    std::uint64_t now() override;
};

// A storage the host owns through the interface (InProcessTransport): the card's Storage has a protected
// non-virtual destructor, the host adds the virtual one.
class HostStorage : public Storage {
public:
    HostStorage() = default;
    HostStorage(const HostStorage&) = default;
    HostStorage& operator=(const HostStorage&) = default;
    virtual ~HostStorage() = default;
};

// Volatile storage for tests and tools: the image lives in a vector.
class MemoryStorage : public HostStorage {
public:
    MemoryStorage() = default;
    explicit MemoryStorage(std::vector<std::uint8_t> image) : image_(std::move(image)) {}

    StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) override;
    StorageStatus commit(ByteView image) override;

    const std::optional<std::vector<std::uint8_t>>& image() const { return image_; }
    void set_image(std::vector<std::uint8_t> image) { image_ = std::move(image); }
    // Test hook: every commit fails with IoError while set (the stored image stays as it was).
    bool fail_commits = false;
    std::size_t commit_count = 0;

private:
    std::optional<std::vector<std::uint8_t>> image_;
};

}  // namespace qscd::sim
