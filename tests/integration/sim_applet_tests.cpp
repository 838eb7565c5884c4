// The simulated OpenPGP card 3.4 against raw APDU bytes (openpgp-card.md §13 worked examples,
// iso7816.md §3/§4 chaining, malformed input).
#include <random>

#include "sim_test_support.hpp"

using namespace simtest;
using qscd::sim::VirtualCard;

namespace {

std::string zeros(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += "00 ";
    return s;
}

const std::string kHashHello = "B9 4D 27 B9 93 4D 3E 08 A5 2E 52 D7 DA 7D AB FA C4 84 EF E3 7A 53 80 EE 90 88 F7 AC E2 EF CD E9";
const std::string kSha256DigestInfoPrefix = "30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20";

Bytes cmd(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data, int le = -1) {
    Bytes c{cla, ins, p1, p2};
    if (!data.empty()) {
        c.push_back(static_cast<std::uint8_t>(data.size()));
        c.insert(c.end(), data.begin(), data.end());
    }
    if (le >= 0) c.push_back(static_cast<std::uint8_t>(le));
    return c;
}

}  // namespace

TEST_CASE("sim ATR identifies a test card with TestSig issuer data and a valid TCK") {
    const ByteView atr = VirtualCard::atr();
    Bytes expected = hex("3B 8D 81 31 FE 15 80 73 C0 21 C0 57 54 65 73 74 53 69 67");
    REQUIRE(atr.size() == 20);
    REQUIRE(std::equal(expected.begin(), expected.end(), atr.begin()));
    std::uint8_t x = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) x ^= atr[i];
    REQUIRE(x == 0);
}

TEST_CASE("sim SELECT: MF and unknown AIDs 6A82, OpenPGP prefix and full AID 9000") {
    Sim sim;
    REQUIRE(sim.sw("00 A4 00 0C 02 3F 00") == 0x6A82);           // GnuPG's first probe
    REQUIRE(sim.sw("00 CA 00 C4 00") == 0x6985);                  // nothing selected yet
    REQUIRE(sim.sw("00 A4 04 00 08 A0 00 00 05 27 47 11 17") == 0x6A82);
    REQUIRE(sim.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);  // no Le (GnuPG)
    REQUIRE(sim.sw("00 A4 04 00 06 D2 76 00 01 24 01 00") == 0x9000);  // Le 00 (OpenSC)
    REQUIRE(sim.sw("00 A4 04 00 10 D2 76 00 01 24 01 03 04 FF FF 00 00 00 01 00 00") == 0x9000);
    REQUIRE(sim.sw("00 A4 04 00 10 D2 76 00 01 24 01 03 04 FF FF 00 00 00 02 00 00") == 0x6A82);
    REQUIRE(sim.sw("00 A4 04 00 05 D2 76 00 01 24") == 0x6A82);
    REQUIRE(sim.sw("00 A4 04 00") == 0x6A82);
    REQUIRE(sim.get_data(0x4F) == hex("D2 76 00 01 24 01 03 04 FF FF 00 00 00 01 00 00"));
}

TEST_CASE("sim GET DATA 6E has the openpgp-card.md §3.3 layout") {
    Sim sim;
    sim.select();
    const Bytes expected = hex(
        "6E 81 EF 4F 10 D2 76 00 01 24 01 03 04 FF FF 00 00 00 01 00 00"
        " 5F 52 0A 00 31 C5 73 C0 01 C0 05 90 00 7F 66 08 02 02 11 00 02 02 11 00"
        " 73 81 C2 C0 0A 7C 00 08 00 10 00 00 FF 00 00 C1 09 13 2A 86 48 CE 3D 03 01 07"
        " C2 06 01 08 00 00 20 00 C3 06 01 08 00 00 20 00 C4 07 00 7F 7F 7F 03 00 03"
        " C5 3C " + zeros(60) + " C6 3C " + zeros(60) + " CD 0C " + zeros(12) + " DE 06 01 00 02 00 03 00");
    Resp r = sim.send("00 CA 00 6E 00");
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data == expected);
    // GnuPG reads C0..C5 out of the tree.
    auto c0 = qscd::find_tlv_recursive(r.data, 0xC0);
    REQUIRE(c0.ok());
    REQUIRE(c0->value.size() == 10);
}

TEST_CASE("sim GET DATA simple and constructed DOs") {
    Sim sim;
    sim.select();
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 00 03"));
    REQUIRE(sim.get_data(0x5F52) == hex("00 31 C5 73 C0 01 C0 05 90 00"));
    REQUIRE(sim.get_data(0x7A) == hex("7A 05 93 03 00 00 00"));
    REQUIRE(sim.get_data(0x65) == hex("65 08 5B 00 5F 2D 00 5F 35 00"));
    REQUIRE(sim.get_data(0xC0) == hex("7C 00 08 00 10 00 00 FF 00 00"));
    REQUIRE(sim.get_data(0xC1) == hex("13 2A 86 48 CE 3D 03 01 07"));
    REQUIRE(sim.get_data(0xC2) == hex("01 08 00 00 20 00"));
    REQUIRE(sim.get_data(0xC3) == hex("01 08 00 00 20 00"));
    REQUIRE(sim.get_data(0xC5).size() == 60);
    REQUIRE(sim.get_data(0xC6).size() == 60);
    REQUIRE(sim.get_data(0xCD).size() == 12);
    REQUIRE(sim.get_data(0xDE) == hex("01 00 02 00 03 00"));
    REQUIRE(sim.get_data(0xF9) == hex("81 01 00"));
    REQUIRE(sim.get_data(0x7F66) == hex("7F 66 08 02 02 11 00 02 02 11 00"));
    REQUIRE(sim.get_data(0x5E).empty());
    REQUIRE(sim.get_data(0x5F50).empty());
    REQUIRE(sim.get_data(0x0101).empty());
    REQUIRE(sim.get_data(0x0102).empty());
    Resp cert = sim.send("00 CA 7F 21 00");  // empty-but-defined: 9000 without data
    REQUIRE(cert.sw == 0x9000);
    REQUIRE(cert.data.empty());
    REQUIRE(sim.sw("00 CA 01 03 00") == 0x6982);
    REQUIRE(sim.sw("00 CA 01 04 00") == 0x6982);
    REQUIRE(sim.sw("00 CA 00 D3 00") == 0x6A88);
    REQUIRE(sim.sw("00 CA 12 34 00") == 0x6A88);
    REQUIRE(sim.sw("00 CA 00 C4 01 00 00") == 0x6700);  // GET DATA with a data field

    const Bytes fa = sim.get_data(0xFA);
    auto outer = qscd::find_tlv(fa, 0xFA);
    REQUIRE(outer.ok());
    int c1 = 0, c2 = 0, c3 = 0;
    bool ecdh_in_c2 = false, ecdsa_p384_in_c1 = false;
    qscd::TlvReader reader(outer->value);
    while (!reader.at_end()) {
        auto t = reader.next();
        REQUIRE(t.ok());
        if (t->tag == 0xC1) { ++c1; if (Bytes(t->value.begin(), t->value.end()) == hex("13 2B 81 04 00 22")) ecdsa_p384_in_c1 = true; }
        if (t->tag == 0xC2) { ++c2; if (t->value[0] == 0x12) ecdh_in_c2 = true; }
        if (t->tag == 0xC3) ++c3;
    }
    REQUIRE(c1 == 5);
    REQUIRE(c2 == 5);
    REQUIRE(c3 == 5);
    REQUIRE(ecdh_in_c2);
    REQUIRE(ecdsa_p384_in_c1);
}

