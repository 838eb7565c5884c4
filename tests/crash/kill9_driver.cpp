// kill -9 loop (issue 6 item 3): starts `qscd sign` or `qscd pin change` on a simulated token again and
// again and SIGKILLs it: half the runs after a random delay spread over the command's measured running
// time (kills land before, inside and after the card's commits), the other half aimed: the driver waits
// until the process holds the token's lock, then kills within 4 ms. Then it checks the token on disk:
//   the state loads; the signature counter never decreases, grows by at most one per run and did grow
//   when a sign completed; retry counters are never raised by a crash (only a correct PIN resets them);
//   the SIG key is unchanged; the User PIN is one of the two candidates (the new one after a completed
//   change); no temp file outlives a completed run. Every --check-every runs, and at the end, `qscd info`
//   and `qscd pin status` must agree with the state, and a completed signature must verify.
// A loop whose kills all land before or after the card work proves nothing: each kill first stops the
// process (SIGSTOP) and looks whether it holds the token's lock (<name>.lock, held for every APDU and
// for a whole card transaction), i.e. is inside a card operation. At least one run in ten must be
// killed there, else the loop fails.
//
// usage: kill9_driver QSCD_BINARY [--runs N] [--seed S] [--check-every N] [--max-delay-us N]
// --max-delay-us fixes the kill window instead of calibrating it (0: kill before qscd starts; tests use it to
// show that a loop without a kill inside a card operation fails).
// Prints the counts; exit status 0 iff no invariant failed and enough kills landed inside a card operation.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pin_check.hpp"
#include "qscd/sim/file_storage.hpp"
#include "qscd/sim/state.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kPins[2] = {"123456", "246810"};
const char* kToken = "k9";

struct Options {
    std::string qscd;
    std::size_t runs = 200;
    unsigned seed = 1;
    std::size_t check_every = 25;
    std::optional<long> max_delay_us;
};

// What the disk says about the token.
struct Snapshot {
    bool loaded = false;
    std::string error;
    std::uint64_t generation = 0;
    std::uint32_t counter = 0;
    std::uint8_t pw1 = 0, pw3 = 0, rc = 0;
    std::vector<std::uint8_t> sig_key;
    int pin = -1;  // index in kPins of the current User PIN, -1 if neither matches
};

struct Child {
    bool completed = false;  // exited on its own before the kill
    bool in_card = false;    // killed while holding the token's lock: inside a card operation
    int exit_code = -1;
    double seconds = 0;
};

class Loop {
public:
    Loop(Options o, fs::path dir) : o_(std::move(o)), dir_(std::move(dir)), sim_(dir_ / "sim"), rng_(o_.seed) {}

    int run();

private:
    Snapshot snapshot() const;
    Child spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                std::optional<std::chrono::microseconds> kill_after, std::string* output = nullptr) const;
    std::size_t temp_files() const;
    bool lock_held() const;
    void fail(std::size_t run, const std::string& what);
    void check_run(std::size_t run, bool sign, const Child& c, const Snapshot& before, const Snapshot& after);
    void check_with_cli(std::size_t run, const Snapshot& now);
    Child sign(std::optional<std::chrono::microseconds> kill_after);
    Child change(std::optional<std::chrono::microseconds> kill_after);

    Options o_;
    fs::path dir_, sim_;
    std::mt19937 rng_;
    std::vector<std::uint8_t> initial_key_;
    int current_ = 0;  // index of the User PIN the driver believes current
    std::size_t failures_ = 0;
    bool aim_ = false;  // the next kill waits for the token's lock first (see run())
};

Snapshot Loop::snapshot() const {
    Snapshot s;
    qscd::sim::FileStorage storage(sim_ / (std::string(kToken) + ".qscdsim"));
    std::vector<std::uint8_t> image(qscd::sim::kStateMaxImage);
    std::size_t size = 0;
    if (storage.load(image, size) != qscd::sim::StorageStatus::Ok) {
        s.error = "state file unreadable";
        return s;
    }
    auto state = std::make_unique<qscd::sim::CardState>();
    auto parsed = qscd::sim::parse_state(qscd::ByteView(image.data(), size), *state);
    if (!parsed) {
        s.error = std::string("state refused: ") + qscd::sim::describe(parsed.error());
        return s;
    }
    s.loaded = true;
    s.generation = parsed->generation;
    s.counter = state->signature_counter;
    s.pw1 = state->pw1.retries;
    s.pw3 = state->pw3.retries;
    s.rc = state->rc.retries;
    s.sig_key.assign(state->slots[qscd::sim::kSlotSig].key_der.view().begin(),
                     state->slots[qscd::sim::kSlotSig].key_der.view().end());
    const bool a = crash::pin_matches(state->pw1, kPins[0]), b = crash::pin_matches(state->pw1, kPins[1]);
    s.pin = a && !b ? 0 : b && !a ? 1 : -1;
    return s;
}

