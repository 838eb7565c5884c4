#include "sim_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "qscd/error.hpp"
#include "qscd/sim/pin_pad.hpp"

namespace qscd::simd {

namespace fs = std::filesystem;

namespace {

std::mutex log_mutex;

template <typename... Args>
void log(fmt::format_string<Args...> format, Args&&... args) {
    std::lock_guard<std::mutex> guard(log_mutex);
    fmt::print(stderr, "qscd-sim: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

std::string errno_text() { return std::strerror(errno); }

void set_quickack(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

// Reads exactly n bytes; false on EOF or error (vpcd went away).
bool read_exact(int fd, std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::recv(fd, out + got, n - got, 0);
        if (r > 0) {
            got += static_cast<std::size_t>(r);
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    set_quickack(fd);  // the kernel clears QUICKACK again; re-arm after every receive
    return true;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t n) {
    std::size_t sent = 0;
    while (sent < n) {
        const ssize_t w = ::send(fd, data + sent, n - sent, MSG_NOSIGNAL);
        if (w > 0) {
            sent += static_cast<std::size_t>(w);
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

// One frame: 2-byte big-endian length + payload (pcsc.md §7.2), in one send.
bool send_frame(int fd, const std::uint8_t* data, std::size_t n) {
    std::vector<std::uint8_t> frame(n + 2);
    frame[0] = static_cast<std::uint8_t>(n >> 8);
    frame[1] = static_cast<std::uint8_t>(n);
    std::memcpy(frame.data() + 2, data, n);
    return write_all(fd, frame.data(), frame.size());
}

int connect_vpcd(const std::string& host, unsigned port, std::chrono::milliseconds timeout, unsigned slot) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    std::string last_error;
    for (;;) {
        addrinfo* list = nullptr;
        const int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
        if (gai != 0) fail(fmt::format("cannot resolve vpcd host '{}': {}", host, ::gai_strerror(gai)));
        for (addrinfo* ai = list; ai; ai = ai->ai_next) {
            const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0) {
                last_error = errno_text();
                continue;
            }
            if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                ::freeaddrinfo(list);
                int one = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                set_quickack(fd);
                return fd;
            }
            last_error = errno_text();
            ::close(fd);
        }
        ::freeaddrinfo(list);
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fail(fmt::format("slot {}: cannot connect to vpcd at {}:{}: {} (is pcscd running with the vpcd reader driver?)",
                     slot, host, port, last_error));
}

std::vector<std::string> split(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

std::uint64_t parse_number(const std::string& s, const char* what) {
    if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos)
        fail(fmt::format("{} must be a non-negative number, not '{}'", what, s));
    return std::stoull(s);
}

}  // namespace

// ---- Faults / Slot ----------------------------------------------------------------------------

std::string Faults::describe() const {
    std::string out;
    auto add = [&](const std::string& s) { out += (out.empty() ? "" : ",") + s; };
    if (remove_after) add(fmt::format("remove-after:{}", *remove_after));
    if (delay_ms) add(fmt::format("delay:{}", delay_ms));
    if (mute) add("mute");
    if (counter == CounterFault::Stuck) add("counter-stuck");
    if (counter == CounterFault::Skip) add("counter-skip");
    return out.empty() ? "none" : out;
}

Slot::~Slot() { remove(); }

void Slot::join_worker() {
    if (worker_.joinable()) worker_.join();
    for (int& fd : wake_) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    std::lock_guard<std::mutex> guard(mutex_);
    ended_ = false;
}

void Slot::reap() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        if (!ended_) return;
    }
    join_worker();  // the worker is past its loop: at most its last log line remains
}

void Slot::insert(const qscd::sim::SimulatorStore& store, const std::string& token, const ServeOptions& options) {
    reap();
    {
        // A worker that has not ended still holds its token, so an empty token means no worker.
        std::lock_guard<std::mutex> guard(mutex_);
        if (!token_.empty()) fail(fmt::format("slot {} already holds '{}'; remove it first", index_, token_));
    }
    if (worker_.joinable()) fail(fmt::format("slot {} is still busy; try again", index_));
    std::unique_ptr<qscd::sim::InProcessTransport> transport;
    try {
        transport = store.open_simulator(token);
    } catch (const qscd::Error& e) {
        fail(e.what());
    }
    const int fd = connect_vpcd(options.host, options.port + index_, options.connect_timeout, index_);
    if (::pipe2(wake_, O_CLOEXEC) != 0) {
        ::close(fd);
        fail("cannot create a pipe: " + errno_text());
    }
    {
        std::lock_guard<std::mutex> guard(mutex_);
        token_ = token;
        transport_ = std::move(transport);
        sock_ = fd;
        apdus_ = 0;
        verbose_ = options.verbose;
        ended_ = false;
        removing_ = false;
        display_.clear();
        rows_[0].clear();
        rows_[1].clear();
    }
    counter_shift_ = 0;
    counter_mode_ = CounterFault::None;
    try {
        worker_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        std::lock_guard<std::mutex> guard(mutex_);
        ::close(sock_);
        sock_ = -1;
        transport_.reset();
        token_.clear();
        for (int& w : wake_) {
            ::close(w);
            w = -1;
        }
        fail(fmt::format("slot {}: cannot start a thread: {}", index_, e.what()));
    }
    log("slot {}: card '{}' inserted ({}:{})", index_, token, options.host, options.port + index_);
}

bool Slot::remove() {
    reap();
    if (!worker_.joinable()) return false;
    const std::uint8_t byte = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_[1], &byte, 1);
    {
        std::lock_guard<std::mutex> guard(mutex_);
        removing_ = true;  // a worker waiting for the keypad gives up
    }
    keypad_ready_.notify_all();
    join_worker();
    return true;
}

void Slot::keypad(KeypadEntry entry) {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        if (keypad_.size() >= 64) fail(fmt::format("slot {}: 64 keypad entries are already waiting", index_));
        keypad_.push_back(std::move(entry));
    }
    keypad_ready_.notify_all();
}

void Slot::keypad_clear() {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto& e : keypad_) std::fill(e.digits.begin(), e.digits.end(), '\0');
    keypad_.clear();
}

std::vector<std::string> Slot::display() {
    std::lock_guard<std::mutex> guard(mutex_);
    return display_;
}

void Slot::show(const std::string& screen) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (display_.size() >= 256) display_.erase(display_.begin());
    display_.push_back(screen);
}

