// ISO 7816-4 status words (iso7816.md §2), shared by every applet of the card core. Private to the card core.
#pragma once

#include <cstdint>

#include "qscd/sim/applet.hpp"

namespace qscd::sim::applet_detail {

inline constexpr std::uint16_t kOk = 0x9000;
inline constexpr std::uint16_t kEndOfFile = 0x6282;
inline constexpr std::uint16_t kTerminated = 0x6285;
inline constexpr std::uint16_t kMemoryFailure = 0x6581;
inline constexpr std::uint16_t kWrongLength = 0x6700;
inline constexpr std::uint16_t kNotAllowedNoEf = 0x6986;
inline constexpr std::uint16_t kIncompatibleFile = 0x6981;
inline constexpr std::uint16_t kSecurity = 0x6982;
inline constexpr std::uint16_t kBlocked = 0x6983;
inline constexpr std::uint16_t kConditions = 0x6985;
inline constexpr std::uint16_t kBadData = 0x6A80;
inline constexpr std::uint16_t kFuncNotSupported = 0x6A81;
inline constexpr std::uint16_t kFileNotFound = 0x6A82;
inline constexpr std::uint16_t kNotEnoughMemory = 0x6A84;
inline constexpr std::uint16_t kBadP1P2 = 0x6A86;
inline constexpr std::uint16_t kNotFound = 0x6A88;
inline constexpr std::uint16_t kOffsetOutside = 0x6B00;
inline constexpr std::uint16_t kInsNotSupported = 0x6D00;
inline constexpr std::uint16_t kNoPrecise = 0x6F00;

inline ApduReply sw_only(std::uint16_t sw) { return ApduReply{0, sw}; }
// 63 Cx: verification failed, x tries left (saturates at 15).
inline std::uint16_t sw_tries_left(std::uint8_t tries) { return static_cast<std::uint16_t>(0x63C0 | (tries > 15 ? 15 : tries)); }

}  // namespace qscd::sim::applet_detail
