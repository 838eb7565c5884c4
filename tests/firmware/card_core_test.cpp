// The card core fit for a microcontroller (issue 15 items 3 and 4): platform interfaces, RAM of one card
// object, the largest state image against its capacity, extended-length answers through the sized buffer.
#include <array>
#include <type_traits>

#include <catch2/catch.hpp>

#include "../integration/sim_test_support.hpp"
#include "qscd/sim/id_card_state.hpp"
#include "qscd/sim/platform.hpp"
#include "qscd/sim/state.hpp"
#include "qscd/sim/virtual_card.hpp"

namespace sim = qscd::sim;

// The budget of one card object (issue 15 item 4, docs/firmware.md).
constexpr std::size_t kCardRamBudget = 24 * 1024;

TEST_CASE("platform interfaces have protected non-virtual destructors") {
    CHECK_FALSE(std::is_destructible_v<sim::Storage>);
    CHECK_FALSE(std::is_destructible_v<sim::Random>);
    CHECK_FALSE(std::is_destructible_v<sim::Clock>);
    CHECK_FALSE(std::has_virtual_destructor_v<sim::Storage>);
    CHECK_FALSE(std::has_virtual_destructor_v<sim::Random>);
    CHECK_FALSE(std::has_virtual_destructor_v<sim::Clock>);
}

TEST_CASE("one card object fits its RAM budget") {
    INFO("sizeof(VirtualCard) = " << sizeof(sim::VirtualCard));
    CHECK(sizeof(sim::VirtualCard) <= kCardRamBudget);
    // The caller's response buffer is the largest response plus the status word, not 64 KiB.
    CHECK(sim::kMaxResponseApdu == sim::kMaxResponseData + 2);
}

template <std::size_t N>
void fill(sim::VarBytes<N>& v, std::uint8_t byte) {
    std::array<std::uint8_t, N> data{};
    data.fill(byte);
    REQUIRE(v.assign(data));
}

TEST_CASE("an OpenPGP state with every field at capacity fits the largest state image and reads back") {
    auto state = std::make_unique<sim::CardState>();
    const qscd::Bytes certificate(sim::kMaxCertificate, 9);
    fill(state->login_data, 1);
    fill(state->url, 2);
    fill(state->name, 3);
    fill(state->language, 4);
    fill(state->salutation, 5);
    for (auto& d : state->private_do) fill(d, 6);
    for (auto& slot : state->slots) {
        fill(slot.attributes, 7);
        fill(slot.key_der, 8);
        slot.certificate.set_pending(certificate);
    }
    auto image = std::make_unique<std::array<std::uint8_t, sim::kMaxStateImage>>();
    const std::size_t n = sim::serialize_state(*state, 7, qscd::ByteView(), *image);
    CHECK(n == sim::kOpenPgpMaxImage);
    auto back = std::make_unique<sim::CardState>();
    auto parsed = sim::parse_state(qscd::ByteView(image->data(), n), *back);
    REQUIRE(parsed.ok());
    const sim::StoredBytes& stored = back->slots[2].certificate;  // stays in the image, read in place
    REQUIRE(stored.length == sim::kMaxCertificate);
    CHECK(qscd::Bytes(image->begin() + stored.offset, image->begin() + stored.offset + stored.length) == certificate);
}

TEST_CASE("an ID card state with every field at capacity fits the largest state image") {
    auto state = std::make_unique<sim::IdCardState>();
    state->type = qscd::profiles::CardType::EstonianId;
    for (auto& k : state->keys) fill(k, 1);
    for (auto& f : state->files) fill(f, 2);
    auto image = std::make_unique<std::array<std::uint8_t, sim::kMaxStateImage>>();
    const std::size_t n = sim::serialize_id_state(*state, 1, *image);
    CHECK(n != 0);
    CHECK(n <= sim::kIdMaxImage);
}

TEST_CASE("a 4096-byte certificate comes back whole to an extended Le through the sized response buffer") {
    simtest::Sim s;  // its buffer is kMaxResponseApdu bytes
    REQUIRE(s.sw("00 A4 04 00 06 D2 76 00 01 24 01 00") == 0x9000);
    REQUIRE(s.sw("00 20 00 83 08 31 32 33 34 35 36 37 38") == 0x9000);
    qscd::Bytes put = simtest::hex("00 DA 7F 21 00 10 00");  // extended Lc 4096
    qscd::Bytes certificate(sim::kMaxCertificate);
    for (std::size_t i = 0; i < certificate.size(); ++i) certificate[i] = static_cast<std::uint8_t>(i * 7);
    put.insert(put.end(), certificate.begin(), certificate.end());
    REQUIRE(simtest::split(s.raw(put)).sw == 0x9000);

    const simtest::Resp whole = simtest::split(s.raw(simtest::hex("00 CA 7F 21 00 00 00")));  // Le 0000 = 65536
    CHECK(whole.sw == 0x9000);
    CHECK(whole.data == certificate);

    // A short Le gets the same bytes through GET RESPONSE (ISO 7816-4 §5.1.3).
    simtest::Resp part = simtest::split(s.raw(simtest::hex("00 CA 7F 21 00")));
    qscd::Bytes chained = part.data;
    while ((part.sw & 0xFF00) == 0x6100) {
        part = simtest::split(s.raw(simtest::hex("00 C0 00 00 00")));
        chained.insert(chained.end(), part.data.begin(), part.data.end());
    }
    CHECK(part.sw == 0x9000);
    CHECK(chained == certificate);
}
