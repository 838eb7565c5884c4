// One reader's state: SCardGetStatusChange with SCARD_STATE_UNAWARE answers at once.
#include <algorithm>

#include "context_impl.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/error_mapping.hpp"
#include "timeout.hpp"

namespace qscd::pcsc {

ReaderStatus decode_reader_state(const SCARD_READERSTATE& state) {
    ReaderStatus status;
    status.reader = state.szReader;
    const DWORD bits = state.dwEventState;
    status.card_present = (bits & SCARD_STATE_PRESENT) != 0;
    status.mute = (bits & SCARD_STATE_MUTE) != 0;
    status.exclusive = (bits & SCARD_STATE_EXCLUSIVE) != 0;
    status.in_use = (bits & SCARD_STATE_INUSE) != 0;
    status.event_count = static_cast<std::uint32_t>((bits >> 16) & 0xFFFF);
    if (status.card_present && !status.mute) {
        const std::size_t n = std::min<std::size_t>(state.cbAtr, sizeof state.rgbAtr);
        status.atr.assign(state.rgbAtr, state.rgbAtr + n);
    }
    return status;
}

bool reader_gone(DWORD event_state) {
    return (event_state & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) != 0;
}

ReaderStatus Context::reader_status(const std::string& reader) const {
    SCARD_READERSTATE state{};
    state.szReader = reader.c_str();
    state.dwCurrentState = SCARD_STATE_UNAWARE;
    const LONG rv = SCardGetStatusChange(impl_->handle, 0, &state, 1);
    if (classify(rv) != ScardResult::Timeout) check(rv, "SCardGetStatusChange(" + reader + ")");
    if (reader_gone(state.dwEventState)) throw Error(ErrorCode::NotFound, "unknown reader " + reader);
    return decode_reader_state(state);
}

bool Context::wait_for_card(const std::string& reader, std::chrono::milliseconds timeout) const {
    const Deadline deadline(timeout);
    SCARD_READERSTATE state{};
    state.szReader = reader.c_str();
    state.dwCurrentState = SCARD_STATE_UNAWARE;
    for (;;) {
        const LONG rv = SCardGetStatusChange(impl_->handle, deadline.remaining(), &state, 1);
        if (classify(rv) == ScardResult::Timeout) return false;
        check(rv, "SCardGetStatusChange(" + reader + ")");
        if (reader_gone(state.dwEventState)) throw Error(ErrorCode::NotFound, "unknown reader " + reader);
        if ((state.dwEventState & SCARD_STATE_PRESENT) && !(state.dwEventState & SCARD_STATE_MUTE)) return true;
        if (deadline.expired()) return false;
        state.dwCurrentState = state.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
    }
}

}  // namespace qscd::pcsc
