// Persistent state of the simulator: image format, commit-before-compare, state files, token store,
// in-process transport.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "qscd/error.hpp"
#include "qscd/sim/file_storage.hpp"
#include "qscd/sim/in_process_transport.hpp"
#include "qscd/sim/simulator_store.hpp"
#include "qscd/sim/state.hpp"
#include "sim_test_support.hpp"

using namespace simtest;
namespace fs = std::filesystem;
using qscd::sim::CardState;
using qscd::sim::StateError;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "qscd-sim-test-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

Bytes read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const Bytes& b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Records every committed image.
class RecordingStorage : public qscd::sim::MemoryStorage {
public:
    qscd::sim::StorageStatus commit(ByteView image) override {
        images.emplace_back(image.begin(), image.end());
        return MemoryStorage::commit(image);
    }
    std::vector<Bytes> images;
};

std::unique_ptr<CardState> parse(const Bytes& image) {
    auto s = std::make_unique<CardState>();
    auto r = qscd::sim::parse_state(image, *s);
    REQUIRE(r.ok());
    return s;
}

std::uint32_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("sim state image round trip and typed errors") {
    auto s = std::make_unique<CardState>();
    s->serial = {1, 2, 3, 4};
    s->signature_counter = 0x123456;
    s->pw1.length = 6;
    s->pw1.retries = 2;
    s->pw1.iterations = 777;
    s->pw1.salt.fill(0x5A);
    s->login_data.assign(hex("61 62 63"));
    const Bytes certificate(4096, 0x30);
    s->slots[2].certificate.set_pending(certificate);
    s->slots[0].key_der.assign(Bytes(100, 0x42));
    s->slots[1].fingerprint.fill(0x11);
    std::vector<std::uint8_t> image(qscd::sim::kStateMaxImage);
    const std::size_t n = qscd::sim::serialize_state(*s, 42, qscd::ByteView(), image);
    REQUIRE(n > 0);
    image.resize(n);
    REQUIRE(Bytes(image.begin(), image.begin() + 8) == Bytes{'Q', 'S', 'C', 'D', 'S', 'I', 'M', '1'});

    auto back = std::make_unique<CardState>();
    auto r = qscd::sim::parse_state(image, *back);
    REQUIRE(r.ok());
    REQUIRE(r->generation == 42);
    REQUIRE(back->serial == s->serial);
    REQUIRE(back->signature_counter == 0x123456);
    REQUIRE(back->pw1.iterations == 777);
    REQUIRE(back->pw1.retries == 2);
    REQUIRE(back->pw1.salt == s->pw1.salt);
    REQUIRE(Bytes(back->login_data.view().begin(), back->login_data.view().end()) == hex("61 62 63"));
    REQUIRE(back->slots[2].certificate.length == 4096);
    REQUIRE(back->slots[0].key_der.length == 100);
    REQUIRE(back->slots[1].fingerprint == s->slots[1].fingerprint);
    REQUIRE(qscd::sim::peek_generation(image).value() == 42);

    auto scratch = std::make_unique<CardState>();
    Bytes bad = image;
    bad[0] = 'X';
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::BadMagic);
    bad = image;
    bad[8] = 2;
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::UnknownVersion);
    bad = image;
    bad[100] ^= 1;
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::Corrupted);
    bad = image;
    bad[bad.size() - 1] ^= 1;
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::Corrupted);
    bad = Bytes(image.begin(), image.begin() + 500);
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::Truncated);
    bad = Bytes(image.begin(), image.begin() + 10);
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::Truncated);
    bad = image;
    bad.push_back(0);
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::Corrupted);
    bad = image;
    bad[23] = 0x7F;  // payload length way too big
    REQUIRE(qscd::sim::parse_state(bad, *scratch).error() == StateError::Corrupted);
}

TEST_CASE("sim factory state uses a salted one-iteration PIN verifier by default") {
    Sim sim(qscd::sim::kDefaultPinIterations);
    const CardState& s = sim.card->state();
    REQUIRE(s.pw1.iterations == 1);  // docs/security.md "The PIN verifier"
    REQUIRE(s.pw3.iterations == 1);
    REQUIRE(s.pw1.length == 6);
    REQUIRE(s.pw3.length == 8);
    REQUIRE_FALSE(s.rc.is_set());
    REQUIRE(s.pw1.salt != s.pw3.salt);
    REQUIRE(s.pw1.salt != decltype(s.pw1.salt){});
    // No plaintext PIN in the image.
    const Bytes image = *sim.storage.image();
    const Bytes pin = hex("31 32 33 34 35 36");
    REQUIRE(std::search(image.begin(), image.end(), pin.begin(), pin.end()) == image.end());
    sim.select();
    sim.verify_pw1();
}

