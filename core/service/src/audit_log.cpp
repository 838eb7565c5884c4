#include "qscd/audit.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <tuple>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "qscd/atomic_file.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/hashing.hpp"

namespace qscd {

namespace {

const std::string kGenesis(64, '0');

std::string sha256_hex(const std::string& line) { return to_hex(hash_bytes(HashAlgorithm::Sha256, as_bytes(line)), ""); }

std::string utc_now() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<std::string> read_lines(int fd) {
    std::string all;
    char buf[65536];
    ::lseek(fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) all.append(buf, static_cast<std::size_t>(n));
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1) lines.push_back(all.substr(start, nl - start));
    if (start < all.size()) lines.push_back(all.substr(start));  // a torn last line: verify reports it
    return lines;
}

// Text for a JSON string: well-formed UTF-8 passes unchanged, every other byte (a file name that is
// not UTF-8, say) becomes the four characters \xNN, so the writer cannot fail after a signature.
std::string json_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char b = byte(i);
        // RFC 3629 §4: the length and the allowed ranges of each sequence (no overlongs, no surrogates).
        std::size_t length = b < 0x80 ? 1 : (b >= 0xC2 && b <= 0xDF) ? 2 : (b >= 0xE0 && b <= 0xEF) ? 3 : (b >= 0xF0 && b <= 0xF4) ? 4 : 0;
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) valid = (byte(i + k) & 0xC0) == 0x80;
        if (valid && length >= 3) {
            const unsigned char c = byte(i + 1);
            if ((b == 0xE0 && c < 0xA0) || (b == 0xED && c > 0x9F) || (b == 0xF0 && c < 0x90) || (b == 0xF4 && c > 0x8F)) valid = false;
        }
        if (valid) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            static constexpr char kHex[] = "0123456789ABCDEF";
            out += "\\x";
            out += kHex[b >> 4];
            out += kHex[b & 0x0F];
            ++i;
        }
    }
    return out;
}

// A crash or a full disk can leave a last line without its newline. The next entry starts on a line of
// its own, so the torn line stays visible to `audit verify` instead of swallowing the new entry.
bool seal_torn_tail(int fd) {
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size <= 0) return true;
    char last = '\n';
    if (::pread(fd, &last, 1, size - 1) != 1) return false;
    return last == '\n' || ::write(fd, "\n", 1) == 1;
}

std::string audit_key_id(const std::string& token, const std::string& certificate_sha256) {
    return token + "/" + certificate_sha256;
}

std::string string_field(const nlohmann::json& j, const char* name) {
    return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
}

std::optional<std::uint32_t> counter_field(const nlohmann::json& j, const char* name) {
    if (!j.contains(name) || !j[name].is_number_unsigned()) return std::nullopt;
    return j[name].get<std::uint32_t>();
}

// The event of an entry; for a log written before intents existed, what its "result" said.
std::optional<AuditEvent> event_of(const nlohmann::json& j) {
    if (j.contains("event")) {
        const std::string name = string_field(j, "event");
        for (AuditEvent e : {AuditEvent::Intent, AuditEvent::Signed, AuditEvent::Failed, AuditEvent::Refused, AuditEvent::NotWritten})
            if (name == to_string(e)) return e;
        return std::nullopt;
    }
    const std::string result = string_field(j, "result");
    if (result.starts_with("signed")) return AuditEvent::Signed;
    if (result.starts_with("failed")) return AuditEvent::Failed;
    if (result.starts_with("refused")) return AuditEvent::Refused;
    return std::nullopt;
}

