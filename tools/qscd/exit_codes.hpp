// qscd exit codes: stable, documented in README and in `qscd --help`.
#pragma once

#include <stdexcept>

#include "qscd/error.hpp"

namespace qscd::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;           // anything not listed below
inline constexpr int kExitUsage = 2;             // bad command line
inline constexpr int kExitWrongPin = 3;          // wrong PIN (the message says how many tries are left)
inline constexpr int kExitPinBlocked = 4;        // PIN blocked: unblock it first
inline constexpr int kExitNoToken = 5;           // token, key, certificate or file not found; card removed
inline constexpr int kExitInvalidSignature = 6;  // verify: the signature is not valid
inline constexpr int kExitPolicy = 7;            // refused by policy or not supported by the token
inline constexpr int kExitCancelled = 8;         // no PIN given

inline constexpr const char* kExitCodeHelp =
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 wrong PIN, 4 PIN blocked, 5 token/file not found or card removed,\n"
    "            6 signature invalid, 7 refused by policy or not supported, 8 cancelled (no PIN).\n"
    "PINs: from the terminal (no echo), --pin-fd N, or QSCD_PIN / QSCD_NEW_PIN / QSCD_ADMIN_PIN / QSCD_RESET_CODE.";

// Thrown after a verification report has been printed, to exit with kExitInvalidSignature.
struct VerificationFailed : std::runtime_error {
    VerificationFailed() : std::runtime_error("signature invalid") {}
};

inline int exit_code_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::WrongPin:
        case ErrorCode::InvalidPin: return kExitWrongPin;
        case ErrorCode::PinBlocked: return kExitPinBlocked;
        case ErrorCode::NotFound:
        case ErrorCode::CardRemoved:
        case ErrorCode::CardReset: return kExitNoToken;
        case ErrorCode::VerificationFailed: return kExitInvalidSignature;
        case ErrorCode::PolicyViolation:
        case ErrorCode::NotSupported: return kExitPolicy;
        case ErrorCode::InvalidArgument: return kExitUsage;
        case ErrorCode::Cancelled: return kExitCancelled;
        default: return kExitFailure;
    }
}

}  // namespace qscd::cli
