// Simulated signature cards: TEST cards kept in a state directory (<dir>/<name>.qscdsim), created
// factory-fresh and personalised like a real card, through the same host driver: a key generated on
// the card, a certificate from the local TEST PKI (<dir>/test-pki) stored on it, the holder's name and
// the PIN policy. A simulated card always says it is a test card; it is never a certified device.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qscd/algorithms.hpp"
#include "qscd/key_handle.hpp"

namespace qscd {

// The certificate the TEST PKI issues for the card (ETSI EN 319 412-2 / -3 / -5).
enum class SimulatedCertificate {
    QualifiedNaturalPerson,     // QcCompliance, QcSSCD, QcType esign: what a QES needs
    NonQualifiedNaturalPerson,  // natural person without QcCompliance / QcSSCD
    LegalPersonSeal,            // organisation name and identifier, QcType eseal
};

struct SimulatedTokenOptions {
    std::string name = "test";  // letters, digits, '-', '_'
    std::string card = "openpgp";  // or the national ID card simulated from its profile: "estonian-id"
    KeyType key_type = KeyType::EcP256;  // OpenPGP cards; an ID card has its profile's keys
    std::string holder;         // "Given Surname", or the organisation of a seal; default: the name
    SimulatedCertificate certificate = SimulatedCertificate::QualifiedNaturalPerson;
    PinPolicy pin_policy = PinPolicy::PerSignature;
};

struct SimulatedTokenSummary {
    std::string name;
    std::string serial;
    std::filesystem::path state_file;
    std::string certificate_subject;
    std::string certificate_issuer;
    std::string certificate_profile;  // "qualified natural person (EN 319 412-2)", ...
    std::filesystem::path trust_root; // the TEST PKI's root certificate (PEM), for verifiers
    std::filesystem::path issuing_ca; // the intermediate that issued the card's certificate (PEM), to embed
    std::string card_name;            // "OpenPGP card", "Estonian ID card (IDEMIA 2018)"
    // The card's default PINs, by name: public knowledge for a test card ({"User PIN", "123456"}, ...).
    std::vector<std::pair<std::string, std::string>> default_pins;
};

// Creates and personalises the card; on any failure nothing is left behind (the name stays free).
// `trace` receives every APDU of the personalisation, secrets REDACTED. Error(InvalidArgument) for a bad
// or taken name, IoError, CryptoError.
SimulatedTokenSummary create_simulated_token(const std::filesystem::path& state_dir, const SimulatedTokenOptions& options,
                                             const std::function<void(std::string_view)>& trace = {});

}  // namespace qscd