TEST_CASE("sim VERIFY: empty status, wrong PIN, modes 81/82 independent, logout, length limits") {
    Sim sim;
    sim.select();
    REQUIRE(sim.sw("00 20 00 81") == 0x63C3);
    REQUIRE(sim.sw("00 20 00 81 06 31 32 33 34 35 37") == 0x6982);
    REQUIRE(sim.sw("00 20 00 81") == 0x63C2);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 02 00 03"));
    sim.verify_pw1(0x81);  // success resets the counter
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 00 03"));
    REQUIRE(sim.sw("00 20 00 81") == 0x9000);
    REQUIRE(sim.sw("00 20 00 82") == 0x63C3);  // mode 82 not verified by 81
    sim.verify_pw1(0x82);
    REQUIRE(sim.sw("00 20 00 82") == 0x9000);
    REQUIRE(sim.sw("00 20 FF 81") == 0x9000);  // logout 81
    REQUIRE(sim.sw("00 20 00 81") == 0x63C3);
    REQUIRE(sim.sw("00 20 00 82") == 0x9000);
    REQUIRE(sim.sw("00 20 00 81 05 31 32 33 34 35") == 0x6700);                   // < 6
    REQUIRE(sim.sw("00 20 00 83 07 31 32 33 34 35 36 37") == 0x6700);             // < 8
    Bytes too_long = hex("00 20 00 81 80");
    too_long.resize(5 + 128, 0x31);
    REQUIRE(sim.send(too_long).sw == 0x6700);
    REQUIRE(sim.sw("00 20 00 84 06 31 32 33 34 35 36") == 0x6A86);
    REQUIRE(sim.sw("00 20 01 81 06 31 32 33 34 35 36") == 0x6A86);
    REQUIRE(sim.sw("00 20 FF 81 06 31 32 33 34 35 36") == 0x6700);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 00 03"));  // length errors cost no try
    sim.verify_pw3();
    REQUIRE(sim.sw("00 20 00 83") == 0x9000);
    // SELECT and a card reset clear the status.
    sim.select();
    REQUIRE(sim.sw("00 20 00 83") == 0x63C3);
    REQUIRE(sim.sw("00 20 00 82") == 0x63C3);
    sim.verify_pw1(0x82);
    sim.card->reset();
    sim.select();
    REQUIRE(sim.sw("00 20 00 82") == 0x63C3);
}

TEST_CASE("sim PW1 blocked after three wrong tries, RESET RETRY COUNTER with PW3 and with the resetting code") {
    Sim sim;
    sim.select();
    for (int i = 0; i < 3; ++i) REQUIRE(sim.sw("00 20 00 81 08 40 40 40 40 40 40 40 40") == 0x6982);
    REQUIRE(sim.sw("00 20 00 81 06 31 32 33 34 35 36") == 0x6983);  // blocked, even the right PIN
    REQUIRE(sim.sw("00 20 00 82") == 0x63C0);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 00 00 03"));
    REQUIRE(sim.sw("00 2C 02 81 06 36 35 34 33 32 31") == 0x6982);  // needs PW3
    REQUIRE(sim.sw("00 2C 00 81 0E 31 32 33 34 35 36 37 38 36 35 34 33 32 31") == 0x6982);  // no RC set
    sim.verify_pw3();
    REQUIRE(sim.sw("00 2C 02 81 05 36 35 34 33 32") == 0x6700);
    REQUIRE(sim.sw("00 2C 01 81 06 36 35 34 33 32 31") == 0x6A86);
    REQUIRE(sim.sw("00 2C 02 81 06 36 35 34 33 32 31") == 0x9000);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 00 03"));
    REQUIRE(sim.sw("00 20 00 81 06 31 32 33 34 35 36") == 0x6982);  // old PIN gone
    REQUIRE(sim.sw("00 20 00 81 06 36 35 34 33 32 31") == 0x9000);

    // Resetting code: PUT DATA D3 (counter 3), unblock with RC ‖ new PW1.
    REQUIRE(sim.sw("00 DA 00 D3 07 41 42 43 44 45 46 47") == 0x6700);
    REQUIRE(sim.sw("00 DA 00 D3 08 41 42 43 44 45 46 47 48") == 0x9000);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 03 03"));
    sim.select();  // drop PW3
    for (int i = 0; i < 3; ++i) REQUIRE(sim.sw("00 20 00 81 06 40 40 40 40 40 40") == 0x6982);
    REQUIRE(sim.sw("00 2C 00 81 0E 41 42 43 44 45 46 47 49 31 32 33 34 35 36") == 0x6982);  // wrong RC
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 00 02 03"));
    REQUIRE(sim.sw("00 2C 00 81 0E 41 42 43 44 45 46 47 48 31 32 33 34 35 36") == 0x9000);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 03 03"));
    sim.verify_pw1(0x81);
    // Delete the resetting code.
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 D3") == 0x9000);
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 00 03"));
}

