// Private to pcsc/: the pcsc-lite handles behind Context.
#pragma once

#include <string>
#include <vector>

#include <winscard.h>

#include "qscd/pcsc/context.hpp"

namespace qscd::pcsc {

struct Context::Impl {
    SCARDCONTEXT handle = 0;

    // wait_for_events() remembers what it reported last.
    bool primed = false;
    std::vector<ReaderStatus> known;
    std::vector<DWORD> known_states;  // dwEventState per reader in `known`, SCARD_STATE_CHANGED cleared
    DWORD pnp_state = SCARD_STATE_UNAWARE;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() { SCardReleaseContext(handle); }
};

// The pseudo-reader whose state changes when a reader is added or removed.
inline constexpr const char* kPnpNotification = "\\\\?PnP?\\Notification";

// Decodes one SCARD_READERSTATE after SCardGetStatusChange.
ReaderStatus decode_reader_state(const SCARD_READERSTATE& state);

// True when the reader entry says the reader is gone.
bool reader_gone(DWORD event_state);

}  // namespace qscd::pcsc
