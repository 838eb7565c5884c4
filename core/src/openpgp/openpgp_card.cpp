#include "qscd/openpgp/openpgp_card.hpp"

#include <mbedtls/sha1.h>

#include <cstdio>

#include "qscd/codec/tlv.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/crypto.hpp"

namespace qscd::openpgp {

namespace {

constexpr std::uint8_t kCla = 0x00;
constexpr std::uint8_t kInsSelect = 0xA4, kInsGetData = 0xCA, kInsPutData = 0xDA, kInsVerify = 0x20,
                       kInsChangeReferenceData = 0x24, kInsResetRetryCounter = 0x2C, kInsGenerate = 0x47,
                       kInsPso = 0x2A, kInsSelectData = 0xA5, kInsGetChallenge = 0x84, kInsTerminate = 0xE6,
                       kInsActivate = 0x44;

// Curve OIDs without the 06 len header [§5.2].
const Bytes kOidP256{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
const Bytes kOidP384{0x2B, 0x81, 0x04, 0x00, 0x22};

std::uint8_t crt_tag(KeySlot slot) {
    switch (slot) {
        case KeySlot::Signature: return 0xB6;
        case KeySlot::Decryption: return 0xB8;
        case KeySlot::Authentication: return 0xA4;
    }
    return 0xB6;
}

std::size_t slot_index(KeySlot slot) { return static_cast<std::size_t>(slot) - 1; }

// The one place where OpenPGP status words become errors.
[[noreturn]] void throw_status(StatusWord sw, const std::string& operation) {
    const std::string what = operation + ": card answered " + sw.describe();
    switch (sw.value) {
        case 0x6982: throw Error(ErrorCode::PinRequired, what, std::nullopt, sw);
        case 0x6983: throw Error(ErrorCode::PinBlocked, what, 0, sw);
        case 0x6A88:
        case 0x6A82: throw Error(ErrorCode::NotFound, what, std::nullopt, sw);
        case 0x6D00:
        case 0x6E00:
        case 0x6A81: throw Error(ErrorCode::NotSupported, what, std::nullopt, sw);
        case 0x6285: throw Error(ErrorCode::CardError, operation + ": the card is terminated (factory reset pending)", std::nullopt, sw);
        default: throw Error(ErrorCode::CardError, what, std::nullopt, sw);
    }
}

void expect_success(const ResponseApdu& r, const std::string& operation) {
    if (!r.is_success()) throw_status(r.sw, operation);
}

std::string tag_name(std::uint16_t tag) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02X", tag);
    return buf;
}

Bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
}

// OpenPGP MPI: 2-byte bit count ‖ big-endian value without leading zeros (RFC 4880 §3.2).
void append_mpi(Bytes& out, ByteView value) {
    std::size_t start = 0;
    while (start < value.size() && value[start] == 0) ++start;
    ByteView v = value.subspan(start);
    std::size_t bits = v.empty() ? 0 : (v.size() - 1) * 8;
    if (!v.empty())
        for (std::uint8_t b = v[0]; b; b >>= 1) ++bits;
    out.push_back(static_cast<std::uint8_t>(bits >> 8));
    out.push_back(static_cast<std::uint8_t>(bits));
    out.insert(out.end(), v.begin(), v.end());
}

}  // namespace

std::optional<PwStatus> parse_pw_status(ByteView c4) {
    if (c4.size() < 7) return std::nullopt;
    PwStatus s;
    s.pw1_valid_for_several_signatures = c4[0] != 0;
    s.pw1_max_length = c4[1] & 0x7F;
    s.rc_max_length = c4[2] & 0x7F;
    s.pw3_max_length = c4[3] & 0x7F;
    s.pw1_tries = c4[4];
    s.rc_tries = c4[5];
    s.pw3_tries = c4[6];
    return s;
}

