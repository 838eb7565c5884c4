// ISO 7816-4 PIN object of the card core, shared by every applet (OpenPGP, ID cards): a salted PBKDF2 hash
// of the reference data and its retry counter. The rule that matters for tearing: the counter is
// decremented and committed BEFORE the comparison, so cutting the power during VERIFY gives no free try.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qscd/codec/bytes.hpp"
#include "qscd/sim/platform.hpp"

namespace qscd::sim {

inline constexpr std::size_t kPinSaltSize = 16;
inline constexpr std::size_t kPinHashSize = 32;          // PBKDF2-HMAC-SHA256 output
inline constexpr std::uint32_t kDefaultPinIterations = 10000;
inline constexpr std::size_t kPinMaxLength = 127;

struct PinRecord {
    std::uint8_t length = 0;    // 0 = not set (only the resetting code may be unset)
    std::uint8_t retries = 0;   // remaining tries
    std::uint32_t iterations = kDefaultPinIterations;
    std::array<std::uint8_t, kPinSaltSize> salt{};
    std::array<std::uint8_t, kPinHashSize> hash{};
    bool is_set() const { return length != 0; }
};

// How an applet persists its state: commit() writes the working copy, or rolls it back and returns false.
struct CommitHook {
    bool (*commit)(void* applet) = nullptr;
    void* applet = nullptr;
    bool operator()() const { return commit(applet); }
};

enum class PinCheck : std::uint8_t {
    Ok,             // matched; counter back at max_tries and committed
    Wrong,          // did not match; record.retries tries left (committed)
    Blocked,        // counter was already 0: nothing compared
    MemoryFailure,  // a commit failed: memory rolled back, nothing revealed
};

// Sets a new value with a fresh salt and `max_tries` tries (not committed). False if the KDF failed.
bool pin_set(PinRecord& record, ByteView secret, std::uint32_t iterations, std::uint8_t max_tries, Random& random);
// Compares `secret` with the record: decrement + commit, compare (constant time), reset + commit on success.
PinCheck pin_check(PinRecord& record, ByteView secret, std::uint8_t max_tries, CommitHook commit);

}  // namespace qscd::sim
