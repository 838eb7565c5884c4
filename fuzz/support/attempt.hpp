// Runs one step of a fuzzed session: a typed qscd::Error is an accepted outcome; anything else
// (another exception type, a sanitizer report) escapes and is a finding.
#pragma once

#include "qscd/error.hpp"

namespace qscd::fuzz {

template <class Step>
void attempt(Step&& step) {
    try {
        step();
    } catch (const Error&) {
    }
}

}  // namespace qscd::fuzz
