// Shared PIN object (pin_object.hpp).
#include "qscd/sim/pin_object.hpp"

#include "qscd/sim/card_crypto.hpp"

namespace qscd::sim {

bool pin_set(PinRecord& record, ByteView secret, std::uint32_t iterations, std::uint8_t max_tries, Random& random) {
    PinRecord r;
    r.length = static_cast<std::uint8_t>(secret.size());
    r.retries = max_tries;
    r.iterations = iterations;
    random.fill(r.salt);
    if (!crypto::pbkdf2_sha256(secret, r.salt, r.iterations, r.hash)) return false;
    record = r;
    crypto::zeroize(&r, sizeof r);
    return true;
}

PinCheck pin_check(PinRecord& record, ByteView secret, std::uint8_t max_tries, std::uint32_t iterations,
                   Random& random, CommitHook commit) {
    if (record.retries == 0) return PinCheck::Blocked;
    --record.retries;
    if (!commit()) return PinCheck::MemoryFailure;  // the applet rolled the counter back; nothing compared
    std::array<std::uint8_t, kPinHashSize> digest{};
    const bool derived = crypto::pbkdf2_sha256(secret, record.salt, record.iterations, digest);
    const bool same_hash = crypto::equal_ct(digest, record.hash);
    crypto::zeroize(digest.data(), digest.size());
    if (!derived || !same_hash || secret.size() != record.length) return PinCheck::Wrong;
    if (record.iterations != iterations && !pin_set(record, secret, iterations, max_tries, random))
        return PinCheck::MemoryFailure;  // (the KDF failed: nothing changed, the decrement stays committed)
    record.retries = max_tries;
    if (!commit(CommitSync::Deferred)) return PinCheck::MemoryFailure;
    return PinCheck::Ok;
}

}  // namespace qscd::sim
