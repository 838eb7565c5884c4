#include "atomic_file.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc 2.28)
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
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

}  // namespace

FileKind file_kind(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno == ENOENT || errno == ENOTDIR ? FileKind::Missing : FileKind::Other;
    if (S_ISREG(st.st_mode)) return FileKind::Regular;
    if (S_ISDIR(st.st_mode)) return FileKind::Directory;
    if (S_ISFIFO(st.st_mode)) return FileKind::Fifo;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return FileKind::Device;
    if (S_ISSOCK(st.st_mode)) return FileKind::Socket;
    return FileKind::Other;
}

const char* describe(FileKind kind) {
    switch (kind) {
        case FileKind::Missing: return "missing";
        case FileKind::Regular: return "a regular file";
        case FileKind::Directory: return "a directory";
        case FileKind::Fifo: return "a FIFO";
        case FileKind::Device: return "a device";
        case FileKind::Socket: return "a socket";
        case FileKind::Other: break;
    }
    return "not a regular file";
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
    struct stat sa {}, sb {};
    if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void check_output_path(const std::filesystem::path& path, bool replace) {
    if (path.filename().empty() || path.filename() == "." || path.filename() == "..")
        throw Error(ErrorCode::InvalidArgument, path.string() + " names a directory, not a file");
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;  // nothing there (or unreachable: creating it will say why)
    const FileKind kind = file_kind(path);
    // A rename would replace a FIFO or device node (or a link to one) as happily as a file: refuse,
    // even with --force, since whoever made it there meant something else.
    if (kind != FileKind::Regular && kind != FileKind::Missing)
        throw Error(ErrorCode::InvalidArgument, path.string() + " is " + describe(kind) + "; only a regular file is ever replaced");
    if (!replace) throw Error(ErrorCode::InvalidArgument, path.string() + " exists; use --force to replace it");
}

namespace {

std::filesystem::path directory_of(const std::filesystem::path& path) {
    return path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
}

// A fresh temporary beside `path`, created exclusively with `mode`: O_EXCL never follows or reuses
// someone else's file, and the mode applies from the first byte on. Errors name `path`.
Fd create_temporary(const std::filesystem::path& path, mode_t mode, std::filesystem::path& temp) {
    std::uint8_t nonce[6];
    random_bytes(nonce);
    temp = directory_of(path) / ("." + path.filename().string() + "." + to_hex(nonce, "") + ".tmp");
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.get() < 0) io_fail("cannot create", path, errno);
    if (::fchmod(fd.get(), mode) != 0) {  // umask may have narrowed/widened it
        const int err = errno;
        ::unlink(temp.c_str());
        io_fail("cannot set the mode of", path, err);
    }
    return fd;
}

}  // namespace

PendingFile::PendingFile(std::filesystem::path path, mode_t mode, bool replace) : path_(std::move(path)), mode_(mode), replace_(replace) {
    check_output_path(path_, replace_);
    // Probe: the file can be created in its directory now. Nothing is kept open or on disk while the
    // work runs, so a process killed meanwhile (Ctrl-C at the PIN prompt) leaves no temporary behind.
    std::filesystem::path probe;
    create_temporary(path_, mode_, probe);
    ::unlink(probe.c_str());
}

void PendingFile::commit(ByteView data) {
    if (committed_) throw Error(ErrorCode::InvalidArgument, "output " + path_.string() + " was already written");
    std::filesystem::path temp;
    Fd fd = create_temporary(path_, mode_, temp);
    auto fail = [&](const std::string& what) {
        const int err = errno;
        if (fd.get() >= 0) ::close(fd.release());
        ::unlink(temp.c_str());
        io_fail(what, path_, err);
    };
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("cannot sync");
    if (::close(fd.release()) != 0) fail("cannot close");
    try {
        check_output_path(path_, replace_);  // something may have appeared there while the work ran
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    if (replace_) {
        if (::rename(temp.c_str(), path_.c_str()) != 0) fail("cannot rename into");
    } else if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) != 0) {
        // No clobbering even in a race: the rename fails if anything took the name meanwhile.
        int err = errno;
        if (err == EINVAL || err == ENOSYS) {  // file systems without RENAME_NOREPLACE: link, then unlink
            err = ::link(temp.c_str(), path_.c_str()) == 0 ? 0 : errno;
            ::unlink(temp.c_str());
        }
        if (err == EEXIST) {
            ::unlink(temp.c_str());
            throw Error(ErrorCode::InvalidArgument, path_.string() + " exists; use --force to replace it");
        }
        if (err != 0) {
            errno = err;
            fail("cannot create");
        }
    }
    committed_ = true;
    // The rename itself is only durable once the directory entry is on disk.
    Fd dfd(::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) io_fail("cannot sync directory of", path_, errno);
}

void write_file_atomic(const std::filesystem::path& path, ByteView data, mode_t mode) {
    PendingFile(path, mode, /*replace=*/true).commit(data);
}

Bytes read_file(const std::filesystem::path& path) {
    const FileKind kind = file_kind(path);
    if (kind == FileKind::Missing) throw Error(ErrorCode::NotFound, "no such file: " + path.string());
    if (kind == FileKind::Directory) throw Error(ErrorCode::InvalidArgument, path.string() + " is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) io_fail("cannot open", path, errno);
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) io_fail("cannot read", path, errno);
    return data;
}

}  // namespace qscd
