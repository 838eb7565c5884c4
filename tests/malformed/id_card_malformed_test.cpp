// The malformed-command suite and the never-export sweep (issue 6) extended to the simulated national ID
// card (issue 13): generated malformed commands get the exact status word and leave the committed state
// image byte-for-byte unchanged (no commit at all); and no answer to any command, in any reachable
// security state and current DF, contains an 8-byte window of either private key.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <unordered_set>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "../integration/id_card_test_support.hpp"

using namespace idtest;
using qscd::sim::CardType;

namespace {

struct Case {
    Bytes command;
    std::uint16_t sw;
};

Bytes with(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Transport faults: the same SW on every profile's card.
std::vector<Case> transport_cases() {
    std::vector<Case> cases;
    // Transport (iso7816.md §1): short header, Lc/data disagreement, extended abuse, CLA, INS, chaining.
    for (std::size_t n = 0; n < 4; ++n) cases.push_back({Bytes(n, 0xA4), 0x6700});
    const Bytes headers[] = {hex("00 A4 04 0C"), hex("00 20 00 01"), hex("00 24 00 01"), hex("00 2C 00 01"),
                             hex("00 22 41 B6"), hex("00 2A 9E 9A"), hex("00 88 00 00"), hex("00 CB 3F FF"),
                             hex("00 B0 00 00"), hex("00 D6 00 00"), hex("00 47 80 00"), hex("00 44 00 00")};
    for (const Bytes& h : headers) {
        for (std::size_t lc : {2, 12, 24, 48, 200}) {
            for (std::size_t d : {lc - 1, lc + 2, lc + 9}) cases.push_back({with(with(h, {static_cast<std::uint8_t>(lc)}), Bytes(d, 0x31)), 0x6700});
        }
        cases.push_back({with(h, {0x00, 0x01}), 0x6700});
        cases.push_back({with(h, {0x00, 0x00, 0x05, 0x31}), 0x6700});
        cases.push_back({with(h, {0x00, 0x00, 0x00, 0x31, 0x32}), 0x6700});
        for (std::uint8_t cla : {0x80, 0x0C, 0x01, 0xFF}) {
            Bytes c = h;
            c[0] = cla;
            cases.push_back({c, 0x6E00});
        }
        Bytes chained = with(h, {0x02, 0x31, 0x32});
        chained[0] = 0x10;
        cases.push_back({chained, 0x6884});
    }
    for (std::uint8_t ins : {0x00, 0x0E, 0x84, 0xCA, 0xDA, 0xDB, 0xE6, 0xA5, 0xCC, 0xFE})
        cases.push_back({Bytes{0x00, ins, 0x00, 0x00}, 0x6D00});
    return cases;
}

// Commands whose only fault is the part named, with the SW ISO 7816-4 / the profile prescribe.
std::vector<Case> malformed_cases() {
    std::vector<Case> cases = transport_cases();
    // SELECT: P1/P2, identifier lengths, unknown names.
    cases.push_back({hex("00 A4 03 0C 02 AD F1"), 0x6A86});
    cases.push_back({hex("00 A4 04 01 02 AD F1"), 0x6A86});
    cases.push_back({hex("00 A4 01 0C 03 AD F1 00"), 0x6700});
    cases.push_back({hex("00 A4 08 0C 01 AD"), 0x6700});
    cases.push_back({hex("00 A4 08 0C 04 AD F1 34 02"), 0x6A82});
    cases.push_back({hex("00 A4 04 0C 0F A0 00 00 00 77 01 08 00 07 00 00 FE 00 00 01"), 0x6A82});
    // READ BINARY before an EF; UPDATE BINARY on an operational card; GENERATE / ACTIVATE forms.
    cases.push_back({hex("00 B0 00 00 10"), 0x6986});
    cases.push_back({hex("00 B0 80 00 10"), 0x6A81});
    cases.push_back({hex("00 D6 00 00 01 30"), 0x6982});
    cases.push_back({hex("00 47 80 00 03 84 01 9F 00"), 0x6985});
    cases.push_back({hex("00 44 01 00"), 0x6A86});
    // PIN commands: references, P1, block length and format (no try spent, nothing committed).
    cases.push_back({with(hex("00 20 00 03 0C"), block("1234")), 0x6A88});
    cases.push_back({with(hex("00 20 00 85 0C"), block("12345")), 0x6A88});  // PIN2 outside ADF2
    cases.push_back({with(hex("00 20 01 01 0C"), block("1234")), 0x6A86});
    cases.push_back({hex("00 20 00 01 04 31 32 33 34"), 0x6700});
    cases.push_back({hex("00 20 00 01"), 0x6700});
    cases.push_back({with(hex("00 20 00 01 0C"), block("1234", 12, 0x00)), 0x6A80});
    cases.push_back({with(hex("00 20 00 01 0C"), block("123")), 0x6A80});
    cases.push_back({with(hex("00 24 00 01 0C"), block("1234")), 0x6700});
    cases.push_back({with(hex("00 24 00 01 18"), with(block("1234"), block("12"))), 0x6A80});
    cases.push_back({with(hex("00 24 01 01 18"), with(block("1234"), block("4321"))), 0x6A86});
    cases.push_back({with(hex("00 2C 00 01 0C"), block("17258403")), 0x6700});
    cases.push_back({with(hex("00 2C 00 01 18"), with(block("1725840"), block("4321"))), 0x6A80});
    cases.push_back({hex("00 2C 03 01"), 0x6982});
    cases.push_back({with(hex("00 2C 02 01 0C"), block("4321")), 0x6982});
    cases.push_back({with(hex("00 2C 01 02 0C"), block("17258403")), 0x6985});
    cases.push_back({hex("00 2C 07 01"), 0x6A86});
    // GET DATA: P1P2, template, length, PIN numbers.
    cases.push_back({hex("00 CB 3F 00 0A 4D 08 70 06 BF 81 01 02 A0 80 00"), 0x6A86});
    cases.push_back({hex("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 81 00"), 0x6A80});
    cases.push_back({hex("00 CB 3F FF 09 4D 07 70 05 BF 81 01 02 A0 00"), 0x6700});
    cases.push_back({hex("00 CB 3F FF 0A 4D 08 70 06 BF 81 09 02 A0 80 00"), 0x6A88});
    // Security environment and operations: unknown forms, P1P2, no environment, no PIN.
    cases.push_back({hex("00 22 41 B6 06 80 01 54 84 01 81"), 0x6A80});
    cases.push_back({hex("00 22 41 B7 06 80 01 54 84 01 9F"), 0x6A86});
    cases.push_back({hex("00 22 81 B6 06 80 01 54 84 01 9F"), 0x6A86});
    cases.push_back({with(hex("00 2A 9E 9B 30"), Bytes(48, 1)), 0x6A86});
    cases.push_back({with(hex("00 2A 9E 9A 30"), Bytes(48, 1)), 0x6985});
    cases.push_back({with(hex("00 88 00 01 30"), Bytes(48, 1)), 0x6A86});
    cases.push_back({with(hex("00 88 00 00 30"), Bytes(48, 1)), 0x6985});
    return cases;
}

// The Finnish card (FinEID v4 profile): its own forms, each with one fault.
std::vector<Case> finnish_cases() {
    std::vector<Case> cases = transport_cases();
    cases.push_back({hex("00 A4 04 0C 0B A0 00 00 00 63 50 4B 43 53 2D 31"), 0x6A82});
    cases.push_back({hex("00 A4 08 04 02 43 39 00"), 0x6A82});
    cases.push_back({hex("00 A4 08 04 03 50 16 43 00"), 0x6700});
    // PINs: 00 padding only, 12-byte blocks, PIN2 local to the PKCS#15 application, no PUK.
    cases.push_back({with(hex("00 20 00 11 0C"), block("1234")), 0x6A80});
    cases.push_back({with(hex("00 20 00 11 0C"), block("123", 12, 0x00)), 0x6A80});
    cases.push_back({hex("00 20 00 11 04 31 32 33 34"), 0x6700});
    cases.push_back({with(hex("00 20 00 82 0C"), block("123456", 12, 0x00)), 0x6A88});  // from the MF
    cases.push_back({with(hex("00 2C 02 11 0C"), block("1234", 12, 0x00)), 0x6985});
    // GET DATA: the FinEID query only.
    cases.push_back({hex("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80 00"), 0x6A86});
    cases.push_back({hex("00 CB 00 FF 05 A0 03 83 02 11 00"), 0x6A80});
    cases.push_back({hex("00 CB 00 FF 04 A0 02 83 01 00"), 0x6700});
    cases.push_back({hex("00 CB 00 FF 05 A0 03 83 01 85 00"), 0x6A88});
    // Security environment and operations: unknown algorithm bytes, PSO:HASH without an environment.
    cases.push_back({hex("00 22 41 B6 06 80 01 74 84 01 02"), 0x6A80});
    cases.push_back({hex("00 22 41 B6 06 80 01 54 84 01 9F"), 0x6A80});
    cases.push_back({with(hex("00 2A 90 A0 32 90 30"), Bytes(48, 1)), 0x6985});
    cases.push_back({hex("00 2A 9E 9A 60"), 0x6985});
    return cases;
}

// The Latvian card (IDEMIA v2 profile, RSA-2048): its own forms, each with one fault.
std::vector<Case> latvian_cases() {
    std::vector<Case> cases = transport_cases();
    // PINs: FF padding to 12 only; PIN2 85 local to ADF2.
    cases.push_back({with(hex("00 20 00 01 0C"), block("1234", 12, 0x00)), 0x6A80});
    cases.push_back({hex("00 20 00 01 04 31 32 33 34"), 0x6700});
    cases.push_back({with(hex("00 20 00 85 0C"), block("123456")), 0x6A88});  // from the MF
    // Security environment: the Estonian card's EC form, and no form from the MF.
    cases.push_back({hex("00 22 41 B6 06 80 01 54 84 01 9F"), 0x6A80});
    cases.push_back({hex("00 22 41 B6 06 80 01 42 84 01 9F"), 0x6A80});
    // Operations without an environment: the bare hash, the DigestInfo.
    cases.push_back({with(hex("00 2A 9E 9A 20"), Bytes(32, 1)), 0x6985});
    cases.push_back({with(hex("00 88 00 00 33"), Bytes(51, 1)), 0x6985});
    // GET DATA: the IDEMIA query only; no key generation after activation.
    cases.push_back({hex("00 CB 00 FF 05 A0 03 83 01 01 00"), 0x6A86});
    cases.push_back({hex("00 47 80 00 03 84 01 81 00"), 0x6985});
    return cases;
}

void run_malformed(IdSim& sim, const char* label) {
    const auto cases = sim.type == CardType::FinnishIdV4 ? finnish_cases()
                       : sim.type == CardType::LatvianId ? latvian_cases()
                                                         : malformed_cases();
    const Bytes before = *sim.storage.image();
    const std::size_t commits = sim.storage.commit_count;
    std::size_t checked = 0;
    for (const Case& c : cases) {
        INFO(label << ": " << qscd::to_hex(c.command));
        sim.card->reset();  // every case from the MF, nothing selected, no environment
        REQUIRE(sim.send(c.command).sw == c.sw);
        ++checked;
    }
    std::printf("id card malformed (%s): %zu commands, exact SW, no commit\n", label, checked);
    CHECK(sim.storage.commit_count == commits);
    CHECK(*sim.storage.image() == before);
}

Bytes mpi_bytes(const mbedtls_mpi& x) {
    Bytes b(mbedtls_mpi_size(&x));
    REQUIRE(mbedtls_mpi_write_binary(&x, b.data(), b.size()) == 0);
    return b;
}

// The private scalars as the card stores them (DER in its state).
std::vector<Bytes> private_scalars(IdSim& sim) {
    std::vector<Bytes> out;
    qscd::sim::SystemRandom random;
    for (const auto& der : sim.card->id_applet().state().keys) {
        if (der.empty()) continue;
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        REQUIRE(mbedtls_pk_parse_key(&pk, der.data.data(), der.length, nullptr, 0, &qscd::sim::random_f_rng, &random) == 0);
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
        mbedtls_pk_free(&pk);
    }
    return out;
}

std::uint64_t window(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

class Sweep {
public:
    Sweep(IdSim& sim, const std::vector<Bytes>& secrets) : sim_(sim) {
        for (const Bytes& s : secrets)
            for (std::size_t i = 0; i + 8 <= s.size(); ++i) windows_.insert(window(s.data() + i));
    }
    // Sends, follows 61xx like a host, scans every byte of the answer.
    void send(const Bytes& command) {
        Bytes all;
        Resp r = sim_.send(command);
        all = r.data;
        for (int rounds = 0; (r.sw >> 8) == 0x61 && rounds < 300; ++rounds) {
            r = sim_.send(Bytes{0x00, 0xC0, 0x00, 0x00, static_cast<std::uint8_t>(r.sw)});
            all.insert(all.end(), r.data.begin(), r.data.end());
        }
        ++sent_;
        scanned_ += all.size();
        for (std::size_t i = 0; i + 8 <= all.size(); ++i)
            if (windows_.count(window(all.data() + i))) ++leaks_;
    }
    std::size_t sent() const { return sent_; }
    std::size_t leaks() const { return leaks_; }
    std::size_t scanned() const { return scanned_; }

private:
    IdSim& sim_;
    std::unordered_set<std::uint64_t> windows_;
    std::size_t sent_ = 0, leaks_ = 0, scanned_ = 0;
};

enum class State { Unverified, Pin1InAdf1, Pin2InAdf2, PukInMf, Pin2Blocked };
const char* name(State s) {
    switch (s) {
        case State::Unverified: return "unverified";
        case State::Pin1InAdf1: return "PIN1 verified, ADF1";
        case State::Pin2InAdf2: return "PIN2 verified, ADF2";
        case State::PukInMf: return "PUK verified, MF";
        case State::Pin2Blocked: return "PIN2 blocked";
    }
    return "?";
}

void enter(IdSim& sim, State s) {
    sim.card->reset();
    switch (s) {
        case State::Pin1InAdf1:
            sim.select_auth();
            REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("1234"))) == 0x9000);
            REQUIRE(sim.sw("00 22 41 A4 06 80 01 04 84 01 81") == 0x9000);
            break;
        case State::Pin2InAdf2:
            sim.select_qscd();
            REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x9000);
            REQUIRE(sim.sw("00 22 41 B6 06 80 01 54 84 01 9F") == 0x9000);
            break;
        case State::PukInMf:
            REQUIRE(sim.sw(cmd(0x20, 0x00, 0x02, block("17258403"))) == 0x9000);
            break;
        case State::Pin2Blocked:
            sim.select_qscd();
            while (sim.card->id_applet().state().pins[1].retries > 0) sim.send(cmd(0x20, 0x00, 0x85, block("99999")));
            break;
        default: break;
    }
}

