#include "qscd/sim/file_storage.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace qscd::sim {

namespace {

class PosixFileOps final : public FileOps {
public:
    int create_exclusive(const char* path) override {
        const int fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return -1;
        if (::fchmod(fd, 0600) != 0) {  // the umask could only have narrowed it; be exact anyway
            const int saved = errno;
            ::close(fd);
            ::unlink(path);
            errno = saved;
            return -1;
        }
        return fd;
    }
    ssize_t write(int fd, const void* data, std::size_t size) override { return ::write(fd, data, size); }
    int fsync(int fd) override { return ::fsync(fd); }
    int close(int fd) override { return ::close(fd); }
    int rename(const char* from, const char* to) override { return ::rename(from, to); }
    int unlink(const char* path) override { return ::unlink(path); }
    int open_dir(const char* path) override { return ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
};

bool write_all(FileOps& ops, int fd, ByteView data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ops.write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return false;  // no progress: give up rather than spin
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::atomic<unsigned> temp_counter{0};

std::string temp_prefix(const std::filesystem::path& file) { return "." + file.filename().string() + ".tmp."; }

// A temp file "<prefix><pid>.<n>" is stray if its writer is this process (commits are serialised, so
// none of ours is in flight) or a process that no longer exists.
bool is_stray(std::string_view name, std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return false;
    const std::string rest(name.substr(prefix.size()));
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end == rest.c_str() || *end != '.' || pid <= 0) return false;
    if (pid == static_cast<long>(::getpid())) return true;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

FileOps& FileOps::posix() {
    static PosixFileOps ops;
    return ops;
}

Durability FileStorage::durability_from_environment() {
    const char* value = std::getenv("QSCD_SIM_DURABILITY");
    return value && std::string_view(value) == "relaxed" ? Durability::Relaxed : Durability::Full;
}

FileStorage::FileStorage(std::filesystem::path path)
    : FileStorage(std::move(path), durability_from_environment(), FileOps::posix()) {}

FileStorage::FileStorage(std::filesystem::path path, Durability durability, FileOps& ops)
    : path_(std::move(path)), durability_(durability), ops_(ops) {}

StorageStatus FileStorage::load(std::span<std::uint8_t> buffer, std::size_t& size) {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? StorageStatus::NotFound : StorageStatus::IoError;
    std::size_t done = 0;
    StorageStatus status = StorageStatus::Ok;
    for (;;) {
        if (done == buffer.size()) {  // full: anything more means the file is too large
            std::uint8_t probe;
            const ssize_t n = ::read(fd, &probe, 1);
            if (n > 0) status = StorageStatus::TooLarge;
            else if (n < 0) status = StorageStatus::IoError;
            break;
        }
        const ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            status = StorageStatus::IoError;
            break;
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    size = done;
    return status;
}

void FileStorage::remove_stray_temps(const std::filesystem::path& dir) {
    const std::string prefix = temp_prefix(path_);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (is_stray(name, prefix)) ops_.unlink(entry.path().c_str());  // best effort: it is ignored anyway
    }
}

StorageStatus FileStorage::commit(ByteView image) {
    const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    if (!swept_) {
        swept_ = true;
        remove_stray_temps(dir);
    }
    const bool full = durability_ == Durability::Full;
    const std::filesystem::path temp =
        dir / (temp_prefix(path_) + std::to_string(::getpid()) + "." + std::to_string(temp_counter.fetch_add(1)));
    const int fd = ops_.create_exclusive(temp.c_str());
    if (fd < 0) return StorageStatus::IoError;
    bool ok = write_all(ops_, fd, image) && (!full || ops_.fsync(fd) == 0);
    ok = (ops_.close(fd) == 0) && ok;
    if (ok) ok = ops_.rename(temp.c_str(), path_.c_str()) == 0;
    if (!ok) {
        ops_.unlink(temp.c_str());
        return StorageStatus::IoError;
    }
    if (!full) return StorageStatus::Ok;
    // The rename is durable only once the directory is: until then a power cut may bring the old file back.
    const int dfd = ops_.open_dir(dir.c_str());
    if (dfd < 0) return StorageStatus::IoError;
    const bool synced = ops_.fsync(dfd) == 0;
    ops_.close(dfd);
    return synced ? StorageStatus::Ok : StorageStatus::IoError;
}

}  // namespace qscd::sim
