// OpenPGP card application 3.4, card side. Section numbers refer to openpgp-card.md (the project's
// digest of the OpenPGP smart card application spec 3.4); ISO references to iso7816.md.
#include "qscd/sim/openpgp_applet.hpp"

#include <algorithm>
#include <cstring>

extern "C" {  // these mbedTLS 3.6 headers lack C++ linkage guards
#include <mbedtls/constant_time.h>
}
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
extern "C" {  // these mbedTLS 3.6 headers lack C++ linkage guards
#include <mbedtls/psa_util.h>
}
#include <mbedtls/rsa.h>

#include "qscd/codec/tlv.hpp"

namespace qscd::sim {

namespace {

// Status words (iso7816.md §2).
constexpr std::uint16_t kOk = 0x9000;
constexpr std::uint16_t kTerminated = 0x6285;
constexpr std::uint16_t kMemoryFailure = 0x6581;
constexpr std::uint16_t kWrongLength = 0x6700;
constexpr std::uint16_t kSecurity = 0x6982;
constexpr std::uint16_t kBlocked = 0x6983;
constexpr std::uint16_t kConditions = 0x6985;
constexpr std::uint16_t kBadData = 0x6A80;
constexpr std::uint16_t kFuncNotSupported = 0x6A81;
constexpr std::uint16_t kNotEnoughMemory = 0x6A84;
constexpr std::uint16_t kBadP1P2 = 0x6A86;
constexpr std::uint16_t kNotFound = 0x6A88;
constexpr std::uint16_t kInsNotSupported = 0x6D00;
constexpr std::uint16_t kNoPrecise = 0x6F00;

ApduReply sw_only(std::uint16_t sw) { return ApduReply{0, sw}; }

constexpr std::uint8_t kOidP256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr std::uint8_t kOidP384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};

// DO 5F52 historical bytes (§3.4): category 00, card service data, capabilities
// (chaining + extended Lc/Le), LCS 05 + 9000.
constexpr std::uint8_t kHistorical[] = {0x00, 0x31, 0xC5, 0x73, 0xC0, 0x01, 0xC0, 0x05, 0x90, 0x00};

// DO C0 extended capabilities (§4): GET CHALLENGE, key import, PW status changeable, private DOs,
// attributes changeable (0x7C); no SM; challenge ≤ 0x0800; certificate ≤ 0x1000;
// special DOs ≤ 0xFF; no PIN block 2; no MSE.
constexpr std::uint8_t kExtendedCapabilities[] = {
    0x7C, 0x00,
    static_cast<std::uint8_t>(kMaxChallenge >> 8), static_cast<std::uint8_t>(kMaxChallenge & 0xFF),
    static_cast<std::uint8_t>(kMaxCertificate >> 8), static_cast<std::uint8_t>(kMaxCertificate & 0xFF),
    0x00, static_cast<std::uint8_t>(kMaxSpecialDo), 0x00, 0x00};

// DO 7F66 extended length information (§3.1): max command / response bytes.
constexpr std::uint8_t kExtendedLengthInfo[] = {
    0x02, 0x02, static_cast<std::uint8_t>(kMaxCommandData >> 8), static_cast<std::uint8_t>(kMaxCommandData & 0xFF),
    0x02, 0x02, static_cast<std::uint8_t>(kMaxResponseData >> 8), static_cast<std::uint8_t>(kMaxResponseData & 0xFF)};

constexpr std::uint8_t kAttrRsa2048[] = {0x01, 0x08, 0x00, 0x00, 0x20, 0x00};
constexpr std::uint8_t kAttrRsa3072[] = {0x01, 0x0C, 0x00, 0x00, 0x20, 0x00};
constexpr std::uint8_t kAttrRsa4096[] = {0x01, 0x10, 0x00, 0x00, 0x20, 0x00};
constexpr std::uint8_t kAttrEcdsaP256[] = {0x13, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr std::uint8_t kAttrEcdsaP384[] = {0x13, 0x2B, 0x81, 0x04, 0x00, 0x22};
constexpr std::uint8_t kAttrEcdhP256[] = {0x12, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr std::uint8_t kAttrEcdhP384[] = {0x12, 0x2B, 0x81, 0x04, 0x00, 0x22};

constexpr std::uint8_t kDefaultPw1[] = {'1', '2', '3', '4', '5', '6'};
constexpr std::uint8_t kDefaultPw3[] = {'1', '2', '3', '4', '5', '6', '7', '8'};
constexpr std::size_t kPw1MinLength = 6;
constexpr std::size_t kPw3MinLength = 8;
constexpr std::size_t kRcMinLength = 8;

enum class AlgoKind { None, Rsa, Ecdsa, Ecdh };

struct Algo {
    AlgoKind kind = AlgoKind::None;
    unsigned rsa_bits = 0;
    mbedtls_ecp_group_id curve = MBEDTLS_ECP_DP_NONE;
    std::size_t field_bytes = 0;
    mbedtls_md_type_t ec_md = MBEDTLS_MD_NONE;  // HMAC-DRBG hash for deterministic ECDSA nonces
};

bool equal(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

// Algorithm attributes (§5.1, §5.2) → what this card supports for `slot`, or kind None.
Algo decode_attributes(ByteView attr, std::size_t slot) {
    Algo a;
    if (attr.empty()) return a;
    if (attr[0] == 0x01) {  // RSA: 01 <n bits 2> <e bits 2> [format]
        if (attr.size() != 5 && attr.size() != 6) return a;
        const unsigned bits = static_cast<unsigned>(attr[1] << 8 | attr[2]);
        const unsigned ebits = static_cast<unsigned>(attr[3] << 8 | attr[4]);
        if (bits != 2048 && bits != 3072 && bits != 4096) return a;
        if (ebits < 17 || ebits > 32) return a;
        if (attr.size() == 6 && attr[5] > 0x03) return a;
        a.kind = AlgoKind::Rsa;
        a.rsa_bits = bits;
        return a;
    }
    if (attr[0] == 0x13 || attr[0] == 0x12) {  // ECDSA / ECDH: id <oid> [00|FF]
        if (attr[0] == 0x13 && slot == kSlotDec) return a;
        if (attr[0] == 0x12 && slot != kSlotDec) return a;
        ByteView oid = attr.subspan(1);
        if (!oid.empty() && (oid.back() == 0x00 || oid.back() == 0xFF)) oid = oid.first(oid.size() - 1);
        if (equal(oid, ByteView(kOidP256, sizeof kOidP256))) {
            a.curve = MBEDTLS_ECP_DP_SECP256R1;
            a.field_bytes = 32;
            a.ec_md = MBEDTLS_MD_SHA256;
        } else if (equal(oid, ByteView(kOidP384, sizeof kOidP384))) {
            a.curve = MBEDTLS_ECP_DP_SECP384R1;
            a.field_bytes = 48;
            a.ec_md = MBEDTLS_MD_SHA384;
        } else {
            return a;
        }
        a.kind = attr[0] == 0x13 ? AlgoKind::Ecdsa : AlgoKind::Ecdh;
    }
    return a;
}

// Slot of a control reference template tag (§1 table): B6 SIG, B8 DEC, A4 AUT.
int slot_of_crt(std::uint32_t tag) {
    switch (tag) {
        case 0xB6: return kSlotSig;
        case 0xB8: return kSlotDec;
        case 0xA4: return kSlotAut;
        default: return -1;
    }
}

}  // namespace

OpenPgpApplet::OpenPgpApplet(Storage& storage, Random& random, Clock& clock, CardOptions options)
    : storage_(storage), random_(random), clock_(clock), options_(options) {
    for (auto& k : keys_) mbedtls_pk_init(&k);
}

OpenPgpApplet::~OpenPgpApplet() {
    for (std::size_t i = 0; i < keys_.size(); ++i) free_key(i);
    mbedtls_platform_zeroize(image_.data(), image_.size());
}

std::array<std::uint8_t, 16> OpenPgpApplet::aid() const {
    // §2.1: RID D2 76 00 01 24, app 01, version 3.4, manufacturer FFFF (= test card), serial, RFU.
    return {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04, 0xFF, 0xFF,
            state_.serial[0], state_.serial[1], state_.serial[2], state_.serial[3], 0x00, 0x00};
}

void OpenPgpApplet::free_key(std::size_t slot) {
    mbedtls_pk_free(&keys_[slot]);
    mbedtls_pk_init(&keys_[slot]);
    key_ready_[slot] = false;
}

bool OpenPgpApplet::parse_keys() {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        free_key(i);
        const auto& der = state_.slots[i].key_der;
        if (der.empty()) continue;
        if (mbedtls_pk_parse_key(&keys_[i], der.data.data(), der.length, nullptr, 0, &Random::mbedtls_rng,
                                 &random_) != 0)
            return false;
        key_ready_[i] = true;
    }
    return true;
}

Result<LoadedState, StateError> OpenPgpApplet::load() {
    std::size_t size = 0;
    const StorageStatus st = storage_.load(image_, size);
    if (st == StorageStatus::NotFound) return fail(StateError::NotFound);
    if (st == StorageStatus::TooLarge) return fail(StateError::Corrupted);
    if (st != StorageStatus::Ok) return fail(StateError::IoError);
    auto parsed = parse_state(ByteView(image_.data(), size), committed_);
    if (!parsed) {
        committed_ = state_;
        return parsed;
    }
    const CardState previous = state_;
    state_ = committed_;
    if (!parse_keys()) {
        state_ = previous;
        committed_ = previous;
        parse_keys();
        return fail(StateError::Corrupted);
    }
    generation_ = parsed->generation;
    loaded_ = true;
    return parsed;
}

void OpenPgpApplet::factory_defaults(const std::array<std::uint8_t, 4>& serial) {
    state_ = CardState{};
    state_.serial = serial;
    state_.life_cycle = kLifeCycleOperational;
    state_.pw1_policy = 0x00;  // §6.1: PW1 valid for one PSO:CDS
    set_secret(state_.pw1, ByteView(kDefaultPw1, sizeof kDefaultPw1));
    set_secret(state_.pw3, ByteView(kDefaultPw3, sizeof kDefaultPw3));
    state_.rc = PinRecord{};
    state_.rc.length = 0;
    state_.rc.retries = 0;  // resetting code not set
    state_.slots[kSlotSig].attributes.assign(ByteView(kAttrEcdsaP256, sizeof kAttrEcdsaP256));
    state_.slots[kSlotDec].attributes.assign(ByteView(kAttrRsa2048, sizeof kAttrRsa2048));
    state_.slots[kSlotAut].attributes.assign(ByteView(kAttrRsa2048, sizeof kAttrRsa2048));
}

StorageStatus OpenPgpApplet::format(const std::array<std::uint8_t, 4>& serial) {
    factory_defaults(serial);
    for (std::size_t i = 0; i < keys_.size(); ++i) free_key(i);
    const std::size_t n = serialize_state(state_, generation_ + 1, image_);
    if (n == 0) return StorageStatus::IoError;
    const StorageStatus st = storage_.commit(ByteView(image_.data(), n));
    if (st != StorageStatus::Ok) return st;
    committed_ = state_;
    ++generation_;
    loaded_ = true;
    clear_volatile();
    return StorageStatus::Ok;
}

bool OpenPgpApplet::commit() {
    const std::size_t n = serialize_state(state_, generation_ + 1, image_);
    if (n == 0 || storage_.commit(ByteView(image_.data(), n)) != StorageStatus::Ok) {
        state_ = committed_;  // roll back the working copy: memory never runs ahead of storage
        return false;
    }
    committed_ = state_;
    ++generation_;
    return true;
}

void OpenPgpApplet::clear_volatile() {
    pw1_81_ = pw1_82_ = pw3_ = false;
    cert_occurrence_ = 0;
}

std::uint16_t OpenPgpApplet::select() {
    // §2.2: SELECT clears PW1/PW3 status and SELECT DATA; terminated state answers 6285 (§11).
    clear_volatile();
    return state_.life_cycle == kLifeCycleTerminated ? kTerminated : kOk;
}

// ---- PINs (§6) --------------------------------------------------------------------------------

bool OpenPgpApplet::set_secret(PinRecord& record, ByteView secret) {
    PinRecord r;
    r.length = static_cast<std::uint8_t>(secret.size());
    r.retries = kPinMaxRetries;
    r.iterations = options_.pin_iterations;
    random_.fill(r.salt);
    if (mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, secret.data(), secret.size(), r.salt.data(), r.salt.size(),
                                      r.iterations, static_cast<std::uint32_t>(r.hash.size()), r.hash.data()) != 0)
        return false;
    record = r;
    mbedtls_platform_zeroize(&r, sizeof r);
    return true;
}

// Security rule: the retry counter is decremented and committed BEFORE the comparison, so cutting
// the power during VERIFY cannot give a free try. On success it is reset and committed again.
std::uint16_t OpenPgpApplet::check_secret(PinRecord& record, ByteView secret) {
    if (record.retries == 0) return kBlocked;
    --record.retries;
    if (!commit()) return kMemoryFailure;  // commit() rolled the counter back; nothing compared
    std::uint8_t digest[kPinHashSize];
    const int rc = mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, secret.data(), secret.size(), record.salt.data(),
                                                 record.salt.size(), record.iterations, sizeof digest, digest);
    const bool same_hash = mbedtls_ct_memcmp(digest, record.hash.data(), sizeof digest) == 0;
    mbedtls_platform_zeroize(digest, sizeof digest);
    if (rc != 0 || !same_hash || secret.size() != record.length) return kSecurity;
    record.retries = kPinMaxRetries;
    if (!commit()) return kMemoryFailure;
    return kOk;
}

