// One state file per token, replaced atomically: temp file (O_EXCL, 0600) -> write -> fsync -> close ->
// rename over the file -> fsync the directory. A power cut at any point leaves the old or the new image.
//
// Every system call of commit() goes through FileOps, so tests can cut the power between any two of them
// (tests/crash/storage_tearing_test.cpp). Production code uses FileOps::posix().
//
// Durability::Relaxed skips both fsyncs: still temp + rename, so still atomic against a process crash
// (kill -9), but NOT against power loss. TEST / BENCHMARK ONLY: it exists to measure what the fsyncs
// cost. It is selected only by the environment variable QSCD_SIM_DURABILITY=relaxed, read by the
// one-argument constructor (the one every tool uses); there is deliberately no command-line option.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "qscd/sim/host_platform.hpp"

namespace qscd::sim {

// The system calls FileStorage::commit makes; each returns what the POSIX call returns (-1 + errno).
class FileOps {
public:
    virtual ~FileOps() = default;
    // open(O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC) with mode exactly 0600 (whatever the umask).
    virtual int create_exclusive(const char* path) = 0;
    virtual ssize_t write(int fd, const void* data, std::size_t size) = 0;  // may write less than asked
    virtual int fsync(int fd) = 0;
    virtual int close(int fd) = 0;
    virtual int rename(const char* from, const char* to) = 0;
    virtual int unlink(const char* path) = 0;
    virtual int open_dir(const char* path) = 0;  // O_RDONLY | O_DIRECTORY, to fsync the directory entry

    static FileOps& posix();
};

enum class Durability : std::uint8_t {
    Full,     // fsync file and directory: survives power loss
    Relaxed,  // no fsync: survives a process crash only (test / benchmark only, see above)
};

class FileStorage : public HostStorage {
public:
    // Durability from QSCD_SIM_DURABILITY ("relaxed" -> Relaxed, anything else -> Full), POSIX calls.
    explicit FileStorage(std::filesystem::path path);
    FileStorage(std::filesystem::path path, Durability durability, FileOps& ops = FileOps::posix());

    static Durability durability_from_environment();

    // Reads the file; NotFound if it does not exist, TooLarge if it exceeds the buffer. Never writes.
    StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) override;
    // Writes <dir>/.<name>.tmp.<pid>.<n>, fsyncs, renames it over the file, fsyncs the directory.
    // The first commit of this object also removes temp files left by crashed writers (their own pid,
    // or a pid no longer alive): commits to one file must be serialised, as InProcessTransport's
    // <name>.lock does. IoError before the rename: the old image is untouched. IoError from the
    // directory fsync: the new image is in place but may not survive a power cut, so the caller
    // must treat the commit as failed (the card then answers 6581 and reveals nothing).
    StorageStatus commit(ByteView image) override;

    const std::filesystem::path& path() const { return path_; }
    Durability durability() const { return durability_; }

private:
    void remove_stray_temps(const std::filesystem::path& dir);

    std::filesystem::path path_;
    Durability durability_;
    FileOps& ops_;
    bool swept_ = false;
};

}  // namespace qscd::sim
