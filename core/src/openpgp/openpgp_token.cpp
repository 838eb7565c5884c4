#include "qscd/openpgp/openpgp_token.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include "qscd/codec/tlv.hpp"

#include "qscd/error.hpp"
#include "qscd/signature_counter.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd::openpgp {

struct OpenPgpToken::Session {
    explicit Session(std::unique_ptr<Transport> t, std::string l)
        : transport(std::move(t)), card(*transport), label(std::move(l)) {}
    std::unique_ptr<Transport> transport;
    OpenPgpCard card;
    std::string label;

    // Every operation starts from a freshly selected application: another program may have used
    // the card since (and most cards clear a PIN verification left behind on SELECT [§2.2]).
    ApplicationData begin() {
        card.select();
        return card.read_application_data();
    }
    // The same for an operation that may change the PIN status, the keys or the counter: nothing kept.
    ApplicationData begin_change() {
        forget();
        return begin();
    }

    // What a signature needs to know before its VERIFY, kept between signatures only while the
    // transport promises that nobody else touched the card (Transport::held_generation): the selected
    // application and its data, and the counter our own last signature left (the next one's "before").
    struct Kept {
        std::uint64_t generation = 0;
        std::optional<ApplicationData> application;
        bool tries_at_maximum = false;  // read after a good VERIFY: PW1's counter is at its maximum
        bool verified = false;          // a good VERIFY in this generation
        std::optional<std::uint32_t> counter;
    };
    Kept kept;

    // The start of a signature: the kept application data when the card was held since, else SELECT
    // and a fresh read (which is kept for the next signature).
    const ApplicationData& begin_signature() {
        const std::uint64_t generation = transport->held_generation();
        if (generation == 0 || generation != kept.generation) {
            kept = Kept{};
            kept.generation = generation;
        }
        if (!kept.application) {
            card.select();
            kept.application = card.read_application_data();
            kept.tries_at_maximum = kept.verified;
        }
        return *kept.application;
    }
    std::uint32_t counter_before() {
        if (!kept.counter) kept.counter = card.signature_counter();
        return *kept.counter;
    }
    // A good VERIFY resets PW1's retry counter to its maximum [§7.2.2]; the kept value is exact only if
    // it was read at the maximum already, else it is read again next time.
    void verified_pw1() {
        kept.verified = true;
        if (!kept.tries_at_maximum) kept.application.reset();
    }
    void forget() { kept = Kept{}; }
};

namespace {

constexpr std::size_t kPw1MinLength = 6, kPw3MinLength = 8;
constexpr std::size_t kMaxAtrSize = 33;

// The secrets one operation verified on the card, and the promise that none outlives it
// (OpenPGP card 3.4 §7.2.2): whatever the command it unlocked did not consume is logged out when the
// operation ends (VERIFY P1 = FF), and the transport is asked to reset the card when it closes
// (PC/SC: SCARD_RESET_CARD), which also covers a card that does not know the logout. Lives inside
// the operation's transaction (declare it after the Transaction).
class VerifiedSecrets {
public:
    explicit VerifiedSecrets(OpenPgpToken::Session& session) : session_(session) {}
    ~VerifiedSecrets() { log_out(); }
    VerifiedSecrets(const VerifiedSecrets&) = delete;
    VerifiedSecrets& operator=(const VerifiedSecrets&) = delete;

