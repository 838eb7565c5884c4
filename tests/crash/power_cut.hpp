// Power-cut fault injection for FileStorage: PowerCutOps performs the real calls on a real directory,
// numbered 0, 1, 2 ...; call number `cut_at` and every later one do nothing and fail (EIO), and no
// cleanup can run, as when the power fails. At the cut, what the kernel had not yet made durable may
// be lost: the bytes written to the temp file since its last fsync, or written in place (pwrite) to the
// slot file since its last fdatasync (DataLoss), and the directory changes since the last directory
// fsync (DirLoss). Real fsyncs are skipped: durability is modelled.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "qscd/sim/file_storage.hpp"

namespace crash {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

inline constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();

// Unsynced bytes: all reach the disk, none, the first half of them (in write order), junk.
enum class DataLoss { Keep, Drop, Half, Garbage };
enum class DirLoss { Keep, RevertRename, RevertAll };  // un-fsynced directory changes kept / partly / all undone

struct Loss {
    DataLoss data;
    DirLoss dir;
};

inline std::vector<Loss> all_losses() {
    std::vector<Loss> out;
    for (DataLoss d : {DataLoss::Keep, DataLoss::Drop, DataLoss::Half, DataLoss::Garbage})
        for (DirLoss r : {DirLoss::Keep, DirLoss::RevertRename, DirLoss::RevertAll}) out.push_back({d, r});
    return out;
}

inline std::optional<Bytes> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const fs::path& p, const Bytes& b) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    if (!b.empty() && ::write(fd, b.data(), b.size()) != static_cast<ssize_t>(b.size())) std::abort();
    ::fchmod(fd, 0600);
    ::close(fd);
}

class PowerCutOps final : public qscd::sim::FileOps {
public:
    PowerCutOps(std::size_t cut_at, Loss loss, std::size_t max_write = kNever)
        : cut_at_(cut_at), loss_(loss), max_write_(max_write) {}

    // Instead of cutting the power, only call number `cut_at` fails (EIO); the process lives on.
    static PowerCutOps failing_call(std::size_t at, std::size_t max_write = kNever) {
        PowerCutOps ops(at, Loss{DataLoss::Keep, DirLoss::Keep}, max_write);
        ops.transient_ = true;
        return ops;
    }

    // The power fails now, between calls (e.g. after an acknowledged commit).
    void power_fail_now() {
        if (off_) return;
        off_ = true;
        cut();
    }

    bool power_off() const { return off_; }
    std::size_t calls() const { return calls_; }             // calls performed before the cut
    const std::vector<std::string>& log() const { return log_; }

    int create_exclusive(const char* path) override {
        if (!step("create")) return fail();
        const int fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return -1;
        temp_ = path;
        temp_fd_ = fd;
        written_ = synced_ = 0;
        created_pending_ = true;
        renamed_ = rename_pending_ = false;
        return fd;
    }
    ssize_t write(int fd, const void* data, std::size_t size) override {
        if (!step("write")) return fail();
        const ssize_t n = ::write(fd, data, std::min(size, max_write_));
        if (n > 0 && fd == temp_fd_) written_ += static_cast<std::size_t>(n);
        return n;
    }
    int fsync(int fd) override {
        if (!step("fsync")) return fail();
        if (fd == temp_fd_) synced_ = written_;
        if (fd == dir_fd_) created_pending_ = rename_pending_ = false;
        return 0;
    }
    int close(int fd) override {
        if (!step("close")) return fail();
        if (fd == temp_fd_) temp_fd_ = -1;
        if (fd == dir_fd_) dir_fd_ = -1;
        if (fd == inplace_fd_) inplace_fd_ = -1;  // its unsynced bytes stay at risk until a sync
        return ::close(fd);
    }
    int rename(const char* from, const char* to) override {
        if (!step("rename")) return fail();
        old_target_ = read_bytes(to);
        const int rc = ::rename(from, to);
        if (rc == 0 && temp_ == from) {
            target_ = to;
            renamed_ = rename_pending_ = true;
        }
        return rc;
    }
    int unlink(const char* path) override {
        if (!step("unlink")) return fail();
        return ::unlink(path);
    }
    int open_dir(const char* path) override {
        if (!step("open_dir")) return fail();
        dir_fd_ = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return dir_fd_;
    }

    // In place: the file's content at its first open through these ops is taken as durable (the trial
    // starts from a synced disk); later opens keep what is still unsynced.
    int open_rw(const char* path) override {
        if (!step("open")) return fail();
        const int fd = ::open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) return -1;
        inplace_fd_ = fd;
        if (inplace_path_ != path) {
            inplace_path_ = path;
            durable_ = *read_bytes(path);
            dirty_.clear();
        }
        return fd;
    }
    ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
        if (!step("pwrite")) return fail();
        const ssize_t n = ::pwrite(fd, data, std::min(size, max_write_), offset);
        if (n > 0 && fd == inplace_fd_)
            for (ssize_t i = 0; i < n; ++i) dirty_.push_back(static_cast<std::size_t>(offset + i));
        return n;
    }
    int fdatasync(int fd) override {
        if (!step("fdatasync")) return fail();
        if (fd == inplace_fd_) {
            durable_ = *read_bytes(inplace_path_);
            dirty_.clear();
        }
        return 0;
    }

