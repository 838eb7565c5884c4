// Which tokens the CLI can reach, and opening one by name. Today: simulated tokens in the state
// directory. The host driver is chosen by what the card answers, never by where it lives.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qscd/openpgp/openpgp_token.hpp"

namespace qscd::cli {

struct TokenEntry {
    std::string name;   // what --token takes
    std::string kind;   // "simulator"
    std::string serial;
    std::filesystem::path location;
};

class TokenRegistry {
public:
    // state_dir: --state if given; otherwise QSCD_SIM_DIR, XDG data dir, ~/.local/share/qscd/sim.
    explicit TokenRegistry(std::optional<std::filesystem::path> state_dir);

    const std::filesystem::path& state_dir() const { return state_dir_; }
    std::vector<TokenEntry> list() const;
    // Opens by name; with an empty name, the only token there is (error if none or several).
    std::unique_ptr<openpgp::OpenPgpToken> open(const std::string& name) const;
    // Creates a factory-fresh simulated card and returns its name.
    std::unique_ptr<openpgp::OpenPgpToken> create_simulated(const std::string& name) const;

private:
    std::filesystem::path state_dir_;
};

}  // namespace qscd::cli
