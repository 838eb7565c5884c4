// The README's "Signing from C++" example as a downstream program, built against the installed package
// with its public headers only: a simulated token in a temporary state directory, a CAdES-B-B signature
// through SigningService (policy gate, audit log, PIN entry, counter check, self-check, atomic output),
// then the audit log and the signature verified.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "qscd/audit.hpp"
#include "qscd/signing/cades_verify.hpp"
#include "qscd/signing_service.hpp"
#include "qscd/simulated_token.hpp"
#include "qscd/token_discovery.hpp"

using namespace qscd;

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::filesystem::path dir = argv[1];
    std::ofstream("contract.txt") << "a contract\n";
    // What `qscd sim create --name alice` does: a TEST card, its key generated on the card, a TEST
    // qualified certificate from the local test PKI.
    const SimulatedTokenSummary card = create_simulated_token(dir, {.name = "alice"});

    // The README example.
    TokenDirectory tokens(dir);                                  // simulated tokens and PC/SC readers
    auto token = tokens.open({.name = "alice"});                 // or {.reader = "..."}, {.serial = "..."}
    JsonLinesAuditLog audit(dir / "audit.log");                  // hash-chained, never a PIN
    HostPinPrompt pin([](const PinRequest&) { return Pin("123456"); });  // your dialog; or ReaderPinPad
    SigningService service(*token, audit, pin);

    SignRequest request;
    request.subject = DocumentFile{"contract.txt"};
    request.level = SignatureLevel::Qes;                         // refused before the PIN if the certificate is not qualified
    request.output = OutputFile{"contract.txt.p7s"};             // written atomically, after the audit entry
    request.chain = read_certificates(card.issuing_ca);          // intermediates to embed
    const SignOutcome done = service.sign(request);
    std::printf("signed %s -> %s, card counter %u -> %u, audit entry %llu\n", done.subject.c_str(), done.output.c_str(),
                done.counter->before, done.counter->after, static_cast<unsigned long long>(done.audit_sequence));

    const AuditCheck log = verify_audit_log(dir / "audit.log");
    const VerificationReport report =
        verify_cades_detached(done.signature, std::filesystem::path("contract.txt"), read_certificates(card.trust_root));
    const bool trusted = log.ok() && report.valid && report.signers.at(0).chain_checked;
    std::printf("%s: %s; audit log %s\n", trusted ? "VALID" : "INVALID", report.signers.at(0).signer_subject.c_str(),
                log.ok() ? "intact" : "NOT intact");
    return trusted ? 0 : 1;
}
