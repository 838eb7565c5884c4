// The token options every subcommand shares (--token, --reader, --serial, --label, --exclusive) and
// the token directory they choose from (qscd::TokenDirectory: simulated tokens and PC/SC readers).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "qscd/token_discovery.hpp"

namespace qscd::cli {

// Adds --token/-t, --reader, --serial, --label, --exclusive to `cmd`.
void add_token_options(CLI::App* cmd, TokenChoice& choice);

// The directory of --state (else the default state directory) and the PC/SC readers.
TokenDirectory token_directory(const GlobalOptions& global);

// Opens the chosen token (with --trace, its APDUs go to stderr, secrets REDACTED).
std::unique_ptr<Token> open_token(const GlobalOptions& global, const TokenChoice& choice);

// The intermediates to embed in a CAdES signature: the PEM file `chain` if given; else the local test
// PKI's issuing CA when it issued the signer's certificate of `key_id` (verifiers holding only the root
// can then build the chain).
std::vector<Bytes> chain_for(const GlobalOptions& global, const std::string& chain, Token& token, const std::string& key_id = "SIG");

}  // namespace qscd::cli
