// Row group 4: streaming document hash, one whole file per process so that bench/run.sh can read
// the process's peak RSS (/usr/bin/time): `hash FILE qscd` uses the signing core's hash_file,
// `hash FILE raw` reads 64 KiB chunks into mbedTLS SHA-256 directly. Prints MiB per CPU second
// (user + system, so reading from the page cache counts, other programs on the machine do not).
#include <fcntl.h>
#include <mbedtls/sha256.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <vector>

#include "bench_main.hpp"
#include "harness.hpp"
#include "qscd/error.hpp"
#include "qscd/signing/hashing.hpp"

namespace bench {
namespace {

void raw_sha256(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw qscd::Error(qscd::ErrorCode::IoError, "cannot open " + path);
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    mbedtls_sha256_starts(&ctx, 0);
    std::vector<unsigned char> buf(64 * 1024);
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) mbedtls_sha256_update(&ctx, buf.data(), static_cast<size_t>(n));
    unsigned char out[32];
    mbedtls_sha256_finish(&ctx, out);
    mbedtls_sha256_free(&ctx);
    ::close(fd);
}

}  // namespace

int run_hash(const Options& o) {
    if (o.args.size() != 2 || (o.args[1] != "qscd" && o.args[1] != "raw")) {
        std::fprintf(stderr, "usage: qscd_bench hash FILE qscd|raw\n");
        return 2;
    }
    const std::string& path = o.args[0];
    const auto cpu_seconds = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    };
    const double start = cpu_seconds();
    if (o.args[1] == "qscd") (void)qscd::hash_file(qscd::HashAlgorithm::Sha256, path);
    else raw_sha256(path);
    const double s = cpu_seconds() - start;
    metric("hash." + o.args[1], static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0) / s);
    return 0;
}

}  // namespace bench
