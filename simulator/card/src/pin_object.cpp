// Shared PIN object (pin_object.hpp).
#include "qscd/sim/pin_object.hpp"

extern "C" {  // these mbedTLS 3.6 headers lack C++ linkage guards
#include <mbedtls/constant_time.h>
}
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>

namespace qscd::sim {

bool pin_set(PinRecord& record, ByteView secret, std::uint32_t iterations, std::uint8_t max_tries, Random& random) {
    PinRecord r;
    r.length = static_cast<std::uint8_t>(secret.size());
    r.retries = max_tries;
    r.iterations = iterations;
    random.fill(r.salt);
    if (mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, secret.data(), secret.size(), r.salt.data(), r.salt.size(),
                                      r.iterations, static_cast<std::uint32_t>(r.hash.size()), r.hash.data()) != 0)
        return false;
    record = r;
    mbedtls_platform_zeroize(&r, sizeof r);
    return true;
}

PinCheck pin_check(PinRecord& record, ByteView secret, std::uint8_t max_tries, CommitHook commit) {
    if (record.retries == 0) return PinCheck::Blocked;
    --record.retries;
    if (!commit()) return PinCheck::MemoryFailure;  // the applet rolled the counter back; nothing compared
    std::uint8_t digest[kPinHashSize];
    const int rc = mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, secret.data(), secret.size(), record.salt.data(),
                                                 record.salt.size(), record.iterations, sizeof digest, digest);
    const bool same_hash = mbedtls_ct_memcmp(digest, record.hash.data(), sizeof digest) == 0;
    mbedtls_platform_zeroize(digest, sizeof digest);
    if (rc != 0 || !same_hash || secret.size() != record.length) return PinCheck::Wrong;
    record.retries = max_tries;
    if (!commit()) return PinCheck::MemoryFailure;
    return PinCheck::Ok;
}

}  // namespace qscd::sim
