// Invariants every card-command fuzz target checks, whatever the applet answering.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "qscd/codec/apdu.hpp"
#include "qscd/codec/bytes.hpp"

namespace qscd::fuzz {

// A broken invariant is a crash libFuzzer records with the input that caused it.
[[noreturn]] inline void violated(const char* target, const char* what) {
    std::fprintf(stderr, "%s invariant violated: %s\n", target, what);
    std::abort();
}

// ISO 7816-4 §5.1: every answer ends in SW1 SW2; an unparsable command gets no data; never more than Ne.
inline void check_response_length(const char* target, ByteView command, std::size_t length) {
    if (length < 2) violated(target, "response without a status word");
    auto parsed = parse_command_apdu(command);
    const std::size_t data = length - 2;
    if (!parsed) {
        if (data != 0) violated(target, "data in the answer to an unparsable command");
        return;
    }
    const std::size_t ne = parsed->ne == 0 ? 256 : parsed->ne;
    if (data > ne) violated(target, "more response data than Ne");
}

}  // namespace qscd::fuzz
