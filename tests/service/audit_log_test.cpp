// The audit log as a library component: entries round-trip through the JSON-lines file; every result
// answers exactly one earlier intent; an unfinished intent is a note that excuses one count of the
// card's counter, not two; logs of the version before intents still verify; nothing an entry holds
// makes the writer throw; a torn last line is sealed.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qscd/audit.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/hashing.hpp"

using namespace qscd;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "qscd-audit-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::vector<std::string> lines_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

const std::string kCert = std::string(64, 'C');

AuditEntry entry(AuditEvent event, std::optional<std::uint32_t> before = std::nullopt, std::optional<std::uint32_t> after = std::nullopt,
                 std::optional<std::uint64_t> intent = std::nullopt) {
    AuditEntry e;
    e.event = event;
    e.token_serial = "FFFF0001";
    e.certificate_sha256 = kCert;
    e.document = "doc.txt";
    e.document_hash = std::string(64, 'A');
    e.hash_algorithm = "SHA-256";
    e.level = "AdES";
    e.format = "cades";
    e.output = "doc.txt.p7s";
    e.counter_before = before;
    e.counter_after = after;
    e.intent = intent;
    return e;
}

// One signature as qscd makes it: an intent, then the signed result answering it.
void sign_once(JsonLinesAuditLog& log, std::uint32_t before) {
    const std::uint64_t intent = log.append(entry(AuditEvent::Intent, before));
    log.append(entry(AuditEvent::Signed, before, before + 1, intent));
}

bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
    return std::ranges::any_of(lines, [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

}  // namespace

TEST_CASE("audit: an intent and its result round-trip through the file, chained from seq 1") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "sub" / "audit.log");
    REQUIRE(log.path() == dir.path / "sub" / "audit.log");
    log.check_ready();
    REQUIRE(fs::exists(log.path()));
    struct stat st{};
    REQUIRE(::stat(log.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    AuditEntry intent = entry(AuditEvent::Intent, 4);
    intent.document = "(digest given; the document itself was not seen)";
    intent.document_seen = false;
    intent.format = "raw";
    intent.output = "standard output";
    const std::uint64_t intent_seq = log.append(intent);
    AuditEntry result = intent;
    result.event = AuditEvent::Signed;
    result.counter_after = 5;
    result.intent = intent_seq;
    result.detail = "signed in batch 1/1";
    const std::uint64_t result_seq = log.append(result);
    CHECK(intent_seq == 1);
    CHECK(result_seq == 2);

    const auto lines = lines_of(log.path());
    REQUIRE(lines.size() == 2);
    const auto first = nlohmann::json::parse(lines[0]), second = nlohmann::json::parse(lines[1]);
    CHECK(first["seq"] == 1);
    CHECK(first["prev"] == std::string(64, '0'));
    CHECK(first["event"] == "intent");
    CHECK(first["intent"].is_null());
    CHECK(first["counter_before"] == 4);
    CHECK(first["counter_after"].is_null());
    CHECK(second["seq"] == 2);
    CHECK(second["prev"] == to_hex(hash_bytes(HashAlgorithm::Sha256, as_bytes(lines[0])), ""));
    CHECK(second["event"] == "signed");
    CHECK(second["token"] == "FFFF0001");
    CHECK(second["certificate_sha256"] == kCert);
    CHECK(second["document"] == "(digest given; the document itself was not seen)");
    CHECK(second["document_seen"] == false);
    CHECK(second["document_hash"] == std::string(64, 'A'));
    CHECK(second["hash_algorithm"] == "SHA-256");
    CHECK(second["level"] == "AdES");
    CHECK(second["format"] == "raw");
    CHECK(second["output"] == "standard output");
    CHECK(second["counter_before"] == 4);
    CHECK(second["counter_after"] == 5);
    CHECK(second["intent"] == 1);
    CHECK(second["detail"] == "signed in batch 1/1");
    CHECK(std::string(to_string(AuditEvent::Failed)) == "failed");
    CHECK(std::string(to_string(AuditEvent::Refused)) == "refused");

    const AuditCheck check = verify_audit_log(log.path());
    INFO(joined(check.problems));
    CHECK(check.ok());
    CHECK(check.entries == 2);
    CHECK(check.unfinished.empty());
}

TEST_CASE("audit: a result without an intent is a problem") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    sign_once(log, 0);
    log.append(entry(AuditEvent::Signed, 1, 2));  // names no intent
    AuditCheck check = verify_audit_log(log.path());
    CHECK_FALSE(check.ok());
    CHECK(any_contains(check.problems, "entry 3: a signed result that names no intent"));

    log.append(entry(AuditEvent::Failed, 2, std::nullopt, 40));  // names one that does not exist
    check = verify_audit_log(log.path());
    CHECK(any_contains(check.problems, "entry 4 answers intent 40, which is not an earlier intent in this log"));
}

