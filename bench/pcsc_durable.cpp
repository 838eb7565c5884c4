// Issue 15 target (row group 2): VERIFY + PSO:CDS, P-256, through pcscd + vpcd + qscd-sim with DURABLE state
// (qscd-sim without QSCD_SIM_DURABILITY), beside the model of the same run
//   raw mbedTLS P-256 signature + 2 × the measured APDU round trip + one measured fdatasync,
// the fdatasync being what one commit of the card's state file costs: a 2 KiB pwrite into a preallocated
// file of the slot layout's size, in the state directory (same disk), then fdatasync.
// `pcsc-durable READER STATE_DIR` (run.sh runs it inside the private pcscd after the relaxed rows).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "bench_main.hpp"
#include "harness.hpp"
#include "qscd/pcsc/card_connection.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/context.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/file_storage.hpp"
#include "raw_signer.hpp"

using namespace qscd;

namespace bench {

int run_pcsc_durable(const Options& o) {
    if (o.args.size() != 2) {
        std::fprintf(stderr, "usage: qscd_bench pcsc-durable READER STATE_DIR\n");
        return 2;
    }
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, as_bytes("qscd PC/SC durable benchmark"));
    RawSigner raw(KeyType::EcP256);
    pcsc::Context context;
    auto expect = [](const Bytes& response, const char* what) {
        if (response.size() < 2 || response[response.size() - 2] != 0x90) {
            std::fprintf(stderr, "pcsc-durable: %s failed\n", what);
            std::exit(1);
        }
    };
    // The daemon was just restarted: the first exchanges may meet the card's power-up (reset) and fail.
    const Bytes select = {0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x00};
    std::unique_ptr<pcsc::CardConnection> connection;
    for (int attempt = 0;; ++attempt) {
        try {
            connection = std::make_unique<pcsc::CardConnection>(context, o.args[0], pcsc::ShareMode::Shared,
                                                                pcsc::Disposition::Leave);
            Transaction t(*connection);
            expect(connection->transmit(select), "SELECT");
            break;
        } catch (const Error&) {
            if (attempt == 20) throw;
            ::usleep(50000);
        }
    }
    pcsc::CardConnection& card = *connection;
    Transaction held(card);  // one session: SELECT once, then only the two APDUs are timed
    expect(card.transmit(select), "SELECT");
    const Bytes verify = {0x00, 0x20, 0x00, 0x81, 0x06, '1', '2', '3', '4', '5', '6'};
    Bytes pso(5 + 32 + 1, 0x00);  // 00 2A 9E 9A 20 <SHA-256> 00
    pso[1] = 0x2A;
    pso[2] = 0x9E;
    pso[3] = 0x9A;
    pso[4] = 0x20;
    std::copy(digest.begin(), digest.end(), pso.begin() + 5);
    const Bytes get_pw_status = {0x00, 0xCA, 0x00, 0xC4, 0x00};

    // One commit's disk cost: a preallocated file of the slot layout's size, 2 KiB rewritten in place.
    const std::string probe = o.args[1] + "/.fdatasync-probe";
    const int fd = ::open(probe.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return 1;
    std::vector<std::uint8_t> block(sim::FileStorage::kFileSize, 0);
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) || ::fsync(fd) != 0) return 1;
    std::uint8_t counter = 0;

    const auto us = interleaved_us(
        o.passes, o.rounds,
        {[&] { raw.sign(digest); },
         [&] { (void)card.transmit(get_pw_status); },
         [&] {
             block[0] = ++counter;
             if (::pwrite(fd, block.data(), 2048, 4096) != 2048 || ::fdatasync(fd) != 0) std::exit(1);
         },
         [&] {
             expect(card.transmit(verify), "VERIFY");
             expect(card.transmit(pso), "PSO:CDS");
         }});
    ::close(fd);
    ::unlink(probe.c_str());
    metric("pcsc.durable.raw_sign_us", us[0]);
    metric("pcsc.durable.rtt_us", us[1]);
    metric("pcsc.durable.fdatasync_us", us[2]);
    metric("pcsc.durable.verify_pso_us", us[3]);
    metric("pcsc.durable.model_us", us[0] + 2 * us[1] + us[2]);
    return 0;
}

}  // namespace bench
