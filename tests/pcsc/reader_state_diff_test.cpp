#include <catch2/catch.hpp>

#include "qscd/pcsc/reader_state.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using namespace qscd::pcsc;
using qscd::test::hex;

namespace {

ReaderStatus reader(std::string name, std::optional<Bytes> atr = std::nullopt, std::uint32_t count = 0) {
    ReaderStatus r;
    r.reader = std::move(name);
    r.card_present = atr.has_value();
    if (atr) r.atr = *atr;
    r.event_count = count;
    return r;
}

std::string render(const std::vector<ReaderEvent>& events) {
    std::string out;
    for (const auto& e : events) {
        if (!out.empty()) out += " | ";
        out += std::string(to_string(e.kind)) + " " + e.reader;
        if (!e.atr.empty()) out += " " + to_hex(e.atr, "");
    }
    return out;
}

const Bytes kAtrA = hex("3B 8D 81 31");
const Bytes kAtrB = hex("3B 8D 81 32");

}  // namespace

TEST_CASE("the first look reports readers and their cards as added and inserted") {
    CHECK(render(diff_reader_states({}, {reader("R0", kAtrA), reader("R1")})) ==
          "reader added R0 | card inserted R0 3B8D8131 | reader added R1");
}

TEST_CASE("card insertion and removal") {
    CHECK(render(diff_reader_states({reader("R0")}, {reader("R0", kAtrA)})) == "card inserted R0 3B8D8131");
    CHECK(render(diff_reader_states({reader("R0", kAtrA)}, {reader("R0")})) == "card removed R0 3B8D8131");
    CHECK(diff_reader_states({reader("R0", kAtrA, 3)}, {reader("R0", kAtrA, 3)}).empty());
    CHECK(diff_reader_states({reader("R0")}, {reader("R0")}).empty());
}

TEST_CASE("a card swapped between two looks is removed then inserted") {
    CHECK(render(diff_reader_states({reader("R0", kAtrA)}, {reader("R0", kAtrB)})) ==
          "card removed R0 3B8D8131 | card inserted R0 3B8D8132");
    CHECK(render(diff_reader_states({reader("R0", kAtrA, 2)}, {reader("R0", kAtrA, 4)})) ==
          "card removed R0 3B8D8131 | card inserted R0 3B8D8131");
}

TEST_CASE("a reader unplugged with its card: card removed, then reader removed") {
    CHECK(render(diff_reader_states({reader("R0", kAtrA), reader("R1")}, {reader("R1")})) ==
          "card removed R0 3B8D8131 | reader removed R0");
}