std::optional<KeyType> parse_algorithm_attributes(ByteView a) {
    if (a.empty()) return std::nullopt;
    if (a[0] == 0x01) {  // RSA [§5.1]
        if (a.size() < 5) return std::nullopt;
        switch (a[1] << 8 | a[2]) {
            case 2048: return KeyType::Rsa2048;
            case 3072: return KeyType::Rsa3072;
            case 4096: return KeyType::Rsa4096;
            default: return std::nullopt;
        }
    }
    if (a[0] == 0x12 || a[0] == 0x13) {  // ECDH / ECDSA [§5.2]: a trailing 00/FF is the import format
        ByteView oid = a.subspan(1);
        if (!oid.empty() && (oid.back() == 0x00 || oid.back() == 0xFF)) oid = oid.first(oid.size() - 1);
        if (std::equal(oid.begin(), oid.end(), kOidP256.begin(), kOidP256.end())) return KeyType::EcP256;
        if (std::equal(oid.begin(), oid.end(), kOidP384.begin(), kOidP384.end())) return KeyType::EcP384;
    }
    return std::nullopt;
}

Bytes encode_algorithm_attributes(KeyType type, KeySlot slot) {
    if (is_rsa(type)) {
        const unsigned bits = key_bits(type);
        return {0x01, static_cast<std::uint8_t>(bits >> 8), static_cast<std::uint8_t>(bits), 0x00, 0x20, 0x00};
    }
    Bytes out{static_cast<std::uint8_t>(slot == KeySlot::Decryption ? 0x12 : 0x13)};
    const Bytes& oid = type == KeyType::EcP256 ? kOidP256 : kOidP384;
    out.insert(out.end(), oid.begin(), oid.end());
    return out;
}

Bytes v4_fingerprint(const PublicKey& key, std::uint32_t creation_time) {
    Bytes body{0x04};
    Bytes time = be32(creation_time);
    body.insert(body.end(), time.begin(), time.end());
    if (is_rsa(key.type)) {
        body.push_back(0x01);
        append_mpi(body, key.modulus);
        append_mpi(body, key.exponent);
    } else {
        body.push_back(19);  // ECDSA
        const Bytes& oid = key.type == KeyType::EcP256 ? kOidP256 : kOidP384;
        body.push_back(static_cast<std::uint8_t>(oid.size()));
        body.insert(body.end(), oid.begin(), oid.end());
        append_mpi(body, key.point);
    }
    Bytes packet{0x99, static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
    packet.insert(packet.end(), body.begin(), body.end());
    Bytes fp(20);
    if (mbedtls_sha1(packet.data(), packet.size(), fp.data()) != 0)
        throw Error(ErrorCode::CryptoError, "SHA-1 for the OpenPGP fingerprint failed");
    return fp;
}

CardCapabilities parse_historical_capabilities(ByteView h) {
    CardCapabilities caps;
    if (h.empty()) return caps;
    // Category 00: compact-TLV then a 3-byte status indicator; 80: compact-TLV only (iso7816.md §9.2).
    std::size_t end = h.size();
    if (h[0] == 0x00) {
        if (h.size() < 4) return caps;
        end = h.size() - 3;
    } else if (h[0] != 0x80) {
        return caps;
    }
    for (std::size_t i = 1; i < end;) {
        const std::uint8_t tag = h[i] >> 4, len = h[i] & 0x0F;
        if (i + 1 + len > end) break;
        if (tag == 0x7 && len == 3) {  // card capabilities: byte c bit 80 chaining, 40 extended (§9.3)
            caps.command_chaining = (h[i + 3] & 0x80) != 0;
            caps.extended_length = (h[i + 3] & 0x40) != 0;
        }
        i += 1 + len;
    }
    return caps;
}

std::uint16_t ApplicationData::version() const { return aid.size() >= 8 ? static_cast<std::uint16_t>(aid[6] << 8 | aid[7]) : 0; }
std::uint16_t ApplicationData::manufacturer() const {
    return aid.size() >= 10 ? static_cast<std::uint16_t>(aid[8] << 8 | aid[9]) : 0;
}
std::string ApplicationData::serial_hex() const {
    return aid.size() >= 14 ? to_hex(ByteView(aid).subspan(8, 6), "") : "";
}
bool ApplicationData::is_test_card() const { return manufacturer() == 0x0000 || manufacturer() == 0xFFFF; }
bool ApplicationData::key_present(KeySlot slot) const {
    // DE: pairs <key ref> <status>, status 00 = no key [§3.1].
    for (std::size_t i = 0; i + 1 < key_information.size(); i += 2)
        if (key_information[i] == static_cast<std::uint8_t>(slot)) return key_information[i + 1] != 0;
    return true;  // unknown: ask the card
}

ResponseApdu OpenPgpCard::send(const CommandApdu& command) { return channel_.transmit(command); }

void OpenPgpCard::select() {
    // [§2.2] SELECT by the 6-byte RID+application prefix; the card answers without FCI.
    auto r = send(CommandApdu(kCla, kInsSelect, 0x04, 0x00, Bytes(std::begin(kAidPrefix), std::end(kAidPrefix)), 256));
    if (r.sw == sw::kFileNotFound) throw Error(ErrorCode::NotFound, "no OpenPGP application on this card", std::nullopt, r.sw);
    expect_success(r, "SELECT OpenPGP");
}

Bytes OpenPgpCard::get_data(std::uint16_t tag) {
    auto r = send(CommandApdu(kCla, kInsGetData, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag), {}, 65536));
    expect_success(r, "GET DATA " + tag_name(tag));
    return std::move(r.data);
}