// VERIFY 00 20 P1 P2 [PIN] — §6.2.
ApduReply OpenPgpApplet::verify(const ApduCommand& c) {
    if ((c.p1 != 0x00 && c.p1 != 0xFF) || (c.p2 != 0x81 && c.p2 != 0x82 && c.p2 != 0x83)) return sw_only(kBadP1P2);
    bool& flag = c.p2 == 0x81 ? pw1_81_ : c.p2 == 0x82 ? pw1_82_ : pw3_;
    PinRecord& record = c.p2 == 0x83 ? state_.pw3 : state_.pw1;
    if (c.p1 == 0xFF) {  // §6.2: 00 20 FF 8x → reset the mode's status (3.1+)
        if (!c.data.empty()) return sw_only(kWrongLength);
        flag = false;
        return sw_only(kOk);
    }
    if (c.data.empty()) {  // empty VERIFY: status query
        if (flag) return sw_only(kOk);
        return sw_only(static_cast<std::uint16_t>(0x63C0 | (record.retries & 0x0F)));
    }
    const std::size_t min = c.p2 == 0x83 ? kPw3MinLength : kPw1MinLength;
    if (c.data.size() < min || c.data.size() > kPinMaxLength) return sw_only(kWrongLength);
    flag = false;
    const std::uint16_t sw = check_secret(record, c.data);
    if (sw == kOk) flag = true;
    return sw_only(sw);
}

