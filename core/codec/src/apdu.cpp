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

Result<Bytes, ApduError> CommandApdu::encode(bool force_extended) const {
    if (data.size() > 65535) return fail(ApduError::DataTooLong);
    if (ne > 65536) return fail(ApduError::LeTooLarge);
    const bool extended = force_extended || needs_extended();
    Bytes out{cla, ins, p1, p2};
    if (!extended) {
        if (!data.empty()) {
            out.push_back(static_cast<std::uint8_t>(data.size()));
            out.insert(out.end(), data.begin(), data.end());
        }
        if (ne) out.push_back(static_cast<std::uint8_t>(ne == 256 ? 0 : ne));
        return out;
    }
    if (!data.empty() || ne) out.push_back(0x00);  // extended marker
    if (!data.empty()) {
        out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(data.size()));
        out.insert(out.end(), data.begin(), data.end());
    }
    if (ne) {
        const std::uint32_t le = ne == 65536 ? 0 : ne;
        out.push_back(static_cast<std::uint8_t>(le >> 8));
        out.push_back(static_cast<std::uint8_t>(le));
    }
    return out;
}

Bytes ResponseApdu::encode() const {
    Bytes out = data;
    out.push_back(sw.sw1());
    out.push_back(sw.sw2());
    return out;
}

Result<ResponseApdu, ApduError> parse_response_apdu(ByteView raw) {
    if (raw.size() < 2) return fail(ApduError::TooShort);
    ResponseApdu r;
    r.data.assign(raw.begin(), raw.end() - 2);
    r.sw = StatusWord(raw[raw.size() - 2], raw[raw.size() - 1]);
    return r;
}

}  // namespace qscd
