#include <catch2/catch.hpp>

#include <winscard.h>

#include "qscd/pcsc/error_mapping.hpp"

using namespace qscd;
using namespace qscd::pcsc;

namespace {

struct Row {
    LONG code;
    ErrorCode expected;
    const char* says;  // part of the message a user reads
};

const Row kTable[] = {
    {SCARD_W_REMOVED_CARD, ErrorCode::CardRemoved, "card removed"},
    {SCARD_E_NO_SMARTCARD, ErrorCode::CardRemoved, "no card"},
    {SCARD_E_READER_UNAVAILABLE, ErrorCode::CardRemoved, "reader removed"},
    {SCARD_W_RESET_CARD, ErrorCode::CardReset, "present the PIN again"},
    {SCARD_E_NO_SERVICE, ErrorCode::TransportError, "pcscd is not running"},
    {SCARD_E_SERVICE_STOPPED, ErrorCode::TransportError, "pcscd is not running"},
    {SCARD_E_NO_READERS_AVAILABLE, ErrorCode::TransportError, "no smart card reader"},
    {SCARD_F_COMM_ERROR, ErrorCode::TransportError, "pcscd"},
    {SCARD_E_SHARING_VIOLATION, ErrorCode::TransportError, "card in use by another program (exclusive)"},
    {SCARD_E_TIMEOUT, ErrorCode::TransportError, "timed out"},
    {SCARD_E_CANCELLED, ErrorCode::Cancelled, "cancelled"},
    {SCARD_E_UNKNOWN_READER, ErrorCode::NotFound, "unknown reader"},
    {SCARD_E_PROTO_MISMATCH, ErrorCode::NotSupported, "T=0"},
    {SCARD_E_UNSUPPORTED_FEATURE, ErrorCode::NotSupported, "not supported"},
    {SCARD_E_CARD_UNSUPPORTED, ErrorCode::NotSupported, "not supported"},
    {SCARD_W_UNSUPPORTED_CARD, ErrorCode::NotSupported, "not supported"},
    {SCARD_W_UNRESPONSIVE_CARD, ErrorCode::TransportError, "does not answer"},
    {SCARD_W_UNPOWERED_CARD, ErrorCode::TransportError, "not powered"},
    {SCARD_E_INVALID_HANDLE, ErrorCode::TransportError, "stale"},
    {SCARD_E_NOT_TRANSACTED, ErrorCode::TransportError, "exchange"},
    {SCARD_E_INSUFFICIENT_BUFFER, ErrorCode::ProtocolError, "buffer"},
    {SCARD_E_INVALID_PARAMETER, ErrorCode::InvalidArgument, "invalid"},
    {SCARD_F_INTERNAL_ERROR, ErrorCode::TransportError, "PC/SC failure"},
};

}  // namespace

TEST_CASE("every SCARD result maps to its ErrorCode with an actionable message and pcsc's own text") {
    for (const Row& row : kTable) {
        CAPTURE(describe_result(row.code));
        const Error e = to_error(row.code, "SCardConnect(Virtual PCD 00 00)");
        CHECK(e.code() == row.expected);
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(row.says));
        CHECK_THAT(message, Catch::Contains(pcsc_stringify_error(row.code)));
        CHECK_THAT(message, Catch::Contains("SCardConnect(Virtual PCD 00 00)"));
    }
}

TEST_CASE("describe_result gives pcsc_stringify_error and the number in hex") {
    CHECK(describe_result(SCARD_E_SHARING_VIOLATION) ==
          std::string(pcsc_stringify_error(SCARD_E_SHARING_VIOLATION)) + " (0x8010000B)");
    CHECK_THAT(describe_result(SCARD_W_RESET_CARD), Catch::Contains("0x80100068"));
}

TEST_CASE("check throws only for failures") {
    CHECK_NOTHROW(check(SCARD_S_SUCCESS, "SCardBeginTransaction"));
    try {
        check(SCARD_W_REMOVED_CARD, "SCardBeginTransaction");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::CardRemoved);
        CHECK(e.retryable());
    }
}

TEST_CASE("classify names the results callers branch on") {
    CHECK(classify(SCARD_S_SUCCESS) == ScardResult::Success);
    CHECK(classify(SCARD_E_TIMEOUT) == ScardResult::Timeout);
    CHECK(classify(SCARD_E_CANCELLED) == ScardResult::Cancelled);
    CHECK(classify(SCARD_E_NO_READERS_AVAILABLE) == ScardResult::NoReadersAvailable);
    CHECK(classify(SCARD_W_RESET_CARD) == ScardResult::CardReset);
    CHECK(classify(SCARD_W_REMOVED_CARD) == ScardResult::CardRemoved);
    CHECK(classify(SCARD_E_NO_SMARTCARD) == ScardResult::CardRemoved);
    CHECK(classify(SCARD_E_UNKNOWN_READER) == ScardResult::UnknownReader);
    CHECK(classify(SCARD_E_INSUFFICIENT_BUFFER) == ScardResult::InsufficientBuffer);
    CHECK(classify(SCARD_E_SHARING_VIOLATION) == ScardResult::Other);
    CHECK(classify(SCARD_E_NO_SERVICE) == ScardResult::Other);
}