TEST_CASE("sim CHANGE REFERENCE DATA for PW1 and PW3") {
    Sim sim;
    sim.select();
    // YubiKey trace: 123456 → hallohallo
    REQUIRE(sim.sw("00 24 00 81 10 31 32 33 34 35 36 68 61 6C 6C 6F 68 61 6C 6C 6F") == 0x9000);
    REQUIRE(sim.sw("00 20 00 81 06 31 32 33 34 35 36") == 0x6982);
    REQUIRE(sim.sw("00 20 00 81 0A 68 61 6C 6C 6F 68 61 6C 6C 6F") == 0x9000);
    // wrong old PIN → 6982 and a try used
    REQUIRE(sim.sw("00 24 00 81 0D 31 32 33 34 35 36 37 38 39 30 31 32 33") == 0x6982);
    REQUIRE(sim.get_data(0xC4)[4] == 2);
    REQUIRE(sim.sw("00 24 00 82 10 31 32 33 34 35 36 68 61 6C 6C 6F 68 61 6C 6C 6F") == 0x6A86);
    REQUIRE(sim.sw("00 24 00 81 05 31 32 33 34 35") == 0x6700);
    // PW3 12345678 → 87654321
    REQUIRE(sim.sw("00 24 00 83 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31") == 0x9000);
    REQUIRE(sim.sw("00 20 00 83 08 31 32 33 34 35 36 37 38") == 0x6982);
    REQUIRE(sim.sw("00 20 00 83 08 38 37 36 35 34 33 32 31") == 0x9000);
}

TEST_CASE("sim §13 signing flow: ECDSA P-256 generation, PSO:CDS once per VERIFY, counter") {
    Sim sim;
    sim.select();
    REQUIRE(sim.sw("00 47 80 00 02 B6 00 00") == 0x6982);  // needs PW3
    REQUIRE(sim.sw("00 47 81 00 02 B6 00 00") == 0x6A88);  // no key yet
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C1 09 13 2A 86 48 CE 3D 03 01 07") == 0x9000);
    Resp gen = sim.send("00 47 80 00 02 B6 00 00");
    REQUIRE(gen.sw == 0x9000);
    REQUIRE(gen.data.size() == 70);  // 7F49 43 86 41 04‖X‖Y (the spec text says 69, miscounted)
    REQUIRE(Bytes(gen.data.begin(), gen.data.begin() + 6) == hex("7F 49 43 86 41 04"));
    const Bytes point = pubkey_field(gen.data, 0x86);
    REQUIRE(sim.sw("00 DA 00 CE 04 65 00 00 00") == 0x9000);
    REQUIRE(sim.sw("00 DA 00 C7 14 7E 05 EA B7 40 8B 77 BB 82 63 13 D0 BA 97 05 62 EE 7E 4C 2A") == 0x9000);
    Resp read = sim.send("00 47 81 00 05 B6 03 84 01 01 00");  // explicit key reference form
    REQUIRE(read.sw == 0x9000);
    REQUIRE(read.data == gen.data);

    sim.select();
    const Bytes do6e = sim.get_data(0x6E);
    auto c5 = qscd::find_tlv_recursive(do6e, 0xC5);
    REQUIRE(c5.ok());
    REQUIRE(Bytes(c5->value.begin(), c5->value.begin() + 20) == hex("7E 05 EA B7 40 8B 77 BB 82 63 13 D0 BA 97 05 62 EE 7E 4C 2A"));
    auto de = qscd::find_tlv_recursive(do6e, 0xDE);
    REQUIRE(Bytes(de->value.begin(), de->value.end()) == hex("01 01 02 00 03 00"));
    auto cd = qscd::find_tlv_recursive(do6e, 0xCD);
    REQUIRE(Bytes(cd->value.begin(), cd->value.begin() + 4) == hex("65 00 00 00"));

    REQUIRE(sim.sw("00 20 00 81") == 0x63C3);
    REQUIRE(sim.sw("00 2A 9E 9A 20 " + kHashHello + " 00") == 0x6982);
    sim.verify_pw1(0x81);
    Resp sig = sim.send("00 2A 9E 9A 20 " + kHashHello + " 00");
    REQUIRE(sig.sw == 0x9000);
    REQUIRE(sig.data.size() == 64);
    REQUIRE(ecdsa_verifies(MBEDTLS_ECP_DP_SECP256R1, point, hex(kHashHello), sig.data));
    REQUIRE(sim.get_data(0x7A) == hex("7A 05 93 03 00 00 01"));
    REQUIRE(sim.sw("00 2A 9E 9A 20 " + kHashHello + " 00") == 0x6982);  // PW1 consumed
    REQUIRE(sim.sw("00 20 00 81") == 0x63C3);

    // Mode 82 does not allow signing.
    sim.verify_pw1(0x82);
    REQUIRE(sim.sw("00 2A 9E 9A 20 " + kHashHello + " 00") == 0x6982);

    // C4 byte 1 = 01: several signatures per VERIFY.
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C4 01 01") == 0x9000);
    sim.verify_pw1(0x81);
    REQUIRE(sim.sw("00 2A 9E 9A 20 " + kHashHello + " 00") == 0x9000);
    REQUIRE(sim.sw("00 2A 9E 9A 20 " + kHashHello + " 00") == 0x9000);
    REQUIRE(sim.get_data(0x7A) == hex("7A 05 93 03 00 00 03"));

    // Other PSO variants.
    REQUIRE(sim.sw("00 2A 9E 9A") == 0x6700);               // empty input
    REQUIRE(sim.sw("00 2A 80 86 02 00 00 00") == 0x6A81);   // decipher not offered
    REQUIRE(sim.sw("00 2A 9E 9B 01 00 00") == 0x6A86);

    // Regenerating the SIG key resets the counter.
    REQUIRE(sim.sw("00 47 80 00 02 B6 00 00") == 0x9000);
    REQUIRE(sim.get_data(0x7A) == hex("7A 05 93 03 00 00 00"));
}