// The Finnish card's states: PIN1 verified with the authentication environment, PIN2 verified with the
// signature environment and a hash handed over, PIN2 blocked (there is no PUK).
void enter_finnish(IdSim& sim, State s) {
    sim.card->reset();
    switch (s) {
        case State::Pin1InAdf1:
            sim.select_pkcs15();
            REQUIRE(sim.sw(cmd(0x20, 0x00, 0x11, block("1234", 12, 0x00))) == 0x9000);
            REQUIRE(sim.sw("00 22 41 B6 06 80 01 54 84 01 01") == 0x9000);
            break;
        case State::Pin2InAdf2:
            sim.select_pkcs15();
            REQUIRE(sim.sw(cmd(0x20, 0x00, 0x82, block("123456", 12, 0x00))) == 0x9000);
            REQUIRE(sim.sw("00 22 41 B6 06 80 01 54 84 01 02") == 0x9000);
            REQUIRE(sim.sw(with(hex("00 2A 90 A0 32 90 30"), Bytes(48, 0x5A))) == 0x9000);
            break;
        case State::Pin2Blocked:
            sim.select_pkcs15();
            while (sim.card->id_applet().state().pins[1].retries > 0) sim.send(cmd(0x20, 0x00, 0x82, block("999999", 12, 0x00)));
            break;
        default: break;
    }
}

