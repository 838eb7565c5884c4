#include "personalised_card.hpp"

#include "qscd/openpgp/openpgp_token.hpp"
#include "sim_transport.hpp"

namespace qscd::fuzz {

Personalisation personalise_card() {
    TestPki pki = create_test_pki();
    auto storage = std::make_shared<sim::MemoryStorage>();
    openpgp::OpenPgpToken token(std::make_unique<SimTransport>(storage), "fuzz");

    const openpgp::PublicKey key = token.generate_key(Pin(kAdminPin), openpgp::KeySlot::Signature, KeyType::EcP256);
    CertificateProfile profile = profile_for(CertificateKind::NaturalPersonQualified, "Fuzz", "Tester");
    Bytes certificate = issue_certificate(pki.issuing, key.spki, profile);
    token.store_certificate(Pin(kAdminPin), openpgp::KeySlot::Signature, certificate);
    token.set_cardholder_name(Pin(kAdminPin), "Tester<<Fuzz");

    // Resetting code (PUT DATA D3, openpgp-card.md §4.3.4) so RESET RETRY COUNTER P1=00 is reachable.
    openpgp::OpenPgpCard& card = token.card();
    card.select();
    card.verify(openpgp::Password::Pw3, Pin(kAdminPin));
    card.put_data(0xD3, as_bytes(kResettingCode));

    return Personalisation{*storage->image(), std::move(certificate), std::move(pki)};
}

const Bytes& personalised_card_image() {
    static const Bytes image = personalise_card().image;
    return image;
}

}  // namespace qscd::fuzz