    void verify(Password password, const Pin& pin) {
        try {
            session_.card.verify(password, pin);
        } catch (const Error& e) {
            if (!refused(e)) may_be_verified(password);
            throw;
        }
        may_be_verified(password);
    }
    // VERIFY with the PIN typed on the reader's keypad. The reader refusing before the card saw
    // anything (timeout, cancel, length) leaves nothing verified either.
    void verify_on_pin_pad(Password password, PinPad& pad, std::size_t min_length, std::size_t max_length) {
        try {
            session_.card.verify_on_pin_pad(password, pad, min_length, max_length);
        } catch (const Error& e) {
            if (!refused(e) && e.code() != ErrorCode::Cancelled) may_be_verified(password);
            throw;
        }
        may_be_verified(password);
    }
    // CHANGE REFERENCE DATA [§6.3]: some cards count a successful change as a verification of the
    // changed secret (PW1: both modes).
    void change(Password password, const Pin& current, const Pin& replacement) {
        try {
            session_.card.change_reference_data(password, current, replacement);
        } catch (const Error& e) {
            if (!refused(e)) changed(password);
            throw;
        }
        changed(password);
    }
    // The same change with both secrets typed on the reader's keypad; a keypad cancel or timeout
    // reached no card.
    void change_on_pin_pad(Password password, PinPad& pad, std::size_t min_length, std::size_t max_length) {
        try {
            session_.card.change_reference_data_on_pin_pad(password, pad, min_length, max_length);
        } catch (const Error& e) {
            if (!refused(e) && e.code() != ErrorCode::Cancelled) changed(password);
            throw;
        }
        changed(password);
    }
    // PSO:CDS consumed PW1-81 (C4 byte 1 = 00, §6.1): the card already forgot it.
    void consumed(Password password) { pending_[index(password)] = false; }

    void log_out() noexcept {
        bool any = false, unsupported = false;
        for (std::size_t i = 0; i < pending_.size(); ++i) {
            if (!pending_[i]) continue;
            pending_[i] = false;
            any = true;
            try {
                if (!session_.card.logout(static_cast<Password>(0x81 + i))) unsupported = true;
            } catch (const Error&) {
                unsupported = true;  // best effort: the card may be gone; the reset still comes
            }
        }
        if (!any) return;
        // A card before 3.1: a re-SELECT clears the status on most cards (openpgp-card.md §2.2).
        if (unsupported) {
            try {
                session_.card.select();
            } catch (const Error&) {
            }
        }
        session_.transport->reset_card_on_close();
    }

private:
    static std::size_t index(Password password) { return static_cast<std::size_t>(password) - 0x81; }
    // The card said no (wrong, blocked, bad length): nothing verified. Any other failure (a lost
    // answer, a removal) may have left the secret verified.
    static bool refused(const Error& e) {
        return e.code() == ErrorCode::WrongPin || e.code() == ErrorCode::PinBlocked || e.code() == ErrorCode::InvalidPin;
    }
    void may_be_verified(Password password) { pending_[index(password)] = true; }
    void changed(Password password) {
        if (password == Password::Pw3) {
            may_be_verified(Password::Pw3);
        } else {
            may_be_verified(Password::Pw1Signing);
            may_be_verified(Password::Pw1Other);
        }
    }

