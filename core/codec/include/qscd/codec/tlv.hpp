// BER-TLV as used by ISO 7816-4 §5.2 and the card applications (iso7816.md §5).
// Parsing borrows the input (no allocation, usable on the card side); building has a fixed-buffer
// writer for the card and an appending one for the host.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"

namespace qscd {

enum class TlvError {
    Truncated,        // a tag, length or value runs past the end of the input
    TagTooLong,       // more than 4 tag bytes
    LengthTooLong,    // long-form length with more than 3 length bytes, or indefinite length (80)
    NotConstructed,   // a path step asked for children of a primitive object
    NotFound,         // a path step found no such tag
    TooDeep,          // nesting beyond the supported depth
};

const char* describe(TlvError error);

struct Tlv {
    std::uint32_t tag = 0;   // multi-byte tags packed big-endian: 5F52 → 0x5F52
    ByteView value;
    ByteView encoded;        // tag + length + value, as found
    bool constructed() const;
};

// True for tags whose first byte has bit 0x20 set.
bool tag_is_constructed(std::uint32_t tag);

// Parses one TLV from the front of `input`; on success advances `input` past it.
Result<Tlv, TlvError> parse_tlv(ByteView& input);

// Iterates over a sequence of TLVs (e.g. the value of a constructed object).
class TlvReader {
public:
    explicit TlvReader(ByteView input) : rest_(input) {}
    bool at_end() const { return rest_.empty(); }
    Result<Tlv, TlvError> next() { return parse_tlv(rest_); }

private:
    ByteView rest_;
};

// Checks that `input` is a well-formed sequence of TLVs, recursing into constructed ones.
Result<bool, TlvError> validate_tlv_sequence(ByteView input, int max_depth = 8);

// Finds the first object with `tag` at the top level of `input`.
Result<Tlv, TlvError> find_tlv(ByteView input, std::uint32_t tag);
// Depth-first search for `tag` anywhere in the tree (GnuPG reads C0–C5 out of 6E this way).
Result<Tlv, TlvError> find_tlv_recursive(ByteView input, std::uint32_t tag, int max_depth = 8);
// Follows a path of tags: {0x6E, 0x73, 0xC4} finds C4 inside 73 inside 6E.
Result<Tlv, TlvError> find_tlv_path(ByteView input, std::initializer_list<std::uint32_t> path);

// Number of bytes the tag / length fields take.
std::size_t tag_size(std::uint32_t tag);
std::size_t length_size(std::size_t length);

// Writes TLVs into a caller-owned buffer; never writes past it. After an overflow every further
// write is ignored and `overflowed()` stays true — check it once at the end.
class TlvWriter {
public:
    explicit TlvWriter(std::span<std::uint8_t> out) : out_(out) {}

    void put(std::uint32_t tag, ByteView value);
    void put_byte(std::uint32_t tag, std::uint8_t value) { put(tag, ByteView(&value, 1)); }
    // Opens a constructed object whose total value length is known in advance.
    void open(std::uint32_t tag, std::size_t value_length);
    void raw(ByteView bytes);
    void write_tag(std::uint32_t tag);
    void write_length(std::size_t length);

    std::size_t size() const { return pos_; }
    bool overflowed() const { return overflow_; }
    ByteView written() const { return {out_.data(), pos_}; }

private:
    void byte(std::uint8_t b);
    std::span<std::uint8_t> out_;
    std::size_t pos_ = 0;
    bool overflow_ = false;
};

// Host-side builder: appends one TLV to `out`.
void append_tlv(Bytes& out, std::uint32_t tag, ByteView value);
Bytes encode_tlv(std::uint32_t tag, ByteView value);

}  // namespace qscd
