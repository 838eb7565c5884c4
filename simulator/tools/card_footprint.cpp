// RAM of one simulated card object (issue 15, docs/firmware.md): sizeof of the card core's objects, i.e. what a
// firmware holds in static RAM for one card (the crypto implementation's heap for bignums is not included).
// usage: card_footprint [--limit BYTES]   exit 1 if sizeof(VirtualCard) exceeds BYTES.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "qscd/sim/virtual_card.hpp"

namespace {

void row(const char* name, std::size_t bytes) {
    std::printf("%-28s %7zu bytes  %6.1f KiB\n", name, bytes, static_cast<double>(bytes) / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace qscd::sim;
    row("VirtualCard (one card)", sizeof(VirtualCard));
    row("  OpenPgpApplet", sizeof(OpenPgpApplet));
    row("  IdCardApplet", sizeof(IdCardApplet));
    row("    CardState (OpenPGP)", sizeof(CardState));
    row("    IdCardState", sizeof(IdCardState));
    row("  response buffer (caller)", kMaxResponseApdu);
    if (argc == 3 && std::strcmp(argv[1], "--limit") == 0) {
        const auto limit = std::strtoull(argv[2], nullptr, 10);
        if (sizeof(VirtualCard) > limit) {
            std::fprintf(stderr, "card_footprint: VirtualCard is %zu bytes, over the limit of %llu\n",
                         sizeof(VirtualCard), limit);
            return 1;
        }
    }
    return 0;
}
