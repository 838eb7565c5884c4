#include "id_card_token.hpp"

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <cctype>
#include <map>

#include "id_card_application.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"

namespace qscd::idcard {

struct IdCardToken::Session {
    Session(std::unique_ptr<Transport> t, std::string l, const profiles::CardProfile& p)
        : transport(std::move(t)), app(*transport, p), profile(p), label(std::move(l)) {}
    std::unique_ptr<Transport> transport;
    IdCardApplication app;
    const profiles::CardProfile& profile;
    std::string label;
    // Certificates as read once per session (an ID card's certificates are written at issuance only).
    std::map<std::size_t, std::optional<Bytes>> certificates;

    // What a signature learnt, kept for the next one only while the transport promises that nobody
    // else touched the card (Transport::held_generation): the selected application (in `app`) and the
    // PINs' tries (after a good VERIFY the profile's maximum, after a wrong one what the card said).
    std::uint64_t kept_generation = 0;
    std::map<std::uint8_t, int> kept_tries;

    // At the start of a signature: true when what was kept still holds; else it is dropped.
    bool holds_card() {
        const std::uint64_t generation = transport->held_generation();
        if (generation != 0 && generation == kept_generation) return true;
        forget();
        kept_generation = generation;
        return false;
    }
    void forget() {
        kept_tries.clear();
        app.forget_selection();
    }

    const std::optional<Bytes>& certificate(std::size_t file) {
        auto found = certificates.find(file);
        if (found == certificates.end()) found = certificates.emplace(file, app.read_certificate(profile.files[file])).first;
        return found->second;
    }
};

namespace {

const char* key_id(profiles::KeyRole role) { return role == profiles::KeyRole::Signature ? "SIG" : "AUT"; }

// PinRole (the Token interface) → the card's PIN.
const profiles::PinProfile& pin_for(const profiles::CardProfile& profile, PinRole role) {
    profiles::PinRole wanted = profiles::PinRole::Signature;
    switch (role) {
        case PinRole::User:
        case PinRole::SignaturePin: wanted = profiles::PinRole::Signature; break;
        case PinRole::AuthenticationPin: wanted = profiles::PinRole::Authentication; break;
        case PinRole::ResetCode:
        case PinRole::Puk: wanted = profiles::PinRole::Unblock; break;
        case PinRole::Admin: throw Error(ErrorCode::NotSupported, std::string(profile.name) + " has no Admin PIN (its PINs: PIN1, PIN2, PUK)");
    }
    const profiles::PinProfile* pin = profiles::find_pin(profile, wanted);
    if (!pin) throw Error(ErrorCode::NotSupported, std::string(profile.name) + " has no " + to_string(role));
    return *pin;
}

PinRole role_of(profiles::PinRole role) {
    switch (role) {
        case profiles::PinRole::Authentication: return PinRole::AuthenticationPin;
        case profiles::PinRole::Signature: return PinRole::SignaturePin;
        case profiles::PinRole::Unblock: return PinRole::Puk;
    }
    return PinRole::SignaturePin;
}

// SubjectPublicKeyInfo of a DER certificate (RFC 5280 §4.1.2.7): the card gives its public keys only
// in its certificates.
Bytes spki_of_certificate(ByteView der) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) != 0) {
        mbedtls_x509_crt_free(&crt);
        throw Error(ErrorCode::ProtocolError, "the card's certificate cannot be parsed");
    }
    std::array<unsigned char, 1024> buffer{};
    const int n = mbedtls_pk_write_pubkey_der(&crt.pk, buffer.data(), buffer.size());
    mbedtls_x509_crt_free(&crt);
    if (n <= 0) throw Error(ErrorCode::ProtocolError, "the card's certificate holds no usable public key");
    return Bytes(buffer.end() - n, buffer.end());
}

// The PINs one operation verified, and the promise that none outlives it: when the operation ends,
// a PIN the card may still hold verified (a failed signature, PIN1, a PIN change, the PUK) is logged
// out by selecting the main application (OpenSC card-esteid2018.c logs out that way) and the transport
// is asked to reset the card when it closes (PC/SC: SCARD_RESET_CARD). Lives inside the transaction.
class VerifiedPins {
public:
    explicit VerifiedPins(IdCardToken::Session& session) : session_(session) {}
    ~VerifiedPins() { log_out(); }
    VerifiedPins(const VerifiedPins&) = delete;
    VerifiedPins& operator=(const VerifiedPins&) = delete;

