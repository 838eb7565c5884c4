#include "qscd/sim/pin_pad.hpp"

namespace qscd::sim::pinpad {

namespace {

void put_be32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_le16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}

std::uint16_t le16(ByteView b, std::size_t at) { return static_cast<std::uint16_t>(b[at] | b[at + 1] << 8); }
std::uint32_t le32(ByteView b, std::size_t at) {
    return std::uint32_t{b[at]} | std::uint32_t{b[at + 1]} << 8 | std::uint32_t{b[at + 2]} << 16 |
           std::uint32_t{b[at + 3]} << 24;
}

// Writes the `width` low bits of `value` at bit `offset` of `data`, most significant bit first
// (bit 0 is b7 of data[0]), the way part 10 counts bit positions.
void put_bits(Bytes& data, std::size_t offset, unsigned width, unsigned value) {
    for (unsigned i = 0; i < width; ++i) {
        const std::size_t bit = offset + i;
        const unsigned mask = 0x80u >> (bit % 8);
        if ((value >> (width - 1 - i)) & 1u) data[bit / 8] = static_cast<std::uint8_t>(data[bit / 8] | mask);
        else data[bit / 8] = static_cast<std::uint8_t>(data[bit / 8] & ~mask);
    }
}

enum Encoding : std::uint8_t { Binary = 0, Bcd = 1, Ascii = 2 };

struct Template {
    Bytes header;  // CLA INS P1 P2
    Bytes data;    // what follows Lc
};

std::optional<Template> split_template(const Bytes& apdu) {
    if (apdu.size() < 4) return std::nullopt;
    Template t;
    t.header.assign(apdu.begin(), apdu.begin() + 4);
    if (apdu.size() > 5) t.data.assign(apdu.begin() + 5, apdu.end());
    return t;
}

Result<Bytes, std::uint16_t> assemble(const Template& t) {
    if (t.data.size() > 255) return fail(kSwBadStructure);
    Bytes apdu = t.header;
    apdu.push_back(static_cast<std::uint8_t>(t.data.size()));
    apdu.insert(apdu.end(), t.data.begin(), t.data.end());
    return apdu;
}

// Puts one PIN into `data` as `format` says, its block starting `base` bytes into the data. Returns
// the byte just past the PIN (for variable length), or the failure status word.
Result<std::size_t, std::uint16_t> place_pin(Bytes& data, std::size_t base, const PinFormat& format,
                                            std::string_view digits) {
    const auto encoding = static_cast<std::uint8_t>(format.format_string & 0x03);
    if (encoding > Ascii) return fail(kSwBadStructure);
    const std::size_t n = digits.size();
    if (n == 0 || n > kMaxPinDigits) return fail(kSwBadPinLength);
    if (format.min_digits && n < format.min_digits) return fail(kSwBadPinLength);
    if (format.max_digits && n > format.max_digits) return fail(kSwBadPinLength);
    for (char c : digits)
        if (c < '0' || c > '9') return fail(kSwBadPinLength);

    const unsigned digit_bits = encoding == Bcd ? 4 : 8;
    const std::size_t pin_bits = n * digit_bits;
    const bool position_in_bytes = (format.format_string & 0x80) != 0;
    const std::size_t position = (format.format_string >> 3) & 0x0F;
    const bool right_justified = (format.format_string & 0x04) != 0;
    const std::size_t block_bytes = format.block_string & 0x0F;
    const unsigned length_bits = format.block_string >> 4;
    const bool length_in_bytes = (format.length_format & 0x10) != 0;
    const std::size_t length_position = format.length_format & 0x0F;

    const std::size_t block_start = base * 8 + position * (position_in_bytes ? 8 : 1);
    std::size_t pin_start = block_start;
    std::size_t end_bits = 0;
    if (block_bytes == 0) {  // variable length: the data ends with the PIN (odd BCD: padded with F)
        end_bits = block_start + pin_bits;
        const std::size_t end_bytes = (end_bits + 7) / 8;
        data.resize(end_bytes, 0xFF);
        if (end_bytes * 8 != end_bits) put_bits(data, end_bits, static_cast<unsigned>(end_bytes * 8 - end_bits), 0xFF);
    } else {
        const std::size_t block_bits = block_bytes * 8;
        if (pin_bits > block_bits) return fail(kSwBadPinLength);
        if (block_start + block_bits > data.size() * 8) return fail(kSwBadStructure);
        if (right_justified) pin_start = block_start + block_bits - pin_bits;
        end_bits = block_start + block_bits;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned digit = static_cast<unsigned>(digits[i] - '0');
        const unsigned value = encoding == Ascii ? digit + '0' : digit;
        put_bits(data, pin_start + i * digit_bits, digit_bits, value);
    }
    if (length_bits) {
        const std::size_t at = base * 8 + length_position * (length_in_bytes ? 8 : 1);
        if (at + length_bits > data.size() * 8 || length_bits > 16) return fail(kSwBadStructure);
        if (n >> length_bits) return fail(kSwBadPinLength);
        put_bits(data, at, length_bits, static_cast<unsigned>(n));
    }
    return (end_bits + 7) / 8;
}

}  // namespace

