// The host side's one error type. Every foreign code space is mapped into ErrorCode in exactly one
// place: status words in apdu_channel / host drivers, MBEDTLS_ERR_* in crypto, SCARD_* in pcsc/.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "qscd/codec/status_word.hpp"

namespace qscd {

enum class ErrorCode {
    WrongPin,            // tries_left() says how many remain
    PinBlocked,          // retry counter at 0: unblock with the PUK / resetting code or admin PIN
    PinRequired,         // the card wants a (fresh) PIN verification first
    InvalidPin,          // wrong length or format, rejected before reaching the card
    CardRemoved,
    CardReset,           // PIN must be presented again
    NotSupported,        // algorithm, command or feature not available on this token
    NotFound,            // token, key, certificate or file not found
    InvalidArgument,     // caller error: bad digest length, unknown option value, ...
    PolicyViolation,     // signing policy refused the request
    CardError,           // unexpected status word from the card (sw() has it)
    ProtocolError,       // malformed response from the card
    TransportError,      // reader / socket failure
    CryptoError,         // mbedTLS failed
    IoError,             // file system
    StateCorrupted,      // simulator state file unreadable; left untouched
    VerificationFailed,  // a signature did not verify
    Cancelled,           // the user declined (e.g. no PIN entered)
};

const char* to_string(ErrorCode code);
// "1 try left", "2 tries left": the one wording of a retry counter in every message and prompt.
std::string tries_left_text(int tries);

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message, std::optional<int> tries_left = std::nullopt,
          std::optional<StatusWord> sw = std::nullopt)
        : std::runtime_error(message), code_(code), tries_left_(tries_left), sw_(sw) {}

    ErrorCode code() const { return code_; }
    std::optional<int> tries_left() const { return tries_left_; }
    std::optional<StatusWord> sw() const { return sw_; }
    // Retryable errors can succeed if the user acts (re-enters the PIN, re-inserts the card).
    bool retryable() const {
        return code_ == ErrorCode::WrongPin || code_ == ErrorCode::CardRemoved || code_ == ErrorCode::CardReset ||
               code_ == ErrorCode::PinRequired || code_ == ErrorCode::Cancelled;
    }

private:
    ErrorCode code_;
    std::optional<int> tries_left_;
    std::optional<StatusWord> sw_;
};

}  // namespace qscd
