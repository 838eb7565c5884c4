// qscd audit verify: walks the hash chain of the signing audit log.
#include <fmt/core.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "qscd/audit.hpp"
#include "qscd/signing/hashing.hpp"
#include "session.hpp"

namespace qscd::cli {

void add_audit_commands(CLI::App& app, GlobalOptions& global) {
    auto* audit = app.add_subcommand("audit", "the signing audit log (hash-chained JSON lines; never a PIN or key)");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand("verify", "check that no line of the audit log was removed or edited");
    auto log = std::make_shared<std::string>();
    auto choice = std::make_shared<TokenChoice>();
    verify->add_option("--log", *log, "audit log (default: <state dir>/audit.log)");
    add_token_options(verify, *choice);
    verify->footer("With a token (--token/--reader/--serial/--label), the card's own signature counter is compared with the\n"
                   "log's last entry for it: the only way to see entries cut off the end of the log.");
    verify->callback([&global, log, choice] {
        const auto path = log->empty() ? token_directory(global).simulator_dir() / "audit.log" : std::filesystem::path(*log);
        AuditCheck check = verify_audit_log(path);
        const bool with_token = !choice->empty();
        if (with_token) {
            const auto token = open_token(global, *choice);
            const std::string serial = token->info().serial;
            const auto counter = token->signature_counter();
            if (!counter) throw Error(ErrorCode::NotSupported, "token " + serial + " has no signature counter to compare with");
            const Bytes certificate = token->key("SIG")->attributes().certificate;
            check_audit_tail(check, serial, certificate.empty() ? "" : to_hex(hash_bytes(HashAlgorithm::Sha256, certificate), ""), *counter);
            fmt::print("token {}: card signature counter {}\n", serial, *counter);
        }
        // Unfinished attempts are notes, not failures: the program ended between asking the card and
        // logging the outcome (a kill, a crash); each may have cost the card one count.
        const auto print_unfinished = [&] {
            for (const auto& note : check.unfinished) fmt::print("  note: {}\n", note);
        };
        if (check.ok()) {
            fmt::print("{}: {} entries, chain intact\n", path.string(), check.entries);
            print_unfinished();
            return;
        }
        fmt::print("{}: {} entries, NOT intact\n", path.string(), check.entries);
        for (const auto& p : check.problems) fmt::print("  - {}\n", p);
        print_unfinished();
        throw VerificationFailed();
    });
}

}  // namespace qscd::cli
