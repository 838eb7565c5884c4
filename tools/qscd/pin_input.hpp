// Where PINs come from: the terminal without echo, a file descriptor (--pin-fd N), or an environment
// variable for automation. Never from a plain command-line argument (it would show in `ps`).
#pragma once

#include <optional>
#include <string>

#include "qscd/key_handle.hpp"
#include "qscd/secure_bytes.hpp"

namespace qscd::cli {

struct PinSource {
    std::optional<int> fd;   // read one line from this descriptor
    std::string env_name;    // e.g. QSCD_PIN
};

// Reads a secret: fd first, then the environment, then the terminal (prompt on /dev/tty).
// Throws Error(Cancelled) when nothing can be read.
Pin read_pin(const PinSource& source, const std::string& prompt);

// A PinPrompt for KeyHandle::sign_hash that reads from `source` and shows the tries left.
PinPrompt make_pin_prompt(PinSource source);

}  // namespace qscd::cli
