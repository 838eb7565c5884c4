// PC/SC part 10 reader features (secure PIN entry and friends), as announced by the reader in
// answer to CM_IOCTL_GET_FEATURE_REQUEST: a list of TLVs `tag(1) 04 control-code(4, big-endian)`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "qscd/codec/bytes.hpp"
#include "qscd/codec/result.hpp"

namespace qscd::pcsc {

enum class ReaderFeature : std::uint8_t {
    VerifyPinStart = 0x01,
    VerifyPinFinish = 0x02,
    ModifyPinStart = 0x03,
    ModifyPinFinish = 0x04,
    GetKeyPressed = 0x05,
    VerifyPinDirect = 0x06,
    ModifyPinDirect = 0x07,
    MctReaderDirect = 0x08,
    MctUniversal = 0x09,
    IfdPinProperties = 0x0A,
    Abort = 0x0B,
    SetSpeMessage = 0x0C,
    VerifyPinDirectAppId = 0x0D,
    ModifyPinDirectAppId = 0x0E,
    WriteDisplay = 0x0F,
    GetKey = 0x10,
    IfdDisplayProperties = 0x11,
    GetTlvProperties = 0x12,
    CcidEscCommand = 0x13,
    ExecutePace = 0x20,
};

// "FEATURE_VERIFY_PIN_DIRECT"; "FEATURE_0x42" for tags this list does not know.
std::string to_string(ReaderFeature feature);

struct ReaderFeatures {
    // tag → control code to pass to SCardControl for that feature
    std::map<std::uint8_t, std::uint32_t> control_codes;

    bool empty() const { return control_codes.empty(); }
    bool has(ReaderFeature feature) const { return control_codes.count(static_cast<std::uint8_t>(feature)) != 0; }
    std::optional<std::uint32_t> control_code(ReaderFeature feature) const;
    // "FEATURE_GET_TLV_PROPERTIES" or "none"; comma-separated.
    std::string summary() const;
};

enum class FeatureListError {
    Truncated,    // the last TLV is cut short
    BadLength,    // a value length other than 4
};

const char* describe(FeatureListError error);

// Parses the GET_FEATURE_REQUEST answer. An empty answer is an empty feature list.
Result<ReaderFeatures, FeatureListError> parse_feature_list(ByteView answer);

}  // namespace qscd::pcsc
