// Persistent state of a simulated national ID card (any profile of qscd_profiles), stored as a format-2
// image (state.hpp layout) whose payload starts with the card type:
//   type u8 | life cycle u8 | serial (4) | PINs in profile order | key DERs in profile order | EF contents
// in profile order (each u16 length + bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/sim/state.hpp"

namespace qscd::sim {

inline constexpr std::size_t kIdMaxPins = 4;
inline constexpr std::size_t kIdMaxKeys = 2;
inline constexpr std::size_t kIdMaxFiles = 4;
inline constexpr std::size_t kIdMaxFile = 2048;    // largest EF of any profile
inline constexpr std::size_t kIdMaxKeyDer = 1300;  // an RSA-2048 private key DER is ~1190 bytes

// ISO 7816-4 §5.3.3.2 life cycle status: personalisation (keys and files being written by the issuer,
// here qscd sim create) and operational; the personalisation commands work only before ACTIVATE FILE.
inline constexpr std::uint8_t kIdLifeCyclePersonalisation = 0x03;
inline constexpr std::uint8_t kIdLifeCycleOperational = 0x05;

struct IdCardState {
    profiles::CardType type = profiles::CardType::EstonianId;
    std::uint8_t life_cycle = kIdLifeCyclePersonalisation;
    std::array<std::uint8_t, 4> serial{};
    std::array<PinRecord, kIdMaxPins> pins{};                 // profile.pins order
    std::array<VarBytes<kIdMaxKeyDer>, kIdMaxKeys> keys{};    // profile.keys order; empty = not generated
    std::array<VarBytes<kIdMaxFile>, kIdMaxFiles> files{};    // profile.files order
};

// Largest ID card image: every field at its capacity (serialize_id_state).
inline constexpr std::size_t kIdMaxImage =
    kStateFrameSize + 1 + 1 + 4 + kIdMaxPins * kPinRecordImageSize + kIdMaxKeys * (2 + kIdMaxKeyDer) +
    kIdMaxFiles * (2 + kIdMaxFile);

// 0 if `out` is too small or the type has no profile.
std::size_t serialize_id_state(const IdCardState& state, std::uint64_t generation, std::span<std::uint8_t> out);
// Checks the image and every field against the card type's profile. Parse into a scratch copy.
Result<LoadedState, StateError> parse_id_state(ByteView image, IdCardState& state);
// The same through the card's storage, in chunks (commit_state / load_state in state.hpp).
StorageStatus commit_id_state(Storage& storage, const IdCardState& state, std::uint64_t generation, CommitSync sync);
Result<LoadedState, StateError> load_id_state(Storage& storage, std::size_t size, IdCardState& state);

}  // namespace qscd::sim