Child Loop::spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  std::optional<std::chrono::microseconds> kill_after, std::string* output) const {
    int out_pipe[2] = {-1, -1};
    if (output && ::pipe(out_pipe) != 0) std::abort();
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
        if (::chdir(dir_.c_str()) != 0) ::_exit(126);
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        const int null = ::open("/dev/null", O_RDWR);
        if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(output ? out_pipe[1] : null, 1) < 0 || ::dup2(null, 2) < 0)
            ::_exit(126);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(o_.qscd.c_str()));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        // A zero delay means "before the program starts": the child stops itself here, so the kill
        // cannot land inside a card operation however the two processes are scheduled.
        if (kill_after && kill_after->count() == 0) ::raise(SIGSTOP);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    if (output) {
        ::close(out_pipe[1]);
        char buf[4096];
        ssize_t n;
        while ((n = ::read(out_pipe[0], buf, sizeof buf)) > 0) output->append(buf, static_cast<std::size_t>(n));
        ::close(out_pipe[0]);
    }
    Child c;
    int status = 0;
    bool exited = false;
    if (kill_after && aim_) {
        // Aimed: wait until the child holds the token's lock (a card operation has begun), then kill
        // after kill_after. A child that finishes first just completes.
        while (!exited && !lock_held()) {
            exited = ::waitpid(pid, &status, WNOHANG) == pid;
            if (!exited) std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    if (kill_after && !exited) {
        std::this_thread::sleep_for(*kill_after);
        // Freeze it, then look whether it holds the card (an exited child is a zombie: no effect).
        ::kill(pid, SIGSTOP);
        while (::waitpid(pid, &status, WUNTRACED) < 0) {
        }
        if (WIFSTOPPED(status)) {
            c.in_card = lock_held();
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0) {
            }
        }
    } else if (!exited) {
        while (::waitpid(pid, &status, 0) < 0) {
        }
    }
    c.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    c.completed = WIFEXITED(status);
    c.exit_code = c.completed ? WEXITSTATUS(status) : -1;
    return c;
}

// True when someone else holds the token's lock (InProcessTransport: flock on <name>.lock).
bool Loop::lock_held() const {
    const int fd = ::open((sim_ / (std::string(kToken) + ".lock")).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // releases our lock if we got it
    return held;
}

std::size_t Loop::temp_files() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(sim_))
        if (e.path().filename().string().rfind("." + std::string(kToken) + ".qscdsim.tmp.", 0) == 0) ++n;
    return n;
}

void Loop::fail(std::size_t run, const std::string& what) {
    ++failures_;
    std::printf("INVARIANT FAILED (run %zu): %s\n", run, what.c_str());
}

Child Loop::sign(std::optional<std::chrono::microseconds> kill_after) {
    fs::remove(dir_ / "doc.p7s");
    return spawn({"sign", "--token", kToken, "--in", "doc"}, {{"QSCD_PIN", kPins[current_]}}, kill_after);
}

Child Loop::change(std::optional<std::chrono::microseconds> kill_after) {
    return spawn({"pin", "change", "--token", kToken},
                 {{"QSCD_PIN", kPins[current_]}, {"QSCD_NEW_PIN", kPins[1 - current_]}}, kill_after);
}

