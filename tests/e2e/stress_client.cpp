// One long-lived stress client (tests/e2e/stress_test.sh starts many): opens the token in READER
// through PC/SC once, like a kiosk application, then runs N card transactions on it:
//   * every SIGN_EVERY-th one a signature (KeyHandle::sign_hash: SELECT, GET DATA 6E, counter,
//     VERIFY, PSO:CDS, counter — the driver itself checks the counter step of +1), verified here
//     against the card's public key; the counter values read inside that transaction are taken from
//     the APDU trace and written to COUNTERS_FILE ("before after" per signature), so the script can
//     check that the signatures of all clients together moved the counter through every value once;
//   * the others light transactions (Token::signature_counter: SELECT + GET DATA 7A), whose value
//     must never go backwards.
// Start-up and the run are separated: after opening it prints "ready", then waits for GO_FILE, so
// every client contends from the same moment and the script can tell open-time APDUs from the run's.
//
//   stress_client READER TRANSACTIONS SIGN_EVERY GO_FILE COUNTERS_FILE CLIENT_ID
// Prints "done transactions=N signatures=S light=L failures=F max_ms=M"; each failure on stderr.
// Exit 0 iff there was no failure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "qscd/codec/tlv.hpp"
#include "qscd/error.hpp"
#include "qscd/pcsc/pcsc_token_source.hpp"
#include "qscd/signing/crypto.hpp"
#include "qscd/signing/hashing.hpp"

using namespace qscd;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string reader;
    long transactions = 0;
    long sign_every = 0;
    std::filesystem::path go_file, counters_file;
    std::string client_id;
};

std::optional<long> positive(const char* text) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) return std::nullopt;
    return value;
}

std::optional<Options> parse(int argc, char** argv) {
    if (argc != 7) return std::nullopt;
    Options o;
    o.reader = argv[1];
    const auto n = positive(argv[2]), every = positive(argv[3]);
    if (!n || !every) return std::nullopt;
    o.transactions = *n;
    o.sign_every = *every;
    o.go_file = argv[4];
    o.counters_file = argv[5];
    o.client_id = argv[6];
    return o;
}

// Watches the APDU trace for the signature counter: the response that follows a GET DATA 7A command
// (OpenPGP card 3.4 §8.2: 7A { 93 03 <counter> }). Only counters are kept, nothing else of the trace.
class CounterWatch {
public:
    void on_line(std::string_view line) {
        if (line.rfind(">> ", 0) == 0) {
            awaiting_counter_ = line.rfind(">> 00 CA 00 7A", 0) == 0;
            return;
        }
        if (!awaiting_counter_ || line.rfind("<< ", 0) != 0) return;
        awaiting_counter_ = false;
        const auto raw = from_hex(line.substr(3));
        if (!raw || raw->size() < 2) return;
        const ByteView data = ByteView(*raw).first(raw->size() - 2);
        auto counter = find_tlv_recursive(data, 0x93);
        if (!counter || counter->value.size() != 3) return;
        seen_.push_back(static_cast<std::uint32_t>(counter->value[0] << 16 | counter->value[1] << 8 | counter->value[2]));
    }
    // The counters read since the last call.
    std::vector<std::uint32_t> take() { return std::exchange(seen_, {}); }

private:
    bool awaiting_counter_ = false;
    std::vector<std::uint32_t> seen_;
};

struct Tally {
    long signatures = 0, light = 0, failures = 0;
    long long max_ms = 0;
    std::optional<std::uint32_t> last_counter;

    void fail(long transaction, const std::string& what) {
        ++failures;
        std::cerr << "transaction " << transaction << ": " << what << "\n";
    }
    // Counters seen by one client can only rise: any other client's signatures only add to them.
    void saw_counter(long transaction, std::uint32_t value) {
        if (last_counter && value < *last_counter)
            fail(transaction, "signature counter went back from " + std::to_string(*last_counter) + " to " + std::to_string(value));
        last_counter = value;
    }
};

void sign_once(KeyHandle& key, const Options& o, long i, CounterWatch& watch, std::ofstream& counters, Tally& tally) {
    const std::string document = "stress client " + o.client_id + " transaction " + std::to_string(i);
    const Bytes digest = hash_bytes(HashAlgorithm::Sha256, ByteView(reinterpret_cast<const std::uint8_t*>(document.data()), document.size()));
    HostPinPrompt pin([](const PinRequest&) { return Pin(std::string_view("123456")); });
    const Bytes signature = key.sign_hash(HashAlgorithm::Sha256, digest, pin);
    const std::vector<std::uint32_t> seen = watch.take();
    if (!verify_signature(key.attributes().public_key, key.attributes().scheme, HashAlgorithm::Sha256, digest, signature))
        return tally.fail(i, "signature does not verify");
    if (seen.size() != 2 || seen[1] != seen[0] + 1)
        return tally.fail(i, "counter inside the signing transaction: expected 2 readings one apart, saw " + std::to_string(seen.size()));
    tally.saw_counter(i, seen[0]);
    tally.saw_counter(i, seen[1]);
    counters << seen[0] << ' ' << seen[1] << '\n';
    ++tally.signatures;
}

void light_once(Token& token, long i, CounterWatch& watch, Tally& tally) {
    const auto counter = token.signature_counter();
    watch.take();
    if (!counter) return tally.fail(i, "no signature counter");
    tally.saw_counter(i, *counter);
    ++tally.light;
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (!options) {
        std::cerr << "usage: stress_client READER TRANSACTIONS SIGN_EVERY GO_FILE COUNTERS_FILE CLIENT_ID\n";
        return 2;
    }
    const Options& o = *options;
    std::unique_ptr<Token> token;
    std::shared_ptr<KeyHandle> key;
    CounterWatch watch;
    try {
        pcsc::PcscTokenSource source;
        token = source.open_matching({o.reader, std::nullopt, std::nullopt});
        key = token->key("SIG");
        token->set_trace([&watch](std::string_view line) { watch.on_line(line); });
    } catch (const Error& e) {
        std::cerr << "cannot open the token in " << o.reader << ": " << e.what() << "\n";
        return 1;
    }
    std::ofstream counters(o.counters_file);
    if (!counters) {
        std::cerr << "cannot write " << o.counters_file << "\n";
        return 1;
    }
    std::cout << "ready" << std::endl;
    while (!std::filesystem::exists(o.go_file)) std::this_thread::sleep_for(std::chrono::milliseconds(5));

    Tally tally;
    for (long i = 0; i < o.transactions; ++i) {
        const auto start = Clock::now();
        try {
            if (i % o.sign_every == 0)
                sign_once(*key, o, i, watch, counters, tally);
            else
                light_once(*token, i, watch, tally);
        } catch (const Error& e) {
            watch.take();
            tally.fail(i, std::string(to_string(e.code())) + ": " + e.what());
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        tally.max_ms = std::max<long long>(tally.max_ms, ms);
    }
    counters.close();
    std::cout << "done transactions=" << o.transactions << " signatures=" << tally.signatures << " light=" << tally.light
              << " failures=" << tally.failures << " max_ms=" << tally.max_ms << std::endl;
    return tally.failures == 0 && counters ? 0 : 1;
}
