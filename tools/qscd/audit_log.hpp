// The signing audit log: append-only JSON lines, each carrying the SHA-256 of the line before it and
// a sequence number, so that a removed or edited line breaks the chain. Never a PIN or a key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qscd::cli {

struct AuditEntry {
    std::string token_serial;
    std::string certificate_sha256;  // of the signer certificate DER
    std::string document;            // path as given
    std::string document_hash;       // hex
    std::string hash_algorithm;
    std::string level;               // QES / AdES / basic
    std::optional<std::uint32_t> counter_before, counter_after;
    std::string result;              // "signed", or what went wrong
};

// Before the card is asked: the log can be opened for appending (creates it, mode 0600, if needed), so a
// signature is never made that cannot be logged. Error(IoError) naming the log.
void check_audit_log_writable(const std::filesystem::path& log);
// Appends one entry (locks the file, fsyncs it). Creates the file (mode 0600) if needed.
void append_audit_entry(const std::filesystem::path& log, const AuditEntry& entry);

struct AuditCheck {
    std::size_t entries = 0;
    std::vector<std::string> problems;  // one line per broken link, malformed line or counter gap
    // Per token serial, where its last entry left the card's counter: exact (counter_after of a signed
    // entry), or only a floor (a failed attempt, which may have cost a count).
    struct Tail {
        std::uint32_t counter = 0;
        bool exact = false;
    };
    std::map<std::string, Tail> last_counter;  // by "SERIAL/CERTIFICATE_SHA256": the counter belongs to the key
    bool ok() const { return problems.empty(); }
};

// Re-walks the chain, and per token and key (certificate) the signature counter: each entry's counter_before must equal the
// counter_after of the token's entry before it (a gap means signatures this log does not hold, or
// removed entries). Removing the newest lines cannot be seen from the file alone:
// check_audit_tail compares the last entry with the card's own counter.
AuditCheck verify_audit_log(const std::filesystem::path& log);

// The card's signature counter against the log's last entry for that card: a card that counted more
// signatures than the log shows reveals a cut-off tail (or signatures made outside qscd). Adds the
// finding to check.problems.
void check_audit_tail(AuditCheck& check, const std::string& token_serial, const std::string& certificate_sha256,
                      std::uint32_t card_counter);

}  // namespace qscd::cli
