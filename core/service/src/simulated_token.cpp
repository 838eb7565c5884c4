#include "qscd/simulated_token.hpp"

#include "qscd/certificate_info.hpp"
#include "qscd/error.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/sim/id_card_personalisation.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "qscd/signing/test_ca.hpp"
#include "simulator_token_source.hpp"

namespace qscd {

namespace {

// OpenPGP card factory defaults [openpgp-card.md §1]. A simulated card is a test card: these are
// public knowledge, and `qscd pin change` replaces them.
constexpr const char* kDefaultUserPin = "123456";
constexpr const char* kDefaultAdminPin = "12345678";

CertificateKind kind_of(SimulatedCertificate certificate) {
    switch (certificate) {
        case SimulatedCertificate::NonQualifiedNaturalPerson: return CertificateKind::NaturalPersonNonQualified;
        case SimulatedCertificate::LegalPersonSeal: return CertificateKind::LegalPersonSeal;
        case SimulatedCertificate::QualifiedNaturalPerson: break;
    }
    return CertificateKind::NaturalPersonQualified;
}

// Key on the card, certificate from the local TEST PKI, holder name, PIN policy.
SimulatedTokenSummary personalise(const std::filesystem::path& state_dir, const SimulatedTokenOptions& o, openpgp::OpenPgpToken& card) {
    const Pin admin(kDefaultAdminPin);
    const std::string holder = o.holder.empty() ? o.name : o.holder;
    const openpgp::PublicKey key = card.generate_key(admin, openpgp::KeySlot::Signature, o.key_type);

    // Test PKI: root → issuing CA → this card's certificate, in the ETSI EN 319 412 profile asked for.
    const TestPki pki = load_or_create_test_pki(state_dir / "test-pki");
    const auto space = holder.find(' ');
    const std::string given = holder.substr(0, space);
    const std::string surname = space == std::string::npos ? "Tester" : holder.substr(space + 1);
    const bool seal = o.certificate == SimulatedCertificate::LegalPersonSeal;
    const CertificateProfile profile = profile_for(kind_of(o.certificate), seal ? holder : given, surname, card.info().serial);
    const Bytes certificate = issue_certificate(pki.issuing, key.spki, profile);
    card.store_certificate(admin, openpgp::KeySlot::Signature, certificate);
    card.set_cardholder_name(admin, holder.substr(0, 39));
    if (o.pin_policy == PinPolicy::Session) card.set_pin_policy(admin, PinPolicy::Session);

    const TokenInfo info = card.info();
    const CertificateSummary cert = summarize_certificate(certificate);
    SimulatedTokenSummary summary;
    summary.name = o.name;
    summary.serial = info.serial;
    summary.state_file = info.origin.substr(info.origin.find(' ') + 1);
    summary.certificate_subject = cert.subject;
    summary.certificate_issuer = cert.issuer;
    summary.certificate_profile = to_string(profile.kind);
    summary.trust_root = state_dir / "test-pki" / "root.pem";
    summary.issuing_ca = state_dir / "test-pki" / "issuing.pem";
    summary.card_name = "OpenPGP card";
    summary.default_pins = {{"User PIN", kDefaultUserPin}, {"Admin PIN", kDefaultAdminPin}};
    return summary;
}

// A simulated national ID card: its keys generated on the card and certified by the local TEST PKI
// (authentication: non-qualified, digitalSignature; signature: qualified, nonRepudiation, QCStatements),
// through the issuer's personalisation commands (simulator/host id_card_personalisation.hpp).
SimulatedTokenSummary create_id_card(const std::filesystem::path& state_dir, const SimulatedTokenOptions& o,
                                     const profiles::CardProfile& card) {
    sim::SimulatorStore store(state_dir);
    sim::CardOptions options;
    options.card_type = card.type;
    const sim::TokenInfo created = store.create_token(o.name, options);
    const std::string holder = o.holder.empty() ? o.name : o.holder;
    const auto space = holder.find(' ');
    const std::string given = holder.substr(0, space);
    const std::string surname = space == std::string::npos ? "Tester" : holder.substr(space + 1);
    SimulatedTokenSummary summary;
    try {
        const TestPki pki = load_or_create_test_pki(state_dir / "test-pki");
        sim::personalise_id_card(*store.open(o.name), card, [&](const profiles::KeyProfile& key, ByteView spki) {
            const bool signing = key.role == profiles::KeyRole::Signature;
            CertificateProfile profile = profile_for(
                signing ? CertificateKind::NaturalPersonQualified : CertificateKind::NaturalPersonNonQualified, given, surname,
                created.serial);
            profile.non_repudiation = signing;
            profile.digital_signature = !signing;
            const Bytes certificate = issue_certificate(pki.issuing, spki, profile);
            if (signing) {
                const CertificateSummary cert = summarize_certificate(certificate);
                summary.certificate_subject = cert.subject;
                summary.certificate_issuer = cert.issuer;
                summary.certificate_profile = to_string(profile.kind);
            }
            return certificate;
        });
    } catch (...) {
        store.remove_token(o.name);
        throw;
    }
    summary.name = o.name;
    summary.serial = created.serial;
    summary.state_file = created.path;
    summary.trust_root = state_dir / "test-pki" / "root.pem";
    summary.issuing_ca = state_dir / "test-pki" / "issuing.pem";
    summary.card_name = std::string(card.name);
    for (const profiles::PinProfile& pin : card.pins)
        summary.default_pins.emplace_back(std::string(pin.name), std::string(pin.simulator_default.begin(), pin.simulator_default.end()));
    return summary;
}

}  // namespace

SimulatedTokenSummary create_simulated_token(const std::filesystem::path& state_dir, const SimulatedTokenOptions& options,
                                             const std::function<void(std::string_view)>& trace) {
    if (options.card != "openpgp") {
        const profiles::CardProfile* card = profiles::find_by_id(options.card);
        if (!card || !card->simulated) throw Error(ErrorCode::InvalidArgument, "no simulated card '" + options.card + "'");
        return create_id_card(SimulatorTokenSource(state_dir).state_dir(), options, *card);
    }
    SimulatorTokenSource source(state_dir);
    auto token = source.create(options.name);
    try {
        if (trace) token->set_trace(trace);
        return personalise(source.state_dir(), options, *token);
    } catch (...) {
        // A card that failed half-way is no token: remove it, so the name is free for a retry.
        token.reset();
        source.discard_created(options.name);
        throw;
    }
}

}  // namespace qscd
