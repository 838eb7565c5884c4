#include "qscd/pcsc/pcsc_token_source.hpp"

#include <algorithm>
#include <cctype>

#include "qscd/error.hpp"

namespace qscd::pcsc {

namespace {

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

bool matches(const PcscTokenListing& t, const Selector& s) {
    if (t.descriptor.problem) return false;
    if (s.reader && *s.reader != t.descriptor.location) return false;
    if (s.serial && upper(*s.serial) != upper(t.descriptor.serial)) return false;
    if (s.label && *s.label != t.label) return false;
    return true;
}

std::string describe(const Selector& s) {
    std::string out;
    auto add = [&](const char* key, const std::optional<std::string>& value) {
        if (!value) return;
        if (!out.empty()) out += ", ";
        out += std::string(key) + " '" + *value + "'";
    };
    add("reader", s.reader);
    add("serial", s.serial);
    add("label", s.label);
    return out.empty() ? "any token" : out;
}

std::string describe(const std::vector<PcscTokenListing>& listings) {
    if (listings.empty()) return "no reader connected";
    std::string out;
    for (const auto& t : listings) {
        if (!out.empty()) out += "; ";
        out += "'" + t.descriptor.location + "': ";
        out += t.descriptor.problem ? *t.descriptor.problem
                                    : "serial " + t.descriptor.serial + ", label '" + t.label + "'";
    }
    return out;
}

}  // namespace

PcscTokenSource::PcscTokenSource(ShareMode mode) : mode_(mode) {}

std::vector<PcscTokenListing> PcscTokenSource::scan() {
    Context context;
    std::vector<PcscTokenListing> listings;
    for (const std::string& reader : context.list_readers()) {
        PcscTokenListing t;
        t.descriptor.name = reader;
        t.descriptor.kind = TokenKind::PcscReader;
        t.descriptor.location = reader;
        try {
            if (!context.reader_status(reader).card_present) {
                t.descriptor.problem = "no card in the reader";
            } else {
                // Probing must not disturb other programs: shared, and the card is left as it is.
                auto connection =
                    std::make_unique<CardConnection>(context, reader, ShareMode::Shared, Disposition::Leave);
                t.atr = connection->atr();
                auto token = open_card(std::move(connection), "");
                const TokenInfo info = token->info();
                t.descriptor.serial = info.serial;
                t.label = info.label;
                if (!info.card_type.empty()) {  // a national ID card: its type and PIN tries for the listings
                    t.descriptor.card_type = info.card_type;
                    t.descriptor.pins = token->pin_status();
                }
            }
        } catch (const Error& e) {
            t.descriptor.problem = e.what();
        }
        listings.push_back(std::move(t));
    }
    return listings;
}

std::vector<TokenDescriptor> PcscTokenSource::list() {
    std::vector<TokenDescriptor> out;
    for (auto& t : scan()) out.push_back(std::move(t.descriptor));
    return out;
}

std::unique_ptr<Token> PcscTokenSource::open(const TokenDescriptor& token) {
    if (token.kind != TokenKind::PcscReader) throw Error(ErrorCode::InvalidArgument, "not a PC/SC token: " + token.name);
    Context context;
    std::unique_ptr<Token> opened;
    try {
        // Leave, not Reset, at disconnect: a reset would break every other program's session on a
        // shared card (kiosks, concurrent signers). Only when a PIN was verified and not consumed
        // (an Admin PIN operation, a PIN change, a session-policy or batch signature) does the
        // driver log it out and ask for the reset (Transport::reset_card_on_close).
        opened = open_card(std::make_unique<CardConnection>(context, token.location, mode_, Disposition::Leave), "");
    } catch (const Error& e) {
        if (e.code() == ErrorCode::CardRemoved || e.code() == ErrorCode::NotFound)
            throw Error(ErrorCode::NotFound, "token " + token.name + " is gone: " + e.what());
        throw;
    }
    if (!token.serial.empty()) {
        const std::string serial = opened->info().serial;
        if (upper(serial) != upper(token.serial))
            throw Error(ErrorCode::NotFound, "the card in " + token.location + " is now " + serial + ", not " + token.serial);
    }
    return opened;
}

std::unique_ptr<Token> PcscTokenSource::open_matching(const Selector& selector) {
    const std::vector<PcscTokenListing> listings = scan();
    std::vector<const PcscTokenListing*> hits;
    for (const auto& t : listings)
        if (matches(t, selector)) hits.push_back(&t);
    if (hits.empty())
        throw Error(ErrorCode::NotFound, "no PC/SC token matches " + describe(selector) + " (" + describe(listings) + ")");
    if (hits.size() > 1) {
        std::vector<PcscTokenListing> ambiguous;
        for (const auto* t : hits) ambiguous.push_back(*t);
        throw Error(ErrorCode::InvalidArgument, std::to_string(hits.size()) + " PC/SC tokens match " +
                                                    describe(selector) + ": choose by reader, serial or label (" +
                                                    describe(ambiguous) + ")");
    }
    return open(hits.front()->descriptor);
}

}  // namespace qscd::pcsc