// CHANGE REFERENCE DATA 00 24 00 81|83 old‖new — §6.3 (split by the stored length).
ApduReply OpenPgpApplet::change_reference_data(const ApduCommand& c) {
    if (c.p1 != 0x00 || (c.p2 != 0x81 && c.p2 != 0x83)) return sw_only(kBadP1P2);
    PinRecord& record = c.p2 == 0x83 ? state_.pw3 : state_.pw1;
    const std::size_t min = c.p2 == 0x83 ? kPw3MinLength : kPw1MinLength;
    if (c.data.size() < 2 * min || c.data.size() > 2 * kPinMaxLength) return sw_only(kWrongLength);
    if (record.retries == 0) return sw_only(kBlocked);
    const std::size_t old_length = std::min<std::size_t>(record.length, c.data.size());
    const ByteView new_pin = c.data.subspan(old_length);
    const bool new_ok = new_pin.size() >= min && new_pin.size() <= kPinMaxLength;
    // A split that leaves no valid new PIN is still checked (and counted) as a wrong old PIN.
    const std::uint16_t sw = check_secret(record, c.data.first(new_ok ? old_length : c.data.size()));
    if (sw != kOk) {
        if (c.p2 == 0x83) pw3_ = false; else pw1_81_ = pw1_82_ = false;
        return sw_only(sw);
    }
    if (!new_ok) return sw_only(kWrongLength);
    if (!set_secret(record, new_pin)) return sw_only(kNoPrecise);
    if (!commit()) return sw_only(kMemoryFailure);
    if (c.p2 == 0x81) pw1_81_ = pw1_82_ = false;
    return sw_only(kOk);
}

