#include "qscd/token.hpp"

#include "qscd/error.hpp"

namespace qscd {

const char* to_string(PinRole role) {
    switch (role) {
        case PinRole::User: return "User PIN";
        case PinRole::Admin: return "Admin PIN";
        case PinRole::ResetCode: return "Resetting Code";
    }
    return "PIN";
}

const char* to_string(TokenKind kind) {
    switch (kind) {
        case TokenKind::Simulated: return "simulator";
        case TokenKind::PcscReader: return "pcsc";
    }
    return "unknown";
}

std::shared_ptr<KeyHandle> Token::key(const std::string& id) {
    for (auto& k : keys())
        if (k->attributes().id == id) return k;
    throw Error(ErrorCode::NotFound, "token has no key " + id);
}

}  // namespace qscd
