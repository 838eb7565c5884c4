// The qscd_bench subcommands (one file each); see bench/run.sh for how they are combined.
#pragma once

#include <string>
#include <vector>

namespace bench {

struct Options {
    int passes = 3;                 // interleaved passes; figures are medians of per-pass medians
    int rounds = 15;                // timed calls per pass
    std::vector<std::string> args;  // subcommand arguments
};

int run_inprocess_sign(const Options& o);  // sign: group 1
int run_cades(const Options& o);           // cades: group 5
int run_hash(const Options& o);            // hash FILE qscd|raw: group 4
int run_pcsc_durable(const Options& o);    // pcsc-durable READER STATE_DIR: the issue 15 target (inside pcscd)
int run_pcsc(const Options& o);            // pcsc READER SESSION_READER: group 2 (inside pcscd)
int run_durability(const Options& o);      // durability DIR: group 7

}  // namespace bench
