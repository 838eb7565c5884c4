// Image of a simulated ID card's state (id_card_state.hpp).
#include "qscd/sim/id_card_state.hpp"

#include "state_image.hpp"

namespace qscd::sim {

namespace {

void write_id_payload(Writer& w, const IdCardState& s, const profiles::CardProfile& profile) {
    w.u8(static_cast<std::uint8_t>(s.type));
    w.u8(s.life_cycle);
    w.fixed(s.serial);
    for (std::size_t i = 0; i < profile.pins.size(); ++i) w.pin(s.pins[i]);
    for (std::size_t i = 0; i < profile.keys.size(); ++i) w.var(s.keys[i]);
    for (std::size_t i = 0; i < profile.files.size(); ++i) w.var(s.files[i]);
}

}  // namespace

StorageStatus commit_id_state(Storage& storage, const IdCardState& s, std::uint64_t generation, CommitSync sync) {
    const profiles::CardProfile* profile = profiles::find_by_type(s.type);
    if (!profile || !profile->simulated) return StorageStatus::IoError;
    return commit_image(storage, kIdCardStateFormatVersion, generation, sync,
                        [&](Writer& w) { write_id_payload(w, s, *profile); });
}

std::size_t serialize_id_state(const IdCardState& s, std::uint64_t generation, std::span<std::uint8_t> out) {
    ViewStorage view(ByteView(), out);
    return commit_id_state(view, s, generation, CommitSync::Now) == StorageStatus::Ok ? view.written() : 0;
}

Result<LoadedState, StateError> load_id_state(Storage& storage, std::size_t size, IdCardState& s) {
    auto range = check_image(storage, size, kIdCardStateFormatVersion);
    if (!range) return fail(range.error());
    Reader r(storage, range->begin, range->end);
    reset_in_place(s);
    s.type = static_cast<profiles::CardType>(r.u8());
    const profiles::CardProfile* profile = profiles::find_by_type(s.type);
    if (!profile || !profile->simulated || profile->pins.size() > kIdMaxPins || profile->keys.size() > kIdMaxKeys ||
        profile->files.size() > kIdMaxFiles)
        return fail(StateError::Corrupted);
    s.life_cycle = r.u8();
    r.fixed(s.serial);
    for (std::size_t i = 0; i < profile->pins.size(); ++i) r.pin(s.pins[i]);
    for (std::size_t i = 0; i < profile->keys.size(); ++i) r.var(s.keys[i]);
    for (std::size_t i = 0; i < profile->files.size(); ++i) r.var(s.files[i]);
    if (r.bad() || !r.at_end()) return fail(StateError::Corrupted);
    if (s.life_cycle != kIdLifeCyclePersonalisation && s.life_cycle != kIdLifeCycleOperational)
        return fail(StateError::Corrupted);
    for (std::size_t i = 0; i < profile->pins.size(); ++i) {
        const PinRecord& p = s.pins[i];
        if (!pin_record_sane(p, profile->pins[i].max_tries) || !p.is_set() || p.length > profile->pins[i].format.max_length)
            return fail(StateError::Corrupted);
    }
    for (std::size_t i = 0; i < profile->files.size(); ++i)
        if (s.files[i].length > profile->files[i].max_size) return fail(StateError::Corrupted);
    return LoadedState{range->generation};
}

Result<LoadedState, StateError> parse_id_state(ByteView image, IdCardState& s) {
    ViewStorage view(image, {});
    return load_id_state(view, image.size(), s);
}

}  // namespace qscd::sim
