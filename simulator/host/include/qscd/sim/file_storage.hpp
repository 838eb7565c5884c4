// One state file per token holding three image slots in place. A commit writes the new image with its
// slot header into one slot (one pwrite), then fdatasync: the file is preallocated, so no metadata
// changes and one data flush makes it durable. Each slot carries a sequence number and a SHA-256 over its
// header and image: load() takes the valid slot with the highest sequence, so a torn slot fails the check
// and load() gives the previous image. A commit never writes the newest valid slot (the previous image)
// nor the slot this object last made durable (what a power cut falls back to); the third is the one.
// commit_deferred() writes the same way without the fdatasync: in order and atomic, lost to a power cut
// (never to a process crash) until the next commit(), which makes it durable with its own. An object
// knows which slot is durable only while nobody else wrote the file since its last commit; otherwise it
// first fdatasyncs what is there.
//
// File layout (integers little-endian):
//   header block (kFileHeaderSize): magic "QSCDAB01" | slot size u32 | zeros
//   slots 0, 1, 2 (kSlotSize each):   SHA-256 of the next 32 bytes + image (32) | magic "QSCDSLOT" (8)
//                                     | sequence u64 | image length u32 | zeros (12) | image | unused
// The layout is created whole (header, the image in slot 0, the others empty) by the first commit of a file
// that does not exist or holds a single image (the format before issue 15, which load() still reads):
// temp file (O_EXCL, 0600) -> write -> fsync -> close -> rename over the file -> fsync the directory.
//
// Every system call of commit() goes through FileOps, so tests can cut the power between any two of them
// (tests/crash/storage_tearing_test.cpp). Production code uses FileOps::posix().
//
// Durability::Relaxed skips the fsyncs / fdatasync: still atomic against a process crash (kill -9), but
// NOT against power loss. TEST / BENCHMARK ONLY: it exists to measure what the syncs cost. It is selected
// only by the environment variable QSCD_SIM_DURABILITY=relaxed, read by the one-argument constructor (the
// one every tool uses); there is deliberately no command-line option.
#pragma once

#include <sys/types.h>

#include <array>
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
    // In-place commits of the slot layout: open(O_RDWR | O_CLOEXEC) of the existing file, pwrite, fdatasync.
    virtual int open_rw(const char* path) = 0;
    virtual ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) = 0;  // may write less
    virtual int fdatasync(int fd) = 0;

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

    // Slot layout: the image of the newest slot whose checksum holds (Corrupted if none does, or the file
    // does not have the layout's size). Any other
    // file (a single image before issue 15, or whatever it is) is returned as it is, for the card to
    // judge. NotFound if it does not exist, TooLarge if the image exceeds the buffer. Never writes.
    StorageStatus load(std::span<std::uint8_t> buffer, std::size_t& size) override;
    // Slot layout: open, [fdatasync if another writer came in between,] pwrite slot header + image into
    // the slot chosen as above, fdatasync, close. IoError before the fdatasync returned: the slot may be
    // torn, load() gives the
    // previous image; IoError from the fdatasync: the new image may be what load() gives but may not
    // survive a power cut, so the caller must treat the commit as failed (the card answers 6581 and
    // reveals nothing). Otherwise (no file, or not the slot layout): the whole layout through
    // <dir>/.<name>.tmp.<pid>.<n> and rename as described above; IoError before the rename leaves the
    // old file untouched. The first commit of this object also removes temp files left by crashed
    // writers (their own pid, or a pid no longer alive): commits to one file must be serialised, as
    // InProcessTransport's <name>.lock does.
    StorageStatus commit(ByteView image) override;
    // As commit() without its final fdatasync (Relaxed: identical to commit()).
    StorageStatus commit_deferred(ByteView image) override;

    // The slot layout's geometry: a slot holds an image up to kStateMaxImage bytes.
    static constexpr std::size_t kFileHeaderSize = 4096;
    static constexpr std::size_t kSlotHeaderSize = 64;
    static constexpr std::size_t kSlotSize = 36864;  // kSlotHeaderSize + kStateMaxImage, rounded up to 4 KiB
    static constexpr int kSlots = 3;
    static constexpr std::size_t kFileSize = kFileHeaderSize + kSlots * kSlotSize;

    const std::filesystem::path& path() const { return path_; }
    Durability durability() const { return durability_; }

private:
    void remove_stray_temps(const std::filesystem::path& dir);
    StorageStatus create_layout(ByteView image);
    StorageStatus store(ByteView image, CommitSync sync);

    std::filesystem::path path_;
    Durability durability_;
    FileOps& ops_;
    bool swept_ = false;
    int durable_slot_ = -1;                   // the slot this object last made durable, -1: not known
    int written_slot_ = -1;                   // the slot of this object's last commit
    std::array<std::uint64_t, kSlots> seen_{};       // slot sequences (0: none) after this object's last commit
    std::array<std::uint64_t, kSlots> seen_tags_{};  // and the first 8 bytes of their digests
};

}  // namespace qscd::sim
