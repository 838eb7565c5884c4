// Never-export sweep (issue 6, item 4): every INS with P1/P2 classes, the full GET DATA tag space,
// and the data-returning commands with their real arguments, in every reachable security state, on a
// P-256 and an RSA-2048 card with all three keys present (SIG, DEC, AUT). No response (after following
// 61xx) may contain any 8-byte window of any of the three private keys: the EC scalars, or RSA p, q, d,
// dp, dq, qinv, read from the simulator's own state.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <unordered_set>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "card_fixture.hpp"
#include "qscd/sim/host_platform.hpp"

using namespace malformed;

namespace {

Bytes mpi_bytes(const mbedtls_mpi& x) {
    Bytes b(mbedtls_mpi_size(&x));
    REQUIRE(mbedtls_mpi_write_binary(&x, b.data(), b.size()) == 0);
    return b;
}

const std::size_t kSlots[] = {qscd::sim::kSlotSig, qscd::sim::kSlotDec, qscd::sim::kSlotAut};
const char* slot_name(std::size_t slot) { return slot == qscd::sim::kSlotSig ? "SIG" : slot == qscd::sim::kSlotDec ? "DEC" : "AUT"; }

// The private components of the key in `slot` as the card stores it (DER in the state).
std::vector<Bytes> private_components(const Card& card, std::size_t slot) {
    const auto& der = card.state().slots[slot].key_der;
    REQUIRE(!der.empty());
    qscd::sim::SystemRandom random;
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    REQUIRE(mbedtls_pk_parse_key(&pk, der.data.data(), der.length, nullptr, 0, &qscd::sim::random_f_rng, &random) == 0);
    std::vector<Bytes> out;
    if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
        mbedtls_mpi p, q, d, dp, dq, qp;
        for (auto* x : {&p, &q, &d, &dp, &dq, &qp}) mbedtls_mpi_init(x);
        const mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
        REQUIRE(mbedtls_rsa_export(rsa, nullptr, &p, &q, &d, nullptr) == 0);
        REQUIRE(mbedtls_rsa_export_crt(rsa, &dp, &dq, &qp) == 0);
        for (auto* x : {&p, &q, &d, &dp, &dq, &qp}) out.push_back(mpi_bytes(*x));
        for (auto* x : {&p, &q, &d, &dp, &dq, &qp}) mbedtls_mpi_free(x);
        // The state holds the key the test imported.
        CHECK(Bytes(out[0]) == hex(slot == qscd::sim::kSlotSig ? kRsaP : slot == qscd::sim::kSlotDec ? kRsaDecP : kRsaAutP));
    } else {
        mbedtls_ecp_group grp;
        mbedtls_mpi d;
        mbedtls_ecp_point q;
        mbedtls_ecp_group_init(&grp);
        mbedtls_mpi_init(&d);
        mbedtls_ecp_point_init(&q);
        REQUIRE(mbedtls_ecp_export(mbedtls_pk_ec(pk), &grp, &d, &q) == 0);
        out.push_back(mpi_bytes(d));
        mbedtls_ecp_group_free(&grp);
        mbedtls_mpi_free(&d);
        mbedtls_ecp_point_free(&q);
    }
    mbedtls_pk_free(&pk);
    return out;
}

// The components of all three keys; each key present and different from the others.
std::vector<Bytes> all_private_components(const Card& card) {
    std::vector<Bytes> all;
    std::vector<Bytes> first_components;
    for (std::size_t slot : kSlots) {
        INFO("key slot " << slot_name(slot));
        const auto components = private_components(card, slot);
        for (const Bytes& seen : first_components) REQUIRE(seen != components[0]);
        first_components.push_back(components[0]);
        all.insert(all.end(), components.begin(), components.end());
    }
    return all;
}

