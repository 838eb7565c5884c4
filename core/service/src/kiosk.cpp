// Kiosk mode: the loop that watches readers (SCardGetStatusChange through pcsc::Context), and the
// per-document outcome table that decides where each document goes. See kiosk.hpp for the spool.
#include "qscd/kiosk.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <system_error>
#include <thread>

#include "qscd/atomic_file.hpp"
#include "qscd/audit.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/token_discovery.hpp"

namespace qscd {

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Remembers whether the card's signature was logged as made: a failure after that point means the
// signature exists but was not delivered, and the document must not be signed again.
class RecordingAudit final : public AuditSink {
public:
    explicit RecordingAudit(AuditSink& inner) : inner_(inner) {}
    void check_ready() override {
        try {
            inner_.check_ready();
        } catch (const Error&) {
            unusable = true;
            throw;
        }
    }
    std::uint64_t append(const AuditEntry& entry) override {
        const auto seq = inner_.append(entry);
        if (entry.event == AuditEvent::Signed) signed_logged = true;
        return seq;
    }
    bool signed_logged = false;
    bool unusable = false;  // the log cannot take entries: nothing was asked of the card

private:
    AuditSink& inner_;
};

// The stop request is honoured up to the PIN step: once the PIN is being asked for, the document is
// finished (or fails) as it would without the request.
class StopBeforePin final : public PinEntry {
public:
    StopBeforePin(PinEntry& inner, const std::function<bool()>& stop) : inner_(inner), stop_(stop) {}
    void enter(const PinRequest& request, PinVerification& verification) override {
        if (stop_ && stop_()) throw Error(ErrorCode::Cancelled, "the kiosk is stopping; the document stays queued");
        inner_.enter(request, verification);
    }

private:
    PinEntry& inner_;
    const std::function<bool()>& stop_;
};

// Where a failed signing attempt leaves its document.
enum class Outcome {
    Failed,        // to failed/ with the reason; the next document follows with the same card
    FailedHold,    // to failed/; the card is not asked again until it is removed and reinserted
    Requeue,       // stays queued; the card is gone (or pcscd is): wait for the next card
    RequeueHold,   // stays queued; this card is refused until it is removed (wrong PIN, policy, ...)
};

struct Judgement {
    Outcome outcome;
    std::string code;  // machine-readable
    std::string reason;
};

// The outcome table (README "Kiosk"). Keypad cancel and timeout fail the document (the holder said
// no, or nobody is there) and the card is not asked again until it is reinserted: asking again at once
// would hold the keypad for nobody. A wrong PIN never repeats by itself (a host PIN source would burn
// every try).
Judgement judge(const Error& e, const RecordingAudit& audit, bool stopping) {
    if (audit.unusable) return {Outcome::RequeueHold, "audit-log", e.what()};
    if (audit.signed_logged)
        return {Outcome::Failed, "signed-not-written",
                std::string("the card signed, but the signature could not be written (") + e.what() +
                    "); the audit log records it; not signed again"};
    const auto sw = e.sw() ? e.sw()->value : 0;
    switch (e.code()) {
        case ErrorCode::Cancelled:
            if (sw == 0x6401) return {Outcome::FailedHold, "pin-pad-cancelled", "cancelled on the PIN pad"};
            if (stopping) return {Outcome::Requeue, "stopping", e.what()};  // nobody typed while the kiosk was stopping
            if (sw == 0x6400) return {Outcome::FailedHold, "pin-pad-timeout", "nobody typed the PIN on the PIN pad in time"};
            return {Outcome::RequeueHold, "no-pin", e.what()};
        case ErrorCode::CardRemoved:
        case ErrorCode::CardReset:
        case ErrorCode::TransportError:
        case ErrorCode::ProtocolError: return {Outcome::Requeue, "card-lost", e.what()};
        case ErrorCode::InvalidArgument: return {Outcome::Failed, "invalid-document", e.what()};
        case ErrorCode::IoError: return {Outcome::Failed, "io-error", e.what()};
        case ErrorCode::WrongPin: return {Outcome::RequeueHold, "wrong-pin", e.what()};
        case ErrorCode::PinBlocked: return {Outcome::RequeueHold, "pin-blocked", e.what()};
        case ErrorCode::InvalidPin: return {Outcome::RequeueHold, "invalid-pin", e.what()};
        case ErrorCode::PolicyViolation: return {Outcome::RequeueHold, "policy", e.what()};
        case ErrorCode::NotSupported: return {Outcome::RequeueHold, "not-supported", e.what()};
        default: return {Outcome::RequeueHold, "card-error", e.what()};
    }
}

struct ReaderView {
    bool card = false;
    bool held = false;  // refused until the card is removed
    // The card could not be opened for a passing reason (another program held it for a moment): try
    // again from this time on, instead of refusing the card until it is removed.
    std::optional<Clock::time_point> open_again_at;
    Bytes atr;
    Clock::time_point inserted_at{};
    bool first_signed = false;
    std::size_t apdus = 0;  // sent by the host for the current document
    // Opened once per insertion and kept for the queue: the key and certificate are read once per card.
    std::unique_ptr<Token> token;
    std::unique_ptr<SigningService> service;  // uses token: declared after it, destroyed before it
    std::vector<Bytes> chain;