TEST_CASE("audit: a result answering another token's intent is a problem") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    const std::uint64_t intent = log.append(entry(AuditEvent::Intent, 0));
    AuditEntry other = entry(AuditEvent::Failed, 0, std::nullopt, intent);
    other.token_serial = "FFFF0002";
    log.append(other);
    const AuditCheck check = verify_audit_log(log.path());
    CHECK(any_contains(check.problems, "entry 2 answers intent 1, which is an intent of token FFFF0001"));
}

TEST_CASE("audit: an intent answered twice is a problem") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    const std::uint64_t intent = log.append(entry(AuditEvent::Intent, 0));
    log.append(entry(AuditEvent::Signed, 0, 1, intent));
    log.append(entry(AuditEvent::Failed, 1, std::nullopt, intent));
    const AuditCheck check = verify_audit_log(log.path());
    INFO(joined(check.problems));
    CHECK_FALSE(check.ok());
    CHECK(any_contains(check.problems, "entry 3 answers intent 1, which entry 2 already answered"));
}

TEST_CASE("audit: a refusal needs no intent") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    AuditEntry refused = entry(AuditEvent::Refused);
    refused.detail = "qc compliance: QcCompliance statement missing (QES policy)";
    log.append(refused);
    sign_once(log, 0);
    const AuditCheck check = verify_audit_log(log.path());
    INFO(joined(check.problems));
    CHECK(check.ok());
    CHECK(check.entries == 3);
}

TEST_CASE("audit: an unfinished intent is reported and excuses one count of the card's counter, not two") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    sign_once(log, 0);
    log.append(entry(AuditEvent::Intent, 1));  // killed between asking the card and logging the outcome

    AuditCheck check = verify_audit_log(log.path());
    INFO(joined(check.problems));
    CHECK(check.ok());
    REQUIRE(check.unfinished.size() == 1);
    CHECK(check.unfinished[0] ==
          "entry 3: intent to sign doc.txt on FFFF0001 has no result (the program ended between asking the card and logging the outcome)");

    AuditCheck card_did_not_sign = check;
    check_audit_tail(card_did_not_sign, "FFFF0001", kCert, 1);
    CHECK(card_did_not_sign.ok());
    AuditCheck card_signed = check;
    check_audit_tail(card_signed, "FFFF0001", kCert, 2);
    INFO(joined(card_signed.problems));
    CHECK(card_signed.ok());
    AuditCheck one_too_many = check;
    check_audit_tail(one_too_many, "FFFF0001", kCert, 3);
    REQUIRE_FALSE(one_too_many.ok());
    CHECK(any_contains(one_too_many.problems, "1 unfinished or failed attempt(s) from there on may have cost one count each"));
    CHECK(any_contains(one_too_many.problems, "the card counted 1 signature(s) the log does not show"));

    // A signature after the unfinished one: the gap of one count before it is excused, the chain holds.
    sign_once(log, 2);
    check = verify_audit_log(log.path());
    INFO(joined(check.problems));
    CHECK(check.ok());
    CHECK(check.unfinished.size() == 1);
    check_audit_tail(check, "FFFF0001", kCert, 3);
    CHECK(check.ok());

    // One unfinished intent does not excuse a gap of two.
    TempDir other;
    JsonLinesAuditLog gap(other.path / "audit.log");
    sign_once(gap, 0);
    gap.append(entry(AuditEvent::Intent, 1));
    sign_once(gap, 3);
    check = verify_audit_log(gap.path());
    CHECK(any_contains(check.problems, "counter before is 3, its previous entry ended at 1"));
}

TEST_CASE("audit: without unfinished or failed attempts the card's counter must meet the last entry") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    sign_once(log, 0);
    sign_once(log, 1);
    AuditCheck check = verify_audit_log(log.path());
    check_audit_tail(check, "FFFF0001", kCert, 2);
    CHECK(check.ok());
    check = verify_audit_log(log.path());
    check_audit_tail(check, "FFFF0001", kCert, 3);
    CHECK(any_contains(check.problems, "the card's counter is 3, the log's last signed entry ends at 2: the card counted 1 signature(s) the log "
                                       "does not show: entries cut off the end, or signatures made outside qscd"));
    check = verify_audit_log(log.path());
    check_audit_tail(check, "FFFF0001", kCert, 1);
    CHECK(any_contains(check.problems, "is below the log's 2"));
}