private:
    bool step(const char* name) {
        if (off_) return false;
        if (calls_ == cut_at_ && transient_) {
            ++calls_;
            log_.push_back(std::string(name) + " FAILED");
            return false;
        }
        if (calls_ == cut_at_) {
            off_ = true;
            cut();
            return false;
        }
        ++calls_;
        log_.emplace_back(name);
        return true;
    }
    static int fail() {
        errno = EIO;
        return -1;
    }

    // What the disk holds after the power fails now.
    void cut() {
        // Open descriptors die with the power; their data follow the loss model below.
        if (temp_fd_ >= 0) ::close(temp_fd_);
        if (dir_fd_ >= 0) ::close(dir_fd_);
        if (inplace_fd_ >= 0) ::close(inplace_fd_);
        temp_fd_ = dir_fd_ = inplace_fd_ = -1;
        cut_in_place();
        if (temp_.empty()) return;
        // 1. The temp file's inode (at the target if renamed) loses its unsynced tail.
        const fs::path inode = renamed_ ? target_ : temp_;
        if (written_ > synced_ && fs::exists(inode)) {
            const std::size_t pending = written_ - synced_;
            switch (loss_.data) {
                case DataLoss::Keep: break;
                case DataLoss::Drop: fs::resize_file(inode, synced_); break;
                case DataLoss::Half: fs::resize_file(inode, synced_ + pending / 2); break;
                case DataLoss::Garbage: {
                    Bytes content = *read_bytes(inode);
                    for (std::size_t i = synced_; i < written_ && i < content.size(); ++i)
                        content[i] = static_cast<std::uint8_t>(0xA5 ^ i);
                    write_bytes(inode, content);
                    break;
                }
            }
        }
        // 2. Directory entries not yet fsynced may revert: the rename first, then the creation.
        if (loss_.dir == DirLoss::Keep) return;
        if (renamed_ && rename_pending_) {
            ::rename(target_.c_str(), temp_.c_str());
            if (old_target_) write_bytes(target_, *old_target_);
        }
        if (loss_.dir == DirLoss::RevertAll && created_pending_) ::unlink(temp_.c_str());
    }

    // 0. Bytes written in place since the last fdatasync follow the loss model (in write order).
    void cut_in_place() {
        if (inplace_path_.empty() || dirty_.empty()) return;
        Bytes content = *read_bytes(inplace_path_);
        for (std::size_t i = 0; i < dirty_.size(); ++i) {
            const std::size_t at = dirty_[i];
            if (at >= content.size() || at >= durable_.size()) continue;
            switch (loss_.data) {
                case DataLoss::Keep: break;
                case DataLoss::Drop: content[at] = durable_[at]; break;
                case DataLoss::Half: if (i >= dirty_.size() / 2) content[at] = durable_[at]; break;
                case DataLoss::Garbage: content[at] = static_cast<std::uint8_t>(0xA5 ^ at); break;
            }
        }
        write_bytes(inplace_path_, content);
    }

    std::size_t cut_at_;
    Loss loss_;
    std::size_t max_write_;
    std::size_t calls_ = 0;
    bool off_ = false;
    bool transient_ = false;
    std::vector<std::string> log_;

    fs::path temp_, target_;
    int temp_fd_ = -1, dir_fd_ = -1;
    std::size_t written_ = 0, synced_ = 0;
    bool created_pending_ = false, renamed_ = false, rename_pending_ = false;
    std::optional<Bytes> old_target_;
    int inplace_fd_ = -1;
    fs::path inplace_path_;
    Bytes durable_;                   // the in-place file as of open / the last fdatasync
    std::vector<std::size_t> dirty_;  // offsets written in place since then, in write order
};

// A private directory, removed with everything in it. On tmpfs when there is one: the loss of
// unsynced data is modelled above, and a busy disk would only make the thousands of trials slow.
struct TempDir {
    fs::path path;
    TempDir() {
        const fs::path base = ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm") : fs::temp_directory_path();
        std::string tmpl = (base / "qscd-crash-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) std::abort();
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

// Temp files of FileStorage (".<name>.tmp.<pid>.<n>") in `dir`.
// The image FileStorage::load gives for `path` (the newest valid slot, or a single-image file as it is);
// nullopt if it gives none.
inline std::optional<Bytes> stored_image(const fs::path& path) {
    PowerCutOps never(kNever, {DataLoss::Keep, DirLoss::Keep});
    qscd::sim::FileStorage storage(path, qscd::sim::Durability::Full, never);
    Bytes buffer(qscd::sim::kStateMaxImage);
    std::size_t size = 0;
    if (storage.load(buffer, size) != qscd::sim::StorageStatus::Ok) return std::nullopt;
    buffer.resize(size);
    return buffer;
}

inline std::size_t count_temps(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
    return n;
}

}  // namespace crash
