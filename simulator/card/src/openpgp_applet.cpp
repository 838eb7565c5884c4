// OpenPGP card application 3.4, card side: life cycle, state and command dispatch. Section numbers
// refer to openpgp-card.md (the project's digest of the OpenPGP smart card application spec 3.4);
// ISO references to iso7816.md. PINs, data objects and keys live in applet_*.cpp.
#include "applet_internal.hpp"
#include "state_image.hpp"

namespace qscd::sim {

using namespace applet_detail;

OpenPgpApplet::OpenPgpApplet(Storage& storage, Random& random, Clock& clock, CardOptions options)
    : storage_(storage), random_(random), clock_(clock), options_(options) {}

OpenPgpApplet::~OpenPgpApplet() = default;

std::array<std::uint8_t, 16> OpenPgpApplet::aid() const {
    // §2.1: RID D2 76 00 01 24, app 01, version 3.4, manufacturer FFFF (= test card), serial, RFU.
    return {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04, 0xFF, 0xFF,
            state_.serial[0], state_.serial[1], state_.serial[2], state_.serial[3], 0x00, 0x00};
}

bool OpenPgpApplet::parse_keys() {
    return load_private_keys(keys_, [&](std::size_t i) { return state_.slots[i].key_der.view(); }, random_);
}

Result<LoadedState, StateError> OpenPgpApplet::load() {
    // PIN verification belongs to one card session over one state: a (re)load means another process
    // changed the token, and what was verified against the old state is void (§6.2).
    pw1_81_ = pw1_82_ = pw3_ = false;
    auto parsed =
        load_applet_state(storage_, state_, keys_, loaded_, load_state, [&] { return parse_keys(); });
    if (!parsed) return parsed;
    generation_ = parsed->generation;
    loaded_ = true;
    return parsed;
}

void OpenPgpApplet::factory_defaults(const std::array<std::uint8_t, 4>& serial) {
    reset_in_place(state_);
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
    for (auto& key : keys_) key.clear();
    const StorageStatus st = commit_state(storage_, state_, generation_ + 1, CommitSync::Now);
    if (st != StorageStatus::Ok) {
        (void)reload();  // memory never runs ahead of storage: the stored state, if any
        return st;
    }
    ++generation_;
    loaded_ = true;
    clear_volatile();
    return StorageStatus::Ok;
}

bool OpenPgpApplet::commit(CommitSync sync) {
    const bool ok = commit_state(storage_, state_, generation_ + 1, sync) == StorageStatus::Ok;
    if (!ok) {
        // A certificate the commit did not write must not point into the command after it (the reload
        // below replaces the state only when the storage can give one back).
        for (auto& slot : state_.slots) slot.certificate.pending = nullptr;
        reload();  // memory never runs ahead of storage: back to the stored state
        return false;
    }
    ++generation_;
    return true;
}

bool OpenPgpApplet::reload() {
    const bool pw1_81 = pw1_81_, pw1_82 = pw1_82_, pw3 = pw3_;  // a rollback keeps the session
    const bool ok = load().ok();
    if (!ok) loaded_ = false;  // the storage could not give its state back: no state rather than an unstored one
    pw1_81_ = ok && pw1_81;
    pw1_82_ = ok && pw1_82;
    pw3_ = ok && pw3;
    return ok;
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
    for (auto& key : keys_) key.clear();
    clear_volatile();
    return sw_only(kOk);
}

std::uint16_t OpenPgpApplet::chaining_status(std::uint8_t ins) {
    switch (ins) {
        case 0x20: case 0x24: case 0x2C:   // VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER
        case 0x2A: case 0x88: case 0x47:   // PSO, INTERNAL AUTHENTICATE, GENERATE (CRT)
        case 0xDA: case 0xDB: case 0xA5:   // PUT DATA, key import, SELECT DATA
            return kOk;
        case 0xCA: case 0xCC: case 0x84:   // GET DATA, GET NEXT DATA, GET CHALLENGE
        case 0xE6: case 0x44:              // TERMINATE DF, ACTIVATE FILE
            return 0x6884;
        default:
            return kInsNotSupported;
    }
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
