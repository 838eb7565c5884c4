// Card operations torn at every storage call (issue 6 item 3): the card runs on a file whose system
// calls a PowerCutOps cuts, is restarted from what the disk holds, and must keep its invariants:
// the state loads, the signature counter never goes below what the host was told, retry counters are
// never restored by a crash, keys survive, a changed PIN is the old or the new one, never neither.
#include <cstdio>
#include <functional>

#include "card_rig.hpp"

using namespace crash;

namespace {

using Answers = std::vector<std::optional<Resp>>;  // nullopt: the power was already off, never sent
using Check = std::function<void(const Answers&, FileCard& after)>;

struct Figures {
    std::size_t trials = 0, cuts = 0;
};

// The loss model of the run being checked. A deferred commit (the retry counter reset after a correct PIN,
// the signature count with PW1 valid for one signature: pin_object.hpp, OpenPgpApplet::pso) is durable only
// with the next durable one: a power cut that loses unsynced data may take it back, a process crash never.
Loss current_loss{DataLoss::Keep, DirLoss::Keep};
bool deferred_kept() { return current_loss.data == DataLoss::Keep; }

// Runs `apdus` on a card loaded from `base`, cutting the power at storage call 0, 1, 2 ... under every
// loss model, until a run completes uncut; after each run, `check` sees the host's answers and the
// card restarted from the disk.
Figures tear_everywhere(const Bytes& base, const std::vector<std::string>& apdus, const Check& check) {
    TempDir tmp;
    const fs::path path = tmp.path / "card.qscdsim";
    Figures f;
    for (const Loss loss : all_losses()) {
        for (std::size_t k = 0;; ++k) {
            install_image(path, base);
            PowerCutOps ops(k, loss);
            Answers answers;
            {
                FileCard card(path, ops);
                card.select();
                for (const std::string& apdu : apdus) {
                    if (ops.power_off()) {
                        answers.emplace_back(std::nullopt);
                        continue;
                    }
                    answers.emplace_back(card.send(apdu));
                }
            }
            ++f.trials;
            current_loss = ops.power_off() ? loss : Loss{DataLoss::Keep, DirLoss::Keep};
            INFO("cut at storage call " << k << ", loss " << static_cast<int>(loss.data) << "/"
                                        << static_cast<int>(loss.dir));
            FileCard after(path);  // REQUIREs a clean load
            after.select();
            check(answers, after);
            if (!ops.power_off()) break;
            ++f.cuts;
        }
    }
    return f;
}

bool ok(const std::optional<Resp>& answer) { return answer && answer->sw == 0x9000; }


// The SIG key is still usable: its public point is `point` (when given) and a new signature verifies.
void key_intact(FileCard& after, const std::string& pin, const Bytes& point) {
    const Bytes now = after.sig_point();
    REQUIRE_FALSE(now.empty());
    if (!point.empty()) REQUIRE(now == point);
    const std::uint32_t counter = after.state().signature_counter;
    REQUIRE(signature_verifies(now, after.sign(pin)));
    REQUIRE(after.state().signature_counter == counter + 1);
}

void report(const char* what, const Figures& f) {
    std::printf("card tearing: %-34s %4zu runs, %4zu with a power cut: invariants held\n", what, f.trials, f.cuts);
}

struct SigningCard {
    simtest::Sim sim{kIterations};
    Bytes point;
    SigningCard() {
        make_signing_card(sim);
        point = simtest::pubkey_field(sim.send("00 47 81 00 02 B6 00 00").data, 0x86);
    }
    Bytes image() { return image_of(sim); }
};

}  // namespace

TEST_CASE("card tearing: PSO:CDS signature") {
    SigningCard base;
    REQUIRE(base.sim.card->state().signature_counter == 1);  // acknowledged to the host before the trial
    const Figures f = tear_everywhere(
        base.image(), {apdu_ascii("00 20 00 81", "123456"), "00 2A 9E 9A 20 " + kHash + " 00"},
        [&](const Answers& a, FileCard& after) {
            const std::uint32_t counter = after.state().signature_counter;
            REQUIRE((counter == 1 || counter == 2));  // monotonic, one signature at most
            if (ok(a[1])) {  // the host holds a signature: its count is durable
                REQUIRE(counter == 2);
                REQUIRE(signature_verifies(base.point, a[1]->data));
            }
            const std::uint8_t tries = after.state().pw1.retries;
            REQUIRE((tries == 2 || tries == 3));
            // The reset after the correct PIN is deferred, and so is the count of PSO:CDS: a power cut
            // during PSO:CDS may bring back the decremented counter (one try fewer, never one more).
            if (ok(a[0]) && deferred_kept()) REQUIRE(tries == 3);
            key_intact(after, "123456", base.point);
        });
    report("PSO:CDS (VERIFY + sign)", f);
}

