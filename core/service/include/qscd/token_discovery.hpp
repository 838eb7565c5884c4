// Token discovery: the simulated tokens of a state directory and the cards in PC/SC readers, listed
// together and chosen by name, reader, serial or label. A simulated token that qscd-sim also serves
// through a reader is one card reached two ways: it is listed and chosen once, as the reader, the way
// any PC/SC application sees it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qscd/token.hpp"

namespace qscd {

// Which token to use. Every field given must match; nothing given means "the only token there is".
struct TokenChoice {
    std::string name;                   // a simulated token's name, else a reader's name
    std::optional<std::string> reader = std::nullopt;  // PC/SC reader name
    std::optional<std::string> serial = std::nullopt;  // "FFFF00000001" (case-insensitive)
    std::optional<std::string> label = std::nullopt;   // cardholder name (simulated tokens: their name)
    bool exclusive = false;             // keep other programs off the card (PC/SC exclusive mode)

    bool empty() const { return name.empty() && !reader && !serial && !label; }
};

class TokenDirectory {
public:
    // simulator_dir: where simulated tokens live; default: $QSCD_SIM_DIR, else
    // $XDG_DATA_HOME/qscd/sim, else ~/.local/share/qscd/sim.
    explicit TokenDirectory(std::optional<std::filesystem::path> simulator_dir = std::nullopt);

    const std::filesystem::path& simulator_dir() const { return simulator_dir_; }

    // Every token reachable now: simulated ones, then one per PC/SC reader (a reader without a usable
    // card is listed with its problem), each card once. When pcscd cannot be reached the readers are
    // left out and `pcsc_note` (if given) says why; otherwise it is cleared.
    std::vector<TokenDescriptor> list(std::string* pcsc_note = nullptr) const;

    // Opens the chosen token. Error(NotFound) naming what exists, Error(InvalidArgument) when several
    // tokens match the choice.
    std::unique_ptr<Token> open(const TokenChoice& choice) const;

private:
    std::filesystem::path simulator_dir_;
};

}  // namespace qscd
