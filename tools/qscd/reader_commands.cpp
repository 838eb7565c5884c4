// qscd readers · qscd watch — what PC/SC sees: readers, cards, reader features, hot-plug events.
#include <fmt/core.h>

#include <chrono>
#include <csignal>

#include "commands.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/pcsc/reader_quirks.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"

namespace qscd::cli {

namespace {

void list_readers() {
    pcsc::Context context;
    const auto readers = context.list_readers();
    if (readers.empty()) {
        fmt::print("no readers\n");
        return;
    }
    pcsc::PcscTokenSource source;
    const auto listings = source.scan();
    for (const std::string& reader : readers) {
        const pcsc::ReaderStatus status = context.reader_status(reader);
        fmt::print("{}\n", reader);
        if (!status.card_present) {
            fmt::print("  card:     none\n");
            continue;
        }
        fmt::print("  card:     present{}{}\n", status.mute ? " (mute: no ATR)" : "", status.exclusive ? ", held exclusively by another program" : "");
        if (!status.atr.empty()) fmt::print("  ATR:      {}\n", to_hex(status.atr));
        for (const auto& l : listings) {
            if (l.descriptor.location != reader) continue;
            if (l.descriptor.problem)
                fmt::print("  token:    {}\n", *l.descriptor.problem);
            else
                fmt::print("  token:    {} (serial {})\n", l.label, l.descriptor.serial);
            if (!l.descriptor.card_type.empty()) {
                fmt::print("  type:     {}\n", l.descriptor.card_type);
                fmt::print("  PINs:     {}\n", pin_tries_summary(l.descriptor.pins));
            }
        }
        if (!status.exclusive) {
            try {
                pcsc::CardConnection connection(context, reader, pcsc::ShareMode::Shared, pcsc::Disposition::Leave);
                const pcsc::ReaderFeatures features = connection.reader_features();
                fmt::print("  features: {}\n", features.summary());
                // What `--pin-pad` will use: the announcement, corrected by the quirks table.
                if (features.has(pcsc::ReaderFeature::VerifyPinDirect)) {
                    const pcsc::ReaderQuirks quirks = pcsc::quirks_for(reader);
                    if (quirks.pin_pad_unusable) fmt::print("  PIN pad:  announced, not used ({})\n", quirks.why);
                    else if (quirks.no_variable_length_pin) fmt::print("  PIN pad:  fixed-length PINs only ({})\n", quirks.why);
                    else fmt::print("  PIN pad:  yes (qscd sign --pin-pad)\n");
                }
            } catch (const Error& e) {
                fmt::print("  features: unknown ({})\n", e.what());
            }
        }
    }
}

volatile std::sig_atomic_t g_stop = 0;

void watch(double seconds, int max_events) {
    pcsc::Context context;
    std::signal(SIGINT, [](int) { g_stop = 1; });
    std::signal(SIGTERM, [](int) { g_stop = 1; });
    const auto deadline = seconds > 0 ? std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(seconds * 1000))
                                      : std::chrono::steady_clock::time_point::max();
    int printed = 0;
    std::fflush(stdout);
    while (!g_stop && std::chrono::steady_clock::now() < deadline && (max_events <= 0 || printed < max_events)) {
        // Short waits so Ctrl-C and the deadline are noticed promptly.
        for (const pcsc::ReaderEvent& e : context.wait_for_events(std::chrono::milliseconds(250))) {
            fmt::print("{:<14} {}{}\n", to_string(e.kind), e.reader, e.atr.empty() ? "" : "  ATR " + to_hex(e.atr, ""));
            std::fflush(stdout);
            if (max_events > 0 && ++printed >= max_events) break;
        }
    }
}

}  // namespace

void add_reader_commands(CLI::App& app, GlobalOptions&) {
    auto* readers = app.add_subcommand("readers", "list PC/SC readers, their cards, ATRs and reader features");
    readers->callback([] { list_readers(); });

    auto* watch_cmd = app.add_subcommand("watch", "print reader and card insert/remove events (Ctrl-C to stop)");
    auto seconds = std::make_shared<double>(0);
    auto count = std::make_shared<int>(0);
    watch_cmd->add_option("--timeout", *seconds, "stop after this many seconds (default: never)");
    watch_cmd->add_option("--count", *count, "stop after this many events (the first call reports what is present)");
    watch_cmd->callback([seconds, count] { watch(*seconds, *count); });
}

}  // namespace qscd::cli
