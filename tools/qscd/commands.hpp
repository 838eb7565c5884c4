// The qscd subcommands. Each registers its options on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "qscd/pin_entry.hpp"
#include "qscd/token.hpp"

namespace qscd::cli {

// Options every subcommand shares.
struct GlobalOptions {
    std::optional<std::string> state_dir;  // --state
    bool trace = false;                    // --trace: APDUs to stderr, secrets REDACTED
};

void add_token_commands(CLI::App& app, GlobalOptions& global);   // token list, info
void add_sim_commands(CLI::App& app, GlobalOptions& global);     // sim create, sim list
void add_sign_command(CLI::App& app, GlobalOptions& global);     // sign
void add_verify_command(CLI::App& app, GlobalOptions& global);   // verify
void add_pin_commands(CLI::App& app, GlobalOptions& global);     // pin change, pin unblock, pin status
void add_reader_commands(CLI::App& app, GlobalOptions& global);  // readers, watch
void add_audit_commands(CLI::App& app, GlobalOptions& global);   // audit verify
void add_pki_commands(CLI::App& app, GlobalOptions& global);     // pki show, pki issue
void add_kiosk_command(CLI::App& app, GlobalOptions& global);    // kiosk

// "PIN1 3 tries left, PIN2 BLOCKED, PUK 3 tries left": a national ID card's PINs in one line
// (token list, readers).
std::string pin_tries_summary(const std::vector<PinStatus>& pins);

}  // namespace qscd::cli
