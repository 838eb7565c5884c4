// A national ID card's signature application, card side (id_card_applet.hpp). ISO 7816-4 (iso7816.md) for
// files and PINs, ISO 7816-8 for the security environment and the security operations; the card's own
// formats come from its profile (core/profiles), each with its sources.
#include "qscd/sim/id_card_applet.hpp"

#include <algorithm>

#include "qscd/sim/card_crypto.hpp"
#include "iso_status.hpp"
#include "state_image.hpp"
#include "qscd/codec/tlv.hpp"

namespace qscd::sim {

using namespace applet_detail;
using profiles::CardProfile;
using profiles::KeyAlgorithm;
using profiles::SignatureRequest;

namespace {

bool same(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

std::uint16_t fid_at(ByteView path, std::size_t i) {
    return static_cast<std::uint16_t>(path[2 * i] << 8 | path[2 * i + 1]);
}

crypto::Curve curve_of(KeyAlgorithm algorithm) {
    switch (algorithm) {
        case KeyAlgorithm::EcP256: return crypto::Curve::P256;
        case KeyAlgorithm::EcP384: return crypto::Curve::P384;
        case KeyAlgorithm::Rsa2048: break;
    }
    return crypto::Curve::None;
}

constexpr unsigned kRsaBits = 2048;
constexpr std::size_t kRsaModulusBytes = kRsaBits / 8;
// DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1): what the Latvian card puts before the bare hash of
// PSO:CDS ([R] eid-cards.md).
constexpr std::uint8_t kSha256DigestInfoPrefix[19] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

constexpr char kHexDigits[] = "0123456789ABCDEF";

}  // namespace

IdCardApplet::IdCardApplet(Storage& storage, Random& random, Clock& clock, CardOptions options)
    : storage_(storage), random_(random), clock_(clock), options_(options) {}

IdCardApplet::~IdCardApplet() = default;

ByteView IdCardApplet::atr() const {
    if (!profile_ || profile_->atrs.empty()) return {};
    return profile_->atrs[0].atr;
}

bool IdCardApplet::parse_keys() {
    return load_private_keys(keys_, [&](std::size_t i) { return state_.keys[i].view(); }, random_);
}

bool IdCardApplet::commit(CommitSync sync) {
    const bool ok = commit_id_state(storage_, state_, generation_ + 1, sync) == StorageStatus::Ok;
    if (!ok) {
        reload();  // memory never runs ahead of storage: back to the stored state
        return false;
    }
    ++generation_;
    return true;
}

bool IdCardApplet::reload() {
    // A rollback keeps the session: current DF / EF, security environment, verified PINs.
    const std::size_t df = current_df_, ef = current_ef_, se = se_key_;
    const auto verified = verified_;
    const bool ok = load().ok();
    if (!ok) loaded_ = false;  // the storage could not give its state back: no state rather than an unstored one
    if (ok) {
        current_df_ = df;
        current_ef_ = ef;
        se_key_ = se;
        verified_ = verified;
    }
    return ok;
}

void IdCardApplet::clear_volatile() {
    current_df_ = 0;
    current_ef_ = kNone;
    se_key_ = kNone;
    se_hash_size_ = 0;
    hash_length_ = 0;
    verified_.fill(false);
}

Result<LoadedState, StateError> IdCardApplet::load() {
    verified_.fill(false);
    auto parsed =
        load_applet_state(storage_, state_, keys_, loaded_, load_id_state, [&] { return parse_keys(); });
    if (!loaded_) profile_ = nullptr;
    if (!parsed) return parsed;
    profile_ = profiles::find_by_type(state_.type);
    generation_ = parsed->generation;
    loaded_ = true;
    clear_volatile();
    return parsed;
}

StorageStatus IdCardApplet::format(const std::array<std::uint8_t, 4>& serial) {
    const CardProfile* profile = profiles::find_by_type(options_.card_type);
    if (!profile || !profile->simulated || profile->pins.size() > kIdMaxPins || profile->keys.size() > kIdMaxKeys ||
        profile->files.size() > kIdMaxFiles)
        return StorageStatus::IoError;
    reset_in_place(state_);
    state_.type = profile->type;
    state_.life_cycle = kIdLifeCyclePersonalisation;
    state_.serial = serial;
    for (std::size_t i = 0; i < profile->pins.size(); ++i)
        if (!pin_set(state_.pins[i], profile->pins[i].simulator_default, options_.pin_iterations,
                     profile->pins[i].max_tries, random_))
            return StorageStatus::IoError;
    // Document number: 04 09 "T" + the serial in hex. "T" marks a TEST card (real numbers start with two
    // letters of the document series); OpenSC takes it as the token serial.
    for (std::size_t i = 0; i < profile->files.size(); ++i) {
        if (profile->files[i].kind != profiles::FileKind::DocumentNumber) continue;
        std::array<std::uint8_t, 11> number = {0x04, 0x09, 'T'};
        for (std::size_t b = 0; b < 4; ++b) {
            number[3 + 2 * b] = static_cast<std::uint8_t>(kHexDigits[serial[b] >> 4]);
            number[4 + 2 * b] = static_cast<std::uint8_t>(kHexDigits[serial[b] & 0x0F]);
        }
        state_.files[i].assign(number);
    }
    for (auto& key : keys_) key.clear();
    const StorageStatus st = commit_id_state(storage_, state_, generation_ + 1, CommitSync::Now);
    if (st != StorageStatus::Ok) {
        (void)reload();  // memory never runs ahead of storage: the stored state, if any
        return st;
    }
    ++generation_;
    profile_ = profile;
    loaded_ = true;
    clear_volatile();
    return StorageStatus::Ok;
}

std::uint16_t IdCardApplet::chaining_status(std::uint8_t ins) {
    switch (ins) {
        case 0xA4: case 0xB0: case 0xD6: case 0x20: case 0x24: case 0x2C: case 0x22: case 0x2A: case 0x88:
        case 0xCB: case 0x47: case 0x44:
            return 0x6884;  // (unconfirmed) the real card's chaining support: every command fits one short APDU
        default:
            return kInsNotSupported;
    }
}

ApduReply IdCardApplet::process(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (!loaded_ || !profile_) return sw_only(kNoPrecise);
    switch (c.ins) {
        case 0xA4: return select(c, out);
        case 0xB0: return read_binary(c, out);
        case 0xD6: return update_binary(c);
        case 0x20: return verify(c);
        case 0x24: return change_reference_data(c);
        case 0x2C: return reset_retry_counter(c);
        case 0x22: return manage_security_environment(c);
        case 0x2A: return pso(c, out);
        case 0x88: return internal_authenticate(c, out);
        case 0xCB: return get_data(c, out);
        case 0x47: return generate(c, out);
        case 0x44: return activate(c);
        default: return sw_only(kInsNotSupported);
    }
}

// ---- file system (ISO 7816-4 §7.1.1; iso7816.md §6.1) --------------------------------------------

std::size_t IdCardApplet::child_df(std::size_t df, std::uint16_t fid) const {
    if (df != 0) return kNone;  // applications sit directly under the MF
    for (std::size_t i = 1; i < profile_->applications.size(); ++i)
        if (profile_->applications[i].fid == fid) return i;
    return kNone;
}

std::size_t IdCardApplet::parent_of(std::size_t file) const {
    const ByteView path = profile_->files[file].path;
    if (path.size() == 2) return 0;
    if (path.size() != 4) return kNone;
    return child_df(0, fid_at(path, 0));
}

std::size_t IdCardApplet::child_ef(std::size_t df, std::uint16_t fid) const {
    for (std::size_t i = 0; i < profile_->files.size(); ++i) {
        const ByteView path = profile_->files[i].path;
        if (path.size() >= 2 && fid_at(path, path.size() / 2 - 1) == fid && parent_of(i) == df) return i;
    }
    return kNone;
}

void IdCardApplet::enter_df(std::size_t df) {
    if (df != current_df_) {
        se_key_ = kNone;  // the security environment belongs to its DF
        hash_length_ = 0;
    }
    current_df_ = df;
    current_ef_ = kNone;
}

// FCP (ISO 7816-4 §5.3.3): an EF answers 62 04 80 02 <size> as the Estonian card does (eid-cards.md); a DF
// 62 <83 FID> [84 AID] (unconfirmed for the real card).
std::size_t IdCardApplet::write_fcp(std::size_t df, std::size_t ef, std::span<std::uint8_t> out) const {
    std::array<std::uint8_t, 40> inner{};
    TlvWriter iw(inner);
    if (ef != kNone) {
        const std::size_t size = state_.files[ef].length;
        const std::uint8_t v[2] = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
        iw.put(0x80, ByteView(v, 2));
    } else {
        const std::uint16_t fid = profile_->applications[df].fid;
        const std::uint8_t v[2] = {static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
        iw.put(0x83, ByteView(v, 2));
        if (!profile_->applications[df].aid.empty()) iw.put(0x84, profile_->applications[df].aid);
    }
    TlvWriter w(out);
    w.put(0x62, iw.written());
    return iw.overflowed() || w.overflowed() ? 0 : w.size();
}

// SELECT 00 A4 P1 P2: P1 00 (MF / FID under the current DF), 01 (DF), 02 (EF), 04 (by AID), 08 (path from
// the MF), 09 (path from the current DF); P2 00/04 answer the FCP, 0C nothing. A failed SELECT changes nothing.
ApduReply IdCardApplet::select(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p2 != 0x00 && c.p2 != 0x04 && c.p2 != 0x0C) return sw_only(kBadP1P2);
    std::size_t df = current_df_;
    std::size_t ef = kNone;
    bool logout = false;
    const ByteView d = c.data;
    switch (c.p1) {
        case 0x00:
            if (d.empty() || (d.size() == 2 && fid_at(d, 0) == 0x3F00)) {
                df = 0;
                break;
            }
            if (d.size() != 2) return sw_only(kWrongLength);
            if (std::size_t child = child_df(current_df_, fid_at(d, 0)); child != kNone) {
                df = child;
            } else if (std::size_t e = child_ef(current_df_, fid_at(d, 0)); e != kNone) {
                ef = e;
            } else {
                return sw_only(kFileNotFound);
            }
            break;
        case 0x01:
        case 0x02: {
            if (d.size() != 2) return sw_only(kWrongLength);
            const std::size_t found = c.p1 == 0x01 ? child_df(current_df_, fid_at(d, 0)) : child_ef(current_df_, fid_at(d, 0));
            if (found == kNone) return sw_only(kFileNotFound);
            if (c.p1 == 0x01) df = found; else ef = found;
            break;
        }
        case 0x04: {
            std::size_t found = kNone;
            for (std::size_t i = 0; i < profile_->applications.size(); ++i)
                if (!profile_->applications[i].aid.empty() && same(d, profile_->applications[i].aid)) found = i;
            if (found == kNone) return sw_only(kFileNotFound);
            df = found;
            // Selecting the main application logs every PIN out (OpenSC's esteid2018 logout relies on it).
            logout = found == 0;
            break;
        }
        case 0x08:
        case 0x09: {
            if (d.empty() || d.size() % 2 != 0) return sw_only(kWrongLength);
            df = c.p1 == 0x08 ? 0 : current_df_;
            const std::size_t n = d.size() / 2;
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint16_t fid = fid_at(d, i);
                if (std::size_t child = child_df(df, fid); child != kNone) {
                    df = child;
                } else if (std::size_t e = child_ef(df, fid); e != kNone && i + 1 == n) {
                    ef = e;
                } else {
                    return sw_only(kFileNotFound);
                }
            }
            break;
        }
        default:
            return sw_only(kBadP1P2);
    }
    if (ef != kNone) df = parent_of(ef);
    enter_df(df);
    current_ef_ = ef;
    if (logout) verified_.fill(false);
    if (c.p2 == 0x0C) return sw_only(kOk);
    const std::size_t n = write_fcp(df, ef, out);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// READ BINARY 00 B0 <offset 15 bits> Le (ISO 7816-4 §11.2.3). Fewer bytes than an explicit Le: 6282.
ApduReply IdCardApplet::read_binary(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 & 0x80) return sw_only(kFuncNotSupported);  // short EF identifier: (unconfirmed) not offered
    if (!c.data.empty()) return sw_only(kWrongLength);
    if (current_ef_ == kNone) return sw_only(kNotAllowedNoEf);
    const ByteView content = state_.files[current_ef_].view();
    const std::size_t offset = static_cast<std::size_t>(c.p1 << 8 | c.p2);
    if (offset >= content.size()) return sw_only(kOffsetOutside);
    const std::size_t ne = c.ne == 0 ? 256 : c.ne;
    const std::size_t n = std::min({ne, content.size() - offset, out.size()});
    std::copy_n(content.begin() + static_cast<std::ptrdiff_t>(offset), n, out.begin());
    const bool as_much_as_possible = c.ne == 0 || c.ne == 256 || c.ne == 65536;
    return ApduReply{n, n < ne && !as_much_as_possible ? kEndOfFile : kOk};
}

// UPDATE BINARY 00 D6 <offset> <data>: personalisation only (the issuer writes the certificates).
ApduReply IdCardApplet::update_binary(const ApduCommand& c) {
    if (state_.life_cycle != kIdLifeCyclePersonalisation) return sw_only(kSecurity);
    if (c.p1 & 0x80) return sw_only(kFuncNotSupported);
    if (current_ef_ == kNone) return sw_only(kNotAllowedNoEf);
    if (c.data.empty()) return sw_only(kWrongLength);
    const std::size_t offset = static_cast<std::size_t>(c.p1 << 8 | c.p2);
    auto& file = state_.files[current_ef_];
    if (offset + c.data.size() > profile_->files[current_ef_].max_size) return sw_only(kNotEnoughMemory);
    if (offset > file.length) return sw_only(kOffsetOutside);  // no holes
    std::copy(c.data.begin(), c.data.end(), file.data.begin() + static_cast<std::ptrdiff_t>(offset));
    file.length = static_cast<std::uint16_t>(std::max<std::size_t>(file.length, offset + c.data.size()));
    return sw_only(commit() ? kOk : kMemoryFailure);
}

// ---- PINs (ISO 7816-4 §11.5.6-§11.5.10; the profile's PIN block) ----------------------------------

std::size_t IdCardApplet::pin_index(std::uint8_t reference) const {
    for (std::size_t i = 0; i < profile_->pins.size(); ++i) {
        const auto& pin = profile_->pins[i];
        if (pin.reference != reference) continue;
        // b8 = 1: a specific (local) reference, known only inside its own application.
        if ((reference & 0x80) && pin.application != current_df_) return kNone;
        return i;
    }
    return kNone;
}

// The PIN block: `stored_length` bytes of ASCII digits then the pad byte (or bare digits when unpadded).
// Returns the digits; false for a block that is not in the card's format.
bool IdCardApplet::parse_pin_block(std::size_t pin, ByteView block, ByteView& digits) const {
    const profiles::PinFormat& f = profile_->pins[pin].format;
    if (f.stored_length != 0 && block.size() != f.stored_length) return false;
    std::size_t n = 0;
    while (n < block.size() && block[n] >= '0' && block[n] <= '9') ++n;
    for (std::size_t i = n; i < block.size(); ++i)
        if (f.stored_length == 0 || block[i] != f.pad_byte) return false;
    if (n < f.min_length || n > f.max_length) return false;
    digits = block.first(n);
    return true;
}

ApduReply IdCardApplet::check_pin(std::size_t pin, ByteView digits) {
    const CommitHook hook{[](void* self, CommitSync sync) { return static_cast<IdCardApplet*>(self)->commit(sync); },
                          this};
    verified_[pin] = false;
    switch (pin_check(state_.pins[pin], digits, profile_->pins[pin].max_tries, options_.pin_iterations, random_,
                      hook)) {
        case PinCheck::Ok: return sw_only(kOk);
        case PinCheck::Wrong: return sw_only(sw_tries_left(state_.pins[pin].retries));
        case PinCheck::Blocked: return sw_only(kBlocked);
        case PinCheck::MemoryFailure: return sw_only(kMemoryFailure);
    }
    return sw_only(kNoPrecise);
}

bool IdCardApplet::set_pin(std::size_t pin, ByteView digits) {
    return pin_set(state_.pins[pin], digits, options_.pin_iterations, profile_->pins[pin].max_tries, random_);
}

// VERIFY 00 20 00 <ref> <PIN block>: wrong → 63Cx (x tries left), blocked → 6983.
ApduReply IdCardApplet::verify(const ApduCommand& c) {
    if (c.p1 != 0x00) return sw_only(kBadP1P2);
    const std::size_t pin = pin_index(c.p2);
    if (pin == kNone) return sw_only(kNotFound);
    const PinRecord& record = state_.pins[pin];
    if (c.data.empty()) {
        // Status query (iso7816.md §7): only where the profile says the card answers it.
        if (!profile_->empty_verify) return sw_only(kWrongLength);
        if (record.retries == 0) return sw_only(kBlocked);
        return sw_only(verified_[pin] ? kOk : sw_tries_left(record.retries));
    }
    if (record.retries == 0) return sw_only(kBlocked);
    const auto& f = profile_->pins[pin].format;
    if (f.stored_length != 0 && c.data.size() != f.stored_length) return sw_only(kWrongLength);
    ByteView digits;
    if (!parse_pin_block(pin, c.data, digits)) return sw_only(kBadData);
    const ApduReply reply = check_pin(pin, digits);
    if (reply.sw == kOk) verified_[pin] = true;
    return reply;
}

// CHANGE REFERENCE DATA 00 24 00 <ref> <old block> <new block>.
ApduReply IdCardApplet::change_reference_data(const ApduCommand& c) {
    if (c.p1 != 0x00) return sw_only(kBadP1P2);
    const std::size_t pin = pin_index(c.p2);
    if (pin == kNone) return sw_only(kNotFound);
    if (state_.pins[pin].retries == 0) return sw_only(kBlocked);
    const auto& f = profile_->pins[pin].format;
    if (f.stored_length != 0 ? c.data.size() != 2u * f.stored_length : c.data.size() < 2u * f.min_length)
        return sw_only(kWrongLength);
    // Unpadded PINs cannot be split without a length: only the padded form is simulated.
    if (f.stored_length == 0) return sw_only(kFuncNotSupported);
    const std::size_t n = f.stored_length;
    ByteView old_digits, new_digits;
    if (!parse_pin_block(pin, c.data.first(n), old_digits) || !parse_pin_block(pin, c.data.subspan(n), new_digits))
        return sw_only(kBadData);
    const ApduReply reply = check_pin(pin, old_digits);
    if (reply.sw != kOk) return reply;
    if (!set_pin(pin, new_digits)) return sw_only(kNoPrecise);
    verified_[pin] = false;
    return sw_only(commit() ? kOk : kMemoryFailure);
}

// RESET RETRY COUNTER 00 2C P1 <ref> (iso7816.md §7): P1 00 PUK + new PIN, 01 PUK only (counter reset),
// 02 new PIN after a PUK VERIFY, 03 counter reset after a PUK VERIFY. The profile names the unblocking PIN.
ApduReply IdCardApplet::reset_retry_counter(const ApduCommand& c) {
    if (c.p1 > 0x03) return sw_only(kBadP1P2);
    const std::size_t pin = pin_index(c.p2);
    if (pin == kNone) return sw_only(kNotFound);
    const std::uint8_t puk_reference = profile_->pins[pin].unblocked_by;
    std::size_t puk = kNone;
    for (std::size_t i = 0; i < profile_->pins.size(); ++i)
        if (puk_reference != 0 && profile_->pins[i].reference == puk_reference) puk = i;
    if (puk == kNone) return sw_only(kConditions);
    const bool with_puk = c.p1 == 0x00 || c.p1 == 0x01;
    const bool with_new = c.p1 == 0x00 || c.p1 == 0x02;
    const std::size_t puk_length = profile_->pins[puk].format.stored_length;
    const std::size_t new_length = profile_->pins[pin].format.stored_length;
    if (puk_length == 0 || new_length == 0) return sw_only(kFuncNotSupported);
    if (c.data.size() != (with_puk ? puk_length : 0) + (with_new ? new_length : 0)) return sw_only(kWrongLength);
    ByteView puk_digits, new_digits;
    if (with_puk && !parse_pin_block(puk, c.data.first(puk_length), puk_digits)) return sw_only(kBadData);
    if (with_new && !parse_pin_block(pin, c.data.subspan(with_puk ? puk_length : 0), new_digits)) return sw_only(kBadData);
    if (with_puk) {
        if (state_.pins[puk].retries == 0) return sw_only(kBlocked);
        const ApduReply reply = check_pin(puk, puk_digits);
        if (reply.sw != kOk) return reply;
    } else if (!verified_[puk]) {
        return sw_only(kSecurity);
    }
    if (with_new) {
        if (!set_pin(pin, new_digits)) return sw_only(kNoPrecise);
    } else {
        state_.pins[pin].retries = profile_->pins[pin].max_tries;
    }
    verified_[pin] = false;
    return sw_only(commit() ? kOk : kMemoryFailure);
}

// GET DATA (odd) 00 CB 3F FF 4D 08 70 06 BF 81 <ref & 0F> 02 A0 80: the IDEMIA PIN info template. The
// answer's shape follows the card's answer quoted in OpenSC (32 bytes: 9A max tries, 9B tries left; the A1
// block is reproduced as observed, its meaning unconfirmed).
ApduReply IdCardApplet::get_data(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (profile_->retries == profiles::RetryReporting::GetDataFineid) return get_data_fineid(c, out);
    if (c.p1 != 0x3F || c.p2 != 0xFF) return sw_only(kBadP1P2);
    if (profile_->retries != profiles::RetryReporting::GetDataIdemia) return sw_only(kFuncNotSupported);
    const std::uint8_t query[10] = {0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x00, 0x02, 0xA0, 0x80};
    if (c.data.size() != sizeof query) return sw_only(kWrongLength);
    for (std::size_t i = 0; i < sizeof query; ++i)
        if (i != 6 && c.data[i] != query[i]) return sw_only(kBadData);
    const std::uint8_t number = c.data[6];
    std::size_t pin = kNone;
    for (std::size_t i = 0; i < profile_->pins.size(); ++i) {
        const std::uint8_t reference = profile_->pins[i].reference;
        if ((reference & 0x0F) == number && pin_index(reference) == i) pin = i;
    }
    if (pin == kNone) return sw_only(kNotFound);
    const std::uint8_t answer[32] = {0x70, 0x1E, 0xBF, 0x81, number, 0x1A, 0xA0, 0x18, 0x9A, 0x01,
                                     profile_->pins[pin].max_tries, 0x9B, 0x01, state_.pins[pin].retries,
                                     0xA1, 0x10, 0x8C, 0x06, 0xF3, 0x00, 0x00, 0x73, 0x43, 0x00,
                                     0x9C, 0x06, 0xF3, 0x00, 0x00, 0x73, 0x43, 0x00};
    if (out.size() < sizeof answer) return sw_only(kNoPrecise);
    std::copy(answer, answer + sizeof answer, out.begin());
    return ApduReply{sizeof answer, kOk};
}

// GET DATA (odd) 00 CB 00 FF A0 03 83 01 <ref>: the FinEID PIN info (libelectronic-id FinEID.cpp reads the
// tries at byte 20, [R] as the first byte of DF21). Around DF21 (unconfirmed): A0 { 83 01 ref, 8A 01 05 (life
// cycle operational, ISO 7816-4 §5.3.3.2), C0 07 00.. (filler), DF21 01 tries }.
ApduReply IdCardApplet::get_data_fineid(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x00 || c.p2 != 0xFF) return sw_only(kBadP1P2);
    if (c.data.size() != 5) return sw_only(kWrongLength);
    if (c.data[0] != 0xA0 || c.data[1] != 0x03 || c.data[2] != 0x83 || c.data[3] != 0x01) return sw_only(kBadData);
    std::size_t pin = kNone;
    for (std::size_t i = 0; i < profile_->pins.size(); ++i)
        if (profile_->pins[i].reference == c.data[4]) pin = i;
    if (pin == kNone) return sw_only(kNotFound);
    const std::uint8_t answer[21] = {0xA0, 0x13, 0x83, 0x01, c.data[4], 0x8A, 0x01, 0x05, 0xC0, 0x07, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xDF, 0x21, 0x01, state_.pins[pin].retries};
    if (out.size() < sizeof answer) return sw_only(kNoPrecise);
    std::copy(answer, answer + sizeof answer, out.begin());
    return ApduReply{sizeof answer, kOk};
}

