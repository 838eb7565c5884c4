// BER-TLV codec (core/codec tlv.hpp, ISO 7816-4 §5.2): parse, validate, find, path, and the two
// writers. Input: 2 bytes of tag to look for, then the TLV bytes.
// Invariants: a parsed object lies inside the input with its value at the end of its encoding;
// validate_tlv_sequence success means every top-level object parses; what the writers produce
// parses back to the same tag and value; the fixed-buffer writer never writes past its buffer.
#include <array>
#include <cstdio>
#include <cstdlib>

#include "qscd/codec/tlv.hpp"

using namespace qscd;

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "tlv invariant violated: %s\n", what);
    std::abort();
}

bool inside(ByteView part, ByteView whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_object(const Tlv& t, ByteView input) {
    if (!inside(t.encoded, input) || !inside(t.value, t.encoded)) violated("object outside its input");
    if (t.value.data() + t.value.size() != t.encoded.data() + t.encoded.size()) violated("value not at the end");
    if (t.constructed() != tag_is_constructed(t.tag)) violated("constructed() disagrees with the tag");

    // Host writer: re-encoding gives the minimal form, which parses back to the same object.
    const Bytes encoded = encode_tlv(t.tag, t.value);
    if (encoded.size() != tag_size(t.tag) + length_size(t.value.size()) + t.value.size())
        violated("encode_tlv size differs from tag_size + length_size + value");
    ByteView again(encoded);
    auto back = parse_tlv(again);
    if (!back || back->tag != t.tag || !again.empty() ||
        !std::equal(back->value.begin(), back->value.end(), t.value.begin(), t.value.end()))
        violated("encode_tlv does not parse back");

    // Card writer into a small fixed buffer: same bytes when it fits, an overflow flag otherwise.
    std::array<std::uint8_t, 300> buffer{};
    TlvWriter w(buffer);
    w.put(t.tag, t.value);
    if (w.size() > buffer.size()) violated("TlvWriter wrote past its buffer");
    if (w.overflowed() != (encoded.size() > buffer.size())) violated("TlvWriter overflow flag wrong");
    if (!w.overflowed() && !std::equal(encoded.begin(), encoded.end(), w.written().begin(), w.written().end()))
        violated("TlvWriter and encode_tlv disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint32_t wanted = data[0] == 0 ? data[1] : static_cast<std::uint32_t>(data[0] << 8 | data[1]);
    const ByteView input(data + 2, size - 2);

    bool all_parsed = true;
    ByteView rest = input;
    while (!rest.empty()) {
        auto t = parse_tlv(rest);
        if (!t) {
            all_parsed = false;
            break;
        }
        check_object(*t, input);
        if (t->constructed()) {
            TlvReader children(t->value);
            while (!children.at_end()) {
                auto child = children.next();
                if (!child) break;
                check_object(*child, input);
            }
        }
    }
    auto valid = validate_tlv_sequence(input);
    if (valid && !all_parsed) violated("validate accepted what parse_tlv refuses");

    if (auto found = find_tlv(input, wanted); found) {
        if (found->tag != wanted || !inside(found->encoded, input)) violated("find_tlv result");
    }
    if (auto found = find_tlv_recursive(input, wanted); found) {
        if (found->tag != wanted || !inside(found->encoded, input)) violated("find_tlv_recursive result");
    }
    if (auto found = find_tlv_path(input, {0x6E, 0x73, wanted}); found) {
        if (found->tag != wanted || !inside(found->encoded, input)) violated("find_tlv_path result");
    }
    return 0;
}
