#include "qscd/sim/file_storage.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "qscd/sim/card_crypto.hpp"
#include "qscd/sim/state.hpp"

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
    int open_rw(const char* path) override { return ::open(path, O_RDWR | O_CLOEXEC); }
    ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
        return ::pwrite(fd, data, size, offset);
    }
    int fdatasync(int fd) override { return ::fdatasync(fd); }
};

static_assert(FileStorage::kSlotSize >= FileStorage::kSlotHeaderSize + kStateMaxImage);

constexpr std::uint8_t kFileMagic[8] = {'Q', 'S', 'C', 'D', 'A', 'B', '0', '1'};
constexpr std::uint8_t kSlotMagic[8] = {'Q', 'S', 'C', 'D', 'S', 'L', 'O', 'T'};
constexpr std::size_t kDigestSize = crypto::kSha256Size;

void put_le(std::uint8_t* p, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get_le(const std::uint8_t* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

std::size_t slot_offset(int slot) { return FileStorage::kFileHeaderSize + static_cast<std::size_t>(slot) * FileStorage::kSlotSize; }

// Slot header + image, its digest in front (file_storage.hpp); `out` is resized to the bytes to write.
void build_slot(std::vector<std::uint8_t>& out, std::uint64_t sequence, ByteView image) {
    out.assign(FileStorage::kSlotHeaderSize + image.size(), 0);
    std::uint8_t* h = out.data();
    std::copy(std::begin(kSlotMagic), std::end(kSlotMagic), h + kDigestSize);
    put_le(h + kDigestSize + 8, sequence, 8);
    put_le(h + kDigestSize + 16, image.size(), 4);
    std::copy(image.begin(), image.end(), out.begin() + FileStorage::kSlotHeaderSize);
    std::array<std::uint8_t, kDigestSize> digest{};
    crypto::sha256(ByteView(out).subspan(kDigestSize), digest);
    std::copy(digest.begin(), digest.end(), h);
}

bool read_at(int fd, std::uint8_t* out, std::size_t size, std::size_t offset) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// One slot as read from the file: valid when its magic, length and digest hold.
struct Slot {
    Slot() = default;
    Slot(Slot&&) = default;
    Slot& operator=(Slot&&) = default;
    bool valid = false;
    std::uint64_t sequence = 0;
    std::vector<std::uint8_t> bytes;  // header + image
    ByteView image() const { return ByteView(bytes).subspan(FileStorage::kSlotHeaderSize); }
    ~Slot() { crypto::zeroize(bytes.data(), bytes.size()); }  // images hold PIN verifiers and keys
};

Slot read_slot(int fd, int index) {
    Slot s;
    std::uint8_t header[FileStorage::kSlotHeaderSize];
    if (!read_at(fd, header, sizeof header, slot_offset(index))) return s;
    if (!std::equal(std::begin(kSlotMagic), std::end(kSlotMagic), header + kDigestSize)) return s;
    const std::uint64_t length = get_le(header + kDigestSize + 16, 4);
    if (length > FileStorage::kSlotSize - FileStorage::kSlotHeaderSize) return s;
    s.bytes.resize(FileStorage::kSlotHeaderSize + length);
    if (!read_at(fd, s.bytes.data(), s.bytes.size(), slot_offset(index))) return s;
    std::array<std::uint8_t, kDigestSize> digest{};
    if (!crypto::sha256(ByteView(s.bytes).subspan(kDigestSize), digest)) return s;
    s.valid = crypto::equal_ct(digest, ByteView(s.bytes).first(kDigestSize));
    s.sequence = get_le(header + kDigestSize + 8, 8);
    return s;
}

// The sequence a slot's header claims (0: no slot header), before any check of its digest; `tag`: the
// digest's first 8 bytes (two writes of one sequence differ there).
std::uint64_t claimed_sequence(int fd, int index, std::uint64_t& tag) {
    std::uint8_t header[FileStorage::kSlotHeaderSize];
    tag = 0;
    if (!read_at(fd, header, sizeof header, slot_offset(index))) return 0;
    if (!std::equal(std::begin(kSlotMagic), std::end(kSlotMagic), header + kDigestSize)) return 0;
    tag = get_le(header, 8);
    return get_le(header + kDigestSize + 8, 8);
}

// Whether the open file is in the slot layout (its header block is written once, before the rename).
bool has_slot_layout(int fd) {
    std::uint8_t header[12];
    if (!read_at(fd, header, sizeof header, 0)) return false;
    return std::equal(std::begin(kFileMagic), std::end(kFileMagic), header) &&
           get_le(header + 8, 4) == FileStorage::kSlotSize;
}

constexpr int kSlots = FileStorage::kSlots;

using Table = std::array<std::uint64_t, kSlots>;

Table claimed_table(int fd, Table* tags = nullptr) {
    Table t{}, g{};
    for (int i = 0; i < kSlots; ++i) t[i] = claimed_sequence(fd, i, g[i]);
    if (tags) *tags = g;
    return t;
}

// The newest valid slot, read whole into `slot` (-1 if none): slots are checked from the highest claimed
// sequence down, so usually one digest is computed.
int newest_valid(int fd, const Table& claimed, Slot& slot) {
    std::array<int, kSlots> order{};
    for (int i = 0; i < kSlots; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return claimed[a] > claimed[b]; });
    for (int i : order) {
        if (claimed[i] == 0) break;
        slot = read_slot(fd, i);
        if (slot.valid) return i;
    }
    return -1;
}

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
    StorageStatus status = StorageStatus::Ok;
    if (has_slot_layout(fd)) {
        struct stat st {};
        Slot newest;
        const int current = newest_valid(fd, claimed_table(fd), newest);
        // The layout is created whole and never changes size: a shorter or longer file is damaged.
        if (::fstat(fd, &st) != 0) {
            status = StorageStatus::IoError;
        } else if (current < 0 || static_cast<std::size_t>(st.st_size) != kFileSize) {
            status = StorageStatus::Corrupted;
        } else if (newest.image().size() > buffer.size()) {
            status = StorageStatus::TooLarge;
        } else {
            const ByteView image = newest.image();
            std::copy(image.begin(), image.end(), buffer.begin());
            size = image.size();
        }
        ::close(fd);
        return status;
    }
    // Not the slot layout: the whole file is the image (format before issue 15) or something to refuse.
    std::size_t done = 0;
    for (;;) {
        if (done == buffer.size()) {  // full: anything more means the file is too large
            std::uint8_t probe;
            const ssize_t n = ::pread(fd, &probe, 1, static_cast<off_t>(done));
            if (n > 0) status = StorageStatus::TooLarge;
            else if (n < 0) status = StorageStatus::IoError;
            break;
        }
        const ssize_t n = ::pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(done));
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

StorageStatus FileStorage::commit(ByteView image) { return store(image, CommitSync::Now); }

StorageStatus FileStorage::commit_deferred(ByteView image) { return store(image, CommitSync::Deferred); }

StorageStatus FileStorage::store(ByteView image, CommitSync sync) {
    if (image.size() > kSlotSize - kSlotHeaderSize) return StorageStatus::IoError;
    if (!swept_) {
        swept_ = true;
        remove_stray_temps(path_.has_parent_path() ? path_.parent_path() : std::filesystem::path("."));
    }
    // Which slot to write is read without FileOps: reading changes nothing on the disk.
    const int probe = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (probe < 0 && errno != ENOENT) return StorageStatus::IoError;
    if (probe < 0 || !has_slot_layout(probe)) {
        if (probe >= 0) ::close(probe);
        durable_slot_ = -1;
        const StorageStatus created = create_layout(image);
        written_slot_ = -1;
        if (created == StorageStatus::Ok && durability_ == Durability::Full) {
            const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);  // what this object just made durable
            if (fd >= 0) {
                seen_ = claimed_table(fd, &seen_tags_);
                durable_slot_ = written_slot_ = 0;
                ::close(fd);
            }
        }
        return created;
    }
    Table tags{};
    Table table = claimed_table(probe, &tags);
    const bool unchanged = table == seen_ && tags == seen_tags_;
    int current = -1;
    if (durable_slot_ >= 0 && written_slot_ >= 0 && unchanged) {
        // Nobody wrote since this object's last commit, which wrote its slot whole: it is the newest.
        current = written_slot_;
    } else {
        Slot newest;
        current = newest_valid(probe, table, newest);
    }
    struct stat st {};
    const bool whole = ::fstat(probe, &st) == 0 && static_cast<std::size_t>(st.st_size) == kFileSize;
    ::close(probe);
    // Nothing valid to keep, or a damaged file (load() refuses it): refuse rather than guess.
    if (current < 0 || !whole) return StorageStatus::IoError;

    const bool full = durability_ == Durability::Full;
    const int fd = ops_.open_rw(path_.c_str());
    if (fd < 0) return StorageStatus::IoError;
    bool ok = true;
    // Which slot holds the last durable image is known only if nobody wrote since this object's last
    // commit; otherwise one fdatasync first makes what is there durable (the newest valid slot).
    if (durable_slot_ < 0 || !unchanged) {
        if (full) ok = ops_.fdatasync(fd) == 0;
        durable_slot_ = current;
    }
    // Never the newest valid slot (a torn write falls back to it: the previous image) nor the last durable
    // one (a power cut falls back to it); with three slots one is always left: the oldest other one.
    int target = -1;
    for (int i = 0; i < kSlots; ++i)
        if (i != current && i != durable_slot_ && (target < 0 || table[i] < table[target])) target = i;
    const std::uint64_t sequence = table[current] + 1;

    std::vector<std::uint8_t> slot;
    build_slot(slot, sequence, image);
    std::array<std::uint8_t, 8> slot_tag{};
    std::copy_n(slot.begin(), slot_tag.size(), slot_tag.begin());
    for (std::size_t done = 0; ok && done < slot.size();) {
        const ssize_t n = ops_.pwrite(fd, slot.data() + done, slot.size() - done,
                                      static_cast<off_t>(slot_offset(target) + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        else done += static_cast<std::size_t>(n);
    }
    crypto::zeroize(slot.data(), slot.size());
    // The file's size and blocks never change after its creation: fdatasync flushes the data alone.
    const bool synced = ok && full && sync == CommitSync::Now;
    if (synced) ok = ops_.fdatasync(fd) == 0;
    const bool closed = ops_.close(fd) == 0;  // after a good fdatasync the image is durable whatever close says
    ok = ok && (synced || closed);
    if (!ok) {
        durable_slot_ = written_slot_ = -1;  // what the failed call left is not known: the next commit syncs first
        return StorageStatus::IoError;
    }
    table[target] = sequence;
    tags[target] = get_le(slot_tag.data(), 8);
    seen_ = table;
    seen_tags_ = tags;
    written_slot_ = target;
    if (synced) durable_slot_ = target;
    return StorageStatus::Ok;
}

StorageStatus FileStorage::create_layout(ByteView image) {
    const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    const bool full = durability_ == Durability::Full;
    std::vector<std::uint8_t> file(kFileSize, 0);
    std::copy(std::begin(kFileMagic), std::end(kFileMagic), file.begin());
    put_le(file.data() + 8, kSlotSize, 4);
    std::vector<std::uint8_t> slot;
    build_slot(slot, 1, image);
    std::copy(slot.begin(), slot.end(), file.begin() + static_cast<std::ptrdiff_t>(slot_offset(0)));
    crypto::zeroize(slot.data(), slot.size());

    const std::filesystem::path temp =
        dir / (temp_prefix(path_) + std::to_string(::getpid()) + "." + std::to_string(temp_counter.fetch_add(1)));
    const int fd = ops_.create_exclusive(temp.c_str());
    if (fd < 0) {
        crypto::zeroize(file.data(), file.size());
        return StorageStatus::IoError;
    }
    bool ok = write_all(ops_, fd, file) && (!full || ops_.fsync(fd) == 0);
    crypto::zeroize(file.data(), file.size());
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
