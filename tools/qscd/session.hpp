// Opening tokens the way every subcommand does: the token source from --state, the optional trace.
#pragma once

#include <fmt/core.h>

#include <cstdio>

#include "commands.hpp"
#include "simulator_token_source.hpp"

namespace qscd::cli {

inline SimulatorTokenSource make_source(const GlobalOptions& global) {
    return SimulatorTokenSource(global.state_dir ? std::optional<std::filesystem::path>(*global.state_dir) : std::nullopt);
}

inline void attach_trace(Token& token, const GlobalOptions& global) {
    if (global.trace) token.set_trace([](std::string_view line) { fmt::print(stderr, "{}\n", line); });
}

inline std::unique_ptr<Token> open_token(const GlobalOptions& global, const std::string& name) {
    SimulatorTokenSource source = make_source(global);
    auto token = open_token_named(source, name);
    attach_trace(*token, global);
    return token;
}

}  // namespace qscd::cli
