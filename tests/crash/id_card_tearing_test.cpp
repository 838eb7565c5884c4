// Tearing for the simulated ID card (issue 13): the ID applet uses the shared PIN object
// (simulator/card/src/pin_object.cpp), which commits the decremented retry counter BEFORE it compares.
// A wrong PIN2, a wrong old PIN1 in CHANGE REFERENCE DATA and a wrong PUK in RESET RETRY COUNTER are cut
// at every storage call under every loss model: an answer that reveals the comparison (63Cx) implies the
// decrement is durable; a cut before that reveals nothing (6581); the state always loads.
#include <cstdio>

#include "../integration/id_card_test_support.hpp"
#include "card_rig.hpp"

using namespace crash;
using idtest::block;
using idtest::cmd;

namespace {

// An ID card on the file `path`, through `ops` (a trial) or a disk that never fails (the restart).
class IdFileCard {
public:
    IdFileCard(const fs::path& path, qscd::sim::FileOps& ops) : storage_(path, qscd::sim::Durability::Full, ops) { start(); }
    explicit IdFileCard(const fs::path& path)
        : never_(std::make_unique<PowerCutOps>(kNever, Loss{DataLoss::Keep, DirLoss::Keep})),
          storage_(path, qscd::sim::Durability::Full, *never_) {
        start();
    }
    std::uint16_t sw(const Bytes& command) {
        const std::size_t n = card_->process(command, buffer_);
        REQUIRE(n >= 2);
        return static_cast<std::uint16_t>(buffer_[n - 2] << 8 | buffer_[n - 1]);
    }
    const qscd::sim::IdCardState& state() { return card_->id_applet().state(); }

private:
    void start() {
        card_ = std::make_unique<qscd::sim::VirtualCard>(storage_, random_, clock_, qscd::sim::CardOptions{kIterations});
        REQUIRE(card_->load().ok());  // never a corrupted or lost state, whatever the cut
        REQUIRE(card_->card_type() == qscd::sim::CardType::EstonianId);
        card_->power_on();
    }
    std::unique_ptr<PowerCutOps> never_;
    qscd::sim::FileStorage storage_;
    qscd::sim::SystemRandom random_;
    qscd::sim::SystemClock clock_;
    std::unique_ptr<qscd::sim::VirtualCard> card_;
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(qscd::sim::kMaxResponseApdu);
};

struct Guess {
    const char* what;
    Bytes select;  // where the PIN lives
    Bytes apdu;    // a wrong secret
    std::size_t pin;  // index in the profile (PIN1, PIN2, PUK)
};

Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<Guess> guesses() {
    const Bytes qscd = cmd(0xA4, 0x04, 0x0C, Bytes(idtest::ee::kQscdAid.begin(), idtest::ee::kQscdAid.end()));
    const Bytes mf = hex("00 A4 00 0C");
    return {
        {"VERIFY PIN2", qscd, cmd(0x20, 0x00, 0x85, block("99999")), 1},
        {"CHANGE REFERENCE DATA PIN1", mf, cmd(0x24, 0x00, 0x01, concat(block("0000"), block("5555"))), 0},
        {"RESET RETRY COUNTER with a wrong PUK", mf, cmd(0x2C, 0x01, 0x01, block("11111111")), 2},
    };
}

bool reveals(std::uint16_t sw) { return sw == 0x9000 || (sw & 0xFFF0) == 0x63C0; }

}  // namespace

TEST_CASE("id card torn PIN checks: a wrong guess cut at any storage call never yields an extra guess") {
    idtest::IdSim personalised;  // on memory: the image every trial starts from
    const Bytes base = *personalised.storage.image();
    TempDir tmp;
    const fs::path path = tmp.path / "card.qscdsim";
    std::size_t trials = 0, revealed = 0, hidden_spent = 0, hidden_kept = 0;
    for (const Guess& g : guesses()) {
        for (const Loss loss : all_losses()) {
            for (std::size_t k = 0;; ++k) {
                install_image(path, base);
                PowerCutOps ops(k, loss);
                std::uint16_t sw = 0;
                {
                    IdFileCard card(path, ops);
                    REQUIRE(card.sw(g.select) == 0x9000);
                    sw = card.sw(g.apdu);
                }
                INFO(g.what << ", cut at " << k << ", loss " << static_cast<int>(loss.data) << "/"
                            << static_cast<int>(loss.dir) << ": SW " << std::hex << sw);
                const std::uint8_t after = IdFileCard(path).state().pins[g.pin].retries;
                REQUIRE(after <= 3);
                REQUIRE(after >= 2);  // one guess costs at most one try, a crash never gives one back
                if (reveals(sw)) {
                    REQUIRE(sw == 0x63C2);
                    REQUIRE(after == 2);  // the comparison was revealed: its cost is durable
                    ++revealed;
                } else {
                    REQUIRE(ops.power_off());
                    REQUIRE(sw == 0x6581);  // memory failure: nothing compared
                    (after < 3 ? hidden_spent : hidden_kept)++;
                }
                if (!ops.power_off()) break;  // k is past the last storage call
                ++trials;
            }
        }
    }
    std::printf("id card torn PIN checks: %zu cut guesses (3 commands x 12 loss models): %zu revealed nothing and "
                "kept the try, %zu revealed nothing and spent it; %zu revealed and spent one try each\n",
                trials, hidden_kept, hidden_spent, revealed);
    CHECK(hidden_kept > 0);
    CHECK(hidden_spent > 0);
}
