#include "board.hpp"

#include <cstring>

namespace qscd::firmware {

sim::StorageStatus RamStorage::load(std::span<std::uint8_t> buffer, std::size_t& size) {
    if (!stored_) return sim::StorageStatus::NotFound;
    if (size_ > buffer.size()) return sim::StorageStatus::TooLarge;
    std::memcpy(buffer.data(), banks_[active_].data(), size_);
    size = size_;
    return sim::StorageStatus::Ok;
}

sim::StorageStatus RamStorage::commit(ByteView image) {
    if (begin_commit(image.size()) != sim::StorageStatus::Ok || write(image) != sim::StorageStatus::Ok)
        return sim::StorageStatus::IoError;
    return finish_commit(sim::CommitSync::Now);
}

sim::StorageStatus RamStorage::open_image(std::size_t& size) {
    if (!stored_) return sim::StorageStatus::NotFound;
    size = size_;
    return sim::StorageStatus::Ok;
}

sim::StorageStatus RamStorage::read(std::size_t offset, std::span<std::uint8_t> out) {
    if (!stored_ || offset > size_ || size_ - offset < out.size()) return sim::StorageStatus::IoError;
    if (!out.empty()) std::memcpy(out.data(), banks_[active_].data() + offset, out.size());
    return sim::StorageStatus::Ok;
}

sim::StorageStatus RamStorage::begin_commit(std::size_t size) {
    writing_ = size <= banks_[1 - active_].size();
    next_size_ = size;
    written_ = 0;
    return writing_ ? sim::StorageStatus::Ok : sim::StorageStatus::IoError;
}

sim::StorageStatus RamStorage::write(ByteView chunk) {
    if (!writing_ || next_size_ - written_ < chunk.size()) return sim::StorageStatus::IoError;
    if (!chunk.empty()) std::memcpy(banks_[1 - active_].data() + written_, chunk.data(), chunk.size());
    written_ += chunk.size();
    return sim::StorageStatus::Ok;
}

sim::StorageStatus RamStorage::finish_commit(sim::CommitSync) {
    if (!writing_ || written_ != next_size_) return sim::StorageStatus::IoError;
    writing_ = false;
    active_ = 1 - active_;  // the switch: before it the old image is stored, after it the new one
    size_ = next_size_;
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
