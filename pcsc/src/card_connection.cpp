#include "qscd/pcsc/card_connection.hpp"

#include <chrono>
#include <optional>
#include <thread>

#include <reader.h>

#include "context_impl.hpp"
#include "qscd/error.hpp"
#include "qscd/pin_pad.hpp"
#include "qscd/pcsc/error_mapping.hpp"
#include "qscd/pcsc/reader_quirks.hpp"

namespace qscd::pcsc {

namespace {

DWORD share_flag(ShareMode mode) { return mode == ShareMode::Exclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED; }

DWORD disposition_flag(Disposition d) {
    switch (d) {
        case Disposition::Leave: return SCARD_LEAVE_CARD;
        case Disposition::Reset: return SCARD_RESET_CARD;
        case Disposition::Unpower: return SCARD_UNPOWER_CARD;
    }
    return SCARD_LEAVE_CARD;
}

Protocol protocol_of(DWORD active) { return active == SCARD_PROTOCOL_T0 ? Protocol::T0 : Protocol::T1; }

constexpr DWORD kProtocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;

}  // namespace

// The reader's keypad: FEATURE_VERIFY_PIN_DIRECT at the control code the reader announced.
class ReaderKeypad final : public PinPad {
public:
    ReaderKeypad(CardConnection::Impl& connection, DWORD verify_code, bool variable_length,
                 std::optional<DWORD> write_display_code, std::optional<DWORD> modify_code)
        : connection_(connection), verify_code_(verify_code), variable_length_(variable_length),
          write_display_code_(write_display_code), modify_code_(modify_code) {}
    StatusWord verify_pin_direct(ByteView structure) override;
    StatusWord modify_pin_direct(ByteView structure) override;
    std::string reader_name() const override;
    bool takes_variable_length_pins() const override { return variable_length_; }
    void show(std::string_view first, std::string_view second) override;

private:
    CardConnection::Impl& connection_;
    DWORD verify_code_;
    bool variable_length_;
    std::optional<DWORD> write_display_code_;
    std::optional<DWORD> modify_code_;
    StatusWord control(DWORD code, ByteView structure, const char* call);
};

struct CardConnection::Impl {
    std::shared_ptr<Context::Impl> context;  // keeps the context established while connected
    std::string reader;
    ShareMode mode = ShareMode::Shared;
    Disposition on_close = Disposition::Reset;
    SCARDHANDLE card = 0;
    Protocol protocol = Protocol::T1;
    bool in_transaction = false;
    bool features_read = false;
    // Changes whenever the card may not be as the last transaction left it (held_generation).
    std::uint64_t generation = 1;
    std::unique_ptr<ReaderKeypad> keypad;

    std::string what(const char* call) const { return std::string(call) + "(" + reader + ")"; }

    void reconnect(Disposition initialization) {
        ++generation;
        DWORD active = 0;
        check(SCardReconnect(card, share_flag(mode), kProtocols, disposition_flag(initialization), &active),
              what("SCardReconnect"));
        protocol = protocol_of(active);
    }

    // A call failed: turn the result into the Error to throw. A reset done by someone else is
    // acknowledged first, so that the next transaction works.
    Error failure(LONG rv, const char* call) {
        ++generation;  // a reset, a removal, a lost answer: what the card holds is unknown now
        if (classify(rv) == ScardResult::CardReset) {
            try {
                reconnect(Disposition::Leave);
            } catch (const Error& e) {
                return e;  // e.g. removed meanwhile
            }
            return Error(ErrorCode::CardReset, "card was reset; present the PIN again [" + what(call) + ": " +
                                                   describe_result(rv) + "]");
        }
        return to_error(rv, what(call));
    }