// RESET RETRY COUNTER 00 2C 00|02 81 — §6.3.
ApduReply OpenPgpApplet::reset_retry_counter(const ApduCommand& c) {
    if (c.p2 != 0x81 || (c.p1 != 0x00 && c.p1 != 0x02)) return sw_only(kBadP1P2);
    ByteView new_pin;
    if (c.p1 == 0x02) {  // after VERIFY 83: data = new PW1
        if (!pw3_) return sw_only(kSecurity);
        new_pin = c.data;
        if (new_pin.size() < kPw1MinLength || new_pin.size() > kPinMaxLength) return sw_only(kWrongLength);
    } else {  // resetting code ‖ new PW1
        if (!state_.rc.is_set()) return sw_only(kSecurity);
        if (state_.rc.retries == 0) return sw_only(kBlocked);
        if (c.data.size() < kRcMinLength + kPw1MinLength || c.data.size() > 2 * kPinMaxLength)
            return sw_only(kWrongLength);
        const std::size_t rc_length = std::min<std::size_t>(state_.rc.length, c.data.size());
        new_pin = c.data.subspan(rc_length);
        const bool new_ok = new_pin.size() >= kPw1MinLength && new_pin.size() <= kPinMaxLength;
        const std::uint16_t sw = check_secret(state_.rc, c.data.first(new_ok ? rc_length : c.data.size()));
        if (sw != kOk) return sw_only(sw);
        if (!new_ok) return sw_only(kWrongLength);
    }
    if (!set_secret(state_.pw1, new_pin)) return sw_only(kNoPrecise);
    if (!commit()) return sw_only(kMemoryFailure);
    pw1_81_ = pw1_82_ = false;
    return sw_only(kOk);
}

// ---- GET DATA (§3.2) ----------------------------------------------------------------------------

ApduReply OpenPgpApplet::write_do(std::uint32_t tag, std::span<std::uint8_t> out) {
    TlvWriter w(out);
    const auto aid_bytes = aid();
    auto put_c4 = [&](TlvWriter& tw, bool with_tag) {
        const std::uint8_t c4[7] = {state_.pw1_policy, 0x7F, 0x7F, 0x7F, state_.pw1.retries,
                                    static_cast<std::uint8_t>(state_.rc.is_set() ? state_.rc.retries : 0),
                                    state_.pw3.retries};
        if (with_tag) tw.put(0xC4, ByteView(c4, 7)); else tw.raw(ByteView(c4, 7));
    };
    auto put_fingerprints = [&](TlvWriter& tw, std::uint32_t t, bool ca) {
        std::uint8_t v[60];
        for (std::size_t i = 0; i < 3; ++i) {
            const auto& src = ca ? state_.slots[i].ca_fingerprint : state_.slots[i].fingerprint;
            std::copy(src.begin(), src.end(), v + 20 * i);
        }
        if (t) tw.put(t, ByteView(v, 60)); else tw.raw(ByteView(v, 60));
    };
    auto put_dates = [&](TlvWriter& tw, bool with_tag) {
        std::uint8_t v[12];
        for (std::size_t i = 0; i < 3; ++i)
            std::copy(state_.slots[i].generation_date.begin(), state_.slots[i].generation_date.end(), v + 4 * i);
        if (with_tag) tw.put(0xCD, ByteView(v, 12)); else tw.raw(ByteView(v, 12));
    };
    auto put_key_info = [&](TlvWriter& tw, bool with_tag) {
        const std::uint8_t v[6] = {0x01, state_.slots[0].key_status, 0x02, state_.slots[1].key_status,
                                   0x03, state_.slots[2].key_status};
        if (with_tag) tw.put(0xDE, ByteView(v, 6)); else tw.raw(ByteView(v, 6));
    };

    switch (tag) {
        case 0x004F: w.raw(aid_bytes); break;
        case 0x005E: w.raw(state_.login_data.view()); break;
        case 0x5F50: w.raw(state_.url.view()); break;
        case 0x5F52: w.raw(ByteView(kHistorical, sizeof kHistorical)); break;
        case 0x0065: {  // §3.2: with outer tag
            std::array<std::uint8_t, 64> inner{};
            TlvWriter iw(inner);
            iw.put(0x5B, state_.name.view());
            iw.put(0x5F2D, state_.language.view());
            iw.put(0x5F35, state_.salutation.view());
            w.put(0x65, iw.written());
            break;
        }
        case 0x006E: {  // §3.3 layout, with outer tag
            std::array<std::uint8_t, 320> d73{};
            TlvWriter dw(d73);
            dw.put(0xC0, ByteView(kExtendedCapabilities, sizeof kExtendedCapabilities));
            dw.put(0xC1, state_.slots[0].attributes.view());
            dw.put(0xC2, state_.slots[1].attributes.view());
            dw.put(0xC3, state_.slots[2].attributes.view());
            put_c4(dw, true);
            put_fingerprints(dw, 0xC5, false);
            put_fingerprints(dw, 0xC6, true);
            put_dates(dw, true);
            put_key_info(dw, true);
            std::array<std::uint8_t, 400> d6e{};
            TlvWriter ew(d6e);
            ew.put(0x4F, aid_bytes);
            ew.put(0x5F52, ByteView(kHistorical, sizeof kHistorical));
            ew.put(0x7F66, ByteView(kExtendedLengthInfo, sizeof kExtendedLengthInfo));
            ew.put(0x73, dw.written());
            if (dw.overflowed() || ew.overflowed()) return sw_only(kNoPrecise);
            w.put(0x6E, ew.written());
            break;
        }
        case 0x007A: {  // §8.2: 7A 05 93 03 <counter>
            const std::uint32_t n = state_.signature_counter;
            const std::uint8_t v[5] = {0x93, 0x03, static_cast<std::uint8_t>(n >> 16),
                                       static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
            w.put(0x7A, ByteView(v, 5));
            break;
        }
        case 0x00C0: w.raw(ByteView(kExtendedCapabilities, sizeof kExtendedCapabilities)); break;
        case 0x00C1: w.raw(state_.slots[0].attributes.view()); break;
        case 0x00C2: w.raw(state_.slots[1].attributes.view()); break;
        case 0x00C3: w.raw(state_.slots[2].attributes.view()); break;
        case 0x00C4: put_c4(w, false); break;
        case 0x00C5: put_fingerprints(w, 0, false); break;
        case 0x00C6: put_fingerprints(w, 0, true); break;
        case 0x00CD: put_dates(w, false); break;
        case 0x00DE: put_key_info(w, false); break;
        case 0x7F21:  // §10: occurrence 0 = AUT, 1 = DEC, 2 = SIG
            w.raw(state_.slots[2 - cert_occurrence_].certificate.view());
            break;
        case 0x7F66: w.put(0x7F66, ByteView(kExtendedLengthInfo, sizeof kExtendedLengthInfo)); break;
        case 0x00F9: {  // §6.4: KDF-DO, no KDF
            const std::uint8_t v[3] = {0x81, 0x01, 0x00};
            w.raw(ByteView(v, 3));
            break;
        }
        case 0x00FA: {  // §5.4: algorithm information, with outer tag
            std::array<std::uint8_t, 200> fa{};
            TlvWriter fw(fa);
            for (std::uint32_t t : {0xC1u, 0xC2u, 0xC3u}) {
                fw.put(t, ByteView(kAttrRsa2048, sizeof kAttrRsa2048));
                fw.put(t, ByteView(kAttrRsa3072, sizeof kAttrRsa3072));
                fw.put(t, ByteView(kAttrRsa4096, sizeof kAttrRsa4096));
                if (t == 0xC2) {
                    fw.put(t, ByteView(kAttrEcdhP256, sizeof kAttrEcdhP256));
                    fw.put(t, ByteView(kAttrEcdhP384, sizeof kAttrEcdhP384));
                } else {
                    fw.put(t, ByteView(kAttrEcdsaP256, sizeof kAttrEcdsaP256));
                    fw.put(t, ByteView(kAttrEcdsaP384, sizeof kAttrEcdsaP384));
                }
            }
            if (fw.overflowed()) return sw_only(kNoPrecise);
            w.put(0xFA, fw.written());
            break;
        }
        case 0x0101: w.raw(state_.private_do[0].view()); break;
        case 0x0102: w.raw(state_.private_do[1].view()); break;
        case 0x0103:  // §3.1: read needs PW1 (82)
            if (!pw1_82_) return sw_only(kSecurity);
            w.raw(state_.private_do[2].view());
            break;
        case 0x0104:  // read needs PW3
            if (!pw3_) return sw_only(kSecurity);
            w.raw(state_.private_do[3].view());
            break;
        default: return sw_only(kNotFound);
    }
    if (w.overflowed()) return sw_only(kNoPrecise);
    return ApduReply{w.size(), kOk};
}

// GET DATA 00 CA P1 P2 (P1P2 = tag) — §3.2.
ApduReply OpenPgpApplet::get_data(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (!c.data.empty()) return sw_only(kWrongLength);
    return write_do(static_cast<std::uint32_t>(c.p1 << 8 | c.p2), out);
}

// GET NEXT DATA 00 CC 7F 21 — §10: next certificate occurrence.
ApduReply OpenPgpApplet::get_next_data(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x7F || c.p2 != 0x21) return sw_only(kNotFound);
    if (!c.data.empty()) return sw_only(kWrongLength);
    if (cert_occurrence_ >= 2) return sw_only(kNotFound);
    ++cert_occurrence_;
    return write_do(0x7F21, out);
}

