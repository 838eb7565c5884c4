// qscd-sim, the card daemon, as a process: its control socket and slot threads under abuse. The
// vpcd peer is a small fake listening on an ephemeral loopback port (no pcscd, no namespaces): it
// accepts the daemon's card connections and drops them at random moments, so slot workers end by
// themselves while control commands arrive.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "qscd/sim/simulator_store.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kQscdSim = QSCD_SIM_BINARY;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "qscd-simd-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// A listening TCP socket on 127.0.0.1 with an ephemeral port (stored in `port`).
int listen_on_loopback(int backlog, unsigned& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, backlog) == 0);
    socklen_t length = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
    port = ntohs(addr.sin_port);
    return fd;
}

// A stand-in for vpcd (pcsc.md §7): listens on 127.0.0.1:<ephemeral>, accepts the daemon's card
// connections, asks for the ATR on some of them (as vpcd's presence poll does) and closes each after
// a random 0-2 ms, which ends the slot's worker ("vpcd closed the connection").
class FakeVpcd {
public:
    FakeVpcd() {
        fd_ = listen_on_loopback(64, port_);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeVpcd() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    unsigned port() const { return port_; }
    unsigned connections() const { return connections_; }

private:
    void serve() {
        std::mt19937 rng(12345);
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const int card = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (card < 0) continue;
            ++connections_;
            if (rng() % 2 == 0) {
                const std::uint8_t get_atr[3] = {0x00, 0x01, 0x04};
                if (::send(card, get_atr, sizeof get_atr, MSG_NOSIGNAL) == 3) {
                    std::uint8_t answer[64];
                    pollfd q{card, POLLIN, 0};
                    if (::poll(&q, 1, 200) > 0) [[maybe_unused]] auto n = ::recv(card, answer, sizeof answer, 0);
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
            ::close(card);
        }
    }

    int fd_ = -1;
    unsigned port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<unsigned> connections_{0};
};

// Anyone listening on a loopback port: accepts one connection and exchanges vpcd frames (pcsc.md §7.2).
class SquatListener {
public:
    SquatListener() { fd_ = listen_on_loopback(4, port_); }
    ~SquatListener() {
        if (card_ >= 0) ::close(card_);
        ::close(fd_);
    }
    unsigned port() const { return port_; }
    bool accept_card(std::chrono::milliseconds limit) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
        card_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        timeval tv{5, 0};
        ::setsockopt(card_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return card_ >= 0;
    }
    // Sends one frame without waiting for an answer (a control byte).
    bool send_frame(const std::vector<std::uint8_t>& payload) {
        std::vector<std::uint8_t> frame{static_cast<std::uint8_t>(payload.size() >> 8), static_cast<std::uint8_t>(payload.size())};
        frame.insert(frame.end(), payload.begin(), payload.end());
        return ::send(card_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
    }
    // Sends one frame; returns the card's answer frame (empty if none).
    std::vector<std::uint8_t> exchange(const std::vector<std::uint8_t>& payload) {
        if (!send_frame(payload)) return {};
        std::uint8_t header[2];
        if (!read_all(header, 2)) return {};
        std::vector<std::uint8_t> answer((std::size_t{header[0]} << 8) | header[1]);
        if (!read_all(answer.data(), answer.size())) return {};
        return answer;
    }

private:
    bool read_all(std::uint8_t* out, std::size_t n) {
        for (std::size_t got = 0; got < n;) {
            const ssize_t r = ::recv(card_, out + got, n - got, 0);
            if (r <= 0) return false;
            got += static_cast<std::size_t>(r);
        }
        return true;
    }
    int fd_ = -1, card_ = -1;
    unsigned port_ = 0;
};

std::uint16_t status_word(const std::vector<std::uint8_t>& response) {
    return response.size() < 2 ? 0 : static_cast<std::uint16_t>(response[response.size() - 2] << 8 | response.back());
}

// `qscd-sim ARGS...` as a child process; stdout and stderr go to `log`.
class Process {
public:
    Process(const std::vector<std::string>& args, const fs::path& log) {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (out < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
            std::vector<char*> argv{const_cast<char*>(kQscdSim.c_str())};
            for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Process() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            wait_for(5s);
        }
    }
    pid_t pid() const { return pid_; }
    bool alive() { return !poll_status(); }
    // The exit status (or 128 + signal) once the process ended, nullopt while it runs.
    std::optional<int> poll_status() {
        if (status_) return status_;
        int raw = 0;
        if (::waitpid(pid_, &raw, WNOHANG) == pid_) status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
        return status_;
    }
    std::optional<int> wait_for(std::chrono::milliseconds limit) {
        const auto end = Clock::now() + limit;
        while (!poll_status() && Clock::now() < end) std::this_thread::sleep_for(5ms);
        return status_;
    }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int connect_control(const fs::path& socket_path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One control request in this process (fast enough to hammer the daemon); "" if it failed.
std::string control(const fs::path& socket_path, const std::string& line) {
    const int fd = connect_control(socket_path);
    if (fd < 0) return "";
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string request = line + "\n";
    std::string reply;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buf[1024];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return reply;
}

// A state directory with token "alice" and a running `qscd-sim serve` whose slot 0 talks to `vpcd`.
struct Daemon {
    TempDir dir;
    fs::path socket_path = dir.path / "ctl.sock";
    fs::path log = dir.path / "qscd-sim.log";
    std::optional<Process> process;

    explicit Daemon(const FakeVpcd& vpcd) {
        qscd::sim::SimulatorStore(dir.path).create_token("alice");
        process.emplace(std::vector<std::string>{"serve", "--state", dir.path.string(), "--control", socket_path.string(),
                                                 "--port", std::to_string(vpcd.port()), "--slots", "1",
                                                 "--connect-timeout", "2000"},
                        log);
        for (int i = 0; i < 400 && control(socket_path, "status").rfind("ok", 0) != 0; ++i) {
            REQUIRE(process->alive());
            std::this_thread::sleep_for(10ms);
        }
        REQUIRE(control(socket_path, "status").rfind("ok", 0) == 0);
    }
    std::string log_tail() {
        const std::string all = read_file(log);
        return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
    }
};

}  // namespace

// The race of issue 11: a slot's worker that ends by itself (vpcd closed the connection) clears the
// token before it can be joined; an `insert` arriving in that moment used to start a new worker over
// the old, still joinable std::thread, and std::terminate killed the daemon with every card in it.
TEST_CASE("insert, remove and status while the slot's worker is ending: the daemon survives") {
    FakeVpcd vpcd;
    Daemon daemon(vpcd);
    const auto start = Clock::now();
    std::size_t inserted = 0, requests = 0;
    std::mt19937 rng(4711);
    // Insert as fast as the socket allows: while the card is in, inserts are refused ("already
    // holds"), and the first one after the worker let go of the token lands in its last moments.
    while (inserted < 1500 && seconds_since(start) < 20) {
        const unsigned pick = rng() % 16;
        const std::string command = pick == 0 ? "remove 0" : pick == 1 ? "status" : "insert 0 alice";
        const std::string reply = control(daemon.socket_path, command);
        ++requests;
        if (command[0] == 'i' && reply.rfind("ok", 0) == 0) ++inserted;
        if (reply.empty() || !daemon.process->alive()) break;
    }
    INFO("qscd-sim log (tail):\n" << daemon.log_tail());
    INFO(inserted << " inserts, " << requests << " requests, " << vpcd.connections() << " vpcd connections in "
                  << seconds_since(start) << " s");
    REQUIRE(daemon.process->alive());
    CHECK(inserted >= 200);  // enough worker endings to have met the race
    ::kill(daemon.process->pid(), SIGTERM);
    CHECK(daemon.process->wait_for(5s) == 0);
}

// One client per connection, one line each way: a client that connects and sends nothing (or half a
// line) must not hold up the next client, nor SIGTERM.
TEST_CASE("an idle control client delays neither other clients nor SIGTERM") {
    FakeVpcd vpcd;
    Daemon daemon(vpcd);
    const int idle = connect_control(daemon.socket_path);
    REQUIRE(idle >= 0);
    const int half = connect_control(daemon.socket_path);
    REQUIRE(half >= 0);
    REQUIRE(::send(half, "sta", 3, MSG_NOSIGNAL) == 3);
    std::this_thread::sleep_for(50ms);  // the daemon has seen both connections

    const auto start = Clock::now();
    Process ctl({"ctl", "--control", daemon.socket_path.string(), "status"}, daemon.dir.path / "ctl.out");
    const auto status = ctl.wait_for(10s);
    const double ctl_seconds = seconds_since(start);
    INFO("qscd-sim log (tail):\n" << daemon.log_tail());
    CHECK(status == 0);
    CHECK(read_file(daemon.dir.path / "ctl.out").rfind("ok\nslot=0 ", 0) == 0);
    CHECK(ctl_seconds < 1.0);

    const int idle_again = connect_control(daemon.socket_path);
    REQUIRE(idle_again >= 0);
    std::this_thread::sleep_for(50ms);
    const auto term = Clock::now();
    ::kill(daemon.process->pid(), SIGTERM);
    const auto exit_status = daemon.process->wait_for(10s);
    const double term_seconds = seconds_since(term);
    CHECK(exit_status == 0);
    CHECK(term_seconds < 1.0);
    CHECK_FALSE(fs::exists(daemon.socket_path));  // cleaned up on the way out
    for (const int fd : {idle, half, idle_again}) ::close(fd);
}

TEST_CASE("serve --slot N beyond the served slots is refused with exit status 2") {
    FakeVpcd vpcd;
    TempDir dir;
    qscd::sim::SimulatorStore(dir.path).create_token("alice");
    const fs::path log = dir.path / "serve.log";
    for (const auto& [slots, spec] : {std::pair<std::string, std::string>{"2", "2=alice"}, {"1", "5=alice"}, {"16", "16=alice"}}) {
        CAPTURE(slots, spec);
        fs::remove(log);
        Process serve({"serve", "--state", dir.path.string(), "--control", (dir.path / "ctl.sock").string(), "--port",
                       std::to_string(vpcd.port()), "--slots", slots, "--slot", spec, "--connect-timeout", "200"},
                      log);
        const auto status = serve.wait_for(5s);
        const std::string output = read_file(log);
        INFO(output);
        CHECK(status == 2);
        CHECK(output.find("slot " + spec.substr(0, spec.find('='))) != std::string::npos);
        CHECK(output.find("--slots") != std::string::npos);
        CHECK(output.find('\n') == output.size() - 1);  // one line
    }
    // The last served slot is accepted.
    Process serve({"serve", "--state", dir.path.string(), "--control", (dir.path / "ctl.sock").string(), "--port",
                   std::to_string(vpcd.port() - 1), "--slots", "2", "--slot", "1=alice", "--connect-timeout", "2000"},
                  log);
    bool inserted = false;
    for (int i = 0; i < 300 && !inserted && serve.alive(); ++i) {
        inserted = read_file(log).find("slot 1: card 'alice' inserted") != std::string::npos;
        if (!inserted) std::this_thread::sleep_for(10ms);
    }
    INFO(read_file(log));
    CHECK(inserted);
    ::kill(serve.pid(), SIGTERM);
    CHECK(serve.wait_for(5s) == 0);
}

// What README and docs/security.md warn about: the vpcd protocol has no authentication, and
// `qscd-sim serve` hands its card to whatever listens on the vpcd port. Here that is not pcscd but
// any program: it reads the card's data and spends a User PIN try without knowing any secret.
TEST_CASE("whoever listens on the vpcd port gets the card") {
    SquatListener squatter;
    TempDir dir;
    qscd::sim::SimulatorStore(dir.path).create_token("alice");
    const fs::path log = dir.path / "serve.log";
    Process serve({"serve", "--state", dir.path.string(), "--control", (dir.path / "ctl.sock").string(), "--port",
                   std::to_string(squatter.port()), "--slots", "1", "--slot", "0=alice"},
                  log);
    REQUIRE(squatter.accept_card(10s));
    INFO(read_file(log));
    CHECK(squatter.exchange({0x04}).size() > 2);  // get ATR
    const std::vector<std::uint8_t> select{0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x00};
    CHECK(status_word(squatter.exchange(select)) == 0x9000);
    const auto aid = squatter.exchange({0x00, 0xCA, 0x00, 0x4F, 0x00});  // GET DATA 4F: the AID with the serial
    CHECK(status_word(aid) == 0x9000);
    CHECK(aid.size() == 18);
    const auto wrong = squatter.exchange({0x00, 0x20, 0x00, 0x81, 0x06, '0', '0', '0', '0', '0', '0'});  // VERIFY
    CHECK(status_word(wrong) != 0x9000);
    const auto pw_status = squatter.exchange({0x00, 0xCA, 0x00, 0xC4, 0x00});  // C4 byte 5: User PIN tries left
    REQUIRE(status_word(pw_status) == 0x9000);
    REQUIRE(pw_status.size() == 9);
    CHECK(pw_status[4] == 2);  // one of three tries spent by a stranger
    ::kill(serve.pid(), SIGTERM);
    CHECK(serve.wait_for(5s) == 0);
}

// The PIN-pad reader's side of the card connection (simulator/ifd speaks it; here a stand-in): the
// control byte 10 then a PC/SC part 10 PIN_VERIFY_STRUCTURE; qscd-sim takes the next keypad entry,
// builds the VERIFY and answers the card's status word, or the reader's own (6400 timeout after
// bTimerOut seconds, 6401 cancel, 6B80 a malformed structure).
TEST_CASE("PIN-pad protocol: keypad entries, the reader's timeout, cancel, display") {
    SquatListener reader;
    TempDir dir;
    qscd::sim::SimulatorStore(dir.path).create_token("alice");
    const fs::path log = dir.path / "serve.log";
    const fs::path ctl = dir.path / "ctl.sock";
    Process serve({"serve", "--state", dir.path.string(), "--control", ctl.string(), "--port", std::to_string(reader.port()),
                   "--slots", "1", "--slot", "0=alice"},
                  log);
    REQUIRE(reader.accept_card(10s));
    INFO(read_file(log));
    const std::vector<std::uint8_t> select{0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x00};
    REQUIRE(status_word(reader.exchange(select)) == 0x9000);
    // OpenPGP PW1 (81), ASCII, variable length 6..32, bTimerOut 1 s.
    const std::vector<std::uint8_t> verify{0x01, 0x01, 0x82, 0x00, 0x00, 0x20, 0x06, 0x02, 0x01, 0x09, 0x04, 0x00,
                                           0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x81, 0x00};
    auto pin_pad = [&](const std::vector<std::uint8_t>& structure) {
        REQUIRE(reader.send_frame({0x10}));
        return status_word(reader.exchange(structure));
    };
    auto tries = [&] {
        const auto c4 = reader.exchange({0x00, 0xCA, 0x00, 0xC4, 0x00});
        REQUIRE(c4.size() == 9);
        return int{c4[4]};
    };

    const auto start = Clock::now();
    CHECK(pin_pad(verify) == 0x6400);  // nobody typed within bTimerOut
    CHECK(seconds_since(start) >= 0.9);
    CHECK(seconds_since(start) < 4.0);

    CHECK(control(ctl, "keypad 0 type 123456").rfind("ok", 0) == 0);
    CHECK(pin_pad(verify) == 0x9000);
    CHECK(control(ctl, "keypad 0 type 000000").rfind("ok", 0) == 0);
    CHECK(pin_pad(verify) == 0x6982);
    CHECK(tries() == 2);
    CHECK(control(ctl, "keypad 0 cancel").rfind("ok", 0) == 0);
    CHECK(pin_pad(verify) == 0x6401);
    CHECK(tries() == 2);
    std::vector<std::uint8_t> lying = verify;
    lying[15] = 0x09;  // ulDataLength says 9, 5 bytes follow
    CHECK(pin_pad(lying) == 0x6B80);

    CHECK(control(ctl, "keypad 0 type 12a456").rfind("error: the keypad has the keys 0-9 only", 0) == 0);
    CHECK(control(ctl, "keypad 0 type 12345678901234567").rfind("error:", 0) == 0);
    CHECK(control(ctl, "keypad 0 press 1").rfind("error: usage: keypad SLOT", 0) == 0);
    const std::string display = control(ctl, "display 0");
    CHECK(display == "ok\nEnter PIN|\nEnter PIN|Timeout\nEnter PIN|\nEnter PIN|******\nPIN OK|\nEnter PIN|\n"
                     "Enter PIN|******\nCard: 6982|\nEnter PIN|\nEnter PIN|Cancelled\n");
    ::kill(serve.pid(), SIGTERM);
    CHECK(serve.wait_for(5s) == 0);
}