    OpenPgpToken::Session& session_;
    std::array<bool, 3> pending_{};  // 81, 82, 83
};

struct Verified {
    std::uint32_t counter_before = 0;
    bool pin_valid_for_several = false;  // C4 byte 1: PSO:CDS does not consume PW1-81
};

// The User PIN's VERIFY for signing [§7.2.2], offered to the PIN entry.
class Pw1SigningVerification final : public PinVerification {
public:
    Pw1SigningVerification(OpenPgpToken::Session& session, VerifiedSecrets& secrets, std::size_t max_length, std::string purpose)
        : session_(session), secrets_(secrets), max_length_(max_length), purpose_(std::move(purpose)) {}
    void verify_with(const Pin& pin) override {
        if (pin.empty()) throw Error(ErrorCode::Cancelled, "no PIN entered");  // nothing sent to the card
        secrets_.verify(Password::Pw1Signing, pin);
    }
    // PC/SC part 10 VERIFY_PIN_DIRECT; a reader without a PIN pad gets nothing, so no try is spent.
    void verify_on_pin_pad() override {
        PinPad& pad = usable_pin_pad(*session_.transport);
        if (!pad.takes_variable_length_pins())
            throw Error(ErrorCode::NotSupported, "the PIN pad of " + pad.reader_name() +
                                                     " cannot take a variable-length OpenPGP PIN; enter the PIN on the host (nothing was sent to the card)");
        show_purpose(pad, purpose_);
        secrets_.verify_on_pin_pad(Password::Pw1Signing, pad, kPw1MinLength, max_length_);
    }

private:
    OpenPgpToken::Session& session_;
    VerifiedSecrets& secrets_;
    std::size_t max_length_;
    std::string purpose_;
};

// Selects the application, refuses a blocked PIN, reads the counter, asks the PIN entry once and
// verifies the PIN.
Verified select_and_verify(OpenPgpToken::Session& session, VerifiedSecrets& secrets, PinEntry& pin, std::string_view purpose) {
    const PwStatus status = session.begin_signature().pw_status;
    if (status.pw1_tries == 0)
        throw Error(ErrorCode::PinBlocked, "User PIN is blocked; unblock it with the Resetting Code or the Admin PIN", 0);
    PinRequest request;
    request.token_label = session.label;
    request.pin_name = "User PIN (signature)";
    request.tries_left = status.pw1_tries;
    request.min_length = kPw1MinLength;
    request.max_length = static_cast<std::size_t>(status.pw1_max_length);
    request.purpose = std::string(purpose);
    // The signature counter is read in the same transaction as the signatures: nobody can sign in
    // between, so it must rise by exactly the number we make [§8.2].
    Verified verified;
    verified.counter_before = session.counter_before();
    verified.pin_valid_for_several = status.pw1_valid_for_several_signatures;
    Pw1SigningVerification verification(session, secrets, request.max_length, request.purpose);
    pin.enter(request, verification);
    session.verified_pw1();
    return verified;
}

// A new secret outside the card's limits is refused here, before any secret is sent: the card would
// take it as a wrong old secret (it splits old‖new by the stored length [§6.3]), cost a try and
// answer "wrong PIN". Minimum by the spec (PW1 6, PW3 8 [§1]), maximum from the PW status bytes C4
// (OpenPGP card 3.4 §4.4.1 [§6.1]).
void check_new_secret_length(const Pin& replacement, const std::string& name, std::size_t min, int max) {
    if (replacement.size() < min)
        throw Error(ErrorCode::InvalidPin, "new " + name + " must have at least " + std::to_string(min) + " characters; nothing was sent to the card");
    if (max > 0 && replacement.size() > static_cast<std::size_t>(max))
        throw Error(ErrorCode::InvalidPin, "new " + name + " must have at most " + std::to_string(max) + " characters (the card's limit); nothing was sent to the card");
}

// One PSO:CDS [§8]: DigestInfo for RSA, the bare hash for ECDSA; the answer's length is checked.
Bytes compute_signature(OpenPgpCard& card, KeyType type, HashAlgorithm hash, ByteView digest) {
    Bytes input = is_rsa(type) ? digest_info(hash, digest) : Bytes(digest.begin(), digest.end());
    Bytes signature = card.compute_digital_signature(input);
    const std::size_t expected = is_rsa(type) ? key_bits(type) / 8 : 2 * ec_field_size(type);
    if (signature.size() != expected)
        throw Error(ErrorCode::ProtocolError, "card returned a " + std::to_string(signature.size()) + "-byte signature, expected " +
                                                  std::to_string(expected));
    return signature;
}

// Returns the counter values (before, after) that passed the check.
CounterReading check_counter(OpenPgpCard& card, std::uint32_t before, std::uint32_t signatures) {
    const std::uint32_t after = card.signature_counter();
    if (auto problem = unexpected_counter_step(before, after, signatures))
        throw Error(ErrorCode::CardError, *problem + "; the signature is discarded");
    return CounterReading{before, after};
}

// Batch signing under one PIN inside the operation scope KeyHandle::begin_batch opened (one card
// transaction, kept until the batch is destroyed); the card must allow several signatures per VERIFY
// (C4 byte 1 = 01, §6.1), which is re-read from the card, not taken from cached attributes.
class OpenPgpSignatureBatch final : public SignatureBatch {
public:
    OpenPgpSignatureBatch(std::shared_ptr<OpenPgpToken::Session> session, KeyType type, std::size_t count, PinEntry& pin,
                          std::string_view purpose)
        : session_(std::move(session)), secrets_(*session_), type_(type), count_(count) {
        session_->forget();
        session_->card.select();
        if (!session_->card.pw_status().pw1_valid_for_several_signatures)
            throw Error(ErrorCode::PolicyViolation, "batch signing: the card requires the PIN for every signature (sole control)");
        counter_before_ = select_and_verify(*session_, secrets_, pin, purpose).counter_before;
    }
    // An unfinished batch logs the PIN out too (secrets_, before the base's scope ends the transaction).
    ~OpenPgpSignatureBatch() override = default;

