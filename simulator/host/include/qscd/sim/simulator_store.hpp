// The directory of simulated tokens: <dir>/<name>.qscdsim (state, mode 0600) and <dir>/<name>.lock.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qscd/sim/in_process_transport.hpp"
#include "qscd/sim/openpgp_applet.hpp"
#include "qscd/transport.hpp"

namespace qscd::sim {

// --state path, else $QSCD_SIM_DIR, else $XDG_DATA_HOME/qscd/sim, else ~/.local/share/qscd/sim.
std::filesystem::path resolve_state_dir(const std::optional<std::filesystem::path>& explicit_dir = std::nullopt);

struct TokenInfo {
    std::string name;
    std::filesystem::path path;
    std::string serial;                // 8 hex digits (OpenPGP: AID bytes 10..13), empty if unreadable
    CardType card_type = CardType::OpenPgp;  // as the state file records it
    std::optional<std::string> error;  // set when the state file could not be read
};

class SimulatorStore {
public:
    explicit SimulatorStore(std::filesystem::path dir);

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path state_path(const std::string& name) const;
    std::filesystem::path lock_path(const std::string& name) const;
    bool exists(const std::string& name) const;

    // Writes a factory-default card of options.card_type with a random serial (an ID card is left in its
    // personalisation life cycle: see id_card_personalisation.hpp). Throws InvalidArgument (bad name or the
    // token exists) or IoError.
    TokenInfo create_token(const std::string& name, CardOptions options = {});
    // Undoes a creation that failed before the token was usable: its state file and lock file
    // (FileStorage removes its own temporaries). Only for a token this process has just created.
    void remove_token(const std::string& name) noexcept;
    // All tokens, sorted by name.
    std::vector<TokenInfo> list() const;
    // Throws NotFound, StateCorrupted (file left untouched), IoError.
    std::unique_ptr<qscd::Transport> open(const std::string& name, CardOptions options = {}) const;
    std::unique_ptr<InProcessTransport> open_simulator(const std::string& name, CardOptions options = {}) const;

    static bool valid_name(const std::string& name);

private:
    std::filesystem::path dir_;
};

}  // namespace qscd::sim