    // Anything but a refusal may have left the PIN verified.
    template <class Operation>
    void run(Operation&& operation) {
        try {
            operation();
        } catch (const Error& e) {
            // A refusal by the card, or by the reader before the card saw anything (keypad cancel or
            // timeout, a length it refused), leaves nothing verified.
            if (e.code() != ErrorCode::WrongPin && e.code() != ErrorCode::PinBlocked && e.code() != ErrorCode::InvalidPin &&
                e.code() != ErrorCode::Cancelled)
                pending_ = true;
            throw;
        }
        pending_ = true;
    }
    // The card forgot the verification by itself (a one-signature PIN after the signature).
    void consumed() { pending_ = false; }

    void log_out() noexcept {
        if (!pending_) return;
        pending_ = false;
        try {
            session_.app.select_application(0);
        } catch (const Error&) {
            // best effort: the card may be gone; the reset still comes
        }
        session_.transport->reset_card_on_close();
    }

private:
    IdCardToken::Session& session_;
    bool pending_ = false;
};

// The PIN's VERIFY, offered to the PIN entry.
class IdCardPinVerification final : public PinVerification {
public:
    IdCardPinVerification(IdCardToken::Session& session, VerifiedPins& pins, const profiles::PinProfile& pin, std::string purpose)
        : session_(session), pins_(pins), pin_(pin), purpose_(std::move(purpose)) {}
    void verify_with(const Pin& pin) override {
        if (pin.empty()) throw Error(ErrorCode::Cancelled, "no PIN entered");  // nothing sent to the card
        pins_.run([&] { session_.app.verify(pin_, pin); });
    }
    // PC/SC part 10 VERIFY_PIN_DIRECT with the profile's PIN block; a reader without a PIN pad gets
    // nothing, so no try is spent. A class-3 reader first shows what the PIN will authorise.
    void verify_on_pin_pad() override {
        PinPad& pad = usable_pin_pad(*session_.transport);
        show_purpose(pad, purpose_);
        pins_.run([&] { session_.app.verify_on_pin_pad(pin_, pad); });
    }

private:
    IdCardToken::Session& session_;
    VerifiedPins& pins_;
    const profiles::PinProfile& pin_;
    std::string purpose_;
};

class IdCardKeyHandle final : public KeyHandle {
public:
    IdCardKeyHandle(KeyAttributes attributes, std::shared_ptr<IdCardToken::Session> session, const profiles::KeyProfile& key)
        : KeyHandle(std::move(attributes)), session_(std::move(session)), key_(key) {}

private:
    class TransactionScope final : public OperationScope {
    public:
        explicit TransactionScope(Transport& transport) : transaction_(transport) {}

    private:
        Transaction transaction_;
    };

    std::unique_ptr<OperationScope> begin_operation() override { return std::make_unique<TransactionScope>(*session_->transport); }

    // One signature, no PIN caching: SELECT the main application (a fresh state), read the PIN's tries,
    // SELECT the key's application, then MSE SET and VERIFY through the PIN entry in the profile's order
    // (libelectronic-id EIDIDEMIA.cpp: MSE SET, VERIFY; FinEID.cpp: VERIFY, MSE SET), then the signature the
    // profile's way.
    CountedSignature do_sign_hash(HashAlgorithm hash, ByteView digest, PinEntry& entry, std::string_view purpose) override {
        IdCardApplication& app = session_->app;
        const profiles::CardProfile& profile = session_->profile;
        const profiles::PinProfile* pin = profiles::find_pin(profile, key_.pin_reference);
        if (!pin) throw Error(ErrorCode::NotSupported, "the profile names no PIN for the " + std::string(key_.name));
        // Checked before anything reaches the card.
        (void)signature_input(key_, hash, digest);
        if (!key_.mse.empty() && !mse_form(key_, digest.size()))
            throw Error(ErrorCode::NotSupported, std::string("the card does not take a ") + to_string(hash) + " hash for its " +
                                                     std::string(key_.name));

        // Held card: the tries and the selection our last signature left; else from a fresh state.
        const bool held = session_->holds_card();
        const auto known = session_->kept_tries.find(pin->reference);
        int tries = 0;
        if (held && known != session_->kept_tries.end()) {
            tries = known->second;
        } else {
            app.select_application(0);
            tries = app.tries_left(*pin);
        }
        if (tries == 0)
            throw Error(ErrorCode::PinBlocked, std::string(pin->name) + " is blocked" +
                                                   (pin->unblocked_by ? "; unblock it with the PUK (qscd pin unblock --which " +
                                                                            std::string(pin->name) + ")"
                                                                      : std::string("; this card has no PUK")),
                        0);
        if (held) app.ensure_selected(key_.application);
        else app.select_application(key_.application);
        if (!profile.verify_before_mse) app.set_security_environment(key_, digest.size());

        PinRequest request;
        request.token_label = session_->label.empty() ? std::string(profile.name) : session_->label;
        request.pin_name = std::string(pin->name) + (key_.role == profiles::KeyRole::Signature ? " (signature)" : " (authentication)");
        request.tries_left = tries;
        request.min_length = pin->format.min_length;
        request.max_length = pin->format.max_length;
        request.purpose = std::string(purpose);
        try {
            VerifiedPins pins(*session_);
            IdCardPinVerification verification(*session_, pins, *pin, request.purpose);
            entry.enter(request, verification);
            session_->kept_tries[pin->reference] = pin->max_tries;  // a good VERIFY resets the counter
            if (profile.verify_before_mse) app.set_security_environment(key_, digest.size());

            Bytes signature = app.compute_signature(key_, hash, digest);
            // Sole control: the signature PIN is good for one signature; any other stays verified until logged out.
            if (pin->one_operation) pins.consumed();
            pins.log_out();
            return {std::move(signature), std::nullopt};  // no signature counter on this card
        } catch (const Error& e) {
            session_->forget();
            if (e.code() == ErrorCode::WrongPin && e.tries_left()) session_->kept_tries[pin->reference] = *e.tries_left();
            throw;
        } catch (...) {
            session_->forget();
            throw;
        }
    }