void Loop::check_run(std::size_t run, bool is_sign, const Child& c, const Snapshot& before, const Snapshot& after) {
    if (!after.loaded) return fail(run, after.error);
    if (c.completed && c.exit_code != 0) fail(run, "qscd exited with " + std::to_string(c.exit_code));
    if (after.sig_key != initial_key_) fail(run, "the SIG key changed");
    if (after.counter < before.counter) fail(run, "signature counter went down");
    if (after.counter > before.counter + (is_sign ? 1u : 0u)) fail(run, "signature counter jumped");
    if (is_sign && c.completed && c.exit_code == 0 && after.counter != before.counter + 1)
        fail(run, "a completed signature was not counted");
    // A crash never gives tries back: the User PIN may lose one (decrement durable, reset not) or be
    // reset to 3 by the correct PIN this run presented; the other counters are untouched.
    if (after.pw1 != before.pw1 && after.pw1 + 1 != before.pw1 && after.pw1 != 3)
        fail(run, "User PIN retry counter " + std::to_string(before.pw1) + " -> " + std::to_string(after.pw1));
    if (c.completed && c.exit_code == 0 && after.pw1 != 3) fail(run, "a completed VERIFY did not reset the tries");
    if (after.pw3 != before.pw3 || after.rc != before.rc) fail(run, "Admin PIN or resetting code counter changed");
    if (after.pin < 0) return fail(run, "the User PIN is neither candidate");
    if (!is_sign && c.completed && c.exit_code == 0 && after.pin != 1 - current_)
        fail(run, "a completed PIN change did not take");
    if (is_sign && after.pin != current_) fail(run, "signing changed the PIN");
    if (c.completed && temp_files() != 0) fail(run, "temp files left after a completed run");
}

// `qscd info` / `qscd pin status` agree with the disk, and a completed signature verifies.
void Loop::check_with_cli(std::size_t run, const Snapshot& now) {
    std::string info, status;
    spawn({"info", "--token", kToken}, {}, std::nullopt, &info);
    spawn({"pin", "status", "--token", kToken}, {}, std::nullopt, &status);
    if (info.find("Signatures:   " + std::to_string(now.counter) + "\n") == std::string::npos)
        fail(run, "qscd info disagrees on the signature counter");
    const std::string tries = "User PIN:        " + std::to_string(now.pw1) + " tries left";
    if (status.find(now.pw1 ? tries : "User PIN:        BLOCKED") == std::string::npos)
        fail(run, "qscd pin status disagrees on the User PIN tries");
    const Child s = sign(std::nullopt);
    const Child v = spawn({"verify", "--in", "doc", "--sig", "doc.p7s", "--ca", (sim_ / "test-pki" / "root.pem").string()},
                          {}, std::nullopt);
    if (s.exit_code != 0 || v.exit_code != 0) fail(run, "a signature after the crashes did not verify");
}

