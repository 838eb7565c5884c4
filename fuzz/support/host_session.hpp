// The host operations the host_responses harness drives, in a fixed order: open (SELECT + 6E), info,
// PIN status, counter, keys (public key + certificate), one signature, a batch of two, certificate
// read, PIN change and unblock. The seed generator runs the same session against the simulated card
// and records the card's answers, so a seed replays a real session response by response.
#pragma once

#include <memory>

#include "qscd/transport.hpp"

namespace qscd::fuzz {

// Each step catches qscd::Error (a typed refusal is a correct outcome) and the next step runs.
// Anything else escapes: for the harness it is a finding.
void run_host_session(std::unique_ptr<Transport> transport);

}  // namespace qscd::fuzz
