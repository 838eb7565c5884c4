// Status words (qscd/codec/status_word.hpp), iso7816.md §2.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "qscd/codec/status_word.hpp"

using qscd::StatusWord;
namespace sw = qscd::sw;

TEST_CASE("StatusWord splits into SW1 SW2 and builds from two bytes", "[sw]") {
    const StatusWord a(0x6982);
    CHECK(a.sw1() == 0x69);
    CHECK(a.sw2() == 0x82);
    const StatusWord b(std::uint8_t{0x6A}, std::uint8_t{0x88});
    CHECK(b.value == 0x6A88);
    CHECK(b == sw::kReferencedDataNotFound);
    CHECK_FALSE(b == sw::kFileNotFound);
    const StatusWord c(std::uint8_t{0xFF}, std::uint8_t{0x01});
    CHECK(c.value == 0xFF01);
    CHECK(StatusWord().value == 0);
}

TEST_CASE("StatusWord success only for 9000", "[sw]") {
    CHECK(StatusWord(0x9000).is_success());
    CHECK_FALSE(StatusWord(0x9001).is_success());
    CHECK_FALSE(StatusWord(0x6100).is_success());
    CHECK_FALSE(StatusWord(0x0090).is_success());
    CHECK_FALSE(StatusWord(0x6282).is_success());
}

TEST_CASE("StatusWord 61xx has more data", "[sw]") {
    CHECK(StatusWord(0x6100).has_more_data());
    CHECK(StatusWord(0x610E).has_more_data());
    CHECK(StatusWord(0x61FF).has_more_data());
    CHECK_FALSE(StatusWord(0x6200).has_more_data());
    CHECK_FALSE(StatusWord(0x9061).has_more_data());
    CHECK_FALSE(StatusWord(0x6C10).has_more_data());
    CHECK(std::string(StatusWord(0x610E).name()) == "more data available");
    CHECK(std::string(StatusWord(0x6100).name()) == "more data available");
}

TEST_CASE("StatusWord 6Cxx is wrong Le", "[sw]") {
    CHECK(StatusWord(0x6C00).is_wrong_le());
    CHECK(StatusWord(0x6C0E).is_wrong_le());
    CHECK(StatusWord(0x6CFF).is_wrong_le());
    CHECK_FALSE(StatusWord(0x6D00).is_wrong_le());
    CHECK_FALSE(StatusWord(0x6B00).is_wrong_le());
    CHECK_FALSE(StatusWord(0x616C).is_wrong_le());
    CHECK(std::string(StatusWord(0x6C0E).name()) == "wrong Le");
}

TEST_CASE("StatusWord 63Cx is a retry counter", "[sw]") {
    for (int x = 0; x <= 0xF; ++x) {
        const StatusWord s(static_cast<std::uint16_t>(0x63C0 | x));
        INFO("SW " << std::hex << s.value);
        CHECK(s.is_counter());
        CHECK(s.counter() == x);
        CHECK(std::string(s.name()) == "verification failed, counter");
    }
    CHECK_FALSE(StatusWord(0x6300).is_counter());
    CHECK_FALSE(StatusWord(0x63B3).is_counter());
    CHECK_FALSE(StatusWord(0x63D0).is_counter());
    CHECK_FALSE(StatusWord(0x62C3).is_counter());
    CHECK_FALSE(StatusWord(0x73C3).is_counter());
    CHECK(StatusWord(0x63C3).counter() == 3);
}

TEST_CASE("StatusWord names from the iso7816 table", "[sw]") {
    struct Row {
        std::uint16_t value;
        const char* name;
    };
    const Row rows[] = {
        {0x9000, "success"},
        {0x6281, "returned data may be corrupted"},
        {0x6282, "end of data reached before Le bytes"},
        {0x6283, "selected file deactivated"},
        {0x6285, "application in termination state"},
        {0x6300, "verification failed"},
        {0x6400, "execution error"},
        {0x6401, "immediate response required"},
        {0x6581, "memory failure"},
        {0x6600, "security-related issue"},
        {0x6700, "wrong length"},
        {0x6881, "logical channel not supported"},
        {0x6882, "secure messaging not supported"},
        {0x6883, "last command of chain expected"},
        {0x6884, "command chaining not supported"},
        {0x6981, "command incompatible with file structure"},
        {0x6982, "security status not satisfied"},
        {0x6983, "authentication method blocked"},
        {0x6984, "referenced data not usable"},
        {0x6985, "conditions of use not satisfied"},
        {0x6986, "command not allowed"},
        {0x6A80, "incorrect parameters in data field"},
        {0x6A81, "function not supported"},
        {0x6A82, "file or application not found"},
        {0x6A84, "not enough memory"},
        {0x6A86, "incorrect P1/P2"},
        {0x6A87, "Lc inconsistent with P1/P2"},
        {0x6A88, "referenced data not found"},
        {0x6B00, "wrong P1/P2"},
        {0x6D00, "instruction not supported"},
        {0x6E00, "class not supported"},
        {0x6F00, "no precise diagnosis"},
    };
    for (const Row& r : rows) {
        INFO("SW " << std::hex << r.value);
        CHECK(std::string(StatusWord(r.value).name()) == r.name);
    }
}

