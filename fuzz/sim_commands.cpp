// Stateful fuzzing of the simulated card: the input is a list of command APDUs (support/framing.hpp),
// sent one after another to a fresh copy of a personalised card. An empty frame power-cycles the card.
// Besides "never crash", every response is checked against invariants the spec makes cheap to see:
//   - it ends with SW1 SW2 and carries at most Ne data bytes (256 without Le; iso7816.md §3);
//   - a retry counter rises only by a successful VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER
//     / resetting-code PUT DATA / ACTIVATE (openpgp-card.md §6);
//   - the signature counter rises by exactly one per successful PSO:CDS and otherwise only returns to
//     zero with a new key or a factory reset (§8.2);
//   - what the card committed is what it runs on: the stored image reloads to the same counters.
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>

#include "card_invariants.hpp"
#include "framing.hpp"
#include "personalised_card.hpp"
#include "qscd/codec/apdu.hpp"
#include "sim_transport.hpp"

using namespace qscd;

namespace {

[[noreturn]] void violated(const char* what) { fuzz::violated("sim_commands", what); }

bool one_of(std::uint8_t ins, std::initializer_list<std::uint8_t> set) {
    for (std::uint8_t x : set)
        if (x == ins) return true;
    return false;
}

// RSA key generation takes seconds under ASan and proves nothing new per input: skip it.
bool is_slow_generate(const sim::CardState& state, ByteView command) {
    if (command.size() < 4 || command[1] != 0x47 || command[2] != 0x80) return false;
    for (const auto& slot : state.slots)
        if (!slot.attributes.empty() && slot.attributes.data[0] == 0x01) return true;
    return false;
}

struct Counters {
    std::uint8_t pw1, rc, pw3;
    std::uint32_t signatures;
    explicit Counters(const sim::CardState& s)
        : pw1(s.pw1.retries), rc(s.rc.retries), pw3(s.pw3.retries), signatures(s.signature_counter) {}
};

void check_counters(const Counters& before, const Counters& after, std::uint8_t ins, std::uint16_t sw) {
    const bool ok = sw == 0x9000 || (sw >> 8) == 0x61;  // 61xx: done, the data waits for GET RESPONSE
    if (after.pw1 > before.pw1 && !(ok && one_of(ins, {0x20, 0x24, 0x2C, 0x44}))) violated("PW1 retry counter rose");
    if (after.pw3 > before.pw3 && !(ok && one_of(ins, {0x20, 0x24, 0x44}))) violated("PW3 retry counter rose");
    if (after.rc > before.rc && !(ok && one_of(ins, {0x2C, 0xDA, 0x44}))) violated("RC retry counter rose");
    if (after.signatures != before.signatures) {
        const bool signed_once = ok && ins == 0x2A && after.signatures == before.signatures + 1;
        const bool reset = after.signatures == 0 && one_of(ins, {0xDA, 0x47, 0xDB, 0x44, 0xE6});
        if (!signed_once && !reset) violated("signature counter changed without one signature");
    }
}

// The card must run on what it committed: reload the stored image and compare the counters.
void check_persisted(fuzz::SimTransport& live) {
    if (!live.card().applet().loaded()) return;
    auto copy = std::make_shared<sim::MemoryStorage>(*live.storage().image());
    fuzz::SimTransport reloaded(copy);
    const Counters a(live.card().state()), b(reloaded.card().state());
    if (a.pw1 != b.pw1 || a.pw3 != b.pw3 || a.rc != b.rc || a.signatures != b.signatures)
        violated("committed state differs from the running card");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Bytes& image = fuzz::personalised_card_image();
    static std::vector<std::uint8_t> response(sim::kMaxResponseApdu);

    fuzz::SimTransport transport(std::make_shared<sim::MemoryStorage>(image));
    sim::VirtualCard& card = transport.card();
    for (ByteView command : fuzz::split_frames(ByteView(data, size))) {
        if (command.empty()) {
            card.reset();
            continue;
        }
        if (is_slow_generate(card.state(), command)) continue;
        const Counters before(card.state());
        const std::size_t n = card.process(command, response);
        fuzz::check_response_length("sim_commands", command, n);
        const auto sw = static_cast<std::uint16_t>(response[n - 2] << 8 | response[n - 1]);
        check_counters(before, Counters(card.state()), command.size() >= 2 ? command[1] : 0, sw);
    }
    check_persisted(transport);
    return 0;
}
