#include "idcard/id_card_token.hpp"
#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/token_source.hpp"

namespace qscd {

std::unique_ptr<Token> open_card(std::unique_ptr<Transport> transport, std::string label) {
    // The card's answers choose the driver: a national ID card by its ATR (the profiles' table, masks
    // as data), confirmed by SELECT of its application; otherwise the OpenPGP application. A card
    // without it answers SELECT with 6A82, which the driver reports as NotFound.
    if (const profiles::CardProfile* profile = idcard::recognise(*transport))
        return std::make_unique<idcard::IdCardToken>(std::move(transport), std::move(label), *profile);
    try {
        return std::make_unique<openpgp::OpenPgpToken>(std::move(transport), std::move(label));
    } catch (const Error& e) {
        if (e.code() == ErrorCode::NotFound)
            throw Error(ErrorCode::NotSupported, "the card has no application qscd supports (OpenPGP card 3.x, or a national ID card qscd has a profile for)");
        throw;
    }
}

}  // namespace qscd
