#include "qscd/token_discovery.hpp"

#include <algorithm>
#include <cctype>

#include "qscd/error.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "simulator_token_source.hpp"

namespace qscd {

namespace {

std::string upper(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
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

// One entry per card: a simulated token that qscd-sim serves through a reader (same serial) is the
// reader's card, as every PC/SC application sees it; its simulated name is kept (simulated_as).
std::vector<TokenDescriptor> without_duplicates(std::vector<TokenDescriptor> tokens) {
    std::vector<TokenDescriptor> distinct;
    for (auto& t : tokens) {
        auto same = std::ranges::find_if(distinct, [&](const TokenDescriptor& d) {
            return !t.problem && !d.problem && !t.serial.empty() && upper(d.serial) == upper(t.serial);
        });
        if (same == distinct.end()) {
            distinct.push_back(std::move(t));
        } else if (t.kind == TokenKind::PcscReader && same->kind == TokenKind::Simulated) {
            t.simulated_as = same->name;
            *same = std::move(t);
        }
    }
    return distinct;
}

}  // namespace

TokenDirectory::TokenDirectory(std::optional<std::filesystem::path> simulator_dir)
    : simulator_dir_(sim::resolve_state_dir(simulator_dir)) {}

std::vector<TokenDescriptor> TokenDirectory::list(std::string* pcsc_note) const {
    std::vector<TokenDescriptor> tokens = SimulatorTokenSource(simulator_dir_).list();
    if (pcsc_note) pcsc_note->clear();
    try {
        pcsc::PcscTokenSource readers;
        for (auto& t : readers.list()) tokens.push_back(std::move(t));
    } catch (const Error& e) {
        if (pcsc_note) *pcsc_note = e.what();  // pcscd not running: simulated tokens still work
    }
    return without_duplicates(std::move(tokens));
}

std::unique_ptr<Token> TokenDirectory::open(const TokenChoice& choice) const {
    SimulatorTokenSource simulated(simulator_dir_);
    const pcsc::ShareMode mode = choice.exclusive ? pcsc::ShareMode::Exclusive : pcsc::ShareMode::Shared;

    if (choice.reader) return pcsc::PcscTokenSource(mode).open_matching({choice.reader, choice.serial, choice.label});

    if (!choice.name.empty() && !choice.serial && !choice.label) {
        // A simulated token by name, else a reader of that name.
        const auto sims = simulated.list();
        if (std::ranges::any_of(sims, [&](const auto& t) { return t.name == choice.name; }))
            return simulated.open(TokenDescriptor{choice.name, TokenKind::Simulated, "", "", std::nullopt});
        try {
            return pcsc::PcscTokenSource(mode).open_matching({choice.name, std::nullopt, std::nullopt});
        } catch (const Error&) {
            throw Error(ErrorCode::NotFound, "no token named '" + choice.name + "' (see `qscd token list`)");
        }
    }

    // By serial / label, or the only token there is, across both sources.
    const std::vector<TokenDescriptor> all = list();
    std::vector<TokenDescriptor> matches;
    for (const auto& t : all) {
        if (t.problem) continue;
        if (!choice.name.empty() && t.name != choice.name) continue;
        if (choice.serial && upper(t.serial) != upper(*choice.serial)) continue;
        if (choice.label && t.name != *choice.label) {
            // Labels of simulated tokens are their names; a reader's label needs its card: ask it.
            if (t.kind != TokenKind::PcscReader) continue;
            if (pcsc::PcscTokenSource().open(t)->info().label != *choice.label) continue;
        }
        matches.push_back(t);
    }
    if (matches.empty()) {
        const std::string names = names_of(all);
        throw Error(ErrorCode::NotFound, std::string(choice.serial || choice.label ? "no token matches; " : "no token found; ") +
                                             "available: " + names + (names == "none" ? " (create one with `qscd sim create`)" : ""));
    }
    if (matches.size() > 1)
        throw Error(ErrorCode::InvalidArgument, "several tokens match (" + names_of(matches) + "); choose with --token, --reader or --serial");
    const TokenDescriptor& chosen = matches.front();
    if (chosen.kind == TokenKind::PcscReader) return pcsc::PcscTokenSource(mode).open(chosen);
    return simulated.open(chosen);
}

}  // namespace qscd
