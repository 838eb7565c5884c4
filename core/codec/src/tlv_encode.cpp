// The host half of the BER-TLV codec: encoders that return owned bytes (std::vector).
#include "qscd/codec/tlv.hpp"

namespace qscd {

void append_tlv(Bytes& out, std::uint32_t tag, ByteView value) {
    const std::size_t start = out.size();
    out.resize(start + tag_size(tag) + length_size(value.size()) + value.size());
    TlvWriter writer(std::span<std::uint8_t>(out).subspan(start));
    writer.put(tag, value);
}

Bytes encode_tlv(std::uint32_t tag, ByteView value) {
    Bytes out;
    append_tlv(out, tag, value);
    return out;
}

}  // namespace qscd
