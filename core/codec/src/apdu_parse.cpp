// The allocation-free half of the APDU codec: parsing a command APDU (the card side links only this).
#include "qscd/codec/apdu.hpp"

namespace qscd {

const char* describe(ApduError error) {
    switch (error) {
        case ApduError::TooShort: return "APDU too short";
        case ApduError::LengthMismatch: return "APDU length fields inconsistent with its size";
        case ApduError::DataTooLong: return "APDU data longer than 65535 bytes";
        case ApduError::LeTooLarge: return "APDU Le larger than 65536";
    }
    return "APDU error";
}

Result<CommandApduView, ApduError> parse_command_apdu(ByteView raw) {
    if (raw.size() < 4) return fail(ApduError::TooShort);
    CommandApduView v;
    v.cla = raw[0];
    v.ins = raw[1];
    v.p1 = raw[2];
    v.p2 = raw[3];
    const std::size_t total = raw.size();
    if (total == 4) {
        v.iso_case = 1;
        return v;
    }
    const std::uint8_t b4 = raw[4];
    if (total == 5) {  // case 2S
        v.iso_case = 2;
        v.ne = b4 ? b4 : 256;
        return v;
    }
    if (b4 != 0) {  // short Lc
        const std::size_t lc = b4;
        if (total == 5 + lc) {
            v.iso_case = 3;
        } else if (total == 6 + lc) {
            v.iso_case = 4;
            v.ne = raw[total - 1] ? raw[total - 1] : 256;
        } else {
            return fail(ApduError::LengthMismatch);
        }
        v.data = raw.subspan(5, lc);
        return v;
    }
    // b4 == 00: extended length
    v.extended = true;
    if (total == 7) {  // case 2E
        v.iso_case = 2;
        const std::uint32_t le = static_cast<std::uint32_t>(raw[5] << 8 | raw[6]);
        v.ne = le ? le : 65536;
        return v;
    }
    if (total < 7) return fail(ApduError::LengthMismatch);
    const std::size_t lc = static_cast<std::size_t>(raw[5] << 8 | raw[6]);
    if (lc == 0) return fail(ApduError::LengthMismatch);
    if (total == 7 + lc) {
        v.iso_case = 3;
    } else if (total == 9 + lc) {
        v.iso_case = 4;
        const std::uint32_t le = static_cast<std::uint32_t>(raw[total - 2] << 8 | raw[total - 1]);
        v.ne = le ? le : 65536;
    } else {
        return fail(ApduError::LengthMismatch);
    }
    v.data = raw.subspan(7, lc);
    return v;
}

}  // namespace qscd