void sweep_finnish_state(IdSim& sim, State s, Sweep& sweep) {
    for (int ins = 0; ins < 256; ++ins) {
        if (ins == 0xA4 || ins == 0x44) continue;
        for (int p = 0; p < 256; ++p) {
            const auto i = static_cast<std::uint8_t>(ins), v = static_cast<std::uint8_t>(p);
            sweep.send(Bytes{0x00, i, v, 0x00, 0x00});
            if (p != 0) sweep.send(Bytes{0x00, i, 0x00, v, 0x00});
        }
    }
    const char* selects[] = {"00 A4 00 00", "00 A4 04 00 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00", "00 A4 08 04 02 43 31 00",
                             "00 A4 08 04 04 50 16 43 32 00", "00 A4 08 00 02 50 16 00"};
    for (const char* select : selects) {
        sweep.send(hex(select));
        for (int p1 = 0; p1 < 0x08; ++p1)
            for (int p2 = 0; p2 < 256; p2 += 5) sweep.send(Bytes{0x00, 0xB0, static_cast<std::uint8_t>(p1), static_cast<std::uint8_t>(p2), 0x00});
        sweep.send(hex("00 B0 00 00 00 00 00"));
    }
    enter_finnish(sim, s);
    for (std::uint8_t ref : {0x11, 0x82}) sweep.send(cmd(0xCB, 0x00, 0xFF, Bytes{0xA0, 0x03, 0x83, 0x01, ref}, 0));
    for (std::uint8_t key : {0x01, 0x02})
        for (std::uint8_t p1 : {0x80, 0x81}) sweep.send(cmd(0x47, p1, 0x00, Bytes{0x84, 0x01, key}, 0));
    sweep.send(cmd(0x2A, 0x9E, 0x9A, Bytes(48, 0x5A), 0x60));
    sweep.send(cmd(0x2A, 0x9E, 0x9A, {}, 0x60));  // the one well-formed signature request: last
}

