// The versioned, checksummed image every applet's state is stored as (layout in state.hpp), and the
// little-endian field writer/reader the payloads are built with, which stream the image to and from the
// storage in kImageChunk pieces (the card holds no whole image in RAM). Private to the card core.
#pragma once

#include <cstring>

#include "qscd/sim/card_crypto.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

inline constexpr std::uint8_t kStateMagic[8] = {'Q', 'S', 'C', 'D', 'S', 'I', 'M', '1'};

inline constexpr std::size_t kImageChunk = 128;  // bytes a Writer / Reader holds: the card's only image RAM

// Writes an image's fields in order: counting only (default-constructed: the payload length of the header),
// or streamed to a commit in progress (Storage::write) in kImageChunk pieces, each also fed to `hash`.
class Writer {
public:
    Writer() = default;
    Writer(Storage& storage, crypto::Sha256& hash) : storage_(&storage), hash_(&hash) {}
    ~Writer() { crypto::zeroize(buf_.data(), buf_.size()); }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void u8(std::uint8_t v) {
        ++pos_;
        if (!storage_) return;
        if (fill_ == buf_.size()) flush();
        buf_[fill_++] = v;
    }
    void u16(std::uint16_t v) { for (int i = 0; i < 2; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i))); }
    void u32(std::uint32_t v) { for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i))); }
    void u64(std::uint64_t v) { for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i))); }
    void bytes(ByteView b) { for (auto x : b) u8(x); }
    template <std::size_t N>
    void var(const VarBytes<N>& v) { u16(v.length); bytes(v.view()); }
    template <std::size_t N>
    void fixed(const std::array<std::uint8_t, N>& a) { bytes(ByteView(a.data(), N)); }
    void pin(const PinRecord& p) {
        u8(p.length);
        u8(p.retries);
        u32(p.iterations);
        fixed(p.salt);
        fixed(p.hash);
    }
    // Length and bytes of `value`: its pending bytes, or copied from the stored image; streaming moves
    // `value` to its place in the new image.
    void stored(StoredBytes& value) {
        u16(value.length);
        if (!storage_) {
            pos_ += value.length;
            return;
        }
        const std::size_t at = pos_;
        if (value.pending) {
            bytes(ByteView(value.pending, value.length));
        } else {
            for (std::size_t done = 0; done < value.length;) {
                flush();
                const std::size_t n = value.length - done < buf_.size() ? value.length - done : buf_.size();
                if (storage_->read(value.offset + done, std::span<std::uint8_t>(buf_.data(), n)) != StorageStatus::Ok) {
                    failed_ = true;
                    return;
                }
                fill_ = n;
                pos_ += n;
                done += n;
            }
        }
        value.offset = static_cast<std::uint32_t>(at);
        value.pending = nullptr;
    }
    // Writes what is buffered; then the digest of everything written, itself not hashed.
    void finish() {
        flush();
        std::array<std::uint8_t, crypto::kSha256Size> digest{};
        if (failed_ || !hash_->finish(digest) || storage_->write(digest) != StorageStatus::Ok) failed_ = true;
        pos_ += digest.size();
    }
    std::size_t pos() const { return pos_; }
    bool failed() const { return failed_; }

private:
    void flush() {
        if (fill_ != 0 && !failed_) {
            const ByteView chunk(buf_.data(), fill_);
            if (!hash_->update(chunk) || storage_->write(chunk) != StorageStatus::Ok) failed_ = true;
        }
        fill_ = 0;
    }

    Storage* storage_ = nullptr;
    crypto::Sha256* hash_ = nullptr;
    std::array<std::uint8_t, kImageChunk> buf_{};
    std::size_t fill_ = 0;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