// Per token and key, the signature counter across the entries (OpenPGP card 3.4 §4.4.1, DO 93: the
// card counts every signature). Ordered by counter, not by line — concurrent signers append in any
// order — the signed entries must follow each other without a gap or an overlap; the entries of one
// batch share their counters. A gap is excused only where an attempt that may have cost counts
// started: a failed attempt (a signature discarded for a counter fault, say, of unknown cost), or an
// unfinished intent (one count at most: the program ended around one signature).
class CounterContinuity {
public:
    void add_signed(const std::string& id, const std::string& token, std::uint32_t before, std::uint32_t after, const std::string& where) {
        Key& key = keys_[id];
        key.token = token;
        key.steps.push_back({before, after, where});
    }
    void add_failed(const std::string& id, const std::string& token, std::uint32_t before) {
        Key& key = keys_[id];
        key.token = token;
        key.failed_at.push_back(before);
    }
    void add_unfinished(const std::string& id, const std::string& token, std::uint32_t before) {
        Key& key = keys_[id];
        key.token = token;
        key.unfinished_at.push_back(before);
    }

    void report(std::vector<std::string>& problems) const {
        for (const auto& [id, key] : keys_) {
            std::vector<Step> steps = key.steps;
            std::ranges::sort(steps, [](const Step& a, const Step& b) { return std::tie(a.before, a.after) < std::tie(b.before, b.after); });
            const auto same = [](const Step& a, const Step& b) { return a.before == b.before && a.after == b.after; };
            steps.erase(std::unique(steps.begin(), steps.end(), same), steps.end());
            for (std::size_t i = 1; i < steps.size(); ++i) {
                const Step &prev = steps[i - 1], &cur = steps[i];
                if (cur.before < prev.after)
                    problems.push_back(cur.where + ": token " + key.token + " counter " + std::to_string(cur.before) + " -> " +
                                       std::to_string(cur.after) + " overlaps " + prev.where + " (" + std::to_string(prev.before) +
                                       " -> " + std::to_string(prev.after) + "): one signature logged twice");
                else if (cur.before > prev.after && !excused(key, prev.after, cur.before))
                    problems.push_back(cur.where + ": token " + key.token + " counter before is " + std::to_string(cur.before) +
                                       ", its previous entry ended at " + std::to_string(prev.after) + " (" + prev.where +
                                       "; signatures this log does not hold, or entries removed)");
            }
        }
    }

    std::map<std::string, AuditCheck::Tail> tails() const {
        std::map<std::string, AuditCheck::Tail> out;
        for (const auto& [id, key] : keys_) {
            AuditCheck::Tail tail;
            for (const Step& step : key.steps)
                if (!tail.exact || step.after > tail.counter) tail.counter = step.after, tail.exact = true;
            std::vector<std::uint32_t> attempts = key.failed_at;
            attempts.insert(attempts.end(), key.unfinished_at.begin(), key.unfinished_at.end());
            if (!tail.exact && !attempts.empty()) tail.counter = *std::ranges::min_element(attempts);
            tail.floor = tail.counter;
            for (std::uint32_t before : attempts) {
                if (before >= tail.counter) ++tail.attempts;
                tail.floor = std::max(tail.floor, before);
            }
            out[id] = tail;
        }
        return out;
    }

private:
    struct Step {
        std::uint32_t before, after;
        std::string where;
    };
    struct Key {
        std::string token;
        std::vector<Step> steps;                   // signed entries: counter_before -> counter_after
        std::vector<std::uint32_t> failed_at;      // counter_before of failed attempts
        std::vector<std::uint32_t> unfinished_at;  // counter_before of intents without a result
    };
    static bool excused(const Key& key, std::uint32_t from, std::uint32_t to) {
        const auto within = [&](std::uint32_t b) { return from <= b && b < to; };
        if (std::ranges::any_of(key.failed_at, within)) return true;
        return static_cast<std::uint32_t>(std::ranges::count_if(key.unfinished_at, within)) >= to - from;
    }
    std::map<std::string, Key> keys_;
};

// The intents of a log and the results that answer them: each Signed / Failed result (of the format
// with events) names the seq of an earlier Intent of its token that no other result answered.
class IntentLedger {
public:
    void add_intent(std::uint64_t seq, const nlohmann::json& j) {
        intents_[seq] = {string_field(j, "token"), string_field(j, "certificate_sha256"), string_field(j, "document"),
                         counter_field(j, "counter_before"), std::nullopt};
    }

