// The allocation-free half of the BER-TLV codec: parsing, searching and writing into a caller's span
// (the card side links only this).
#include "qscd/codec/tlv.hpp"

namespace qscd {

const char* describe(TlvError error) {
    switch (error) {
        case TlvError::Truncated: return "TLV truncated";
        case TlvError::TagTooLong: return "TLV tag longer than 4 bytes";
        case TlvError::LengthTooLong: return "TLV length field unsupported";
        case TlvError::NotConstructed: return "TLV object is not constructed";
        case TlvError::NotFound: return "TLV tag not found";
        case TlvError::TooDeep: return "TLV nesting too deep";
    }
    return "TLV error";
}

bool tag_is_constructed(std::uint32_t tag) {
    std::uint32_t first = tag;
    while (first > 0xFF) first >>= 8;
    return (first & 0x20) != 0;
}

bool Tlv::constructed() const { return tag_is_constructed(tag); }

Result<Tlv, TlvError> parse_tlv(ByteView& input) {
    std::size_t pos = 0;
    const std::size_t n = input.size();
    if (pos >= n) return fail(TlvError::Truncated);
    std::uint32_t tag = input[pos++];
    if ((tag & 0x1F) == 0x1F) {  // multi-byte tag: continuation bytes have bit 8 set
        int extra = 0;
        for (;;) {
            if (pos >= n) return fail(TlvError::Truncated);
            if (++extra > 3) return fail(TlvError::TagTooLong);
            const std::uint8_t b = input[pos++];
            tag = tag << 8 | b;
            if (!(b & 0x80)) break;
        }
    }
    if (pos >= n) return fail(TlvError::Truncated);
    std::size_t length = input[pos++];
    if (length & 0x80) {
        const std::size_t count = length & 0x7F;
        if (count == 0 || count > 3) return fail(TlvError::LengthTooLong);
        if (n - pos < count) return fail(TlvError::Truncated);
        length = 0;
        for (std::size_t i = 0; i < count; ++i) length = length << 8 | input[pos++];
    }
    if (n - pos < length) return fail(TlvError::Truncated);
    Tlv tlv;
    tlv.tag = tag;
    tlv.value = input.subspan(pos, length);
    tlv.encoded = input.subspan(0, pos + length);
    input = input.subspan(pos + length);
    return tlv;
}

Result<bool, TlvError> validate_tlv_sequence(ByteView input, int max_depth) {
    if (max_depth < 0) return fail(TlvError::TooDeep);
    TlvReader reader(input);
    while (!reader.at_end()) {
        auto tlv = reader.next();
        if (!tlv) return fail(tlv.error());
        if (tlv->constructed()) {
            auto inner = validate_tlv_sequence(tlv->value, max_depth - 1);
            if (!inner) return inner;
        }
    }
    return true;
}

Result<Tlv, TlvError> find_tlv(ByteView input, std::uint32_t tag) {
    TlvReader reader(input);
    while (!reader.at_end()) {
        auto tlv = reader.next();
        if (!tlv) return tlv;
        if (tlv->tag == tag) return tlv;
    }
    return fail(TlvError::NotFound);
}

Result<Tlv, TlvError> find_tlv_recursive(ByteView input, std::uint32_t tag, int max_depth) {
    if (max_depth < 0) return fail(TlvError::TooDeep);
    TlvReader reader(input);
    while (!reader.at_end()) {
        auto tlv = reader.next();
        if (!tlv) return tlv;
        if (tlv->tag == tag) return tlv;
        if (tlv->constructed()) {
            auto inner = find_tlv_recursive(tlv->value, tag, max_depth - 1);
            if (inner || inner.error() != TlvError::NotFound) return inner;
        }
    }
    return fail(TlvError::NotFound);
}

Result<Tlv, TlvError> find_tlv_path(ByteView input, std::initializer_list<std::uint32_t> path) {
    ByteView scope = input;
    std::optional<Tlv> current;
    for (std::uint32_t tag : path) {
        if (current) {
            if (!current->constructed()) return fail(TlvError::NotConstructed);
            scope = current->value;
        }
        auto found = find_tlv(scope, tag);
        if (!found) return found;
        current = found.value();
    }
    if (!current) return fail(TlvError::NotFound);
    return *current;
}

std::size_t tag_size(std::uint32_t tag) {
    if (tag > 0xFFFFFF) return 4;
    if (tag > 0xFFFF) return 3;
    if (tag > 0xFF) return 2;
    return 1;
}

std::size_t length_size(std::size_t length) {
    if (length < 0x80) return 1;
    if (length <= 0xFF) return 2;
    if (length <= 0xFFFF) return 3;
    return 4;
}

void TlvWriter::byte(std::uint8_t b) {
    if (overflow_ || pos_ >= out_.size()) {
        overflow_ = true;
        return;
    }
    out_[pos_++] = b;
}

void TlvWriter::write_tag(std::uint32_t tag) {
    for (std::size_t i = tag_size(tag); i-- > 0;) byte(static_cast<std::uint8_t>(tag >> (8 * i)));
}

void TlvWriter::write_length(std::size_t length) {
    // Minimal encoding, as real cards emit (iso7816.md §5).
    const std::size_t size = length_size(length);
    if (size > 1) byte(static_cast<std::uint8_t>(0x80 | (size - 1)));
    for (std::size_t i = size > 1 ? size - 1 : 1; i-- > 0;) byte(static_cast<std::uint8_t>(length >> (8 * i)));
}

void TlvWriter::put(std::uint32_t tag, ByteView value) {
    write_tag(tag);
    write_length(value.size());
    raw(value);
}

void TlvWriter::open(std::uint32_t tag, std::size_t value_length) {
    write_tag(tag);
    write_length(value_length);
}

void TlvWriter::raw(ByteView bytes) {
    if (overflow_ || out_.size() - pos_ < bytes.size()) {
        overflow_ = true;
        return;
    }
    for (std::uint8_t b : bytes) out_[pos_++] = b;
}

}  // namespace qscd