// SELECT DATA 00 A5 <occurrence> 04 [len] 60 04 5C 02 7F 21 — §10 (also the YubiKey ≤ 5.4.3 form).
ApduReply OpenPgpApplet::select_data(const ApduCommand& c) {
    if (c.p2 != 0x04) return sw_only(kBadP1P2);
    if (c.p1 > 2) return sw_only(kNotFound);
    static constexpr std::uint8_t kTagList[] = {0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21};
    ByteView d = c.data;
    if (d.size() == sizeof kTagList + 1 && d[0] == sizeof kTagList) d = d.subspan(1);
    if (d.empty()) return sw_only(kWrongLength);
    if (!equal(d, ByteView(kTagList, sizeof kTagList))) return sw_only(kBadData);
    cert_occurrence_ = c.p1;
    return sw_only(kOk);
}

// ---- PUT DATA (§3.1, §5.3, §6.1, §6.3, §10) --------------------------------------------------

ApduReply OpenPgpApplet::put_data(const ApduCommand& c) {
    const auto tag = static_cast<std::uint32_t>(c.p1 << 8 | c.p2);
    const ByteView v = c.data;
    auto need_pw3 = [&]() { return pw3_; };
    auto store = [&](auto& field, std::size_t max) -> ApduReply {
        if (!need_pw3()) return sw_only(kSecurity);
        if (v.size() > max) return sw_only(kWrongLength);
        field.assign(v);
        return sw_only(commit() ? kOk : kMemoryFailure);
    };
    switch (tag) {
        case 0x005E: return store(state_.login_data, kMaxSpecialDo);
        case 0x5F50: return store(state_.url, kMaxSpecialDo);
        case 0x005B: return store(state_.name, kMaxName);
        case 0x5F2D: return store(state_.language, kMaxLanguage);
        case 0x5F35: return store(state_.salutation, 1);
        case 0x0101:
        case 0x0103: {  // private DOs 1 and 3: PW1 (82)
            if (!pw1_82_) return sw_only(kSecurity);
            if (v.size() > kMaxSpecialDo) return sw_only(kWrongLength);
            state_.private_do[tag == 0x0101 ? 0 : 2].assign(v);
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x0102: return store(state_.private_do[1], kMaxSpecialDo);
        case 0x0104: return store(state_.private_do[3], kMaxSpecialDo);
        case 0x00C1:
        case 0x00C2:
        case 0x00C3: {  // §5.3: supported algorithms only; a change deletes the slot's key
            if (!need_pw3()) return sw_only(kSecurity);
            const std::size_t slot = tag - 0xC1;
            if (v.empty() || v.size() > kMaxAttributes) return sw_only(kWrongLength);
            if (decode_attributes(v, slot).kind == AlgoKind::None) return sw_only(kBadData);
            KeySlot& ks = state_.slots[slot];
            const bool changed = !equal(v, ks.attributes.view());
            ks.attributes.assign(v);
            if (changed) {
                ks.key_der.clear();
                ks.key_status = 0;
                ks.fingerprint.fill(0);
                ks.generation_date.fill(0);
                if (slot == kSlotSig) state_.signature_counter = 0;
            }
            if (!commit()) return sw_only(kMemoryFailure);
            if (changed) free_key(slot);
            return sw_only(kOk);
        }
        case 0x00C4: {  // §6.1: exactly one byte, 00 or 01
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() != 1) return sw_only(kWrongLength);
            if (v[0] > 0x01) return sw_only(kBadData);
            state_.pw1_policy = v[0];
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x00C7: case 0x00C8: case 0x00C9:
        case 0x00CA: case 0x00CB: case 0x00CC: {
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() != 20) return sw_only(kWrongLength);
            auto& dst = tag <= 0xC9 ? state_.slots[tag - 0xC7].fingerprint : state_.slots[tag - 0xCA].ca_fingerprint;
            std::copy(v.begin(), v.end(), dst.begin());
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x00CE: case 0x00CF: case 0x00D0: {
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() != 4) return sw_only(kWrongLength);
            auto& dst = state_.slots[tag - 0xCE].generation_date;
            std::copy(v.begin(), v.end(), dst.begin());
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x00D3: {  // §6.3: resetting code; empty deletes
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.empty()) {
                state_.rc = PinRecord{};
                state_.rc.retries = 0;
            } else {
                if (v.size() < kRcMinLength || v.size() > kPinMaxLength) return sw_only(kWrongLength);
                if (!set_secret(state_.rc, v)) return sw_only(kNoPrecise);
            }
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x7F21: {  // §10: certificate of the SELECT DATA occurrence; empty deletes
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() > kMaxCertificate) return sw_only(kNotEnoughMemory);
            state_.slots[2 - cert_occurrence_].certificate.assign(v);
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        default: return sw_only(kNotFound);
    }
}

// ---- keys (§9, §8) ----------------------------------------------------------------------------

std::size_t OpenPgpApplet::write_public_key(std::size_t slot, std::span<std::uint8_t> out) {
    mbedtls_pk_context& pk = keys_[slot];
    std::array<std::uint8_t, 600> inner{};
    TlvWriter iw(inner);
    if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
        const mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
        std::array<std::uint8_t, 512> n{};
        std::array<std::uint8_t, 8> e{};
        const std::size_t nlen = mbedtls_rsa_get_len(rsa);
        if (nlen > n.size()) return 0;
        if (mbedtls_rsa_export_raw(rsa, n.data(), nlen, nullptr, 0, nullptr, 0, nullptr, 0, e.data(), e.size()) != 0)
            return 0;
        std::size_t skip = 0;
        while (skip + 1 < e.size() && e[skip] == 0) ++skip;
        iw.put(0x81, ByteView(n.data(), nlen));
        iw.put(0x82, ByteView(e.data() + skip, e.size() - skip));
    } else {
        std::array<std::uint8_t, 133> point{};
        std::size_t plen = 0;
        if (mbedtls_ecp_write_public_key(mbedtls_pk_ec(pk), MBEDTLS_ECP_PF_UNCOMPRESSED, &plen, point.data(),
                                         point.size()) != 0)
            return 0;
        iw.put(0x86, ByteView(point.data(), plen));
    }
    TlvWriter w(out);
    w.put(0x7F49, iw.written());
    if (iw.overflowed() || w.overflowed()) return 0;
    return w.size();
}