void sweep_state(IdSim& sim, State s, Sweep& sweep) {
    // (No generated command below is a well-formed signature request: the state holds until the end.)
    // Every INS with every P1 (P2 00) and every P2 (P1 00), case 2 with Le 256, from the state's DF.
    for (int ins = 0; ins < 256; ++ins) {
        if (ins == 0xA4 || ins == 0x44) continue;  // SELECT and ACTIVATE change where we are: below
        for (int p = 0; p < 256; ++p) {
            const auto i = static_cast<std::uint8_t>(ins), v = static_cast<std::uint8_t>(p);
            sweep.send(Bytes{0x00, i, v, 0x00, 0x00});
            if (p != 0) sweep.send(Bytes{0x00, i, 0x00, v, 0x00});
        }
    }
    // Every file, every SELECT answer form, READ BINARY over every offset class and Le.
    const char* selects[] = {"00 A4 00 00", "00 A4 04 00 10 A0 00 00 00 77 01 08 00 07 00 00 FE 00 00 01 00 00",
                             "00 A4 09 04 04 AD F1 34 01 00", "00 A4 09 04 04 AD F2 34 1F 00", "00 A4 09 04 02 D0 03 00",
                             "00 A4 08 00 02 AD F1 00", "00 A4 08 04 02 AD F2 00"};
    for (const char* select : selects) {
        sweep.send(hex(select));
        for (int p1 = 0; p1 < 0x08; ++p1)
            for (int p2 = 0; p2 < 256; p2 += 5) sweep.send(Bytes{0x00, 0xB0, static_cast<std::uint8_t>(p1), static_cast<std::uint8_t>(p2), 0x00});
        sweep.send(hex("00 B0 00 00 00 00 00"));  // extended Le
    }
    // The data-returning commands with their real arguments.
    enter(sim, s);
    for (std::uint8_t ref : {0x01, 0x02, 0x05}) sweep.send(cmd(0xCB, 0x3F, 0xFF, Bytes{0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, ref, 0x02, 0xA0, 0x80}, 0));
    for (std::uint8_t key : {0x81, 0x9F})
        for (std::uint8_t p1 : {0x80, 0x81}) sweep.send(cmd(0x47, p1, 0x00, Bytes{0x84, 0x01, key}, 0));
    sweep.send(cmd(0x2A, 0x9E, 0x9A, Bytes(48, 0x5A), 0));
    sweep.send(cmd(0x88, 0x00, 0x00, Bytes(48, 0x5A), 0));
}

}  // namespace