// Reads an image's fields in order from bytes [begin, end) of the stored image, kImageChunk at a time.
class Reader {
public:
    Reader(Storage& storage, std::size_t begin, std::size_t end) : storage_(storage), pos_(begin), end_(end) {}
    ~Reader() { crypto::zeroize(buf_.data(), buf_.size()); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    std::uint8_t u8() {
        if (pos_ >= end_) { bad_ = true; return 0; }
        if (pos_ < buf_start_ || pos_ - buf_start_ >= fill_) refill();
        if (bad_) return 0;
        return buf_[pos_++ - buf_start_];
    }
    std::uint16_t u16() { std::uint16_t v = 0; for (int i = 0; i < 2; ++i) v = static_cast<std::uint16_t>(v | u8() << (8 * i)); return v; }
    std::uint32_t u32() { std::uint32_t v = 0; for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(u8()) << (8 * i); return v; }
    template <std::size_t N>
    void var(VarBytes<N>& v) {
        const std::uint16_t len = u16();
        if (len > N || end_ - pos_ < len) { bad_ = true; return; }
        for (std::size_t i = 0; i < N; ++i) v.data[i] = i < len ? u8() : 0;
        v.length = len;
    }
    template <std::size_t N>
    void fixed(std::array<std::uint8_t, N>& a) { for (auto& x : a) x = u8(); }
    void pin(PinRecord& p) {
        p.length = u8();
        p.retries = u8();
        p.iterations = u32();
        fixed(p.salt);
        fixed(p.hash);
    }
    // Where `capacity` bytes at most lie in the image; they stay there.
    void stored(StoredBytes& v, std::size_t capacity) {
        const std::uint16_t len = u16();
        if (len > capacity || end_ - pos_ < len) { bad_ = true; return; }
        v.offset = static_cast<std::uint32_t>(pos_);
        v.length = len;
        v.pending = nullptr;
        pos_ += len;
    }
    bool bad() const { return bad_; }
    bool at_end() const { return pos_ == end_; }

private:
    void refill() {
        const std::size_t n = end_ - pos_ < buf_.size() ? end_ - pos_ : buf_.size();
        buf_start_ = pos_;
        fill_ = 0;
        if (storage_.read(pos_, std::span<std::uint8_t>(buf_.data(), n)) != StorageStatus::Ok) { bad_ = true; return; }
        fill_ = n;
    }

    Storage& storage_;
    std::array<std::uint8_t, kImageChunk> buf_{};
    std::size_t buf_start_ = 0, fill_ = 0;
    std::size_t pos_;
    std::size_t end_;
    bool bad_ = false;
};

inline std::uint32_t image_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

inline bool pin_record_sane(const PinRecord& p, std::uint8_t max_tries) {
    return p.length <= kPinMaxLength && p.retries <= max_tries && p.iterations != 0 && p.iterations <= 10000000;
}

// Format version of a checked header (call after peek_image_generation succeeded).
inline std::uint32_t image_version(ByteView image) { return image_le32(image.data() + 8); }

// Header check without the checksum: magic and a known version; the generation.
inline Result<std::uint64_t, StateError> peek_image_generation(ByteView image) {
    if (image.size() < kStateHeaderSize) return fail(StateError::Truncated);
    if (std::memcmp(image.data(), kStateMagic, sizeof kStateMagic) != 0) return fail(StateError::BadMagic);
    const std::uint32_t version = image_version(image);
    if (version != kStateFormatVersion && version != kIdCardStateFormatVersion) return fail(StateError::UnknownVersion);
    std::uint64_t g = 0;
    for (int i = 0; i < 8; ++i) g |= static_cast<std::uint64_t>(image[12 + i]) << (8 * i);
    return g;
}

// Commits magic | version | generation | payload length | payload (`write_payload(Writer&)`, called twice:
// counting, then streaming) | SHA-256 to `storage` in chunks.
template <class WritePayload>
StorageStatus commit_image(Storage& storage, std::uint32_t version, std::uint64_t generation, CommitSync sync,
                           WritePayload&& write_payload) {
    Writer counter;
    write_payload(counter);
    const std::size_t payload_length = counter.pos();
    const std::size_t total = kStateFrameSize + payload_length;
    if (total > kStateMaxImage) return StorageStatus::IoError;
    crypto::Sha256 hash;
    const StorageStatus begun = storage.begin_commit(total);
    if (begun != StorageStatus::Ok) return begun;
    Writer w(storage, hash);
    w.bytes(ByteView(kStateMagic, sizeof kStateMagic));
    w.u32(version);
    w.u64(generation);
    w.u32(static_cast<std::uint32_t>(payload_length));
    write_payload(w);
    w.finish();
    if (w.failed() || w.pos() != total) return StorageStatus::IoError;
    return storage.finish_commit(sync);
}

// Checks the stored image of `size` bytes: magic, the expected version, lengths and the checksum (read
// through once); the payload's place in the image.
struct PayloadRange {
    std::size_t begin = 0, end = 0;
    std::uint64_t generation = 0;
};
inline Result<PayloadRange, StateError> check_image(Storage& storage, std::size_t size, std::uint32_t version) {
    std::array<std::uint8_t, kStateHeaderSize> header{};
    if (size < kStateHeaderSize) return fail(StateError::Truncated);
    if (storage.read(0, header) != StorageStatus::Ok) return fail(StateError::IoError);
    auto g = peek_image_generation(header);
    if (!g) return fail(g.error());
    if (image_version(header) != version) return fail(StateError::UnknownVersion);
    const std::uint32_t payload_length = image_le32(header.data() + 20);
    if (payload_length > kStateMaxImage) return fail(StateError::Corrupted);
    const std::size_t total = kStateFrameSize + payload_length;
    if (size < total) return fail(StateError::Truncated);
    if (size > total) return fail(StateError::Corrupted);
    crypto::Sha256 hash;
    std::array<std::uint8_t, kImageChunk> chunk{};
    const std::size_t covered = kStateHeaderSize + payload_length;
    bool ok = true;
    for (std::size_t at = 0; ok && at < covered;) {
        const std::size_t n = covered - at < chunk.size() ? covered - at : chunk.size();
        ok = storage.read(at, std::span<std::uint8_t>(chunk.data(), n)) == StorageStatus::Ok &&
             hash.update(ByteView(chunk.data(), n));
        at += n;
    }
    crypto::zeroize(chunk.data(), chunk.size());
    std::array<std::uint8_t, crypto::kSha256Size> digest{}, stored{};
    if (!ok || storage.read(covered, stored) != StorageStatus::Ok) return fail(StateError::IoError);
    if (!hash.finish(digest) || !crypto::equal_ct(digest, stored)) return fail(StateError::Corrupted);
    return PayloadRange{kStateHeaderSize, covered, *g};
}

// An image in memory as a Storage (host tools and tests: parse_state, serialize_state): reads `in`,
// commits write into `out`.
class ViewStorage final : public Storage {
public:
    ViewStorage(ByteView in, std::span<std::uint8_t> out) : in_(in), out_(out) {}
    StorageStatus load(std::span<std::uint8_t>, std::size_t&) override { return StorageStatus::IoError; }
    StorageStatus commit(ByteView) override { return StorageStatus::IoError; }
    StorageStatus open_image(std::size_t& size) override {
        size = in_.size();
        return StorageStatus::Ok;
    }
    StorageStatus read(std::size_t offset, std::span<std::uint8_t> out) override {
        if (offset > in_.size() || in_.size() - offset < out.size()) return StorageStatus::IoError;
        if (!out.empty()) std::memcpy(out.data(), in_.data() + offset, out.size());
        return StorageStatus::Ok;
    }
    StorageStatus begin_commit(std::size_t size) override {
        written_ = 0;
        return size <= out_.size() ? StorageStatus::Ok : StorageStatus::IoError;
    }
    StorageStatus write(ByteView chunk) override {
        if (out_.size() - written_ < chunk.size()) return StorageStatus::IoError;
        if (!chunk.empty()) std::memcpy(out_.data() + written_, chunk.data(), chunk.size());
        written_ += chunk.size();
        return StorageStatus::Ok;
    }
    StorageStatus finish_commit(CommitSync) override { return StorageStatus::Ok; }
    std::size_t written() const { return written_; }

private:
    ByteView in_;
    std::span<std::uint8_t> out_;
    std::size_t written_ = 0;
};

// Power-on / reload of an applet (OpenPGP and ID cards alike): selects the stored image, checks and parses
// it into `state` in place (`parse(Storage&, std::size_t size, State&)`, e.g. load_state) and the private
// keys from it (`load_keys()`). An image that cannot be opened changes nothing. One read is parsed over the
// one copy of the state in RAM: `loaded` is cleared first, and any failure resets the state and clears
// `keys`, so a bad image leaves the card without a state (every command answers 6F00 until a load
// succeeds), never with half of one. The caller sets `loaded` on success.
template <class State, std::size_t NKeys, class Parse, class LoadKeys>
Result<LoadedState, StateError> load_applet_state(Storage& storage, State& state, std::array<crypto::Key, NKeys>& keys,
                                                  bool& loaded, Parse&& parse, LoadKeys&& load_keys) {
    std::size_t size = 0;
    const StorageStatus st = storage.open_image(size);
    if (st == StorageStatus::NotFound) return fail(StateError::NotFound);
    if (st == StorageStatus::TooLarge || st == StorageStatus::Corrupted) return fail(StateError::Corrupted);
    if (st != StorageStatus::Ok) return fail(StateError::IoError);
    loaded = false;
    for (auto& key : keys) key.clear();
    auto parsed = parse(storage, size, state);
    if (!parsed || !load_keys()) {
        for (auto& key : keys) key.clear();
        reset_in_place(state);
        return parsed ? fail(StateError::Corrupted) : parsed;
    }
    return parsed;
}

// Parses each stored private key DER (`der_of(i)`, empty: no key) into keys[i]; false if one does not parse.
template <std::size_t NKeys, class DerOf>
bool load_private_keys(std::array<crypto::Key, NKeys>& keys, DerOf&& der_of, Random& random) {
    for (std::size_t i = 0; i < NKeys; ++i) {
        keys[i].clear();
        const ByteView der = der_of(i);
        if (der.empty()) continue;
        if (!crypto::load_der(keys[i], der, random)) return false;
    }
    return true;
}

}  // namespace qscd::sim
