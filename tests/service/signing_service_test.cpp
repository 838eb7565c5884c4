// SigningService against simulated tokens in a temporary state directory: the order of the workflow
// (audit intent before the PIN, audit result before the output), what reaches the audit log for
// refusals and failures, digests computed elsewhere, and batches.
#include <catch2/catch.hpp>

#include <sstream>
#include <streambuf>

#include "qscd/audit.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/signing_service.hpp"
#include "qscd/simulated_token.hpp"
#include "qscd/token_discovery.hpp"
#include "signing_test_support.hpp"

using namespace qscd;
using qscd::test::TempDir;

namespace {

// Records every entry; `ready` false makes check_ready fail like an unwritable log.
class RecordingSink final : public AuditSink {
public:
    void check_ready() override {
        if (!ready) throw Error(ErrorCode::IoError, "audit log not writable");
    }
    std::uint64_t append(const AuditEntry& entry) override {
        entries.push_back(entry);
        return entries.size();
    }
    std::vector<AuditEntry> entries;
    bool ready = true;
};

// A host prompt that notes how many audit entries existed when the PIN was asked.
struct CountingPrompt {
    explicit CountingPrompt(const RecordingSink& sink, std::string pin = "123456")
        : entry([this, &sink](const PinRequest& request) {
              entries_seen.push_back(sink.entries.size());
              purposes.push_back(request.purpose);
              return Pin(pin_);
          }),
          pin_(std::move(pin)) {}
    HostPinPrompt entry;
    std::vector<std::size_t> entries_seen;
    std::vector<std::string> purposes;

private:
    std::string pin_;
};

// An output stream that notes how many audit entries existed when the signature arrived, or fails.
class ProbeBuffer final : public std::streambuf {
public:
    ProbeBuffer(const RecordingSink& sink, bool fail) : sink_(sink), fail_(fail) {}
    std::size_t entries_at_write = 0;
    std::string written;

protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        if (fail_) return 0;
        entries_at_write = sink_.entries.size();
        written.append(s, static_cast<std::size_t>(n));
        return n;
    }
    int overflow(int c) override { return fail_ ? traits_type::eof() : c; }

private:
    const RecordingSink& sink_;
    bool fail_;
};

struct Fixture {
    explicit Fixture(SimulatedTokenOptions options = {}) {
        options.name = "alice";
        create_simulated_token(dir.path(), options);
        token = TokenDirectory(dir.path()).open(TokenChoice{.name = "alice"});
        qscd::test::write_text(dir / "contract.txt", "a contract\n");
    }
    std::uint32_t counter() { return *token->signature_counter(); }

    TempDir dir;
    std::unique_ptr<Token> token;
};

SignRequest document_request(const std::filesystem::path& document, SignOutput output) {
    SignRequest r;
    r.subject = DocumentFile{document};
    r.output = std::move(output);
    return r;
}

}  // namespace

TEST_CASE("sign: intent before the PIN, result before the output, counters from the signing transaction") {
    Fixture f;
    RecordingSink sink;
    CountingPrompt prompt(sink);
    SigningService service(*f.token, sink, prompt.entry);
    ProbeBuffer probe(sink, false);
    std::ostream out(&probe);
    const std::uint32_t before = f.counter();

    const SignOutcome done = service.sign(document_request(f.dir / "contract.txt", OutputStream{&out, "probe"}));

    REQUIRE(sink.entries.size() == 2);
    CHECK(sink.entries[0].event == AuditEvent::Intent);
    CHECK(sink.entries[1].event == AuditEvent::Signed);
    CHECK(sink.entries[1].intent == std::optional<std::uint64_t>(1));
    CHECK(prompt.entries_seen == std::vector<std::size_t>{1});  // the PIN was asked after the intent
    CHECK(probe.entries_at_write == 2);                         // the output after the result
    CHECK(Bytes(probe.written.begin(), probe.written.end()) == done.signature);
    REQUIRE(done.counter);
    CHECK(done.counter->before == before);
    CHECK(done.counter->after == before + 1);
    CHECK(sink.entries[1].counter_before == before);
    CHECK(sink.entries[1].counter_after == before + 1);
    CHECK(done.audit_sequence == 2);
    CHECK(prompt.purposes.at(0).find("contract.txt") != std::string::npos);
    CHECK(sink.entries[1].document_hash == to_hex(hash_file(HashAlgorithm::Sha256, f.dir / "contract.txt"), ""));
}

TEST_CASE("sign: a policy refusal is logged and the card is never asked") {
    SimulatedTokenOptions options;
    options.certificate = SimulatedCertificate::NonQualifiedNaturalPerson;
    Fixture f(options);
    RecordingSink sink;
    CountingPrompt prompt(sink);
    SigningService service(*f.token, sink, prompt.entry);
    const std::uint32_t before = f.counter();
    SignRequest request = document_request(f.dir / "contract.txt", OutputFile{f.dir / "contract.p7s"});
    request.level = SignatureLevel::Qes;

    REQUIRE_THROWS_MATCHES(service.sign(request), Error, Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::PolicyViolation; }));
    REQUIRE(sink.entries.size() == 1);
    CHECK(sink.entries[0].event == AuditEvent::Refused);
    CHECK(sink.entries[0].detail.find("qc") != std::string::npos);
    CHECK(prompt.entries_seen.empty());
    CHECK(f.counter() == before);
    CHECK_FALSE(std::filesystem::exists(f.dir / "contract.p7s"));
}

