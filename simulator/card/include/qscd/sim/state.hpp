// Persistent state of the simulated OpenPGP card and its versioned binary image.
//
// Image layout (all integers little-endian):
//   magic "QSCDSIM1" (8) | format version u32 | generation u64 | payload length u32 | payload | SHA-256 (32)
// The SHA-256 covers every byte before it. The generation is incremented on every commit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/sim/pin_object.hpp"
#include "qscd/sim/platform.hpp"

namespace qscd::sim {

// Buffer sizes: the spec maxima the card announces (DO C0, 7F66).
inline constexpr std::size_t kMaxCertificate = 4096;     // C0 bytes 5-6
inline constexpr std::size_t kMaxSpecialDo = 255;        // C0 bytes 7-8 (login data, URL, private DOs)
inline constexpr std::size_t kMaxName = 39;              // DO 5B
inline constexpr std::size_t kMaxLanguage = 8;           // DO 5F2D
inline constexpr std::size_t kMaxAttributes = 16;        // DO C1-C3
inline constexpr std::size_t kMaxKeyDer = 3072;          // RSA-4096 private key DER is ~2350 bytes
inline constexpr std::uint8_t kPinMaxRetries = 3;

inline constexpr std::uint32_t kStateFormatVersion = 1;        // OpenPGP card
inline constexpr std::uint32_t kIdCardStateFormatVersion = 2;  // ID cards: payload starts with the CardType
inline constexpr std::size_t kStateHeaderSize = 8 + 4 + 8 + 4;
inline constexpr std::size_t kStateMaxImage = 32768;

// Life cycle status (openpgp-card.md §3.4, §11).
inline constexpr std::uint8_t kLifeCycleOperational = 0x05;
inline constexpr std::uint8_t kLifeCycleTerminated = 0x03;

enum class StateError : std::uint8_t {
    NotFound,        // no state stored
    Truncated,       // shorter than its header / payload length says
    BadMagic,        // not a qscd simulator state
    UnknownVersion,  // written by a newer (or unknown) format version
    Corrupted,       // checksum mismatch, bad length, or an inconsistent field
    IoError,         // the storage could not be read
};

const char* describe(StateError error);

template <std::size_t N>
struct VarBytes {
    std::uint16_t length = 0;
    std::array<std::uint8_t, N> data{};

    static constexpr std::size_t capacity = N;
    ByteView view() const { return ByteView(data.data(), length); }
    bool empty() const { return length == 0; }
    bool assign(ByteView value) {
        if (value.size() > N) return false;
        for (std::size_t i = 0; i < value.size(); ++i) data[i] = value[i];
        for (std::size_t i = value.size(); i < N; ++i) data[i] = 0;
        length = static_cast<std::uint16_t>(value.size());
        return true;
    }
    void clear() { assign(ByteView()); }
};

// Bytes the card keeps in the stored image instead of RAM (certificates): their place in the image the
// storage holds now (Storage::read). A new value (PUT DATA) is `pending`, pointing into the command that
// brought it, until the commit of that command writes it into the new image; serialising a state moves
// `offset` to the bytes' place in the image written.
struct StoredBytes {
    std::uint32_t offset = 0;
    std::uint16_t length = 0;
    const std::uint8_t* pending = nullptr;

    bool empty() const { return length == 0; }
    void set_pending(ByteView value) {
        pending = value.data();
        length = static_cast<std::uint16_t>(value.size());
    }
};

// Key slots in the order SIG, DEC, AUT (key references 1, 2, 3).
enum KeySlotIndex : std::size_t { kSlotSig = 0, kSlotDec = 1, kSlotAut = 2 };

struct KeySlot {
    VarBytes<kMaxAttributes> attributes;      // C1/C2/C3
    std::array<std::uint8_t, 20> fingerprint{};       // C7/C8/C9
    std::array<std::uint8_t, 20> ca_fingerprint{};    // CA/CB/CC
    std::array<std::uint8_t, 4> generation_date{};    // CE/CF/D0
    std::uint8_t key_status = 0;              // DE: 00 none, 01 generated, 02 imported
    VarBytes<kMaxKeyDer> key_der;             // private key DER (crypto::write_der)
    StoredBytes certificate;                  // 7F21 occurrence (2 - slot), up to kMaxCertificate bytes
};

struct CardState {
    std::uint8_t life_cycle = kLifeCycleOperational;
    std::array<std::uint8_t, 4> serial{};
    PinRecord pw1, rc, pw3;
    std::uint8_t pw1_policy = 0x00;           // C4 byte 1: 00 = PW1 valid for one PSO:CDS
    std::uint32_t signature_counter = 0;      // DO 93 (3 bytes on the wire)
    VarBytes<kMaxSpecialDo> login_data;       // 5E
    VarBytes<kMaxSpecialDo> url;              // 5F50
    VarBytes<kMaxName> name;                  // 5B
    VarBytes<kMaxLanguage> language;          // 5F2D
    VarBytes<1> salutation;                   // 5F35
    std::array<VarBytes<kMaxSpecialDo>, 4> private_do;  // 0101..0104
    std::array<KeySlot, 3> slots;
};

// Bytes of a PIN record in an image (state_image.hpp Writer::pin) and of an image around its payload.
inline constexpr std::size_t kPinRecordImageSize = 1 + 1 + 4 + kPinSaltSize + kPinHashSize;
inline constexpr std::size_t kStateFrameSize = kStateHeaderSize + 32;
// Largest OpenPGP image: every field of CardState at its capacity (write_payload in state.cpp).
inline constexpr std::size_t kOpenPgpMaxImage =
    kStateFrameSize + 1 + 4 + 3 * kPinRecordImageSize + 1 + 4 + 2 * (2 + kMaxSpecialDo) + (2 + kMaxName) +
    (2 + kMaxLanguage) + (2 + 1) + 4 * (2 + kMaxSpecialDo) +
    3 * ((2 + kMaxAttributes) + 20 + 20 + 4 + 1 + (2 + kMaxKeyDer) + (2 + kMaxCertificate));

// Puts a default-constructed T in place of `value` without a temporary (a card state does not fit the stack).
template <class T>
void reset_in_place(T& value) {
    value.~T();
    ::new (static_cast<void*>(&value)) T();
}

struct LoadedState {
    std::uint64_t generation = 0;
};

// Commits `state` as the image of `generation` to `storage` in chunks (Storage::begin_commit ..
// finish_commit); the certificates come from the image the storage holds (or are pending). On Ok the
// certificates' offsets are those of the new image; otherwise the caller reloads the state.
StorageStatus commit_state(Storage& storage, CardState& state, std::uint64_t generation, CommitSync sync);
// Checks the stored image (`size` bytes, Storage::open_image) and parses it into `state` in place; the
// certificates stay in storage. On error `state` may be partially written.
Result<LoadedState, StateError> load_state(Storage& storage, std::size_t size, CardState& state);

// The same over an image in memory (host tools, tests): serialises `state` with `generation` into `out`,
// the certificates taken from `source` (the image `state` was parsed from) or pending; returns the image
// size, 0 if `out` is too small. parse_state's certificate offsets point into `image`.
std::size_t serialize_state(CardState& state, std::uint64_t generation, ByteView source, std::span<std::uint8_t> out);
Result<LoadedState, StateError> parse_state(ByteView image, CardState& state);

// Reads only the generation from an image header (no checksum verification); any known format version.
Result<std::uint64_t, StateError> peek_generation(ByteView image);
// Which card application wrote the image (format 1: OpenPGP; format 2: the type byte). No checksum check.
Result<profiles::CardType, StateError> peek_card_type(ByteView image);

}  // namespace qscd::sim
