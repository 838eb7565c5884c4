// qscd kiosk: options mapped to a qscd::KioskConfig; events to a JSON-lines file and, one line each, to
// stderr (journald priorities when started by systemd). SIGTERM / SIGINT stop it cleanly (exit 0).
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "qscd/error.hpp"
#include "qscd/kiosk.hpp"
#include "session.hpp"

namespace qscd::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void request_stop(int) { g_stop = 1; }

struct KioskOptions {
    std::string spool;
    std::string reader;
    std::string level = "ades";
    std::string format = "cades";
    std::string events;
    std::string audit_log;  // default: SPOOL/audit.log
    std::string chain;
    std::optional<int> pin_fd;
    bool pin_pad_required = false;
    bool dry_run = false;
};

// Under systemd (JOURNAL_STREAM set) each line starts with its sd-daemon priority, <4> warning or
// <6> info, so journald files it with that priority; elsewhere the plain line.
void log_line(const KioskEvent& event) {
    static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    fmt::print(stderr, "{}qscd kiosk: {}\n", journal ? (event.problem ? "<4>" : "<6>") : "", event.message);
    std::fflush(stderr);
}

void run_kiosk(const GlobalOptions& global, const KioskOptions& o) {
    KioskConfig config;
    config.spool = o.spool;
    config.reader = o.reader;
    config.level = o.level == "qes" ? SignatureLevel::Qes : o.level == "basic" ? SignatureLevel::Basic : SignatureLevel::Ades;
    config.format = o.format == "raw" ? SignatureFormat::Raw : SignatureFormat::Cades;
    config.audit_log = o.audit_log.empty() ? std::filesystem::path(o.spool) / "audit.log" : std::filesystem::path(o.audit_log);
    if (o.pin_fd) config.host_pin = pin_from_fd(*o.pin_fd);
    if (o.dry_run) {
        validate(config);
        fmt::print("spool {}, readers {}, level {}, format {}, PIN {}, audit log {}, events {}\n", o.spool,
                   o.reader.empty() ? "all" : "containing '" + o.reader + "'", o.level, o.format,
                   o.pin_fd ? "from descriptor " + std::to_string(*o.pin_fd) : "on the reader's PIN pad (required)",
                   config.audit_log.string(), o.events.empty() ? "none" : o.events);
        return;
    }
    config.chain = [&global, chain = o.chain](Token& token) { return chain_for(global, chain, token); };

    std::ofstream file;
    std::ostream* events = nullptr;
    if (o.events == "-") {
        events = &std::cout;
    } else if (!o.events.empty()) {
        file.open(o.events, std::ios::app);
        if (!file) throw Error(ErrorCode::IoError, "cannot open the events file " + o.events);
        events = &file;
    }
    config.on_event = [events](const KioskEvent& event) {
        log_line(event);
        if (events) *events << event.json << '\n' << std::flush;
    };
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    config.stop_requested = [] { return g_stop != 0; };
    Kiosk kiosk(std::move(config));
    kiosk.run();
}

}  // namespace

void add_kiosk_command(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("kiosk", "unattended signing station: sign the documents queued in a spool directory with each "
                                            "card inserted into a watched reader (README \"Kiosk\")");
    auto o = std::make_shared<KioskOptions>();
    cmd->add_option("--spool", o->spool, "spool directory: documents wait in DIR/queue, end in DIR/done or DIR/failed")->required();
    cmd->add_option("--reader", o->reader, "watch only the readers whose name contains this text (default: every reader)");
    cmd->add_option("--level", o->level, "signing policy checked before each signature: qes, ades or basic")
        ->check(CLI::IsMember({"qes", "ades", "basic"}))
        ->capture_default_str();
    cmd->add_option("--format", o->format, "cades: CMS SignedData (NAME.p7s); raw: the bare signature (NAME.sig)")
        ->check(CLI::IsMember({"cades", "raw"}))
        ->capture_default_str();
    cmd->add_option("--events", o->events, "append one JSON line per event to this file (- for standard output)");
    cmd->add_option("--audit-log", o->audit_log, "hash-chained audit log (default: SPOOL/audit.log)");
    cmd->add_option("--chain", o->chain, "PEM file with intermediate CA certificates to embed (default: the local test PKI's issuing CA if it issued the signer)");
    auto* pad = cmd->add_flag("--pin-pad-required", o->pin_pad_required,
                              "every PIN is typed on the reader's keypad (the default): a card in a reader without a PIN pad is refused");
    cmd->add_option("--pin-fd", o->pin_fd, "read one PIN per signature (one line each) from this file descriptor instead; "
                                            "not with --level qes")
        ->excludes(pad);
    cmd->add_flag("--dry-run", o->dry_run, "check the options, print the configuration and exit (nothing is touched)");
    cmd->callback([&global, o] { run_kiosk(global, *o); });
}

}  // namespace qscd::cli