    Bytes sign(HashAlgorithm hash, ByteView digest) override {
        if (digest.size() != digest_size(hash)) throw Error(ErrorCode::InvalidArgument, "digest length does not match the hash");
        if (done_ == count_) throw Error(ErrorCode::PolicyViolation, "batch signing: more signatures than the documents shown");
        Bytes signature = compute_signature(session_->card, type_, hash, digest);
        ++done_;
        return signature;
    }

    std::optional<CounterReading> finish() override {
        if (done_ != count_) throw Error(ErrorCode::InvalidArgument, "batch signing: fewer signatures than announced");
        secrets_.log_out();  // no PIN state outlives the batch, whatever the counter says
        session_->forget();
        return check_counter(session_->card, counter_before_, static_cast<std::uint32_t>(count_));
    }

private:
    std::shared_ptr<OpenPgpToken::Session> session_;
    VerifiedSecrets secrets_;
    KeyType type_;
    std::size_t count_, done_ = 0;
    std::uint32_t counter_before_ = 0;
};

class OpenPgpKeyHandle final : public KeyHandle {
public:
    OpenPgpKeyHandle(KeyAttributes attributes, std::shared_ptr<OpenPgpToken::Session> session)
        : KeyHandle(std::move(attributes)), session_(std::move(session)) {}

private:
    // One card transaction (PC/SC SCardBeginTransaction, the simulator's lock) per operation.
    class TransactionScope final : public OperationScope {
    public:
        explicit TransactionScope(Transport& transport) : transaction_(transport) {}

    private:
        Transaction transaction_;
    };

    std::unique_ptr<OperationScope> begin_operation() override { return std::make_unique<TransactionScope>(*session_->transport); }

    // No PIN caching: the PIN entry is asked for every signature. The card forgets the verification
    // after one PSO:CDS when C4 byte 1 is 00 [§6.1]; otherwise (session policy), or when the
    // signature failed, the PIN is logged out before the transaction ends (secrets).
    // Held card (Session::Kept): VERIFY, PSO:CDS and the counter read after it, nothing else.
    CountedSignature do_sign_hash(HashAlgorithm hash, ByteView digest, PinEntry& pin, std::string_view purpose) override {
        OpenPgpCard& card = session_->card;
        try {
            VerifiedSecrets secrets(*session_);
            const Verified verified = select_and_verify(*session_, secrets, pin, purpose);
            Bytes signature = compute_signature(card, attributes().type, hash, digest);
            if (!verified.pin_valid_for_several) secrets.consumed(Password::Pw1Signing);
            secrets.log_out();
            const CounterReading counter = check_counter(card, verified.counter_before, 1);
            session_->kept.counter = counter.after;  // the next signature's "before"
            return {std::move(signature), counter};
        } catch (...) {
            session_->forget();  // a wrong PIN, a cancel, a card error: read everything again next time
            throw;
        }
    }

    std::unique_ptr<SignatureBatch> do_begin_batch(std::size_t count, PinEntry& pin, std::string_view purpose) override {
        return std::make_unique<OpenPgpSignatureBatch>(session_, attributes().type, count, pin, purpose);
    }

