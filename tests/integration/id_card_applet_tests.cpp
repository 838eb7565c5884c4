// The simulated Estonian ID card (IDEMIA 2018 profile) against raw APDUs in the card's published formats
// (core/profiles/include/qscd/profiles/estonian_id.hpp lists the sources): ATR, SELECT forms, READ BINARY,
// PIN block format, 63Cx retry reporting and the IDEMIA GET DATA, PUK unblock, MSE SET forms, PSO:CDS,
// INTERNAL AUTHENTICATE, the personalisation life cycle and persistence.
#include "id_card_test_support.hpp"

#include "qscd/error.hpp"
#include "qscd/profiles/card_profile.hpp"
#include "qscd/sim/id_card_personalisation.hpp"
#include "qscd/sim/in_process_transport.hpp"
#include "qscd/sim/simulator_store.hpp"

#include <unistd.h>

#include <filesystem>

#include <mbedtls/pk.h>

using namespace idtest;
using qscd::sim::CardType;

namespace {

const Bytes kHash48 = Bytes(48, 0xA5);

Bytes mse_sign() { return hex("00 22 41 B6 06 80 01 54 84 01 9F"); }
Bytes mse_auth() { return hex("00 22 41 A4 06 80 01 04 84 01 81"); }

bool verifies(const Bytes& point, const Bytes& hash, const Bytes& rs) {
    return simtest::ecdsa_verifies(MBEDTLS_ECP_DP_SECP384R1, point, hash, rs);
}

}  // namespace

TEST_CASE("id card: presents the Estonian IDEMIA 2018 ATR, which the profile table matches") {
    IdSim sim;
    const ByteView atr = sim.card->card_atr();
    REQUIRE(Bytes(atr.begin(), atr.end()) == hex("3B DB 96 00 80 B1 FE 45 1F 83 00 12 23 3F 53 65 49 44 0F 90 00 F1"));
    REQUIRE(qscd::profiles::find_by_atr(atr) == &ee::kProfile);
    REQUIRE(qscd::profiles::find_by_id("estonian-id") == &ee::kProfile);
    // The OpenPGP test card's ATR is no ID card; a masked pattern ignores the masked bits only.
    REQUIRE(qscd::profiles::find_by_atr(qscd::sim::VirtualCard::atr()) == nullptr);
    const Bytes pattern = hex("3B DB 96 00"), mask = hex("FF FF 00 FF");
    REQUIRE(qscd::profiles::atr_matches({pattern, mask}, hex("3B DB 11 00")));
    REQUIRE_FALSE(qscd::profiles::atr_matches({pattern, mask}, hex("3B DA 96 00")));
    std::uint8_t x = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) x ^= atr[i];
    REQUIRE(x == 0);  // TCK
}

TEST_CASE("id card: the state records the card type and survives a reload") {
    IdSim sim;
    REQUIRE(sim.card->card_type() == CardType::EstonianId);
    const auto& image = *sim.storage.image();
    auto type = qscd::sim::peek_card_type(image);
    REQUIRE(type.ok());
    REQUIRE(*type == CardType::EstonianId);
    sim.reload();
    REQUIRE(sim.card->card_type() == CardType::EstonianId);
    REQUIRE(sim.card->id_applet().state().life_cycle == qscd::sim::kIdLifeCycleOperational);
    // An OpenPGP card's image still says OpenPGP.
    simtest::Sim openpgp;
    auto pgp_type = qscd::sim::peek_card_type(*openpgp.storage.image());
    REQUIRE(pgp_type.ok());
    REQUIRE(*pgp_type == CardType::OpenPgp);
}

