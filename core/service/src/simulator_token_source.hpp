// Simulated tokens in a state directory, as a TokenSource (token discovery joins it with the PC/SC
// readers).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/token_source.hpp"

namespace qscd {

class SimulatorTokenSource final : public TokenSource {
public:
    // state_dir: --state if given; otherwise QSCD_SIM_DIR, XDG data dir, ~/.local/share/qscd/sim.
    explicit SimulatorTokenSource(std::optional<std::filesystem::path> state_dir);

    const std::filesystem::path& state_dir() const { return state_dir_; }
    std::vector<TokenDescriptor> list() override;
    std::unique_ptr<Token> open(const TokenDescriptor& token) override;
    // Creates a factory-fresh simulated card (an OpenPGP card, so it can be personalised).
    std::unique_ptr<openpgp::OpenPgpToken> create(const std::string& name);
    // Removes a token that create() made but whose personalisation failed (nothing is left behind).
    void discard_created(const std::string& name);

private:
    std::filesystem::path state_dir_;
};

}  // namespace qscd
