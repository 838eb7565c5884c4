// Versioned binary image of the card state (see state.hpp for the layout).
#include "qscd/sim/state.hpp"

#include <cstring>

#include "state_image.hpp"

namespace qscd::sim {

namespace {

void write_payload(Writer& w, CardState& s) {
    w.u8(s.life_cycle);
    w.fixed(s.serial);
    w.pin(s.pw1);
    w.pin(s.rc);
    w.pin(s.pw3);
    w.u8(s.pw1_policy);
    w.u32(s.signature_counter);
    w.var(s.login_data);
    w.var(s.url);
    w.var(s.name);
    w.var(s.language);
    w.var(s.salutation);
    for (const auto& d : s.private_do) w.var(d);
    for (auto& k : s.slots) {
        w.var(k.attributes);
        w.fixed(k.fingerprint);
        w.fixed(k.ca_fingerprint);
        w.fixed(k.generation_date);
        w.u8(k.key_status);
        w.var(k.key_der);
        w.stored(k.certificate);
    }
}

void read_payload(Reader& r, CardState& s) {
    s.life_cycle = r.u8();
    r.fixed(s.serial);
    r.pin(s.pw1);
    r.pin(s.rc);
    r.pin(s.pw3);
    s.pw1_policy = r.u8();
    s.signature_counter = r.u32();
    r.var(s.login_data);
    r.var(s.url);
    r.var(s.name);
    r.var(s.language);
    r.var(s.salutation);
    for (auto& d : s.private_do) r.var(d);
    for (auto& k : s.slots) {
        r.var(k.attributes);
        r.fixed(k.fingerprint);
        r.fixed(k.ca_fingerprint);
        r.fixed(k.generation_date);
        k.key_status = r.u8();
        r.var(k.key_der);
        r.stored(k.certificate, kMaxCertificate);
    }
}

bool pin_sane(const PinRecord& p) { return pin_record_sane(p, kPinMaxRetries); }

}  // namespace

const char* describe(StateError error) {
    switch (error) {
        case StateError::NotFound: return "no state stored";
        case StateError::Truncated: return "state image truncated";
        case StateError::BadMagic: return "not a qscd simulator state (bad magic)";
        case StateError::UnknownVersion: return "unknown state format version";
        case StateError::Corrupted: return "state image corrupted (checksum or field mismatch)";
        case StateError::IoError: return "state could not be read";
    }
    return "state error";
}

StorageStatus commit_state(Storage& storage, CardState& state, std::uint64_t generation, CommitSync sync) {
    return commit_image(storage, kStateFormatVersion, generation, sync, [&](Writer& w) { write_payload(w, state); });
}

std::size_t serialize_state(CardState& state, std::uint64_t generation, ByteView source, std::span<std::uint8_t> out) {
    ViewStorage view(source, out);
    return commit_state(view, state, generation, CommitSync::Now) == StorageStatus::Ok ? view.written() : 0;
}

Result<std::uint64_t, StateError> peek_generation(ByteView image) { return peek_image_generation(image); }

Result<profiles::CardType, StateError> peek_card_type(ByteView image) {
    auto generation = peek_image_generation(image);
    if (!generation) return fail(generation.error());
    if (image_version(image) == kStateFormatVersion) return profiles::CardType::OpenPgp;
    // Format 2 (ID cards): the payload starts with the card type.
    if (image.size() <= kStateHeaderSize) return fail(StateError::Truncated);
    return static_cast<profiles::CardType>(image[kStateHeaderSize]);
}

Result<LoadedState, StateError> load_state(Storage& storage, std::size_t size, CardState& state) {
    auto range = check_image(storage, size, kStateFormatVersion);
    if (!range) return fail(range.error());
    Reader r(storage, range->begin, range->end);
    read_payload(r, state);
    if (r.bad() || !r.at_end()) return fail(StateError::Corrupted);
    if (!pin_sane(state.pw1) || !pin_sane(state.rc) || !pin_sane(state.pw3)) return fail(StateError::Corrupted);
    if (state.life_cycle != kLifeCycleOperational && state.life_cycle != kLifeCycleTerminated)
        return fail(StateError::Corrupted);
    if (state.pw1_policy > 1 || state.signature_counter > 0xFFFFFF) return fail(StateError::Corrupted);
    return LoadedState{range->generation};
}

Result<LoadedState, StateError> parse_state(ByteView image, CardState& state) {
    ViewStorage view(image, {});
    return load_state(view, image.size(), state);
}

}  // namespace qscd::sim