TEST_CASE("id card: SELECT by AID, MF, DF and EF identifiers and paths, as OpenSC and libelectronic-id send them") {
    IdSim sim;
    // OpenSC's match: SELECT of the main AID (P2 00, Le 00) answers a DF FCP.
    Resp r = sim.send(cmd(0xA4, 0x04, 0x00, Bytes(ee::kMainAid.begin(), ee::kMainAid.end()), 0));
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() >= 4);
    REQUIRE(r.data[0] == 0x62);
    // OpenSC's esteid2018 select_file: MF as a case-1 command, DF by FID, EF by path with FCP.
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    REQUIRE(sim.sw("00 A4 01 0C 02 AD F2") == 0x9000);
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    r = sim.send("00 A4 09 04 04 AD F1 34 01 00");
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data == hex("62 04 80 02 03 E8"));  // 1000-byte authentication certificate
    REQUIRE(sim.send("00 A4 09 04 04 AD F2 34 1F 00").sw == 0x6A82);  // the current DF is now ADF1
    REQUIRE(sim.send("00 A4 00 0C").sw == 0x9000);
    REQUIRE(sim.send("00 A4 09 04 04 AD F2 34 1F 00").data == hex("62 04 80 02 04 D2"));
    REQUIRE(sim.send("00 A4 00 0C").sw == 0x9000);
    REQUIRE(sim.send("00 A4 09 04 02 D0 03 00").data == hex("62 04 80 02 00 0B"));
    // libelectronic-id: application by AID (P2 0C), then the certificate EF by FID (P1 02).
    sim.select_qscd();
    REQUIRE(sim.sw("00 A4 02 0C 02 34 1F") == 0x9000);
    REQUIRE(sim.sw("00 A4 02 0C 02 34 01") == 0x6A82);  // the auth certificate is in ADF1, not here
    sim.select_auth();
    REQUIRE(sim.sw("00 A4 02 0C 02 34 01") == 0x9000);
    // Path from the MF (P1 08).
    REQUIRE(sim.sw("00 A4 08 0C 04 AD F2 34 1F") == 0x9000);
    // Unknown names, bad lengths and P1/P2.
    REQUIRE(sim.sw("00 A4 04 0C 05 A0 00 00 00 77") == 0x6A82);  // a truncated AID is not this card's
    REQUIRE(sim.sw("00 A4 09 04 04 AD F3 34 01 00") == 0x6A82);
    REQUIRE(sim.sw("00 A4 08 0C 03 AD F2 34") == 0x6700);
    REQUIRE(sim.sw("00 A4 02 0C 01 34") == 0x6700);
    REQUIRE(sim.sw("00 A4 05 0C 02 34 01") == 0x6A86);
    REQUIRE(sim.sw("00 A4 02 01 02 34 01") == 0x6A86);
    // A failed SELECT leaves the current EF: READ BINARY still reads the signature certificate.
    REQUIRE(sim.send("00 B0 00 00 04").data == Bytes(sim.sign_cert.begin(), sim.sign_cert.begin() + 4));
}

TEST_CASE("id card: READ BINARY with offsets, blocks of 0xB5 like libelectronic-id, end of file, no EF") {
    IdSim sim;
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    REQUIRE(sim.sw("00 B0 00 00 04") == 0x6986);  // no current EF
    REQUIRE(sim.sw("00 A4 09 04 02 D0 03 00") == 0x9000);
    // OpenSC reads 11 bytes and takes tag 04 as the document number: "T" marks a TEST card.
    Resp r = sim.send("00 B0 00 00 0B");
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data == hex("04 09 54 30 30 30 30 30 30 30 31"));  // "T00000001"
    sim.select_qscd();
    REQUIRE(sim.sw("00 A4 02 0C 02 34 1F") == 0x9000);
    Bytes all;
    while (all.size() < sim.sign_cert.size()) {
        const std::size_t want = std::min<std::size_t>(0xB5, sim.sign_cert.size() - all.size());
        r = sim.send(cmd(0xB0, static_cast<std::uint8_t>(all.size() >> 8), static_cast<std::uint8_t>(all.size()), {},
                         static_cast<int>(want)));
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() == want);
        all.insert(all.end(), r.data.begin(), r.data.end());
    }
    REQUIRE(all == sim.sign_cert);
    // Le beyond the end: the rest with 6282; Le 00: the rest with 9000; at or past the end: 6B00.
    r = sim.send("00 B0 04 C0 20");  // offset 1216, 18 bytes left
    REQUIRE(r.sw == 0x6282);
    REQUIRE(r.data.size() == 18);
    r = sim.send("00 B0 04 C0 00");
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 18);
    REQUIRE(sim.sw("00 B0 04 D2 01") == 0x6B00);
    REQUIRE(sim.sw("00 B0 7F FF 01") == 0x6B00);
    REQUIRE(sim.sw("00 B0 81 00 01") == 0x6A81);  // short EF identifier
}

