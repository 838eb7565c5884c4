// Personalisation of a simulated ID card, as the issuer does it before handing the card out: the card
// generates each key (the private key never leaves it), the caller issues a certificate for the public key
// (qscd sim create: the local TEST PKI), the certificate is written into the profile's EF, and ACTIVATE
// FILE ends the personalisation life cycle for good. Only APDUs: no shortcut into the card's state.
#pragma once

#include <functional>

#include "qscd/codec/bytes.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/transport.hpp"

namespace qscd::sim {

// Returns the DER certificate for `key` whose public key is `spki` (DER SubjectPublicKeyInfo).
using CertificateIssuer = std::function<Bytes(const profiles::KeyProfile& key, ByteView spki)>;

// Throws qscd::Error(CardError) when the card refuses a step.
void personalise_id_card(Transport& transport, const profiles::CardProfile& profile, const CertificateIssuer& issue);

// SubjectPublicKeyInfo (RFC 5480) of an uncompressed EC point on the key's curve.
Bytes ec_spki(profiles::KeyAlgorithm algorithm, ByteView point);

}  // namespace qscd::sim
