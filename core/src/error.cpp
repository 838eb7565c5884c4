#include "qscd/error.hpp"

namespace qscd {

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::WrongPin: return "wrong PIN";
        case ErrorCode::PinBlocked: return "PIN blocked";
        case ErrorCode::PinRequired: return "PIN required";
        case ErrorCode::InvalidPin: return "invalid PIN";
        case ErrorCode::CardRemoved: return "card removed";
        case ErrorCode::CardReset: return "card reset";
        case ErrorCode::NotSupported: return "not supported";
        case ErrorCode::NotFound: return "not found";
        case ErrorCode::InvalidArgument: return "invalid argument";
        case ErrorCode::PolicyViolation: return "policy violation";
        case ErrorCode::CardError: return "card error";
        case ErrorCode::ProtocolError: return "protocol error";
        case ErrorCode::TransportError: return "transport error";
        case ErrorCode::CryptoError: return "crypto error";
        case ErrorCode::IoError: return "I/O error";
        case ErrorCode::StateCorrupted: return "state corrupted";
        case ErrorCode::VerificationFailed: return "verification failed";
        case ErrorCode::Cancelled: return "cancelled";
    }
    return "error";
}

std::string tries_left_text(int tries) { return std::to_string(tries) + (tries == 1 ? " try left" : " tries left"); }

}  // namespace qscd
