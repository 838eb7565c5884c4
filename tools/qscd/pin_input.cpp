#include "pin_input.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "qscd/error.hpp"

namespace qscd::cli {

namespace {

// Reads up to a newline one byte at a time, so several secrets can share one descriptor.
SecureBytes read_line(int fd) {
    SecureBytes line;
    char c;
    for (;;) {
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0) throw Error(ErrorCode::IoError, "cannot read the PIN from file descriptor " + std::to_string(fd));
        if (n == 0 || c == '\n') break;
        if (line.size() >= 256) throw Error(ErrorCode::InvalidPin, "PIN input longer than 256 bytes");
        line.push_back(static_cast<std::uint8_t>(c));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

class TtyEchoOff {
public:
    explicit TtyEchoOff(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) == 0) {
            termios quiet = saved_;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~TtyEchoOff() {
        if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
    TtyEchoOff(const TtyEchoOff&) = delete;
    TtyEchoOff& operator=(const TtyEchoOff&) = delete;

private:
    int fd_;
    termios saved_{};
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
    {
        (void)!::write(tty, prompt.data(), prompt.size());
        TtyEchoOff quiet(tty);
        pin = Pin(read_line(tty));
        (void)!::write(tty, "\n", 1);
    }
    ::close(tty);
    if (pin.empty()) throw Error(ErrorCode::Cancelled, "no PIN entered");
    return pin;
}

PinPrompt make_pin_prompt(PinSource source) {
    return [source](const PinRequest& request) {
        std::string prompt = request.pin_name;
        if (!request.token_label.empty()) prompt += " for " + request.token_label;
        if (request.tries_left) prompt += " (" + std::to_string(*request.tries_left) + " tries left)";
        prompt += ": ";
        return read_pin(source, prompt);
    };
}

}  // namespace qscd::cli
