// qscd token list · qscd info
#include <fmt/core.h>

#include "commands.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "session.hpp"

namespace qscd::cli {

std::string pin_tries_summary(const std::vector<PinStatus>& pins) {
    std::string out;
    for (const PinStatus& pin : pins)
        out += (out.empty() ? "" : ", ") + pin.name + " " + (pin.tries_left == 0 ? std::string("BLOCKED") : tries_left_text(pin.tries_left));
    return out;
}

namespace {

void print_token(Token& token) {
    const TokenInfo info = token.info();
    fmt::print("Token:        {}\n", info.label);
    fmt::print("Application:  {}\n", info.application);
    fmt::print("Serial:       {}\n", info.serial);
    fmt::print("Manufacturer: {}{}\n", info.manufacturer, info.test_card ? " — TEST CARD, not a certified device" : "");
    fmt::print("Origin:       {}\n", info.origin);
    fmt::print("ATR:          {}\n", to_hex(info.atr));
    if (auto counter = token.signature_counter()) fmt::print("Signatures:   {}\n", *counter);
    for (const PinStatus& pin : token.pin_status())
        fmt::print("{:<13} {}\n", pin.name + ":",
                   pin.tries_left == 0 ? (pin.role == PinRole::ResetCode ? "not set or blocked" : "BLOCKED")
                                       : tries_left_text(pin.tries_left));
    auto keys = token.keys();
    if (keys.empty()) fmt::print("Keys:         none\n");
    for (const auto& key : keys) {
        const KeyAttributes& a = key->attributes();
        fmt::print("Key {}:      {} ({}), PIN {}{}\n", a.id, to_string(a.type), to_string(a.scheme),
                   a.pin_policy == PinPolicy::PerSignature ? "required for every signature" : "valid for a session",
                   a.usage == KeyUsage::Signature ? "" : std::string(", ") + to_string(a.usage) + " key (qscd sign --key auth)");
        if (a.certificate.empty()) {
            fmt::print("  Certificate: none\n");
        } else {
            const CertificateSummary c = summarize_certificate(a.certificate);
            fmt::print("  Subject:     {}\n  Issuer:      {}\n  Valid:       {} to {} UTC\n", c.subject, c.issuer,
                       c.not_before, c.not_after);
        }
    }
}

}  // namespace

void add_token_commands(CLI::App& app, GlobalOptions& global) {
    auto* token = app.add_subcommand("token", "tokens: list what is reachable");
    token->require_subcommand(1);
    auto* list = token->add_subcommand("list", "list tokens: simulated ones in the state directory and cards in PC/SC readers");
    list->callback([&global] {
        const TokenDirectory directory = token_directory(global);
        std::string pcsc_note;
        const auto tokens = directory.list(&pcsc_note);
        if (!pcsc_note.empty()) fmt::print(stderr, "note: no PC/SC readers listed: {}\n", pcsc_note);
        if (tokens.empty()) {
            fmt::print("no tokens in {} and no readers (create one with: qscd sim create --name NAME)\n",
                       directory.simulator_dir().string());
            return;
        }
        fmt::print("{:<20} {:<10} {:<14} {}\n", "NAME", "KIND", "SERIAL", "LOCATION");
        for (const auto& t : tokens) {
            fmt::print("{:<20} {:<10} {:<14} {}{}{}\n", t.name, to_string(t.kind), t.serial, t.location,
                       t.simulated_as ? "  (simulated token " + *t.simulated_as + ")" : "", t.problem ? "  (unusable: " + *t.problem + ")" : "");
            if (!t.card_type.empty()) fmt::print("{:<20} {}: {}\n", "", t.card_type, pin_tries_summary(t.pins));
        }
    });

    auto* info = app.add_subcommand("info", "show a token: application, serial, PIN tries, keys, certificate");
    auto choice = std::make_shared<TokenChoice>();
    add_token_options(info, *choice);
    info->callback([&global, choice] {
        auto t = open_token(global, *choice);
        print_token(*t);
    });
}

}  // namespace qscd::cli
