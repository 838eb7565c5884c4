// ISO 7816-4 §5.6 status words (SW1 SW2) with their names.
#pragma once

#include <cstdint>
#include <string>

namespace qscd {

struct StatusWord {
    std::uint16_t value = 0;

    constexpr StatusWord() = default;
    constexpr explicit StatusWord(std::uint16_t v) : value(v) {}
    constexpr StatusWord(std::uint8_t sw1, std::uint8_t sw2) : value(static_cast<std::uint16_t>(sw1 << 8 | sw2)) {}

    constexpr std::uint8_t sw1() const { return static_cast<std::uint8_t>(value >> 8); }
    constexpr std::uint8_t sw2() const { return static_cast<std::uint8_t>(value & 0xFF); }
    constexpr bool is_success() const { return value == 0x9000; }
    constexpr bool has_more_data() const { return sw1() == 0x61; }        // 61xx: GET RESPONSE
    constexpr bool is_wrong_le() const { return sw1() == 0x6C; }           // 6Cxx: resend with Le = xx
    constexpr bool is_counter() const { return (value & 0xFFF0) == 0x63C0; }  // 63Cx: x tries left
    constexpr int counter() const { return value & 0x0F; }
    constexpr bool operator==(const StatusWord&) const = default;

    // "6982 security status not satisfied"
    std::string describe() const;
    // The name alone ("security status not satisfied"); "unknown status" when not in the table.
    const char* name() const;
};

namespace sw {
inline constexpr StatusWord kSuccess{0x9000};
inline constexpr StatusWord kTerminated{0x6285};
inline constexpr StatusWord kVerificationFailed{0x6300};
inline constexpr StatusWord kMemoryFailure{0x6581};
inline constexpr StatusWord kWrongLength{0x6700};
inline constexpr StatusWord kLastCommandOfChainExpected{0x6883};
inline constexpr StatusWord kChainingNotSupported{0x6884};
inline constexpr StatusWord kSecurityStatusNotSatisfied{0x6982};
inline constexpr StatusWord kAuthenticationBlocked{0x6983};
inline constexpr StatusWord kConditionsNotSatisfied{0x6985};
inline constexpr StatusWord kIncorrectData{0x6A80};
inline constexpr StatusWord kFunctionNotSupported{0x6A81};
inline constexpr StatusWord kFileNotFound{0x6A82};
inline constexpr StatusWord kNotEnoughMemory{0x6A84};
inline constexpr StatusWord kIncorrectP1P2{0x6A86};
inline constexpr StatusWord kReferencedDataNotFound{0x6A88};
inline constexpr StatusWord kWrongP1P2{0x6B00};
inline constexpr StatusWord kInsNotSupported{0x6D00};
inline constexpr StatusWord kClaNotSupported{0x6E00};
inline constexpr StatusWord kNoPreciseDiagnosis{0x6F00};
}  // namespace sw

}  // namespace qscd
