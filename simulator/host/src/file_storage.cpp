#include "qscd/sim/file_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace qscd::sim {

namespace {

bool write_all(int fd, ByteView data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::atomic<unsigned> temp_counter{0};

}  // namespace

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

StorageStatus FileStorage::commit(ByteView image) {
    const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    const std::filesystem::path temp =
        dir / ("." + path_.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
               std::to_string(temp_counter.fetch_add(1)));
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return StorageStatus::IoError;
    bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, image) && ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    if (ok) ok = ::rename(temp.c_str(), path_.c_str()) == 0;
    if (!ok) {
        ::unlink(temp.c_str());
        return StorageStatus::IoError;
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return StorageStatus::Ok;
}

}  // namespace qscd::sim
