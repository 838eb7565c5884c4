// qscd audit verify: walks the hash chain of the signing audit log.
#include <fmt/core.h>

#include "audit_log.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "session.hpp"

namespace qscd::cli {

void add_audit_commands(CLI::App& app, GlobalOptions& global) {
    auto* audit = app.add_subcommand("audit", "the signing audit log (hash-chained JSON lines; never a PIN or key)");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand("verify", "check that no line of the audit log was removed or edited");
    auto log = std::make_shared<std::string>();
    verify->add_option("--log", *log, "audit log (default: <state dir>/audit.log)");
    verify->callback([&global, log] {
        const auto path = log->empty() ? make_source(global).state_dir() / "audit.log" : std::filesystem::path(*log);
        const AuditCheck check = verify_audit_log(path);
        if (check.ok()) {
            fmt::print("{}: {} entries, chain intact\n", path.string(), check.entries);
            return;
        }
        fmt::print("{}: {} entries, chain BROKEN\n", path.string(), check.entries);
        for (const auto& p : check.problems) fmt::print("  - {}\n", p);
        throw VerificationFailed();
    });
}

}  // namespace qscd::cli