TEST_CASE("id card: VERIFY takes the 12-byte FF-padded PIN block, wrong PIN2 three times blocks it, PUK unblocks") {
    IdSim sim;
    sim.select_qscd();
    // Format errors cost no try: unpadded, over-long, bad padding, too few digits, non-digits.
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, Bytes{'1', '2', '3', '4', '5'})) == 0x6700);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345", 13))) == 0x6700);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345", 12, 0x00))) == 0x6A80);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("1234"))) == 0x6A80);  // PIN2 is 5-12 digits
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12a45"))) == 0x6A80);
    REQUIRE(sim.sw("00 20 00 85") == 0x6700);  // no empty-VERIFY status query on this card (profile)
    REQUIRE(sim.tries(0x85) == std::pair<int, int>{3, 3});
    sim.select_qscd();
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("99999"))) == 0x63C2);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("99999"))) == 0x63C1);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("99999"))) == 0x63C0);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x6983);  // blocked: even the right PIN
    REQUIRE(sim.tries(0x85) == std::pair<int, int>{0, 3});
    // The count survives a power cycle and another process loading the state.
    sim.reload();
    REQUIRE(sim.tries(0x85) == std::pair<int, int>{0, 3});
    // OpenSC's unblock: VERIFY PUK (02), SELECT ADF2, RESET RETRY COUNTER P1 02 with the new PIN2 only.
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x02, block("17258403"))) == 0x9000);
    REQUIRE(sim.sw("00 A4 01 0C 02 AD F2") == 0x9000);
    REQUIRE(sim.sw(cmd(0x2C, 0x02, 0x85, block("54321"))) == 0x9000);
    REQUIRE(sim.tries(0x85) == std::pair<int, int>{3, 3});
    sim.select_qscd();
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x63C2);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("54321"))) == 0x9000);
}

TEST_CASE("id card: RESET RETRY COUNTER forms, wrong PUK counts, a blocked PUK refuses, PIN references and their DFs") {
    IdSim sim;
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    for (int i = 0; i < 3; ++i) REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("0000"))) == 0x63C2 - i);
    // P1 00: PUK block || new PIN1 block in one command.
    Bytes data = block("17258403");
    const Bytes fresh = block("4321");
    data.insert(data.end(), fresh.begin(), fresh.end());
    REQUIRE(sim.sw(cmd(0x2C, 0x00, 0x01, data)) == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("4321"))) == 0x9000);
    // P1 03 (counter only) needs a verified PUK first; P1 01 verifies the PUK itself.
    sim.select_main();  // logs every PIN out
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("0000"))) == 0x63C2);
    REQUIRE(sim.sw("00 2C 03 01") == 0x6982);
    REQUIRE(sim.sw(cmd(0x2C, 0x01, 0x01, block("17258403"))) == 0x9000);
    REQUIRE(sim.tries(0x01) == std::pair<int, int>{3, 3});
    // Wrong PUKs count down to a blocked PUK, which then refuses even the right value.
    REQUIRE(sim.sw(cmd(0x2C, 0x01, 0x01, block("11111111"))) == 0x63C2);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x02, block("11111111"))) == 0x63C1);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x02, block("11111111"))) == 0x63C0);
    REQUIRE(sim.sw(cmd(0x2C, 0x01, 0x01, block("17258403"))) == 0x6983);
    REQUIRE(sim.tries(0x02) == std::pair<int, int>{0, 3});
    // The PUK has no unblocking PIN; unknown references; PIN2 (85, local) only inside ADF2.
    REQUIRE(sim.sw(cmd(0x2C, 0x01, 0x02, block("17258403"))) == 0x6985);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x03, block("1234"))) == 0x6A88);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x6A88);  // MF is current
    REQUIRE(sim.sw(cmd(0x20, 0x01, 0x01, block("1234"))) == 0x6A86);
    REQUIRE(sim.sw(cmd(0x2C, 0x04, 0x01, block("17258403"))) == 0x6A86);
}

