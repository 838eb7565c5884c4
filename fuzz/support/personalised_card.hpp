// The card every stateful harness starts from: personalised the way `qscd sim create` does it
// (P-256 signature key generated on the card, qualified TEST certificate, cardholder name,
// resetting code), so fuzzed commands reach signing, certificate and PIN code, not just 6982.
#pragma once

#include "qscd/codec/bytes.hpp"
#include "qscd/signing/test_ca.hpp"

namespace qscd::fuzz {

// The factory PINs of a test card (README) and the resetting code set here. Test values, not secrets.
inline constexpr const char* kUserPin = "123456";
inline constexpr const char* kAdminPin = "12345678";
inline constexpr const char* kResettingCode = "87654321";

struct Personalisation {
    Bytes image;            // QSCDSIM1 state image
    Bytes certificate_der;  // the SIG key's certificate (also on the card)
    TestPki pki;            // root → issuing CA that issued it
};

// Builds a new personalised card (a few ms: one P-256 key, one test PKI).
Personalisation personalise_card();

// The image of one personalised card, built on first use and shared by every input of the process.
const Bytes& personalised_card_image();

}  // namespace qscd::fuzz
