#include "simulator_token_source.hpp"

#include "qscd/error.hpp"
#include "qscd/sim/simulator_store.hpp"

namespace qscd {

SimulatorTokenSource::SimulatorTokenSource(std::optional<std::filesystem::path> state_dir)
    : state_dir_(sim::resolve_state_dir(state_dir)) {}

std::vector<TokenDescriptor> SimulatorTokenSource::list() {
    std::vector<TokenDescriptor> tokens;
    if (!std::filesystem::is_directory(state_dir_)) return tokens;
    sim::SimulatorStore store(state_dir_);
    for (const sim::TokenInfo& t : store.list()) {
        // OpenPGP: manufacturer FFFF + serial (the AID); an ID card: its document number ("T" + serial).
        tokens.push_back({t.name, TokenKind::Simulated,
                          t.error ? "" : (t.card_type == sim::CardType::OpenPgp ? "FFFF" : "T") + t.serial,
                          t.path.string(), t.error});
        if (t.error || t.card_type == sim::CardType::OpenPgp) continue;
        // An ID card: its type and PIN tries, as the host driver reads them from the card.
        try {
            auto token = open_card(store.open(t.name), t.name);
            tokens.back().card_type = token->info().card_type;
            tokens.back().pins = token->pin_status();
        } catch (const Error& e) {
            tokens.back().problem = e.what();
        }
    }
    return tokens;
}

std::unique_ptr<Token> SimulatorTokenSource::open(const TokenDescriptor& token) {
    sim::SimulatorStore store(state_dir_);
    if (!store.exists(token.name))
        throw Error(ErrorCode::NotFound, "no token named '" + token.name + "' in " + state_dir_.string() + " (see `qscd token list`)");
    return open_card(store.open(token.name), token.name);
}

std::unique_ptr<openpgp::OpenPgpToken> SimulatorTokenSource::create(const std::string& name) {
    sim::SimulatorStore store(state_dir_);  // makes the directory (0700) if needed, never chmods an existing one
    store.create_token(name);
    try {
        return std::make_unique<openpgp::OpenPgpToken>(store.open(name), name);
    } catch (...) {
        store.remove_token(name);
        throw;
    }
}

void SimulatorTokenSource::discard_created(const std::string& name) { sim::SimulatorStore(state_dir_).remove_token(name); }

}  // namespace qscd
