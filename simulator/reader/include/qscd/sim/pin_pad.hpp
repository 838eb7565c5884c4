// The simulated PIN-pad reader's logic (PC/SC part 10 v2.02.09, secure PIN entry): what the reader
// announces (features, PIN and display properties) and how it puts a PIN typed on its keypad into the
// APDU a PIN_VERIFY_STRUCTURE / PIN_MODIFY_STRUCTURE describes. Pure functions: the IFD handler
// (simulator/ifd) answers the announcements, qscd-sim's slots run the keypad and call the formatting.
// A reader, not a card: ordinary C++, but no dependency on the host drivers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"

namespace qscd::sim::pinpad {

// pcsc-lite's SCARD_CTL_CODE(code) = 0x42000000 + code (pcsc.md §1).
constexpr std::uint32_t ctl_code(std::uint32_t code) { return 0x42000000u + code; }
constexpr std::uint32_t kGetFeatureRequest = ctl_code(3400);  // CM_IOCTL_GET_FEATURE_REQUEST
// Our features' control codes: the CCID driver's scheme, SCARD_CTL_CODE(0x330000 + tag).
constexpr std::uint32_t feature_code(std::uint8_t tag) { return ctl_code(0x330000u + tag); }

constexpr std::uint8_t kFeatureVerifyPinDirect = 0x06;
constexpr std::uint8_t kFeatureModifyPinDirect = 0x07;
constexpr std::uint8_t kFeatureIfdPinProperties = 0x0A;
constexpr std::uint8_t kFeatureWriteDisplay = 0x0F;
constexpr std::uint8_t kFeatureIfdDisplayProperties = 0x11;
constexpr std::uint8_t kFeatureGetTlvProperties = 0x12;

// The display: 2 lines of 16 characters (a class-3 reader).
constexpr unsigned kDisplayLines = 2;
constexpr unsigned kDisplayColumns = 16;
constexpr unsigned kMaxPinDigits = 16;  // the keypad buffer

// Reader-generated status words (pcsc.md §6.2; the CCID driver's values).
constexpr std::uint16_t kSwTimeout = 0x6400;
constexpr std::uint16_t kSwCancelled = 0x6401;
constexpr std::uint16_t kSwPinsDiffer = 0x6402;
constexpr std::uint16_t kSwBadPinLength = 0x6403;
constexpr std::uint16_t kSwBadStructure = 0x6B80;

// GET_FEATURE_REQUEST answer: TLVs tag 04 code(4, big-endian) [part 10 §2.2].
Bytes feature_list();
// PIN_PROPERTIES_STRUCTURE: wLcdLayout (LE, lines << 8 | columns), bEntryValidationCondition
// (02: validation key), bTimeOut2 (00).
Bytes pin_properties();
// DISPLAY_PROPERTIES_STRUCTURE: wLcdMaxCharacters, wLcdMaxLines (LE).
Bytes display_properties();
// GET_TLV_PROPERTIES: tag len value(LE) [part 10 §2.3].
Bytes tlv_properties();

// The fields of the structures that say where and how the PIN goes into the APDU.
struct PinFormat {
    std::uint8_t format_string = 0;     // bmFormatString
    std::uint8_t block_string = 0;      // bmPINBlockString
    std::uint8_t length_format = 0;     // bmPINLengthFormat
    std::uint8_t min_digits = 0;        // wPINMaxExtraDigit high byte
    std::uint8_t max_digits = 0;        // wPINMaxExtraDigit low byte
};

struct VerifyRequest {
    std::uint8_t timeout = 0;           // bTimerOut, seconds; 0 = the reader's default
    PinFormat format;
    std::uint8_t number_message = 0;
    std::uint8_t msg_index = 0;
    Bytes apdu;                         // abData: the APDU template
};

struct ModifyRequest {
    std::uint8_t timeout = 0;
    PinFormat format;
    std::uint8_t offset_old = 0;        // bInsertionOffsetOld, bytes into the APDU data
    std::uint8_t offset_new = 0;        // bInsertionOffsetNew
    std::uint8_t confirm = 0;           // bConfirmPIN: bit 0 confirm the new PIN, bit 1 ask the old PIN
    std::uint8_t number_message = 0;
    std::uint8_t msg_index[3] = {0, 0, 0};
    Bytes apdu;
    bool asks_old() const { return (confirm & 0x02) != 0; }
    bool confirms_new() const { return (confirm & 0x01) != 0; }
};

// Parse the structures (multi-byte fields little-endian, part 10 §2.5.2 / §2.5.3); ulDataLength
// must match what follows. nullopt: malformed (the reader answers 6B80).
std::optional<VerifyRequest> parse_verify(ByteView structure);
std::optional<ModifyRequest> parse_modify(ByteView structure);

// The APDU the reader sends for the digits typed (ASCII '0'..'9'). Failure: the status word the
// reader answers instead (6403 length outside the limits or the block, 6B80 the structure does not
// fit the template).
//  * PIN position: bmFormatString b6-b3, in bytes (b7 = 1) or bits (b7 = 0), from the start of the
//    APDU data (after Lc); justification b2 (right: the PIN ends at the end of the block); encoding
//    b1-b0: 00 binary (one digit value per byte), 01 BCD (one digit per nibble), 10 ASCII.
//  * Block: bmPINBlockString b3-b0 bytes. The PIN overwrites only its own bits: the rest of the block
//    keeps the template's padding (e.g. FF). Block 0: variable length, the data ends with the PIN and
//    the reader sets Lc.
//  * PIN length field: bmPINBlockString b7-b4 bits wide (0: none), at bmPINLengthFormat b3-b0 in
//    bytes (b4 = 1) or bits (b4 = 0); holds the number of digits.
Result<Bytes, std::uint16_t> format_verify(const VerifyRequest& request, std::string_view digits);
// CHANGE REFERENCE DATA: with fixed blocks the old PIN's block starts at bInsertionOffsetOld and the
// new one's at bInsertionOffsetNew (each formatted as above); with variable length (block 0) the
// data is old PIN ‖ new PIN (just the new PIN when the old one is not asked).
Result<Bytes, std::uint16_t> format_modify(const ModifyRequest& request, std::string_view old_digits,
                                           std::string_view new_digits);

// FEATURE_WRITE_DISPLAY input: wDisplayTime (ms, LE), bPosX, bPosY, wLangId (LE), bStringLength,
// bString (the layout ACS's CCID driver uses; part 10 assigns the feature tag 0x0F). nullopt: malformed.
struct DisplayWrite {
    std::uint16_t time_ms = 0;
    std::uint8_t column = 0;
    std::uint8_t row = 0;
    std::string text;
};
std::optional<DisplayWrite> parse_write_display(ByteView structure);

// What the display shows while waiting for the keypad ("Enter PIN", "New PIN", ...), per language
// default; index follows bMsgIndex (0 enter, 1 new, 2 confirm).
std::string prompt(std::uint8_t msg_index);

}  // namespace qscd::sim::pinpad