TEST_CASE("id card: CHANGE REFERENCE DATA with old and new blocks, a wrong old PIN counts, formats checked first") {
    IdSim sim;
    Bytes data = block("1234");
    Bytes fresh = block("987654");
    data.insert(data.end(), fresh.begin(), fresh.end());
    REQUIRE(sim.sw(cmd(0x24, 0x00, 0x01, data)) == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("1234"))) == 0x63C2);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("987654"))) == 0x9000);
    // Wrong old value: 63Cx; bad new block: 6A80 and no try spent; wrong total length: 6700.
    Bytes wrong = block("1111");
    wrong.insert(wrong.end(), fresh.begin(), fresh.end());
    REQUIRE(sim.sw(cmd(0x24, 0x00, 0x01, wrong)) == 0x63C2);
    Bytes bad_new = block("987654");
    const Bytes three = block("123");
    bad_new.insert(bad_new.end(), three.begin(), three.end());
    REQUIRE(sim.sw(cmd(0x24, 0x00, 0x01, bad_new)) == 0x6A80);
    REQUIRE(sim.tries(0x01) == std::pair<int, int>{2, 3});
    REQUIRE(sim.sw(cmd(0x24, 0x00, 0x01, block("987654"))) == 0x6700);
    // PIN2 in ADF2 with its own minimum of 5 digits.
    sim.select_qscd();
    Bytes pin2 = block("12345");
    const Bytes pin2_new = block("55555");
    pin2.insert(pin2.end(), pin2_new.begin(), pin2_new.end());
    REQUIRE(sim.sw(cmd(0x24, 0x00, 0x85, pin2)) == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("55555"))) == 0x9000);
}

TEST_CASE("id card: GET DATA answers each PIN's tries where OpenSC and libelectronic-id look, other queries refused") {
    IdSim sim;
    REQUIRE(sim.tries(0x01) == std::pair<int, int>{3, 3});
    REQUIRE(sim.tries(0x02) == std::pair<int, int>{3, 3});
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("0000"))) == 0x63C2);
    REQUIRE(sim.tries(0x01) == std::pair<int, int>{2, 3});
    // Exact answer for PIN1 (the shape OpenSC documents for the real card).
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    Resp r = sim.send("00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80 00");
    REQUIRE(r.data == hex("70 1E BF 81 01 1A A0 18 9A 01 03 9B 01 02 A1 10 8C 06 F3 00 00 73 43 00 9C 06 F3 00 00 73 43 00"));
    // PIN2 (05) only from ADF2; unknown numbers, other templates and P1P2 refused.
    REQUIRE(sim.sw("00 CB 3F FF 0A 4D 08 70 06 BF 81 05 02 A0 80 00") == 0x6A88);
    REQUIRE(sim.sw("00 CB 3F FF 0A 4D 08 70 06 BF 81 07 02 A0 80 00") == 0x6A88);
    REQUIRE(sim.sw("00 CB 3F FF 0A 4D 08 70 06 BF 82 01 02 A0 80 00") == 0x6A80);
    REQUIRE(sim.sw("00 CB 3F FF 03 4D 01 70 00") == 0x6700);
    REQUIRE(sim.sw("00 CB 00 FF 0A 4D 08 70 06 BF 81 01 02 A0 80 00") == 0x6A86);
}