// FEATURE_WRITE_DISPLAY: the host writes a line (what is about to be signed) before asking for the
// PIN; the screen is recorded like the reader's own.
Bytes Slot::write_display(ByteView structure) {
    namespace pp = qscd::sim::pinpad;
    const auto w = pp::parse_write_display(structure);
    if (!w) return {0x6B, 0x80};
    std::string& row = rows_[w->row];
    row.resize(pp::kDisplayColumns, ' ');
    const std::string text = w->text.substr(0, pp::kDisplayColumns - w->column);
    row.replace(w->column, text.size(), text);
    auto trimmed = [](std::string s) { return s.erase(s.find_last_not_of(' ') + 1); };
    show(trimmed(rows_[0]) + "|" + trimmed(rows_[1]));
    return {0x90, 0x00};
}

std::optional<KeypadEntry> Slot::next_key_entry(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!keypad_ready_.wait_for(lock, timeout, [this] { return !keypad_.empty() || removing_; }))
        return KeypadEntry{KeypadEntry::Kind::Timeout, {}};  // nobody typed
    if (removing_) return std::nullopt;
    KeypadEntry entry = std::move(keypad_.front());
    keypad_.pop_front();
    return entry;
}

// The reader's side of secure PIN entry [PC/SC part 10 §2.5.2, §2.5.3]: one prompt per PIN on the
// display, the keypad's entries, the APDU formatted from the structure; the card answers it. Reader
// status words: 6400 timeout, 6401 cancel, 6402 new PINs differ, 6403 length, 6B80 bad structure.
Bytes Slot::pin_pad(std::uint8_t op, ByteView structure) {
    namespace pp = qscd::sim::pinpad;
    auto sw = [](std::uint16_t value) { return Bytes{static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)}; };
    std::optional<pp::VerifyRequest> verify;
    std::optional<pp::ModifyRequest> modify;
    if (op == 0x10) verify = pp::parse_verify(structure);
    else modify = pp::parse_modify(structure);
    if (verbose_)  // the structure holds no PIN: the reader has not asked for it yet
        log("slot {}: PIN pad {} structure {}", index_, op == 0x10 ? "VERIFY" : "MODIFY", to_hex(structure));
    if (!verify && !modify) return sw(pp::kSwBadStructure);
    const std::uint8_t timer = verify ? verify->timeout : modify->timeout;
    const std::chrono::seconds timeout(timer ? timer : 30);  // 00: the reader's default

    // Asks for one PIN: the prompt, then the keypad; the screen records how many digits were typed.
    std::uint16_t reader_error = 0;
    auto ask = [&](std::uint8_t msg_index, std::string& digits) -> bool {
        const std::string prompt = pp::prompt(msg_index);
        show(prompt + "|");  // the reader waits for the keypad: what a holder (or a test) sees now
        auto entry = next_key_entry(timeout);
        if (!entry) {
            reader_error = pp::kSwTimeout;
            return false;
        }
        switch (entry->kind) {
            case KeypadEntry::Kind::Digits:
                show(prompt + "|" + std::string(entry->digits.size(), '*'));
                digits = std::move(entry->digits);
                return true;
            case KeypadEntry::Kind::Cancel:
                show(prompt + "|Cancelled");
                reader_error = pp::kSwCancelled;
                return false;
            case KeypadEntry::Kind::Timeout:
                show(prompt + "|Timeout");
                reader_error = pp::kSwTimeout;
                return false;
        }
        return false;
    };
    auto wipe = [](std::string& s) { std::fill(s.begin(), s.end(), '\0'); };

    Result<Bytes, std::uint16_t> apdu = qscd::fail(pp::kSwBadStructure);
    std::string first, second, confirm;
    if (verify) {
        if (!ask(verify->msg_index, first)) return sw(reader_error);
        apdu = pp::format_verify(*verify, first);
    } else {
        const bool old_asked = modify->asks_old();
        if (old_asked && !ask(0, first)) return sw(reader_error);
        if (!ask(1, second)) {
            wipe(first);
            return sw(reader_error);
        }
        if (modify->confirms_new()) {
            if (!ask(2, confirm)) {
                wipe(first);
                wipe(second);
                return sw(reader_error);
            }
            if (confirm != second) {
                wipe(first);
                wipe(second);
                wipe(confirm);
                show("PINs differ|");
                return sw(pp::kSwPinsDiffer);
            }
        }
        apdu = pp::format_modify(*modify, first, second);
    }
    wipe(first);
    wipe(second);
    wipe(confirm);
    if (!apdu) {
        show(apdu.error() == pp::kSwBadPinLength ? "Invalid length|" : "Error|");
        return sw(apdu.error());
    }
    Bytes response;
    try {
        response = transport_->transmit(*apdu);
    } catch (const std::exception& e) {
        log("slot {}: {}", index_, e.what());
        response = {0x6F, 0x00};
    }
    std::fill(apdu->begin(), apdu->end(), 0);
    if (response.size() < 2) response = {0x6F, 0x00};
    const std::uint16_t status = static_cast<std::uint16_t>(response[response.size() - 2] << 8 | response.back());
    show(status == 0x9000 ? "PIN OK|" : fmt::format("Card: {:04X}|", status));
    if (verbose_) log("slot {}: PIN pad {} -> {:04X}", index_, verify ? "VERIFY" : "CHANGE", status);
    return response;
}