std::uint64_t window(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

class Sweep {
public:
    Sweep(Card& card, const std::vector<Bytes>& secrets) : card_(card) {
        for (const Bytes& s : secrets) {
            REQUIRE(s.size() >= 8);
            for (std::size_t i = 0; i + 8 <= s.size(); ++i) windows_.insert(window(s.data() + i));
        }
    }

    // Sends one command, follows 61xx like a host, scans the whole answer.
    void send(const Bytes& command) {
        std::size_t n = 0;
        std::uint16_t sw = card_.sw_of(command, &n);
        ++sent_;
        scan(card_.buffer(n - 2));
        for (int rounds = 0; (sw >> 8) == 0x61 && rounds < 300; ++rounds) {
            const Bytes get{0x00, 0xC0, 0x00, 0x00, static_cast<std::uint8_t>(sw)};
            sw = card_.sw_of(get, &n);
            ++sent_;
            // The window may straddle two parts: scan the tail of the previous part with this one.
            Bytes joined = carry_;
            const ByteView part = card_.buffer(n - 2);
            joined.insert(joined.end(), part.begin(), part.end());
            scan(joined);
        }
        carry_.clear();
    }

    std::size_t sent() const { return sent_; }
    std::size_t leaks() const { return leaks_; }
    std::size_t bytes_scanned() const { return scanned_; }

private:
    void scan(ByteView data) {
        scanned_ += data.size();
        for (std::size_t i = 0; i + 8 <= data.size(); ++i)
            if (windows_.count(window(data.data() + i))) ++leaks_;
        const std::size_t keep = std::min<std::size_t>(7, data.size());
        carry_.assign(data.end() - static_cast<std::ptrdiff_t>(keep), data.end());
    }

    Card& card_;
    std::unordered_set<std::uint64_t> windows_;
    Bytes carry_;
    std::size_t sent_ = 0, leaks_ = 0, scanned_ = 0;
};

enum class State { Unverified, Pw1Sign, Pw1Other, Pw3, Pw1Blocked, Terminated };
const char* name(State s) {
    switch (s) {
        case State::Unverified: return "unverified";
        case State::Pw1Sign: return "PW1 81 verified";
        case State::Pw1Other: return "PW1 82 verified";
        case State::Pw3: return "PW3 verified";
        case State::Pw1Blocked: return "PW1 blocked";
        case State::Terminated: return "terminated";
    }
    return "?";
}

void enter(Card& card, State s) {
    card.reset();
    if (s == State::Terminated) {
        card.select();
        card.verify(0x83, "12345678");
        REQUIRE(card.send(hex("00 E6 00 00")).sw == 0x9000);
        REQUIRE(card.send(hex("00 A4 04 00 06 D2 76 00 01 24 01")).sw == 0x6285);
        return;
    }
    card.select();
    switch (s) {
        case State::Pw1Sign: card.verify(0x81, "123456"); break;
        case State::Pw1Other: card.verify(0x82, "123456"); break;
        case State::Pw3: card.verify(0x83, "12345678"); break;
        case State::Pw1Blocked:
            for (int i = 0; i < 3; ++i) REQUIRE(card.send(hex("00 20 00 81 06 39 39 39 39 39 39")).sw == 0x6982);
            REQUIRE(card.send(hex("00 20 00 81")).sw == 0x63C0);
            break;
        default: break;
    }
}

// Commands that would leave the state under test (logout, TERMINATE, ACTIVATE, SELECT): not swept.
bool leaves_state(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, State s) {
    if (ins == 0x20 && p1 == 0xFF) return true;
    if (ins == 0xE6 && p1 == 0 && p2 == 0) return s != State::Terminated;
    if (ins == 0x44 && p1 == 0 && p2 == 0) return s == State::Terminated;
    return false;
}

void sweep_state(Card& card, State s, Sweep& sweep) {
    enter(card, s);
    // Every INS: all P1 with P2 00, all P2 with P1 00 (case 2, Le = 256).
    for (int ins = 0; ins < 256; ++ins) {
        for (int p = 0; p < 256; ++p) {
            const auto i = static_cast<std::uint8_t>(ins), v = static_cast<std::uint8_t>(p);
            if (!leaves_state(i, v, 0x00, s)) sweep.send(Bytes{0x00, i, v, 0x00, 0x00});
            if (p != 0 && !leaves_state(i, 0x00, v, s)) sweep.send(Bytes{0x00, i, 0x00, v, 0x00});
        }
    }
    // GET DATA over the whole tag space 0000..FFFF (incl. 3F FF, 5F xx, 7F xx), extended Le.
    for (int tag = 0; tag < 0x10000; ++tag)
        sweep.send(Bytes{0x00, 0xCA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag), 0x00, 0x00, 0x00});
    // GET NEXT DATA for the P1 classes 00, 3F, 5F, 7F, FF.
    for (int p1 : {0x00, 0x3F, 0x5F, 0x7F, 0xFF})
        for (int p2 = 0; p2 < 256; ++p2) sweep.send(Bytes{0x00, 0xCC, static_cast<std::uint8_t>(p1), static_cast<std::uint8_t>(p2), 0x00});
    // The data-returning commands with their real arguments.
    for (const char* crt : {"B6 00", "B8 00", "A4 00", "B6 03 84 01 01", "B8 03 84 01 02", "A4 03 84 01 03"}) {
        sweep.send(apdu(0, 0x47, 0x81, 0x00, hex(crt), 256));
        sweep.send(apdu(0, 0x47, 0x81, 0x00, hex(crt), 65536, true));
    }
    for (std::uint8_t occurrence = 0; occurrence < 3; ++occurrence) {
        sweep.send(apdu(0, 0xA5, occurrence, 0x04, hex("60 04 5C 02 7F 21")));
        sweep.send(apdu(0, 0xCA, 0x7F, 0x21, {}, 65536, true));
        for (int k = 0; k < 3; ++k) sweep.send(apdu(0, 0xCC, 0x7F, 0x21, {}, 256));
    }
    for (std::uint32_t le = 1; le <= qscd::sim::kMaxChallenge; le = le * 2 + 1) sweep.send(apdu(0, 0x84, 0, 0, {}, le, le > 256));
    for (int p = 0; p < 256; ++p) sweep.send(Bytes{0x00, 0xB0, static_cast<std::uint8_t>(p), 0x00, 0x00, 0x00, 0x00});  // READ BINARY
    for (int p = 0; p < 256; ++p) sweep.send(Bytes{0x00, 0xB1, 0x00, 0x00, 0x04, 0x54, 0x02, static_cast<std::uint8_t>(p), 0x00, 0x00});
    // Signatures in the states that allow them (the output is a signature, never key material).
    const Bytes hash(32, 0x5A);
    Bytes digest_info = hex("30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20");
    digest_info.insert(digest_info.end(), hash.begin(), hash.end());
    const Bytes& input = card.kind() == KeyKind::Rsa2048 ? digest_info : hash;
    sweep.send(apdu(0, 0x2A, 0x9E, 0x9A, input, 256));
    sweep.send(apdu(0, 0x88, 0x00, 0x00, input, 256));  // INTERNAL AUTHENTICATE: the AUT key
    // PSO:DECIPHER with the DEC key (§7.2.11): RSA 00 ‖ cryptogram; ECDH A6 { 7F49 { 86 point } }.
    Bytes cryptogram{0x00};
    cryptogram.resize(257, 0x42);
    Bytes point{0x04};
    point.resize(65, 0x42);
    const Bytes cipher_do = qscd::encode_tlv(0xA6, qscd::encode_tlv(0x7F49, qscd::encode_tlv(0x86, point)));
    sweep.send(apdu(0, 0x2A, 0x80, 0x86, card.kind() == KeyKind::Rsa2048 ? cryptogram : cipher_do, 256, true));
}