void OpenPgpCard::put_data(std::uint16_t tag, ByteView value) {
    auto r = send(CommandApdu(kCla, kInsPutData, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag),
                              Bytes(value.begin(), value.end())));
    expect_success(r, "PUT DATA " + tag_name(tag));
}

ApplicationData OpenPgpCard::read_application_data() {
    Bytes raw = get_data(0x006E);
    // [§3.2] 6E comes with its outer tag; accept the bare children too.
    ByteView scope = raw;
    if (auto outer = find_tlv(scope, 0x6E)) scope = outer->value;
    if (!validate_tlv_sequence(scope)) throw Error(ErrorCode::ProtocolError, "malformed application related data (6E)");

    ApplicationData d;
    auto copy = [&](std::uint32_t tag) -> Bytes {
        auto t = find_tlv_recursive(scope, tag);
        return t ? Bytes(t->value.begin(), t->value.end()) : Bytes{};
    };
    d.aid = copy(0x4F);
    if (d.aid.size() != 16) throw Error(ErrorCode::ProtocolError, "OpenPGP AID (4F) is not 16 bytes");
    d.historical_bytes = copy(0x5F52);
    d.extended_capabilities = copy(0xC0);
    for (int i = 0; i < 3; ++i) {
        d.raw_algorithm_attributes[i] = copy(0xC1 + i);
        d.algorithms[i] = parse_algorithm_attributes(d.raw_algorithm_attributes[i]);
    }
    auto pw = parse_pw_status(copy(0xC4));
    if (!pw) throw Error(ErrorCode::ProtocolError, "PW status bytes (C4) missing or short");
    d.pw_status = *pw;
    d.key_information = copy(0xDE);

    d.capabilities = parse_historical_capabilities(d.historical_bytes);
    // 7F66 extended length information: 02 02 <max command> 02 02 <max response> [§3.1].
    Bytes ext = copy(0x7F66);
    if (d.capabilities.extended_length && ext.size() == 8 && ext[0] == 0x02 && ext[4] == 0x02) {
        d.capabilities.max_command_data = static_cast<std::size_t>(ext[2] << 8 | ext[3]);
        d.capabilities.max_response_data = static_cast<std::size_t>(ext[6] << 8 | ext[7]);
    }
    channel_.set_capabilities(d.capabilities);
    app_data_ = d;
    return d;
}

PwStatus OpenPgpCard::pw_status() {
    auto s = parse_pw_status(get_data(0x00C4));
    if (!s) throw Error(ErrorCode::ProtocolError, "PW status bytes (C4) shorter than 7 bytes");
    return *s;
}