TEST_CASE("id card malformed commands: exact SW, state image unchanged, before and after PIN verification",
          "[malformed][sim][id-card]") {
    IdSim sim;
    run_malformed(sim, "unverified");
    // The same commands after every PIN was verified once (verification is volatile: reset clears it,
    // so the reset in run_malformed keeps each case independent; the counters stay at 3).
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("1234"))) == 0x9000);
    sim.select_qscd();
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x9000);
    run_malformed(sim, "after verification");
}

TEST_CASE("id card never export: no response in any security state or DF contains either private key",
          "[malformed][never-export][id-card]") {
    IdSim sim;
    const auto secrets = private_scalars(sim);
    REQUIRE(secrets.size() == 2);
    REQUIRE(secrets[0] != secrets[1]);
    Sweep sweep(sim, secrets);
    int states = 0;
    for (State s : {State::Unverified, State::Pin1InAdf1, State::Pin2InAdf2, State::PukInMf, State::Pin2Blocked}) {
        const std::size_t before = sweep.sent();
        enter(sim, s);
        sweep_state(sim, s, sweep);
        ++states;
        std::printf("id card never_export: %-22s %7zu commands\n", name(s), sweep.sent() - before);
        CHECK(private_scalars(sim) == secrets);
    }
    std::printf("id card never_export: %zu commands, %d states, %zu response bytes scanned, %zu secret windows found\n",
                sweep.sent(), states, sweep.scanned(), sweep.leaks());
    CHECK(sweep.leaks() == 0);
    CHECK(sweep.scanned() > 10000);  // it did read certificates, FCPs, public data
}

