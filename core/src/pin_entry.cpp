// PIN entry strategies and the host prompts qscd uses (fd, environment, terminal without echo).
#include "qscd/pin_entry.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "qscd/error.hpp"

namespace qscd {

namespace {

// Ctrl-C (or SIGTERM, SIGHUP, SIGQUIT) at a PIN prompt: the handler puts the terminal back at once
// (tcsetattr is async-signal-safe) and notes the signal; the interrupted read() then ends the prompt
// as a cancellation, so the program unwinds normally (exit 8) and the shell gets its echo back.
constexpr int kPromptSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
volatile std::sig_atomic_t g_prompt_signal = 0;
int g_prompt_tty = -1;
termios g_prompt_saved{};

void restore_terminal_on_signal(int signal) {
    if (g_prompt_tty >= 0) tcsetattr(g_prompt_tty, TCSANOW, &g_prompt_saved);
    g_prompt_signal = signal;
}

// Reads up to a newline one byte at a time, so several secrets can share one descriptor.
SecureBytes read_line(int fd) {
    SecureBytes line;
    char c;
    for (;;) {
        if (g_prompt_signal != 0) throw Error(ErrorCode::Cancelled, "PIN entry interrupted; nothing was sent to the card");
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;  // the check above decides
        if (n < 0) throw Error(ErrorCode::IoError, "cannot read the PIN from file descriptor " + std::to_string(fd));
        if (n == 0 || c == '\n') break;
        if (line.size() >= 256) throw Error(ErrorCode::InvalidPin, "PIN input longer than 256 bytes");
        line.push_back(static_cast<std::uint8_t>(c));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// Echo off for the life of the object, and back on whatever ends it: scope exit, exception, or a
// terminating signal while reading (see restore_terminal_on_signal).
class TtyEchoOff {
public:
    explicit TtyEchoOff(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) != 0) return;
        g_prompt_saved = saved_;
        g_prompt_tty = fd_;
        g_prompt_signal = 0;
        struct sigaction action {};
        action.sa_handler = restore_terminal_on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART: the signal interrupts read()
        for (std::size_t i = 0; i < std::size(kPromptSignals); ++i) {
            // A signal the program was started to ignore (nohup, a background job) stays ignored.
            if (sigaction(kPromptSignals[i], nullptr, &previous_[i]) != 0 || previous_[i].sa_handler == SIG_IGN) continue;
            installed_[i] = sigaction(kPromptSignals[i], &action, nullptr) == 0;
        }
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
    ~TtyEchoOff() {
        if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
        for (std::size_t i = 0; i < std::size(kPromptSignals); ++i)
            if (installed_[i]) sigaction(kPromptSignals[i], &previous_[i], nullptr);
        g_prompt_tty = -1;
        g_prompt_signal = 0;
    }
    TtyEchoOff(const TtyEchoOff&) = delete;
    TtyEchoOff& operator=(const TtyEchoOff&) = delete;

private:
    int fd_;
    termios saved_{};
    struct sigaction previous_[std::size(kPromptSignals)] {};
    bool installed_[std::size(kPromptSignals)] {};
    bool active_ = false;
};

}  // namespace

HostPinPrompt::HostPinPrompt(Reader read) : read_(std::move(read)) {
    if (!read_) throw Error(ErrorCode::InvalidArgument, "no PIN reader given");
}

void HostPinPrompt::enter(const PinRequest& request, PinVerification& verification) {
    const Pin pin = read_(request);
    if (pin.empty()) throw Error(ErrorCode::Cancelled, "no PIN entered");
    verification.verify_with(pin);
}  // pin: zeroised here, once the card has it

void ReaderPinPad::enter(const PinRequest&, PinVerification& verification) { verification.verify_on_pin_pad(); }

std::string pin_prompt_text(const PinRequest& request) {
    std::string prompt = request.pin_name;
    if (!request.token_label.empty()) prompt += " for " + request.token_label;
    if (request.tries_left) prompt += " (" + tries_left_text(*request.tries_left) + ")";
    prompt += ": ";
    return prompt;
}

Pin read_secret(std::optional<int> fd, const std::string& variable, const std::string& prompt) {
    if (fd) return Pin(read_line(*fd));
    if (!variable.empty()) {
        if (const char* value = std::getenv(variable.c_str())) return Pin(std::string_view(value));
    }
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        throw Error(ErrorCode::Cancelled, "no terminal to ask for the PIN; use --pin-fd N or set " +
                                              (variable.empty() ? std::string("the PIN variable") : variable));
    Pin pin;
    try {
        (void)!::write(tty, prompt.data(), prompt.size());
        TtyEchoOff quiet(tty);
        pin = Pin(read_line(tty));
    } catch (...) {
        (void)!::write(tty, "\n", 1);
        ::close(tty);
        throw;
    }
    (void)!::write(tty, "\n", 1);
    ::close(tty);
    if (pin.empty()) throw Error(ErrorCode::Cancelled, "no PIN entered");
    return pin;
}

std::unique_ptr<PinEntry> pin_from_fd(int fd) {
    return std::make_unique<HostPinPrompt>([fd](const PinRequest&) { return Pin(read_line(fd)); });
}

std::unique_ptr<PinEntry> pin_from_environment(std::string variable) {
    return std::make_unique<HostPinPrompt>([variable = std::move(variable)](const PinRequest&) {
        const char* value = std::getenv(variable.c_str());
        if (value == nullptr) throw Error(ErrorCode::Cancelled, variable + " is not set; no PIN to give the card");
        return Pin(std::string_view(value));
    });
}

std::unique_ptr<PinEntry> pin_from_terminal() {
    return std::make_unique<HostPinPrompt>(
        [](const PinRequest& request) { return read_secret(std::nullopt, std::string(), pin_prompt_text(request)); });
}

std::unique_ptr<PinEntry> pin_from_fd_env_or_terminal(std::optional<int> fd, std::string variable) {
    // Decided at each entry, as the variable may be set or cleared in between.
    return std::make_unique<HostPinPrompt>([fd, variable = std::move(variable)](const PinRequest& request) {
        return read_secret(fd, variable, pin_prompt_text(request));
    });
}

}  // namespace qscd