// GENERATE ASYMMETRIC KEY PAIR 00 47 80|81 00 <CRT> — §9.1.
ApduReply OpenPgpApplet::generate(const ApduCommand& c, std::span<std::uint8_t> out) {
    if ((c.p1 != 0x80 && c.p1 != 0x81) || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (c.data.empty()) return sw_only(kWrongLength);
    ByteView in = c.data;
    auto crt = parse_tlv(in);
    if (!crt || !in.empty()) return sw_only(kBadData);
    const int slot_i = slot_of_crt(crt->tag);
    if (slot_i < 0) return sw_only(kBadData);
    const auto slot = static_cast<std::size_t>(slot_i);
    if (!crt->value.empty()) {  // B6 03 84 01 <key ref> form
        const std::uint8_t expect[3] = {0x84, 0x01, static_cast<std::uint8_t>(slot + 1)};
        if (!equal(crt->value, ByteView(expect, 3))) return sw_only(kBadData);
    }
    if (c.p1 == 0x81) {  // read the public key
        if (!key_ready_[slot]) return sw_only(kNotFound);
        const std::size_t n = write_public_key(slot, out);
        return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
    }
    if (!pw3_) return sw_only(kSecurity);
    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = -1;
    if (algo.kind == AlgoKind::Rsa) {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), &Random::mbedtls_rng, &random_, algo.rsa_bits, 65537);
    } else if (algo.kind == AlgoKind::Ecdsa || algo.kind == AlgoKind::Ecdh) {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (rc == 0) rc = mbedtls_ecp_gen_key(algo.curve, mbedtls_pk_ec(pk), &Random::mbedtls_rng, &random_);
    } else {
        mbedtls_pk_free(&pk);
        return sw_only(kConditions);
    }
    if (rc != 0) {
        mbedtls_pk_free(&pk);
        return sw_only(kNoPrecise);
    }
    const std::uint16_t sw = install_key(slot, pk, 0x01);  // DE: generated on card
    if (sw != kOk) return sw_only(sw);
    const std::size_t n = write_public_key(slot, out);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// Stores `pk` (DER) in the slot, commits, and takes ownership of the context (freed on failure).
