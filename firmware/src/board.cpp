#include "board.hpp"

#include <cstring>

namespace qscd::firmware {

sim::StorageStatus RamStorage::load(std::span<std::uint8_t> buffer, std::size_t& size) {
    if (!stored_) return sim::StorageStatus::NotFound;
    if (size_ > buffer.size()) return sim::StorageStatus::TooLarge;
    std::memcpy(buffer.data(), memory_.data(), size_);
    size = size_;
    return sim::StorageStatus::Ok;
}

sim::StorageStatus RamStorage::commit(ByteView image) {
    if (image.size() > memory_.size()) return sim::StorageStatus::IoError;
    std::memcpy(memory_.data(), image.data(), image.size());
    size_ = image.size();
    stored_ = true;
    return sim::StorageStatus::Ok;
}

void TestRandom::fill(std::span<std::uint8_t> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i % 8 == 0) {
            state_ ^= state_ >> 12;
            state_ ^= state_ << 25;
            state_ ^= state_ >> 27;
        }
        out[i] = static_cast<std::uint8_t>((state_ * 0x2545F4914F6CDD1Du) >> (8 * (i % 8)));
    }
}

}  // namespace qscd::firmware
