// Tokens in PC/SC readers: one per reader whose card has an application qscd has a host driver
// for (OpenPGP card 3.x today). Each list() and open() talks to pcscd afresh, so readers plugged
// in or out between calls and a restarted pcscd are seen.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qscd/pcsc/card_connection.hpp"
#include "qscd/token_source.hpp"

namespace qscd::pcsc {

// Chooses a token; every field given must match. An empty Selector matches every usable token.
struct Selector {
    std::optional<std::string> reader = std::nullopt;  // exact reader name
    std::optional<std::string> serial = std::nullopt;  // "FFFF00000001" (case-insensitive)
    std::optional<std::string> label = std::nullopt;   // the Token's info().label (cardholder name or "OpenPGP card <serial>")
};

// One reader as list() sees it, with the label a Selector can match.
struct PcscTokenListing {
    TokenDescriptor descriptor;  // kind "pcsc", name = location = reader name; problem set if unusable
    std::string label;           // empty when there is a problem
    Bytes atr;
};

class PcscTokenSource final : public TokenSource {
public:
    // `mode` is the share mode used by open() (list() always connects shared and leaves the card as is).
    explicit PcscTokenSource(ShareMode mode = ShareMode::Shared);

    // One descriptor per reader: a token, or a `problem` ("no card in the reader", "the card has no
    // application qscd supports ...", "card in use by another program (exclusive)", ...).
    // Throws Error(TransportError) when pcscd is not running.
    std::vector<TokenDescriptor> list() override;
    std::vector<PcscTokenListing> scan();

    // Connects to the descriptor's reader and selects the application. Throws NotFound when the
    // reader or card is gone, or when the card now there has another serial.
    std::unique_ptr<Token> open(const TokenDescriptor& token) override;

    // The one usable token matching `selector`. NotFound (the message lists what is there) when
    // none matches, InvalidArgument when several do.
    std::unique_ptr<Token> open_matching(const Selector& selector);

private:
    ShareMode mode_;
};

}  // namespace qscd::pcsc