TEST_CASE("sign: an output that cannot be written is refused before the PIN, and logged") {
    Fixture f;
    RecordingSink sink;
    CountingPrompt prompt(sink);
    SigningService service(*f.token, sink, prompt.entry);
    const std::uint32_t before = f.counter();

    CHECK_THROWS_AS(service.sign(document_request(f.dir / "contract.txt", OutputFile{f.dir / "no-such-dir" / "x.p7s"})), Error);
    CHECK_THROWS_AS(service.sign(document_request(f.dir / "contract.txt", OutputFile{f.dir / "contract.txt", true})), Error);
    REQUIRE(sink.entries.size() == 2);
    CHECK(sink.entries[0].event == AuditEvent::Refused);
    CHECK(sink.entries[1].event == AuditEvent::Refused);
    CHECK(prompt.entries_seen.empty());
    CHECK(f.counter() == before);
}

TEST_CASE("sign: an audit sink that cannot take entries stops the signature before the card") {
    Fixture f;
    RecordingSink sink;
    sink.ready = false;
    CountingPrompt prompt(sink);
    SigningService service(*f.token, sink, prompt.entry);
    const std::uint32_t before = f.counter();
    CHECK_THROWS_AS(service.sign(document_request(f.dir / "contract.txt", OutputInMemory{})), Error);
    CHECK(prompt.entries_seen.empty());
    CHECK(f.counter() == before);
}

TEST_CASE("sign: an output that fails after the signature is logged as not written, after the result") {
    Fixture f;
    RecordingSink sink;
    CountingPrompt prompt(sink);
    SigningService service(*f.token, sink, prompt.entry);
    ProbeBuffer probe(sink, true);
    std::ostream out(&probe);

    CHECK_THROWS_AS(service.sign(document_request(f.dir / "contract.txt", OutputStream{&out, "broken"})), Error);
    REQUIRE(sink.entries.size() == 3);
    CHECK(sink.entries[0].event == AuditEvent::Intent);
    CHECK(sink.entries[1].event == AuditEvent::Signed);
    CHECK(sink.entries[2].event == AuditEvent::NotWritten);
    CHECK(sink.entries[2].intent == std::optional<std::uint64_t>(1));
}

TEST_CASE("sign: a wrong PIN is a failed result answering the intent") {
    Fixture f;
    RecordingSink sink;
    CountingPrompt prompt(sink, "000000");
    SigningService service(*f.token, sink, prompt.entry);
    REQUIRE_THROWS_MATCHES(service.sign(document_request(f.dir / "contract.txt", OutputInMemory{})), Error,
                           Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::WrongPin && e.tries_left() == 2; }));
    REQUIRE(sink.entries.size() == 2);
    CHECK(sink.entries[1].event == AuditEvent::Failed);
    CHECK(sink.entries[1].intent == std::optional<std::uint64_t>(1));
    CHECK(sink.entries[1].detail.find("2 tries left") != std::string::npos);
}

TEST_CASE("sign: a digest computed elsewhere, raw and CAdES — the log says the document was not seen") {
    Fixture f;
    RecordingSink sink;
    CountingPrompt prompt(sink);
    SigningService service(*f.token, sink, prompt.entry);
    const Bytes digest = hash_file(HashAlgorithm::Sha256, f.dir / "contract.txt");
    const auto handle = f.token->key("SIG");  // the handle owns the attributes
    const KeyAttributes& key = handle->attributes();

    SignRequest raw;
    raw.subject = PrecomputedDigest{HashAlgorithm::Sha256, digest};
    raw.format = SignatureFormat::Raw;
    const SignOutcome r = service.sign(raw);
    CHECK(verify_signature(key.public_key, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, digest, ecdsa_der_to_raw(r.signature, 32)));
    CHECK_FALSE(sink.entries.back().document_seen);

    SignRequest cades = raw;
    cades.format = SignatureFormat::Cades;
    const SignOutcome c = service.sign(cades);
    const VerificationReport report = verify_cades_detached(c.signature, f.dir / "contract.txt", {});
    CHECK(report.signers.at(0).signature.ok);
    CHECK(report.signers.at(0).message_digest.ok);

    SignRequest short_digest = raw;
    short_digest.subject = PrecomputedDigest{HashAlgorithm::Sha384, digest};
    CHECK_THROWS_AS(service.sign(short_digest), Error);
    CHECK(sink.entries.back().event == AuditEvent::Refused);
}

