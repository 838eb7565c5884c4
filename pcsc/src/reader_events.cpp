// Hot-plug: SCardGetStatusChange over every known reader plus the \\?PnP?\Notification
// pseudo-reader, remembering the last state reported so that each call returns what changed since.
#include "context_impl.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/error_mapping.hpp"
#include "timeout.hpp"

namespace qscd::pcsc {

namespace {

constexpr DWORD without_changed(DWORD state) { return state & ~static_cast<DWORD>(SCARD_STATE_CHANGED); }

struct Observation {
    std::vector<ReaderStatus> readers;
    std::vector<DWORD> states;
    bool reader_list_changed = false;
};

// Reads back the reader entries after SCardGetStatusChange; the last entry is the PnP pseudo-reader.
Observation observe(const std::vector<SCARD_READERSTATE>& entries, DWORD& pnp_state) {
    Observation seen;
    for (std::size_t i = 0; i + 1 < entries.size(); ++i) {
        if (reader_gone(entries[i].dwEventState)) {
            seen.reader_list_changed = true;
            continue;
        }
        seen.readers.push_back(decode_reader_state(entries[i]));
        seen.states.push_back(without_changed(entries[i].dwEventState));
    }
    const SCARD_READERSTATE& pnp = entries.back();
    if (pnp.dwEventState & SCARD_STATE_CHANGED) seen.reader_list_changed = true;
    pnp_state = without_changed(pnp.dwEventState);
    return seen;
}

}  // namespace

std::vector<ReaderEvent> Context::wait_for_events(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    const Deadline deadline(timeout);
    std::vector<ReaderEvent> events;
    auto absorb = [&](Observation&& seen) {
        auto found = diff_reader_states(s.known, seen.readers);
        events.insert(events.end(), found.begin(), found.end());
        s.known = std::move(seen.readers);
        s.known_states = std::move(seen.states);
    };

    bool relist = !s.primed;
    for (;;) {
        if (relist) {
            // Fresh look at every reader pcscd has now (UNAWARE answers at once).
            const std::vector<std::string> names = list_readers();
            std::vector<SCARD_READERSTATE> entries(names.size() + 1);
            for (std::size_t i = 0; i < names.size(); ++i) {
                entries[i].szReader = names[i].c_str();
                entries[i].dwCurrentState = SCARD_STATE_UNAWARE;
            }
            entries.back().szReader = kPnpNotification;
            entries.back().dwCurrentState = s.pnp_state;
            const LONG rv = SCardGetStatusChange(s.handle, 0, entries.data(), static_cast<DWORD>(entries.size()));
            if (classify(rv) == ScardResult::UnknownReader) {  // vanished between list and look
                if (deadline.expired()) return events;
                continue;
            }
            if (classify(rv) != ScardResult::Timeout) check(rv, "SCardGetStatusChange");
            absorb(observe(entries, s.pnp_state));
            s.primed = true;
            relist = false;
            if (!events.empty() || deadline.expired()) return events;
        }

        std::vector<SCARD_READERSTATE> entries(s.known.size() + 1);
        for (std::size_t i = 0; i < s.known.size(); ++i) {
            entries[i].szReader = s.known[i].reader.c_str();
            entries[i].dwCurrentState = s.known_states[i];
        }
        entries.back().szReader = kPnpNotification;
        entries.back().dwCurrentState = s.pnp_state;
        const LONG rv =
            SCardGetStatusChange(s.handle, deadline.remaining(), entries.data(), static_cast<DWORD>(entries.size()));
        switch (classify(rv)) {
            case ScardResult::Timeout: return events;
            case ScardResult::Cancelled: throw Error(ErrorCode::Cancelled, "waiting for reader events was cancelled");
            case ScardResult::UnknownReader: relist = true; continue;
            default: check(rv, "SCardGetStatusChange");
        }
        Observation seen = observe(entries, s.pnp_state);
        relist = seen.reader_list_changed;
        absorb(std::move(seen));
        if (relist) continue;
        if (!events.empty() || deadline.expired()) return events;
    }
}

bool Context::wait_for_change(std::chrono::milliseconds timeout) { return !wait_for_events(timeout).empty(); }

}  // namespace qscd::pcsc