TEST_CASE("id card: MSE SET (both known forms) + VERIFY PIN2 + PSO:CDS on 48 bytes gives r||s, PIN2 is good for one signature") {
    IdSim sim;
    sim.select_qscd();
    REQUIRE(sim.sw(mse_sign()) == 0x9000);
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, kHash48, 0)) == 0x6982);  // no PIN2
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x9000);
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, Bytes(32, 0x11), 0)) == 0x6700);  // the card takes 48 bytes exactly
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, Bytes(64, 0x11), 0)) == 0x6700);
    Resp r = sim.send(cmd(0x2A, 0x9E, 0x9A, kHash48, 0));
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 96);
    REQUIRE(verifies(sim.sign_point, kHash48, r.data));
    REQUIRE_FALSE(verifies(sim.auth_point, kHash48, r.data));
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, kHash48, 0)) == 0x6982);  // sole control: PIN2 again
    // OpenSC's MSE SET form for the same key (after its select_file of 3F00:ADF2).
    REQUIRE(sim.sw("00 A4 00 0C") == 0x9000);
    REQUIRE(sim.sw("00 A4 01 0C 02 AD F2") == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x9000);
    REQUIRE(sim.sw("00 22 41 B6 09 80 04 FF 15 08 00 84 01 9F") == 0x9000);
    r = sim.send(cmd(0x2A, 0x9E, 0x9A, kHash48, 0x60));
    REQUIRE(r.sw == 0x9000);
    REQUIRE(verifies(sim.sign_point, kHash48, r.data));
}

TEST_CASE("id card: MSE SET refuses unknown forms and keys of another DF, PSO needs the signature environment") {
    IdSim sim;
    sim.select_qscd();
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x9000);
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, kHash48, 0)) == 0x6985);  // no MSE SET yet
    REQUIRE(sim.sw("00 22 41 B6 06 80 01 44 84 01 9F") == 0x6A80);  // ECDSA-SHA256 algorithm id: not this card's form
    REQUIRE(sim.sw("00 22 41 A4 06 80 01 04 84 01 81") == 0x6A80);  // the auth key lives in ADF1
    REQUIRE(sim.sw("00 22 41 B8 09 80 04 FF 30 04 00 84 01 81") == 0x6A80);
    REQUIRE(sim.sw("00 22 F3 01") == 0x6A86);
    REQUIRE(sim.sw(mse_sign()) == 0x9000);
    REQUIRE(sim.sw(cmd(0x88, 0x00, 0x00, kHash48, 0)) == 0x6985);  // the signature key is no INTERNAL AUTHENTICATE key
    REQUIRE(sim.sw(cmd(0x2A, 0x80, 0x86, kHash48, 0)) == 0x6A86);
    // Leaving the DF drops the security environment.
    sim.select_auth();
    sim.select_qscd();
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, kHash48, 0)) == 0x6985);
}

TEST_CASE("id card: INTERNAL AUTHENTICATE with the authentication key after PIN1, PIN1 stays verified") {
    IdSim sim;
    sim.select_main();
    sim.select_auth();
    REQUIRE(sim.sw(mse_auth()) == 0x9000);
    REQUIRE(sim.sw(cmd(0x88, 0x00, 0x00, kHash48, 0)) == 0x6982);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x01, block("1234"))) == 0x9000);
    for (int i = 0; i < 2; ++i) {
        Resp r = sim.send(cmd(0x88, 0x00, 0x00, kHash48, 0));
        REQUIRE(r.sw == 0x9000);
        REQUIRE(r.data.size() == 96);
        REQUIRE(verifies(sim.auth_point, kHash48, r.data));
    }
    REQUIRE(sim.sw(cmd(0x2A, 0x9E, 0x9A, kHash48, 0)) == 0x6985);  // PSO:CDS is not this key's request
    REQUIRE(sim.sw("00 22 41 A4 09 80 04 FF 20 08 00 84 01 81") == 0x9000);  // OpenSC's form
    REQUIRE(sim.sw(cmd(0x88, 0x00, 0x00, kHash48, 0)) == 0x9000);
    REQUIRE(sim.sw(cmd(0x88, 0x01, 0x00, kHash48, 0)) == 0x6A86);
    // SELECT of the main application logs out (OpenSC's logout).
    sim.select_main();
    sim.select_auth();
    REQUIRE(sim.sw(mse_auth()) == 0x9000);
    REQUIRE(sim.sw(cmd(0x88, 0x00, 0x00, kHash48, 0)) == 0x6982);
}