TEST_CASE("sim ECDSA P-384: longer hashes are truncated, shorter ones left-padded") {
    Sim sim;
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C1 06 13 2B 81 04 00 22 FF") == 0x9000);  // with import format byte
    Resp gen = sim.send("00 47 80 00 02 B6 00 00");
    REQUIRE(gen.sw == 0x9000);
    REQUIRE(Bytes(gen.data.begin(), gen.data.begin() + 6) == hex("7F 49 63 86 61 04"));
    const Bytes point = pubkey_field(gen.data, 0x86);
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C4 01 01") == 0x9000);
    sim.verify_pw1(0x81);
    for (std::size_t len : {20u, 32u, 48u, 64u}) {
        Bytes hash(len);
        for (std::size_t i = 0; i < len; ++i) hash[i] = static_cast<std::uint8_t>(i * 7 + 1);
        Resp sig = sim.apdu(0x2A, 0x9E, 0x9A, hash, 256);
        REQUIRE(sig.sw == 0x9000);
        REQUIRE(sig.data.size() == 96);
        REQUIRE(ecdsa_verifies(MBEDTLS_ECP_DP_SECP384R1, point, hash, sig.data));
    }
}

TEST_CASE("sim RSA-2048: generation with short Le gives 61 0E, GET RESPONSE, extended Le, PKCS#1 signature") {
    Sim sim;
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C1 06 01 08 00 00 20 00") == 0x9000);
    Resp first = sim.send("00 47 80 00 02 B6 00 00");
    REQUIRE(first.sw == 0x610E);
    REQUIRE(first.data.size() == 256);
    REQUIRE(Bytes(first.data.begin(), first.data.begin() + 9) == hex("7F 49 82 01 09 81 82 01 00"));
    REQUIRE(sim.sw("00 C0 00 01 0E") == 0x6A86);  // bad P1P2 keeps nothing? -> pending discarded
    // Re-read the public key (no PIN needed) with short Le and GET RESPONSE.
    Resp part = sim.send("00 47 81 00 02 B6 00 00");
    REQUIRE(part.sw == 0x610E);
    Resp rest = sim.send("00 C0 00 00 0E");
    REQUIRE(rest.sw == 0x9000);
    REQUIRE(rest.data.size() == 14);
    REQUIRE(Bytes(rest.data.end() - 5, rest.data.end()) == hex("82 03 01 00 01"));
    REQUIRE(sim.sw("00 C0 00 00 0E") == 0x6985);  // nothing pending any more
    Bytes full = part.data;
    full.insert(full.end(), rest.data.begin(), rest.data.end());
    REQUIRE(full.size() == 270);
    // Extended length: all 270 bytes at once.
    Resp ext = sim.send("00 47 81 00 00 00 02 B6 00 00 00");
    REQUIRE(ext.sw == 0x9000);
    REQUIRE(ext.data == full);
    // GET RESPONSE in smaller pieces; another command discards the rest.
    REQUIRE(sim.send("00 47 81 00 02 B6 00 00").sw == 0x610E);
    Resp piece = sim.send("00 C0 00 00 05");
    REQUIRE(piece.sw == 0x6109);
    REQUIRE(piece.data.size() == 5);
    REQUIRE(sim.sw("00 CA 00 C4 00") == 0x9000);
    REQUIRE(sim.sw("00 C0 00 00 09") == 0x6985);

    const Bytes n = pubkey_field(full, 0x81);
    const Bytes e = pubkey_field(full, 0x82);
    REQUIRE(n.size() == 256);
    REQUIRE(e == hex("01 00 01"));

    sim.verify_pw1(0x81);
    const Bytes digest_info = hex(kSha256DigestInfoPrefix + " " + kHashHello);
    Resp sig = sim.apdu(0x2A, 0x9E, 0x9A, digest_info, 256);
    REQUIRE(sig.sw == 0x9000);
    REQUIRE(sig.data.size() == 256);
    REQUIRE(rsa_verifies(n, e, MBEDTLS_MD_SHA256, hex(kHashHello), sig.data));
    // > 40 % of the modulus (102 bytes) → 6700
    sim.verify_pw1(0x81);
    REQUIRE(sim.apdu(0x2A, 0x9E, 0x9A, Bytes(103, 0x30), 256).sw == 0x6700);
    REQUIRE(sim.apdu(0x2A, 0x9E, 0x9A, Bytes(102, 0x30), 256).sw == 0x9000);
    REQUIRE(sim.get_data(0x7A) == hex("7A 05 93 03 00 00 02"));
}

TEST_CASE("sim INTERNAL AUTHENTICATE with the AUT key needs PW1 mode 82") {
    Sim sim;
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C3 09 13 2A 86 48 CE 3D 03 01 07") == 0x9000);
    REQUIRE(sim.sw("00 88 00 00 20 " + kHashHello + " 00") == 0x6982);
    Resp gen = sim.send("00 47 80 00 02 A4 00 00");
    REQUIRE(gen.sw == 0x9000);
    sim.verify_pw1(0x81);
    REQUIRE(sim.sw("00 88 00 00 20 " + kHashHello + " 00") == 0x6982);
    sim.verify_pw1(0x82);
    Resp sig = sim.send("00 88 00 00 20 " + kHashHello + " 00");
    REQUIRE(sig.sw == 0x9000);
    REQUIRE(ecdsa_verifies(MBEDTLS_ECP_DP_SECP256R1, pubkey_field(gen.data, 0x86), hex(kHashHello), sig.data));
    REQUIRE(sim.sw("00 88 00 00 20 " + kHashHello + " 00") == 0x9000);  // 82 stays valid
    REQUIRE(sim.get_data(0x7A) == hex("7A 05 93 03 00 00 00"));        // not a CDS
}

