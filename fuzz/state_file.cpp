// Simulator state images ("QSCDSIM1", simulator/card/include/qscd/sim/state.hpp; format 1 OpenPGP, format 2
// an ID card, simulator/card/include/qscd/sim/id_card_state.hpp) from arbitrary bytes:
// loading must give a typed StateError or a card that works. The SHA-256 trailer would stop nearly
// every mutation at "Corrupted", so the first input byte lets the fuzzer ask the harness to fix up
// the framing: bit 0 recomputes the checksum, bit 1 sets the payload length to what is there.
// Invariants: parse_state / parse_id_state (by the image's card type) and the card's load agree on refusing; an accepted state serialises, and
// that image parses back and serialises to the same bytes; a loaded card answers every APDU.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzz_platform.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/id_card_state.hpp"
#include "qscd/sim/virtual_card.hpp"

using namespace qscd;

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "state_file invariant violated: %s\n", what);
    std::abort();
}

void fix_up(Bytes& image, std::uint8_t flags) {
    constexpr std::size_t kHash = 32;
    if (image.size() < sim::kStateHeaderSize + kHash) return;
    if (flags & 2) {
        const auto payload = static_cast<std::uint32_t>(image.size() - sim::kStateHeaderSize - kHash);
        for (int i = 0; i < 4; ++i) image[20 + i] = static_cast<std::uint8_t>(payload >> (8 * i));  // after magic, version, generation
    }
    if (flags & 1) {
        const Bytes sum = hash_bytes(HashAlgorithm::Sha256, ByteView(image).first(image.size() - kHash));
        std::copy(sum.begin(), sum.end(), image.end() - kHash);
    }
}

// `source`: the image `state` was parsed from (its certificates stay there).
void check_round_trip(sim::CardState& state, std::uint64_t generation, ByteView source) {
    static std::vector<std::uint8_t> first(sim::kStateMaxImage), second(sim::kStateMaxImage);
    static auto again = std::make_unique<sim::CardState>();
    const std::size_t n = sim::serialize_state(state, generation, source, first);
    if (n == 0) violated("an accepted state does not serialise");
    auto parsed = sim::parse_state(ByteView(first).first(n), *again);
    if (!parsed || parsed->generation != generation) violated("a serialised state does not parse back");
    const std::size_t m = sim::serialize_state(*again, generation, ByteView(first).first(n), second);
    if (m != n || !std::equal(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(n), second.begin()))
        violated("serialise(parse(serialise(s))) differs");
}

void check_id_round_trip(const sim::IdCardState& state, std::uint64_t generation) {
    static std::vector<std::uint8_t> first(sim::kStateMaxImage), second(sim::kStateMaxImage);
    static auto again = std::make_unique<sim::IdCardState>();
    const std::size_t n = sim::serialize_id_state(state, generation, first);
    if (n == 0) violated("an accepted ID card state does not serialise");
    auto parsed = sim::parse_id_state(ByteView(first).first(n), *again);
    if (!parsed || parsed->generation != generation) violated("a serialised ID card state does not parse back");
    const std::size_t m = sim::serialize_id_state(*again, generation, second);
    if (m != n || !std::equal(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(n), second.begin()))
        violated("serialise(parse(serialise(s))) differs for an ID card");
}

// A handful of commands over the main areas: the loaded card must answer each with a status word.
void exercise(sim::VirtualCard& card) {
    static const Bytes commands[] = {
        {0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x00},  // SELECT
        {0x00, 0xCA, 0x00, 0x6E, 0x00},                                            // GET DATA 6E
        {0x00, 0xCA, 0x00, 0x65, 0x00},                                            // GET DATA 65
        {0x00, 0xCA, 0x7F, 0x21, 0x00, 0x00, 0x00},                                // certificate
        {0x00, 0x47, 0x81, 0x00, 0x00, 0x00, 0x02, 0xB6, 0x00, 0x00, 0x00},        // read SIG public key
        {0x00, 0x20, 0x00, 0x81, 0x06, '1', '2', '3', '4', '5', '6'},              // VERIFY PW1 81
        {0x00, 0x2A, 0x9E, 0x9A, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
         17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0x00},   // PSO:CDS
        {0x00, 0xA4, 0x09, 0x04, 0x04, 0xAD, 0xF2, 0x34, 0x1F, 0x00},             // ID card: SELECT by path
        {0x00, 0xB0, 0x00, 0x00, 0x00},                                            // READ BINARY
        {0x00, 0xCB, 0x3F, 0xFF, 0x0A, 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x05, 0x02, 0xA0, 0x80, 0x00},  // tries
    };
    static std::vector<std::uint8_t> response(sim::kMaxResponseApdu);
    card.power_on();
    for (const Bytes& c : commands)
        if (card.process(c, response) < 2) violated("a loaded card gave no status word");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    Bytes image(data + 1, data + size);
    fix_up(image, data[0]);

    static auto scratch = std::make_unique<sim::CardState>();
    static auto id_scratch = std::make_unique<sim::IdCardState>();
    bool parsed = false;
    if (auto type = sim::peek_card_type(image); type && *type != sim::CardType::OpenPgp) {
        auto id = sim::parse_id_state(image, *id_scratch);
        if (id) check_id_round_trip(*id_scratch, id->generation);
        parsed = id.ok();
    } else {
        *scratch = sim::CardState{};
        auto pgp = sim::parse_state(image, *scratch);
        if (pgp) check_round_trip(*scratch, pgp->generation, image);
        parsed = pgp.ok();
    }

    sim::MemoryStorage storage(image);
    fuzz::DeterministicRandom random;
    fuzz::FixedClock clock;
    auto card = std::make_unique<sim::VirtualCard>(storage, random, clock, sim::CardOptions{1});
    auto loaded = card->load();
    if (loaded && !parsed) violated("the card loaded an image its parser refuses");
    if (loaded) exercise(*card);
    return 0;
}