    std::shared_ptr<OpenPgpToken::Session> session_;
};

std::string trimmed(ByteView text) {
    std::string s(text.begin(), text.end());
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

}  // namespace

OpenPgpToken::OpenPgpToken(std::unique_ptr<Transport> transport, std::string label)
    : session_(std::make_shared<Session>(std::move(transport), std::move(label))) {
    Transaction transaction(*session_->transport);
    session_->begin();
}

OpenPgpToken::~OpenPgpToken() = default;

OpenPgpCard& OpenPgpToken::card() { return session_->card; }
bool OpenPgpToken::has_pin_pad() { return session_->transport->pin_pad() != nullptr; }

void OpenPgpToken::set_trace(ApduTraceHook hook) { session_->card.channel().set_trace(std::move(hook)); }

TokenInfo OpenPgpToken::info() {
    Transaction transaction(*session_->transport);
    const ApplicationData app = session_->begin();
    TokenInfo info;
    info.serial = app.serial_hex();
    char version[16];
    std::snprintf(version, sizeof version, "%d.%d", app.version() >> 8, app.version() & 0xFF);
    info.application = std::string("OpenPGP ") + version;
    info.test_card = app.is_test_card();
    const std::string vendor = info.serial.substr(0, 4);
    info.manufacturer = info.test_card ? "test card (" + vendor + ")" : "manufacturer " + vendor;
    info.origin = session_->transport->description();
    info.atr = session_->transport->atr();
    // ISO 7816-3 §8.2: an ATR has at most 33 bytes (TS + 32); a longer one is a broken transport.
    if (info.atr.size() > kMaxAtrSize) throw Error(ErrorCode::ProtocolError, "ATR longer than 33 bytes");
    info.label = session_->label;
    if (info.label.empty()) {
        auto holder = session_->card.get_data(0x0065);
        auto name = find_tlv_recursive(holder, 0x5B);
        info.label = name && !name->value.empty() ? trimmed(name->value) : "OpenPGP card " + info.serial;
    }
    return info;
}

std::vector<std::shared_ptr<KeyHandle>> OpenPgpToken::keys() {
    Transaction transaction(*session_->transport);
    const ApplicationData app = session_->begin();
    std::vector<std::shared_ptr<KeyHandle>> keys;
    const auto& algorithm = app.algorithms[0];
    if (!algorithm || !app.key_present(KeySlot::Signature)) return keys;

    PublicKey public_key;
    try {
        public_key = session_->card.read_public_key(KeySlot::Signature);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::NotFound) return keys;  // slot empty
        throw;
    }
    KeyAttributes a;
    a.id = "SIG";
    a.label = "Signature key";
    a.type = *algorithm;
    a.scheme = is_rsa(*algorithm) ? SignatureScheme::RsaPkcs1v15 : SignatureScheme::Ecdsa;
    a.key_reference = static_cast<std::uint8_t>(KeySlot::Signature);
    a.public_key = public_key.spki;
    try {
        a.certificate = session_->card.read_certificate(KeySlot::Signature);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::NotFound) throw;
    }
    a.pin_policy = app.pw_status.pw1_valid_for_several_signatures ? PinPolicy::Session : PinPolicy::PerSignature;
    a.usage = KeyUsage::Signature;
    a.on_card = true;
    keys.push_back(std::make_shared<OpenPgpKeyHandle>(std::move(a), session_));
    return keys;
}

std::vector<PinStatus> OpenPgpToken::pin_status() {
    Transaction transaction(*session_->transport);
    const PwStatus s = session_->begin().pw_status;
    return {
        {PinRole::User, "User PIN", s.pw1_tries, kPw1MinLength, static_cast<std::size_t>(s.pw1_max_length)},
        {PinRole::ResetCode, "Resetting Code", s.rc_tries, kPw3MinLength, static_cast<std::size_t>(s.rc_max_length)},
        {PinRole::Admin, "Admin PIN", s.pw3_tries, kPw3MinLength, static_cast<std::size_t>(s.pw3_max_length)},
    };
}

std::optional<std::uint32_t> OpenPgpToken::signature_counter() {
    Transaction transaction(*session_->transport);
    // A held card's counter is what our own last signature left (Session::Kept): no APDU needed.
    const std::uint64_t generation = session_->transport->held_generation();
    if (generation != 0 && generation == session_->kept.generation && session_->kept.counter) return session_->kept.counter;
    session_->card.select();
    return session_->card.signature_counter();
}

void OpenPgpToken::change_pin(PinRole role, const Pin& current, const Pin& replacement) {
    if (role == PinRole::ResetCode) throw Error(ErrorCode::NotSupported, "set the Resetting Code with the Admin PIN instead");
    if (role != PinRole::User && role != PinRole::Admin)
        throw Error(ErrorCode::NotSupported, std::string("an OpenPGP card has no ") + to_string(role) + " (its PINs: User PIN, Admin PIN)");
    const bool admin = role == PinRole::Admin;
    Transaction transaction(*session_->transport);
    const PwStatus status = session_->begin_change().pw_status;
    check_new_secret_length(replacement, to_string(role), admin ? kPw3MinLength : kPw1MinLength,
                            admin ? status.pw3_max_length : status.pw1_max_length);
    VerifiedSecrets secrets(*session_);
    secrets.change(admin ? Password::Pw3 : Password::Pw1Signing, current, replacement);
}