    std::shared_ptr<IdCardToken::Session> session_;
    const profiles::KeyProfile& key_;
};

}  // namespace

const profiles::CardProfile* recognise(Transport& transport) {
    const Bytes atr = transport.atr();
    const profiles::CardProfile* profile = profiles::find_by_atr(atr);
    if (!profile) return nullptr;
    Transaction transaction(transport);
    IdCardApplication app(transport, *profile);
    return app.confirm() ? profile : nullptr;
}

IdCardToken::IdCardToken(std::unique_ptr<Transport> transport, std::string label, const profiles::CardProfile& profile)
    : session_(std::make_shared<Session>(std::move(transport), std::move(label), profile)) {
    Transaction transaction(*session_->transport);
    session_->app.select_application(0);
}

IdCardToken::~IdCardToken() = default;

bool IdCardToken::has_pin_pad() { return session_->transport->pin_pad() != nullptr; }

void IdCardToken::set_trace(ApduTraceHook hook) { session_->app.channel().set_trace(std::move(hook)); }

TokenInfo IdCardToken::info() {
    Transaction transaction(*session_->transport);
    const profiles::CardProfile& profile = session_->profile;
    TokenInfo info;
    info.serial = session_->app.read_document_number().value_or("");
    info.application = std::string(profile.name);
    info.card_type = std::string(profile.name);
    // The simulator's document numbers are "T" + 8 hex digits (a TEST card); real ones start with the
    // two letters of the document series.
    info.test_card = info.serial.size() == 9 && info.serial[0] == 'T' && std::isxdigit(static_cast<unsigned char>(info.serial[1]));
    info.manufacturer = info.test_card ? "test card (simulated " + std::string(profile.name) + ")" : std::string(profile.name);
    info.origin = session_->transport->description();
    info.atr = session_->transport->atr();
    info.label = session_->label.empty() ? std::string(profile.name) + (info.serial.empty() ? "" : " " + info.serial) : session_->label;
    return info;
}

std::vector<std::shared_ptr<KeyHandle>> IdCardToken::keys() {
    Transaction transaction(*session_->transport);
    const profiles::CardProfile& profile = session_->profile;
    std::vector<std::shared_ptr<KeyHandle>> keys;
    // The signature key first: it is what `qscd sign` uses.
    for (const profiles::KeyRole role : {profiles::KeyRole::Signature, profiles::KeyRole::Authentication}) {
        const profiles::KeyProfile* key = profiles::find_key(profile, role);
        if (!key) continue;
        const std::optional<Bytes>& certificate = session_->certificate(key->certificate);
        if (!certificate) continue;  // a card not personalised: no certificate, no public key
        const profiles::PinProfile* pin = profiles::find_pin(profile, key->pin_reference);
        KeyAttributes a;
        a.id = key_id(role);
        a.label = std::string(role == profiles::KeyRole::Signature ? "Signature key" : "Authentication key") +
                  (pin ? " (" + std::string(pin->name) + ")" : "");
        a.type = key_type_of(key->algorithm);
        a.scheme = is_rsa(a.type) ? SignatureScheme::RsaPkcs1v15 : SignatureScheme::Ecdsa;
        a.key_reference = key->reference;
        a.certificate = *certificate;
        a.public_key = spki_of_certificate(a.certificate);
        if (key_type_of_spki(a.public_key) != a.type)
            throw Error(ErrorCode::ProtocolError, "the " + std::string(key->name) + "'s certificate holds a " +
                                                      to_string(key_type_of_spki(a.public_key)) + " key, the card profile says " +
                                                      to_string(a.type));
        a.pin_policy = PinPolicy::PerSignature;  // no PIN caching: a PIN entry for every operation
        a.usage = role == profiles::KeyRole::Signature ? KeyUsage::Signature : KeyUsage::Authentication;
        a.on_card = true;
        keys.push_back(std::make_shared<IdCardKeyHandle>(std::move(a), session_, *key));
    }
    return keys;
}