// ---- security environment and operations (ISO 7816-8) ---------------------------------------------

// MSE SET 00 22 41 A4|B6 <CRT>: only the exact forms the profile lists for a key of the current DF.
ApduReply IdCardApplet::manage_security_environment(const ApduCommand& c) {
    for (std::size_t k = 0; k < profile_->keys.size(); ++k) {
        const auto& key = profile_->keys[k];
        if (key.application != current_df_) continue;
        for (const auto& t : key.mse) {
            if (t.p1 == c.p1 && t.p2 == c.p2 && same(t.data, c.data)) {
                se_key_ = k;
                se_hash_size_ = t.hash_size;
                hash_length_ = 0;
                return sw_only(kOk);
            }
        }
    }
    se_key_ = kNone;
    hash_length_ = 0;
    if (c.p1 != 0x41 || (c.p2 != 0xA4 && c.p2 != 0xB6 && c.p2 != 0xB8)) return sw_only(kBadP1P2);
    return sw_only(kBadData);
}

ApduReply IdCardApplet::sign(std::size_t k, SignatureRequest request, ByteView input, std::span<std::uint8_t> out) {
    if (k == kNone || profile_->keys[k].request != request) return sw_only(kConditions);
    const auto& key = profile_->keys[k];
    if (key.application != current_df_) return sw_only(kConditions);
    if (!keys_[k].ready()) return sw_only(kNotFound);
    const bool length_ok = key.input_length != 0
                               ? input.size() == key.input_length
                               : std::find(key.hash_sizes.begin(), key.hash_sizes.end(), input.size()) != key.hash_sizes.end();
    if (!length_ok) return sw_only(kWrongLength);
    std::size_t pin = kNone;
    for (std::size_t i = 0; i < profile_->pins.size(); ++i)
        if (profile_->pins[i].reference == key.pin_reference) pin = i;
    if (pin == kNone || !verified_[pin]) return sw_only(kSecurity);
    std::size_t n = 0;
    if (key.algorithm == KeyAlgorithm::Rsa2048) {
        if (key.encoding != profiles::SignatureEncoding::Pkcs1v15) return sw_only(kConditions);
        // PKCS#1 v1.5 (RFC 8017 §8.2.1) over a DigestInfo: the host's (INTERNAL AUTHENTICATE, 51 bytes) or, for
        // the bare SHA-256 hash of PSO:CDS, the one the card builds.
        std::array<std::uint8_t, sizeof kSha256DigestInfoPrefix + crypto::kSha256Size> digest_info{};
        ByteView to_sign = input;
        if (!key.digest_info) {
            if (input.size() != crypto::kSha256Size) return sw_only(kWrongLength);
            std::copy(std::begin(kSha256DigestInfoPrefix), std::end(kSha256DigestInfoPrefix), digest_info.begin());
            std::copy(input.begin(), input.end(), digest_info.begin() + sizeof kSha256DigestInfoPrefix);
            to_sign = ByteView(digest_info.data(), digest_info.size());
        }
        n = crypto::sign_rsa_pkcs1(keys_[k], to_sign, out, random_);
        crypto::zeroize(digest_info.data(), digest_info.size());
    } else {
        const crypto::Curve curve = curve_of(key.algorithm);
        if (curve == crypto::Curve::None || key.encoding != profiles::SignatureEncoding::RawRS)
            return sw_only(kConditions);
        n = crypto::sign_ecdsa(keys_[k], curve, input, out, random_);
    }
    if (n == 0) return sw_only(kNoPrecise);
    // Sole control: a signature PIN is good for one signature.
    if (profile_->pins[pin].one_operation) verified_[pin] = false;
    return ApduReply{n, kOk};
}

