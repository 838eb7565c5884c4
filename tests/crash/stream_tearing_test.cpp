// Tearing at the card's own storage protocol (issue 15 item 4): the card streams its images through
// Storage::open_image / read / begin_commit / write / finish_commit, copying the certificates from the
// stored image into the new one. Here the power fails at every one of those calls, on a persistent memory
// of two banks where finish_commit is the switch (as the firmware's RamStorage): the decrement of a wrong
// guess is durable before the comparison is revealed, and a torn commit leaves the old or the new state.
#include <array>
#include <cstdio>

#include "card_rig.hpp"

using namespace crash;
using qscd::ByteView;
using qscd::sim::StorageStatus;

namespace {

// Two banks, the stored image in `active_`; the power fails at call number `cut_at` of the streaming
// protocol (that call and every later one fail) until restart().
class BankStorage final : public qscd::sim::Storage {
public:
    explicit BankStorage(Bytes image) { banks_[0] = std::move(image); }

    void cut_at(std::size_t call) { cut_at_ = call; }
    bool power_off() const { return off_; }
    void restart() {
        off_ = false;
        writing_ = false;
        cut_at_ = kNever;
    }
    const Bytes& stored() const { return banks_[active_]; }

    StorageStatus load(std::span<std::uint8_t>, std::size_t&) override { return StorageStatus::IoError; }
    StorageStatus commit(ByteView) override { return StorageStatus::IoError; }
    StorageStatus open_image(std::size_t& size) override {
        if (!step()) return StorageStatus::IoError;
        size = stored().size();
        return StorageStatus::Ok;
    }
    StorageStatus read(std::size_t offset, std::span<std::uint8_t> out) override {
        if (!step()) return StorageStatus::IoError;
        if (offset > stored().size() || stored().size() - offset < out.size()) return StorageStatus::IoError;
        std::copy_n(stored().begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
        return StorageStatus::Ok;
    }
    StorageStatus begin_commit(std::size_t size) override {
        if (!step()) return StorageStatus::IoError;
        next_.clear();
        next_size_ = size;
        writing_ = true;
        return StorageStatus::Ok;
    }
    StorageStatus write(ByteView chunk) override {
        if (!step()) return StorageStatus::IoError;
        if (!writing_ || next_size_ - next_.size() < chunk.size()) return StorageStatus::IoError;
        next_.insert(next_.end(), chunk.begin(), chunk.end());
        return StorageStatus::Ok;
    }
    StorageStatus finish_commit(qscd::sim::CommitSync) override {
        if (!step()) return StorageStatus::IoError;
        if (!writing_ || next_.size() != next_size_) return StorageStatus::IoError;
        writing_ = false;
        banks_[1 - active_] = next_;
        active_ = 1 - active_;
        return StorageStatus::Ok;
    }

private:
    bool step() {
        if (off_ || calls_ == cut_at_) {
            off_ = true;
            return false;
        }
        ++calls_;
        return true;
    }

    std::array<Bytes, 2> banks_;
    std::size_t active_ = 0;
    Bytes next_;
    std::size_t next_size_ = 0;
    bool writing_ = false;
    std::size_t calls_ = 0, cut_at_ = kNever;
    bool off_ = false;

public:
    std::size_t calls() const { return calls_; }
};

// A card on `storage`, loaded (any cut happens after the load).
struct BankCard {
    qscd::sim::SystemRandom random;
    qscd::sim::SystemClock clock;
    std::unique_ptr<qscd::sim::VirtualCard> card;
    Bytes buffer = Bytes(qscd::sim::kMaxResponseApdu);

    explicit BankCard(BankStorage& storage)
        : card(std::make_unique<qscd::sim::VirtualCard>(storage, random, clock, qscd::sim::CardOptions{kIterations})) {
        REQUIRE(card->load().ok());
        card->power_on();
        REQUIRE(send("00 A4 04 00 06 D2 76 00 01 24 01 00").sw == 0x9000);
    }
    Resp send(const std::string& h) { return send_raw(hex(h)); }
    Resp send_raw(const Bytes& c) {
        const std::size_t n = card->process(c, buffer);
        REQUIRE(n >= 2);
        return simtest::split(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n)));
    }
    // The certificate of SELECT DATA occurrence `occurrence` (0 AUT, 1 DEC, 2 SIG).
    Bytes certificate(int occurrence) {
        const std::string select = "00 A5 0" + std::to_string(occurrence) + " 04 06 60 04 5C 02 7F 21";
        REQUIRE(send(select).sw == 0x9000);
        const Resp r = send("00 CA 7F 21 00 00 00");
        REQUIRE(r.sw == 0x9000);
        return r.data;
    }
};

// PUT DATA 7F21 of `certificate` (extended Lc) for the selected occurrence.
Bytes put_certificate(const Bytes& certificate) {
    Bytes c = hex("00 DA 7F 21 00");
    c.push_back(static_cast<std::uint8_t>(certificate.size() >> 8));
    c.push_back(static_cast<std::uint8_t>(certificate.size()));
    c.insert(c.end(), certificate.begin(), certificate.end());
    return c;
}