void sweep_card(KeyKind kind, const char* label) {
    Card card(kind, KeySlots::All);
    const auto secrets = all_private_components(card);
    Sweep sweep(card, secrets);
    int states = 0;
    for (State s : {State::Unverified, State::Pw1Sign, State::Pw1Other, State::Pw3, State::Pw1Blocked, State::Terminated}) {
        const std::size_t before = sweep.sent();
        sweep_state(card, s, sweep);
        ++states;
        std::printf("never_export %s: %-16s %7zu commands\n", label, name(s), sweep.sent() - before);
        // The three keys were there for the whole sweep (TERMINATE, the last state, wipes them).
        if (s != State::Terminated) CHECK(all_private_components(card) == secrets);
    }
    std::printf("never_export %s: %zu commands, %d states, %zu response bytes scanned, %zu secret windows found\n", label,
                sweep.sent(), states, sweep.bytes_scanned(), sweep.leaks());
    CHECK(states == 6);
    CHECK(sweep.leaks() == 0);
    CHECK(sweep.bytes_scanned() > 10000);  // the sweep did read data (certificates, public keys, 6E...)
}

}  // namespace

TEST_CASE("never export: no response of a P-256 card contains the private scalar of its SIG, DEC or AUT key",
          "[malformed][never-export]") {
    sweep_card(KeyKind::P256, "P-256");
}

TEST_CASE("never export: no response of an RSA-2048 card contains p, q, d, dp, dq or qinv of its SIG, DEC or AUT key",
          "[malformed][never-export]") {
    sweep_card(KeyKind::Rsa2048, "RSA-2048");
}

TEST_CASE("never export: the scanner finds a planted secret of each of the SIG, DEC and AUT keys (the sweep can fail)",
          "[malformed][never-export]") {
    for (KeyKind kind : {KeyKind::P256, KeyKind::Rsa2048}) {
        Card card(kind, KeySlots::All);
        Sweep sweep(card, all_private_components(card));
        card.verify(0x83, "12345678");
        std::size_t planted = 0;
        for (std::size_t slot : kSlots) {
            // Plant 8 bytes of the key's first component (scalar or p) in a readable DO (login data), read it
            // back. The two bytes before them are the secret's own, inverted: no second window can match.
            INFO((kind == KeyKind::P256 ? "P-256 " : "RSA-2048 ") << slot_name(slot) << " key");
            const Bytes secret = private_components(card, slot)[0];
            Bytes login_data{static_cast<std::uint8_t>(~secret[3]), static_cast<std::uint8_t>(~secret[4])};
            login_data.insert(login_data.end(), secret.begin() + 5, secret.begin() + 13);
            REQUIRE(card.send(apdu(0, 0xDA, 0x00, 0x5E, login_data)).sw == 0x9000);
            sweep.send(hex("00 CA 00 5E 00"));
            CHECK(sweep.leaks() == ++planted);
        }
    }
}