namespace {

// Which retry counter a secret uses, and how people call it.
enum class Secret { UserPin, AdminPin, ResettingCode };

const char* secret_name(Secret secret) {
    switch (secret) {
        case Secret::UserPin: return "User PIN";
        case Secret::AdminPin: return "Admin PIN";
        case Secret::ResettingCode: return "Resetting Code";
    }
    return "PIN";
}

// The one place where a refused secret becomes an error: wrong (with the tries left, read from C4
// because OpenPGP 3.x answers a wrong PIN with 6982 and no counter), blocked, or malformed [§6.2, §6.3].
[[noreturn]] void throw_secret_refused(OpenPgpCard& card, StatusWord status, Secret secret, const std::string& operation) {
    const std::string name = secret_name(secret);
    if (status == sw::kAuthenticationBlocked)
        throw Error(ErrorCode::PinBlocked,
                    secret == Secret::ResettingCode ? "Resetting Code is blocked or not set; unblock with the Admin PIN"
                                                    : name + " is blocked",
                    0, status);
    if (status == sw::kWrongLength || status == sw::kIncorrectData)
        throw Error(ErrorCode::InvalidPin, operation == "VERIFY" ? name + " has an invalid length" : "new PIN has an invalid length",
                    std::nullopt, status);
    if (status == sw::kSecurityStatusNotSatisfied || status.is_counter() || status == sw::kVerificationFailed) {
        const PwStatus s = card.pw_status();
        const int tries = secret == Secret::AdminPin ? s.pw3_tries : secret == Secret::ResettingCode ? s.rc_tries : s.pw1_tries;
        if (tries == 0) throw Error(ErrorCode::PinBlocked, "wrong " + name + "; it is now blocked", 0, status);
        throw Error(ErrorCode::WrongPin, "wrong " + name + ", " + tries_left_text(tries),
                    tries, status);
    }
    throw_status(status, operation);
}

Bytes joined(const Pin& first, const Pin& second) {
    Bytes data(first.bytes().begin(), first.bytes().end());
    data.insert(data.end(), second.bytes().begin(), second.bytes().end());
    return data;
}

}  // namespace

ResponseApdu OpenPgpCard::send_secret(CommandApdu command) {
    auto r = send(command);
    secure_zero(command.data.data(), command.data.size());
    return r;
}

void OpenPgpCard::verify(Password password, const Pin& pin) {
    // An empty VERIFY is a status query [§6.2]: it answers 9000 when another program already verified
    // the PIN, so sending an empty PIN would "succeed" without a PIN. Refuse it here.
    if (pin.empty()) throw Error(ErrorCode::InvalidPin, "empty PIN refused");
    // [§6.2] The PIN goes as plain UTF-8 bytes, no padding.
    auto r = send_secret(CommandApdu(kCla, kInsVerify, 0x00, static_cast<std::uint8_t>(password), Bytes(pin.bytes().begin(), pin.bytes().end())));
    if (!r.is_success())
        throw_secret_refused(*this, r.sw, password == Password::Pw3 ? Secret::AdminPin : Secret::UserPin, "VERIFY");
}

namespace {
// [§6.2, §6.3] An OpenPGP PIN is its plain bytes, no padding: the reader puts the digits typed after the
// command header and sets Lc.
PinPadFormat variable_length_ascii(std::size_t min_length, std::size_t max_length) {
    PinPadFormat format;
    format.encoding = PinPadFormat::Encoding::Ascii;
    format.block_bytes = 0;
    format.min_digits = static_cast<std::uint8_t>(std::min<std::size_t>(min_length, 0xFF));
    format.max_digits = static_cast<std::uint8_t>(std::min<std::size_t>(max_length, 0xFF));
    return format;
}
}  // namespace

void OpenPgpCard::verify_on_pin_pad(Password password, PinPad& pad, std::size_t min_length, std::size_t max_length) {
    const PinPadFormat format = variable_length_ascii(min_length, max_length);
    const std::uint8_t header[4] = {kCla, kInsVerify, 0x00, static_cast<std::uint8_t>(password)};
    const StatusWord status = pad.verify_pin_direct(pin_verify_structure(header, format));
    check_pin_pad_status(status);
    if (status != sw::kSuccess)
        throw_secret_refused(*this, status, password == Password::Pw3 ? Secret::AdminPin : Secret::UserPin, "VERIFY (PIN pad)");
}

bool OpenPgpCard::logout(Password password) {
    // OpenPGP card 3.4 §7.2.2 [§6.2]: VERIFY P1 = FF, no data, resets the reference's status (3.1+).
    // Older cards answer "wrong P1/P2" or "INS not supported": the caller falls back on a reset.
    auto r = send(CommandApdu(kCla, kInsVerify, 0xFF, static_cast<std::uint8_t>(password)));
    if (r.is_success()) return true;
    if (r.sw.value == 0x6A86 || r.sw.value == 0x6B00 || r.sw.value == 0x6D00) return false;
    throw_status(r.sw, "VERIFY (logout)");
}