TEST_CASE("StatusWord unknown values", "[sw]") {
    CHECK(std::string(StatusWord(0x1234).name()) == "unknown status");
    CHECK(std::string(StatusWord(0x0000).name()) == "unknown status");
    CHECK(std::string(StatusWord(0x9001).name()) == "unknown status");
    CHECK(std::string(StatusWord(0x6A83).name()) == "unknown status");
    CHECK(std::string(StatusWord(0xFFFF).name()) == "unknown status");
}

TEST_CASE("StatusWord describe formats code and name", "[sw]") {
    CHECK(StatusWord(0x6982).describe() == "6982 security status not satisfied");
    CHECK(StatusWord(0x9000).describe() == "9000 success");
    CHECK(StatusWord(0x6A82).describe() == "6A82 file or application not found");
    CHECK(StatusWord(0x63C2).describe() == "63C2 verification failed, counter");
    CHECK(StatusWord(0x610E).describe() == "610E more data available");
    CHECK(StatusWord(0x6CFF).describe() == "6CFF wrong Le");
    CHECK(StatusWord(0x00AB).describe() == "00AB unknown status");
    CHECK(StatusWord(0xABCD).describe() == "ABCD unknown status");
}

TEST_CASE("StatusWord named constants have their values and names", "[sw]") {
    CHECK(sw::kSuccess.value == 0x9000);
    CHECK(sw::kTerminated.value == 0x6285);
    CHECK(sw::kVerificationFailed.value == 0x6300);
    CHECK(sw::kMemoryFailure.value == 0x6581);
    CHECK(sw::kWrongLength.value == 0x6700);
    CHECK(sw::kLastCommandOfChainExpected.value == 0x6883);
    CHECK(sw::kChainingNotSupported.value == 0x6884);
    CHECK(sw::kSecurityStatusNotSatisfied.value == 0x6982);
    CHECK(sw::kAuthenticationBlocked.value == 0x6983);
    CHECK(sw::kConditionsNotSatisfied.value == 0x6985);
    CHECK(sw::kIncorrectData.value == 0x6A80);
    CHECK(sw::kFunctionNotSupported.value == 0x6A81);
    CHECK(sw::kFileNotFound.value == 0x6A82);
    CHECK(sw::kNotEnoughMemory.value == 0x6A84);
    CHECK(sw::kIncorrectP1P2.value == 0x6A86);
    CHECK(sw::kReferencedDataNotFound.value == 0x6A88);
    CHECK(sw::kWrongP1P2.value == 0x6B00);
    CHECK(sw::kInsNotSupported.value == 0x6D00);
    CHECK(sw::kClaNotSupported.value == 0x6E00);
    CHECK(sw::kNoPreciseDiagnosis.value == 0x6F00);

    const StatusWord all[] = {sw::kSuccess, sw::kTerminated, sw::kVerificationFailed, sw::kMemoryFailure,
                              sw::kWrongLength, sw::kLastCommandOfChainExpected, sw::kChainingNotSupported,
                              sw::kSecurityStatusNotSatisfied, sw::kAuthenticationBlocked,
                              sw::kConditionsNotSatisfied, sw::kIncorrectData, sw::kFunctionNotSupported,
                              sw::kFileNotFound, sw::kNotEnoughMemory, sw::kIncorrectP1P2,
                              sw::kReferencedDataNotFound, sw::kWrongP1P2, sw::kInsNotSupported,
                              sw::kClaNotSupported, sw::kNoPreciseDiagnosis};
    for (const StatusWord& s : all) {
        INFO("SW " << std::hex << s.value);
        CHECK(std::strcmp(s.name(), "unknown status") != 0);
    }
}
