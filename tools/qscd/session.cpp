#include "session.hpp"

#include <fmt/core.h>

#include <cstdio>

namespace qscd::cli {

void add_token_options(CLI::App* cmd, TokenChoice& choice) {
    cmd->add_option("--token,-t", choice.name, "simulated token name or reader name (default: the only token)");
    cmd->add_option("--reader", choice.reader, "PC/SC reader name");
    cmd->add_option("--serial", choice.serial, "token serial number, e.g. FFFF00000001");
    cmd->add_option("--label", choice.label, "token label (cardholder name)");
    cmd->add_flag("--exclusive", choice.exclusive, "keep other programs off the card while qscd uses it (PC/SC exclusive mode)");
}

TokenDirectory token_directory(const GlobalOptions& global) {
    return TokenDirectory(global.state_dir ? std::optional<std::filesystem::path>(*global.state_dir) : std::nullopt);
}

std::unique_ptr<Token> open_token(const GlobalOptions& global, const TokenChoice& choice) {
    auto token = token_directory(global).open(choice);
    if (global.trace) token->set_trace([](std::string_view line) { fmt::print(stderr, "{}\n", line); });
    return token;
}

}  // namespace qscd::cli
