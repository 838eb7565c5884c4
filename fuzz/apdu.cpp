// Command APDU parser (parse_command_apdu, ISO 7816-3 §12.1.3 / iso7816.md §1.1) and ResponseApdu.
// Invariants: the parsed data lies inside the input; what parses re-encodes to exactly the input
// (the encoding is unambiguous once short/extended is known); responses round-trip too.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "qscd/codec/apdu.hpp"

using namespace qscd;

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "apdu invariant violated: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView raw(data, size);

    if (auto v = parse_command_apdu(raw); v) {
        if (!v->data.empty() && (v->data.data() < raw.data() || v->data.data() + v->data.size() > raw.data() + raw.size()))
            violated("command data outside the input");
        if (v->iso_case < 1 || v->iso_case > 4 || v->has_le() != (v->ne != 0)) violated("case / Ne inconsistent");
        CommandApdu c(v->cla, v->ins, v->p1, v->p2, Bytes(v->data.begin(), v->data.end()), v->ne);
        auto encoded = c.encode(v->extended);
        if (!encoded) violated("a parsed command does not encode");
        if (!std::equal(encoded->begin(), encoded->end(), raw.begin(), raw.end())) violated("command round trip");
    }

    if (auto r = parse_response_apdu(raw); r) {
        if (r->data.size() + 2 != size) violated("response data length");
        const Bytes encoded = r->encode();
        if (!std::equal(encoded.begin(), encoded.end(), raw.begin(), raw.end())) violated("response round trip");
        (void)r->sw.is_success();
    }
    return 0;
}
