// The signing audit log: append-only JSON lines, each carrying the SHA-256 of the line before it and
// a sequence number, so that a removed or edited line breaks the chain. Never a PIN or a key.
#pragma once

#include <cstdint>
#include <filesystem>
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
    std::vector<std::string> problems;  // one line per broken link / malformed line
    bool ok() const { return problems.empty(); }
};

// Re-walks the chain. Removing the newest lines cannot be seen from the file alone: compare the last
// entry's counter_after with the card's signature counter for that.
AuditCheck verify_audit_log(const std::filesystem::path& log);

}  // namespace qscd::cli