TEST_CASE("a state whose PINs use 10000 iterations verifies, and a good VERIFY moves the PIN to the card's verifier") {
    Sim old(10000);  // a state file written before issue 15
    const Bytes image = *old.storage.image();
    REQUIRE(old.card->state().pw1.iterations == 10000);

    Sim sim(qscd::sim::kDefaultPinIterations, false);
    sim.storage.set_image(image);
    REQUIRE(sim.card->load().ok());
    sim.card->power_on();
    sim.select();
    const auto old_salt = sim.card->state().pw1.salt;
    REQUIRE(sim.sw("00 20 00 81 06 39 39 39 39 39 39") == 0x6982);  // wrong: only the counter changes
    REQUIRE(sim.card->state().pw1.iterations == 10000);
    REQUIRE(sim.card->state().pw1.retries == 2);

    const std::size_t commits = sim.storage.commit_count;
    REQUIRE(sim.sw("00 20 00 81 06 31 32 33 34 35 36") == 0x9000);
    CHECK(sim.storage.commit_count == commits + 2);  // decrement, then reset + new verifier together
    const CardState& s = sim.card->state();
    CHECK(s.pw1.iterations == qscd::sim::kDefaultPinIterations);
    CHECK(s.pw1.salt != old_salt);
    CHECK(s.pw1.retries == 3);
    CHECK(s.pw3.iterations == 10000);  // not verified yet: unchanged

    // The migrated record is what the storage holds, and it verifies.
    Sim again(qscd::sim::kDefaultPinIterations, false);
    again.storage.set_image(*sim.storage.image());
    REQUIRE(again.card->load().ok());
    again.card->power_on();
    again.select();
    CHECK(again.card->state().pw1.iterations == qscd::sim::kDefaultPinIterations);
    CHECK(again.sw("00 20 00 81 06 31 32 33 34 35 36") == 0x9000);
    CHECK(again.sw("00 20 00 83 08 31 32 33 34 35 36 37 38") == 0x9000);
    CHECK(again.card->state().pw3.iterations == qscd::sim::kDefaultPinIterations);
}

TEST_CASE("sim retry counter is committed before the PIN is compared") {
    RecordingStorage storage;
    qscd::sim::SystemRandom random;
    qscd::sim::SystemClock clock;
    auto card = std::make_unique<qscd::sim::VirtualCard>(storage, random, clock, qscd::sim::CardOptions{1000});
    REQUIRE(card->format({0, 0, 0, 9}) == qscd::sim::StorageStatus::Ok);
    std::vector<std::uint8_t> buf(qscd::sim::kMaxResponseApdu);
    auto send = [&](const std::string& h) {
        const Bytes c = hex(h);
        return split(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(card->process(c, buf))));
    };
    REQUIRE(send("00 A4 04 00 06 D2 76 00 01 24 01").sw == 0x9000);
    storage.images.clear();
    REQUIRE(send("00 20 00 81 06 31 32 33 34 35 36").sw == 0x9000);
    REQUIRE(storage.images.size() == 2);
    REQUIRE(parse(storage.images[0])->pw1.retries == 2);  // decrement persisted first
    REQUIRE(parse(storage.images[1])->pw1.retries == 3);  // then reset
    const std::uint64_t g0 = qscd::sim::peek_generation(storage.images[0]).value();
    REQUIRE(qscd::sim::peek_generation(storage.images[1]).value() == g0 + 1);

    storage.images.clear();
    REQUIRE(send("00 20 00 81 06 31 32 33 34 35 30").sw == 0x6982);
    REQUIRE(storage.images.size() == 1);
    REQUIRE(parse(storage.images[0])->pw1.retries == 2);

    // A failing commit: 6581, nothing compared, counter unchanged in memory and in storage.
    const Bytes before = *storage.image();
    storage.fail_commits = true;
    REQUIRE(send("00 20 00 81 06 31 32 33 34 35 36").sw == 0x6581);  // even the right PIN
    REQUIRE(send("00 20 00 81").sw == 0x63C2);                         // not verified, counter 2
    REQUIRE(card->state().pw1.retries == 2);
    REQUIRE(send("00 20 00 83 08 31 32 33 34 35 36 37 38").sw == 0x6581);
    REQUIRE(send("00 20 00 83").sw == 0x63C3);
    REQUIRE(*storage.image() == before);
    storage.fail_commits = false;
    REQUIRE(send("00 20 00 81 06 31 32 33 34 35 36").sw == 0x9000);
    // PSO:CDS whose counter cannot be persisted releases no signature.
    REQUIRE(send("00 20 00 83 08 31 32 33 34 35 36 37 38").sw == 0x9000);
    REQUIRE(send("00 47 80 00 02 B6 00 00").sw == 0x9000);
    REQUIRE(send("00 20 00 81 06 31 32 33 34 35 36").sw == 0x9000);
    storage.fail_commits = true;
    Resp sig = send("00 2A 9E 9A 20 "
                    "B9 4D 27 B9 93 4D 3E 08 A5 2E 52 D7 DA 7D AB FA C4 84 EF E3 7A 53 80 EE 90 88 F7 AC E2 EF CD E9 00");
    REQUIRE(sig.sw == 0x6581);
    REQUIRE(sig.data.empty());
    REQUIRE(card->state().signature_counter == 0);
}

