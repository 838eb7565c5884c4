// qscd-sim: serves simulated tokens to vsmartcard's vpcd (pcsc.md §7) as cards in its slots, and
// takes commands (insert, remove, faults, status) on a unix control socket.
//
// Threads: the main thread runs the control socket and signal handling; each inserted card has one
// worker thread that owns the vpcd connection and answers vpcd's frames strictly one at a time.
// Only the main thread starts and joins workers; a worker that ends by itself marks its slot
// `ended_` (under the slot's mutex, together with clearing the token), and the main thread joins it
// before the slot can take a card again.
// Card state is only ever written by InProcessTransport (FileStorage: atomic replace).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "qscd/codec/bytes.hpp"
#include "qscd/sim/simulator_store.hpp"

namespace qscd::simd {

struct ServeOptions {
    std::filesystem::path state_dir;
    std::string host = "127.0.0.1";
    std::uint16_t port = 35963;           // vpcd base port; slot i listens on port + i
    unsigned slots = 2;                   // slots shown by `status`
    std::filesystem::path control_path;   // unix socket
    std::chrono::milliseconds connect_timeout{10000};
    bool verbose = false;
};

// How a misbehaving card reports its signature counter (DO 93 in GET DATA 7A, OpenPGP card 3.4 §8.2).
enum class CounterFault { None, Stuck, Skip };

struct Faults {
    std::optional<std::uint64_t> remove_after;  // answer this many more APDUs, then drop the card on the next
    unsigned delay_ms = 0;                      // sleep before every APDU answer
    bool mute = false;                          // swallow APDUs, keep the connection
    CounterFault counter = CounterFault::None;  // stuck: a signature is not counted; skip: counted twice
    std::string describe() const;
};

// One key sequence on a slot's PIN-pad keypad (the simulated PIN-pad reader, simulator/ifd): digits
// then OK, the Cancel key, or nobody typing until the reader's timeout.
struct KeypadEntry {
    enum class Kind { Digits, Cancel, Timeout } kind = Kind::Digits;
    std::string digits;  // never logged
};

class Slot {
public:
    explicit Slot(unsigned index) : index_(index) {}
    ~Slot();

    unsigned index() const { return index_; }
    // Opens the token and connects to vpcd (retrying until `timeout`); starts the worker. Throws
    // std::runtime_error with a one-line message.
    void insert(const qscd::sim::SimulatorStore& store, const std::string& token, const ServeOptions& options);
    // Closes the vpcd connection (card removed) and waits for the worker. False if the slot was empty.
    bool remove();
    void set_fault(const std::string& what, std::optional<std::uint64_t> value);
    void clear_faults();
    std::string status_line();
    std::string token();
    // The keypad: entries are used in order, one per PIN the reader asks for.
    void keypad(KeypadEntry entry);
    void keypad_clear();
    // What the reader's display has shown since the card was inserted, one screen per line
    // ("Enter PIN|******"), oldest first.
    std::vector<std::string> display();

private:
    void run();  // worker: one vpcd connection
    bool wait_readable(int timeout_ms);  // false: woken (remove / shutdown) or error
    void reap();  // joins a worker that ended by itself (remove-after fault, vpcd closed)
    void join_worker();  // main thread: joins the worker and closes its wake pipe
    // The counter fault: shifts the counter the card reports from the one it keeps.
    void apply_counter_fault(CounterFault fault, ByteView command, Bytes& response);
    // PC/SC part 10 VERIFY_PIN_DIRECT (op 10) / MODIFY_PIN_DIRECT (op 11) for the PIN-pad driver:
    // takes keypad entries, formats the APDU, has the card answer it. Returns SW1 SW2 (or the card's answer).
    Bytes pin_pad(std::uint8_t op, ByteView structure);
    // Waits for the next keypad entry, at most `timeout`; nullopt when the card is being removed.
    std::optional<KeypadEntry> next_key_entry(std::chrono::seconds timeout);
    void show(const std::string& screen);
    Bytes write_display(ByteView structure);

    const unsigned index_;
    std::mutex mutex_;
    std::string token_;  // empty: no card
    std::unique_ptr<qscd::sim::InProcessTransport> transport_;
    int sock_ = -1;
    int wake_[2] = {-1, -1};
    std::thread worker_;
    bool ended_ = false;       // the worker left its loop; the main thread must join it
    std::uint64_t apdus_ = 0;  // answered since insertion
    Faults faults_;
    // Worker only (counter faults): the reported counter minus the card's, and the fault it belongs to.
    std::int64_t counter_shift_ = 0;
    CounterFault counter_mode_ = CounterFault::None;
    bool verbose_ = false;
    std::deque<KeypadEntry> keypad_;
    std::condition_variable keypad_ready_;
    bool removing_ = false;             // remove(): a worker waiting for the keypad gives up
    std::vector<std::string> display_;  // screens shown since insertion
    std::string rows_[2];               // the lines the host wrote (worker only)
};

class Server {
public:
    explicit Server(ServeOptions options);
    ~Server();

    // Binds the control socket (throws if it is in use), inserts the initial cards, then serves
    // until SIGTERM/SIGINT. Returns the exit status.
    int run(const std::vector<std::pair<unsigned, std::string>>& initial);

private:
    // A control connection being read: one line, within kControlDeadline of its accept.
    struct ControlClient {
        int fd = -1;
        std::string line;
        std::chrono::steady_clock::time_point deadline;
    };

    std::string handle(const std::string& line);
    Slot& slot(const std::string& arg);
    void bind_control();
    void accept_client();
    // Reads what the client has sent; true when it is done (answered, or dropped).
    bool serve_client(ControlClient& client);

    ServeOptions options_;
    qscd::sim::SimulatorStore store_;
    std::vector<std::unique_ptr<Slot>> slots_;
    int listen_fd_ = -1;
    bool bound_ = false;
    std::vector<ControlClient> clients_;
};

// Default control socket: $XDG_RUNTIME_DIR/qscd-sim.sock, else <state dir>/qscd-sim.sock.
std::filesystem::path default_control_path(const std::filesystem::path& state_dir);

// Client side: sends one command line, returns the whole reply. Throws std::runtime_error.
std::string control_request(const std::filesystem::path& control_path, const std::string& line);

}  // namespace qscd::simd
