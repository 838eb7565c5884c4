// The signing audit log: every attempt to sign, as an intent before the card is asked and a result
// after it (signed with the card's counter values, failed with the reason), and policy refusals.
// AuditSink is the interface the signing workflow writes to; JsonLinesAuditLog is the append-only,
// hash-chained JSON-lines file. Never a PIN or a key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qscd {

// JSON "event": "intent" | "signed" | "failed" | "refused" | "not written". NotWritten follows the Signed
// result of the same intent when the signature, made and logged, could not be delivered (it was discarded).
enum class AuditEvent { Intent, Signed, Failed, Refused, NotWritten };
const char* to_string(AuditEvent event);

struct AuditEntry {
    AuditEvent event = AuditEvent::Intent;
    std::string token_serial;
    std::string certificate_sha256;  // of the signer certificate DER (hex), empty if none
    std::string document;            // path as given; for a digest: "(digest given; the document itself was not seen)"
    bool document_seen = true;       // false for a digest computed elsewhere (JSON "document_seen": false)
    std::string document_hash;       // hex
    std::string hash_algorithm;      // "SHA-256"
    std::string level;               // "QES" / "AdES" / "basic"
    std::string format;              // "cades" / "raw"
    std::string output;              // where the signature goes ("standard output" or the path)
    // Signed: as read inside the signing transaction. Intent / Failed: the counter read before the
    // card was asked, where known (an attempt that may have cost a count starts there).
    std::optional<std::uint32_t> counter_before, counter_after;
    std::optional<std::uint64_t> intent;  // Signed / Failed / NotWritten: seq of the Intent entry this result answers
    std::string detail;                   // Failed / Refused / NotWritten: the reason (one line). Signed: a free note ("signed in batch 3/10")
};

class AuditSink {
public:
    virtual ~AuditSink() = default;
    // Before the card is asked: the sink can take entries (creates the log, 0600, if needed).
    // Error(IoError) naming the log otherwise, so that a signature is never made that cannot be logged.
    virtual void check_ready() = 0;
    // Appends one entry and returns its sequence number. Content can never make it throw (bytes that
    // are not UTF-8 are escaped \xNN); it throws Error(IoError) only when the medium fails.
    virtual std::uint64_t append(const AuditEntry& entry) = 0;
};

// The JSON-lines file: one object per line, "seq" (1, 2, ...), "prev" (SHA-256 hex of the previous
// line, 64 zeros for the first), "time" (UTC), then the entry's fields. Locks the file (flock) per
// append and fsyncs it; reads only the last line to continue the chain; seals a torn last line (no
// newline) before appending, so the new entry is a line of its own and the torn one stays visible.
class JsonLinesAuditLog final : public AuditSink {
public:
    explicit JsonLinesAuditLog(std::filesystem::path path);
    const std::filesystem::path& path() const { return path_; }
    void check_ready() override;
    std::uint64_t append(const AuditEntry& entry) override;

private:
    std::filesystem::path path_;
};

struct AuditCheck {
    std::size_t entries = 0;
    std::vector<std::string> problems;  // one line per broken link, malformed line, unanswerable result or counter gap
    // Intents without a result: the program ended between asking the card and logging the outcome.
    // Reported, not failures by themselves: each may have cost the card one count.
    std::vector<std::string> unfinished;
    // Per token and key, where the log leaves the card's counter.
    struct Tail {
        std::uint32_t counter = 0;   // the last exact value (counter_after of a signed entry), else the first attempt's start
        bool exact = false;          // counter is a signed entry's counter_after
        std::uint32_t attempts = 0;  // unfinished intents / failed attempts from counter on: each may have cost one count
        std::uint32_t floor = 0;     // the highest counter any entry saw: the card cannot be below it
    };
    std::map<std::string, Tail> last_counter;  // by "SERIAL/CERTIFICATE_SHA256": the counter belongs to the key
    bool ok() const { return problems.empty(); }
};

// Re-walks the chain; checks that each result answers an open intent of its token; and per token and
// key (certificate) the signature counter: ordered by counter, each signed entry's counter_before must
// equal the counter_after of the one before it (a gap means signatures this log does not hold, or
// removed entries, unless an attempt that may have cost a count started there). Logs written before
// intents existed ("result": "signed ..." / "failed: ..." / "refused: ...") still verify.
// Removing the newest lines cannot be seen from the file alone: check_audit_tail compares the last
// entry with the card's own counter.
AuditCheck verify_audit_log(const std::filesystem::path& log);

// The card's signature counter against the log's last entry for that card and key: a card that
// counted more signatures than the log shows (beyond one count per unfinished or failed attempt after
// the last signed entry) reveals a cut-off tail, or signatures made outside qscd. Adds the finding to
// check.problems.
void check_audit_tail(AuditCheck& check, const std::string& token_serial, const std::string& certificate_sha256,
                      std::uint32_t card_counter);

}  // namespace qscd