void Slot::set_fault(const std::string& what, std::optional<std::uint64_t> value) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (what == "remove-after") faults_.remove_after = value.value_or(0);
    else if (what == "delay") faults_.delay_ms = static_cast<unsigned>(value.value_or(0));
    else if (what == "mute") faults_.mute = true;
    else if (what == "counter-stuck") faults_.counter = CounterFault::Stuck;
    else if (what == "counter-skip") faults_.counter = CounterFault::Skip;
}

void Slot::clear_faults() {
    std::lock_guard<std::mutex> guard(mutex_);
    faults_ = Faults{};
}

std::string Slot::token() {
    reap();
    std::lock_guard<std::mutex> guard(mutex_);
    return token_;
}

std::string Slot::status_line() {
    reap();
    std::lock_guard<std::mutex> guard(mutex_);
    return fmt::format("slot={} token={} apdus={} faults={}", index_, token_.empty() ? "-" : token_, apdus_,
                       faults_.describe());
}

bool Slot::wait_readable(int timeout_ms) {
    pollfd fds[2] = {{sock_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    for (;;) {
        const int n = ::poll(fds, 2, timeout_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (fds[1].revents) return false;
        return n > 0;
    }
}

// The card signs and counts correctly; what it reports is off. After each PSO:COMPUTE DIGITAL
// SIGNATURE (00 2A 9E 9A, OpenPGP card 3.4 §8) answered 9000 the shift moves by -1 (stuck) or +1
// (skip), and GET DATA 7A (§8.2: 7A 05 93 03 <counter>) answers the card's counter plus the shift.
// A host that checks the counter sees it rise by 0 or by 2 per signature.
void Slot::apply_counter_fault(CounterFault fault, ByteView command, Bytes& response) {
    const bool ok = response.size() >= 2 && response[response.size() - 2] == 0x90 && response.back() == 0x00;
    if (!ok || command.size() < 4) return;
    const bool last_of_chain = (command[0] & 0x10) == 0;
    if (command[1] == 0x2A && command[2] == 0x9E && command[3] == 0x9A && last_of_chain) {
        counter_shift_ += fault == CounterFault::Stuck ? -1 : 1;
        return;
    }
    const std::uint8_t security_template[4] = {0x7A, 0x05, 0x93, 0x03};
    if (command[1] != 0xCA || command[2] != 0x00 || command[3] != 0x7A || response.size() != 9 ||
        !std::equal(security_template, security_template + 4, response.begin()))
        return;
    const std::int64_t real = (std::int64_t{response[4]} << 16) | (std::int64_t{response[5]} << 8) | response[6];
    const std::int64_t shown = std::clamp<std::int64_t>(real + counter_shift_, 0, 0xFFFFFF);
    response[4] = static_cast<std::uint8_t>(shown >> 16);
    response[5] = static_cast<std::uint8_t>(shown >> 8);
    response[6] = static_cast<std::uint8_t>(shown);
}

void Slot::run() {
    std::vector<std::uint8_t> payload;
    std::string why = "removed";
    for (;;) {
        if (!wait_readable(-1)) break;
        std::uint8_t header[2];
        if (!read_exact(sock_, header, 2)) {
            why = "vpcd closed the connection";
            break;
        }
        const std::size_t length = (std::size_t{header[0]} << 8) | header[1];
        payload.resize(length);
        if (length && !read_exact(sock_, payload.data(), length)) {
            why = "vpcd closed the connection";
            break;
        }
        if (length == 1) {
            const std::uint8_t control = payload[0];
            if (control == 0x00 || control == 0x01 || control == 0x02) {
                transport_->reset_card();  // power off, power on, reset: all back to the post-ATR state
                if (verbose_) log("slot {}: {}", index_, control == 0 ? "power off" : control == 1 ? "power on" : "reset");
            } else if (control == 0x10 || control == 0x11 || control == 0x12) {
                // The PIN-pad driver: one more frame follows, the part 10 structure.
                std::uint8_t h[2];
                if (!read_exact(sock_, h, 2)) {
                    why = "the reader closed the connection";
                    break;
                }
                Bytes structure((std::size_t{h[0]} << 8) | h[1]);
                if (!structure.empty() && !read_exact(sock_, structure.data(), structure.size())) {
                    why = "the reader closed the connection";
                    break;
                }
                const Bytes response = control == 0x12 ? write_display(structure) : pin_pad(control, structure);
                if (control != 0x12) {
                    std::lock_guard<std::mutex> guard(mutex_);
                    if (removing_) break;
                    ++apdus_;  // the card answered the APDU the reader built
                }
                if (!send_frame(sock_, response.data(), response.size())) {
                    why = "cannot write to the reader";
                    break;
                }
            } else if (control == 0x04) {
                const Bytes atr = transport_->atr();
                if (!send_frame(sock_, atr.data(), atr.size())) {
                    why = "cannot write to vpcd";
                    break;
                }
            } else if (verbose_) {
                log("slot {}: unknown control byte {:02X} ignored", index_, control);
            }
            continue;
        }
        if (length < 4) {
            if (verbose_) log("slot {}: ignored a {}-byte frame", index_, length);
            continue;
        }

        Faults faults;
        {
            std::lock_guard<std::mutex> guard(mutex_);
            faults = faults_;
            if (faults.remove_after && *faults.remove_after == 0) faults_.remove_after.reset();
        }
        if (faults.remove_after && *faults.remove_after == 0) {
            why = "removed by the remove-after fault";
            break;
        }
        if (faults.mute) {
            if (verbose_) log("slot {}: muted, APDU {:02X} not answered", index_, payload[1]);
            continue;
        }
        if (faults.delay_ms) {
            pollfd wake{wake_[0], POLLIN, 0};
            if (::poll(&wake, 1, static_cast<int>(faults.delay_ms)) > 0) break;  // removed while waiting
        }
        Bytes response;
        try {
            response = transport_->transmit(ByteView(payload.data(), payload.size()));
        } catch (const std::exception& e) {
            log("slot {}: {}", index_, e.what());
            response = {0x6F, 0x00};
        }
        if (faults.counter != counter_mode_) {  // set, changed or cleared: from the card's own counter on
            counter_mode_ = faults.counter;
            counter_shift_ = 0;
        }
        if (faults.counter != CounterFault::None)
            apply_counter_fault(faults.counter, ByteView(payload.data(), payload.size()), response);
        if (response.size() < 2 || response.size() > 0xFFFF) {
            log("slot {}: response of {} bytes cannot be framed; answering 6F00", index_, response.size());
            response = {0x6F, 0x00};
        }
        if (verbose_)
            log("slot {}: APDU {:02X} {:02X} {:02X} {:02X} ({} bytes) -> {:02X}{:02X} ({} bytes)", index_, payload[0],
                payload[1], payload[2], payload[3], length, response[response.size() - 2], response.back(),
                response.size());
        if (!send_frame(sock_, response.data(), response.size())) {
            why = "cannot write to vpcd";
            break;
        }
        std::lock_guard<std::mutex> guard(mutex_);
        ++apdus_;
        if (faults_.remove_after && *faults_.remove_after > 0) --*faults_.remove_after;
    }
    std::string token;
    {
        std::lock_guard<std::mutex> guard(mutex_);
        ::close(sock_);
        sock_ = -1;
        transport_.reset();
        token = std::move(token_);
        token_.clear();
        ended_ = true;  // together with the token: the main thread joins before the next insert
    }
    log("slot {}: card '{}' {}", index_, token, why);
}

// ---- Server -----------------------------------------------------------------------------------

fs::path default_control_path(const fs::path& state_dir) {
    if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) return fs::path(run) / "qscd-sim.sock";
    return state_dir / "qscd-sim.sock";
}

Server::Server(ServeOptions options) : options_(std::move(options)), store_(options_.state_dir) {}

Server::~Server() {
    slots_.clear();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (bound_) ::unlink(options_.control_path.c_str());
}

namespace {

sockaddr_un unix_address(const fs::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof addr.sun_path)
        fail(fmt::format("control socket path is too long ({} bytes, max {}): {}", path.string().size(),
                         sizeof addr.sun_path - 1, path.string()));
    std::memcpy(addr.sun_path, path.c_str(), path.string().size());
    return addr;
}

}  // namespace

void Server::bind_control() {
    const fs::path& path = options_.control_path;
    const sockaddr_un addr = unix_address(path);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) fail(fmt::format("{} exists and is not a socket", path.string()));
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool alive = probe >= 0 && ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0) ::close(probe);
        if (alive) fail(fmt::format("control socket {} is in use (another qscd-sim serve?); use --control", path.string()));
        ::unlink(path.c_str());  // stale, from a killed server
    }
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) fail("cannot create the control socket: " + errno_text());
    const mode_t old = ::umask(0077);
    const int rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int bind_errno = errno;
    ::umask(old);
    if (rc != 0) fail(fmt::format("cannot bind control socket {}: {}", path.string(), std::strerror(bind_errno)));
    bound_ = true;
    ::chmod(path.c_str(), 0600);
    if (::listen(listen_fd_, 16) != 0) fail("cannot listen on the control socket: " + errno_text());
}

