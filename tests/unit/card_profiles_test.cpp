// The card profiles (core/profiles) as data: every ATR is a well-formed ISO 7816-3 ATR (interface bytes,
// historical byte count, TCK where a TD announces T != 0), the ATR table tells the cards apart, and the
// references inside a profile agree (each key's PIN, application and certificate file exist; PIN formats
// hold their defaults; MSE SET forms name the key).
#include <catch2/catch.hpp>

#include <algorithm>

#include "qscd/profiles/card_profile.hpp"
#include "qscd/profiles/estonian_id.hpp"
#include "qscd/profiles/estonian_id_thales.hpp"
#include "qscd/profiles/finnish_id.hpp"
#include "qscd/profiles/latvian_id.hpp"

using namespace qscd::profiles;

namespace {

// ISO 7816-3 §8.2 (iso7816.md §9.1): true when the bytes parse exactly, with a correct TCK if one is due.
bool well_formed_atr(Bytes atr) {
    if (atr.size() < 2 || atr.size() > 33 || (atr[0] != 0x3B && atr[0] != 0x3F)) return false;
    std::size_t pos = 1;
    const std::size_t historical = atr[1] & 0x0F;
    std::uint8_t y = atr[1] >> 4;
    bool tck_due = false;
    ++pos;
    while (true) {
        for (std::uint8_t bit : {0x1, 0x2, 0x4}) if (y & bit) ++pos;  // TA, TB, TC
        if (!(y & 0x8)) break;
        if (pos >= atr.size()) return false;
        const std::uint8_t td = atr[pos++];
        if ((td & 0x0F) != 0) tck_due = true;
        y = td >> 4;
    }
    pos += historical;
    if (tck_due) {
        if (pos + 1 != atr.size()) return false;
        std::uint8_t x = 0;
        for (std::size_t i = 1; i < atr.size(); ++i) x ^= atr[i];
        return x == 0;
    }
    return pos == atr.size();
}

}  // namespace

TEST_CASE("card profiles: every ATR is well formed and the table tells the cards apart") {
    std::size_t atrs = 0;
    for (const CardProfile* p : all_profiles()) {
        INFO(p->id);
        REQUIRE_FALSE(p->atrs.empty());
        for (const AtrPattern& a : p->atrs) {
            REQUIRE(well_formed_atr(a.atr));
            REQUIRE(find_by_atr(a.atr) == p);
            ++atrs;
        }
        REQUIRE(find_by_id(p->id) == p);
        REQUIRE(find_by_type(p->type) == p);
    }
    REQUIRE(atrs == 6);
    // A corrupted TCK and a one-byte difference are caught.
    std::array<std::uint8_t, 22> bad = estonian_id::kAtr2018;
    bad[21] ^= 0x01;
    REQUIRE_FALSE(well_formed_atr(bad));
    REQUIRE(find_by_atr(bad) == nullptr);
    REQUIRE(find_by_id("openpgp") == nullptr);
    REQUIRE(find_by_type(CardType::OpenPgp) == nullptr);
    // FinEID presents T=0 only: no TCK.
    REQUIRE(finnish_id::kAtrV4.size() == 20);
}

TEST_CASE("card profiles: references inside each profile agree") {
    for (const CardProfile* p : all_profiles()) {
        INFO(p->id);
        REQUIRE(p->applications.size() >= 2);
        REQUIRE(p->applications[0].fid == 0x3F00);
        for (const PinProfile& pin : p->pins) {
            INFO(pin.name);
            REQUIRE(pin.application < p->applications.size());
            REQUIRE(pin.format.min_length <= pin.format.max_length);
            REQUIRE(pin.format.max_length <= pin.format.stored_length);
            REQUIRE(pin.simulator_default.size() >= pin.format.min_length);
            REQUIRE(pin.simulator_default.size() <= pin.format.max_length);
            REQUIRE(std::all_of(pin.simulator_default.begin(), pin.simulator_default.end(),
                                [](std::uint8_t c) { return c >= '0' && c <= '9'; }));
            if (pin.unblocked_by) REQUIRE(find_pin(*p, pin.unblocked_by) != nullptr);
            REQUIRE(find_pin(*p, pin.reference) == &pin);
        }
        for (const KeyProfile& key : p->keys) {
            INFO(key.name);
            REQUIRE(find_pin(*p, key.pin_reference) != nullptr);
            REQUIRE(key.application < p->applications.size());
            REQUIRE(key.certificate < p->files.size());
            REQUIRE(p->files[key.certificate].kind == FileKind::Certificate);
            REQUIRE_FALSE(key.hash_sizes.empty());
            REQUIRE_FALSE(key.mse.empty());
            for (const MseTemplate& t : key.mse) {  // each form names this key: ... 84 01 <ref>
                REQUIRE(t.data.size() >= 3);
                REQUIRE(t.data[t.data.size() - 3] == 0x84);
                REQUIRE(t.data[t.data.size() - 2] == 0x01);
                REQUIRE(t.data.back() == key.reference);
            }
            REQUIRE(find_key(*p, key.role) == &key);
            REQUIRE(index_of(*p, key) != npos);
        }
        for (const FileProfile& f : p->files) {  // under the MF or under one of the profile's DFs
            REQUIRE((f.path.size() == 2 || f.path.size() == 4));
            if (f.path.size() == 4) {
                const std::uint16_t df = static_cast<std::uint16_t>(f.path[0] << 8 | f.path[1]);
                REQUIRE(std::any_of(p->applications.begin(), p->applications.end(),
                                    [&](const Application& a) { return a.fid == df; }));
            }
        }
        REQUIRE(find_pin(*p, PinRole::Signature)->one_operation);
    }
    // The Estonian (IDEMIA 2018), Finnish (FinEID v4) and Latvian (IDEMIA v2) cards are simulated so far.
    REQUIRE(estonian_id::kProfile.simulated);
    REQUIRE(finnish_id::kProfile.simulated);
    REQUIRE(latvian_id::kProfile.simulated);
    REQUIRE_FALSE(estonian_id_thales::kProfile.simulated);
}