TEST_CASE("id card: personalisation commands work only before ACTIVATE FILE, which needs every key and certificate") {
    IdSim sim(false);
    REQUIRE(sim.card->id_applet().state().life_cycle == qscd::sim::kIdLifeCyclePersonalisation);
    REQUIRE(sim.sw("00 44 00 00") == 0x6985);  // no keys yet
    sim.select_auth();
    sim.auth_point = sim.generate(0x81);
    REQUIRE(sim.send(cmd(0x47, 0x81, 0x00, Bytes{0x84, 0x01, 0x81}, 0)).sw == 0x9000);  // read back
    REQUIRE(sim.sw(cmd(0x47, 0x80, 0x00, Bytes{0x84, 0x01, 0x42}, 0)) == 0x6A88);
    REQUIRE(sim.sw(cmd(0x47, 0x80, 0x00, Bytes{0x83, 0x01, 0x81}, 0)) == 0x6A80);
    sim.select_qscd();
    sim.sign_point = sim.generate(0x9F);
    REQUIRE(sim.sw("00 44 00 00") == 0x6985);  // no certificates yet
    sim.write_file(Bytes(ee::kAuthCertPath.begin(), ee::kAuthCertPath.end()), sim.auth_cert);
    sim.write_file(Bytes(ee::kSignCertPath.begin(), ee::kSignCertPath.end()), sim.sign_cert);
    REQUIRE(sim.sw(cmd(0xD6, 0x05, 0x00, Bytes{0x01})) == 0x6B00);  // a write must not leave a hole (1234 bytes so far)
    REQUIRE(sim.sw(cmd(0xD6, 0x07, 0xFF, Bytes{0x01, 0x02})) == 0x6A84);  // beyond the EF's size
    REQUIRE(sim.sw("00 44 00 00") == 0x9000);
    REQUIRE(sim.card->id_applet().state().life_cycle == qscd::sim::kIdLifeCycleOperational);
    // Operational: no key generation, no public key read-out, no writes.
    REQUIRE(sim.sw(cmd(0x47, 0x80, 0x00, Bytes{0x84, 0x01, 0x9F}, 0)) == 0x6985);
    REQUIRE(sim.sw(cmd(0x47, 0x81, 0x00, Bytes{0x84, 0x01, 0x9F}, 0)) == 0x6985);
    REQUIRE(sim.sw("00 A4 08 0C 04 AD F2 34 1F") == 0x9000);
    REQUIRE(sim.sw(cmd(0xD6, 0x00, 0x00, Bytes{0x30})) == 0x6982);
    // The key signs what its certificate's point verifies.
    sim.select_qscd();
    REQUIRE(sim.sw(mse_sign()) == 0x9000);
    REQUIRE(sim.sw(cmd(0x20, 0x00, 0x85, block("12345"))) == 0x9000);
    Resp r = sim.send(cmd(0x2A, 0x9E, 0x9A, kHash48, 0));
    REQUIRE(verifies(sim.sign_point, kHash48, r.data));
}

TEST_CASE("id card: transport layer: CLA, chaining and unknown INS") {
    IdSim sim;
    REQUIRE(sim.sw("80 A4 00 0C") == 0x6E00);
    REQUIRE(sim.sw("10 20 00 01 0C 31 32 33 34 FF FF FF FF FF FF FF FF") == 0x6884);
    REQUIRE(sim.sw("00 CA 00 6E 00") == 0x6D00);  // no OpenPGP GET DATA here
    REQUIRE(sim.sw("00 84 00 00 08") == 0x6D00);
    REQUIRE(sim.sw("00 C0 00 00 00") == 0x6985);  // nothing pending
}