// A new SIG key resets the signature counter (§8.2).
std::uint16_t OpenPgpApplet::install_key(std::size_t slot, mbedtls_pk_context& pk, std::uint8_t status) {
    std::array<std::uint8_t, kMaxKeyDer> der{};
    const int der_length = mbedtls_pk_write_key_der(&pk, der.data(), der.size());
    if (der_length <= 0) {
        mbedtls_pk_free(&pk);
        return kNoPrecise;
    }
    KeySlot& ks = state_.slots[slot];
    ks.key_der.assign(ByteView(der.data() + der.size() - static_cast<std::size_t>(der_length),
                               static_cast<std::size_t>(der_length)));
    mbedtls_platform_zeroize(der.data(), der.size());
    ks.key_status = status;
    if (slot == kSlotSig) state_.signature_counter = 0;
    if (!commit()) {
        mbedtls_pk_free(&pk);
        return kMemoryFailure;
    }
    free_key(slot);
    keys_[slot] = pk;  // ownership moves to the slot
    key_ready_[slot] = true;
    return kOk;
}

namespace {

// Reads one tag + BER length of a 7F48 template entry (§9.3: tags without values).
bool read_template_entry(ByteView& in, std::uint32_t& tag, std::size_t& length) {
    if (in.empty()) return false;
    tag = in[0];
    std::size_t pos = 1;
    if ((tag & 0x1F) == 0x1F) {
        if (in.size() < 2) return false;
        tag = tag << 8 | in[1];
        pos = 2;
    }
    if (in.size() <= pos) return false;
    const std::uint8_t b = in[pos++];
    if (b < 0x80) {
        length = b;
    } else if (b == 0x81 && in.size() >= pos + 1) {
        length = in[pos++];
    } else if (b == 0x82 && in.size() >= pos + 2) {
        length = static_cast<std::size_t>(in[pos] << 8 | in[pos + 1]);
        pos += 2;
    } else {
        return false;
    }
    in = in.subspan(pos);
    return true;
}

}  // namespace

// PUT DATA odd 00 DB 3F FF 4D{CRT, 7F48, 5F48} — key import, §9.3.
ApduReply OpenPgpApplet::import_key(const ApduCommand& c) {
    if (c.p1 != 0x3F || c.p2 != 0xFF) return sw_only(kBadP1P2);
    if (!pw3_) return sw_only(kSecurity);
    if (c.data.empty()) return sw_only(kWrongLength);
    ByteView in = c.data;
    auto header = parse_tlv(in);
    if (!header || header->tag != 0x4D || !in.empty()) return sw_only(kBadData);
    ByteView body = header->value;
    auto crt = parse_tlv(body);
    auto templ = parse_tlv(body);
    auto values = parse_tlv(body);
    if (!crt || !templ || !values || !body.empty() || templ->tag != 0x7F48 || values->tag != 0x5F48)
        return sw_only(kBadData);
    const int slot_i = slot_of_crt(crt->tag);
    if (slot_i < 0) return sw_only(kBadData);
    const auto slot = static_cast<std::size_t>(slot_i);
    if (!crt->value.empty()) {
        const std::uint8_t expect[3] = {0x84, 0x01, static_cast<std::uint8_t>(slot + 1)};
        if (!equal(crt->value, ByteView(expect, 3))) return sw_only(kBadData);
    }
    // Split 5F48 in the order 7F48 lists: index = tag - 0x91 (91 e .. 99 public key).
    std::array<ByteView, 9> part{};
    ByteView list = templ->value;
    ByteView data = values->value;
    while (!list.empty()) {
        std::uint32_t tag = 0;
        std::size_t length = 0;
        if (!read_template_entry(list, tag, length)) return sw_only(kBadData);
        if (tag < 0x91 || tag > 0x99 || length > data.size()) return sw_only(kBadData);
        part[tag - 0x91] = data.first(length);
        data = data.subspan(length);
    }
    if (!data.empty()) return sw_only(kBadData);

    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    bool ok = false;
    if (algo.kind == AlgoKind::Rsa) {
        const ByteView e = part[0], p = part[1], q = part[2];
        if (!e.empty() && !p.empty() && !q.empty() &&
            mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0) {
            mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
            ok = mbedtls_rsa_import_raw(rsa, nullptr, 0, p.data(), p.size(), q.data(), q.size(), nullptr, 0,
                                        e.data(), e.size()) == 0 &&
                 mbedtls_rsa_complete(rsa) == 0 && mbedtls_rsa_check_privkey(rsa) == 0 &&
                 mbedtls_rsa_get_len(rsa) * 8 == algo.rsa_bits;
        }
    } else if (algo.kind == AlgoKind::Ecdsa || algo.kind == AlgoKind::Ecdh) {
        const ByteView d = part[1];
        std::array<std::uint8_t, 66> scalar{};
        if (!d.empty() && d.size() <= algo.field_bytes &&
            mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0) {
            std::copy(d.begin(), d.end(), scalar.begin() + static_cast<std::ptrdiff_t>(algo.field_bytes - d.size()));
            mbedtls_ecp_keypair* kp = mbedtls_pk_ec(pk);
            ok = mbedtls_ecp_read_key(algo.curve, kp, scalar.data(), algo.field_bytes) == 0 &&
                 mbedtls_ecp_keypair_calc_public(kp, &Random::mbedtls_rng, &random_) == 0;
            if (ok && !part[8].empty()) {  // 99: public key given, must match
                std::array<std::uint8_t, 133> point{};
                std::size_t plen = 0;
                ok = mbedtls_ecp_write_public_key(kp, MBEDTLS_ECP_PF_UNCOMPRESSED, &plen, point.data(),
                                                  point.size()) == 0 &&
                     equal(ByteView(point.data(), plen), part[8]);
            }
            mbedtls_platform_zeroize(scalar.data(), scalar.size());
        }
    } else {
        return sw_only(kConditions);
    }
    if (!ok) {
        mbedtls_pk_free(&pk);
        return sw_only(kBadData);
    }
    return sw_only(install_key(slot, pk, 0x02));  // DE: imported
}

