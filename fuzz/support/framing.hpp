// Corpus framing for targets whose input is a sequence of messages (APDUs, card responses):
// each message is a 2-byte big-endian length followed by that many bytes. A final frame that is
// shorter than its length takes what is left, so every byte string is a valid input.
#pragma once

#include <vector>

#include "qscd/codec/bytes.hpp"

namespace qscd::fuzz {

std::vector<ByteView> split_frames(ByteView input);
void append_frame(Bytes& out, ByteView message);

}  // namespace qscd::fuzz
