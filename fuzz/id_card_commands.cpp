// Stateful fuzzing of the simulated national ID card (the profile-driven ISO 7816-4/-8 applet, issue 13):
// the input is a list of command APDUs (support/framing.hpp) sent to a fresh copy of a personalised
// Estonian ID card, or of another simulated profile's card when the first frame is the one byte of its card
// type (03: the Finnish FinEID v4 card); an empty frame power-cycles the card. Besides "never crash", each response is checked:
//   - it ends with SW1 SW2 and carries at most Ne data bytes (256 without Le; iso7816.md §3);
//   - a PIN's retry counter rises only by a successful VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER;
//   - an operational card never returns to personalisation, and its keys never change;
//   - what the card committed is what it runs on: the stored image reloads to the same counters.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "card_invariants.hpp"
#include "framing.hpp"
#include "qscd/codec/apdu.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/profiles/estonian_id.hpp"
#include "qscd/profiles/finnish_id.hpp"
#include "qscd/sim/id_card_personalisation.hpp"
#include "sim_transport.hpp"

using namespace qscd;

namespace {

[[noreturn]] void violated(const char* what) { fuzz::violated("id_card_commands", what); }

// A personalised card of `profile` (keys generated on the card, placeholder certificates).
Bytes personalised_id_card_image(const profiles::CardProfile& profile) {
    return [&] {
        auto storage = std::make_shared<sim::MemoryStorage>();
        {
            fuzz::DeterministicRandom random;
            fuzz::FixedClock clock;
            sim::CardOptions options;
            options.pin_iterations = fuzz::kFuzzPinIterations;
            options.card_type = profile.type;
            sim::VirtualCard card(*storage, random, clock, options);
            if (card.format({0x00, 0x00, 0x0E, 0xE1}) != sim::StorageStatus::Ok) std::abort();
        }
        fuzz::SimTransport transport(storage);
        sim::personalise_id_card(transport, profile,
                                 [](const profiles::KeyProfile& key, ByteView spki) {
                                     Bytes body(spki.begin(), spki.end());
                                     body.push_back(key.reference);
                                     return encode_tlv(0x30, body);
                                 });
        return *storage->image();
    }();
}

struct Snapshot {
    std::array<std::uint8_t, sim::kIdMaxPins> tries{};
    std::uint8_t life_cycle = 0;
    std::array<std::uint16_t, sim::kIdMaxKeys> key_lengths{};
    explicit Snapshot(const sim::IdCardState& s) : life_cycle(s.life_cycle) {
        for (std::size_t i = 0; i < tries.size(); ++i) tries[i] = s.pins[i].retries;
        for (std::size_t i = 0; i < key_lengths.size(); ++i) key_lengths[i] = s.keys[i].length;
    }
    bool operator==(const Snapshot&) const = default;
};

void check_transition(const Snapshot& before, const Snapshot& after, std::uint8_t ins, std::uint16_t sw) {
    const bool ok = sw == 0x9000 || (sw >> 8) == 0x61;
    for (std::size_t i = 0; i < before.tries.size(); ++i)
        if (after.tries[i] > before.tries[i] && !(ok && (ins == 0x20 || ins == 0x24 || ins == 0x2C)))
            violated("a retry counter rose without a successful PIN command");
    if (before.life_cycle == sim::kIdLifeCycleOperational && after.life_cycle != before.life_cycle)
        violated("an operational card left its life cycle");
    if (before.life_cycle == sim::kIdLifeCycleOperational && after.key_lengths != before.key_lengths)
        violated("a key of an operational card changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Bytes estonian = personalised_id_card_image(profiles::estonian_id::kProfile);
    static const Bytes finnish = personalised_id_card_image(profiles::finnish_id::kProfile);
    static std::vector<std::uint8_t> response(sim::kMaxResponseApdu);

    std::vector<ByteView> frames = fuzz::split_frames(ByteView(data, size));
    sim::CardType type = sim::CardType::EstonianId;
    if (!frames.empty() && frames.front().size() == 1 && frames.front()[0] == static_cast<std::uint8_t>(sim::CardType::FinnishIdV4)) {
        type = sim::CardType::FinnishIdV4;
        frames.erase(frames.begin());
    }
    auto storage = std::make_shared<sim::MemoryStorage>(type == sim::CardType::FinnishIdV4 ? finnish : estonian);
    fuzz::SimTransport transport(storage);
    sim::VirtualCard& card = transport.card();
    if (card.card_type() != type) violated("the image did not load as an ID card of its type");
    for (ByteView command : frames) {
        if (command.empty()) {
            card.reset();
            continue;
        }
        const Snapshot before(card.id_applet().state());
        const std::size_t n = card.process(command, response);
        fuzz::check_response_length("id_card_commands", command, n);
        const auto sw = static_cast<std::uint16_t>(response[n - 2] << 8 | response[n - 1]);
        check_transition(before, Snapshot(card.id_applet().state()), command.size() >= 2 ? command[1] : 0, sw);
    }
    auto copy = std::make_shared<sim::MemoryStorage>(*storage->image());
    fuzz::SimTransport reloaded(copy);
    if (!(Snapshot(card.id_applet().state()) == Snapshot(reloaded.card().id_applet().state())))
        violated("committed state differs from the running card");
    return 0;
}
