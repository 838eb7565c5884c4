// qscd::Transport over a VirtualCard living in this process (no PC/SC). Transactions take an
// exclusive flock on <name>.lock, so two processes using the same token serialise, and reload the
// state when another process committed a newer generation.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/virtual_card.hpp"
#include "qscd/transport.hpp"

namespace qscd::sim {

class InProcessTransport : public qscd::Transport {
public:
    // File-backed token: loads `state_file`; locks `lock_file` during transactions.
    // Throws qscd::Error(NotFound | StateCorrupted | IoError) naming the file.
    InProcessTransport(const std::filesystem::path& state_file, const std::filesystem::path& lock_file,
                       CardOptions options = {});
    // Any storage (tests: MemoryStorage). No file lock. The storage must hold a state already,
    // unless `format_serial` is given: then a factory-fresh card with that serial is written first.
    InProcessTransport(std::unique_ptr<HostStorage> storage, std::string description, CardOptions options = {},
                       const std::array<std::uint8_t, 4>* format_serial = nullptr);
    ~InProcessTransport() override;

    Bytes transmit(ByteView command) override;
    void begin_transaction() override;
    void end_transaction() noexcept override;
    Bytes atr() const override;
    std::string description() const override { return description_; }

    // Power cycle: clears PIN status, pending responses and chains (as pulling the card out would).
    void reset_card();
    VirtualCard& card() { return *card_; }
    Storage& storage() { return *storage_; }

private:
    void lock();
    void unlock() noexcept;
    void reload_if_changed();

    std::unique_ptr<HostStorage> storage_;
    SystemRandom random_;
    SystemClock clock_;
    std::unique_ptr<VirtualCard> card_;
    std::string description_;
    std::filesystem::path lock_path_;
    int lock_fd_ = -1;
    bool in_transaction_ = false;
    std::vector<std::uint8_t> response_;
    std::vector<std::uint8_t> image_;
};

}  // namespace qscd::sim