    // The problem with a result, if any; marks its intent answered.
    std::optional<std::string> answer(std::uint64_t seq, const nlohmann::json& j, AuditEvent event) {
        const std::string entry = "entry " + std::to_string(seq);
        if (!j.contains("intent") || !j["intent"].is_number_unsigned())
            return entry + ": a " + to_string(event) + " result that names no intent (no attempt to sign was logged before it)";
        const std::uint64_t intent = j["intent"].get<std::uint64_t>();
        const std::string answers = entry + " answers intent " + std::to_string(intent);
        const auto it = intents_.find(intent);
        if (it == intents_.end() || intent >= seq) return answers + ", which is not an earlier intent in this log";
        Intent& open = it->second;
        if (open.token != string_field(j, "token")) return answers + ", which is an intent of token " + open.token;
        if (open.answered_by) return answers + ", which entry " + std::to_string(*open.answered_by) + " already answered";
        open.answered_by = seq;
        open.signed_result = event == AuditEvent::Signed;
        return std::nullopt;
    }

    // A NotWritten entry: the signed result of its intent came before it (the signature was made and
    // logged, then not delivered).
    std::optional<std::string> discarded(std::uint64_t seq, const nlohmann::json& j) const {
        const std::string entry = "entry " + std::to_string(seq);
        const auto it = j.contains("intent") && j["intent"].is_number_unsigned() ? intents_.find(j["intent"].get<std::uint64_t>()) : intents_.end();
        if (it == intents_.end() || !it->second.answered_by || !it->second.signed_result)
            return entry + ": a signature reported not written whose intent has no signed result before it";
        return std::nullopt;
    }

    void report_unfinished(std::vector<std::string>& unfinished, CounterContinuity& counters) const {
        for (const auto& [seq, intent] : intents_) {
            if (intent.answered_by) continue;
            unfinished.push_back("entry " + std::to_string(seq) + ": intent to sign " + intent.document + " on " + intent.token +
                                 " has no result (the program ended between asking the card and logging the outcome)");
            if (intent.counter_before)
                counters.add_unfinished(audit_key_id(intent.token, intent.certificate), intent.token, *intent.counter_before);
        }
    }

private:
    struct Intent {
        std::string token, certificate, document;
        std::optional<std::uint32_t> counter_before;
        std::optional<std::uint64_t> answered_by;
        bool signed_result = false;
    };
    std::map<std::uint64_t, Intent> intents_;
};

// Where the next entry attaches: its sequence number and the hash of the last line. Read from the end
// of the file (the last line only), so that appending costs the same however long the log is; only a
// last line that is not an entry (torn or edited) makes it count every line, as `audit verify` does.
struct ChainEnd {
    std::uint64_t next_seq = 1;
    std::string prev = kGenesis;
};

ChainEnd chain_end(int fd) {
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size <= 0) return {};
    std::string tail;  // the bytes after the last line's start, newline included
    char buf[4096];
    off_t pos = size;
    std::size_t newline = std::string::npos;
    while (pos > 0 && newline == std::string::npos) {
        const off_t n = std::min<off_t>(pos, sizeof buf);
        pos -= n;
        if (::pread(fd, buf, static_cast<std::size_t>(n), pos) != n) throw Error(ErrorCode::IoError, "cannot read the audit log");
        tail.insert(0, buf, static_cast<std::size_t>(n));
        // the newline that ends the line before the last one (the file's own last byte is a newline)
        if (tail.size() > 1) newline = tail.rfind('\n', tail.size() - 2);
    }
    std::string last = newline == std::string::npos ? tail : tail.substr(newline + 1);
    if (!last.empty() && last.back() == '\n') last.pop_back();
    const nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned())
        return {j["seq"].get<std::uint64_t>() + 1, sha256_hex(last)};
    // The last line is not an entry: continue from the last line that is, one number per line after it.
    const auto lines = read_lines(fd);
    for (std::size_t i = lines.size(); i-- > 0;) {
        const nlohmann::json entry = nlohmann::json::parse(lines[i], nullptr, false);
        if (!entry.is_discarded() && entry.is_object() && entry.contains("seq") && entry["seq"].is_number_unsigned())
            return {entry["seq"].get<std::uint64_t>() + (lines.size() - i), sha256_hex(lines.back())};
    }
    return {lines.size() + 1, lines.empty() ? kGenesis : sha256_hex(lines.back())};
}

