#include "token_registry.hpp"

#include "qscd/error.hpp"
#include "qscd/sim/simulator_store.hpp"

namespace qscd::cli {

TokenRegistry::TokenRegistry(std::optional<std::filesystem::path> state_dir)
    : state_dir_(sim::resolve_state_dir(state_dir)) {}

std::vector<TokenEntry> TokenRegistry::list() const {
    std::vector<TokenEntry> entries;
    if (!std::filesystem::is_directory(state_dir_)) return entries;
    for (const sim::TokenInfo& t : sim::SimulatorStore(state_dir_).list())
        entries.push_back({t.name, t.error ? "broken" : "simulator", t.error ? *t.error : "FFFF" + t.serial, t.path});
    return entries;
}

std::unique_ptr<openpgp::OpenPgpToken> TokenRegistry::open(const std::string& name) const {
    std::string chosen = name;
    if (chosen.empty()) {
        auto entries = list();
        if (entries.empty())
            throw Error(ErrorCode::NotFound, "no tokens in " + state_dir_.string() + "; create one with `qscd sim create`");
        if (entries.size() > 1)
            throw Error(ErrorCode::InvalidArgument, "several tokens in " + state_dir_.string() + "; choose one with --token");
        chosen = entries.front().name;
    }
    sim::SimulatorStore store(state_dir_);
    if (!store.exists(chosen))
        throw Error(ErrorCode::NotFound, "no token named '" + chosen + "' in " + state_dir_.string() + " (see `qscd token list`)");
    return std::make_unique<openpgp::OpenPgpToken>(store.open(chosen), chosen);
}

std::unique_ptr<openpgp::OpenPgpToken> TokenRegistry::create_simulated(const std::string& name) const {
    if (std::filesystem::create_directories(state_dir_))
        std::filesystem::permissions(state_dir_, std::filesystem::perms::owner_all);
    sim::SimulatorStore store(state_dir_);
    store.create_token(name);
    return std::make_unique<openpgp::OpenPgpToken>(store.open(name), name);
}

}  // namespace qscd::cli
