// The versioned, checksummed image every applet's state is stored as (layout in state.hpp), and the
// little-endian field writer/reader the payloads are built with. Private to the card core.
#pragma once

#include <cstring>

#include "qscd/sim/card_crypto.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

inline constexpr std::uint8_t kStateMagic[8] = {'Q', 'S', 'C', 'D', 'S', 'I', 'M', '1'};

class Writer {
public:
    explicit Writer(std::span<std::uint8_t> out) : out_(out) {}
    void u8(std::uint8_t v) {
        if (pos_ >= out_.size()) { overflow_ = true; return; }
        out_[pos_++] = v;
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
    std::size_t pos() const { return pos_; }
    bool overflow() const { return overflow_; }
    std::uint8_t* at(std::size_t p) { return out_.data() + p; }

private:
    std::span<std::uint8_t> out_;
    std::size_t pos_ = 0;
    bool overflow_ = false;
};

class Reader {
public:
    explicit Reader(ByteView in) : in_(in) {}
    std::uint8_t u8() {
        if (pos_ >= in_.size()) { bad_ = true; return 0; }
        return in_[pos_++];
    }
    std::uint16_t u16() { std::uint16_t v = 0; for (int i = 0; i < 2; ++i) v = static_cast<std::uint16_t>(v | u8() << (8 * i)); return v; }
    std::uint32_t u32() { std::uint32_t v = 0; for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(u8()) << (8 * i); return v; }
    template <std::size_t N>
    void var(VarBytes<N>& v) {
        const std::uint16_t len = u16();
        if (len > N || in_.size() - pos_ < len) { bad_ = true; return; }
        v.assign(in_.subspan(pos_, len));
        pos_ += len;
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
    bool bad() const { return bad_; }
    bool at_end() const { return pos_ == in_.size(); }

private:
    ByteView in_;
    std::size_t pos_ = 0;
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

// magic | version | generation | payload length | payload (written by `write_payload(Writer&)`) | SHA-256.
template <class WritePayload>
std::size_t frame_image(std::uint32_t version, std::uint64_t generation, std::span<std::uint8_t> out,
                        WritePayload&& write_payload) {
    Writer w(out);
    w.bytes(ByteView(kStateMagic, sizeof kStateMagic));
    w.u32(version);
    w.u64(generation);
    const std::size_t length_pos = w.pos();
    w.u32(0);  // payload length, patched below
    const std::size_t payload_start = w.pos();
    write_payload(w);
    if (w.overflow() || out.size() - w.pos() < 32) return 0;
    const auto payload_length = static_cast<std::uint32_t>(w.pos() - payload_start);
    for (int i = 0; i < 4; ++i) *w.at(length_pos + i) = static_cast<std::uint8_t>(payload_length >> (8 * i));
    std::array<std::uint8_t, crypto::kSha256Size> digest{};
    if (!crypto::sha256(ByteView(out.data(), w.pos()), digest)) return 0;
    w.bytes(digest);
    return w.overflow() ? 0 : w.pos();
}

// Checks magic, the expected version, lengths and the checksum; returns the payload.
inline Result<ByteView, StateError> unframe_image(ByteView image, std::uint32_t version, std::uint64_t& generation) {
    auto g = peek_image_generation(image);
    if (!g) return fail(g.error());
    if (image_version(image) != version) return fail(StateError::UnknownVersion);
    const std::uint32_t payload_length = image_le32(image.data() + 20);
    if (payload_length > kStateMaxImage) return fail(StateError::Corrupted);
    const std::size_t total = kStateHeaderSize + payload_length + 32;
    if (image.size() < total) return fail(StateError::Truncated);
    if (image.size() > total) return fail(StateError::Corrupted);
    std::array<std::uint8_t, crypto::kSha256Size> digest{};
    if (!crypto::sha256(image.first(kStateHeaderSize + payload_length), digest)) return fail(StateError::Corrupted);
    if (!crypto::equal_ct(digest, image.subspan(kStateHeaderSize + payload_length, 32))) return fail(StateError::Corrupted);
    generation = *g;
    return image.subspan(kStateHeaderSize, payload_length);
}

// Power-on / reload of an applet (OpenPGP and ID cards alike): reads the stored image into the card's image
// buffer, parses it into `state` in place (`parse(ByteView image, State&)`, e.g. parse_state) and the private
// keys from it (`load_keys()`), then wipes the image. An image that cannot be read changes nothing. One read
// is parsed over the one copy of the state in RAM: `loaded` is cleared first, and any failure resets the
// state and clears `keys`, so a bad image leaves the card without a state (every command answers 6F00 until
// a load succeeds), never with half of one. The caller sets `loaded` on success.
template <class State, std::size_t NKeys, class Parse, class LoadKeys>
Result<LoadedState, StateError> load_applet_state(Storage& storage, std::span<std::uint8_t> image, State& state,
                                                  std::array<crypto::Key, NKeys>& keys, bool& loaded, Parse&& parse,
                                                  LoadKeys&& load_keys) {
    std::size_t size = 0;
    const StorageStatus st = storage.load(image, size);
    if (st == StorageStatus::NotFound) return fail(StateError::NotFound);
    if (st == StorageStatus::TooLarge || st == StorageStatus::Corrupted) return fail(StateError::Corrupted);
    if (st != StorageStatus::Ok) return fail(StateError::IoError);
    loaded = false;
    for (auto& key : keys) key.clear();
    auto parsed = parse(ByteView(image.data(), size), state);
    crypto::zeroize(image.data(), size);
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

// Serialises the applet's state (`serialize(std::span<std::uint8_t>)` returns the image size, 0 if it does not
// fit) into the card's image buffer, commits it and wipes the buffer (it holds PIN verifiers and private keys).
template <class Serialize>
StorageStatus commit_applet_state(Storage& storage, std::span<std::uint8_t> image, CommitSync sync,
                                  Serialize&& serialize) {
    const std::size_t n = serialize(image);
    if (n == 0) return StorageStatus::IoError;
    const ByteView written(image.data(), n);
    const StorageStatus st = sync == CommitSync::Now ? storage.commit(written) : storage.commit_deferred(written);
    crypto::zeroize(image.data(), n);
    return st;
}

}  // namespace qscd::sim
