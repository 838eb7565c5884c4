// A card in a PC/SC reader as a qscd::Transport (SCardConnect / SCardTransmit).
//
// Every APDU goes inside a transaction (qscd::Transaction → SCardBeginTransaction): transmit()
// outside one is refused. When another program reset the card, the next begin_transaction() or
// transmit() acknowledges the reset (SCardReconnect, LEAVE) and throws Error(CardReset) — the PIN
// verification is gone; the call after that works again. A removed card gives Error(CardRemoved).
#pragma once

#include <memory>
#include <string>

#include "qscd/pcsc/context.hpp"
#include "qscd/pcsc/reader_features.hpp"
#include "qscd/pcsc/t0_adaptation.hpp"
#include "qscd/transport.hpp"

namespace qscd::pcsc {

enum class ShareMode { Shared, Exclusive };

class ReaderKeypad;

// What happens to the card when the connection ends (or on reconnect()).
enum class Disposition {
    Leave,    // keep the card's state (a verified PIN stays verified for the next program)
    Reset,    // warm reset: clears the card's security state
    Unpower,  // power off
};

class CardConnection final : public Transport {
public:
    // SCardConnect with T=0 or T=1, whichever the card offers. `on_close` is the disposition at
    // disconnect: Reset (default) ends a signing session with no PIN state left on the card.
    // Throws CardRemoved (no card), NotFound (unknown reader), TransportError (exclusive elsewhere, ...).
    CardConnection(Context& context, std::string reader, ShareMode mode = ShareMode::Shared,
                   Disposition on_close = Disposition::Reset);
    static std::unique_ptr<CardConnection> connect(Context& context, std::string reader,
                                                   ShareMode mode = ShareMode::Shared);
    ~CardConnection() override;
    CardConnection(const CardConnection&) = delete;
    CardConnection& operator=(const CardConnection&) = delete;

    // Transport
    Bytes transmit(ByteView command) override;
    void begin_transaction() override;
    void end_transaction() noexcept override;  // runs in Transaction's destructor
    void reset_card_on_close() noexcept override;  // disposition Reset from now on
    Bytes atr() const override;       // SCardStatus
    // The reader's PIN pad when it announces FEATURE_VERIFY_PIN_DIRECT (asked once per connection):
    // VERIFY through SCardControl, the PIN never reaches the host.
    PinPad* pin_pad() override;
    std::uint64_t held_generation() const override;
    std::string description() const override;  // the reader name

    Protocol protocol() const;
    ShareMode share_mode() const;
    bool in_transaction() const;
    const std::string& reader() const;

    // SCardReconnect with `initialization`: Leave acknowledges a reset done elsewhere, Reset
    // resets the card now (every program's PIN verification on it is gone).
    void reconnect(Disposition initialization);
    void set_disconnect_disposition(Disposition on_close);

    // PC/SC part 10 features of the reader (CM_IOCTL_GET_FEATURE_REQUEST). A reader that
    // has none, refuses the request or answers garbage yields an empty list: this never throws.
    ReaderFeatures reader_features();

private:
    friend class ReaderKeypad;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace qscd::pcsc
