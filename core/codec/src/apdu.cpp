// The host half of the APDU codec: encoders and the response parser, which own their bytes (std::vector).
#include "qscd/codec/apdu.hpp"

namespace qscd {

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
