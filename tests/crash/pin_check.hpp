// Does a PIN match the card's stored record? Computed as the card does (PBKDF2-HMAC-SHA256 over the
// record's salt and iteration count), so a test can tell which PIN is current without spending a try.
#pragma once

#include <algorithm>
#include <string>

#include <mbedtls/pkcs5.h>

#include "qscd/sim/state.hpp"

namespace crash {

inline bool pin_matches(const qscd::sim::PinRecord& record, const std::string& pin) {
    if (pin.size() != record.length) return false;
    unsigned char digest[qscd::sim::kPinHashSize];
    if (mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, reinterpret_cast<const unsigned char*>(pin.data()),
                                      pin.size(), record.salt.data(), record.salt.size(), record.iterations,
                                      sizeof digest, digest) != 0)
        return false;
    return std::equal(digest, digest + sizeof digest, record.hash.begin());
}

}  // namespace crash
