#include <catch2/catch.hpp>

#include <reader.h>
#include <winscard.h>

#include "qscd/pcsc/reader_features.hpp"
#include "scripted_transport.hpp"

using namespace qscd;
using namespace qscd::pcsc;
using qscd::test::hex;

TEST_CASE("a PIN-pad reader's feature list: tag, length 4, big-endian control code") {
    // as the CCID driver answers: SCARD_CTL_CODE(0x330000 + tag)
    const auto parsed = parse_feature_list(hex("06 04 42 33 00 06  07 04 42 33 00 07  0A 04 42 33 00 0A  12 04 42 33 00 12"));
    REQUIRE(parsed.ok());
    const ReaderFeatures& f = *parsed;
    CHECK(f.has(ReaderFeature::VerifyPinDirect));
    CHECK(f.has(ReaderFeature::ModifyPinDirect));
    CHECK(f.has(ReaderFeature::IfdPinProperties));
    CHECK(f.has(ReaderFeature::GetTlvProperties));
    CHECK_FALSE(f.has(ReaderFeature::ExecutePace));
    CHECK(f.control_code(ReaderFeature::VerifyPinDirect) == 0x42330006u);
    CHECK(f.control_code(ReaderFeature::VerifyPinDirect) == static_cast<std::uint32_t>(SCARD_CTL_CODE(0x330000 + FEATURE_VERIFY_PIN_DIRECT)));
    CHECK_FALSE(f.control_code(ReaderFeature::Abort).has_value());
    CHECK(f.summary() == "FEATURE_VERIFY_PIN_DIRECT, FEATURE_MODIFY_PIN_DIRECT, FEATURE_IFD_PIN_PROPERTIES, FEATURE_GET_TLV_PROPERTIES");
}

TEST_CASE("vpcd announces only GET_TLV_PROPERTIES — no reader feature is 'none'") {
    const auto vpcd = parse_feature_list(hex("12 04 42 00 0D 48"));
    REQUIRE(vpcd.ok());
    CHECK(vpcd->summary() == "FEATURE_GET_TLV_PROPERTIES");
    CHECK_FALSE(vpcd->has(ReaderFeature::VerifyPinDirect));

    const auto none = parse_feature_list({});
    REQUIRE(none.ok());
    CHECK(none->empty());
    CHECK(none->summary() == "none");
}

TEST_CASE("malformed feature lists are a value, not a crash") {
    CHECK(parse_feature_list(hex("06")).error() == FeatureListError::Truncated);
    CHECK(parse_feature_list(hex("06 04 42 33 00")).error() == FeatureListError::Truncated);
    CHECK(parse_feature_list(hex("06 04 42 33 00 06 07")).error() == FeatureListError::Truncated);
    CHECK(parse_feature_list(hex("06 02 42 33")).error() == FeatureListError::BadLength);
    CHECK(std::string(describe(FeatureListError::BadLength)).find("4") != std::string::npos);
}

TEST_CASE("unknown feature tags keep their code and get a generic name") {
    const auto f = parse_feature_list(hex("42 04 00 00 00 01"));
    REQUIRE(f.ok());
    CHECK(f->control_codes.at(0x42) == 1u);
    CHECK(f->summary() == "FEATURE_0x42");
}