    // A card pulled in the middle of an exchange does not always say so: vpcd answers the
    // APDU with nothing, pcscd with "transaction failed". Ask pcscd about the reader for up to
    // ~1.2 s (its presence poll runs every 0.4 s) before calling it anything but a removal.
    bool card_removed() const {
        using namespace std::chrono;
        const auto deadline = steady_clock::now() + milliseconds(1200);
        for (;;) {
            BYTE atr[MAX_ATR_SIZE];
            DWORD atr_length = sizeof atr, state = 0, active_protocol = 0;
            char name[MAX_READERNAME];
            DWORD name_length = sizeof name;
            const LONG rv = SCardStatus(card, name, &name_length, &state, &active_protocol, atr, &atr_length);
            if (classify(rv) == ScardResult::CardRemoved || (rv == SCARD_S_SUCCESS && (state & SCARD_ABSENT))) return true;
            if (steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(milliseconds(50));
        }
    }

    Error exchange_failure(LONG rv, const char* call) {
        ++generation;
        if (classify(rv) != ScardResult::CardReset && card_removed())
            return Error(ErrorCode::CardRemoved, "card removed from " + reader + " during " + call);
        return failure(rv, call);
    }
};

CardConnection::CardConnection(Context& context, std::string reader, ShareMode mode, Disposition on_close)
    : impl_(std::make_unique<Impl>()) {
    impl_->context = context.impl();
    impl_->reader = std::move(reader);
    impl_->mode = mode;
    impl_->on_close = on_close;
    DWORD active = 0;
    check(SCardConnect(impl_->context->handle, impl_->reader.c_str(), share_flag(mode), kProtocols, &impl_->card,
                       &active),
          impl_->what("SCardConnect"));
    impl_->protocol = protocol_of(active);
}

std::unique_ptr<CardConnection> CardConnection::connect(Context& context, std::string reader, ShareMode mode) {
    return std::make_unique<CardConnection>(context, std::move(reader), mode);
}

CardConnection::~CardConnection() {
    if (impl_->in_transaction) SCardEndTransaction(impl_->card, SCARD_LEAVE_CARD);
    SCardDisconnect(impl_->card, disposition_flag(impl_->on_close));
}

Bytes CardConnection::transmit(ByteView command) {
    if (!impl_->in_transaction)
        throw Error(ErrorCode::InvalidArgument,
                    "no APDU outside a transaction: open a qscd::Transaction (begin_transaction) on " + impl_->reader +
                        " first");
    const Bytes send = adapt_command(command, impl_->protocol);
    const SCARD_IO_REQUEST* pci = impl_->protocol == Protocol::T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    Bytes response(MAX_BUFFER_SIZE_EXTENDED);
    DWORD length = static_cast<DWORD>(response.size());
    const LONG rv = SCardTransmit(impl_->card, pci, send.data(), static_cast<DWORD>(send.size()), nullptr,
                                  response.data(), &length);
    if (classify(rv) != ScardResult::Success) throw impl_->exchange_failure(rv, "SCardTransmit");
    if (length < 2) {
        ++impl_->generation;
        if (impl_->card_removed()) throw Error(ErrorCode::CardRemoved, "card removed from " + impl_->reader + " during an APDU");
        throw Error(ErrorCode::ProtocolError, "response without status word from the card in " + impl_->reader);
    }
    response.resize(length);
    return response;
}

void CardConnection::begin_transaction() {
    const LONG rv = SCardBeginTransaction(impl_->card);
    if (classify(rv) != ScardResult::Success) throw impl_->failure(rv, "SCardBeginTransaction");
    impl_->in_transaction = true;
}

void CardConnection::end_transaction() noexcept {
    if (!impl_->in_transaction) return;
    impl_->in_transaction = false;
    // Nothing to do about a failure here (the card may be gone): the lock ends with the handle anyway.
    SCardEndTransaction(impl_->card, SCARD_LEAVE_CARD);
}

Bytes CardConnection::atr() const {
    BYTE atr[MAX_ATR_SIZE];
    DWORD atr_length = sizeof atr;
    DWORD state = 0, protocol = 0;
    char name[MAX_READERNAME];
    DWORD name_length = sizeof name;
    const LONG rv = SCardStatus(impl_->card, name, &name_length, &state, &protocol, atr, &atr_length);
    if (classify(rv) != ScardResult::Success) throw impl_->failure(rv, "SCardStatus");
    return Bytes(atr, atr + std::min<DWORD>(atr_length, sizeof atr));
}

std::string CardConnection::description() const { return impl_->reader; }
// Exclusive access keeps every other program off the card between our transactions (PC/SC
// SCARD_SHARE_EXCLUSIVE); a reset or removal reaches us as an error, which changes the generation.
std::uint64_t CardConnection::held_generation() const { return impl_->mode == ShareMode::Exclusive ? impl_->generation : 0; }
Protocol CardConnection::protocol() const { return impl_->protocol; }
ShareMode CardConnection::share_mode() const { return impl_->mode; }
bool CardConnection::in_transaction() const { return impl_->in_transaction; }
const std::string& CardConnection::reader() const { return impl_->reader; }
void CardConnection::reconnect(Disposition initialization) { impl_->reconnect(initialization); }
void CardConnection::set_disconnect_disposition(Disposition on_close) { impl_->on_close = on_close; }
void CardConnection::reset_card_on_close() noexcept { impl_->on_close = Disposition::Reset; }

ReaderFeatures CardConnection::reader_features() {
    BYTE answer[256];
    DWORD length = 0;
    const LONG rv =
        SCardControl(impl_->card, CM_IOCTL_GET_FEATURE_REQUEST, nullptr, 0, answer, sizeof answer, &length);
    if (classify(rv) != ScardResult::Success) return {};
    auto parsed = parse_feature_list(ByteView(answer, std::min<DWORD>(length, sizeof answer)));
    if (!parsed.ok()) return {};
    return std::move(parsed).value();
}

PinPad* CardConnection::pin_pad() {
    if (!impl_->features_read) {
        impl_->features_read = true;
        const ReaderQuirks quirks = quirks_for(impl_->reader);  // what the reader says, corrected by the table
        const ReaderFeatures features = reader_features();
        const auto code = features.control_code(ReaderFeature::VerifyPinDirect);
        std::optional<DWORD> display;
        if (auto d = features.control_code(ReaderFeature::WriteDisplay)) display = static_cast<DWORD>(*d);
        std::optional<DWORD> modify;
        if (auto m = features.control_code(ReaderFeature::ModifyPinDirect)) modify = static_cast<DWORD>(*m);
        if (code && !quirks.pin_pad_unusable)
            impl_->keypad = std::make_unique<ReaderKeypad>(*impl_, static_cast<DWORD>(*code), !quirks.no_variable_length_pin, display, modify);
    }
    return impl_->keypad.get();
}

StatusWord ReaderKeypad::control(DWORD code, ByteView structure, const char* call) {
    BYTE answer[258];
    DWORD length = 0;
    // The reader waits for the keypad: this call lasts as long as the holder takes (or the
    // structure's timeout).
    const LONG rv = SCardControl(connection_.card, code, structure.data(), static_cast<DWORD>(structure.size()),
                                 answer, sizeof answer, &length);
    if (classify(rv) != ScardResult::Success) throw connection_.exchange_failure(rv, (std::string("SCardControl(") + call + ")").c_str());
    if (length < 2 || length > sizeof answer)
        throw Error(ErrorCode::ProtocolError, std::string("the reader answered ") + call + " with " + std::to_string(length) + " bytes, not a status word");
    return StatusWord(answer[length - 2], answer[length - 1]);
}

StatusWord ReaderKeypad::verify_pin_direct(ByteView structure) { return control(verify_code_, structure, "VERIFY_PIN_DIRECT"); }

StatusWord ReaderKeypad::modify_pin_direct(ByteView structure) {
    if (!modify_code_) return PinPad::modify_pin_direct(structure);  // NotSupported
    return control(*modify_code_, structure, "MODIFY_PIN_DIRECT");
}

std::string ReaderKeypad::reader_name() const { return connection_.reader; }

void ReaderKeypad::show(std::string_view first, std::string_view second) {
    if (!write_display_code_) return;  // no display (class 2)
    std::uint8_t row = 0;
    for (std::string_view line : {first, second}) {
        const Bytes structure = write_display_structure(row++, line);
        BYTE answer[16];
        DWORD length = 0;
        const LONG rv = SCardControl(connection_.card, *write_display_code_, structure.data(),
                                     static_cast<DWORD>(structure.size()), answer, sizeof answer, &length);
        if (classify(rv) != ScardResult::Success) throw connection_.exchange_failure(rv, "SCardControl(WRITE_DISPLAY)");
    }
}

}  // namespace qscd::pcsc