ApduReply OpenPgpApplet::sign_with(std::size_t slot, ByteView input, std::span<std::uint8_t> out) {
    if (!key_ready_[slot]) return sw_only(kNotFound);
    if (input.empty()) return sw_only(kWrongLength);
    mbedtls_pk_context& pk = keys_[slot];
    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
        // §8.1: input is a DigestInfo, at most 40 % of the modulus; PKCS#1 v1.5 type 1.
        mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
        const std::size_t nlen = mbedtls_rsa_get_len(rsa);
        if (input.size() * 10 > nlen * 4) return sw_only(kWrongLength);
        if (nlen > out.size()) return sw_only(kNoPrecise);
        if (mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE) != 0) return sw_only(kNoPrecise);
        if (mbedtls_rsa_pkcs1_sign(rsa, &Random::mbedtls_rng, &random_, MBEDTLS_MD_NONE,
                                   static_cast<unsigned int>(input.size()), input.data(), out.data()) != 0)
            return sw_only(kNoPrecise);
        return ApduReply{nlen, kOk};
    }
    if (algo.kind != AlgoKind::Ecdsa) return sw_only(kConditions);
    // §8.1: input is the raw hash; ECDSA truncates a longer one, a shorter one acts left-padded.
    if (input.size() > 64) return sw_only(kWrongLength);
    std::array<std::uint8_t, MBEDTLS_ECDSA_MAX_LEN> der{};
    std::size_t der_length = 0;
    if (mbedtls_ecdsa_write_signature(mbedtls_pk_ec(pk), algo.ec_md, input.data(), input.size(), der.data(),
                                      der.size(), &der_length, &Random::mbedtls_rng, &random_) != 0)
        return sw_only(kNoPrecise);
    std::size_t raw_length = 0;
    if (2 * algo.field_bytes > out.size() ||
        mbedtls_ecdsa_der_to_raw(algo.field_bytes * 8, der.data(), der_length, out.data(), 2 * algo.field_bytes,
                                 &raw_length) != 0)
        return sw_only(kNoPrecise);
    return ApduReply{raw_length, kOk};
}

// PERFORM SECURITY OPERATION 00 2A — §8: COMPUTE DIGITAL SIGNATURE 9E 9A.
ApduReply OpenPgpApplet::pso(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 == 0x80 && c.p2 == 0x86) return sw_only(kFuncNotSupported);  // PSO:DECIPHER not implemented
    if (c.p1 != 0x9E || c.p2 != 0x9A) return sw_only(kBadP1P2);
    if (!pw1_81_) return sw_only(kSecurity);
    if (!key_ready_[kSlotSig]) return sw_only(kNotFound);
    ApduReply reply = sign_with(kSlotSig, c.data, out);
    if (reply.sw != kOk) return reply;
    // §8.2: count the signature (saturating at FFFFFF) and persist before releasing it.
    if (state_.signature_counter < 0xFFFFFF) ++state_.signature_counter;
    if (!commit()) {
        mbedtls_platform_zeroize(out.data(), reply.length);
        return sw_only(kMemoryFailure);
    }
    // §6.1: C4 byte 1 = 00 → PW1 (81) is valid for one signature only (QES sole control).
    if (state_.pw1_policy == 0x00) pw1_81_ = false;
    return reply;
}

// INTERNAL AUTHENTICATE 00 88 00 00 — §8.3: AUT key, PW1 (82).
ApduReply OpenPgpApplet::internal_authenticate(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (!pw1_82_) return sw_only(kSecurity);
    return sign_with(kSlotAut, c.data, out);
}

// GET CHALLENGE 00 84 00 00 Le — §11.
ApduReply OpenPgpApplet::get_challenge(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (!c.data.empty() || c.ne == 0 || c.ne > kMaxChallenge || c.ne > out.size()) return sw_only(kWrongLength);
    random_.fill(out.first(c.ne));
    return ApduReply{c.ne, kOk};
}

// TERMINATE DF 00 E6 00 00 — §11: PW3 verified or PW3 blocked.
ApduReply OpenPgpApplet::terminate_df(const ApduCommand& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (!c.data.empty()) return sw_only(kWrongLength);
    if (!pw3_ && state_.pw3.retries != 0) return sw_only(kSecurity);
    state_.life_cycle = kLifeCycleTerminated;
    if (!commit()) return sw_only(kMemoryFailure);
    clear_volatile();
    return sw_only(kOk);
}

// ACTIVATE FILE 00 44 00 00 — §11: terminated → factory reset; operational → no-op.
ApduReply OpenPgpApplet::activate_file(const ApduCommand& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (state_.life_cycle != kLifeCycleTerminated) return sw_only(kOk);
    const auto serial = state_.serial;
    factory_defaults(serial);
    if (!commit()) return sw_only(kMemoryFailure);
    for (std::size_t i = 0; i < keys_.size(); ++i) free_key(i);
    clear_volatile();
    return sw_only(kOk);
}

ApduReply OpenPgpApplet::process(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (!loaded_) return sw_only(kNoPrecise);
    if (state_.life_cycle == kLifeCycleTerminated) {
        if (c.ins == 0x44) return activate_file(c);
        return sw_only(kTerminated);
    }
    switch (c.ins) {
        case 0xCA: return get_data(c, out);
        case 0xCC: return get_next_data(c, out);
        case 0xDA: return put_data(c);
        case 0xDB: return import_key(c);
        case 0xA5: return select_data(c);
        case 0x20: return verify(c);
        case 0x24: return change_reference_data(c);
        case 0x2C: return reset_retry_counter(c);
        case 0x47: return generate(c, out);
        case 0x2A: return pso(c, out);
        case 0x88: return internal_authenticate(c, out);
        case 0x84: return get_challenge(c, out);
        case 0xE6: return terminate_df(c);
        case 0x44: return activate_file(c);
        default: return sw_only(kInsNotSupported);
    }
}

}  // namespace qscd::sim
