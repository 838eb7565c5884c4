#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/token_source.hpp"

namespace qscd {

const char* to_string(TokenKind kind) {
    switch (kind) {
        case TokenKind::Simulated: return "simulator";
        case TokenKind::PcscReader: return "pcsc";
    }
    return "unknown";
}

std::unique_ptr<Token> open_card(std::unique_ptr<Transport> transport, std::string label) {
    // One host driver so far. A card without the OpenPGP application answers SELECT with 6A82,
    // which the driver reports as NotFound.
    try {
        return std::make_unique<openpgp::OpenPgpToken>(std::move(transport), std::move(label));
    } catch (const Error& e) {
        if (e.code() == ErrorCode::NotFound)
            throw Error(ErrorCode::NotSupported, "the card has no application qscd supports (OpenPGP card 3.x)");
        throw;
    }
}

}  // namespace qscd
