// A PC/SC resource-manager context (SCardEstablishContext): lists readers, reports their state
// and waits for hot-plug events. A blocking wait holds the context: use a separate Context for
// waiting and for card connections (cancel() from another thread ends a wait).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "qscd/error.hpp"
#include "qscd/pcsc/reader_state.hpp"

namespace qscd::pcsc {

class Context {
public:
    // Waits without a time limit (SCardGetStatusChange INFINITE).
    static constexpr std::chrono::milliseconds kForever = std::chrono::milliseconds::max();

    // Throws Error(TransportError) when pcscd is not running.
    Context();
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    // Reader names as pcscd reports them; empty when there is none (not an error).
    std::vector<std::string> list_readers() const;

    // The state of one reader right now. Throws Error(NotFound) for an unknown reader.
    ReaderStatus reader_status(const std::string& reader) const;

    // Waits until `reader` holds a card that answered with an ATR; false on timeout.
    bool wait_for_card(const std::string& reader, std::chrono::milliseconds timeout) const;

    // Waits until a reader is added or removed or a card is inserted or removed; returns the events
    // since the previous call (the first call reports what is there as ReaderAdded / CardInserted,
    // at once). Empty on timeout. Watches `\\?PnP?\Notification` for reader arrival and removal.
    // Throws Error(Cancelled) when cancel() ends the wait.
    std::vector<ReaderEvent> wait_for_events(std::chrono::milliseconds timeout);

    // wait_for_events() for callers that only need to know that something changed.
    bool wait_for_change(std::chrono::milliseconds timeout);

    // Ends a wait in progress on this context (SCardCancel); safe to call from another thread.
    void cancel();

    // Shared with the card connections made on this context, which keep it established.
    struct Impl;
    const std::shared_ptr<Impl>& impl() const { return impl_; }

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace qscd::pcsc