// PSO:COMPUTE DIGITAL SIGNATURE 00 2A 9E 9A <hash>; where the profile hands the hash over first (FinEID),
// PSO:HASH 00 2A 90 A0 <90 len hash> (ISO 7816-8 §5.4) then PSO:CDS without data signs that hash, once.
ApduReply IdCardApplet::pso(const ApduCommand& c, std::span<std::uint8_t> out) {
    const bool hash_first = se_key_ != kNone && profile_->keys[se_key_].request == SignatureRequest::PsoHashThenCds;
    if (c.p1 == 0x90 && c.p2 == 0xA0) {
        hash_length_ = 0;
        if (!hash_first) return sw_only(kConditions);
        if (c.data.size() < 2 || c.data[0] != 0x90 || c.data[1] != c.data.size() - 2) return sw_only(kBadData);
        const ByteView hash = c.data.subspan(2);
        // (unconfirmed) the hash must be the one the MSE SET form names.
        if (hash.size() > hash_.size() || (se_hash_size_ != 0 && hash.size() != se_hash_size_)) return sw_only(kBadData);
        std::copy(hash.begin(), hash.end(), hash_.begin());
        hash_length_ = hash.size();
        return sw_only(kOk);
    }
    if (c.p1 != 0x9E || c.p2 != 0x9A) return sw_only(kBadP1P2);
    if (!hash_first) return sign(se_key_, SignatureRequest::PsoCdsWithHash, c.data, out);
    if (!c.data.empty()) return sw_only(kWrongLength);
    if (hash_length_ == 0) return sw_only(kConditions);
    const ApduReply reply = sign(se_key_, SignatureRequest::PsoHashThenCds, ByteView(hash_.data(), hash_length_), out);
    if (reply.sw == kOk) {
        crypto::zeroize(hash_.data(), hash_.size());
        hash_length_ = 0;
    }
    return reply;
}

