// The byte pipe under every card channel: "transmit these bytes, give me bytes".
// Chaining, extended length, 61xx and 6Cxx live above it, in ApduChannel.
#pragma once

#include <cstdint>
#include <string>

#include "qscd/codec/bytes.hpp"

namespace qscd {

class PinPad;  // qscd/pin_pad.hpp

class Transport {
public:
    virtual ~Transport() = default;

    // Sends one command APDU, returns the raw response (data + SW1 SW2).
    // Throws Error(CardRemoved | CardReset | TransportError).
    virtual Bytes transmit(ByteView command) = 0;

    // Exclusive access for a sequence of APDUs (PC/SC: SCardBeginTransaction). Nesting is not needed.
    virtual void begin_transaction() {}
    // Runs in Transaction's destructor: must not throw.
    virtual void end_transaction() noexcept {}

    // A PIN was verified on this card and not consumed by the command it unlocked. A transport that
    // can reset the card when it closes does so (PC/SC: SCardDisconnect with SCARD_RESET_CARD), so the
    // next program finds no PIN verified even on a card that ignored the logout. Must not throw.
    virtual void reset_card_on_close() noexcept {}

    // The reader's PIN pad (PC/SC part 10 VERIFY_PIN_DIRECT), or nullptr when it has none (or is
    // known to announce one falsely). Lives as long as the transport.
    virtual PinPad* pin_pad() { return nullptr; }

    // Whether what a driver learnt from the card in an earlier transaction (the selected application,
    // certificates, PIN status, the signature counter after its own signature) still holds: the same
    // non-zero value at two transactions promises that nobody else can have sent the card anything and
    // that it was not reset, removed or reconnected in between (PC/SC: an exclusive connection with no
    // SCARD_W_RESET_CARD / SCARD_W_REMOVED_CARD or other failure since). 0 = no such promise (shared
    // access: another program may use the card between two transactions): re-read every time.
    // docs/security.md, "What a driver keeps between signatures".
    virtual std::uint64_t held_generation() const { return 0; }

    virtual Bytes atr() const = 0;
    // Human-readable origin: a reader name or "simulator <path>".
    virtual std::string description() const = 0;
};

// RAII transaction: no APDU sequence leaves its transaction open on an exception.
class Transaction {
public:
    explicit Transaction(Transport& transport) : transport_(transport) { transport_.begin_transaction(); }
    ~Transaction() { transport_.end_transaction(); }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    Transport& transport_;
};

}  // namespace qscd
