#include "qscd/token.hpp"

#include "qscd/error.hpp"

namespace qscd {

const char* to_string(PinRole role) {
    switch (role) {
        case PinRole::User: return "User PIN";
        case PinRole::Admin: return "Admin PIN";
        case PinRole::ResetCode: return "Resetting Code";
        case PinRole::AuthenticationPin: return "Authentication PIN";
        case PinRole::SignaturePin: return "Signature PIN";
        case PinRole::Puk: return "PUK";
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

void Token::reset_pin(PinRole target, PinRole authority, const Pin& secret, const Pin& new_pin) {
    if (target != PinRole::User) throw Error(ErrorCode::NotSupported, std::string("this token cannot unblock its ") + to_string(target));
    unblock_pin(authority, secret, new_pin);
}

void Token::change_pin_on_pin_pad(PinRole role) {
    throw Error(ErrorCode::NotSupported, std::string("this token cannot change its ") + to_string(role) +
                                             " on a PIN pad; enter the PINs on the host (nothing was sent to the card)");
}

std::shared_ptr<KeyHandle> Token::key(const std::string& id) {
    for (auto& k : keys())
        if (k->attributes().id == id) return k;
    throw Error(ErrorCode::NotFound, "token has no key " + id);
}

}  // namespace qscd
