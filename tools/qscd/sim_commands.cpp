// qscd sim create: a simulated OpenPGP signature card with a key generated on the card and a
// certificate from the local TEST CA stored on it (qscd::create_simulated_token).
#include <fmt/core.h>

#include "commands.hpp"
#include "qscd/error.hpp"
#include "qscd/simulated_token.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

struct CreateOptions {
    std::string name = "test";
    std::string card = "openpgp";
    std::string algorithm = "p256";
    std::string holder;
    std::string profile = "qualified";
    std::string pin_policy = "per-signature";
};

SimulatedCertificate certificate_of(const std::string& profile) {
    if (profile == "non-qualified") return SimulatedCertificate::NonQualifiedNaturalPerson;
    if (profile == "seal") return SimulatedCertificate::LegalPersonSeal;
    return SimulatedCertificate::QualifiedNaturalPerson;
}

void create(const GlobalOptions& global, const CreateOptions& o) {
    const auto type = parse_key_type(o.algorithm);
    if (!type) throw Error(ErrorCode::InvalidArgument, "unknown --algo " + o.algorithm + " (p256, p384, rsa2048, rsa3072, rsa4096)");
    SimulatedTokenOptions options;
    options.name = o.name;
    options.card = o.card;
    options.key_type = *type;
    options.holder = o.holder;
    options.certificate = certificate_of(o.profile);
    options.pin_policy = o.pin_policy == "session" ? PinPolicy::Session : PinPolicy::PerSignature;
    std::function<void(std::string_view)> trace;
    if (global.trace) trace = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };

    if (o.card == "openpgp") fmt::print("Generating a {} key on the simulated card '{}'...\n", to_string(*type), o.name);
    else fmt::print("Generating the keys of the simulated {} '{}' on the card...\n", o.card, o.name);
    const SimulatedTokenSummary s = create_simulated_token(token_directory(global).simulator_dir(), options, trace);
    if (o.card == "openpgp") fmt::print("Created simulated token '{}' (serial {}, TEST CARD)\n", s.name, s.serial);
    else fmt::print("Created simulated token '{}' ({}, serial {}, TEST CARD)\n", s.name, s.card_name, s.serial);
    fmt::print("  state file:  {}\n", s.state_file.string());
    if (o.card == "openpgp") fmt::print("  key:         {} generated on the card\n", to_string(*type));
    else fmt::print("  keys:        generated on the card\n");
    fmt::print("  certificate: {} ({})\n", s.certificate_subject, s.certificate_profile);
    fmt::print("  issued by:   {}\n", s.certificate_issuer);
    fmt::print("  trust root:  {}\n", s.trust_root.string());
    std::string pins;
    for (const auto& [name, value] : s.default_pins) pins += (pins.empty() ? "" : ", ") + name + " " + value;
    fmt::print("  PINs:        {} (test card defaults; change with `qscd pin change`)\n", pins);
}

}  // namespace

void add_sim_commands(CLI::App& app, GlobalOptions& global) {
    auto* sim = app.add_subcommand("sim", "simulated signature cards (test cards, never certified devices)");
    sim->require_subcommand(1);
    auto* create_cmd = sim->add_subcommand("create", "create a simulated OpenPGP card with a key and a TEST certificate");
    auto o = std::make_shared<CreateOptions>();
    create_cmd->add_option("--name,-n", o->name, "token name: letters, digits, '-', '_'")->capture_default_str();
    create_cmd->add_option("--card", o->card, "card application: openpgp, or the national ID card it simulates (estonian-id, finnish-id, latvian-id)")
        ->check(CLI::IsMember({"openpgp", "estonian-id", "finnish-id", "latvian-id"}))
        ->capture_default_str();
    create_cmd->add_option("--algo,-a", o->algorithm, "key algorithm (openpgp cards; an ID card has its profile's keys)")
        ->check(CLI::IsMember({"p256", "p384", "rsa2048", "rsa3072", "rsa4096"}))
        ->capture_default_str();
    create_cmd->add_option("--holder", o->holder, "certificate holder: \"Given Surname\", or the organisation for a seal (default: the token name)");
    create_cmd->add_option("--profile", o->profile, "certificate profile (ETSI EN 319 412): qualified natural person, non-qualified, or legal-person seal")
        ->check(CLI::IsMember({"qualified", "non-qualified", "seal"}))
        ->capture_default_str();
    create_cmd->add_option("--pin-policy", o->pin_policy,
                           "per-signature: the card wants the User PIN for every signature (QES sole control); "
                           "session: one PIN for several signatures (allows `qscd sign-batch`)")
        ->check(CLI::IsMember({"per-signature", "session"}))
        ->capture_default_str();
    create_cmd->callback([&global, o, create_cmd] {
        if (o->card != "openpgp" && (create_cmd->count("--algo") || create_cmd->count("--profile") || create_cmd->count("--pin-policy")))
            throw Error(ErrorCode::InvalidArgument,
                        "--algo, --profile and --pin-policy are for --card openpgp: an ID card has its profile's keys, certificates and PIN rules");
        create(global, *o);
    });
}

}  // namespace qscd::cli