TEST_CASE("card tearing: CHANGE REFERENCE DATA leaves the old or the new PIN") {
    SigningCard base;
    std::size_t old_pin = 0, new_pin = 0;
    const Figures f = tear_everywhere(
        base.image(), {apdu_ascii("00 24 00 81", "123456" "654321")}, [&](const Answers& a, FileCard& after) {
            const bool is_old = pin_matches(after.state().pw1, "123456");
            const bool is_new = pin_matches(after.state().pw1, "654321");
            REQUIRE(is_old != is_new);  // exactly one of them, never neither
            if (ok(a[0])) REQUIRE(is_new);
            (is_new ? new_pin : old_pin)++;
            const std::uint8_t tries = after.state().pw1.retries;
            REQUIRE((tries == 2 || tries == 3));
            if (is_new) REQUIRE(tries == 3);
            key_intact(after, is_new ? "654321" : "123456", base.point);
        });
    report("CHANGE REFERENCE DATA", f);
    std::printf("card tearing: after a torn PIN change: %zu old PIN, %zu new PIN, 0 neither\n", old_pin, new_pin);
    CHECK(old_pin > 0);
    CHECK(new_pin > 0);
}

TEST_CASE("card tearing: a correct VERIFY never restores tries it did not earn") {
    SigningCard base;
    REQUIRE(base.sim.sw(apdu_ascii("00 20 00 81", "000000")) == 0x6982);
    REQUIRE(base.sim.card->state().pw1.retries == 2);
    const Figures f = tear_everywhere(base.image(), {apdu_ascii("00 20 00 81", "123456")},
                                      [&](const Answers& a, FileCard& after) {
                                          const std::uint8_t tries = after.state().pw1.retries;
                                          // 2: nothing durable; 1: the decrement; 3: the comparison succeeded.
                                          REQUIRE((tries == 1 || tries == 2 || tries == 3));
                                          if (ok(a[0])) REQUIRE(tries == 3);
                                          key_intact(after, "123456", base.point);
                                      });
    report("VERIFY (correct PIN, 2 tries left)", f);
}

TEST_CASE("card tearing: RESET RETRY COUNTER with the resetting code or the Admin PIN") {
    SigningCard base;
    base.sim.verify_pw3();
    REQUIRE(base.sim.sw(apdu_ascii("00 DA 00 D3", "ABCDEFGH")) == 0x9000);
    for (int i = 0; i < 3; ++i) REQUIRE(base.sim.sw(apdu_ascii("00 20 00 81", "000000")) == 0x6982);
    REQUIRE(base.sim.card->state().pw1.retries == 0);
    const Bytes blocked = base.image();

    auto pw1_old_or_new = [&](const std::optional<Resp>& answer, FileCard& after) {
        const auto& pw1 = after.state().pw1;
        const bool is_old = pin_matches(pw1, "123456") && pw1.retries == 0;
        const bool is_new = pin_matches(pw1, "777777") && pw1.retries == 3;
        REQUIRE(is_old != is_new);
        if (ok(answer)) REQUIRE(is_new);
        if (is_new) key_intact(after, "777777", base.point);
        else REQUIRE(after.sw(apdu_ascii("00 20 00 81", "123456")) == 0x6983);  // still blocked
    };
    const Figures rc = tear_everywhere(blocked, {apdu_ascii("00 2C 00 81", "ABCDEFGH" "777777")},
                                       [&](const Answers& a, FileCard& after) {
                                           const std::uint8_t tries = after.state().rc.retries;
                                           REQUIRE((tries == 2 || tries == 3));
                                           if (ok(a[0])) REQUIRE(tries == 3);
                                           pw1_old_or_new(a[0], after);
                                       });
    report("RESET RETRY COUNTER (reset code)", rc);
    const Figures pw3 = tear_everywhere(blocked, {apdu_ascii("00 20 00 83", "12345678"), apdu_ascii("00 2C 02 81", "777777")},
                                        [&](const Answers& a, FileCard& after) {
                                            const std::uint8_t tries = after.state().pw3.retries;
                                            REQUIRE((tries == 2 || tries == 3));
                                            // The reset of VERIFY 83 is deferred: durable with the 2C.
                                            if (ok(a[0]) && (deferred_kept() || ok(a[1]))) REQUIRE(tries == 3);
                                            pw1_old_or_new(a[1], after);
                                        });
    report("RESET RETRY COUNTER (Admin PIN)", pw3);
}