TEST_CASE("id card never export: the scanner finds a planted secret (the sweep can fail)", "[malformed][never-export][id-card]") {
    IdSim sim(false);
    sim.select_auth();
    sim.generate(0x81);
    sim.select_qscd();
    sim.generate(0x9F);
    const auto secrets = private_scalars(sim);
    Sweep sweep(sim, secrets);
    std::size_t planted = 0;
    for (const Bytes& secret : secrets) {
        // During personalisation the EFs are writable: plant 8 bytes of a scalar, read them back.
        Bytes content{static_cast<std::uint8_t>(~secret[3]), static_cast<std::uint8_t>(~secret[4])};
        content.insert(content.end(), secret.begin() + 5, secret.begin() + 13);
        sim.write_file(Bytes(ee::kAuthCertPath.begin(), ee::kAuthCertPath.end()), content);
        sweep.send(hex("00 B0 00 00 00"));
        CHECK(sweep.leaks() == ++planted);
    }
}

TEST_CASE("finnish id card malformed commands: exact SW, state image unchanged, before and after PIN verification",
          "[malformed][sim][id-card]") {
    IdSim sim(CardType::FinnishIdV4, true);
    run_malformed(sim, "FinEID v4, unverified");
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x11, block("1234", 12, 0x00))) == 0x9000);
    sim.select_pkcs15();
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x82, block("123456", 12, 0x00))) == 0x9000);
    run_malformed(sim, "FinEID v4, after verification");
}

TEST_CASE("latvian id card malformed commands: exact SW, state image unchanged, before and after PIN verification",
          "[malformed][sim][id-card]") {
    IdSim sim(CardType::LatvianId, true);  // two RSA-2048 keys generated once for both runs
    run_malformed(sim, "Latvian IDEMIA v2, unverified");
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("1234"))) == 0x9000);
    sim.select_qscd();
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("123456"))) == 0x9000);
    run_malformed(sim, "Latvian IDEMIA v2, after verification");
}

TEST_CASE("finnish id card never export: no response in any security state contains either private key",
          "[malformed][never-export][id-card]") {
    IdSim sim(CardType::FinnishIdV4, true);
    const auto secrets = private_scalars(sim);
    REQUIRE(secrets.size() == 2);
    Sweep sweep(sim, secrets);
    int states = 0;
    for (State s : {State::Unverified, State::Pin1InAdf1, State::Pin2InAdf2, State::Pin2Blocked}) {
        const std::size_t before = sweep.sent();
        enter_finnish(sim, s);
        sweep_finnish_state(sim, s, sweep);
        ++states;
        std::printf("finnish id card never_export: %-22s %7zu commands\n", name(s), sweep.sent() - before);
        CHECK(private_scalars(sim) == secrets);
    }
    std::printf("finnish id card never_export: %zu commands, %d states, %zu response bytes scanned, %zu secret windows found\n",
                sweep.sent(), states, sweep.scanned(), sweep.leaks());
    CHECK(sweep.leaks() == 0);
    CHECK(sweep.scanned() > 10000);
}
