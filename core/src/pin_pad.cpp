#include "qscd/pin_pad.hpp"

#include <filesystem>

#include "qscd/error.hpp"

namespace qscd {

Bytes pin_verify_structure(ByteView header, const PinPadFormat& format, std::uint8_t padding, std::uint8_t timeout_s) {
    if (header.size() != 4) throw Error(ErrorCode::InvalidArgument, "a VERIFY header has 4 bytes");
    if (format.pin_position > 15 || format.block_bytes > 15)
        throw Error(ErrorCode::InvalidArgument, "PIN position and block size must fit 4 bits (PC/SC part 10)");
    Bytes apdu(header.begin(), header.end());
    if (format.block_bytes == 0) {
        apdu.push_back(0x00);  // Lc: the reader sets it to the PIN's length
        apdu.insert(apdu.end(), format.pin_position, padding);
    } else {
        const std::size_t data = std::size_t{format.pin_position} + format.block_bytes;
        apdu.push_back(static_cast<std::uint8_t>(data));
        apdu.insert(apdu.end(), data, padding);
    }
    Bytes s;
    s.push_back(timeout_s);                                   // bTimerOut
    s.push_back(timeout_s);                                   // bTimerOut2
    // bmFormatString: units bytes (b7), PIN position (b6-b3), left justified (b2 = 0), encoding (b1-b0).
    s.push_back(static_cast<std::uint8_t>(0x80 | format.pin_position << 3 | static_cast<std::uint8_t>(format.encoding)));
    s.push_back(format.block_bytes);                          // bmPINBlockString: no length field
    s.push_back(0x00);                                        // bmPINLengthFormat
    s.push_back(format.max_digits);                           // wPINMaxExtraDigit, little-endian:
    s.push_back(format.min_digits);                           //   max, then min
    s.push_back(0x02);                                        // bEntryValidationCondition: OK key
    s.push_back(0x01);                                        // bNumberMessage: one
    s.push_back(0x09);                                        // wLangId 0x0409
    s.push_back(0x04);
    s.push_back(0x00);                                        // bMsgIndex
    s.insert(s.end(), {0x00, 0x00, 0x00});                    // bTeoPrologue
    const auto length = static_cast<std::uint32_t>(apdu.size());
    for (int shift = 0; shift < 32; shift += 8) s.push_back(static_cast<std::uint8_t>(length >> shift));  // ulDataLength
    s.insert(s.end(), apdu.begin(), apdu.end());
    return s;
}

Bytes pin_modify_structure(ByteView header, const PinPadFormat& format, std::uint8_t padding, std::uint8_t timeout_s) {
    if (header.size() != 4) throw Error(ErrorCode::InvalidArgument, "a CHANGE REFERENCE DATA header has 4 bytes");
    if (format.pin_position != 0 || format.block_bytes > 15)
        throw Error(ErrorCode::InvalidArgument, "the PIN blocks must start the data and fit 4 bits (PC/SC part 10)");
    Bytes apdu(header.begin(), header.end());
    const std::size_t data = 2 * std::size_t{format.block_bytes};
    apdu.push_back(static_cast<std::uint8_t>(data));  // 0: variable length, the reader sets Lc
    apdu.insert(apdu.end(), data, padding);
    Bytes s;
    s.push_back(timeout_s);                                   // bTimerOut
    s.push_back(timeout_s);                                   // bTimerOut2
    s.push_back(static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(format.encoding)));  // bmFormatString
    s.push_back(format.block_bytes);                          // bmPINBlockString
    s.push_back(0x00);                                        // bmPINLengthFormat
    s.push_back(0x00);                                        // bInsertionOffsetOld
    s.push_back(format.block_bytes);                          // bInsertionOffsetNew
    s.push_back(format.max_digits);                           // wPINMaxExtraDigit: max, then min
    s.push_back(format.min_digits);
    s.push_back(0x03);                                        // bConfirmPIN: ask the current PIN, confirm the new
    s.push_back(0x02);                                        // bEntryValidationCondition: OK key
    s.push_back(0x03);                                        // bNumberMessage: three
    s.push_back(0x09);                                        // wLangId 0x0409
    s.push_back(0x04);
    s.insert(s.end(), {0x00, 0x01, 0x02});                    // bMsgIndex1..3
    s.insert(s.end(), {0x00, 0x00, 0x00});                    // bTeoPrologue
    const auto length = static_cast<std::uint32_t>(apdu.size());
    for (int shift = 0; shift < 32; shift += 8) s.push_back(static_cast<std::uint8_t>(length >> shift));  // ulDataLength
    s.insert(s.end(), apdu.begin(), apdu.end());
    return s;
}

Bytes write_display_structure(std::uint8_t row, std::string_view text, std::uint16_t time_ms) {
    if (text.size() > 0xFF) text = text.substr(0, 0xFF);
    Bytes s(7 + text.size());
    s[0] = static_cast<std::uint8_t>(time_ms);       // wDisplayTime, little-endian
    s[1] = static_cast<std::uint8_t>(time_ms >> 8);
    s[2] = 0x00;                                     // bPosX
    s[3] = row;                                      // bPosY
    s[4] = 0x09;                                     // wLangId 0x0409
    s[5] = 0x04;
    s[6] = static_cast<std::uint8_t>(text.size());   // bStringLength
    for (std::size_t i = 0; i < text.size(); ++i) s[7 + i] = static_cast<std::uint8_t>(text[i]);
    return s;
}

std::pair<std::string, std::string> display_lines(std::string_view purpose, std::size_t columns) {
    auto cut = [columns](std::string_view s) { return std::string(s.substr(0, columns)); };
    const auto open = purpose.rfind(" (");
    if (purpose.rfind("sign ", 0) == 0 && open != std::string_view::npos && open > 5 && purpose.back() != '(') {
        const std::string document = std::filesystem::path(std::string(purpose.substr(5, open - 5))).filename().string();
        std::string_view hash = purpose.substr(open + 2);
        if (!hash.empty() && hash.back() == ')') hash.remove_suffix(1);
        return {cut("sign " + document), cut(hash)};
    }
    return {cut(purpose), cut(purpose.size() > columns ? purpose.substr(columns) : std::string_view{})};
}

void check_pin_pad_status(StatusWord sw) {
    switch (sw.value) {
        case 0x6400: throw Error(ErrorCode::Cancelled, "nobody typed the PIN on the reader's keypad in time (timeout); nothing was verified", std::nullopt, sw);
        case 0x6401: throw Error(ErrorCode::Cancelled, "PIN entry cancelled on the reader's keypad; nothing was verified", std::nullopt, sw);
        case 0x6402: throw Error(ErrorCode::InvalidPin, "the new PINs typed on the reader's keypad differ; nothing was changed", std::nullopt, sw);
        case 0x6403: throw Error(ErrorCode::InvalidPin, "the PIN typed on the reader's keypad is too short or too long; nothing was sent to the card", std::nullopt, sw);
        case 0x6B80: throw Error(ErrorCode::NotSupported, "the reader refused the PIN-pad request (bad PIN_VERIFY structure for this reader)", std::nullopt, sw);
        default: return;
    }
}

PinPad& usable_pin_pad(Transport& transport) {
    PinPad* pad = transport.pin_pad();
    if (!pad)
        throw Error(ErrorCode::NotSupported, "the reader (" + transport.description() +
                                                 ") has no PIN pad; enter the PIN on the host (nothing was sent to the card)");
    return *pad;
}

void show_purpose(PinPad& pad, std::string_view purpose) {
    const auto [first, second] = display_lines(purpose, pad.display_columns());
    pad.show(first, second);
}

}  // namespace qscd