void OpenPgpToken::change_pin_on_pin_pad(PinRole role) {
    if (role != PinRole::User && role != PinRole::Admin)
        throw Error(ErrorCode::NotSupported, std::string("an OpenPGP card's ") + to_string(role) + " is not changed on a PIN pad");
    const bool admin = role == PinRole::Admin;
    Transaction transaction(*session_->transport);
    PinPad& pad = usable_pin_pad(*session_->transport);
    if (!pad.takes_variable_length_pins())
        throw Error(ErrorCode::NotSupported, "the PIN pad of " + pad.reader_name() +
                                                 " cannot take a variable-length OpenPGP PIN; enter the PINs on the host (nothing was sent to the card)");
    const PwStatus status = session_->begin_change().pw_status;
    VerifiedSecrets secrets(*session_);
    secrets.change_on_pin_pad(admin ? Password::Pw3 : Password::Pw1Signing, pad, admin ? kPw3MinLength : kPw1MinLength,
                              static_cast<std::size_t>(admin ? status.pw3_max_length : status.pw1_max_length));
}

void OpenPgpToken::unblock_pin(PinRole authority, const Pin& secret, const Pin& new_user_pin) {
    if (authority == PinRole::User) throw Error(ErrorCode::InvalidArgument, "the User PIN cannot unblock itself");
    if (authority != PinRole::Admin && authority != PinRole::ResetCode)
        throw Error(ErrorCode::InvalidArgument, "an OpenPGP card's User PIN is unblocked with the Admin PIN or the Resetting Code");
    Transaction transaction(*session_->transport);
    const PwStatus status = session_->begin_change().pw_status;
    check_new_secret_length(new_user_pin, "User PIN", kPw1MinLength, status.pw1_max_length);
    if (authority == PinRole::ResetCode) {
        session_->card.reset_retry_counter_with_resetting_code(secret, new_user_pin);
        return;
    }
    VerifiedSecrets secrets(*session_);
    secrets.verify(Password::Pw3, secret);
    session_->card.reset_retry_counter_as_admin(new_user_pin);
}

PublicKey OpenPgpToken::generate_key(const Pin& admin_pin, KeySlot slot, KeyType type) {
    Transaction transaction(*session_->transport);
    session_->begin_change();
    OpenPgpCard& card = session_->card;
    VerifiedSecrets secrets(*session_);
    secrets.verify(Password::Pw3, admin_pin);
    card.set_algorithm(slot, type);
    PublicKey key = card.generate_key(slot);
    // The card stores neither creation time nor fingerprint: the host writes both [§9.1].
    const auto now = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    card.write_generation_time(slot, now);
    card.write_fingerprint(slot, v4_fingerprint(key, now));
    return key;
}

void OpenPgpToken::store_certificate(const Pin& admin_pin, KeySlot slot, ByteView der) {
    Transaction transaction(*session_->transport);
    session_->begin_change();
    VerifiedSecrets secrets(*session_);
    secrets.verify(Password::Pw3, admin_pin);
    session_->card.write_certificate(slot, der);
}

void OpenPgpToken::set_pin_policy(const Pin& admin_pin, PinPolicy policy) {
    // C4 byte 1 [§6.1]: 00 = PW1 valid for one PSO:CDS (per signature), 01 = for several.
    Transaction transaction(*session_->transport);
    session_->begin_change();
    VerifiedSecrets secrets(*session_);
    secrets.verify(Password::Pw3, admin_pin);
    const std::uint8_t value = policy == PinPolicy::Session ? 0x01 : 0x00;
    session_->card.put_data(0x00C4, ByteView(&value, 1));
}

void OpenPgpToken::set_cardholder_name(const Pin& admin_pin, std::string_view name) {
    Transaction transaction(*session_->transport);
    session_->begin_change();
    VerifiedSecrets secrets(*session_);
    secrets.verify(Password::Pw3, admin_pin);
    session_->card.put_data(0x005B, as_bytes(name));
}

}  // namespace qscd::openpgp
