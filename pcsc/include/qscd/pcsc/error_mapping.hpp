// The one place where PC/SC result codes (SCARD_E_*, SCARD_W_*, SCARD_F_*) become qscd::Error.
// Everything else in pcsc/ branches on ScardResult and never names a SCARD_* code itself.
#pragma once

#include <string>
#include <string_view>

#include "qscd/error.hpp"

namespace qscd::pcsc {

// A PC/SC return value as pcsc-lite gives it (its LONG, `long` on Linux).
using ResultCode = long;

// The few outcomes callers branch on; every other failure is Other (and becomes an Error).
enum class ScardResult {
    Success,
    Timeout,             // SCardGetStatusChange: nothing changed in time (normal)
    Cancelled,           // SCardCancel was called
    NoReadersAvailable,  // SCardListReaders: "no readers" (an empty list, not a failure)
    CardReset,           // someone reset the card: SCardReconnect(LEAVE) and present the PIN again
    CardRemoved,         // removed, or no card in the reader
    UnknownReader,       // the reader vanished or never existed
    InsufficientBuffer,
    Other,
};

ScardResult classify(ResultCode code);

// "Sharing violation. (0x8010000B)": pcsc_stringify_error plus the number.
std::string describe_result(ResultCode code);

// The Error for a failed call. `operation` names what was attempted ("SCardConnect(Virtual PCD 00 00)").
Error to_error(ResultCode code, std::string_view operation);

// Throws to_error(code, operation) unless code is SCARD_S_SUCCESS.
void check(ResultCode code, std::string_view operation);

}  // namespace qscd::pcsc
