// ISO 7816-4 PIN object of the card core, shared by every applet (OpenPGP, ID cards): a salted verifier of the
// reference data (PBKDF2-HMAC-SHA256 with the record's own iteration count; 1 by default, i.e. one HMAC — why,
// docs/security.md "The PIN verifier") and its retry counter. The rule that matters for tearing: the counter is
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
// Iterations for PINs set from now on. Records keep their own count: a state written with another one (10 000
// before issue 15) is verified with it and moves to the card's count at its next successful check.
inline constexpr std::uint32_t kDefaultPinIterations = 1;
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
    bool (*commit)(void* applet, CommitSync sync) = nullptr;
    void* applet = nullptr;
    bool operator()(CommitSync sync = CommitSync::Now) const { return commit(applet, sync); }
};

enum class PinCheck : std::uint8_t {
    Ok,             // matched; counter back at max_tries and committed
    Wrong,          // did not match; record.retries tries left (committed)
    Blocked,        // counter was already 0: nothing compared
    MemoryFailure,  // a commit failed: memory rolled back, nothing revealed
};

// Sets a new value with a fresh salt and `max_tries` tries (not committed). False if the KDF failed.
bool pin_set(PinRecord& record, ByteView secret, std::uint32_t iterations, std::uint8_t max_tries, Random& random);
// Compares `secret` with the record: decrement + commit (durable: CommitSync::Now), compare (constant time),
// reset + commit on success. The reset's commit is Deferred: a power cut before the applet's next durable
// commit may bring back the decremented counter (one try fewer, never one more; docs/security.md).
// On success a record whose iteration count is not `iterations` is re-derived with it and a fresh salt, in
// the same commit as the reset (the migration of old records; no extra write).
PinCheck pin_check(PinRecord& record, ByteView secret, std::uint8_t max_tries, std::uint32_t iterations,
                   Random& random, CommitHook commit);

}  // namespace qscd::sim