TEST_CASE("card tearing: PUT DATA") {
    SigningCard base;
    const Figures f = tear_everywhere(
        base.image(), {apdu_ascii("00 20 00 83", "12345678"), apdu_ascii("00 DA 00 5B", "Crash<<Test")},
        [&](const Answers& a, FileCard& after) {
            const Bytes name(after.state().name.view().begin(), after.state().name.view().end());
            const Bytes expected{'C', 'r', 'a', 's', 'h', '<', '<', 'T', 'e', 's', 't'};
            REQUIRE((name.empty() || name == expected));
            if (ok(a[1])) REQUIRE(name == expected);
            REQUIRE(after.state().pw3.retries >= 2);
            key_intact(after, "123456", base.point);
        });
    report("PUT DATA (VERIFY 83 + name)", f);
}

TEST_CASE("card tearing: GENERATE keeps the old key or installs the new one whole") {
    SigningCard base;
    std::size_t old_key = 0, new_key = 0;
    const Figures f = tear_everywhere(
        base.image(), {apdu_ascii("00 20 00 83", "12345678"), "00 47 80 00 02 B6 00 00"},
        [&](const Answers& a, FileCard& after) {
            const Bytes point = after.sig_point();
            if (point == base.point) {
                REQUIRE_FALSE(ok(a[1]));
                REQUIRE(after.state().signature_counter == 1);
                ++old_key;
            } else {
                REQUIRE(after.state().signature_counter == 0);  // §8.2: a new SIG key restarts the count
                if (ok(a[1])) REQUIRE(simtest::pubkey_field(a[1]->data, 0x86) == point);
                ++new_key;
            }
            key_intact(after, "123456", point);
        });
    report("GENERATE ASYMMETRIC KEY PAIR", f);
    std::printf("card tearing: after a torn GENERATE: %zu old key, %zu new key\n", old_key, new_key);
    CHECK(old_key > 0);
    CHECK(new_key > 0);
}

TEST_CASE("card durability: VERIFY + PSO:CDS on a state file costs one fdatasync, the decrement's, before the answer") {
    SigningCard base;
    TempDir tmp;
    const fs::path path = tmp.path / "card.qscdsim";
    install_image(path, base.image());
    PowerCutOps ops(kNever, {DataLoss::Keep, DirLoss::Keep});
    FileCard card(path, ops);
    card.select();
    REQUIRE(signature_verifies(base.point, card.sign("123456")));  // (its first commit syncs what it found)
    using Calls = std::vector<std::string>;
    auto calls_of = [&](const std::string& apdu) {
        const std::size_t before = ops.log().size();
        REQUIRE(card.sw(apdu) == 0x9000);
        return Calls(ops.log().begin() + static_cast<std::ptrdiff_t>(before), ops.log().end());
    };
    for (int i = 0; i < 3; ++i) {
        // VERIFY: the decrement written and synced before the comparison; the reset written, not synced.
        REQUIRE(calls_of(apdu_ascii("00 20 00 81", "123456")) ==
                Calls{"open", "pwrite", "fdatasync", "close", "open", "pwrite", "close"});
        // PSO:CDS (PW1 valid for one signature): the count written, synced by the next VERIFY.
        REQUIRE(calls_of("00 2A 9E 9A 20 " + kHash + " 00") == Calls{"open", "pwrite", "close"});
    }
    REQUIRE(card.state().signature_counter == 5);
    FileCard after(path);
    REQUIRE(after.state().signature_counter == 5);
    REQUIRE(after.state().pw1.retries == 3);
}