std::optional<int> OpenPgpCard::verification_status(Password password) {
    auto r = send(CommandApdu(kCla, kInsVerify, 0x00, static_cast<std::uint8_t>(password)));
    if (r.is_success()) return std::nullopt;
    if (r.sw.is_counter()) return r.sw.counter();
    if (r.sw == sw::kAuthenticationBlocked) return 0;
    throw_status(r.sw, "VERIFY (status)");
}

void OpenPgpCard::change_reference_data(Password password, const Pin& current, const Pin& replacement) {
    // [§6.3] old ‖ new; the card splits them by the stored length of the current secret.
    auto r = send_secret(CommandApdu(kCla, kInsChangeReferenceData, 0x00, static_cast<std::uint8_t>(password), joined(current, replacement)));
    if (!r.is_success())
        throw_secret_refused(*this, r.sw, password == Password::Pw3 ? Secret::AdminPin : Secret::UserPin, "CHANGE REFERENCE DATA");
}

void OpenPgpCard::change_reference_data_on_pin_pad(Password password, PinPad& pad, std::size_t min_length, std::size_t max_length) {
    // [§6.3] old ‖ new: the reader concatenates what is typed and sets Lc.
    const PinPadFormat format = variable_length_ascii(min_length, max_length);
    const std::uint8_t header[4] = {kCla, kInsChangeReferenceData, 0x00, static_cast<std::uint8_t>(password)};
    const StatusWord status = pad.modify_pin_direct(pin_modify_structure(header, format));
    check_pin_pad_status(status);
    if (status != sw::kSuccess)
        throw_secret_refused(*this, status, password == Password::Pw3 ? Secret::AdminPin : Secret::UserPin, "CHANGE REFERENCE DATA (PIN pad)");
}

void OpenPgpCard::reset_retry_counter_with_resetting_code(const Pin& resetting_code, const Pin& new_pw1) {
    auto r = send_secret(CommandApdu(kCla, kInsResetRetryCounter, 0x00, 0x81, joined(resetting_code, new_pw1)));
    if (!r.is_success()) throw_secret_refused(*this, r.sw, Secret::ResettingCode, "RESET RETRY COUNTER");
}

void OpenPgpCard::reset_retry_counter_as_admin(const Pin& new_pw1) {
    auto r = send_secret(CommandApdu(kCla, kInsResetRetryCounter, 0x02, 0x81, Bytes(new_pw1.bytes().begin(), new_pw1.bytes().end())));
    if (r.sw == sw::kWrongLength || r.sw == sw::kIncorrectData)
        throw Error(ErrorCode::InvalidPin, "new User PIN has an invalid length", std::nullopt, r.sw);
    expect_success(r, "RESET RETRY COUNTER");
}

void OpenPgpCard::set_algorithm(KeySlot slot, KeyType type) {
    put_data(static_cast<std::uint16_t>(0xC0 + static_cast<int>(slot)), encode_algorithm_attributes(type, slot));
    if (app_data_) app_data_->algorithms[slot_index(slot)] = type;
}

std::optional<KeyType> OpenPgpCard::slot_algorithm(KeySlot slot) {
    if (!app_data_) read_application_data();
    return app_data_->algorithms[slot_index(slot)];
}

PublicKey OpenPgpCard::parse_public_key(ByteView response, KeySlot slot) {
    auto outer = find_tlv(response, 0x7F49);
    if (!outer) throw Error(ErrorCode::ProtocolError, "public key response lacks DO 7F49");
    auto type = slot_algorithm(slot);
    if (!type) throw Error(ErrorCode::NotSupported, "key slot holds an algorithm qscd does not support");
    PublicKey key;
    key.type = *type;
    if (is_rsa(*type)) {
        auto n = find_tlv(outer->value, 0x81);
        auto e = find_tlv(outer->value, 0x82);
        if (!n || !e) throw Error(ErrorCode::ProtocolError, "RSA public key lacks modulus or exponent");
        key.modulus.assign(n->value.begin(), n->value.end());
        key.exponent.assign(e->value.begin(), e->value.end());
        if (key.modulus.size() != key_bits(*type) / 8)
            throw Error(ErrorCode::ProtocolError, "RSA modulus length does not match the algorithm attributes");
        key.spki = spki_from_rsa(key.modulus, key.exponent);
    } else {
        auto p = find_tlv(outer->value, 0x86);
        if (!p || p->value.size() != 1 + 2 * ec_field_size(*type) || p->value[0] != 0x04)
            throw Error(ErrorCode::ProtocolError, "EC public point missing or malformed");
        key.point.assign(p->value.begin(), p->value.end());
        key.spki = spki_from_ec_point(*type, key.point);
    }
    return key;
}