int Loop::run() {
    const auto start = Clock::now();
    std::ofstream(dir_ / "doc") << "kill -9 test document\n";
    const std::map<std::string, std::string> none;
    if (spawn({"sim", "create", "--name", kToken, "--algo", "p256"}, none, std::nullopt).exit_code != 0) {
        std::printf("kill9: cannot create the token\n");
        return 2;
    }
    Snapshot s = snapshot();
    if (!s.loaded || s.pin != 0) {
        std::printf("kill9: unexpected fresh token\n");
        return 2;
    }
    initial_key_ = s.sig_key;

    // Calibrate: kills are spread over [0, 1.2 x the median uncut command time] (at least 5 ms), the
    // median taken over the last completed commands, so a machine that slows down keeps killing mid-way.
    std::vector<double> recent;
    auto note = [&](const Child& c) {
        if (!c.completed) return;
        recent.push_back(c.seconds);
        if (recent.size() > 9) recent.erase(recent.begin());
    };
    auto max_delay = [&] {
        if (o_.max_delay_us) return std::chrono::microseconds(*o_.max_delay_us);
        std::vector<double> sorted = recent;
        std::sort(sorted.begin(), sorted.end());
        return std::chrono::microseconds(std::max<long>(5000, static_cast<long>(1.2e6 * sorted[sorted.size() / 2])));
    };
    for (int i = 0; i < 2; ++i) {
        const Child cs = sign(std::nullopt);
        const Child cc = change(std::nullopt);
        current_ = 1 - current_;
        note(cs);
        note(cc);
        if (cs.exit_code != 0 || cc.exit_code != 0 || snapshot().pin != current_) {
            std::printf("kill9: calibration runs failed\n");
            return 2;
        }
    }
    double delay_sum_ms = 0;

    std::size_t completed = 0, killed_untouched = 0, killed_mid = 0, killed_in_card = 0, signs = 0, changes = 0,
                recoveries = 0;
    for (std::size_t run = 1; run <= o_.runs; ++run) {
        const Snapshot before = snapshot();
        const bool is_sign = rng_() % 5 < 3;
        // Every other run on average is aimed: it waits for the card operation to begin and kills within
        // the next 4 ms (a card operation is a small part of a qscd process's life: start-up, the token's
        // discovery, policy and audit take most of it); the others spread over the whole run.
        aim_ = !o_.max_delay_us && rng_() % 2 == 0;
        const auto delay = aim_ ? std::chrono::microseconds(rng_() % 4001)
                                : std::chrono::microseconds(rng_() % static_cast<unsigned>(max_delay().count() + 1));
        delay_sum_ms += static_cast<double>(delay.count()) / 1000.0;
        const Child c = is_sign ? sign(delay) : change(delay);
        note(c);
        (is_sign ? signs : changes)++;
        const Snapshot after = snapshot();
        check_run(run, is_sign, c, before, after);
        if (!after.loaded) break;
        if (c.completed) ++completed;
        else if (after.generation == before.generation) ++killed_untouched;
        else ++killed_mid;
        if (!c.completed && c.in_card) ++killed_in_card;
        if (after.pin >= 0) current_ = after.pin;
        // Crashes after the decrement can wear the tries down; a completed command restores them.
        aim_ = false;
        if (after.pw1 <= 1) {
            ++recoveries;
            const Child r = sign(std::nullopt);
            note(r);
            const Snapshot restored = snapshot();
            check_run(run, true, r, after, restored);
        }
        if (run % o_.check_every == 0 || run == o_.runs) check_with_cli(run, snapshot());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const Snapshot end = snapshot();
    std::printf("kill9: %zu runs (%zu sign, %zu pin change) in %.1f s, mean kill delay %.1f ms (last range 0-%.1f): %zu completed, "
                "%zu killed before the card changed anything, %zu killed mid-operation (after a commit); "
                "%zu killed inside a card operation (holding the token's lock); "
                "%zu recoveries; signature counter %u; invariant failures: %zu\n",
                o_.runs, signs, changes, seconds, delay_sum_ms / static_cast<double>(o_.runs),
                static_cast<double>(max_delay().count()) / 1000.0, completed, killed_untouched, killed_mid,
                killed_in_card, recoveries, end.counter, failures_);
    // The loop is only a test of crash consistency if its kills land inside card operations.
    const std::size_t needed = std::max<std::size_t>(1, o_.runs / 10);
    const bool enough = killed_in_card >= needed;
    if (!enough)
        std::printf("kill9: FAILED: only %zu of %zu runs were killed inside a card operation, at least %zu needed; "
                    "the kills did not test what they claim\n",
                    killed_in_card, o_.runs, needed);
    return failures_ == 0 && enough ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s QSCD_BINARY [--runs N] [--seed S] [--check-every N] [--max-delay-us N]\n", argv[0]);
        return 2;
    }
    o.qscd = fs::absolute(argv[1]).string();
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const unsigned long value = std::strtoul(argv[i + 1], nullptr, 10);
        if (flag == "--runs") o.runs = value;
        else if (flag == "--seed") o.seed = static_cast<unsigned>(value);
        else if (flag == "--check-every") o.check_every = std::max(1ul, value);
        else if (flag == "--max-delay-us") o.max_delay_us = static_cast<long>(value);
        else {
            std::fprintf(stderr, "unknown option %s\n", flag.c_str());
            return 2;
        }
    }
    std::string tmpl = (fs::temp_directory_path() / "qscd-kill9-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return 2;
    const fs::path dir = tmpl;
    // Everything the CLI writes stays in the private directory.
    ::setenv("QSCD_SIM_DIR", (dir / "sim").c_str(), 1);
    ::setenv("HOME", dir.c_str(), 1);
    ::setenv("XDG_DATA_HOME", (dir / "xdg").c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (dir / "xdg").c_str(), 1);
    ::unsetenv("QSCD_SIM_DURABILITY");  // the real, fsyncing store
    const int rc = Loop(o, dir).run();
    std::error_code ec;
    if (rc == 0) fs::remove_all(dir, ec);
    else std::printf("kill9: state kept in %s\n", dir.c_str());
    return rc;
}
