#include "qscd/sim/host_platform.hpp"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

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
