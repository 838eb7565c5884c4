// Opening tokens the way every subcommand does: registry from --state, optional APDU trace.
#pragma once

#include <fmt/core.h>

#include <cstdio>

#include "commands.hpp"
#include "token_registry.hpp"

namespace qscd::cli {

inline TokenRegistry make_registry(const GlobalOptions& global) {
    return TokenRegistry(global.state_dir ? std::optional<std::filesystem::path>(*global.state_dir) : std::nullopt);
}

inline void attach_trace(openpgp::OpenPgpToken& token, const GlobalOptions& global) {
    if (global.trace) token.set_trace([](std::string_view line) { fmt::print(stderr, "{}\n", line); });
}

inline std::unique_ptr<openpgp::OpenPgpToken> open_token(const GlobalOptions& global, const std::string& name) {
    auto token = make_registry(global).open(name);
    attach_trace(*token, global);
    return token;
}

}  // namespace qscd::cli
