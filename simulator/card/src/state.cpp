// Versioned binary image of the card state (see state.hpp for the layout).
#include "qscd/sim/state.hpp"

#include <cstring>

extern "C" {  // these mbedTLS 3.6 headers lack C++ linkage guards
#include <mbedtls/constant_time.h>
}
#include <mbedtls/sha256.h>

namespace qscd::sim {

namespace {

constexpr std::uint8_t kMagic[8] = {'Q', 'S', 'C', 'D', 'S', 'I', 'M', '1'};

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
    bool bad() const { return bad_; }
    bool at_end() const { return pos_ == in_.size(); }

private:
    ByteView in_;
    std::size_t pos_ = 0;
    bool bad_ = false;
};

void write_pin(Writer& w, const PinRecord& p) {
    w.u8(p.length);
    w.u8(p.retries);
    w.u32(p.iterations);
    w.fixed(p.salt);
    w.fixed(p.hash);
}

void read_pin(Reader& r, PinRecord& p) {
    p.length = r.u8();
    p.retries = r.u8();
    p.iterations = r.u32();
    r.fixed(p.salt);
    r.fixed(p.hash);
}

void write_payload(Writer& w, const CardState& s) {
    w.u8(s.life_cycle);
    w.fixed(s.serial);
    write_pin(w, s.pw1);
    write_pin(w, s.rc);
    write_pin(w, s.pw3);
    w.u8(s.pw1_policy);
    w.u32(s.signature_counter);
    w.var(s.login_data);
    w.var(s.url);
    w.var(s.name);
    w.var(s.language);
    w.var(s.salutation);
    for (const auto& d : s.private_do) w.var(d);
    for (const auto& k : s.slots) {
        w.var(k.attributes);
        w.fixed(k.fingerprint);
        w.fixed(k.ca_fingerprint);
        w.fixed(k.generation_date);
        w.u8(k.key_status);
        w.var(k.key_der);
        w.var(k.certificate);
    }
}

void read_payload(Reader& r, CardState& s) {
    s.life_cycle = r.u8();
    r.fixed(s.serial);
    read_pin(r, s.pw1);
    read_pin(r, s.rc);
    read_pin(r, s.pw3);
    s.pw1_policy = r.u8();
    s.signature_counter = r.u32();
    r.var(s.login_data);
    r.var(s.url);
    r.var(s.name);
    r.var(s.language);
    r.var(s.salutation);
    for (auto& d : s.private_do) r.var(d);
    for (auto& k : s.slots) {
        r.var(k.attributes);
        r.fixed(k.fingerprint);
        r.fixed(k.ca_fingerprint);
        r.fixed(k.generation_date);
        k.key_status = r.u8();
        r.var(k.key_der);
        r.var(k.certificate);
    }
}

bool pin_sane(const PinRecord& p) {
    return p.length <= kPinMaxLength && p.retries <= kPinMaxRetries && p.iterations != 0 &&
           p.iterations <= 10000000;
}

std::uint32_t le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

const char* describe(StateError error) {
    switch (error) {
        case StateError::NotFound: return "no state stored";
        case StateError::Truncated: return "state image truncated";
        case StateError::BadMagic: return "not a qscd simulator state (bad magic)";
        case StateError::UnknownVersion: return "unknown state format version";
        case StateError::Corrupted: return "state image corrupted (checksum or field mismatch)";
        case StateError::IoError: return "state could not be read";
    }
    return "state error";
}

std::size_t serialize_state(const CardState& state, std::uint64_t generation, std::span<std::uint8_t> out) {
    Writer w(out);
    w.bytes(ByteView(kMagic, sizeof kMagic));
    w.u32(kStateFormatVersion);
    w.u64(generation);
    const std::size_t length_pos = w.pos();
    w.u32(0);  // payload length, patched below
    const std::size_t payload_start = w.pos();
    write_payload(w, state);
    if (w.overflow() || out.size() - w.pos() < 32) return 0;
    const auto payload_length = static_cast<std::uint32_t>(w.pos() - payload_start);
    for (int i = 0; i < 4; ++i) *w.at(length_pos + i) = static_cast<std::uint8_t>(payload_length >> (8 * i));
    std::uint8_t digest[32];
    if (mbedtls_sha256(out.data(), w.pos(), digest, 0) != 0) return 0;
    w.bytes(ByteView(digest, sizeof digest));
    return w.overflow() ? 0 : w.pos();
}

Result<std::uint64_t, StateError> peek_generation(ByteView image) {
    if (image.size() < kStateHeaderSize) return fail(StateError::Truncated);
    if (std::memcmp(image.data(), kMagic, sizeof kMagic) != 0) return fail(StateError::BadMagic);
    if (le32(image.data() + 8) != kStateFormatVersion) return fail(StateError::UnknownVersion);
    std::uint64_t g = 0;
    for (int i = 0; i < 8; ++i) g |= static_cast<std::uint64_t>(image[12 + i]) << (8 * i);
    return g;
}

Result<LoadedState, StateError> parse_state(ByteView image, CardState& state) {
    auto generation = peek_generation(image);
    if (!generation) return fail(generation.error());
    const std::uint32_t payload_length = le32(image.data() + 20);
    if (payload_length > kStateMaxImage) return fail(StateError::Corrupted);
    const std::size_t total = kStateHeaderSize + payload_length + 32;
    if (image.size() < total) return fail(StateError::Truncated);
    if (image.size() > total) return fail(StateError::Corrupted);
    std::uint8_t digest[32];
    if (mbedtls_sha256(image.data(), kStateHeaderSize + payload_length, digest, 0) != 0)
        return fail(StateError::Corrupted);
    if (mbedtls_ct_memcmp(digest, image.data() + kStateHeaderSize + payload_length, 32) != 0)
        return fail(StateError::Corrupted);
    Reader r(image.subspan(kStateHeaderSize, payload_length));
    read_payload(r, state);
    if (r.bad() || !r.at_end()) return fail(StateError::Corrupted);
    if (!pin_sane(state.pw1) || !pin_sane(state.rc) || !pin_sane(state.pw3)) return fail(StateError::Corrupted);
    if (state.life_cycle != kLifeCycleOperational && state.life_cycle != kLifeCycleTerminated)
        return fail(StateError::Corrupted);
    if (state.pw1_policy > 1 || state.signature_counter > 0xFFFFFF) return fail(StateError::Corrupted);
    return LoadedState{*generation};
}

}  // namespace qscd::sim