TEST_CASE("sim certificates: SELECT DATA, chained PUT DATA 7F21, extended and 61xx reads, GET NEXT DATA") {
    Sim sim;
    sim.select();
    Bytes cert(1500);
    for (std::size_t i = 0; i < cert.size(); ++i) cert[i] = static_cast<std::uint8_t>(i * 31 + 7);
    cert[0] = 0x30;

    REQUIRE(sim.sw("00 A5 02 04 06 60 04 5C 02 7F 21") == 0x9000);
    REQUIRE(sim.apdu(0xDA, 0x7F, 0x21, cert, 0, true).sw == 0x6982);  // needs PW3
    sim.verify_pw3();
    REQUIRE(sim.sw("00 A5 02 04 06 60 04 5C 02 7F 21") == 0x9000);
    // Command chaining in 255-byte parts.
    for (std::size_t off = 0; off < cert.size(); off += 255) {
        const std::size_t n = std::min<std::size_t>(255, cert.size() - off);
        const bool last = off + n == cert.size();
        Bytes part(cert.begin() + static_cast<std::ptrdiff_t>(off), cert.begin() + static_cast<std::ptrdiff_t>(off + n));
        REQUIRE(sim.send(cmd(last ? 0x00 : 0x10, 0xDA, 0x7F, 0x21, part)).sw == 0x9000);
    }
    // Read back: extended Le, then short Le with GET RESPONSE.
    REQUIRE(sim.sw("00 A5 02 04 06 60 04 5C 02 7F 21") == 0x9000);
    Resp ext = sim.send("00 CA 7F 21 00 00 00");
    REQUIRE(ext.sw == 0x9000);
    REQUIRE(ext.data == cert);
    Resp chained = sim.transceive(hex("00 CA 7F 21 00"));
    REQUIRE(chained.sw == 0x9000);
    REQUIRE(chained.data == cert);
    // YubiKey ≤ 5.4.3 form with a leading length byte selects as well.
    REQUIRE(sim.sw("00 A5 01 04 07 06 60 04 5C 02 7F 21") == 0x9000);
    REQUIRE(sim.send("00 CA 7F 21 00").data.empty());
    // GET NEXT DATA walks the occurrences: 1 → 2 (SIG).
    REQUIRE(sim.transceive(hex("00 CC 7F 21 00")).data == cert);
    REQUIRE(sim.sw("00 CC 7F 21 00") == 0x6A88);
    // Without SELECT DATA, after SELECT: occurrence 0 (AUT) — empty.
    sim.select();
    REQUIRE(sim.send("00 CA 7F 21 00").data.empty());
    // SELECT DATA errors
    REQUIRE(sim.sw("00 A5 03 04 06 60 04 5C 02 7F 21") == 0x6A88);
    REQUIRE(sim.sw("00 A5 02 05 06 60 04 5C 02 7F 21") == 0x6A86);
    REQUIRE(sim.sw("00 A5 02 04 06 60 04 5C 02 7F 22") == 0x6A80);
    // Too long (extended Lc 4097) and deletion with empty data.
    sim.verify_pw3();
    REQUIRE(sim.sw("00 A5 02 04 06 60 04 5C 02 7F 21") == 0x9000);
    REQUIRE(sim.apdu(0xDA, 0x7F, 0x21, Bytes(4097, 0x30), 0, true).sw == 0x6A84);
    REQUIRE(sim.apdu(0xDA, 0x7F, 0x21, Bytes(4096, 0x30), 0, true).sw == 0x9000);
    REQUIRE(sim.send("00 CA 7F 21 00 00 00").data.size() == 4096);
    REQUIRE(sim.sw("00 DA 7F 21") == 0x9000);
    REQUIRE(sim.send("00 CA 7F 21 00 00 00").data.empty());
}

TEST_CASE("sim command chaining protocol errors") {
    Sim sim;
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.send(cmd(0x10, 0xDA, 0x7F, 0x21, Bytes(200, 0x30))).sw == 0x9000);
    REQUIRE(sim.send(cmd(0x00, 0xDA, 0x00, 0x5E, Bytes(5, 0x41))).sw == 0x6883);  // P1P2 changed
    REQUIRE(sim.get_data(0x5E).empty());
    REQUIRE(sim.send(cmd(0x10, 0xDA, 0x7F, 0x21, Bytes(200, 0x30))).sw == 0x9000);
    REQUIRE(sim.send(cmd(0x10, 0xCA, 0x7F, 0x21, Bytes(200, 0x30))).sw == 0x6883);  // INS changed
    // Overflow of the chaining buffer.
    std::uint16_t last = 0x9000;
    for (int i = 0; i < 30 && last == 0x9000; ++i) last = sim.send(cmd(0x10, 0xDA, 0x7F, 0x21, Bytes(255, 0x30))).sw;
    REQUIRE(last == 0x6700);
    // After an aborted chain the next command works normally.
    REQUIRE(sim.sw("00 CA 00 C4 00") == 0x9000);
    // Chained GET RESPONSE
    REQUIRE(sim.sw("10 C0 00 00 00") == 0x6883);
}

