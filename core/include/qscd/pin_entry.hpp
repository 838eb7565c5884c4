// PIN entry as a strategy: how the holder's PIN reaches the card for one operation.
// A host prompt reads the PIN bytes (terminal, file descriptor, environment, an application's own
// dialog) and hands them to the token; a PIN-pad entry lets the reader collect the PIN, so the host
// never sees it. The token drives: it says what it needs (PinRequest) and offers both ways
// (PinVerification); the entry picks one. Nothing here assumes that the host holds the PIN.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "qscd/secure_bytes.hpp"

namespace qscd {

// What a PIN entry is told. tries_left lets the UI warn before the last attempt; purpose is what the
// PIN will authorise, for a prompt or a reader's display ("sign contract.pdf (SHA-256 3a7bd3e2…)").
struct PinRequest {
    std::string token_label;
    std::string pin_name;            // "User PIN (signature)", "PIN2"
    std::optional<int> tries_left;
    std::size_t min_length = 0;
    std::size_t max_length = 0;
    std::string purpose;
};

// One VERIFY the token is ready to do, implemented by the key handle. A PinEntry calls exactly one of
// the two, once.
class PinVerification {
public:
    // VERIFY with PIN bytes the host holds. Throws Error: WrongPin (tries left), PinBlocked, InvalidPin.
    virtual void verify_with(const Pin& pin) = 0;
    // The reader collects the PIN on its keypad and the card verifies it (PC/SC part 10
    // VERIFY_PIN_DIRECT); the host never sees it. Throws Error(NotSupported) when the reader has no PIN
    // pad, Cancelled / TransportError for a keypad cancel or timeout, and what verify_with throws.
    virtual void verify_on_pin_pad() = 0;

protected:
    ~PinVerification() = default;
};

class PinEntry {
public:
    virtual ~PinEntry() = default;
    // Collects the PIN for `request` and passes it on through `verification`. Throws Error(Cancelled)
    // when the holder declines (or nothing can be read); errors of the verification propagate.
    virtual void enter(const PinRequest& request, PinVerification& verification) = 0;
    // True when the PIN is typed on the reader's PIN pad and never reaches the host (the policy
    // "PIN pad required" asks this before any PIN is asked).
    virtual bool on_reader_pin_pad() const { return false; }
};

// A host prompt: `read` returns the PIN bytes (an application's dialog, a test's fixed PIN); an empty
// PIN is a cancellation. The PIN is zeroised as soon as the card has it.
class HostPinPrompt final : public PinEntry {
public:
    using Reader = std::function<Pin(const PinRequest&)>;
    explicit HostPinPrompt(Reader read);
    void enter(const PinRequest& request, PinVerification& verification) override;

private:
    Reader read_;
};

// The reader's PIN pad: the holder types the PIN on the reader; the host never holds it.
class ReaderPinPad final : public PinEntry {
public:
    void enter(const PinRequest& request, PinVerification& verification) override;
    bool on_reader_pin_pad() const override { return true; }
};

// Ready-made host prompts (what `qscd` uses). The terminal prompt reads /dev/tty without echo and
// restores the terminal on Ctrl-C; each reads one line per PIN.
std::unique_ptr<PinEntry> pin_from_fd(int fd);
std::unique_ptr<PinEntry> pin_from_environment(std::string variable);
std::unique_ptr<PinEntry> pin_from_terminal();
// The CLI's order: the descriptor if given, else the variable if set, else the terminal.
std::unique_ptr<PinEntry> pin_from_fd_env_or_terminal(std::optional<int> fd, std::string variable);

// The text a host prompt shows for `request`: "User PIN (signature) for alice (3 tries left): ".
std::string pin_prompt_text(const PinRequest& request);

// One secret read the CLI's way, for commands that hand the token PIN bytes themselves (pin change,
// unblock): one line from `fd` if given, else `variable` if set, else `prompt` on /dev/tty without
// echo. Throws Error(Cancelled) when nothing can be read (no terminal, an empty line on the terminal,
// Ctrl-C).
Pin read_secret(std::optional<int> fd, const std::string& variable, const std::string& prompt);

}  // namespace qscd
