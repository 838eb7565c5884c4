// What every applet of the card core shares: the de-chained command, the reply, the card options and the
// buffer limits (the transport layer in virtual_card.hpp sizes its buffers by them).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qscd/codec/bytes.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/sim/pin_object.hpp"

namespace qscd::sim {

using profiles::CardType;

struct CardOptions {
    // PBKDF2 iterations for PINs set from now on (factory defaults, CHANGE REFERENCE DATA...) and for records
    // re-derived at a successful VERIFY. Each PIN record stores its own count.
    std::uint32_t pin_iterations = kDefaultPinIterations;
    // The card application format() writes (a loaded state brings its own).
    CardType card_type = CardType::OpenPgp;
};

// Limits the card announces (OpenPGP 7F66, C0) and sizes its buffers by.
inline constexpr std::size_t kMaxCommandData = 0x1100;   // after command chaining
inline constexpr std::size_t kMaxResponseData = 0x1100;  // largest response (a 4096-byte certificate)
inline constexpr std::size_t kMaxChallenge = 0x0800;     // GET CHALLENGE, C0 bytes 3-4

struct ApduCommand {
    std::uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
    ByteView data;
    std::uint32_t ne = 0;  // 0 = no Le
    bool extended = false;
};

struct ApduReply {
    std::size_t length = 0;        // response data bytes written to the output span
    std::uint16_t sw = 0x9000;
};

}  // namespace qscd::sim
