// qscd — sign documents with a smart card or a simulated signature card.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <mbedtls/version.h>

#include <cstdio>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "qscd/error.hpp"

#if MBEDTLS_VERSION_NUMBER < 0x03060000
#error "qscd needs mbedTLS 3.6 LTS or newer (run: make deps)"
#endif

int main(int argc, char** argv) {
    using namespace qscd;
    if (mbedtls_version_get_number() < 0x03060000) {
        fmt::print(stderr, "qscd: linked against mbedTLS older than 3.6; run `make deps` and rebuild\n");
        return cli::kExitFailure;
    }

    CLI::App app{"qscd — electronic signatures with smart cards and a simulated signature card"};
    app.require_subcommand(1);
    app.footer(cli::kExitCodeHelp);
    cli::GlobalOptions global;
    app.add_option("--state", global.state_dir, "simulator state directory (default: $QSCD_SIM_DIR, else $XDG_DATA_HOME/qscd/sim)");
    app.add_flag("--trace", global.trace, "print every APDU to stderr (PINs and keys shown as REDACTED)");

    cli::add_token_commands(app, global);
    cli::add_sim_commands(app, global);
    cli::add_sign_command(app, global);
    cli::add_verify_command(app, global);
    cli::add_pin_commands(app, global);
    cli::add_reader_commands(app, global);
    cli::add_audit_commands(app, global);
    cli::add_pki_commands(app, global);
    cli::add_kiosk_command(app, global);

    try {
        app.parse(argc, argv);
        return cli::kExitOk;
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return cli::kExitUsage;
    } catch (const cli::VerificationFailed& e) {
        return cli::kExitInvalidSignature;  // the report was already printed
    } catch (const Error& e) {
        fmt::print(stderr, "qscd: {}\n", e.what());
        return cli::exit_code_for(e.code());
    } catch (const std::exception& e) {
        fmt::print(stderr, "qscd: {}\n", e.what());
        return cli::kExitFailure;
    }
}
