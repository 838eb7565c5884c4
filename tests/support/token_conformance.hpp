// Test bodies every backend must pass, whatever carries the APDUs: the in-process simulator, the
// simulator behind a real pcscd + vpcd, or a real card. Each takes a token whose SIG key exists and
// whose User PIN is `user_pin`, and leaves it that way.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

#include "qscd/error.hpp"
#include "qscd/pin_entry.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/token.hpp"

namespace qscd::test {

// A host prompt that always answers `pin` (counting how often it was asked); pass it as
// `*fixed_pin(...)`.
inline std::unique_ptr<PinEntry> fixed_pin(std::string pin, int* calls = nullptr) {
    return std::make_unique<HostPinPrompt>([pin = std::move(pin), calls](const PinRequest&) {
        if (calls) ++*calls;
        return Pin(pin);
    });
}

inline ErrorCode error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no qscd::Error thrown");
    return ErrorCode::CardError;
}

// Signs, verifies with the public key, checks the counter rises by one per signature and that
// every signature asked for the PIN.
inline void check_sign_and_verify(Token& token, const std::string& user_pin) {
    auto key = token.key("SIG");
    const KeyAttributes& a = key->attributes();
    const HashAlgorithm hash = default_hash(a.type);
    const Bytes digest = hash_bytes(hash, as_bytes("conformance document"));
    const auto before = token.signature_counter();
    int prompts = 0;
    for (int i = 0; i < 2; ++i) {
        const Bytes signature = key->sign_hash(hash, digest, *fixed_pin(user_pin, &prompts));
        CHECK(verify_signature(a.public_key, a.scheme, hash, digest, signature));
    }
    CHECK(prompts == 2);
    REQUIRE(before);
    CHECK(token.signature_counter() == *before + 2);
}

// Wrong PIN → tries left → blocked (right PIN refused) → unblock with the Admin PIN → signs again.
inline void check_wrong_pin_lockout_and_unblock(Token& token, const std::string& user_pin, const std::string& admin_pin) {
    auto key = token.key("SIG");
    const HashAlgorithm hash = default_hash(key->attributes().type);
    const Bytes digest = hash_bytes(hash, as_bytes("lockout"));
    for (int left = 2; left >= 1; --left) {
        try {
            (void)key->sign_hash(hash, digest, *fixed_pin("000000"));
            FAIL("wrong PIN accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::WrongPin);
            CHECK(e.tries_left() == left);
        }
    }
    CHECK(error_code_of([&] { (void)key->sign_hash(hash, digest, *fixed_pin("000000")); }) == ErrorCode::PinBlocked);
    int prompts = 0;
    CHECK(error_code_of([&] { (void)key->sign_hash(hash, digest, *fixed_pin(user_pin, &prompts)); }) == ErrorCode::PinBlocked);
    CHECK(prompts == 0);
    token.unblock_pin(PinRole::Admin, Pin(admin_pin), Pin(user_pin));
    CHECK(token.pin_status()[0].tries_left == 3);
    (void)key->sign_hash(hash, digest, *fixed_pin(user_pin));
}

}  // namespace qscd::test