TEST_CASE("sim PUT DATA: access, lengths, algorithm attributes, unknown tags") {
    Sim sim;
    sim.select();
    REQUIRE(sim.sw("00 DA 00 5E 03 61 62 63") == 0x6982);
    REQUIRE(sim.sw("00 DA 00 C4 01 01") == 0x6982);
    REQUIRE(sim.sw("00 DA 12 34 01 00") == 0x6A88);
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 5E 03 61 62 63") == 0x9000);
    REQUIRE(sim.get_data(0x5E) == hex("61 62 63"));
    REQUIRE(sim.sw("00 DA 5F 50 05 68 74 74 70 73") == 0x9000);
    REQUIRE(sim.get_data(0x5F50) == hex("68 74 74 70 73"));
    REQUIRE(sim.sw("00 DA 00 5B 08 44 6F 65 3C 3C 4A 6F 65") == 0x9000);
    REQUIRE(sim.sw("00 DA 5F 2D 02 65 6E") == 0x9000);
    REQUIRE(sim.sw("00 DA 5F 35 01 39") == 0x9000);
    REQUIRE(sim.sw("00 DA 5F 35 02 39 39") == 0x6700);
    REQUIRE(sim.get_data(0x65) == hex("65 13 5B 08 44 6F 65 3C 3C 4A 6F 65 5F 2D 02 65 6E 5F 35 01 39"));
    REQUIRE(sim.sw("00 DA 00 C4 02 01 01") == 0x6700);
    REQUIRE(sim.sw("00 DA 00 C4 01 02") == 0x6A80);
    REQUIRE(sim.sw("00 DA 00 C4") == 0x6700);
    REQUIRE(sim.sw("00 DA 00 C7 13 " + zeros(19)) == 0x6700);
    REQUIRE(sim.sw("00 DA 00 CA 14 " + zeros(19) + "AA") == 0x9000);
    REQUIRE(sim.get_data(0xC6)[19] == 0xAA);
    REQUIRE(sim.sw("00 DA 00 CF 03 01 02 03") == 0x6700);
    // private DOs
    REQUIRE(sim.sw("00 DA 01 02 02 AB CD") == 0x9000);
    REQUIRE(sim.get_data(0x0102) == hex("AB CD"));
    REQUIRE(sim.sw("00 DA 01 01 01 11") == 0x6982);  // needs PW1 82
    sim.verify_pw1(0x82);
    REQUIRE(sim.sw("00 DA 01 03 01 33") == 0x9000);
    REQUIRE(sim.get_data(0x0103) == hex("33"));
    // algorithm attributes
    REQUIRE(sim.sw("00 DA 00 C1 06 01 04 00 00 20 00") == 0x6A80);               // RSA-1024
    REQUIRE(sim.sw("00 DA 00 C1 0A 16 2B 06 01 04 01 DA 47 0F 01") == 0x6A80);    // Ed25519
    REQUIRE(sim.sw("00 DA 00 C2 09 13 2A 86 48 CE 3D 03 01 07") == 0x6A80);       // ECDSA on DEC
    REQUIRE(sim.sw("00 DA 00 C1 09 12 2A 86 48 CE 3D 03 01 07") == 0x6A80);       // ECDH on SIG
    REQUIRE(sim.sw("00 DA 00 C1 06 13 2B 81 04 00 23") == 0x6A80);                // P-521
    REQUIRE(sim.sw("00 DA 00 C1 05 01 10 00 00 20") == 0x9000);                   // 5-byte RSA-4096
    REQUIRE(sim.sw("00 DA 00 C2 0A 12 2A 86 48 CE 3D 03 01 07 FF") == 0x9000);    // ECDH P-256 on DEC
    REQUIRE(sim.sw("00 DA 00 C1 09 13 2A 86 48 CE 3D 03 01 07") == 0x9000);
    // A generated key is deleted when the attributes change.
    REQUIRE(sim.sw("00 47 80 00 02 B6 00 00") == 0x9000);
    REQUIRE(sim.get_data(0xDE) == hex("01 01 02 00 03 00"));
    REQUIRE(sim.sw("00 DA 00 C1 09 13 2A 86 48 CE 3D 03 01 07") == 0x9000);  // unchanged: key kept
    REQUIRE(sim.sw("00 47 81 00 02 B6 00 00") == 0x9000);
    REQUIRE(sim.sw("00 DA 00 C1 06 13 2B 81 04 00 22") == 0x9000);
    REQUIRE(sim.sw("00 47 81 00 02 B6 00 00") == 0x6A88);
    REQUIRE(sim.get_data(0xDE) == hex("01 00 02 00 03 00"));
    // ECDH key generation on DEC
    Resp dec = sim.send("00 47 80 00 02 B8 00 00");
    REQUIRE(dec.sw == 0x9000);
    REQUIRE(Bytes(dec.data.begin(), dec.data.begin() + 6) == hex("7F 49 43 86 41 04"));
}

TEST_CASE("sim GENERATE with malformed CRTs and parameters") {
    Sim sim;
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.sw("00 47 80 00") == 0x6700);
    REQUIRE(sim.sw("00 47 80 00 02 B7 00 00") == 0x6A80);
    REQUIRE(sim.sw("00 47 80 00 02 B6 05 00") == 0x6A80);       // truncated TLV
    REQUIRE(sim.sw("00 47 80 00 03 B6 00 00 00") == 0x6A80);    // trailing bytes
    REQUIRE(sim.sw("00 47 80 00 05 B6 03 84 01 02 00") == 0x6A80);  // wrong key ref
    REQUIRE(sim.sw("00 47 80 00 04 B6 02 84 01 00") == 0x6A80);
    REQUIRE(sim.sw("00 47 82 00 02 B6 00 00") == 0x6A86);
    REQUIRE(sim.sw("00 47 80 01 02 B6 00 00") == 0x6A86);
    REQUIRE(sim.sw("00 47 81 00 02 A4 00 00") == 0x6A88);
}

TEST_CASE("sim GET CHALLENGE") {
    Sim sim;
    sim.select();
    Resp r = sim.send("00 84 00 00 08");
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 8);
    Resp big = sim.send("00 84 00 00 00 08 00");
    REQUIRE(big.sw == 0x9000);
    REQUIRE(big.data.size() == 2048);
    REQUIRE(sim.sw("00 84 00 00 00 08 01") == 0x6700);
    REQUIRE(sim.sw("00 84 00 00") == 0x6700);
    REQUIRE(sim.sw("00 84 00 01 08") == 0x6A86);
    Resp r2 = sim.send("00 84 00 00 00");
    REQUIRE(r2.data.size() == 256);
    REQUIRE(r2.data != Bytes(256, 0));
}

