#include "session.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "qscd/error.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"

namespace qscd::cli {

namespace {

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string names_of(const std::vector<TokenDescriptor>& tokens) {
    std::string out;
    for (const auto& t : tokens) {
        if (t.problem) continue;
        out += (out.empty() ? "" : ", ") + t.name + (t.serial.empty() ? "" : " (" + t.serial + ")");
    }
    return out.empty() ? "none" : out;
}

}  // namespace

void add_token_options(CLI::App* cmd, TokenChoice& choice) {
    cmd->add_option("--token,-t", choice.token, "simulated token name or reader name (default: the only token)");
    cmd->add_option("--reader", choice.reader, "PC/SC reader name");
    cmd->add_option("--serial", choice.serial, "token serial number, e.g. FFFF00000001");
    cmd->add_option("--label", choice.label, "token label (cardholder name)");
    cmd->add_flag("--exclusive", choice.exclusive, "keep other programs off the card while qscd uses it (PC/SC exclusive mode)");
}

SimulatorTokenSource make_source(const GlobalOptions& global) {
    return SimulatorTokenSource(global.state_dir ? std::optional<std::filesystem::path>(*global.state_dir) : std::nullopt);
}

void attach_trace(Token& token, const GlobalOptions& global) {
    if (global.trace) token.set_trace([](std::string_view line) { fmt::print(stderr, "{}\n", line); });
}

std::vector<TokenDescriptor> list_tokens(const GlobalOptions& global, std::string& pcsc_note) {
    SimulatorTokenSource simulated = make_source(global);
    std::vector<TokenDescriptor> tokens = simulated.list();
    pcsc_note.clear();
    try {
        pcsc::PcscTokenSource readers;
        for (auto& t : readers.list()) tokens.push_back(std::move(t));
    } catch (const Error& e) {
        pcsc_note = e.what();  // pcscd not running: simulated tokens still work
    }
    return tokens;
}

std::unique_ptr<Token> open_token(const GlobalOptions& global, const TokenChoice& choice) {
    SimulatorTokenSource simulated = make_source(global);
    const pcsc::ShareMode mode = choice.exclusive ? pcsc::ShareMode::Exclusive : pcsc::ShareMode::Shared;
    std::unique_ptr<Token> token;

    if (choice.reader) {
        pcsc::PcscTokenSource readers(mode);
        token = readers.open_matching({choice.reader, choice.serial, choice.label});
    } else if (!choice.token.empty() && !choice.serial && !choice.label) {
        // A simulated token by name, else a reader of that name.
        SimulatorTokenSource source = make_source(global);
        const auto sims = source.list();
        const bool is_simulated = std::any_of(sims.begin(), sims.end(), [&](const auto& t) { return t.name == choice.token; });
        if (is_simulated) {
            token = source.open(TokenDescriptor{choice.token, TokenKind::Simulated, "", "", std::nullopt});
        } else {
            try {
                pcsc::PcscTokenSource readers(mode);
                token = readers.open_matching({choice.token, std::nullopt, std::nullopt});
            } catch (const Error&) {
                throw Error(ErrorCode::NotFound, "no token named '" + choice.token + "' (see `qscd token list`)");
            }
        }
    } else {
        // By serial / label, or the only token there is, across both sources.
        std::string note;
        std::vector<TokenDescriptor> matches;
        for (const auto& t : list_tokens(global, note)) {
            if (t.problem) continue;
            if (!choice.token.empty() && t.name != choice.token) continue;
            if (choice.serial && upper(t.serial) != upper(*choice.serial)) continue;
            if (choice.label && t.name != *choice.label) {
                // Labels of simulated tokens are their names; readers' labels need the card: ask it.
                if (t.kind != TokenKind::PcscReader) continue;
                pcsc::PcscTokenSource readers;
                auto candidate = readers.open(t);
                if (candidate->info().label != *choice.label) continue;
            }
            matches.push_back(t);
        }
        if (matches.empty()) {
            std::string all = names_of(list_tokens(global, note));
            throw Error(ErrorCode::NotFound, std::string(choice.serial || choice.label ? "no token matches; " : "no token found; ") +
                                                 "available: " + all + (all == "none" ? " (create one with `qscd sim create`)" : ""));
        }
        // A simulated token served by qscd-sim is one card reached two ways: take the reader, as a
        // PC/SC application would.
        if (matches.size() > 1) {
            std::vector<TokenDescriptor> distinct;
            for (const auto& m : matches) {
                auto same = std::find_if(distinct.begin(), distinct.end(), [&](const auto& d) { return !m.serial.empty() && d.serial == m.serial; });
                if (same == distinct.end())
                    distinct.push_back(m);
                else if (m.kind == TokenKind::PcscReader)
                    *same = m;
            }
            matches = std::move(distinct);
        }
        if (matches.size() > 1)
            throw Error(ErrorCode::InvalidArgument, "several tokens match (" + names_of(matches) + "); choose with --token, --reader or --serial");
        const TokenDescriptor& chosen = matches.front();
        if (chosen.kind == TokenKind::PcscReader) {
            pcsc::PcscTokenSource readers(mode);
            token = readers.open(chosen);
        } else {
            token = simulated.open(chosen);
        }
    }
    attach_trace(*token, global);
    return token;
}

}  // namespace qscd::cli
