// Host-side fixtures for the malformed-response and peer-CVE suites: a personalised card image
// (P-256 SIG key generated on the card, a certificate, factory PINs) and helpers to classify errors.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flexible_transport.hpp"
#include "qscd/openpgp/openpgp_token.hpp"

namespace malformed {

// An OpenPGP token over `t` that the test keeps using: the token owns a non-owning forwarder.
inline std::unique_ptr<qscd::openpgp::OpenPgpToken> token_over(FlexibleTransport& t) {
    struct Forward : qscd::Transport {
        FlexibleTransport& t;
        explicit Forward(FlexibleTransport& x) : t(x) {}
        qscd::Bytes transmit(qscd::ByteView c) override { return t.transmit(c); }
        qscd::Bytes atr() const override { return t.atr(); }
        std::string description() const override { return t.description(); }
    };
    return std::make_unique<qscd::openpgp::OpenPgpToken>(std::make_unique<Forward>(t), "t");
}

inline const char* const kUserPin = "123456";
inline const char* const kAdminPin = "12345678";

// Built once per program: later cases load copies of it (a fresh card each time, no key generation).
inline const std::vector<std::uint8_t>& personalised_image() {
    static const std::vector<std::uint8_t> image = [] {
        static const std::array<std::uint8_t, 4> serial{0x00, 0x00, 0x00, 0x42};
        auto storage = std::make_unique<qscd::sim::MemoryStorage>();
        auto* raw_storage = storage.get();
        auto transport = std::make_unique<qscd::sim::InProcessTransport>(std::move(storage), "setup",
                                                                         qscd::sim::CardOptions{1000}, &serial);
        qscd::openpgp::OpenPgpToken token(std::move(transport), "setup");
        token.generate_key(qscd::Pin(kAdminPin), qscd::openpgp::KeySlot::Signature, qscd::KeyType::EcP256);
        const qscd::Bytes certificate(200, 0x30);  // the driver passes certificates through unparsed
        token.store_certificate(qscd::Pin(kAdminPin), qscd::openpgp::KeySlot::Signature, certificate);
        return *raw_storage->image();
    }();
    return image;
}

// A host prompt that always answers `pin`; pass it as `*fixed_pin(...)`.
inline std::unique_ptr<qscd::PinEntry> fixed_pin(const char* pin) {
    return std::make_unique<qscd::HostPinPrompt>([pin](const qscd::PinRequest&) { return qscd::Pin(pin); });
}

// How an operation ended: a typed qscd::Error (its code and status word), another exception, or no
// exception. code and sw are empty unless a qscd::Error was thrown, so `o.code == X` never holds by default.
struct Outcome {
    enum Kind { Returned, QscdError, OtherException } kind = Returned;
    std::optional<qscd::ErrorCode> code;
    std::optional<qscd::StatusWord> sw;
    std::string what;
};

inline Outcome run(const std::function<void()>& f) {
    Outcome o;
    try {
        f();
    } catch (const qscd::Error& e) {
        o.kind = Outcome::QscdError;
        o.code = e.code();
        o.sw = e.sw();
        o.what = e.what();
    } catch (const std::exception& e) {
        o.kind = Outcome::OtherException;
        o.what = e.what();
    } catch (...) {
        o.kind = Outcome::OtherException;
        o.what = "non-std exception";
    }
    return o;
}

}  // namespace malformed

// Failed checks on an Outcome print the error kind and status word by name.
namespace Catch {
template <>
struct StringMaker<std::optional<qscd::ErrorCode>> {
    static std::string convert(const std::optional<qscd::ErrorCode>& code) {
        return code ? qscd::to_string(*code) : "(no qscd::Error)";
    }
};
template <>
struct StringMaker<qscd::ErrorCode> {
    static std::string convert(qscd::ErrorCode code) { return qscd::to_string(code); }
};
template <>
struct StringMaker<std::optional<qscd::StatusWord>> {
    static std::string convert(const std::optional<qscd::StatusWord>& sw) { return sw ? sw->describe() : "(no status word)"; }
};
template <>
struct StringMaker<qscd::StatusWord> {
    static std::string convert(const qscd::StatusWord& sw) { return sw.describe(); }
};
}  // namespace Catch
