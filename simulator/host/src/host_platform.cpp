#include "qscd/sim/host_platform.hpp"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "qscd/sim/card_crypto.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

void SystemRandom::fill(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::abort();
        }
        done += static_cast<std::size_t>(n);
    }
}

std::uint64_t SystemClock::now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

namespace {
void wipe(std::vector<std::uint8_t>& bytes) {  // images hold PIN verifiers and private keys
    crypto::zeroize(bytes.data(), bytes.size());
    bytes.clear();
}
}  // namespace

HostStorage::~HostStorage() {
    wipe(current_);
    wipe(next_);
}

StorageStatus HostStorage::open_image(std::size_t& size) {
    wipe(current_);
    has_current_ = false;
    current_.resize(kStateMaxImage);
    std::size_t n = 0;
    const StorageStatus st = load(current_, n);
    if (st != StorageStatus::Ok) {
        wipe(current_);
        return st;
    }
    current_.resize(n);
    has_current_ = true;
    size = n;
    return StorageStatus::Ok;
}

StorageStatus HostStorage::read(std::size_t offset, std::span<std::uint8_t> out) {
    if (!has_current_ || offset > current_.size() || current_.size() - offset < out.size()) return StorageStatus::IoError;
    if (!out.empty()) std::memcpy(out.data(), current_.data() + offset, out.size());
    return StorageStatus::Ok;
}

StorageStatus HostStorage::begin_commit(std::size_t size) {
    wipe(next_);
    next_.reserve(size);
    next_size_ = size;
    writing_ = true;
    return StorageStatus::Ok;
}

StorageStatus HostStorage::write(ByteView chunk) {
    if (!writing_ || next_size_ - next_.size() < chunk.size()) return StorageStatus::IoError;
    next_.insert(next_.end(), chunk.begin(), chunk.end());
    return StorageStatus::Ok;
}

StorageStatus HostStorage::finish_commit(CommitSync sync) {
    if (!writing_ || next_.size() != next_size_) return StorageStatus::IoError;
    writing_ = false;
    const StorageStatus st = sync == CommitSync::Now ? commit(next_) : commit_deferred(next_);
    if (st == StorageStatus::Ok) {
        current_.swap(next_);
        has_current_ = true;
    }
    wipe(next_);
    return st;
}

StorageStatus MemoryStorage::load(std::span<std::uint8_t> buffer, std::size_t& size) {
    if (!image_) return StorageStatus::NotFound;
    if (image_->size() > buffer.size()) return StorageStatus::TooLarge;
    std::copy(image_->begin(), image_->end(), buffer.begin());
    size = image_->size();
    return StorageStatus::Ok;
}

StorageStatus MemoryStorage::commit(ByteView image) {
    if (fail_commits) return StorageStatus::IoError;
    image_ = std::vector<std::uint8_t>(image.begin(), image.end());
    ++commit_count;
    return StorageStatus::Ok;
}

}  // namespace qscd::sim
