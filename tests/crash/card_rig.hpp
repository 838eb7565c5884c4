// A card whose state file lives on a PowerCutOps "disk": one power-on per trial, cut at storage call
// `cut_at`, then a restart from whatever the disk holds. The helpers the crash tests share.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "../integration/sim_test_support.hpp"
#include "pin_check.hpp"
#include "power_cut.hpp"
#include "qscd/sim/file_storage.hpp"
#include "qscd/sim/host_platform.hpp"
#include "qscd/sim/virtual_card.hpp"

namespace crash {

using simtest::hex;
using simtest::Resp;

inline constexpr std::uint32_t kIterations = 1000;  // PBKDF2 lowered for speed (each record keeps its own)
inline const std::string kHash = "B9 4D 27 B9 93 4D 3E 08 A5 2E 52 D7 DA 7D AB FA C4 84 EF E3 7A 53 80 EE 90 88 F7 AC E2 EF CD E9";

inline std::string hex_of(const std::string& ascii) {
    return qscd::to_hex(qscd::ByteView(reinterpret_cast<const std::uint8_t*>(ascii.data()), ascii.size()), " ");
}

// APDU "00 INS P1 P2 Lc data" with ASCII data.
inline std::string apdu_ascii(const std::string& header, const std::string& data) {
    char lc[4];
    std::snprintf(lc, sizeof lc, "%02X", static_cast<unsigned>(data.size()));
    return header + " " + lc + " " + hex_of(data);
}

// A card on the file `path`, loaded from it: through `ops` (a trial), or after a restart through a
// disk that never fails (durability modelled, no real fsync: the tests stay fast on a busy disk).
class FileCard {
public:
    FileCard(const fs::path& path, qscd::sim::FileOps& ops,
             qscd::sim::Durability durability = qscd::sim::Durability::Full)
        : FileCard(path, &ops, nullptr, durability) {}
    explicit FileCard(const fs::path& path)
        : FileCard(path, nullptr, std::make_unique<PowerCutOps>(kNever, Loss{DataLoss::Keep, DirLoss::Keep}),
                   qscd::sim::Durability::Full) {}

    // The card's answer (data + SW).
    Resp send(const std::string& h) {
        const Bytes command = hex(h);
        const std::size_t n = card_->process(command, buffer_);
        REQUIRE(n >= 2);
        return simtest::split(Bytes(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n)));
    }
    std::uint16_t sw(const std::string& h) { return send(h).sw; }
    void select() { REQUIRE(sw("00 A4 04 00 06 D2 76 00 01 24 01 00") == 0x9000); }

    const qscd::sim::CardState& state() const { return card_->state(); }
    std::uint64_t generation() const { return card_->generation(); }

    // Public point of the SIG key (47 81 B6), empty if none.
    Bytes sig_point() {
        Resp r = send("00 47 81 00 02 B6 00 00");
        if (r.sw != 0x9000) return {};
        return simtest::pubkey_field(r.data, 0x86);
    }
    // VERIFY 81 with `pin` then PSO:CDS of kHash; the signature (r‖s) or empty.
    Bytes sign(const std::string& pin) {
        if (sw(apdu_ascii("00 20 00 81", pin)) != 0x9000) return {};
        Resp r = send("00 2A 9E 9A 20 " + kHash + " 00");
        return r.sw == 0x9000 ? r.data : Bytes{};
    }

private:
    FileCard(const fs::path& path, qscd::sim::FileOps* ops, std::unique_ptr<PowerCutOps> own,
             qscd::sim::Durability durability)
        : own_(std::move(own)),
          storage_(path, durability, ops ? *ops : *own_),
          card_(std::make_unique<qscd::sim::VirtualCard>(storage_, random_, clock_, qscd::sim::CardOptions{kIterations})) {
        auto loaded = card_->load();
        REQUIRE(loaded.ok());  // never a corrupted or lost state, whatever the cut
        card_->power_on();
    }

    std::unique_ptr<PowerCutOps> own_;  // the restarted card's disk: never fails, no real fsync
    qscd::sim::FileStorage storage_;
    qscd::sim::SystemRandom random_;
    qscd::sim::SystemClock clock_;
    std::unique_ptr<qscd::sim::VirtualCard> card_;
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(qscd::sim::kMaxResponseApdu);
};

inline bool signature_verifies(const Bytes& point, const Bytes& signature) {
    return !point.empty() && signature.size() == 64 &&
           simtest::ecdsa_verifies(MBEDTLS_ECP_DP_SECP256R1, point, hex(kHash), signature);
}

// Puts `image` on the disk as the only file of the directory (no temp files left from earlier trials), in
// a single-image file (the format before issue 15: the first commit creates the slot layout) ...
inline void install_legacy_image(const fs::path& path, const Bytes& image) {
    for (const auto& e : fs::directory_iterator(path.parent_path())) fs::remove(e.path());
    write_bytes(path, image);
}

// ... or as the newest slot of the slot layout (what every commit after the first writes in place).
inline void install_image(const fs::path& path, const Bytes& image) {
    for (const auto& e : fs::directory_iterator(path.parent_path())) fs::remove(e.path());
    PowerCutOps never(kNever, {DataLoss::Keep, DirLoss::Keep});
    qscd::sim::FileStorage storage(path, qscd::sim::Durability::Full, never);
    REQUIRE(storage.commit(image) == qscd::sim::StorageStatus::Ok);
}

// Sim (not movable: its card refers to its storage) made a signing card: P-256 SIG key, one signature.
inline void make_signing_card(simtest::Sim& sim) {
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C1 09 13 2A 86 48 CE 3D 03 01 07") == 0x9000);
    REQUIRE(sim.sw("00 47 80 00 02 B6 00 00") == 0x9000);
    sim.verify_pw1(0x81);
    REQUIRE(sim.sw("00 2A 9E 9A 20 " + kHash + " 00") == 0x9000);
}

inline Bytes image_of(simtest::Sim& sim) {
    REQUIRE(sim.storage.image().has_value());
    return *sim.storage.image();
}

}  // namespace crash
