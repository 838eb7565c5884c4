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
// Its streaming interface is built on load / commit: open_image() loads the image into a host-side copy
// that read() serves, and finish_commit() commits the written chunks as one image through commit() or
// commit_deferred(), so a storage's calls (and where a power cut can fall) are those of a whole-image commit.
class HostStorage : public Storage {
public:
    HostStorage() = default;
    HostStorage(const HostStorage&) = default;
    HostStorage& operator=(const HostStorage&) = default;
    virtual ~HostStorage();

    StorageStatus open_image(std::size_t& size) override;
    StorageStatus read(std::size_t offset, std::span<std::uint8_t> out) override;
    StorageStatus begin_commit(std::size_t size) override;
    StorageStatus write(ByteView chunk) override;
    StorageStatus finish_commit(CommitSync sync) override;

private:
    std::vector<std::uint8_t> current_;  // the image open_image() read or the last finish_commit() stored
    std::vector<std::uint8_t> next_;     // the image being written
    std::size_t next_size_ = 0;
    bool has_current_ = false, writing_ = false;
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