TEST_CASE("sim token store: create, list, open, mode 0600, duplicate and invalid names") {
    TempDir tmp;
    qscd::sim::SimulatorStore store(tmp.path / "sim");
    const auto info = store.create_token("alice", qscd::sim::CardOptions{1000});
    REQUIRE(info.serial.size() == 8);
    REQUIRE(fs::exists(store.state_path("alice")));
    REQUIRE(mode_of(store.state_path("alice")) == 0600);
    REQUIRE_THROWS_AS(store.create_token("alice"), qscd::Error);
    REQUIRE_THROWS_AS(store.create_token("../evil"), qscd::Error);
    REQUIRE_THROWS_AS(store.create_token(".hidden"), qscd::Error);
    REQUIRE_THROWS_AS(store.create_token(""), qscd::Error);
    store.create_token("bob", qscd::sim::CardOptions{1000});
    const auto tokens = store.list();
    REQUIRE(tokens.size() == 2);
    REQUIRE(tokens[0].name == "alice");
    REQUIRE(tokens[0].serial == info.serial);
    REQUIRE(tokens[1].name == "bob");
    try {
        store.open("nobody");
        FAIL("expected NotFound");
    } catch (const qscd::Error& e) {
        REQUIRE(e.code() == qscd::ErrorCode::NotFound);
    }

    auto transport = store.open("alice");
    REQUIRE(transport->description() == "simulator " + store.state_path("alice").string());
    const Bytes atr = transport->atr();
    REQUIRE(atr.size() == 20);
    REQUIRE(Bytes(atr.begin(), atr.end() - 1) == hex("3B 8D 81 31 FE 15 80 73 C0 21 C0 57 54 65 73 74 53 69 67"));
    {
        qscd::Transaction tx(*transport);
        REQUIRE(split(transport->transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01"))).sw == 0x9000);
        const Resp aid = split(transport->transmit(hex("00 CA 00 4F 00")));
        REQUIRE(qscd::to_hex(ByteView(aid.data).subspan(10, 4), "") == info.serial);
        REQUIRE(split(transport->transmit(hex("00 20 00 81 06 31 32 33 34 35 30"))).sw == 0x6982);
    }
    REQUIRE(mode_of(store.state_path("alice")) == 0600);  // still 0600 after a commit
    // No temp files left behind.
    int files = 0;
    for (const auto& e : fs::directory_iterator(store.dir())) {
        (void)e;
        ++files;
    }
    REQUIRE(files == 4);  // alice.qscdsim, alice.lock, bob.qscdsim, bob.lock (creation takes the token's lock)
}

TEST_CASE("sim two transports on one token see each other's commits") {
    TempDir tmp;
    qscd::sim::SimulatorStore store(tmp.path);
    store.create_token("t", qscd::sim::CardOptions{1000});
    auto a = store.open("t");
    auto b = store.open("t");
    REQUIRE(split(a->transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01"))).sw == 0x9000);
    REQUIRE(split(b->transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01"))).sw == 0x9000);
    REQUIRE(split(a->transmit(hex("00 20 00 83 08 31 32 33 34 35 36 37 30"))).sw == 0x6982);
    a->begin_transaction();
    a->end_transaction();
    b->begin_transaction();
    REQUIRE(split(b->transmit(hex("00 CA 00 C4 00"))).data == hex("00 7F 7F 7F 03 00 02"));
    b->end_transaction();
    // b's commit is seen by a.
    REQUIRE(split(b->transmit(hex("00 20 00 83 08 31 32 33 34 35 36 37 30"))).sw == 0x6982);
    REQUIRE(split(a->transmit(hex("00 CA 00 C4 00"))).data == hex("00 7F 7F 7F 03 00 01"));
}

TEST_CASE("sim corrupted, truncated, bad-magic and bad-version files are refused and left untouched") {
    TempDir tmp;
    qscd::sim::SimulatorStore store(tmp.path);
    store.create_token("t", qscd::sim::CardOptions{1000});
    const fs::path path = store.state_path("t");
    using qscd::sim::FileStorage;
    const Bytes layout = read_file(path);  // the slot layout (file_storage.hpp)
    REQUIRE(layout.size() == FileStorage::kFileSize);
    // The image alone, as a single-image file (the format before issue 15, still read): the card judges it.
    Bytes good(qscd::sim::kStateMaxImage);
    std::size_t good_size = 0;
    REQUIRE(FileStorage(path).load(good, good_size) == qscd::sim::StorageStatus::Ok);
    good.resize(good_size);

    auto expect_refused = [&](const Bytes& content, StateError expected) {
        write_file(path, content);
        qscd::sim::FileStorage storage(path);
        qscd::sim::SystemRandom random;
        qscd::sim::SystemClock clock;
        auto card = std::make_unique<qscd::sim::VirtualCard>(storage, random, clock);
        auto loaded = card->load();
        REQUIRE_FALSE(loaded.ok());
        REQUIRE(loaded.error() == expected);
        try {
            store.open("t");
            FAIL("expected an error");
        } catch (const qscd::Error& e) {
            REQUIRE(e.code() == qscd::ErrorCode::StateCorrupted);
            REQUIRE(std::string(e.what()).find(path.string()) != std::string::npos);
        }
        // The card refuses to work without a state and never rewrote the file.
        std::vector<std::uint8_t> buf(qscd::sim::kMaxResponseApdu);
        const Bytes sel = hex("00 A4 04 00 06 D2 76 00 01 24 01");
        card->process(sel, buf);
        REQUIRE(read_file(path) == content);
        REQUIRE(mode_of(path) == 0600);
        REQUIRE(store.list().front().error.has_value());
    };

    Bytes flipped = good;
    flipped[good.size() / 2] ^= 0x01;
    expect_refused(flipped, StateError::Corrupted);
    expect_refused(Bytes(good.begin(), good.end() - 40), StateError::Truncated);
    Bytes magic = good;
    magic[3] = 'X';
    expect_refused(magic, StateError::BadMagic);
    Bytes version = good;
    version[8] = 9;
    expect_refused(version, StateError::UnknownVersion);
    // The slot layout: a damaged copy falls back to an older one (a torn write gives the previous state),
    // every copy damaged, or a file of another size, is refused.
    Bytes both = layout;
    for (std::size_t slot = 0; slot < static_cast<std::size_t>(FileStorage::kSlots); ++slot)
        both[FileStorage::kFileHeaderSize + slot * FileStorage::kSlotSize + FileStorage::kSlotHeaderSize + 10] ^= 0x01;
    expect_refused(both, StateError::Corrupted);
    expect_refused(Bytes(layout.begin(), layout.end() - 40), StateError::Corrupted);

    write_file(path, good);
    REQUIRE_NOTHROW(store.open("t"));
    write_file(path, layout);
    REQUIRE_NOTHROW(store.open("t"));
}

TEST_CASE("sim state directory resolution") {
    REQUIRE(qscd::sim::resolve_state_dir(fs::path("/x/y")) == fs::path("/x/y"));
    ::setenv("QSCD_SIM_DIR", "/tmp/qscd-env-dir", 1);
    REQUIRE(qscd::sim::resolve_state_dir() == fs::path("/tmp/qscd-env-dir"));
    ::unsetenv("QSCD_SIM_DIR");
    ::setenv("XDG_DATA_HOME", "/tmp/xdg", 1);
    REQUIRE(qscd::sim::resolve_state_dir() == fs::path("/tmp/xdg/qscd/sim"));
    ::unsetenv("XDG_DATA_HOME");
    ::setenv("HOME", "/home/someone", 1);
    REQUIRE(qscd::sim::resolve_state_dir() == fs::path("/home/someone/.local/share/qscd/sim"));
}

TEST_CASE("sim in-process transport over memory storage") {
    const std::array<std::uint8_t, 4> serial{0xAB, 0xCD, 0xEF, 0x01};
    qscd::sim::InProcessTransport t(std::make_unique<qscd::sim::MemoryStorage>(), "simulator memory",
                                    qscd::sim::CardOptions{1000}, &serial);
    REQUIRE(split(t.transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01 00"))).sw == 0x9000);
    REQUIRE(split(t.transmit(hex("00 CA 00 4F 00"))).data ==
            hex("D2 76 00 01 24 01 03 04 FF FF AB CD EF 01 00 00"));
    REQUIRE(split(t.transmit(hex("00 20 00 81 06 31 32 33 34 35 36"))).sw == 0x9000);
    t.reset_card();
    REQUIRE(split(t.transmit(hex("00 A4 04 00 06 D2 76 00 01 24 01 00"))).sw == 0x9000);
    REQUIRE(split(t.transmit(hex("00 20 00 81"))).sw == 0x63C3);
    REQUIRE_THROWS_AS(qscd::sim::InProcessTransport(std::make_unique<qscd::sim::MemoryStorage>(), "empty"),
                      qscd::Error);
}