Slot& Server::slot(const std::string& arg) {
    const std::uint64_t n = parse_number(arg, "SLOT");
    if (n >= slots_.size())
        fail(fmt::format("slot {} does not exist (serving slots 0-{}; see --slots)", n, slots_.size() - 1));
    return *slots_[n];
}

std::string Server::handle(const std::string& line) {
    const auto words = split(line);
    if (words.empty()) fail("empty command");
    const std::string& cmd = words[0];
    if (cmd == "status" && words.size() == 1) {
        std::string out = "ok";
        for (auto& s : slots_) out += "\n" + s->status_line();
        return out;
    }
    if (cmd == "insert" && words.size() == 3) {
        Slot& s = slot(words[1]);
        for (auto& other : slots_)
            if (other.get() != &s && other->token() == words[2])
                fail(fmt::format("token '{}' is already in slot {}", words[2], other->index()));
        s.insert(store_, words[2], options_);
        return "ok";
    }
    if (cmd == "remove" && words.size() == 2) {
        Slot& s = slot(words[1]);
        if (!s.remove()) fail(fmt::format("slot {} is empty", s.index()));
        return "ok";
    }
    if (cmd == "fault" && words.size() >= 3) {
        Slot& s = slot(words[1]);
        const std::string& kind = words[2];
        if (kind == "remove-after" && words.size() == 4) {
            s.set_fault(kind, parse_number(words[3], "N"));
        } else if (kind == "delay" && words.size() == 4) {
            const std::uint64_t ms = parse_number(words[3], "MS");
            if (ms > 600000) fail("delay is at most 600000 ms");
            s.set_fault(kind, ms);
        } else if (kind == "mute" && words.size() == 3) {
            s.set_fault(kind, std::nullopt);
        } else if ((kind == "counter-stuck" || kind == "counter-skip") && words.size() == 3) {
            s.set_fault(kind, std::nullopt);
        } else if (kind == "clear" && words.size() == 3) {
            s.clear_faults();
        } else {
            fail("usage: fault SLOT remove-after N | delay MS | mute | counter-stuck | counter-skip | clear");
        }
        return "ok";
    }
    if (cmd == "keypad" && words.size() >= 3) {
        Slot& s = slot(words[1]);
        const std::string& kind = words[2];
        if (kind == "type" && words.size() == 4) {
            const std::string& digits = words[3];
            if (digits.empty() || digits.size() > qscd::sim::pinpad::kMaxPinDigits ||
                digits.find_first_not_of("0123456789") != std::string::npos)
                fail(fmt::format("the keypad has the keys 0-9 only, at most {} of them", qscd::sim::pinpad::kMaxPinDigits));
            s.keypad({KeypadEntry::Kind::Digits, digits});
        } else if (kind == "cancel" && words.size() == 3) {
            s.keypad({KeypadEntry::Kind::Cancel, {}});
        } else if (kind == "timeout" && words.size() == 3) {
            s.keypad({KeypadEntry::Kind::Timeout, {}});
        } else if (kind == "clear" && words.size() == 3) {
            s.keypad_clear();
        } else {
            fail("usage: keypad SLOT type DIGITS | cancel | timeout | clear");
        }
        return "ok";
    }
    if (cmd == "display" && words.size() == 2) {
        std::string out = "ok";  // then the screens; the keypad entries not used yet are not shown
        for (const auto& screen : slot(words[1]).display()) out += "\n" + screen;
        return out;
    }
    fail(fmt::format("unknown command '{}' (commands: insert SLOT TOKEN, remove SLOT, fault SLOT ..., keypad SLOT ..., "
                     "display SLOT, status)", words[0]));
}

