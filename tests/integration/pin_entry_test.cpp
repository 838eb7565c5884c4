// The ready-made host prompts: one line per PIN from a descriptor, an environment variable, and the
// prompt text built from the token's PinRequest.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "qscd/error.hpp"
#include "qscd/pin_entry.hpp"
#include "token_conformance.hpp"

using namespace qscd;
using test::error_code_of;

namespace {

// Records the PINs handed to it, as a token's VERIFY would receive them.
class RecordingVerification final : public PinVerification {
public:
    std::vector<std::string> pins;
    int pin_pad_calls = 0;
    void verify_with(const Pin& pin) override { pins.emplace_back(pin.bytes().begin(), pin.bytes().end()); }
    void verify_on_pin_pad() override { ++pin_pad_calls; }
};

PinRequest user_pin_request() {
    PinRequest request;
    request.token_label = "alice";
    request.pin_name = "User PIN (signature)";
    request.tries_left = 3;
    return request;
}

}  // namespace

TEST_CASE("pin_from_fd reads one line per PIN from a pipe", "[pin_entry]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string lines = "123456\n654321\r\n";
    REQUIRE(::write(fds[1], lines.data(), lines.size()) == static_cast<ssize_t>(lines.size()));
    ::close(fds[1]);
    auto entry = pin_from_fd(fds[0]);
    RecordingVerification verification;
    entry->enter(user_pin_request(), verification);
    entry->enter(user_pin_request(), verification);
    CHECK(verification.pins == std::vector<std::string>{"123456", "654321"});
    // The pipe is exhausted: an empty PIN is a cancellation, and nothing reaches the verification.
    CHECK(error_code_of([&] { entry->enter(user_pin_request(), verification); }) == ErrorCode::Cancelled);
    CHECK(verification.pins.size() == 2);
    CHECK(verification.pin_pad_calls == 0);
    ::close(fds[0]);
}

TEST_CASE("pin_from_environment reads the variable at each entry", "[pin_entry]") {
    const char* variable = "QSCD_TEST_PIN_ENTRY";
    ::unsetenv(variable);
    auto entry = pin_from_environment(variable);
    RecordingVerification verification;
    CHECK(error_code_of([&] { entry->enter(user_pin_request(), verification); }) == ErrorCode::Cancelled);
    ::setenv(variable, "777888", 1);
    entry->enter(user_pin_request(), verification);
    CHECK(verification.pins == std::vector<std::string>{"777888"});
    ::unsetenv(variable);
}

TEST_CASE("the CLI's order: descriptor, then variable", "[pin_entry]") {
    const char* variable = "QSCD_TEST_PIN_ORDER";
    ::setenv(variable, "from-environment", 1);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], "from-fd\n", 8) == 8);
    ::close(fds[1]);
    RecordingVerification verification;
    pin_from_fd_env_or_terminal(fds[0], variable)->enter(user_pin_request(), verification);
    pin_from_fd_env_or_terminal(std::nullopt, variable)->enter(user_pin_request(), verification);
    CHECK(verification.pins == std::vector<std::string>{"from-fd", "from-environment"});
    ::close(fds[0]);
    ::unsetenv(variable);
}

TEST_CASE("a host prompt shows the token, the PIN and the tries left", "[pin_entry]") {
    CHECK(pin_prompt_text(user_pin_request()) == "User PIN (signature) for alice (3 tries left): ");
    PinRequest last = user_pin_request();
    last.tries_left = 1;
    last.token_label.clear();
    CHECK(pin_prompt_text(last) == "User PIN (signature) (1 try left): ");
}

TEST_CASE("a PIN pad entry never asks the host for PIN bytes", "[pin_entry]") {
    ReaderPinPad pad;
    RecordingVerification verification;
    pad.enter(user_pin_request(), verification);
    CHECK(verification.pin_pad_calls == 1);
    CHECK(verification.pins.empty());
}
