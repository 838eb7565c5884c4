// Choosing and opening a token the way every subcommand does: simulated tokens from the state
// directory and cards in PC/SC readers, chosen by --token, --reader, --serial or --label.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "qscd/token_source.hpp"
#include "simulator_token_source.hpp"

namespace qscd::cli {

struct TokenChoice {
    std::string token;                  // simulated token name (or a reader name)
    std::optional<std::string> reader;  // PC/SC reader name
    std::optional<std::string> serial;  // "FFFF00000001"
    std::optional<std::string> label;
    bool exclusive = false;             // hold the reader exclusively (SCARD_SHARE_EXCLUSIVE)
};

// Adds --token/-t, --reader, --serial, --label to `cmd`.
void add_token_options(CLI::App* cmd, TokenChoice& choice);

SimulatorTokenSource make_source(const GlobalOptions& global);
void attach_trace(Token& token, const GlobalOptions& global);

// Every token reachable now: simulated ones, then one per PC/SC reader. `pcsc_note` says why no
// reader was listed when pcscd cannot be reached (empty otherwise).
std::vector<TokenDescriptor> list_tokens(const GlobalOptions& global, std::string& pcsc_note);

// Opens the chosen token; with no choice, the only one there is. Error(NotFound) names what exists,
// InvalidArgument when the choice is ambiguous.
std::unique_ptr<Token> open_token(const GlobalOptions& global, const TokenChoice& choice);

}  // namespace qscd::cli