    void drop_card() {
        service.reset();
        token.reset();
    }
};

}  // namespace

struct Kiosk::State {
    KioskConfig config;
    fs::path queue, done, failed;
    std::unique_ptr<pcsc::Context> context;
    // What every card's signing service uses (set up by the constructor; outlive the readers).
    std::unique_ptr<PinEntry> pin_pad = std::make_unique<ReaderPinPad>();
    std::unique_ptr<JsonLinesAuditLog> log;
    std::unique_ptr<RecordingAudit> audit;
    std::unique_ptr<StopBeforePin> pin;
    std::map<std::string, ReaderView> readers;

    bool stopping() const { return config.stop_requested && config.stop_requested(); }

    void emit(const std::string& kind, nlohmann::json fields, std::string message, bool problem = false) const {
        if (!config.on_event) return;
        nlohmann::json line{{"event", kind}};
        line.update(fields);
        config.on_event({kind, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), std::move(message), problem});
    }

    bool watched(const std::string& reader) const {
        return config.reader.empty() || reader.find(config.reader) != std::string::npos;
    }

    // Waits `d` in short steps; false when a stop was requested meanwhile.
    bool pause(std::chrono::milliseconds d) const {
        const auto end = Clock::now() + d;
        while (Clock::now() < end) {
            if (stopping()) return false;
            std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), end - Clock::now()));
        }
        return !stopping();
    }

    std::optional<std::string> next_document() const {
        std::optional<std::string> first;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(queue, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.empty() || name.front() == '.') continue;  // being copied in, or a temporary
            if (!entry.is_regular_file(ec)) continue;
            if (!first || name < *first) first = name;
        }
        return first;
    }

    std::string signature_name(const std::string& name) const {
        return name + (config.format == SignatureFormat::Cades ? ".p7s" : ".sig");
    }

    // The reason file first, then the document. False (and an event) when the spool refuses: the
    // document stays queued.
    bool move_to_failed(const std::string& name, const std::string& code, const std::string& reason) const {
        try {
            write_file_atomic(failed / (name + ".reason"), as_bytes(code + ": " + reason + "\n"), 0644);
            fs::rename(queue / name, failed / name);
            return true;
        } catch (const std::exception& e) {
            emit("document-requeued", {{"name", name}, {"code", "io-error"}, {"reason", std::string("cannot move it to failed/: ") + e.what()}},
                 name + " stays queued: cannot move it to failed/: " + e.what(), true);
            return false;
        }
    }

    void on_reader_event(const pcsc::ReaderEvent& e) {
        if (!watched(e.reader)) return;
        ReaderView& view = readers[e.reader];
        switch (e.kind) {
            case pcsc::ReaderEventKind::ReaderAdded:
                emit("reader-added", {{"reader", e.reader}}, "reader " + e.reader + " appeared");
                break;
            case pcsc::ReaderEventKind::ReaderRemoved:
                readers.erase(e.reader);
                emit("reader-removed", {{"reader", e.reader}}, "reader " + e.reader + " is gone", true);
                break;
            case pcsc::ReaderEventKind::CardInserted:
                view.drop_card();
                view = ReaderView{};
                view.card = true;
                view.atr = e.atr;
                view.inserted_at = Clock::now();
                identify(e.reader, view);
                break;
            case pcsc::ReaderEventKind::CardRemoved:
                view.drop_card();
                view = ReaderView{};
                emit("card-removed", {{"reader", e.reader}}, "card removed from " + e.reader);
                break;
        }
    }

    // Opens the card once per insertion: its driver, serial and type go into the event.
    void identify(const std::string& reader, ReaderView& view, bool again = false) {
        nlohmann::json fields{{"reader", reader}, {"atr", to_hex(view.atr, "")}};
        try {
            TokenChoice choice;
            choice.reader = reader;
            // Held exclusively while it is in the reader: no other program can reset or use it between
            // documents, so the driver keeps what it read (selected application, certificate, the counter
            // after our own signature) and a signature costs 3 APDUs (docs/security.md, "What a driver
            // keeps between signatures"). A reset or removal still surfaces as an error on the next call.
            choice.exclusive = true;
            view.open_again_at.reset();
            view.token = TokenDirectory().open(choice);
            const TokenInfo info = view.token->info();
            fields.update({{"serial", info.serial},
                           {"label", info.label},
                           {"application", info.application},
                           {"card_type", info.card_type.empty() ? info.application : info.card_type}});
            emit("card-inserted", fields, "card " + info.serial + " (" + (info.card_type.empty() ? info.application : info.card_type) +
                                              ") inserted into " + reader);
        } catch (const Error& e) {
            view.drop_card();
            if (!again) emit("card-inserted", fields, "card inserted into " + reader);
            if (e.code() == ErrorCode::TransportError) view.open_again_at = Clock::now() + std::chrono::seconds(1);  // e.g. in use by another program
            else if (e.code() != ErrorCode::CardRemoved) refuse(reader, view, "unusable-card", e.what());
        }
    }

    void refuse(const std::string& reader, ReaderView& view, const std::string& code, const std::string& reason) const {
        view.held = true;
        emit("card-refused", {{"reader", reader}, {"code", code}, {"reason", reason}},
             "card in " + reader + " refused until it is removed: " + reason, true);
    }

    // Signs the queue with the card in `reader` until the queue is empty, the card goes, or a stop.
    void serve(const std::string& reader, ReaderView& view) {
        if (!view.token && view.open_again_at) {
            if (Clock::now() < *view.open_again_at) return;
            identify(reader, view, true);
        }
        if (!view.token) {
            if (!view.open_again_at) view.held = true;  // an unusable card was reported when it was inserted
            return;
        }
        if (!view.service) {
            try {
                view.service = std::make_unique<SigningService>(*view.token, *audit, *pin);
                if (config.chain && config.format == SignatureFormat::Cades) view.chain = config.chain(*view.token);
            } catch (const Error& e) {
                view.service.reset();
                if (e.code() == ErrorCode::CardRemoved || e.code() == ErrorCode::CardReset || e.code() == ErrorCode::TransportError) {
                    view.drop_card();
                    view.held = true;  // until pcscd reports the next card
                    return;
                }
                refuse(reader, view, "no-signature-key", e.what());
                return;
            }
            view.token->set_trace([&count = view.apdus](std::string_view line) {
                if (line.starts_with(">>")) ++count;
            });
        }
        while (!stopping()) {
            const auto name = next_document();
            if (!name) break;
            if (!sign_one(reader, view, *name)) break;
        }
    }

    // One document; false when the card must not be asked again now.
    bool sign_one(const std::string& reader, ReaderView& view, const std::string& name) {
        SigningService& service = *view.service;
        const fs::path document = queue / name, signature = done / signature_name(name);
        std::error_code ec;
        if (fs::exists(signature, ec) && !fs::exists(done / name, ec)) {
            // Signed before the document could be moved (the process ended in between): finish the move.
            fs::rename(document, done / name, ec);
            if (ec) {
                refuse(reader, view, "io-error", "cannot move " + name + " into done/: " + ec.message());
                return false;
            }
            emit("document-recovered", {{"name", name}, {"output", signature.string()}},
                 name + ": its signature was already in done/; moved there without signing again");
            return true;
        }
        if (fs::exists(done / name, ec)) {
            if (!move_to_failed(name, "duplicate-name", "a document named " + name + " was already signed (done/" + name + "); rename it")) {
                refuse(reader, view, "io-error", "the spool cannot be written");
                return false;
            }
            emit("document-failed", {{"name", name}, {"code", "duplicate-name"}}, name + " failed: a document of that name is in done/", true);
            return true;
        }
        emit("document-started", {{"name", name}, {"reader", reader}}, "signing " + name + " with the card in " + reader);
        SignRequest request;
        request.subject = DocumentFile{document};
        request.format = config.format;
        request.level = config.level;
        request.output = OutputFile{signature, false};
        request.chain = view.chain;
        audit->signed_logged = false;
        audit->unusable = false;
        view.apdus = 0;
        const auto started = Clock::now();
        try {
            const SignOutcome done_outcome = service.sign(request);
            fs::rename(document, done / name);
            nlohmann::json fields{{"name", name},
                                  {"reader", reader},
                                  {"output", signature.string()},
                                  {"hash_algorithm", to_string(done_outcome.hash)},
                                  {"hash", to_hex(done_outcome.digest, "")},
                                  {"ms", ms_since(started)},
                                  {"ms_since_card", ms_since(view.inserted_at)},
                                  {"apdus", view.apdus},
                                  {"audit_seq", done_outcome.audit_sequence}};
            if (done_outcome.counter) fields.update({{"counter_before", done_outcome.counter->before}, {"counter_after", done_outcome.counter->after}});
            if (!view.first_signed) fields["first_since_card"] = true;
            view.first_signed = true;
            emit("document-signed", fields, name + " signed → " + signature.string());
            return true;
        } catch (const fs::filesystem_error& e) {
            // Only the move can throw this: the signature is in done/, the next round finishes the move.
            emit("document-failed", {{"name", name}, {"code", "io-error"}, {"reason", e.what()}}, name + ": " + e.what(), true);
            return false;
        } catch (const Error& e) {
            const Judgement j = judge(e, *audit, stopping());
            nlohmann::json fields{{"name", name}, {"reader", reader}, {"code", j.code}, {"reason", j.reason}, {"ms", ms_since(started)}};
            switch (j.outcome) {
                case Outcome::Failed:
                case Outcome::FailedHold:
                    if (!fs::exists(document, ec)) return true;  // taken out of the queue meanwhile
                    if (!move_to_failed(name, j.code, j.reason)) {
                        refuse(reader, view, "io-error", "the spool cannot be written");
                        return false;
                    }
                    emit("document-failed", fields, name + " failed: " + j.reason, true);
                    if (j.outcome == Outcome::FailedHold) {
                        refuse(reader, view, j.code, j.reason);
                        return false;
                    }
                    return true;
                case Outcome::Requeue:
                    emit("document-requeued", fields, name + " stays queued: " + j.reason, true);
                    if (j.code == "card-lost") view.drop_card();
                    if (j.code == "card-lost") view.held = true;  // until pcscd reports the next card
                    return false;
                case Outcome::RequeueHold:
                    emit("document-requeued", fields, name + " stays queued: " + j.reason, true);
                    refuse(reader, view, j.code, j.reason);
                    return false;
            }
            return false;
        }
    }

    // Forgets what pcscd said: after a restart every reader and card is reported afresh.
    void lose_pcscd(const std::string& why) {
        context.reset();
        for (auto& [reader, view] : readers) {
            if (view.card) emit("card-removed", {{"reader", reader}}, "card in " + reader + " lost with pcscd");
            emit("reader-removed", {{"reader", reader}}, "reader " + reader + " lost with pcscd", true);
        }
        readers.clear();
        emit("pcscd-unavailable", {{"reason", why}}, "pcscd unavailable (" + why + "); reconnecting", true);
    }
};

