#include "pin_input.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iterator>

#include "qscd/error.hpp"

namespace qscd::cli {

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

Pin read_pin(const PinSource& source, const std::string& prompt) {
    if (source.fd) return Pin(read_line(*source.fd));
    if (!source.env_name.empty()) {
        if (const char* value = std::getenv(source.env_name.c_str())) return Pin(std::string_view(value));
    }
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        throw Error(ErrorCode::Cancelled, "no terminal to ask for the PIN; use --pin-fd N or set " +
                                              (source.env_name.empty() ? std::string("the PIN variable") : source.env_name));
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

PinPrompt make_pin_prompt(PinSource source) {
    return [source](const PinRequest& request) {
        std::string prompt = request.pin_name;
        if (!request.token_label.empty()) prompt += " for " + request.token_label;
        if (request.tries_left) prompt += " (" + tries_left_text(*request.tries_left) + ")";
        prompt += ": ";
        return read_pin(source, prompt);
    };
}

}  // namespace qscd::cli
