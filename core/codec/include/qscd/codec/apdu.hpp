// Command and response APDUs, ISO 7816-4 §5.1 (cases 1–4, short and extended length).
#pragma once

#include <cstdint>
#include <optional>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"
#include "qscd/codec/status_word.hpp"

namespace qscd {

enum class ApduError {
    TooShort,         // fewer than 4 header bytes, or a response without SW1 SW2
    LengthMismatch,   // Lc/Le fields disagree with the total length (card answers 6700)
    DataTooLong,      // more than 65535 data bytes
    LeTooLarge,       // Ne above 65536
};

const char* describe(ApduError error);

// A parsed command that borrows the caller's buffer: no allocation, for the card side.
struct CommandApduView {
    std::uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
    ByteView data;             // empty for cases 1 and 2
    std::uint32_t ne = 0;      // expected response length; 0 = no Le field, 256/65536 for "00"/"0000"
    bool extended = false;     // encoded with extended length fields
    int iso_case = 1;          // 1..4

    bool has_le() const { return iso_case == 2 || iso_case == 4; }
};

// ISO 7816-3 §12.1.3 decision procedure (iso7816.md §1.1); never reads past `raw`.
Result<CommandApduView, ApduError> parse_command_apdu(ByteView raw);

// A command being built on the host side.
struct CommandApdu {
    std::uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
    Bytes data;
    std::uint32_t ne = 0;  // 0 = no Le field; 256 (short) or 65536 (extended) = "as much as possible"

    CommandApdu() = default;
    CommandApdu(std::uint8_t cla_, std::uint8_t ins_, std::uint8_t p1_, std::uint8_t p2_, Bytes data_ = {},
                std::uint32_t ne_ = 0)
        : cla(cla_), ins(ins_), p1(p1_), p2(p2_), data(std::move(data_)), ne(ne_) {}

    int iso_case() const { return (data.empty() ? 1 : 3) + (ne ? 1 : 0); }
    // True when the data or Ne do not fit short encoding (Lc ≤ 255, Ne ≤ 256).
    bool needs_extended() const { return data.size() > 255 || ne > 256; }

    // Encodes short when possible, extended otherwise (or always when `force_extended`).
    Result<Bytes, ApduError> encode(bool force_extended = false) const;
};

struct ResponseApdu {
    Bytes data;
    StatusWord sw;

    bool is_success() const { return sw.is_success(); }
    Bytes encode() const;
};

Result<ResponseApdu, ApduError> parse_response_apdu(ByteView raw);

}  // namespace qscd