void validate(const KioskConfig& config) {
    if (config.spool.empty()) throw Error(ErrorCode::InvalidArgument, "the kiosk needs a spool directory");
    if (config.host_pin && config.level == SignatureLevel::Qes)
        throw Error(ErrorCode::PolicyViolation,
                    "qualified signatures in kiosk mode take the PIN on the reader's PIN pad only (drop --pin-fd, or sign at another level)");
}

Kiosk::Kiosk(KioskConfig config) : state_(std::make_unique<State>()) {
    validate(config);
    state_->config = std::move(config);
    state_->queue = state_->config.spool / "queue";
    state_->done = state_->config.spool / "done";
    state_->failed = state_->config.spool / "failed";
    State& s = *state_;
    s.log = std::make_unique<JsonLinesAuditLog>(s.config.audit_log);
    s.audit = std::make_unique<RecordingAudit>(*s.log);
    s.pin = std::make_unique<StopBeforePin>(s.config.host_pin ? *s.config.host_pin : *s.pin_pad, s.config.stop_requested);
}

Kiosk::~Kiosk() = default;

void Kiosk::run() {
    State& s = *state_;
    for (const auto& dir : {s.queue, s.done, s.failed}) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec || file_kind(dir) != FileKind::Directory)
            throw Error(ErrorCode::IoError, "cannot create the spool directory " + dir.string() + (ec ? ": " + ec.message() : ""));
    }
    s.emit("started", {{"spool", s.config.spool.string()}, {"reader", s.config.reader}, {"pin", s.config.host_pin ? "host" : "pin-pad"}},
           "kiosk started on " + s.config.spool.string() + (s.config.reader.empty() ? "" : " for readers '" + s.config.reader + "'"));
    auto backoff = s.config.backoff_min;
    bool down = false;
    while (!s.stopping()) {
        if (!s.context) {
            try {
                s.context = std::make_unique<pcsc::Context>();
                if (down) s.emit("pcscd-available", nlohmann::json::object(), "pcscd is back");
                down = false;
                backoff = s.config.backoff_min;
            } catch (const Error& e) {
                if (!down) s.emit("pcscd-unavailable", {{"reason", e.what()}}, std::string("pcscd unavailable (") + e.what() + "); reconnecting", true);
                down = true;
                if (!s.pause(backoff)) break;
                backoff = std::min(backoff * 2, s.config.backoff_max);
                continue;
            }
        }
        try {
            for (const auto& e : s.context->wait_for_events(std::chrono::milliseconds(200))) s.on_reader_event(e);
            for (auto& [reader, view] : s.readers) {
                if (!view.card || view.held || s.stopping() || !s.next_document()) continue;
                s.serve(reader, view);
            }
        } catch (const Error& e) {
            s.lose_pcscd(e.what());
            down = true;
            if (!s.pause(backoff)) break;
            backoff = std::min(backoff * 2, s.config.backoff_max);
        }
    }
    s.emit("stopped", nlohmann::json::object(), "kiosk stopped");
}

}  // namespace qscd
