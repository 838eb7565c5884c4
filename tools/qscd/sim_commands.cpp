// qscd sim create: a simulated OpenPGP signature card with a key generated on the card and a
// certificate from the local TEST CA stored on it. Personalisation goes through the same host
// driver as a real card: no shortcut into the simulator's state.
#include <fmt/core.h>

#include "commands.hpp"
#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/signing/test_ca.hpp"
#include "qscd/sim/id_card_personalisation.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

// OpenPGP card factory defaults [openpgp-card.md §1]. A simulated card is a test card: these are
// public knowledge, and `qscd pin change` replaces them.
constexpr const char* kDefaultUserPin = "123456";
constexpr const char* kDefaultAdminPin = "12345678";

struct CreateOptions {
    std::string name = "test";
    std::string card = "openpgp";
    std::string algorithm = "p256";
    std::string holder;
    std::string profile = "qualified";
    std::string pin_policy = "per-signature";
};

CertificateKind kind_of(const std::string& profile) {
    if (profile == "non-qualified") return CertificateKind::NaturalPersonNonQualified;
    if (profile == "seal") return CertificateKind::LegalPersonSeal;
    return CertificateKind::NaturalPersonQualified;
}

// Key on the card, certificate from the local TEST CA, holder name, PIN policy; then the summary.
void personalise(const GlobalOptions& global, const CreateOptions& o, KeyType key_type, SimulatorTokenSource& source,
                 openpgp::OpenPgpToken& card) {
    attach_trace(card, global);

    const Pin admin(kDefaultAdminPin);
    const std::string holder = o.holder.empty() ? o.name : o.holder;
    fmt::print("Generating a {} key on the simulated card '{}'...\n", to_string(key_type), o.name);
    const openpgp::PublicKey key = card.generate_key(admin, openpgp::KeySlot::Signature, key_type);

    // Test PKI: root → issuing CA → this card's certificate, in the ETSI EN 319 412 profile asked for.
    const TestPki pki = load_or_create_test_pki(source.state_dir() / "test-pki");
    const auto space = holder.find(' ');
    const std::string given = holder.substr(0, space);
    const std::string surname = space == std::string::npos ? "Tester" : holder.substr(space + 1);
    const CertificateProfile profile = profile_for(kind_of(o.profile), o.profile == "seal" ? holder : given, surname, card.info().serial);
    const Bytes certificate = issue_certificate(pki.issuing, key.spki, profile);
    card.store_certificate(admin, openpgp::KeySlot::Signature, certificate);
    card.set_cardholder_name(admin, holder.substr(0, 39));
    if (o.pin_policy == "session") card.set_pin_policy(admin, PinPolicy::Session);

    const TokenInfo info = card.info();
    const CertificateSummary cert = summarize_certificate(certificate);
    fmt::print("Created simulated token '{}' (serial {}, TEST CARD)\n", o.name, info.serial);
    fmt::print("  state file:  {}\n", info.origin.substr(info.origin.find(' ') + 1));
    fmt::print("  key:         {} generated on the card\n", to_string(key_type));
    fmt::print("  certificate: {} ({})\n", cert.subject, to_string(profile.kind));
    fmt::print("  issued by:   {}\n", cert.issuer);
    fmt::print("  trust root:  {}\n", (source.state_dir() / "test-pki" / "root.pem").string());
    fmt::print("  PINs:        User PIN {}, Admin PIN {} (test card defaults; change with `qscd pin change`)\n",
               kDefaultUserPin, kDefaultAdminPin);
}

// A simulated national ID card (--card): its keys are generated on the card and certified by the local TEST
// PKI (authentication: non-qualified, digitalSignature; signature: qualified, nonRepudiation, QCStatements),
// through the issuer's personalisation commands (simulator/host id_card_personalisation.hpp).
void create_id_card(const GlobalOptions& global, const CreateOptions& o, const profiles::CardProfile& card) {
    SimulatorTokenSource source = make_source(global);
    sim::SimulatorStore store(source.state_dir());
    sim::CardOptions options;
    options.card_type = card.type;
    const sim::TokenInfo created = store.create_token(o.name, options);
    const std::string holder = o.holder.empty() ? o.name : o.holder;
    const auto space = holder.find(' ');
    const std::string given = holder.substr(0, space);
    const std::string surname = space == std::string::npos ? "Tester" : holder.substr(space + 1);
    try {
        const TestPki pki = load_or_create_test_pki(source.state_dir() / "test-pki");
        fmt::print("Generating the keys of the simulated {} '{}' on the card...\n", card.name, o.name);
        sim::personalise_id_card(*store.open(o.name), card, [&](const profiles::KeyProfile& key, ByteView spki) {
            const bool signing = key.role == profiles::KeyRole::Signature;
            CertificateProfile profile = profile_for(
                signing ? CertificateKind::NaturalPersonQualified : CertificateKind::NaturalPersonNonQualified, given,
                surname, created.serial);
            profile.non_repudiation = signing;
            profile.digital_signature = !signing;
            return issue_certificate(pki.issuing, spki, profile);
        });
    } catch (...) {
        store.remove_token(o.name);
        throw;
    }
    fmt::print("Created simulated token '{}' ({}, serial {}, TEST CARD)\n", o.name, card.name, created.serial);
    fmt::print("  state file:  {}\n", created.path.string());
    fmt::print("  keys:        generated on the card; certificates from the TEST PKI ({})\n",
               (source.state_dir() / "test-pki" / "root.pem").string());
    std::string pins;
    for (const profiles::PinProfile& pin : card.pins)
        pins += (pins.empty() ? "" : ", ") + std::string(pin.name) + " " +
                std::string(pin.simulator_default.begin(), pin.simulator_default.end());
    fmt::print("  PINs:        {} (defaults of the simulated TEST card)\n", pins);
}

void create(const GlobalOptions& global, const CreateOptions& o) {
    if (o.card != "openpgp") {
        const profiles::CardProfile* card = profiles::find_by_id(o.card);
        if (!card) throw Error(ErrorCode::InvalidArgument, "unknown --card " + o.card);
        create_id_card(global, o, *card);
        return;
    }
    const auto type = parse_key_type(o.algorithm);
    if (!type) throw Error(ErrorCode::InvalidArgument, "unknown --algo " + o.algorithm + " (p256, p384, rsa2048, rsa3072, rsa4096)");
    SimulatorTokenSource source = make_source(global);
    auto token = source.create(o.name);
    try {
        personalise(global, o, *type, source, *token);
    } catch (...) {
        // A card that failed half-way is no token: remove it, so the name is free for a retry.
        token.reset();
        source.discard_created(o.name);
        throw;
    }
}

}  // namespace

void add_sim_commands(CLI::App& app, GlobalOptions& global) {
    auto* sim = app.add_subcommand("sim", "simulated signature cards (test cards, never certified devices)");
    sim->require_subcommand(1);
    auto* create_cmd = sim->add_subcommand("create", "create a simulated OpenPGP card with a key and a TEST certificate");
    auto o = std::make_shared<CreateOptions>();
    create_cmd->add_option("--name,-n", o->name, "token name: letters, digits, '-', '_'")->capture_default_str();
    create_cmd->add_option("--card", o->card, "card application: openpgp, or the national ID card it simulates (estonian-id)")
        ->check(CLI::IsMember({"openpgp", "estonian-id"}))
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