std::vector<PinStatus> IdCardToken::pin_status() {
    Transaction transaction(*session_->transport);
    std::vector<PinStatus> out;
    for (const profiles::PinProfile& pin : session_->profile.pins)
        out.push_back({role_of(pin.role), std::string(pin.name), session_->app.tries_left(pin), pin.format.min_length, pin.format.max_length});
    return out;
}

std::optional<std::uint32_t> IdCardToken::signature_counter() { return std::nullopt; }

void IdCardToken::change_pin(PinRole role, const Pin& current, const Pin& replacement) {
    const profiles::PinProfile& pin = pin_for(session_->profile, role);
    // Lengths and digits checked before anything is sent (a wrong format would cost a try).
    (void)pin_block(pin, current, "current " + std::string(pin.name));
    (void)pin_block(pin, replacement, "new " + std::string(pin.name));
    Transaction transaction(*session_->transport);
    session_->forget();  // a PIN change may cost a try
    session_->app.select_application(0);
    if (pin.application != 0) session_->app.select_application(pin.application);
    VerifiedPins pins(*session_);
    pins.run([&] { session_->app.change_reference_data(pin, current, replacement); });
}

void IdCardToken::change_pin_on_pin_pad(PinRole role) {
    const profiles::PinProfile& pin = pin_for(session_->profile, role);
    Transaction transaction(*session_->transport);
    PinPad& pad = usable_pin_pad(*session_->transport);
    session_->forget();  // a PIN change may cost a try
    session_->app.select_application(0);
    if (pin.application != 0) session_->app.select_application(pin.application);
    VerifiedPins pins(*session_);
    pins.run([&] { session_->app.change_on_pin_pad(pin, pad); });
}

void IdCardToken::unblock_pin(PinRole authority, const Pin& secret, const Pin& new_user_pin) {
    reset_pin(PinRole::User, authority, secret, new_user_pin);
}

// VERIFY PUK, SELECT where the PIN lives, RESET RETRY COUNTER with the new PIN: the sequence of OpenSC's
// esteid2018 driver (card-esteid2018.c, SC_PIN_CMD_UNBLOCK).
void IdCardToken::reset_pin(PinRole target, PinRole authority, const Pin& secret, const Pin& new_pin) {
    const profiles::CardProfile& profile = session_->profile;
    const profiles::PinProfile& pin = pin_for(profile, target);
    if (pin.role == profiles::PinRole::Unblock) throw Error(ErrorCode::InvalidArgument, "the PUK cannot unblock itself");
    if (authority != PinRole::Puk && authority != PinRole::ResetCode)
        throw Error(ErrorCode::InvalidArgument, std::string(pin.name) + " is unblocked with the PUK");
    const profiles::PinProfile* puk = profiles::find_pin(profile, pin.unblocked_by);
    if (pin.unblocked_by == 0 || !puk) throw Error(ErrorCode::NotSupported, std::string(pin.name) + " cannot be unblocked on this card");
    (void)pin_block(*puk, secret, "PUK");
    (void)pin_block(pin, new_pin, "new " + std::string(pin.name));
    Transaction transaction(*session_->transport);
    session_->forget();  // the PUK's and the PIN's tries change
    session_->app.select_application(0);
    session_->app.select_application(puk->application);
    VerifiedPins pins(*session_);
    pins.run([&] { session_->app.verify(*puk, secret); });
    // Selecting the main application again would log the PUK out: only a PIN elsewhere needs a SELECT.
    if (pin.application != puk->application) session_->app.select_application(pin.application);
    session_->app.reset_retry_counter(pin, new_pin);
}

}  // namespace qscd::idcard