TEST_CASE("sign: a document name that is not UTF-8 cannot stop the log after a signature") {
    Fixture f;
    const std::filesystem::path odd = f.dir / std::string("caf\xE9.txt");
    qscd::test::write_text(odd, "latin-1 name\n");
    JsonLinesAuditLog log(f.dir / "audit.log");
    HostPinPrompt pin([](const PinRequest&) { return Pin("123456"); });
    SigningService service(*f.token, log, pin);
    const SignOutcome done = service.sign(document_request(odd, OutputFile{f.dir / "odd.p7s"}));
    CHECK(std::filesystem::exists(f.dir / "odd.p7s"));
    const AuditCheck check = verify_audit_log(f.dir / "audit.log");
    CHECK(check.ok());
    CHECK(check.entries == 2);
    const Bytes text = qscd::test::read_all(f.dir / "audit.log");
    CHECK(std::string(text.begin(), text.end()).find("caf\\\\xE9.txt") != std::string::npos);  // JSON "caf\\xE9.txt"
    CHECK(done.audit_sequence == 2);
}

TEST_CASE("sign_batch: one PIN, consecutive counters per document — refused where the card wants a PIN per signature") {
    SECTION("session PIN policy") {
        SimulatedTokenOptions options;
        options.pin_policy = PinPolicy::Session;
        Fixture f(options);
        for (int i = 0; i < 3; ++i) qscd::test::write_text(f.dir / ("b" + std::to_string(i)), "doc " + std::to_string(i));
        RecordingSink sink;
        CountingPrompt prompt(sink);
        SigningService service(*f.token, sink, prompt.entry);
        std::vector<SignRequest> requests;
        for (int i = 0; i < 3; ++i) requests.push_back(document_request(f.dir / ("b" + std::to_string(i)), OutputFile{f.dir / ("b" + std::to_string(i) + ".p7s")}));
        std::size_t shown = 0;
        const std::uint32_t before = f.counter();
        const auto done = service.sign_batch(requests, [&](const std::vector<BatchItem>& items) { shown = items.size(); });
        CHECK(shown == 3);
        CHECK(prompt.entries_seen == std::vector<std::size_t>{3});  // one PIN, after the three intents
        REQUIRE(done.size() == 3);
        for (std::size_t i = 0; i < 3; ++i) {
            CHECK(done[i].counter->before == before + i);
            CHECK(done[i].counter->after == before + i + 1);
            CHECK(std::filesystem::exists(f.dir / ("b" + std::to_string(i) + ".p7s")));
        }
        CHECK(f.counter() == before + 3);
    }
    SECTION("per-signature PIN policy") {
        Fixture f;
        RecordingSink sink;
        CountingPrompt prompt(sink);
        SigningService service(*f.token, sink, prompt.entry);
        std::vector<SignRequest> requests{document_request(f.dir / "contract.txt", OutputInMemory{})};
        CHECK_THROWS_AS(service.sign_batch(requests, {}), Error);
        REQUIRE(sink.entries.size() == 1);
        CHECK(sink.entries[0].event == AuditEvent::Refused);
        CHECK(prompt.entries_seen.empty());
    }
}

TEST_CASE("sign: QES with the PIN pad required is refused before any PIN, for a host prompt and for a reader without a PIN pad") {
    Fixture f;  // a simulated token: no reader, so no PIN pad
    RecordingSink sink;
    CountingPrompt prompt(sink);
    const std::uint32_t before = f.counter();
    SignRequest request = document_request(f.dir / "contract.txt", OutputFile{f.dir / "contract.p7s"});
    request.level = SignatureLevel::Qes;
    request.pin_pad_required_for_qes = true;
    auto refused_for = [](const std::string& what) {
        return Catch::Predicate<Error>([what](const Error& e) {
            return e.code() == ErrorCode::PolicyViolation && std::string(e.what()).find(what) != std::string::npos;
        });
    };

    SigningService host(*f.token, sink, prompt.entry);
    REQUIRE_THROWS_MATCHES(host.sign(request), Error, refused_for("pin pad: QES requires the PIN typed on the reader's PIN pad"));
    CHECK(prompt.entries_seen.empty());  // no PIN asked

    ReaderPinPad keypad;
    SigningService pad(*f.token, sink, keypad);
    REQUIRE_THROWS_MATCHES(pad.sign(request), Error, refused_for("pin pad: QES requires a reader with a PIN pad"));

    REQUIRE(sink.entries.size() == 2);
    CHECK(sink.entries[0].event == AuditEvent::Refused);
    CHECK(sink.entries[1].event == AuditEvent::Refused);
    CHECK(f.counter() == before);
    CHECK_FALSE(std::filesystem::exists(f.dir / "contract.p7s"));

    // Below QES, or without the requirement, the host prompt signs as before.
    request.level = SignatureLevel::Ades;
    CHECK_NOTHROW(host.sign(request));
    request.level = SignatureLevel::Qes;
    request.pin_pad_required_for_qes = false;
    request.output = OutputInMemory{};
    CHECK_NOTHROW(host.sign(request));
    CHECK(f.counter() == before + 2);
}
