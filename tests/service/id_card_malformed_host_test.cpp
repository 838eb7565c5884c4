// Malformed and refusing answers to the ID-card host driver: the simulated Estonian card answers truthfully
// except to one target command, whose answer is rewritten (empty, one byte, each refusal status word,
// success without data, the real data cut short, garbage). Every case must end in success or a typed
// qscd::Error, never another exception or a crash, within a bounded number of APDUs.
#include <catch2/catch.hpp>

#include <functional>

#include "qscd/error.hpp"
#include "qscd/signing/hashing.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "qscd/simulated_token.hpp"
#include "qscd/token_source.hpp"
#include "signing_test_support.hpp"

using namespace qscd;
using qscd::test::TempDir;

namespace {

// The real card, with one command's answer rewritten.
class Intercepting final : public Transport {
public:
    using Rewrite = std::function<std::optional<Bytes>(ByteView command, const Bytes& truthful)>;
    explicit Intercepting(std::unique_ptr<Transport> inner) : inner_(std::move(inner)) {}
    Bytes transmit(ByteView command) override {
        ++*transmits;
        Bytes answer = inner_->transmit(command);
        if (rewrite)
            if (auto r = rewrite(command, answer)) return *r;
        return answer;
    }
    void begin_transaction() override { inner_->begin_transaction(); }
    void end_transaction() noexcept override { inner_->end_transaction(); }
    void reset_card_on_close() noexcept override { inner_->reset_card_on_close(); }
    Bytes atr() const override { return inner_->atr(); }
    std::string description() const override { return inner_->description(); }

    Rewrite rewrite;
    std::shared_ptr<int> transmits = std::make_shared<int>(0);  // outlives the transport (owned by the token)

private:
    std::unique_ptr<Transport> inner_;
};

struct Target {
    std::string name;
    std::uint8_t ins, p1, p2;
    std::function<void(Token&)> act;  // on an opened token; empty: the target is open_card itself
};

std::vector<Bytes> mutations(const Bytes& truthful) {
    std::vector<Bytes> out = {Bytes{}, Bytes{0x90}};
    for (std::uint16_t sw : {0x6A80, 0x6982, 0x6983, 0x6700, 0x6F00, 0x63C1, 0x63C0, 0x6282, 0x6A82, 0x6985, 0x9000})
        out.push_back({static_cast<std::uint8_t>(sw >> 8), static_cast<std::uint8_t>(sw)});
    if (truthful.size() > 2) {
        Bytes half(truthful.begin(), truthful.begin() + static_cast<std::ptrdiff_t>((truthful.size() - 2) / 2));
        half.insert(half.end(), {0x90, 0x00});
        out.push_back(half);
    }
    Bytes garbage(300, 0xA5);
    garbage.insert(garbage.end(), {0x90, 0x00});
    out.push_back(garbage);
    return out;
}

}  // namespace

TEST_CASE("the ID-card driver survives every rewritten answer with a typed error", "[idcard][malformed]") {
    TempDir dir;
    SimulatedTokenOptions options;
    options.name = "est";
    options.card = "estonian-id";
    create_simulated_token(dir.path(), options);
    sim::SimulatorStore store(dir.path());

    const Bytes digest = hash_bytes(HashAlgorithm::Sha384, as_bytes("doc"));
    auto sign = [&](Token& t) { (void)t.key("SIG")->sign_hash(HashAlgorithm::Sha384, digest, *std::make_unique<HostPinPrompt>([](const PinRequest&) { return Pin("12345"); })); };
    auto authenticate = [&](Token& t) { (void)t.key("AUT")->sign_hash(HashAlgorithm::Sha384, digest, *std::make_unique<HostPinPrompt>([](const PinRequest&) { return Pin("1234"); })); };
    const std::vector<Target> targets = {
        {"open: SELECT main", 0xA4, 0x04, 0x0C, {}},
        {"keys: READ BINARY", 0xB0, 0x00, 0x00, [](Token& t) { (void)t.keys(); }},
        {"keys: SELECT certificate", 0xA4, 0x09, 0x0C, [](Token& t) { (void)t.keys(); }},
        {"info: READ BINARY", 0xB0, 0x00, 0x00, [](Token& t) { (void)t.info(); }},
        {"pins: GET DATA", 0xCB, 0x3F, 0xFF, [](Token& t) { (void)t.pin_status(); }},
        {"sign: GET DATA", 0xCB, 0x3F, 0xFF, sign},
        {"sign: MSE SET", 0x22, 0x41, 0xB6, sign},
        {"sign: VERIFY", 0x20, 0x00, 0x85, sign},
        {"sign: PSO:CDS", 0x2A, 0x9E, 0x9A, sign},
        {"authenticate: INTERNAL AUTHENTICATE", 0x88, 0x00, 0x00, authenticate},
        {"change: CHANGE REFERENCE DATA", 0x24, 0x00, 0x01, [](Token& t) { t.change_pin(PinRole::AuthenticationPin, Pin("1234"), Pin("1234")); }},
        {"unblock: RESET RETRY COUNTER", 0x2C, 0x02, 0x85, [](Token& t) { t.reset_pin(PinRole::SignaturePin, PinRole::Puk, Pin("17258403"), Pin("12345")); }},
    };
    int cases = 0;
    for (const Target& target : targets) {
        // The truthful answer to the target, to cut short.
        Bytes truthful;
        {
            auto probe = std::make_unique<Intercepting>(store.open("est"));
            auto* p = probe.get();
            p->rewrite = [&](ByteView c, const Bytes& real) -> std::optional<Bytes> {
                if (c.size() >= 4 && c[1] == target.ins && c[2] == target.p1 && c[3] == target.p2 && truthful.empty()) truthful = real;
                return std::nullopt;
            };
            auto token = open_card(std::move(probe), "est");
            if (target.act) target.act(*token);
        }
        INFO(target.name);
        CHECK(truthful.size() >= 2);  // the flow really sends the target command
        for (const Bytes& answer : mutations(truthful)) {
            INFO(target.name << " answered " << to_hex(answer));
            auto transport = std::make_unique<Intercepting>(store.open("est"));
            const std::shared_ptr<int> transmits = transport->transmits;
            bool armed = !target.act;
            transport->rewrite = [&](ByteView c, const Bytes&) -> std::optional<Bytes> {
                if (armed && c.size() >= 4 && c[1] == target.ins && c[2] == target.p1 && c[3] == target.p2) return answer;
                return std::nullopt;
            };
            try {
                std::unique_ptr<Token> token = open_card(std::move(transport), "est");
                if (target.act) {
                    if (target.name.rfind("sign", 0) == 0 || target.name.rfind("authenticate", 0) == 0) (void)token->keys();
                    armed = true;
                    target.act(*token);
                }
            } catch (const Error&) {
                // a typed error: what the driver owes
            } catch (const std::exception& e) {
                FAIL("untyped exception: " << e.what());
            }
            CHECK(*transmits < 200);
            ++cases;
        }
    }
    CHECK(cases > 100);
}