// The log is a regular file or nothing yet: a directory, FIFO or device given as the log is named
// as such (exit 2), like a document or an output.
void check_log_kind(const std::filesystem::path& log) {
    const FileKind kind = file_kind(log);
    if (kind != FileKind::Regular && kind != FileKind::Missing)
        throw Error(ErrorCode::InvalidArgument, log.string() + " is " + describe(kind) + ", not an audit log");
}

int open_for_append(const std::filesystem::path& log) {
    check_log_kind(log);
    std::error_code ec;
    if (log.has_parent_path()) std::filesystem::create_directories(log.parent_path(), ec);
    const int fd = ::open(log.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ErrorCode::IoError, "cannot open the audit log " + log.string() + ": " + std::strerror(errno));
    return fd;
}

nlohmann::ordered_json optional_json(const auto& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

const char* to_string(AuditEvent event) {
    switch (event) {
    case AuditEvent::Intent: return "intent";
    case AuditEvent::Signed: return "signed";
    case AuditEvent::Failed: return "failed";
    case AuditEvent::Refused: return "refused";
    case AuditEvent::NotWritten: return "not written";
    }
    return "unknown";
}

JsonLinesAuditLog::JsonLinesAuditLog(std::filesystem::path path) : path_(std::move(path)) {}

void JsonLinesAuditLog::check_ready() { ::close(open_for_append(path_)); }

std::uint64_t JsonLinesAuditLog::append(const AuditEntry& e) {
    // The line is made before the file is touched: json_safe leaves only valid UTF-8, and dump's
    // replace handler is a second net, so nothing here throws for what an entry holds.
    nlohmann::ordered_json j;
    j["seq"] = 0;
    j["prev"] = kGenesis;
    j["time"] = utc_now();
    j["event"] = to_string(e.event);
    j["token"] = json_safe(e.token_serial);
    j["certificate_sha256"] = json_safe(e.certificate_sha256);
    j["document"] = json_safe(e.document);
    j["document_seen"] = e.document_seen;
    j["document_hash"] = json_safe(e.document_hash);
    j["hash_algorithm"] = json_safe(e.hash_algorithm);
    j["level"] = json_safe(e.level);
    j["format"] = json_safe(e.format);
    j["output"] = json_safe(e.output);
    j["counter_before"] = optional_json(e.counter_before);
    j["counter_after"] = optional_json(e.counter_after);
    j["intent"] = optional_json(e.intent);
    j["detail"] = json_safe(e.detail);

    const int fd = open_for_append(path_);
    ::flock(fd, LOCK_EX);  // two signers appending at once must still form one chain
    try {
        if (!seal_torn_tail(fd)) throw Error(ErrorCode::IoError, "cannot append to the audit log " + path_.string());
        const ChainEnd end = chain_end(fd);
        j["seq"] = end.next_seq;
        j["prev"] = end.prev;
        const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0)
            throw Error(ErrorCode::IoError, "cannot append to the audit log " + path_.string() + ": " + std::strerror(errno));
        ::close(fd);  // releases the lock
        return end.next_seq;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

AuditCheck verify_audit_log(const std::filesystem::path& log) {
    check_log_kind(log);
    const int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCode::NotFound, "no audit log at " + log.string());
    const auto lines = read_lines(fd);
    ::close(fd);
    AuditCheck check;
    CounterContinuity counters;
    IntentLedger intents;
    std::string prev = kGenesis;
    std::optional<std::uint64_t> first_seq;  // 1 since intents exist; 0 in logs of the version before
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string where = "line " + std::to_string(i + 1);
        nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("seq") || !j.contains("prev") || !j["seq"].is_number_unsigned() ||
            !j["prev"].is_string()) {
            check.problems.push_back(where + ": not an audit entry (edited or torn)");
            prev = sha256_hex(lines[i]);
            continue;
        }
        const std::uint64_t seq = j["seq"].get<std::uint64_t>();
        if (!first_seq) first_seq = seq >= i && seq - i <= 1 ? seq - i : 1;
        if (seq != *first_seq + i)
            check.problems.push_back(where + ": sequence number " + std::to_string(seq) + ", expected " + std::to_string(*first_seq + i) +
                                     " (a line was removed or inserted)");
        if (j["prev"].get<std::string>() != prev)
            check.problems.push_back(where + ": does not chain to the line before it (that line was edited or removed)");
        prev = sha256_hex(lines[i]);

        const auto event = event_of(j);
        if (!event) {
            check.problems.push_back(where + ": neither an intent nor a result (unknown event)");
            continue;
        }
        const bool with_events = j.contains("event");  // a log of the version before: results without intents
        if (*event == AuditEvent::Intent) {
            intents.add_intent(seq, j);
            continue;
        }
        if (with_events && (*event == AuditEvent::Signed || *event == AuditEvent::Failed))
            if (auto problem = intents.answer(seq, j, *event)) check.problems.push_back(*problem);
        if (*event == AuditEvent::NotWritten) {
            if (auto problem = intents.discarded(seq, j)) check.problems.push_back(*problem);
            continue;
        }
        const std::string token = string_field(j, "token");
        const auto before = counter_field(j, "counter_before"), after = counter_field(j, "counter_after");
        if (token.empty() && !j.contains("token")) continue;
        // The counter belongs to the key: a new signature key resets it (OpenPGP card 3.4 §7.2.14,
        // GENERATE ASYMMETRIC KEY PAIR; key import likewise), and the new key gets a new certificate.
        const std::string id = audit_key_id(token, string_field(j, "certificate_sha256"));
        if (*event == AuditEvent::Signed && before && after) counters.add_signed(id, token, *before, *after, where);
        else if (*event == AuditEvent::Failed && before) counters.add_failed(id, token, *before);
        else if (!with_events && *event == AuditEvent::Signed && before) counters.add_failed(id, token, *before);  // old: signed without counter_after
    }
    check.entries = lines.size();
    intents.report_unfinished(check.unfinished, counters);
    counters.report(check.problems);
    check.last_counter = counters.tails();
    return check;
}

