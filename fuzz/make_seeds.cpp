// Writes the seed corpora (fuzz/corpus/<target>/) from real sessions: the host driver talking to a
// personalised simulated card (commands recorded for sim_commands, responses for host_responses),
// real certificates from the test PKI and a real CAdES signature made by the card's key.
//   fuzz_make_seeds <corpus dir> <data dir>
// Keys and certificates are random, so a rerun gives equivalent seeds, not identical bytes.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "framing.hpp"
#include "host_session.hpp"
#include "personalised_card.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/error.hpp"
#include "qscd/openpgp/openpgp_token.hpp"
#include "qscd/signing/cades.hpp"
#include "qscd/signing/hashing.hpp"
#include "sim_transport.hpp"

using namespace qscd;
namespace fs = std::filesystem;

namespace {

// What crossed the wire, in order.
struct Exchange {
    std::vector<Bytes> commands, responses;
};

class RecordingTransport : public Transport {
public:
    RecordingTransport(std::unique_ptr<Transport> inner, std::shared_ptr<Exchange> log)
        : inner_(std::move(inner)), log_(std::move(log)) {}
    Bytes transmit(ByteView command) override {
        Bytes response = inner_->transmit(command);
        log_->commands.emplace_back(command.begin(), command.end());
        log_->responses.push_back(response);
        return response;
    }
    Bytes atr() const override { return inner_->atr(); }
    std::string description() const override { return inner_->description(); }

private:
    std::unique_ptr<Transport> inner_;
    std::shared_ptr<Exchange> log_;
};

std::unique_ptr<Transport> card_from(const Bytes& image) {
    return std::make_unique<fuzz::SimTransport>(
        image.empty() ? std::make_shared<sim::MemoryStorage>() : std::make_shared<sim::MemoryStorage>(image));
}

Bytes framed(const std::vector<Bytes>& messages) {
    Bytes out;
    for (const Bytes& m : messages) fuzz::append_frame(out, m);
    return out;
}

void write(const fs::path& file, ByteView bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw Error(ErrorCode::IoError, "cannot write " + file.string());
}

// The host session of the host_responses harness against `image` (empty: a factory-fresh card).
Exchange host_session(const Bytes& image) {
    auto log = std::make_shared<Exchange>();
    fuzz::run_host_session(std::make_unique<RecordingTransport>(card_from(image), log));
    return *log;
}

template <class Body>
Exchange card_session(const Bytes& image, Body&& body) {
    auto log = std::make_shared<Exchange>();
    RecordingTransport transport(card_from(image), log);
    openpgp::OpenPgpCard card(transport);
    card.select();
    card.read_application_data();
    try {
        body(card);
    } catch (const Error& e) {
        std::cerr << "make_seeds: session stopped early: " << e.what() << "\n";
    }
    return *log;
}

// Card administration: name, algorithm change, key generation, certificate (chained/extended), life cycle.
Exchange admin_session(const Bytes& image, ByteView certificate) {
    return card_session(image, [&](openpgp::OpenPgpCard& card) {
        card.verify(openpgp::Password::Pw3, Pin(fuzz::kAdminPin));
        card.put_data(0x5B, as_bytes("Admin<<Fuzz"));
        card.set_algorithm(openpgp::KeySlot::Authentication, KeyType::EcP384);
        const openpgp::PublicKey key = card.generate_key(openpgp::KeySlot::Authentication);
        card.write_fingerprint(openpgp::KeySlot::Authentication, openpgp::v4_fingerprint(key, 1'780'000'000));
        card.write_generation_time(openpgp::KeySlot::Authentication, 1'780'000'000);
        card.read_public_key(openpgp::KeySlot::Authentication);
        card.write_certificate(openpgp::KeySlot::Authentication, certificate);
        card.read_certificate(openpgp::KeySlot::Authentication);
        card.get_challenge(32);
        card.terminate();
        card.activate();
        card.select();
        card.read_application_data();
    });
}

// Wrong User PIN until blocked, unblock with the resetting code, then sign.
Exchange pin_session(const Bytes& image) {
    return card_session(image, [&](openpgp::OpenPgpCard& card) {
        for (int i = 0; i < 3; ++i) {
            try {
                card.verify(openpgp::Password::Pw1Signing, Pin("000000"));
            } catch (const Error&) {
            }
        }
        card.verification_status(openpgp::Password::Pw1Signing);
        card.reset_retry_counter_with_resetting_code(Pin(fuzz::kResettingCode), Pin(fuzz::kUserPin));
        card.verify(openpgp::Password::Pw1Signing, Pin(fuzz::kUserPin));
        card.compute_digital_signature(hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd fuzz document")));
        card.signature_counter();
        card.change_reference_data(openpgp::Password::Pw3, Pin(fuzz::kAdminPin), Pin("87654321"));
    });
}

Bytes cades_by_card(const fuzz::Personalisation& p) {
    openpgp::OpenPgpToken token(card_from(p.image), "seed");
    auto key = token.keys().at(0);
    CadesSigner signer;
    signer.certificate_der = key->attributes().certificate;
    signer.chain_der = {p.pki.issuing.certificate_der};
    signer.scheme = key->attributes().scheme;
    HostPinPrompt prompt([](const PinRequest&) { return Pin(fuzz::kUserPin); });
    signer.sign_digest = [&](HashAlgorithm h, ByteView d) { return key->sign_hash(h, d, prompt); };
    const HashAlgorithm hash = HashAlgorithm::Sha256;
    return create_cades_detached(signer, hash, hash_bytes(hash, as_bytes("qscd fuzz document")),
                                 std::chrono::system_clock::now());
}

// tlv seeds: 2 bytes of tag to look for, then the TLV data.
Bytes tlv_seed(std::uint16_t tag, ByteView data) {
    Bytes out{static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag)};
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Bytes without_sw(const Bytes& response) { return Bytes(response.begin(), response.end() - 2); }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: fuzz_make_seeds <corpus dir> <data dir>\n";
        return 2;
    }
    const fs::path corpus = argv[1], data = argv[2];
    try {
        const fuzz::Personalisation p = fuzz::personalise_card();
        const Exchange host = host_session(p.image);
        const Exchange fresh = host_session({});
        const Exchange admin = admin_session(p.image, p.certificate_der);
        const Exchange pins = pin_session(p.image);

        write(corpus / "sim_commands/host_session", framed(host.commands));
        write(corpus / "sim_commands/admin_session", framed(admin.commands));
        write(corpus / "sim_commands/pin_session", framed(pins.commands));
        write(corpus / "host_responses/personalised_card", framed(host.responses));
        write(corpus / "host_responses/factory_card", framed(fresh.responses));

        // apdu: every distinct short message of the sessions, commands and responses alike.
        std::set<Bytes> messages;
        for (const Exchange* e : {&host, &admin, &pins}) {
            messages.insert(e->commands.begin(), e->commands.end());
            messages.insert(e->responses.begin(), e->responses.end());
        }
        std::size_t n = 0;
        for (const Bytes& m : messages)
            if (m.size() <= 300) write(corpus / ("apdu/message_" + std::to_string(n++)), m);

        // tlv: the answers to GET DATA 6E / 65 / 7A and the public key, the certificate.
        for (std::size_t i = 0; i < host.commands.size(); ++i) {
            const Bytes& c = host.commands[i];
            if (c.size() < 4 || host.responses[i].size() < 4) continue;
            const Bytes value = without_sw(host.responses[i]);
            if (c[1] == 0xCA && c[3] == 0x6E) write(corpus / "tlv/application_data", tlv_seed(0x00C4, value));
            if (c[1] == 0xCA && c[3] == 0x65) write(corpus / "tlv/cardholder_data", tlv_seed(0x005B, value));
            if (c[1] == 0xCA && c[3] == 0x7A) write(corpus / "tlv/security_template", tlv_seed(0x0093, value));
            if (c[1] == 0x47) write(corpus / "tlv/public_key", tlv_seed(0x0086, value));
        }
        write(corpus / "tlv/certificate", tlv_seed(0x0030, p.certificate_der));

        write(corpus / "certificate/qualified_leaf.der", p.certificate_der);
        write(corpus / "certificate/root.der", p.pki.root.certificate_der);
        write(corpus / "certificate/issuing.der", p.pki.issuing.certificate_der);
        const SoftwareKey seal_key = SoftwareKey::generate(KeyType::EcP256);
        write(corpus / "certificate/seal_leaf.der",
              issue_certificate(p.pki.issuing, seal_key.spki(),
                                profile_for(CertificateKind::LegalPersonSeal, "Fuzz Org")));
        write(corpus / "certificate/non_qualified_leaf.der",
              issue_certificate(p.pki.issuing, seal_key.spki(),
                                profile_for(CertificateKind::NaturalPersonNonQualified, "Fuzz", "Plain")));

        write(corpus / "cms/cades_card_p256.p7s", cades_by_card(p));
        write(data / "cms_root.der", p.pki.root.certificate_der);

        Bytes state{0x00};
        state.insert(state.end(), p.image.begin(), p.image.end());
        write(corpus / "state_file/personalised", state);
        state[0] = 0x03;  // "fix the framing" flags: mutations of this one reach the field checks
        write(corpus / "state_file/personalised_fixup", state);
    } catch (const Error& e) {
        std::cerr << "make_seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
