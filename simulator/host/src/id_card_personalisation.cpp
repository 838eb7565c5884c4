#include "qscd/sim/id_card_personalisation.hpp"

#include <algorithm>

#include "qscd/codec/apdu.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"

namespace qscd::sim {

namespace {

Bytes transmit(Transport& transport, const CommandApdu& command, const char* what) {
    auto encoded = command.encode();
    if (!encoded) throw Error(ErrorCode::InvalidArgument, std::string("personalisation: cannot encode ") + what);
    Bytes response = transport.transmit(*encoded);
    if (response.size() < 2) throw Error(ErrorCode::CardError, std::string("personalisation: ") + what + ": no status word");
    const std::uint16_t sw = static_cast<std::uint16_t>(response[response.size() - 2] << 8 | response.back());
    if (sw != 0x9000)
        throw Error(ErrorCode::CardError,
                    std::string("personalisation: ") + what + " refused (SW " + to_hex(ByteView(response).last(2), "") + ")");
    response.resize(response.size() - 2);
    return response;
}

}  // namespace

Bytes ec_spki(profiles::KeyAlgorithm algorithm, ByteView point) {
    static const Bytes kEcPublicKey = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
    static const Bytes kP256 = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    static const Bytes kP384 = {0x2B, 0x81, 0x04, 0x00, 0x22};
    if (algorithm == profiles::KeyAlgorithm::Rsa2048) throw Error(ErrorCode::InvalidArgument, "ec_spki: an RSA key has no EC point (spki_from_rsa)");
    Bytes algorithm_id;
    append_tlv(algorithm_id, 0x06, kEcPublicKey);
    append_tlv(algorithm_id, 0x06, algorithm == profiles::KeyAlgorithm::EcP256 ? kP256 : kP384);
    Bytes bits{0x00};
    bits.insert(bits.end(), point.begin(), point.end());
    Bytes body;
    append_tlv(body, 0x30, algorithm_id);
    append_tlv(body, 0x03, bits);
    return encode_tlv(0x30, body);
}

void personalise_id_card(Transport& transport, const profiles::CardProfile& profile, const CertificateIssuer& issue) {
    Transaction transaction(transport);
    for (const profiles::KeyProfile& key : profile.keys) {
        const profiles::Application& app = profile.applications[key.application];
        const Bytes aid(app.aid.begin(), app.aid.end());
        transmit(transport, CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid), "SELECT application");
        // GENERATE ASYMMETRIC KEY PAIR on the card (ISO 7816-8 §5.1). An RSA-2048 public key (270 bytes) does
        // not fit a short Le: asked with an extended Le (ISO 7816-4 §5.1), as both card paths carry it.
        const bool rsa = key.algorithm == profiles::KeyAlgorithm::Rsa2048;
        const Bytes reply = transmit(transport,
                                     CommandApdu(0x00, 0x47, 0x80, 0x00, Bytes{0x84, 0x01, key.reference}, rsa ? 65536 : 256),
                                     "GENERATE ASYMMETRIC KEY PAIR");
        auto outer = find_tlv(reply, 0x7F49);
        if (!outer) throw Error(ErrorCode::CardError, "personalisation: no public key template in the card's answer");
        Bytes spki;
        if (rsa) {
            auto modulus = find_tlv(outer->value, 0x81);
            auto exponent = find_tlv(outer->value, 0x82);
            if (!modulus || !exponent) throw Error(ErrorCode::CardError, "personalisation: no RSA public key in the card's answer");
            spki = spki_from_rsa(modulus->value, exponent->value);
        } else {
            auto point = find_tlv(outer->value, 0x86);
            if (!point) throw Error(ErrorCode::CardError, "personalisation: no public point in the card's answer");
            spki = ec_spki(key.algorithm, point->value);
        }
        const Bytes certificate = issue(key, spki);
        const profiles::FileProfile& file = profile.files[key.certificate];
        if (certificate.size() > file.max_size)
            throw Error(ErrorCode::InvalidArgument, "personalisation: certificate larger than its file on the card");
        transmit(transport, CommandApdu(0x00, 0xA4, 0x08, 0x0C, Bytes(file.path.begin(), file.path.end())),
                 "SELECT certificate file");
        for (std::size_t offset = 0; offset < certificate.size(); offset += 0xF0) {
            const std::size_t n = std::min<std::size_t>(0xF0, certificate.size() - offset);
            const auto begin = certificate.begin() + static_cast<std::ptrdiff_t>(offset);
            transmit(transport,
                     CommandApdu(0x00, 0xD6, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset),
                                 Bytes(begin, begin + static_cast<std::ptrdiff_t>(n))),
                     "UPDATE BINARY");
        }
    }
    transmit(transport, CommandApdu(0x00, 0x44, 0x00, 0x00), "ACTIVATE FILE");
}

}  // namespace qscd::sim
