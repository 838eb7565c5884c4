// qscd_bench SUBCOMMAND [--passes N] [--rounds N] [ARGS...]: prints METRIC lines (harness.hpp).
#include "bench_main.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "qscd/error.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: qscd_bench sign|cades|hash|pcsc|pcsc-durable|durability [--passes N] [--rounds N] [ARGS...]\n");
        return 2;
    }
    bench::Options o;
    for (int i = 2; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--passes") && i + 1 < argc) o.passes = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) o.rounds = std::atoi(argv[++i]);
        else o.args.emplace_back(argv[i]);
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "sign") return bench::run_inprocess_sign(o);
        if (cmd == "cades") return bench::run_cades(o);
        if (cmd == "hash") return bench::run_hash(o);
        if (cmd == "pcsc") return bench::run_pcsc(o);
        if (cmd == "pcsc-durable") return bench::run_pcsc_durable(o);
        if (cmd == "durability") return bench::run_durability(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "qscd_bench %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
    std::fprintf(stderr, "qscd_bench: unknown subcommand '%s'\n", cmd.c_str());
    return 2;
}