TEST_CASE("audit: a log written before intents existed still verifies, and appending continues it") {
    TempDir dir;
    const fs::path path = dir.path / "audit.log";
    // The previous version's format: seq from 0, no "event", the outcome in "result".
    const std::vector<std::string> bodies = {
        R"("token":"FFFF0001","certificate_sha256":")" + kCert + R"(","counter_before":0,"counter_after":1,"result":"signed doc.p7s")",
        R"("token":"FFFF0001","certificate_sha256":")" + kCert + R"(","counter_before":1,"counter_after":null,"result":"failed: wrong User PIN, 2 tries left")",
        R"("token":"FFFF0001","certificate_sha256":")" + kCert + R"(","counter_before":null,"counter_after":null,"result":"refused: qc compliance")",
        R"("token":"FFFF0001","certificate_sha256":")" + kCert + R"(","counter_before":1,"counter_after":2,"result":"signed in batch b1.txt.p7s")",
    };
    std::string prev(64, '0'), text;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        const std::string line = "{\"seq\":" + std::to_string(i) + ",\"prev\":\"" + prev + "\"," + bodies[i] + "}";
        text += line + "\n";
        prev = to_hex(hash_bytes(HashAlgorithm::Sha256, as_bytes(line)), "");
    }
    std::ofstream(path, std::ios::binary) << text;

    AuditCheck check = verify_audit_log(path);
    INFO(joined(check.problems));
    CHECK(check.ok());
    CHECK(check.entries == 4);
    CHECK(check.unfinished.empty());
    check_audit_tail(check, "FFFF0001", kCert, 2);
    CHECK(check.ok());

    JsonLinesAuditLog log(path);
    const std::uint64_t intent = log.append(entry(AuditEvent::Intent, 2));
    CHECK(intent == 4);
    log.append(entry(AuditEvent::Signed, 2, 3, intent));
    check = verify_audit_log(path);
    INFO(joined(check.problems));
    CHECK(check.ok());
    CHECK(check.entries == 6);
}

TEST_CASE("audit: nothing in an entry makes the writer throw — bytes that are not UTF-8 are escaped") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    AuditEntry odd = entry(AuditEvent::Intent, 0);
    odd.document = std::string("odd\xff\xc3name\xed\xa0\x80.txt", 16);  // a stray byte, a cut sequence, a surrogate
    odd.token_serial = std::string("FFFF\x80", 5);
    odd.detail = std::string("\0quote\" back\\slash\n", 19);
    std::uint64_t seq = 0;
    REQUIRE_NOTHROW(seq = log.append(odd));
    odd.event = AuditEvent::Failed;
    odd.intent = seq;
    REQUIRE_NOTHROW(log.append(odd));
    const auto lines = lines_of(log.path());
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find(R"(odd\\xFF\\xC3name\\xED\\xA0\\x80.txt)") != std::string::npos);
    CHECK(lines[0].find(R"(FFFF\\x80)") != std::string::npos);
    const AuditCheck check = verify_audit_log(log.path());
    INFO(joined(check.problems));
    CHECK(check.ok());
}

TEST_CASE("audit: a torn last line is sealed before the next append and reported by verify") {
    TempDir dir;
    JsonLinesAuditLog log(dir.path / "audit.log");
    sign_once(log, 0);
    std::ofstream(log.path(), std::ios::binary | std::ios::app) << R"({"seq":3,"prev":"torn by a cra)";
    const std::uint64_t intent = log.append(entry(AuditEvent::Intent, 1));
    CHECK(intent == 4);
    log.append(entry(AuditEvent::Signed, 1, 2, intent));
    const auto lines = lines_of(log.path());
    REQUIRE(lines.size() == 5);
    CHECK(lines[2] == R"({"seq":3,"prev":"torn by a cra)");
    CHECK(nlohmann::json::parse(lines[3])["seq"] == 4);
    const AuditCheck check = verify_audit_log(log.path());
    REQUIRE(check.problems.size() == 1);
    CHECK(check.problems[0] == "line 3: not an audit entry (edited or torn)");
}

TEST_CASE("audit: a log that cannot be written is an IoError naming it, before any entry") {
    TempDir dir;
    std::ofstream(dir.path / "file") << "x";
    JsonLinesAuditLog log(dir.path / "file" / "audit.log");  // a regular file where a directory should be
    try {
        log.check_ready();
        FAIL("check_ready accepted an unwritable log");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::IoError);
        CHECK(std::string(e.what()).find("file/audit.log") != std::string::npos);
    }
    CHECK_THROWS_AS(log.append(entry(AuditEvent::Intent, 0)), Error);
}

TEST_CASE("audit: a signature not written follows the signed result of its intent") {
    TempDir dir;
    const fs::path log = dir.path / "audit.log";
    JsonLinesAuditLog sink(log);
    const std::uint64_t intent = sink.append(entry(AuditEvent::Intent, 0));
    sink.append(entry(AuditEvent::Signed, 0, 1, intent));
    sink.append(entry(AuditEvent::NotWritten, 0, 1, intent));
    CHECK(verify_audit_log(log).ok());

    const std::uint64_t second = sink.append(entry(AuditEvent::Intent, 1));
    sink.append(entry(AuditEvent::NotWritten, 1, std::nullopt, second));  // no signed result: a problem
    const AuditCheck check = verify_audit_log(log);
    REQUIRE(check.problems.size() == 1);
    CHECK(check.problems[0].find("not written") != std::string::npos);
}