PublicKey OpenPgpCard::generate_key(KeySlot slot) {
    // [§9.1] 00 47 80 00 <CRT> — RSA-4096 key generation can take a while on real cards.
    auto r = send(CommandApdu(kCla, kInsGenerate, 0x80, 0x00, {crt_tag(slot), 0x00}, 65536));
    expect_success(r, "GENERATE ASYMMETRIC KEY PAIR");
    return parse_public_key(r.data, slot);
}

PublicKey OpenPgpCard::read_public_key(KeySlot slot) {
    auto r = send(CommandApdu(kCla, kInsGenerate, 0x81, 0x00, {crt_tag(slot), 0x00}, 65536));
    expect_success(r, "read public key");
    return parse_public_key(r.data, slot);
}

void OpenPgpCard::write_fingerprint(KeySlot slot, ByteView fingerprint) {
    put_data(static_cast<std::uint16_t>(0xC6 + static_cast<int>(slot)), fingerprint);
}

void OpenPgpCard::write_generation_time(KeySlot slot, std::uint32_t time) {
    put_data(static_cast<std::uint16_t>(0xCD + static_cast<int>(slot)), be32(time));
}

Bytes OpenPgpCard::compute_digital_signature(ByteView input) {
    // [§8] PSO:COMPUTE DIGITAL SIGNATURE: DigestInfo for RSA, the bare hash for ECDSA.
    auto r = send(CommandApdu(kCla, kInsPso, 0x9E, 0x9A, Bytes(input.begin(), input.end()), 65536));
    if (r.sw == sw::kSecurityStatusNotSatisfied)
        throw Error(ErrorCode::PinRequired, "the card requires the User PIN for this signature", std::nullopt, r.sw);
    expect_success(r, "PSO:COMPUTE DIGITAL SIGNATURE");
    return std::move(r.data);
}

std::uint32_t OpenPgpCard::signature_counter() {
    // [§8.2] 7A 05 93 03 <counter>; accept 7A with or without its outer tag.
    Bytes raw = get_data(0x007A);
    auto counter = find_tlv_recursive(raw, 0x93);
    if (!counter || counter->value.size() != 3) throw Error(ErrorCode::ProtocolError, "signature counter (93) malformed");
    return static_cast<std::uint32_t>(counter->value[0] << 16 | counter->value[1] << 8 | counter->value[2]);
}

void OpenPgpCard::select_certificate(KeySlot slot) {
    // [§10] occurrence 0 = AUT, 1 = DEC, 2 = SIG.
    const std::uint8_t occurrence = static_cast<std::uint8_t>(3 - static_cast<int>(slot));
    auto r = send(CommandApdu(kCla, kInsSelectData, occurrence, 0x04, {0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21}));
    expect_success(r, "SELECT DATA 7F21");
}

Bytes OpenPgpCard::read_certificate(KeySlot slot) {
    select_certificate(slot);
    return get_data(0x7F21);
}

void OpenPgpCard::write_certificate(KeySlot slot, ByteView der) {
    select_certificate(slot);
    put_data(0x7F21, der);
}

Bytes OpenPgpCard::get_challenge(std::size_t length) {
    auto r = send(CommandApdu(kCla, kInsGetChallenge, 0, 0, {}, static_cast<std::uint32_t>(length)));
    expect_success(r, "GET CHALLENGE");
    if (r.data.size() != length) throw Error(ErrorCode::ProtocolError, "GET CHALLENGE returned a wrong length");
    return std::move(r.data);
}

void OpenPgpCard::terminate() { expect_success(send(CommandApdu(kCla, kInsTerminate, 0, 0)), "TERMINATE DF"); }
void OpenPgpCard::activate() {
    expect_success(send(CommandApdu(kCla, kInsActivate, 0, 0)), "ACTIVATE FILE");
    app_data_.reset();
}

}  // namespace qscd::openpgp