// INTERNAL AUTHENTICATE 00 88 00 00 <input>.
ApduReply IdCardApplet::internal_authenticate(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    return sign(se_key_, SignatureRequest::InternalAuthenticate, c.data, out);
}

// ---- personalisation (before ACTIVATE FILE) --------------------------------------------------------

std::size_t IdCardApplet::write_public_key(std::size_t k, std::span<std::uint8_t> out) {
    if (crypto::is_rsa(keys_[k])) return write_rsa_public_key(k, out);
    std::array<std::uint8_t, crypto::kMaxEcPoint> point{};
    const std::size_t n = crypto::ec_point(keys_[k], point);
    if (n == 0) return 0;
    std::array<std::uint8_t, 140> inner{};
    TlvWriter iw(inner);
    iw.put(0x86, ByteView(point.data(), n));
    TlvWriter w(out);
    w.put(0x7F49, iw.written());
    return iw.overflowed() || w.overflowed() ? 0 : w.size();
}

// An RSA key: 7F49 82 LL LL { 81 82 01 00 <n> 82 <len> <e> } (ISO 7816-8 §5.1, the tags of OpenPGP card 3.4
// §7.2.14), 270 bytes for RSA-2048 and e = 65537: longer than a short Le, so it comes back through GET
// RESPONSE chaining or at once after an extended Le. The modulus is written in place (no copy on the stack).
std::size_t IdCardApplet::write_rsa_public_key(std::size_t k, std::span<std::uint8_t> out) {
    constexpr std::size_t kModulusAt = 5 + 4;  // after 7F49 82 LL LL and 81 82 01 00
    if (crypto::rsa_modulus_bytes(keys_[k]) != kRsaModulusBytes || out.size() < kModulusAt + kRsaModulusBytes + 2 + 8)
        return 0;
    std::array<std::uint8_t, 8> e{};
    const std::size_t e_length = crypto::rsa_public(keys_[k], out.subspan(kModulusAt, kRsaModulusBytes), e);
    if (e_length == 0 || e_length > e.size()) return 0;
    const std::size_t inner = 4 + kRsaModulusBytes + 2 + e_length;
    const std::uint8_t header[kModulusAt] = {0x7F, 0x49, 0x82, static_cast<std::uint8_t>(inner >> 8),
                                             static_cast<std::uint8_t>(inner), 0x81, 0x82,
                                             static_cast<std::uint8_t>(kRsaModulusBytes >> 8),
                                             static_cast<std::uint8_t>(kRsaModulusBytes)};
    std::copy(std::begin(header), std::end(header), out.begin());
    std::size_t at = kModulusAt + kRsaModulusBytes;
    out[at++] = 0x82;
    out[at++] = static_cast<std::uint8_t>(e_length);
    std::copy_n(e.begin(), e_length, out.begin() + static_cast<std::ptrdiff_t>(at));
    return at + e_length;
}