TEST_CASE("id card: personalise_id_card generates the keys on the card, stores the issued certificates and activates") {
    auto storage = std::make_unique<qscd::sim::MemoryStorage>();
    qscd::sim::CardOptions options;
    options.pin_iterations = 1000;
    options.card_type = CardType::EstonianId;
    const std::array<std::uint8_t, 4> serial = {0x12, 0x34, 0x56, 0x78};
    qscd::sim::InProcessTransport transport(std::move(storage), "memory", options, &serial);
    REQUIRE(transport.atr() == Bytes(ee::kAtr2018.begin(), ee::kAtr2018.end()));
    std::vector<Bytes> spkis;
    qscd::sim::personalise_id_card(transport, ee::kProfile, [&](const qscd::profiles::KeyProfile& key, ByteView spki) {
        spkis.emplace_back(spki.begin(), spki.end());
        return fake_certificate(key.role == qscd::profiles::KeyRole::Signature ? 900 : 700, key.reference);
    });
    REQUIRE(spkis.size() == 2);
    for (const Bytes& spki : spkis) {  // a parseable P-384 SubjectPublicKeyInfo
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        REQUIRE(mbedtls_pk_parse_public_key(&pk, spki.data(), spki.size()) == 0);
        REQUIRE(mbedtls_pk_get_bitlen(&pk) == 384);
        mbedtls_pk_free(&pk);
    }
    REQUIRE(spkis[0] != spkis[1]);
    auto& card = transport.card();
    REQUIRE(card.id_applet().state().life_cycle == qscd::sim::kIdLifeCycleOperational);
    REQUIRE(card.id_applet().state().files[ee::kSignCertFile].view().size() == 900);
    REQUIRE(Bytes(card.id_applet().state().files[ee::kAuthCertFile].view().begin(),
                  card.id_applet().state().files[ee::kAuthCertFile].view().end()) == fake_certificate(700, 0x81));
    // A second personalisation is refused: the card is operational.
    REQUIRE_THROWS_AS(qscd::sim::personalise_id_card(transport, ee::kProfile,
                                                     [](const qscd::profiles::KeyProfile&, ByteView) { return Bytes{}; }),
                      qscd::Error);
}

TEST_CASE("id card: the simulator store creates an ID card and lists its type and serial") {
    const auto dir = std::filesystem::temp_directory_path() / ("qscd-idcard-store-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    qscd::sim::SimulatorStore store(dir);
    qscd::sim::CardOptions options;
    options.pin_iterations = 1000;
    options.card_type = CardType::EstonianId;
    const auto created = store.create_token("est", options);
    store.create_token("pgp", qscd::sim::CardOptions{1000});
    const auto list = store.list();
    REQUIRE(list.size() == 2);
    REQUIRE(list[0].name == "est");
    REQUIRE(list[0].card_type == CardType::EstonianId);
    REQUIRE(list[0].serial == created.serial);
    REQUIRE_FALSE(list[0].error.has_value());
    REQUIRE(list[1].card_type == CardType::OpenPgp);
    auto transport = store.open("est");
    REQUIRE(transport->atr() == Bytes(ee::kAtr2018.begin(), ee::kAtr2018.end()));
    std::filesystem::remove_all(dir);
}

TEST_CASE("id card: a profile that is data only (Estonian Thales) is neither formatted nor loaded") {
    for (CardType type : {CardType::EstonianIdThales}) {
        qscd::sim::MemoryStorage storage;
        qscd::sim::SystemRandom random;
        qscd::sim::SystemClock clock;
        qscd::sim::CardOptions options;
        options.card_type = type;
        qscd::sim::VirtualCard card(storage, random, clock, options);
        REQUIRE(card.format({0, 0, 0, 1}) != qscd::sim::StorageStatus::Ok);
        REQUIRE_FALSE(storage.image().has_value());
    }
    // An Estonian image whose type byte says Estonian Thales: refused as corrupted (checksum fixed up).
    IdSim sim;
    Bytes image = *sim.storage.image();
    image[qscd::sim::kStateHeaderSize] = static_cast<std::uint8_t>(CardType::EstonianIdThales);
    std::uint8_t digest[32];
    REQUIRE(mbedtls_sha256(image.data(), image.size() - 32, digest, 0) == 0);
    std::copy(digest, digest + 32, image.end() - 32);
    qscd::sim::IdCardState state;
    auto parsed = qscd::sim::parse_id_state(image, state);
    REQUIRE_FALSE(parsed.ok());
    REQUIRE(parsed.error() == qscd::sim::StateError::Corrupted);
}