Bytes certificate_of(std::uint8_t seed, std::size_t size) {
    Bytes b(size);
    for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 13);
    return b;
}

// A signing card whose three certificate slots hold certificate_of(occurrence, 600 + 500 * occurrence).
Bytes card_with_certificates() {
    simtest::Sim sim(kIterations);
    make_signing_card(sim);
    sim.select();
    sim.verify_pw3();
    for (int occurrence = 0; occurrence < 3; ++occurrence) {
        REQUIRE(sim.sw("00 A5 0" + std::to_string(occurrence) + " 04 06 60 04 5C 02 7F 21") == 0x9000);
        const Bytes cert = certificate_of(static_cast<std::uint8_t>(occurrence), 600 + 500 * occurrence);
        REQUIRE(sim.send(put_certificate(cert)).sw == 0x9000);
    }
    return image_of(sim);
}

}  // namespace

TEST_CASE("torn at the card's storage calls: a wrong VERIFY never yields an extra guess, certificates survive") {
    const Bytes base = card_with_certificates();
    std::size_t trials = 0, hidden = 0, revealed = 0;
    for (std::size_t k = 0;; ++k) {
        BankStorage storage(base);
        std::uint16_t sw = 0;
        std::uint8_t before = 0;
        {
            BankCard card(storage);
            before = card.card->state().pw1.retries;
            storage.cut_at(storage.calls() + k);
            sw = card.send(apdu_ascii("00 20 00 81", "000000")).sw;
        }
        const bool cut = storage.power_off();
        storage.restart();
        BankCard after(storage);  // loads: never a lost or corrupted state
        const std::uint8_t retries = after.card->state().pw1.retries;
        INFO("cut at call " << k << " of the command: SW " << std::hex << sw);
        REQUIRE(retries <= before);      // a cut never gives a try back
        REQUIRE(retries + 1 >= before);  // and one guess costs one try
        if (sw == 0x6982 || (sw & 0xFFF0) == 0x63C0) {
            REQUIRE(retries == before - 1);  // the comparison was revealed: its cost is durable
            ++revealed;
        } else {
            REQUIRE(cut);
            REQUIRE(sw == 0x6581);  // memory failure: nothing compared
            ++hidden;
        }
        for (int occurrence = 0; occurrence < 3; ++occurrence)
            REQUIRE(after.certificate(occurrence) ==
                    certificate_of(static_cast<std::uint8_t>(occurrence), 600 + 500 * occurrence));
        if (!cut) break;  // k is past the command's last storage call
        ++trials;
    }
    std::printf("torn VERIFY at the card's storage calls: %zu cuts, all answered 6581 and kept the certificates; "
                "%zu revealed\n", hidden, revealed);
    CHECK(trials > 10);  // the new image is copied in many chunks, each a cut point
    CHECK(hidden == trials);
}

TEST_CASE("torn at the card's storage calls: PUT DATA 7F21 leaves the old or the new certificate, and 9000 means new") {
    const Bytes base = card_with_certificates();
    const Bytes replacement = certificate_of(0x77, 4096);
    std::size_t old_kept = 0, new_stored = 0;
    for (std::size_t k = 0;; ++k) {
        BankStorage storage(base);
        std::uint16_t sw = 0;
        {
            BankCard card(storage);
            REQUIRE(card.send("00 20 00 83 08 31 32 33 34 35 36 37 38").sw == 0x9000);
            REQUIRE(card.send("00 A5 01 04 06 60 04 5C 02 7F 21").sw == 0x9000);  // DEC's certificate
            storage.cut_at(storage.calls() + k);
            sw = card.send_raw(put_certificate(replacement)).sw;
        }
        const bool cut = storage.power_off();
        storage.restart();
        BankCard after(storage);
        INFO("cut at call " << k << " of the command: SW " << std::hex << sw);
        const Bytes dec = after.certificate(1);
        if (sw == 0x9000) {
            REQUIRE(dec == replacement);
        } else {
            REQUIRE(sw == 0x6581);
            REQUIRE((dec == replacement || dec == certificate_of(1, 1100)));
        }
        (dec == replacement ? new_stored : old_kept)++;
        REQUIRE(after.certificate(0) == certificate_of(0, 600));
        REQUIRE(after.certificate(2) == certificate_of(2, 1600));
        // The key still signs after the restart.
        REQUIRE(after.send(apdu_ascii("00 20 00 81", "123456")).sw == 0x9000);
        REQUIRE(after.send("00 2A 9E 9A 20 " + kHash + " 00").sw == 0x9000);
        if (!cut) break;
    }
    std::printf("torn PUT DATA 7F21 at the card's storage calls: %zu kept the old certificate, %zu stored the new\n",
                old_kept, new_stored);
    CHECK(old_kept > 10);
    CHECK(new_stored > 0);
}