// GENERATE ASYMMETRIC KEY PAIR 00 47 80|81 00 84 01 <key ref> (ISO 7816-8 §5.1): 80 generates the key on the
// card, 81 reads its public key; both answer 7F49 { 86 point } (EC) or 7F49 { 81 n, 82 e } (RSA). The private key never leaves the card.
ApduReply IdCardApplet::generate(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (state_.life_cycle != kIdLifeCyclePersonalisation) return sw_only(kConditions);
    if ((c.p1 != 0x80 && c.p1 != 0x81) || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (c.data.size() != 3 || c.data[0] != 0x84 || c.data[1] != 0x01) return sw_only(kBadData);
    std::size_t k = kNone;
    for (std::size_t i = 0; i < profile_->keys.size(); ++i)
        if (profile_->keys[i].reference == c.data[2]) k = i;
    if (k == kNone) return sw_only(kNotFound);
    if (c.p1 == 0x81) {
        if (!keys_[k].ready()) return sw_only(kNotFound);
        const std::size_t n = write_public_key(k, out);
        return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
    }
    const KeyAlgorithm algorithm = profile_->keys[k].algorithm;
    const crypto::Curve curve = curve_of(algorithm);
    crypto::Key key;
    if (algorithm == KeyAlgorithm::Rsa2048) {
        if (!crypto::generate_rsa(key, kRsaBits, random_)) return sw_only(kNoPrecise);
    } else {
        if (curve == crypto::Curve::None) return sw_only(kConditions);
        if (!crypto::generate_ec(key, curve, random_)) return sw_only(kNoPrecise);
    }
    // DER straight into the state (no copy on the stack); a failed commit reloads the stored one.
    auto& der = state_.keys[k];
    der.length = static_cast<std::uint16_t>(crypto::write_der(key, der.data));
    if (der.length == 0) {
        (void)reload();
        return sw_only(kNoPrecise);
    }
    if (!commit()) return sw_only(kMemoryFailure);
    keys_[k].take(key);
    const std::size_t n = write_public_key(k, out);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// ACTIVATE FILE 00 44 00 00 (ISO 7816-9): ends personalisation once every key and certificate is in place.
ApduReply IdCardApplet::activate(const ApduCommand& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (!c.data.empty()) return sw_only(kWrongLength);
    if (state_.life_cycle == kIdLifeCycleOperational) return sw_only(kOk);
    for (std::size_t k = 0; k < profile_->keys.size(); ++k)
        if (!keys_[k].ready() || state_.files[profile_->keys[k].certificate].empty()) return sw_only(kConditions);
    state_.life_cycle = kIdLifeCycleOperational;
    return sw_only(commit() ? kOk : kMemoryFailure);
}

}  // namespace qscd::sim
