#include "qscd/pcsc/reader_features.hpp"

#include <cstdio>

namespace qscd::pcsc {

std::string to_string(ReaderFeature feature) {
    switch (feature) {
        case ReaderFeature::VerifyPinStart: return "FEATURE_VERIFY_PIN_START";
        case ReaderFeature::VerifyPinFinish: return "FEATURE_VERIFY_PIN_FINISH";
        case ReaderFeature::ModifyPinStart: return "FEATURE_MODIFY_PIN_START";
        case ReaderFeature::ModifyPinFinish: return "FEATURE_MODIFY_PIN_FINISH";
        case ReaderFeature::GetKeyPressed: return "FEATURE_GET_KEY_PRESSED";
        case ReaderFeature::VerifyPinDirect: return "FEATURE_VERIFY_PIN_DIRECT";
        case ReaderFeature::ModifyPinDirect: return "FEATURE_MODIFY_PIN_DIRECT";
        case ReaderFeature::MctReaderDirect: return "FEATURE_MCT_READER_DIRECT";
        case ReaderFeature::MctUniversal: return "FEATURE_MCT_UNIVERSAL";
        case ReaderFeature::IfdPinProperties: return "FEATURE_IFD_PIN_PROPERTIES";
        case ReaderFeature::Abort: return "FEATURE_ABORT";
        case ReaderFeature::SetSpeMessage: return "FEATURE_SET_SPE_MESSAGE";
        case ReaderFeature::VerifyPinDirectAppId: return "FEATURE_VERIFY_PIN_DIRECT_APP_ID";
        case ReaderFeature::ModifyPinDirectAppId: return "FEATURE_MODIFY_PIN_DIRECT_APP_ID";
        case ReaderFeature::WriteDisplay: return "FEATURE_WRITE_DISPLAY";
        case ReaderFeature::GetKey: return "FEATURE_GET_KEY";
        case ReaderFeature::IfdDisplayProperties: return "FEATURE_IFD_DISPLAY_PROPERTIES";
        case ReaderFeature::GetTlvProperties: return "FEATURE_GET_TLV_PROPERTIES";
        case ReaderFeature::CcidEscCommand: return "FEATURE_CCID_ESC_COMMAND";
        case ReaderFeature::ExecutePace: return "FEATURE_EXECUTE_PACE";
    }
    char name[16];
    std::snprintf(name, sizeof name, "FEATURE_0x%02X", static_cast<unsigned>(feature));
    return name;
}

std::optional<std::uint32_t> ReaderFeatures::control_code(ReaderFeature feature) const {
    auto it = control_codes.find(static_cast<std::uint8_t>(feature));
    if (it == control_codes.end()) return std::nullopt;
    return it->second;
}

std::string ReaderFeatures::summary() const {
    if (control_codes.empty()) return "none";
    std::string out;
    for (const auto& [tag, code] : control_codes) {
        if (!out.empty()) out += ", ";
        out += to_string(static_cast<ReaderFeature>(tag));
    }
    return out;
}

const char* describe(FeatureListError error) {
    switch (error) {
        case FeatureListError::Truncated: return "feature list truncated";
        case FeatureListError::BadLength: return "feature TLV with a length other than 4";
    }
    return "malformed feature list";
}

Result<ReaderFeatures, FeatureListError> parse_feature_list(ByteView answer) {
    ReaderFeatures features;
    std::size_t pos = 0;
    while (pos < answer.size()) {
        if (answer.size() - pos < 2) return fail(FeatureListError::Truncated);
        const std::uint8_t tag = answer[pos];
        const std::uint8_t length = answer[pos + 1];
        if (length != 4) return fail(FeatureListError::BadLength);
        if (answer.size() - pos - 2 < 4) return fail(FeatureListError::Truncated);
        const std::uint32_t code = std::uint32_t{answer[pos + 2]} << 24 | std::uint32_t{answer[pos + 3]} << 16 |
                                   std::uint32_t{answer[pos + 4]} << 8 | std::uint32_t{answer[pos + 5]};
        features.control_codes[tag] = code;
        pos += 6;
    }
    return features;
}

}  // namespace qscd::pcsc
