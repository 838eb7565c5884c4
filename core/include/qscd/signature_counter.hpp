// The card's digital signature counter as a witness: read before and after signing, it must have
// risen by exactly the number of signatures we asked for. Anything else means the card signed
// something we did not ask for (or lost count) — a QSCD must report it, loudly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace qscd {

// nullopt when the step is as expected; otherwise what is wrong, in one line.
inline std::optional<std::string> unexpected_counter_step(std::optional<std::uint32_t> before, std::optional<std::uint32_t> after,
                                                          std::uint32_t signatures) {
    if (!before || !after) return std::string("the card's signature counter could not be read before and after signing");
    if (*after == *before + signatures) return std::nullopt;
    return "the card's signature counter went from " + std::to_string(*before) + " to " + std::to_string(*after) + ", expected " +
           std::to_string(*before + signatures) + ": the card signed something qscd did not ask for, or lost count";
}

}  // namespace qscd
