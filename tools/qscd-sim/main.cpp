// qscd-sim — serve simulated qscd tokens to pcscd through vsmartcard's vpcd reader driver.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "qscd/error.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "sim_server.hpp"

namespace {

constexpr const char* kFooter = R"(Control protocol (unix stream socket, one command per connection, one line each way;
the reply starts with "ok" or "error: ..."):
  insert SLOT TOKEN            connect TOKEN to vpcd's slot (card inserted)
  remove SLOT                  close the connection (card removed)
  fault SLOT remove-after N    answer N more APDUs, then drop the card on the next one (unanswered)
  fault SLOT delay MS          wait MS milliseconds before every APDU answer
  fault SLOT mute              stop answering APDUs, keep the card connected
  fault SLOT counter-stuck     report the signature counter as not rising when the card signs
  fault SLOT counter-skip      report the signature counter as rising by 2 per signature
  fault SLOT clear             remove all faults of the slot
  keypad SLOT type DIGITS      the PIN-pad reader's keypad (qscd's simulated PIN-pad driver, not vpcd):
  keypad SLOT cancel           the next PIN asked for is DIGITS then OK / the Cancel key / nobody typing
  keypad SLOT timeout          (entries are used in order; with none waiting the reader waits up to its timeout)
  keypad SLOT clear            drop the entries not used yet
  display SLOT                 "ok", then each screen the PIN pad's display showed since insertion ("line1|line2":
                               prompts, * per digit typed, the lines the host wrote)
  status                       "ok", then per slot: slot=N token=NAME|- apdus=N faults=none|...

Examples:
  qscd-sim serve --slot 0=alice --slot 1=bob &
  qscd-sim ctl remove 1
  qscd-sim ctl insert 1 bob
  qscd-sim ctl status)";

std::pair<unsigned, std::string> parse_slot(const std::string& spec) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size() ||
        spec.find_first_not_of("0123456789") != eq || eq > 3)
        throw CLI::ValidationError("--slot", "expected SLOT=TOKEN (e.g. 0=alice), got '" + spec + "'");
    const std::string token = spec.substr(eq + 1);
    if (!qscd::sim::SimulatorStore::valid_name(token))
        throw CLI::ValidationError("--slot", "invalid token name '" + token + "'");
    return {static_cast<unsigned>(std::stoul(spec.substr(0, eq))), token};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"qscd-sim — serves simulated qscd tokens (made by `qscd sim create`) as cards in the slots of\n"
                 "vsmartcard's vpcd reader driver, so pcscd, OpenSC, GnuPG and any PC/SC program see them"};
    app.require_subcommand(1);
    app.footer(kFooter);

    std::optional<std::string> state_dir;
    std::optional<std::string> control;
    app.add_option("--state", state_dir, "token directory (default: $QSCD_SIM_DIR, else $XDG_DATA_HOME/qscd/sim)");
    app.add_option("--control", control,
                   "control socket (default: $XDG_RUNTIME_DIR/qscd-sim.sock, else <state dir>/qscd-sim.sock)");

    auto* serve = app.add_subcommand("serve", "connect tokens to vpcd and serve them until SIGTERM/SIGINT");
    std::vector<std::string> slot_specs;
    qscd::simd::ServeOptions options;
    unsigned connect_timeout_ms = 10000;
    serve->add_option("--slot", slot_specs, "SLOT=TOKEN: insert TOKEN into vpcd slot SLOT (< --slots) at start (repeatable)");
    serve->add_option("--host", options.host, "where vpcd listens")->capture_default_str();
    serve->add_option("--port", options.port, "vpcd base port; slot N uses port + N")->capture_default_str();
    serve->add_option("--slots", options.slots, "number of vpcd slots to manage")
        ->capture_default_str()
        ->check(CLI::Range(1, 16));
    serve->add_option("--connect-timeout", connect_timeout_ms, "how long to retry connecting to vpcd, in ms")
        ->capture_default_str();
    serve->add_flag("-v,--verbose", options.verbose, "log power events and APDU headers (never APDU data)");
    // Repeated for convenience: `qscd-sim serve --state DIR ...` reads naturally.
    serve->add_option("--state", state_dir, "token directory");
    serve->add_option("--control", control, "control socket");

    auto* ctl = app.add_subcommand("ctl", "send one command to a running `qscd-sim serve` and print the reply");
    std::vector<std::string> words;
    ctl->add_option("--state", state_dir, "token directory (to find the default control socket)");
    ctl->add_option("--control", control, "control socket");
    ctl->add_option("command", words, "insert SLOT TOKEN | remove SLOT | fault SLOT ... | keypad SLOT ... | display SLOT | status")->required();
    ctl->footer("Exit status: 0 when the reply is ok, 1 otherwise (the error goes to stderr).");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }

    try {
        const auto dir = qscd::sim::resolve_state_dir(state_dir ? std::optional<std::filesystem::path>(*state_dir)
                                                                : std::nullopt);
        const std::filesystem::path control_path = control ? std::filesystem::path(*control)
                                                           : qscd::simd::default_control_path(dir);
        if (*ctl) {
            std::string line;
            for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
            const std::string reply = qscd::simd::control_request(control_path, line);
            if (reply.rfind("ok", 0) == 0) {
                fmt::print("{}", reply);
                return 0;
            }
            std::string first = reply.substr(0, reply.find('\n'));
            if (first.rfind("error: ", 0) == 0) first = first.substr(7);
            fmt::print(stderr, "qscd-sim: {}\n", first);
            return 1;
        }

        std::vector<std::pair<unsigned, std::string>> initial;
        for (const auto& spec : slot_specs) {
            try {
                initial.push_back(parse_slot(spec));
            } catch (const CLI::ValidationError& e) {
                fmt::print(stderr, "qscd-sim: {}\n", e.what());
                return 2;
            }
        }
        // vpcd has a fixed number of slots (2 by default, pcsc.md §7.1); a card for a slot nobody
        // serves would never be seen.
        for (const auto& [index, token] : initial)
            if (index >= options.slots) {
                fmt::print(stderr, "qscd-sim: --slot {}={}: slot {} is beyond the served slots 0-{}; raise --slots\n", index,
                           token, index, options.slots - 1);
                return 2;
            }
        for (std::size_t i = 0; i < initial.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (initial[i].first == initial[j].first || initial[i].second == initial[j].second) {
                    fmt::print(stderr, "qscd-sim: --slot {}={} conflicts with --slot {}={}\n", initial[i].first,
                               initial[i].second, initial[j].first, initial[j].second);
                    return 2;
                }
        options.state_dir = dir;
        options.control_path = control_path;
        options.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
        qscd::simd::Server server(options);
        return server.run(initial);
    } catch (const std::exception& e) {
        fmt::print(stderr, "qscd-sim: {}\n", e.what());
        return 1;
    }
}
