#include "qscd/pcsc/error_mapping.hpp"

#include <cstdio>
#include <type_traits>

#include <winscard.h>

namespace qscd::pcsc {

static_assert(std::is_same_v<ResultCode, LONG>, "ResultCode must be pcsc-lite's LONG");

namespace {

struct Mapping {
    ErrorCode code;
    const char* message;  // what it means for the user; describe_result() is appended
};

Mapping map(ResultCode rv) {
    switch (rv) {
        case SCARD_W_REMOVED_CARD:
            return {ErrorCode::CardRemoved, "card removed"};
        case SCARD_E_NO_SMARTCARD:
            return {ErrorCode::CardRemoved, "no card in the reader"};
        case SCARD_E_READER_UNAVAILABLE:
            return {ErrorCode::CardRemoved, "reader removed or unable to power the card"};
        case SCARD_W_RESET_CARD:
            return {ErrorCode::CardReset, "card was reset; present the PIN again"};
        case SCARD_E_NO_SERVICE:
            return {ErrorCode::TransportError, "PC/SC service not available: pcscd is not running or no reader is connected"};
        case SCARD_E_SERVICE_STOPPED:
            return {ErrorCode::TransportError, "PC/SC service stopped: pcscd is not running or no reader is connected"};
        case SCARD_E_NO_READERS_AVAILABLE:
            return {ErrorCode::TransportError, "no smart card reader connected (or pcscd is not running)"};
        case SCARD_F_COMM_ERROR:
            return {ErrorCode::TransportError, "lost the connection to pcscd"};
        case SCARD_E_SHARING_VIOLATION:
            return {ErrorCode::TransportError, "card in use by another program (exclusive)"};
        case SCARD_E_TIMEOUT:
            return {ErrorCode::TransportError, "timed out"};
        case SCARD_E_CANCELLED:
            return {ErrorCode::Cancelled, "cancelled"};
        case SCARD_E_UNKNOWN_READER:
            return {ErrorCode::NotFound, "unknown reader"};
        case SCARD_E_PROTO_MISMATCH:
            return {ErrorCode::NotSupported, "the card speaks neither T=0 nor T=1"};
        case SCARD_E_UNSUPPORTED_FEATURE:
            return {ErrorCode::NotSupported, "not supported by the reader"};
        case SCARD_W_UNSUPPORTED_CARD:
        case SCARD_E_CARD_UNSUPPORTED:
            return {ErrorCode::NotSupported, "card not supported by the reader"};
        case SCARD_W_UNRESPONSIVE_CARD:
            return {ErrorCode::TransportError, "card does not answer (mute or inserted the wrong way)"};
        case SCARD_W_UNPOWERED_CARD:
            return {ErrorCode::TransportError, "card is not powered"};
        case SCARD_E_INVALID_HANDLE:
            return {ErrorCode::TransportError, "stale PC/SC handle (reader reattached or pcscd restarted)"};
        case SCARD_E_NOT_TRANSACTED:
            return {ErrorCode::TransportError, "the exchange with the card failed"};
        case SCARD_E_NOT_READY:
            return {ErrorCode::TransportError, "reader or card not ready"};
        case SCARD_E_INSUFFICIENT_BUFFER:
            return {ErrorCode::ProtocolError, "response larger than the receive buffer"};
        case SCARD_E_INVALID_PARAMETER:
        case SCARD_E_INVALID_VALUE:
            return {ErrorCode::InvalidArgument, "invalid parameter"};
        case SCARD_E_NO_MEMORY:
            return {ErrorCode::TransportError, "pcscd is out of memory"};
        default:
            return {ErrorCode::TransportError, "PC/SC failure"};
    }
}

}  // namespace

ScardResult classify(ResultCode rv) {
    switch (rv) {
        case SCARD_S_SUCCESS: return ScardResult::Success;
        case SCARD_E_TIMEOUT: return ScardResult::Timeout;
        case SCARD_E_CANCELLED: return ScardResult::Cancelled;
        case SCARD_E_NO_READERS_AVAILABLE: return ScardResult::NoReadersAvailable;
        case SCARD_W_RESET_CARD: return ScardResult::CardReset;
        case SCARD_W_REMOVED_CARD:
        case SCARD_E_NO_SMARTCARD: return ScardResult::CardRemoved;
        case SCARD_E_UNKNOWN_READER: return ScardResult::UnknownReader;
        case SCARD_E_INSUFFICIENT_BUFFER: return ScardResult::InsufficientBuffer;
        default: return ScardResult::Other;
    }
}

std::string describe_result(ResultCode rv) {
    char number[24];
    std::snprintf(number, sizeof number, "0x%08lX", static_cast<unsigned long>(rv) & 0xFFFFFFFFUL);
    return std::string(pcsc_stringify_error(rv)) + " (" + number + ")";
}

Error to_error(ResultCode rv, std::string_view operation) {
    const Mapping m = map(rv);
    return Error(m.code, std::string(m.message) + " [" + std::string(operation) + ": " + describe_result(rv) + "]");
}

void check(ResultCode rv, std::string_view operation) {
    if (rv != SCARD_S_SUCCESS) throw to_error(rv, operation);
}

}  // namespace qscd::pcsc
