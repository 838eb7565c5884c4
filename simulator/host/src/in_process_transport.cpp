#include "qscd/sim/in_process_transport.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "qscd/error.hpp"
#include "qscd/sim/file_storage.hpp"

namespace qscd::sim {

namespace {

[[noreturn]] void throw_state_error(StateError error, const std::string& where) {
    const std::string message = "simulator state " + where + ": " + describe(error);
    switch (error) {
        case StateError::NotFound: throw Error(ErrorCode::NotFound, message);
        case StateError::IoError: throw Error(ErrorCode::IoError, message);
        default: throw Error(ErrorCode::StateCorrupted, message + " (file left untouched)");
    }
}

}  // namespace

InProcessTransport::InProcessTransport(const std::filesystem::path& state_file, const std::filesystem::path& lock_file,
                                       CardOptions options)
    : storage_(std::make_unique<FileStorage>(state_file)),
      card_(std::make_unique<VirtualCard>(*storage_, random_, clock_, options)),
      description_("simulator " + state_file.string()),
      lock_path_(lock_file),
      response_(kMaxResponseApdu),
      image_(kStateMaxImage) {
    lock();
    auto loaded = card_->load();
    unlock();
    if (!loaded) throw_state_error(loaded.error(), state_file.string());
    card_->power_on();
}

InProcessTransport::InProcessTransport(std::unique_ptr<HostStorage> storage, std::string description, CardOptions options,
                                       const std::array<std::uint8_t, 4>* format_serial)
    : storage_(std::move(storage)),
      card_(std::make_unique<VirtualCard>(*storage_, random_, clock_, options)),
      description_(std::move(description)),
      response_(kMaxResponseApdu),
      image_(kStateMaxImage) {
    if (format_serial) {
        if (card_->format(*format_serial) != StorageStatus::Ok)
            throw Error(ErrorCode::IoError, description_ + ": could not write the initial state");
    } else {
        auto loaded = card_->load();
        if (!loaded) throw_state_error(loaded.error(), description_);
    }
    card_->power_on();
}

InProcessTransport::~InProcessTransport() {
    if (lock_fd_ >= 0) {
        ::flock(lock_fd_, LOCK_UN);
        ::close(lock_fd_);
    }
}

void InProcessTransport::lock() {
    if (lock_path_.empty()) return;
    if (lock_fd_ < 0) {
        lock_fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd_ < 0)
            throw Error(ErrorCode::IoError, "cannot open lock file " + lock_path_.string() + ": " + std::strerror(errno));
    }
    while (::flock(lock_fd_, LOCK_EX) != 0) {
        if (errno != EINTR)
            throw Error(ErrorCode::IoError, "cannot lock " + lock_path_.string() + ": " + std::strerror(errno));
    }
}

void InProcessTransport::unlock() noexcept {
    if (lock_fd_ >= 0) ::flock(lock_fd_, LOCK_UN);
}

void InProcessTransport::reload_if_changed() {
    std::size_t size = 0;
    const StorageStatus st = storage_->load(image_, size);
    if (st != StorageStatus::Ok) return;  // keep the in-memory card; load errors surface on the next commit
    auto generation = peek_generation(ByteView(image_.data(), size));
    if (generation && *generation == card_->generation()) return;
    auto loaded = card_->load();
    if (!loaded) throw_state_error(loaded.error(), description_);
}

void InProcessTransport::begin_transaction() {
    if (in_transaction_) return;
    lock();
    try {
        reload_if_changed();
    } catch (...) {
        unlock();
        throw;
    }
    in_transaction_ = true;
}

void InProcessTransport::end_transaction() noexcept {
    if (!in_transaction_) return;
    in_transaction_ = false;
    unlock();
}

Bytes InProcessTransport::transmit(ByteView command) {
    const bool implicit = !in_transaction_;
    if (implicit) begin_transaction();
    const std::size_t n = card_->process(command, response_);
    if (implicit) end_transaction();
    return Bytes(response_.begin(), response_.begin() + static_cast<std::ptrdiff_t>(n));
}

Bytes InProcessTransport::atr() const {
    const ByteView a = card_->card_atr();
    return Bytes(a.begin(), a.end());
}

void InProcessTransport::reset_card() { card_->reset(); }

}  // namespace qscd::sim