namespace {

constexpr std::chrono::seconds kControlDeadline{5};  // to send the whole command line
constexpr std::size_t kMaxControlClients = 16;      // beyond: the longest-waiting one is dropped
constexpr std::size_t kMaxControlLine = 4096;

}  // namespace

void Server::accept_client() {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (clients_.size() >= kMaxControlClients) {
        ::close(clients_.front().fd);
        clients_.erase(clients_.begin());
    }
    clients_.push_back({fd, {}, std::chrono::steady_clock::now() + kControlDeadline});
}

bool Server::serve_client(ControlClient& client) {
    char buf[512];
    bool complete = false;
    for (;;) {
        const ssize_t r = ::recv(client.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (r <= 0) {  // end of the command (the client shut down its side), or an error
            complete = r == 0;
            break;
        }
        client.line.append(buf, static_cast<std::size_t>(r));
        if (client.line.find('\n') != std::string::npos || client.line.size() >= kMaxControlLine) {
            complete = true;
            break;
        }
    }
    if (!complete) return false;
    std::string line = client.line.substr(0, std::min(client.line.find('\n'), kMaxControlLine));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string reply;
    try {
        reply = handle(line);
    } catch (const std::exception& e) {
        reply = std::string("error: ") + e.what();
    }
    reply += "\n";
    // A reply fits the socket buffer; a client that does not read it loses it (never blocks us).
    [[maybe_unused]] const ssize_t w = ::send(client.fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    return true;
}

int Server::run(const std::vector<std::pair<unsigned, std::string>>& initial) {
    // Signals are taken synchronously through a signalfd by this thread only.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    const int sigfd = ::signalfd(-1, &mask, SFD_CLOEXEC);
    if (sigfd < 0) fail("signalfd: " + errno_text());

    const unsigned count = options_.slots;
    for (const auto& [index, token] : initial)
        if (index >= count) fail(fmt::format("--slot {}={}: slot {} is not served (slots 0-{}; see --slots)", index, token, index, count - 1));
    if (options_.port + count - 1 > 65535) fail("--port + slot exceeds 65535");
    for (unsigned i = 0; i < count; ++i) slots_.push_back(std::make_unique<Slot>(i));

    bind_control();
    for (const auto& [index, token] : initial) slots_[index]->insert(store_, token, options_);
    log("serving {} slot(s) from {}; control socket {}", slots_.size(), store_.dir().string(),
        options_.control_path.string());

    // One poll over the signal, the listening socket and every control client being read: a client
    // that connects and sends nothing (or half a line) holds up nobody and is dropped at its deadline.
    for (;;) {
        std::vector<pollfd> fds{{sigfd, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        auto now = std::chrono::steady_clock::now();
        int timeout_ms = -1;
        for (const auto& c : clients_) {
            fds.push_back({c.fd, POLLIN, 0});
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(c.deadline - now).count();
            timeout_ms = timeout_ms < 0 ? static_cast<int>(std::max<long>(left, 0))
                                        : std::min(timeout_ms, static_cast<int>(std::max<long>(left, 0)));
        }
        if (::poll(fds.data(), fds.size(), timeout_ms) < 0) {
            if (errno == EINTR) continue;
            fail("poll: " + errno_text());
        }
        if (fds[0].revents) {
            signalfd_siginfo info{};
            [[maybe_unused]] ssize_t r = ::read(sigfd, &info, sizeof info);
            log("signal {}: shutting down", info.ssi_signo);
            break;
        }
        // Clients first (in accept order), then new connections.
        now = std::chrono::steady_clock::now();
        std::vector<ControlClient> pending;
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            ControlClient& c = clients_[i];
            const bool done = (fds[i + 2].revents && serve_client(c)) || now >= c.deadline;
            if (done) ::close(c.fd);
            else pending.push_back(std::move(c));
        }
        clients_ = std::move(pending);
        if (fds[1].revents & POLLIN) accept_client();
    }
    for (auto& c : clients_) ::close(c.fd);
    clients_.clear();
    ::close(sigfd);
    slots_.clear();  // closes every vpcd connection (cards removed), waits for APDUs in flight
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(options_.control_path.c_str());
    bound_ = false;
    return 0;
}

std::string control_request(const fs::path& control_path, const std::string& line) {
    const sockaddr_un addr = unix_address(control_path);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket: " + errno_text());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const std::string why = errno_text();
        ::close(fd);
        fail(fmt::format("cannot connect to control socket {}: {} (is `qscd-sim serve` running?)",
                         control_path.string(), why));
    }
    const std::string request = line + "\n";
    if (!write_all(fd, reinterpret_cast<const std::uint8_t*>(request.data()), request.size())) {
        ::close(fd);
        fail("cannot send to the control socket: " + errno_text());
    }
    ::shutdown(fd, SHUT_WR);
    std::string reply;
    char buf[4096];
    for (;;) {
        const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        reply.append(buf, static_cast<std::size_t>(r));
    }
    ::close(fd);
    if (reply.empty()) fail("the server closed the control connection without a reply");
    return reply;
}

}  // namespace qscd::simd