TEST_CASE("sim factory reset: block PW3, TERMINATE DF, ACTIVATE FILE") {
    Sim sim;
    sim.select();
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 5E 03 61 62 63") == 0x9000);
    REQUIRE(sim.sw("00 DA 00 C1 06 13 2B 81 04 00 22") == 0x9000);
    REQUIRE(sim.sw("00 47 80 00 02 B6 00 00") == 0x9000);
    REQUIRE(sim.sw("00 24 00 81 0C 31 32 33 34 35 36 36 35 34 33 32 31") == 0x9000);
    sim.select();
    REQUIRE(sim.sw("00 E6 00 00") == 0x6982);  // PW3 neither verified nor blocked
    REQUIRE(sim.sw("00 44 00 00") == 0x9000);  // operational: no-op
    REQUIRE(sim.get_data(0x5E) == hex("61 62 63"));
    // GnuPG / OpenSC / yubikit sequence
    for (int i = 0; i < 4; ++i) sim.send("00 20 00 81 08 40 40 40 40 40 40 40 40");
    for (int i = 0; i < 4; ++i) sim.send("00 20 00 83 08 40 40 40 40 40 40 40 40");
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 00 00 00"));
    REQUIRE(sim.sw("00 E6 00 01") == 0x6A86);
    REQUIRE(sim.sw("00 E6 00 00") == 0x9000);
    REQUIRE(sim.sw("00 CA 00 C4 00") == 0x6285);
    REQUIRE(sim.sw("00 A4 04 00 06 D2 76 00 01 24 01 00") == 0x6285);
    REQUIRE(sim.sw("00 20 00 83 08 31 32 33 34 35 36 37 38") == 0x6285);
    REQUIRE(sim.sw("00 44 00 00") == 0x9000);
    sim.select();
    REQUIRE(sim.get_data(0x5E).empty());
    REQUIRE(sim.get_data(0xC4) == hex("00 7F 7F 7F 03 00 03"));
    REQUIRE(sim.get_data(0xC1) == hex("13 2A 86 48 CE 3D 03 01 07"));
    REQUIRE(sim.get_data(0xDE) == hex("01 00 02 00 03 00"));
    REQUIRE(sim.sw("00 47 81 00 02 B6 00 00") == 0x6A88);
    REQUIRE(sim.get_data(0x4F) == hex("D2 76 00 01 24 01 03 04 FF FF 00 00 00 01 00 00"));  // serial kept
    sim.verify_pw1(0x81);  // default PINs back
    sim.verify_pw3();
    // TERMINATE with PW3 verified
    REQUIRE(sim.sw("00 E6 00 00") == 0x9000);
    REQUIRE(sim.sw("00 44 00 00") == 0x9000);
    REQUIRE(sim.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
}

TEST_CASE("sim malformed commands get the right status word") {
    Sim sim;
    sim.select();
    struct Case {
        const char* apdu;
        std::uint16_t sw;
    };
    const Case cases[] = {
        {"", 0x6700},
        {"00", 0x6700},
        {"00 CA 00", 0x6700},
        {"00 CA 00 C4 05 01", 0x6700},                // Lc 5, one data byte
        {"00 CA 00 C4 02 01 02 03 04", 0x6700},       // Lc 2, four bytes
        {"00 CA 00 C4 00 00", 0x6700},                // extended marker, too short
        {"00 CA 00 C4 00 00 05 01 02", 0x6700},       // extended Lc 5, 2 bytes
        {"00 CA 00 C4 00 00 00 00", 0x6700},          // extended Lc 0
        {"80 CA 00 C4 00", 0x6E00},
        {"01 CA 00 C4 00", 0x6E00},
        {"0C CA 00 C4 00", 0x6E00},
        {"FF CA 00 C4 00", 0x6E00},
        {"00 FF 00 00", 0x6D00},
        {"00 B0 00 00 00", 0x6D00},
        {"00 22 41 B8 03 83 01 02", 0x6D00},
        {"00 20 00 80", 0x6A86},
        {"00 24 01 81 0C 31 32 33 34 35 36 36 35 34 33 32 31", 0x6A86},
        {"00 2A 00 00 01 00", 0x6A86},
        {"00 88 01 00 01 00", 0x6A86},
        {"00 E6 01 00", 0x6A86},
        {"00 44 00 01", 0x6A86},
        {"00 A4 04 10 06 D2 76 00 01 24 01", 0x6A86},
        {"00 C0 00 00 00", 0x6985},
        {"00 CC 00 C4 00", 0x6A88},
        {"00 47 81 00 02 B6", 0x6700},
        {"00 47 81 00 03 B6 81", 0x6700},
    };
    for (const auto& c : cases) {
        INFO("APDU " << c.apdu);
        Bytes apdu = hex(c.apdu);
        CHECK(sim.send(apdu).sw == c.sw);
    }
    // Bad TLV in PUT DATA requiring structure / GENERATE CRT
    sim.verify_pw3();
    CHECK(sim.sw("00 47 80 00 02 84 01") == 0x6A80);
    CHECK(sim.sw("00 47 80 00 01 B6") == 0x6A80);
    CHECK(sim.sw("00 47 80 00 04 B6 82 FF FF") == 0x6A80);
    CHECK(sim.sw("00 DA 00 C1 01 01") == 0x6A80);
    CHECK(sim.sw("00 DA 00 C1 00 00 11 " + zeros(17)) == 0x6700);  // longer than any attribute
}

TEST_CASE("sim random-input fuzz: never crashes, always a 2-byte status word") {
    Sim sim;
    std::mt19937 rng(12345);
    const std::uint8_t ins_list[] = {0xA4, 0xCA, 0xCC, 0xDA, 0xA5, 0x20, 0x24, 0x2C, 0x47, 0x2A, 0x88, 0x84, 0xC0, 0x44, 0xFF};
    std::vector<std::uint8_t> response(qscd::sim::kMaxResponseApdu);
    for (int i = 0; i < 4000; ++i) {
        if (i % 500 == 0) sim.select();
        std::size_t len = rng() % 300;
        Bytes apdu(len);
        for (auto& b : apdu) b = static_cast<std::uint8_t>(rng());
        if (len >= 4 && (rng() % 4) != 0) {
            apdu[0] = (rng() % 3 == 0) ? 0x10 : 0x00;
            apdu[1] = ins_list[rng() % sizeof ins_list];
            if (rng() % 2 && len > 5) apdu[4] = static_cast<std::uint8_t>(len - 5);  // consistent Lc
        }
        if (apdu.size() >= 2 && apdu[1] == 0xE6) apdu[1] = 0xCA;  // keep the card operational
        const std::size_t n = sim.card->process(apdu, response);
        REQUIRE(n >= 2);
        REQUIRE(n <= response.size());
        const std::uint8_t sw1 = response[n - 2];
        REQUIRE((sw1 == 0x90 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63 || sw1 == 0x65 || sw1 == 0x67 ||
                 sw1 == 0x68 || sw1 == 0x69 || sw1 == 0x6A || sw1 == 0x6B || sw1 == 0x6D || sw1 == 0x6E ||
                 sw1 == 0x6F));
    }
    // Still a working card afterwards.
    sim.select();
    REQUIRE(sim.send("00 CA 00 6E 00").sw == 0x9000);
}

TEST_CASE("sim key import (PUT DATA odd 4D): the §13 ECDSA P-256 key, RSA-2048 via chaining, bad templates") {
    Sim sim;
    sim.select();
    const std::string d = "C2 96 35 17 E8 B0 EA 7E FD 7F 38 C8 D3 AA 4D 37 B4 05 28 A5 49 CE D9 D5 2A 89 7D BB 3D B3 6A B3";
    const std::string q = "04 60 35 07 95 F1 E5 91 C6 5C 01 61 A4 F1 6F E3 73 E5 D9 12 8D 3A 8E 84 B9 16 42 D6 4D 5F F0 B5 39"
                          " 85 60 0B CE 69 8B 41 4F BA 4C 7B 25 59 DA 63 BF D4 84 3F 05 93 0B 93 AD 3C ED 6B EC 8B 1B 13 11";
    const std::string import = "00 DB 3F FF 6F 4D 6D B6 00 7F 48 04 92 20 99 41 5F 48 61 " + d + " " + q;
    REQUIRE(sim.sw(import) == 0x6982);
    sim.verify_pw3();
    REQUIRE(sim.sw("00 DA 00 C1 0A 13 2A 86 48 CE 3D 03 01 07 FF") == 0x9000);
    REQUIRE(sim.sw(import) == 0x9000);
    REQUIRE(sim.get_data(0xDE) == hex("01 02 02 00 03 00"));
    Resp pub = sim.send("00 47 81 00 02 B6 00 00");
    REQUIRE(pub.sw == 0x9000);
    REQUIRE(pub.data == hex("7F 49 43 86 41 " + q));
    sim.verify_pw1(0x81);
    const Bytes hash = sha256(qscd::as_bytes("hello world"));
    Resp sig = sim.apdu(0x2A, 0x9E, 0x9A, hash, 256);
    REQUIRE(sig.sw == 0x9000);
    REQUIRE(ecdsa_verifies(MBEDTLS_ECP_DP_SECP256R1, hex(q), hash, sig.data));
    // The worked example's r‖s verifies against the same point (checks the test's own verifier).
    REQUIRE(ecdsa_verifies(MBEDTLS_ECP_DP_SECP256R1, hex(q), hash,
                           hex("97 FE 96 F6 34 95 B4 7D 73 85 D5 E0 BC 5C 58 B9 EB 9E EB 73 74 69 FC 5E 7D 7F 69 70 C1 F3 FE F8"
                               " 3A A6 AA EC CB CD 1C 0D B9 22 60 1C 8E 97 7B D6 61 A9 83 51 8F BD F7 F6 BE B5 7E 09 05 8B 72 79")));

    // Mismatching public key, bad template, wrong P1P2
    std::string wrong_q = q;
    wrong_q[wrong_q.size() - 1] = '2';
    REQUIRE(sim.sw("00 DB 3F FF 6F 4D 6D B6 00 7F 48 04 92 20 99 41 5F 48 61 " + d + " " + wrong_q) == 0x6A80);
    REQUIRE(sim.sw("00 DB 3F FF 2B 4D 29 B6 00 7F 48 02 92 21 5F 48 20 " + d) == 0x6A80);  // lengths disagree
    REQUIRE(sim.sw("00 DB 3F FF 05 4D 03 B6 00 00") == 0x6A80);
    REQUIRE(sim.sw("00 DB 3F FE 05 4D 03 B6 01 00") == 0x6A86);

    // RSA-2048 in the DEC slot, key made by mbedTLS in the test, sent with command chaining.
    mbedtls_rsa_context rsa;
    mbedtls_rsa_init(&rsa);
    qscd::sim::SystemRandom rnd;
    REQUIRE(mbedtls_rsa_gen_key(&rsa, &qscd::sim::random_f_rng, &rnd, 2048, 65537) == 0);
    Bytes p(128), qq(128), e(4), n(256);
    REQUIRE(mbedtls_rsa_export_raw(&rsa, n.data(), n.size(), p.data(), p.size(), qq.data(), qq.size(), nullptr, 0,
                                   e.data(), e.size()) == 0);
    mbedtls_rsa_free(&rsa);
    Bytes body = hex("B8 00 7F 48 08 91 04 92 81 80 93 81 80 5F 48 82 01 04");
    body.insert(body.end(), e.begin(), e.end());
    body.insert(body.end(), p.begin(), p.end());
    body.insert(body.end(), qq.begin(), qq.end());
    Bytes data = hex("4D 82 01 16");
    data.insert(data.end(), body.begin(), body.end());
    REQUIRE(data.size() == 282);
    REQUIRE(sim.send(cmd(0x10, 0xDB, 0x3F, 0xFF, Bytes(data.begin(), data.begin() + 255))).sw == 0x9000);
    REQUIRE(sim.send(cmd(0x00, 0xDB, 0x3F, 0xFF, Bytes(data.begin() + 255, data.end()))).sw == 0x9000);
    Resp rsapub = sim.transceive(hex("00 47 81 00 02 B8 00 00"));
    REQUIRE(rsapub.sw == 0x9000);
    REQUIRE(pubkey_field(rsapub.data, 0x81) == n);
    REQUIRE(sim.get_data(0xDE) == hex("01 02 02 02 03 00"));
}

TEST_CASE("sim fuzz with PW3 verified: PUT DATA / import / SELECT DATA with random contents") {
    Sim sim;
    sim.select();
    std::mt19937 rng(777);
    const std::uint16_t tags[] = {0x005E, 0x5F50, 0x005B, 0x5F2D, 0x5F35, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C7,
                                  0x00CA, 0x00CE, 0x00D3, 0x7F21, 0x0101, 0x0102, 0x0103, 0x0104, 0x3FFF, 0x1234};
    const std::uint8_t ins_list[] = {0xDA, 0xDB, 0xA5, 0xCA, 0xCC, 0x2C};
    std::vector<std::uint8_t> response(qscd::sim::kMaxResponseApdu);
    for (int i = 0; i < 3000; ++i) {
        if (i % 100 == 0) {  // drop any half-finished chain, then admin again
            sim.card->reset();
            sim.select();
            sim.verify_pw3();
        }
        const std::uint16_t tag = tags[rng() % std::size(tags)];
        Bytes apdu{static_cast<std::uint8_t>(rng() % 5 == 0 ? 0x10 : 0x00), ins_list[rng() % std::size(ins_list)],
                   static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag)};
        const std::size_t len = rng() % 200;
        if (len) {
            apdu.push_back(static_cast<std::uint8_t>(len));
            for (std::size_t k = 0; k < len; ++k) apdu.push_back(static_cast<std::uint8_t>(rng()));
            if (rng() % 2) apdu[5] = rng() % 2 ? 0x4D : 0x13;
        }
        const std::size_t n = sim.card->process(apdu, response);
        REQUIRE(n >= 2);
        const std::uint8_t sw1 = response[n - 2];
        REQUIRE(sw1 != 0x6F);  // never an internal error
    }
    sim.select();
    REQUIRE(sim.send("00 CA 00 6E 00").sw == 0x9000);
}