void check_audit_tail(AuditCheck& check, const std::string& token_serial, const std::string& certificate_sha256,
                      std::uint32_t card_counter) {
    const auto it = check.last_counter.find(audit_key_id(token_serial, certificate_sha256));
    if (it == check.last_counter.end()) {
        if (card_counter != 0)
            check.problems.push_back("token " + token_serial + ": the card counted " + std::to_string(card_counter) +
                                     " signatures with its current key and the log holds no entry for that key");
        return;
    }
    const AuditCheck::Tail tail = it->second;
    const std::uint64_t allowed = std::uint64_t{tail.counter} + tail.attempts;
    if (card_counter > allowed) {
        const std::string excuse = tail.attempts == 0 ? std::string()
                                                      : ", and " + std::to_string(tail.attempts) +
                                                            " unfinished or failed attempt(s) from there on may have cost one count each";
        check.problems.push_back("token " + token_serial + ": the card's counter is " + std::to_string(card_counter) + ", the log's " +
                                 (tail.exact ? "last signed entry ends at " : "first attempt started at ") + std::to_string(tail.counter) +
                                 excuse + ": the card counted " + std::to_string(card_counter - allowed) +
                                 " signature(s) the log does not show: entries cut off the end, or signatures made outside qscd");
    } else if (card_counter < tail.floor) {
        check.problems.push_back("token " + token_serial + ": the card's counter " + std::to_string(card_counter) +
                                 " is below the log's " + std::to_string(tail.floor) + " (not the card this log was written for)");
    }
}

}  // namespace qscd
