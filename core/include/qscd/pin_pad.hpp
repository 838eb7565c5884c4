// Secure PIN entry on the reader's keypad (PC/SC part 10 v2.02.09), host side: the PIN_VERIFY
// structure a host driver builds from its card's PIN format, the reader it goes to, and the reader's
// status words as typed errors. Internal (not an installed header): applications choose
// qscd::ReaderPinPad (pin_entry.hpp); transports and drivers meet here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/status_word.hpp"
#include "qscd/error.hpp"
#include "qscd/transport.hpp"

namespace qscd {

// How the card wants the PIN in the VERIFY data: the part of a card profile's PIN format the reader
// needs to put the typed digits into the APDU.
struct PinPadFormat {
    enum class Encoding : std::uint8_t { Binary = 0, Bcd = 1, Ascii = 2 };
    Encoding encoding = Encoding::Ascii;
    std::uint8_t block_bytes = 0;    // 0: variable length, the reader sets Lc (OpenPGP)
    std::uint8_t pin_position = 0;   // bytes into the APDU data
    std::uint8_t min_digits = 0;
    std::uint8_t max_digits = 0;
};

// PIN_VERIFY_STRUCTURE [part 10 §2.5.2] for the VERIFY `header` (CLA INS P1 P2). Fixed blocks are
// padded with `padding` in the template (the reader overwrites the PIN's own bytes). The reader's
// default prompt (one message, US English), validation by its OK key, `timeout_s` 0 = its default.
Bytes pin_verify_structure(ByteView header, const PinPadFormat& format, std::uint8_t padding = 0xFF,
                           std::uint8_t timeout_s = 0);

// PIN_MODIFY_STRUCTURE [part 10 §2.5.3] for CHANGE REFERENCE DATA `header`: the reader asks the current
// PIN, then the new one twice (bConfirmPIN 03, three messages), and puts the current PIN at offset 0 and
// the new one at `block_bytes` (fixed blocks, both padded with `padding`) or right after it (variable
// length, the reader sets Lc).
Bytes pin_modify_structure(ByteView header, const PinPadFormat& format, std::uint8_t padding = 0xFF,
                           std::uint8_t timeout_s = 0);

// FEATURE_WRITE_DISPLAY input for one line: wDisplayTime (ms), bPosX 0, bPosY `row`, wLangId 0409,
// bStringLength, the text (the layout of ACS's CCID driver; part 10 names only the feature tag 0x0F).
Bytes write_display_structure(std::uint8_t row, std::string_view text, std::uint16_t time_ms = 0);

// What a class-3 reader shows before it asks for a signature PIN, from the PIN request's purpose
// ("sign /tmp/contract.pdf (SHA-256 3A7BD3E2…)"): "sign contract.pdf" and "SHA-256 3A7BD3E2", each cut
// to `columns`. Any other purpose: its first `columns` characters, then the next.
std::pair<std::string, std::string> display_lines(std::string_view purpose, std::size_t columns);

// The reader's PIN pad, as the transport offers it.
class PinPad {
public:
    // FEATURE_VERIFY_PIN_DIRECT: the reader collects the PIN and sends the VERIFY; answers the card's
    // status word or the reader's own (64xx). Throws Error(TransportError | CardRemoved).
    virtual StatusWord verify_pin_direct(ByteView structure) = 0;
    // FEATURE_MODIFY_PIN_DIRECT: the reader collects the current and the new PIN (twice) and sends
    // CHANGE REFERENCE DATA. Throws Error(NotSupported) when the reader has no such feature.
    virtual StatusWord modify_pin_direct(ByteView structure) {
        (void)structure;
        throw Error(ErrorCode::NotSupported, "the reader " + reader_name() + " cannot change a PIN on its keypad (no MODIFY_PIN_DIRECT)");
    }
    // A short name for messages: the reader's name.
    virtual std::string reader_name() const = 0;
    // False for a keypad that only fills fixed-size PIN blocks (a reader quirk): a card that wants
    // the PIN at its own length (OpenPGP) cannot use it.
    virtual bool takes_variable_length_pins() const { return true; }
    // A class-3 reader shows the two lines on its display (FEATURE_WRITE_DISPLAY); a reader without
    // one ignores them. Throws Error(TransportError | CardRemoved).
    virtual void show(std::string_view first, std::string_view second) {
        (void)first;
        (void)second;
    }
    // Characters per display line (16 when the reader does not say).
    virtual std::size_t display_columns() const { return 16; }

protected:
    ~PinPad() = default;
};

// The reader's own status words [part 10; CCID driver]: 6400 keypad timeout → Error(Cancelled,
// sw 6400), 6401 cancel key → Error(Cancelled, sw 6401), 6402 new PINs differ / 6403 PIN length
// outside the limits → Error(InvalidPin), 6B80 structure refused → Error(NotSupported). Returns for
// any other status word (the card's answer, for the driver to judge).
void check_pin_pad_status(StatusWord sw);

// What every host driver does before a VERIFY on the keypad, shared so that they cannot drift apart:
// the transport's PIN pad, or Error(NotSupported) naming the reader (nothing was sent to the card)...
PinPad& usable_pin_pad(Transport& transport);
// ... and on a class-3 reader, what the PIN will authorise (display_lines of the PIN request's
// purpose) on the display before the holder types the PIN.
void show_purpose(PinPad& pad, std::string_view purpose);

}  // namespace qscd