Bytes feature_list() {
    Bytes out;
    for (std::uint8_t tag : {kFeatureVerifyPinDirect, kFeatureModifyPinDirect, kFeatureIfdPinProperties,
                             kFeatureWriteDisplay, kFeatureIfdDisplayProperties, kFeatureGetTlvProperties}) {
        out.push_back(tag);
        out.push_back(4);
        put_be32(out, feature_code(tag));
    }
    return out;
}

Bytes pin_properties() {
    Bytes out;
    put_le16(out, static_cast<std::uint16_t>(kDisplayLines << 8 | kDisplayColumns));
    out.push_back(0x02);  // validation key
    out.push_back(0x00);
    return out;
}

Bytes display_properties() {
    Bytes out;
    put_le16(out, kDisplayColumns);
    put_le16(out, kDisplayLines);
    return out;
}

Bytes tlv_properties() {
    Bytes out;
    auto u8 = [&](std::uint8_t tag, std::uint8_t v) { out.insert(out.end(), {tag, 1, v}); };
    auto u16 = [&](std::uint8_t tag, std::uint16_t v) {
        out.insert(out.end(), {tag, 2});
        put_le16(out, v);
    };
    u16(0x01, static_cast<std::uint16_t>(kDisplayLines << 8 | kDisplayColumns));  // wLcdLayout
    u8(0x02, 0x02);                                                                // bEntryValidationCondition
    u8(0x03, 0x00);                                                                // bTimeOut2
    u16(0x04, kDisplayColumns);                                                    // wLcdMaxCharacters
    u16(0x05, kDisplayLines);                                                      // wLcdMaxLines
    u8(0x06, 1);                                                                   // bMinPINSize
    u8(0x07, kMaxPinDigits);                                                       // bMaxPINSize
    out.insert(out.end(), {0x0A, 4, 0xFF, 0x00, 0x00, 0x00});                      // dwMaxAPDUDataSize: short APDUs
    return out;
}

std::optional<VerifyRequest> parse_verify(ByteView s) {
    constexpr std::size_t kHeader = 19;
    if (s.size() < kHeader || le32(s, 15) != s.size() - kHeader) return std::nullopt;
    VerifyRequest r;
    r.timeout = s[0];
    r.format = {s[2], s[3], s[4], static_cast<std::uint8_t>(le16(s, 5) >> 8), static_cast<std::uint8_t>(le16(s, 5))};
    r.number_message = s[8];
    r.msg_index = s[11];
    r.apdu.assign(s.begin() + kHeader, s.end());
    if (r.apdu.size() < 4) return std::nullopt;
    return r;
}

std::optional<ModifyRequest> parse_modify(ByteView s) {
    constexpr std::size_t kHeader = 24;
    if (s.size() < kHeader || le32(s, 20) != s.size() - kHeader) return std::nullopt;
    ModifyRequest r;
    r.timeout = s[0];
    r.format = {s[2], s[3], s[4], static_cast<std::uint8_t>(le16(s, 7) >> 8), static_cast<std::uint8_t>(le16(s, 7))};
    r.offset_old = s[5];
    r.offset_new = s[6];
    r.confirm = s[9];
    r.number_message = s[11];
    r.msg_index[0] = s[14];
    r.msg_index[1] = s[15];
    r.msg_index[2] = s[16];
    r.apdu.assign(s.begin() + kHeader, s.end());
    if (r.apdu.size() < 4) return std::nullopt;
    return r;
}

Result<Bytes, std::uint16_t> format_verify(const VerifyRequest& request, std::string_view digits) {
    auto t = split_template(request.apdu);
    if (!t) return fail(kSwBadStructure);
    auto placed = place_pin(t->data, 0, request.format, digits);
    if (!placed) return fail(placed.error());
    return assemble(*t);
}

Result<Bytes, std::uint16_t> format_modify(const ModifyRequest& request, std::string_view old_digits,
                                           std::string_view new_digits) {
    auto t = split_template(request.apdu);
    if (!t) return fail(kSwBadStructure);
    const bool variable = (request.format.block_string & 0x0F) == 0;
    std::size_t new_base = request.offset_new;
    if (request.asks_old()) {
        if (variable) t->data.clear();
        auto placed = place_pin(t->data, variable ? 0 : request.offset_old, request.format, old_digits);
        if (!placed) return fail(placed.error());
        if (variable) new_base = *placed;
    } else if (variable) {
        t->data.clear();
        new_base = 0;
    }
    auto placed = place_pin(t->data, new_base, request.format, new_digits);
    if (!placed) return fail(placed.error());
    return assemble(*t);
}

std::optional<DisplayWrite> parse_write_display(ByteView s) {
    constexpr std::size_t kHeader = 7;
    if (s.size() < kHeader || s.size() != kHeader + s[6]) return std::nullopt;
    DisplayWrite w;
    w.time_ms = le16(s, 0);
    w.column = s[2];
    w.row = s[3];
    w.text.assign(s.begin() + kHeader, s.end());
    if (w.row >= kDisplayLines || w.column >= kDisplayColumns) return std::nullopt;
    return w;
}

std::string prompt(std::uint8_t msg_index) {
    switch (msg_index) {
        case 1: return "New PIN";
        case 2: return "Confirm new PIN";
        default: return "Enter PIN";
    }
}

}  // namespace qscd::sim::pinpad
