#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"

namespace qscd {
namespace {

[[noreturn]] void io_fail(const std::string& what, const std::filesystem::path& path, int err) {
    throw Error(ErrorCode::IoError, what + " " + path.string() + ": " + std::strerror(err));
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

}  // namespace

void write_file_atomic(const std::filesystem::path& path, ByteView data, mode_t mode) {
    std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::uint8_t nonce[6];
    random_bytes(nonce);
    std::filesystem::path tmp = dir / ("." + path.filename().string() + "." + to_hex(nonce, "") + ".tmp");
    // O_EXCL: never follow or reuse someone else's file; the mode applies from the first byte on.
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.get() < 0) io_fail("cannot create", tmp, errno);
    auto cleanup = [&](const std::string& what) {
        int err = errno;
        ::close(fd.release());
        ::unlink(tmp.c_str());
        io_fail(what, path, err);
    };
    if (::fchmod(fd.get(), mode) != 0) cleanup("cannot set mode of");  // umask may have narrowed/widened it
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            cleanup("cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) cleanup("cannot sync");
    if (::close(fd.release()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        io_fail("cannot close", path, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        io_fail("cannot rename into", path, err);
    }
    // The rename itself is only durable once the directory entry is on disk.
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) io_fail("cannot sync directory of", path, errno);
}

Bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) io_fail("cannot open", path, errno);
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) io_fail("cannot read", path, errno);
    return data;
}

}  // namespace qscd
