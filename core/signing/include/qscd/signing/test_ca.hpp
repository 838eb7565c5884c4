// Test PKI for the simulator and the test suite. Everything it issues says TEST in its names
// (O="qscd TEST", CA CN "... NOT FOR PRODUCTION") so it cannot be mistaken for a real PKI.
#pragma once

#include <filesystem>
#include <string>

#include "qscd/codec/bytes.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/pem.hpp"

namespace qscd {

inline constexpr const char* kTestCaCommonName = "qscd TEST Root CA - NOT FOR PRODUCTION";
inline constexpr const char* kTestOrganization = "qscd TEST";

struct TestCa {
    Bytes certificate_der;
    SoftwareKey key;
};

// Self-signed root, EC P-256, 10 years: basicConstraints CA:TRUE (critical), keyUsage keyCertSign|cRLSign
// (critical), subjectKeyIdentifier. Subject: C=XX, O=qscd TEST, CN=common_name.
TestCa create_test_ca(std::string common_name = kTestCaCommonName);

// Loads dir/ca.pem + dir/ca-key.pem, or creates them (key mode 0600, each written atomically).
// Error(StateCorrupted) if only the certificate exists or the key does not match it; Error(IoError).
TestCa load_or_create_test_ca(const std::filesystem::path& dir);

// What a leaf certificate says about its holder. Data only, so qualified profiles can add fields.
struct CertificateProfile {
    std::string common_name;
    std::string given_name;     // omitted from the subject when empty
    std::string surname;        // omitted when empty
    std::string serial_number;  // subject serialNumber attribute (ETSI EN 319 412-1 §5.1.3); omitted when empty
    std::string country = "XX";
    int validity_days = 730;
    bool non_repudiation = true;     // keyUsage contentCommitment: the signing-key profile
    bool digital_signature = false;  // keyUsage digitalSignature (authentication keys)
};

// Leaf certificate for subject_spki_der signed by the CA: keyUsage (critical) per the profile,
// basicConstraints CA:FALSE, authorityKeyIdentifier, subjectKeyIdentifier, random positive 127-bit
// serial, valid from 5 minutes ago. Error(InvalidArgument) for an unusable SPKI or profile.
Bytes issue_certificate(const TestCa& ca, ByteView subject_spki_der, const CertificateProfile& profile);

}  // namespace qscd
