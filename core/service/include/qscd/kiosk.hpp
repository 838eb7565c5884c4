// Kiosk mode: an unattended signing station. Documents wait in a spool directory; whoever inserts a
// card into a watched reader signs them one by one (a PIN per signature, on the reader's keypad or
// from a host PIN source the configuration allows), each signature is written atomically, and each
// document ends in done/ (with its signature) or failed/ (with a reason file). Cards pulled at any
// moment, readers unplugged and a restarted pcscd leave every document where it was: queued.
//
// Spool layout (the directories are created when missing):
//   DIR/queue/NAME            waiting; picked in name order; names starting with '.' are ignored (copy a
//                             document in as .NAME, then rename it to NAME: a half-copied file is never signed)
//   DIR/done/NAME, NAME.p7s   signed (CAdES) — or NAME.sig (raw format)
//   DIR/failed/NAME, NAME.reason   not signed, or signed but not delivered; the reason file holds one line
//                             "CODE: message" (CODE machine-readable, e.g. pin-pad-cancelled)
// The signature is written into done/ first and the document moved after it, so a document whose
// signature already lies in done/ is never signed again (its move is finished instead).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qscd/codec/bytes.hpp"
#include "qscd/pin_entry.hpp"
#include "qscd/signing_policy.hpp"
#include "qscd/signing_service.hpp"
#include "qscd/token.hpp"

namespace qscd {

// One event for a kiosk UI or a log: `kind` and a JSON object on one line (no newline) with "event": kind
// and the event's fields. Kinds: "started", "stopped", "pcscd-unavailable", "pcscd-available",
// "reader-added", "reader-removed", "card-inserted", "card-removed", "card-refused", "document-started",
// "document-signed", "document-failed", "document-requeued".
struct KioskEvent {
    std::string kind;
    std::string json;
    std::string message;  // the same for people, one line
    bool problem = false; // a failure or refusal (for a log's priority)
};

struct KioskConfig {
    std::filesystem::path spool;
    // Watched readers: those whose PC/SC name contains this text (empty: every reader). Several kiosks
    // can share one pcscd, one reader each.
    std::string reader;
    SignatureLevel level = SignatureLevel::Ades;
    SignatureFormat format = SignatureFormat::Cades;
    std::filesystem::path audit_log;
    // How each PIN reaches the card: nullptr = the reader's PIN pad (required: a card in a reader
    // without one is refused and its documents stay queued). Otherwise a host source, asked once per
    // signature (one PIN per document; the kiosk keeps none). Not allowed with SignatureLevel::Qes.
    std::shared_ptr<PinEntry> host_pin;
    // Intermediate certificates to embed for a token's signer (may return none).
    std::function<std::vector<Bytes>(Token&)> chain;
    std::function<void(const KioskEvent&)> on_event;
    // Polled often (every 200 ms while waiting, before each document and before each PIN step): true
    // ends run(). Safe to back with a flag set from a signal handler.
    std::function<bool()> stop_requested;
    // Reconnecting to pcscd: first wait, doubled up to the maximum.
    std::chrono::milliseconds backoff_min{200};
    std::chrono::milliseconds backoff_max{5000};
};

// Error(PolicyViolation) for a host PIN source with SignatureLevel::Qes (a qualified signature's PIN
// is typed on the reader's keypad: the holder's sole control), Error(InvalidArgument) without a spool.
void validate(const KioskConfig& config);

class Kiosk {
public:
    // validate()s the configuration first.
    explicit Kiosk(KioskConfig config);
    ~Kiosk();
    Kiosk(const Kiosk&) = delete;
    Kiosk& operator=(const Kiosk&) = delete;

    // Serves cards until stop_requested() says so: never returns for a lost pcscd or reader (it waits and
    // reconnects). Throws Error(IoError) only when the spool directories cannot be created.
    void run();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace qscd
