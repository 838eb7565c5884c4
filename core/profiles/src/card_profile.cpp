// Profile lookup: ATR table with masks, --card ids, state-file card types.
#include "qscd/profiles/card_profile.hpp"

#include <array>

#include "qscd/profiles/estonian_id.hpp"
#include "qscd/profiles/estonian_id_thales.hpp"
#include "qscd/profiles/finnish_id.hpp"
#include "qscd/profiles/latvian_id.hpp"

namespace qscd::profiles {

namespace {
constexpr std::array<const CardProfile*, 4> kAll = {&estonian_id::kProfile, &estonian_id_thales::kProfile,
                                                    &latvian_id::kProfile, &finnish_id::kProfile};
}

std::span<const CardProfile* const> all_profiles() { return kAll; }

bool atr_matches(const AtrPattern& pattern, Bytes atr) {
    if (atr.size() != pattern.atr.size()) return false;
    if (!pattern.mask.empty() && pattern.mask.size() != pattern.atr.size()) return false;
    for (std::size_t i = 0; i < atr.size(); ++i) {
        const std::uint8_t mask = pattern.mask.empty() ? 0xFF : pattern.mask[i];
        if ((atr[i] & mask) != (pattern.atr[i] & mask)) return false;
    }
    return true;
}

const CardProfile* find_by_atr(Bytes atr) {
    for (const CardProfile* p : kAll)
        for (const AtrPattern& pattern : p->atrs)
            if (atr_matches(pattern, atr)) return p;
    return nullptr;
}

const CardProfile* find_by_id(std::string_view id) {
    for (const CardProfile* p : kAll)
        if (p->id == id) return p;
    return nullptr;
}

const CardProfile* find_by_type(CardType type) {
    for (const CardProfile* p : kAll)
        if (p->type == type) return p;
    return nullptr;
}

const PinProfile* find_pin(const CardProfile& profile, std::uint8_t reference) {
    for (const PinProfile& pin : profile.pins)
        if (pin.reference == reference) return &pin;
    return nullptr;
}

const PinProfile* find_pin(const CardProfile& profile, PinRole role) {
    for (const PinProfile& pin : profile.pins)
        if (pin.role == role) return &pin;
    return nullptr;
}

const KeyProfile* find_key(const CardProfile& profile, KeyRole role) {
    for (const KeyProfile& key : profile.keys)
        if (key.role == role) return &key;
    return nullptr;
}

std::size_t index_of(const CardProfile& profile, const PinProfile& pin) {
    for (std::size_t i = 0; i < profile.pins.size(); ++i)
        if (&profile.pins[i] == &pin) return i;
    return npos;
}

std::size_t index_of(const CardProfile& profile, const KeyProfile& key) {
    for (std::size_t i = 0; i < profile.keys.size(); ++i)
        if (&profile.keys[i] == &key) return i;
    return npos;
}

}  // namespace qscd::profiles
