// Where tokens come from (simulator state directory today; PC/SC readers next) and how a card is
// turned into a Token: the card's answers choose the host driver, never where the card lives.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qscd/token.hpp"
#include "qscd/transport.hpp"

namespace qscd {

enum class TokenKind { Simulated, PcscReader };
const char* to_string(TokenKind kind);   // "simulator", "pcsc"

struct TokenDescriptor {
    std::string name;                    // what a user types to choose it (--token)
    TokenKind kind = TokenKind::Simulated;
    std::string serial;
    std::string location;                // state file or reader name
    std::optional<std::string> problem;  // set when the token is present but unusable
};

class TokenSource {
public:
    virtual ~TokenSource() = default;
    virtual std::vector<TokenDescriptor> list() = 0;
    // Throws Error(NotFound) when no such token exists any more.
    virtual std::unique_ptr<Token> open(const TokenDescriptor& token) = 0;
};

// Selects the card applications qscd has host drivers for (OpenPGP card 3.x) and returns a Token
// for the first that answers. Error(NotSupported) when none does.
std::unique_ptr<Token> open_card(std::unique_ptr<Transport> transport, std::string label);

}  // namespace qscd
