// One named regression test per vulnerability class seen in peer smart-card stacks (OpenSC, pcsc-lite,
// GnuPG scdaemon, ...): each asserts the exact outcome here. Run under ASan in CI (double free, UAF).
#include <catch2/catch.hpp>

#include "card_fixture.hpp"
#include "host_fixture.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/signing/hashing.hpp"

using namespace malformed;
using qscd::Bytes;
using qscd::ByteView;
using qscd::ErrorCode;

namespace {

// Answers the first command with this INS/P1 by `answer`; everything else goes to the card.
void answer_once(FlexibleTransport& t, std::uint8_t ins, std::uint8_t p1, Bytes answer) {
    auto fired = std::make_shared<bool>(false);
    t.intercept = [=](ByteView c, FlexibleTransport&) -> std::optional<Bytes> {
        if (*fired || c.size() < 4 || c[1] != ins || c[2] != p1) return std::nullopt;
        *fired = true;
        return answer;
    };
}

Bytes nested(std::uint32_t tag, int depth) {
    // Built from the inside out without re-copying: headers first, then the innermost empty object.
    std::vector<Bytes> headers;
    std::size_t inner = 0;
    for (int d = 0; d < depth; ++d) {
        Bytes h;
        h.push_back(static_cast<std::uint8_t>(tag));
        const std::size_t size = qscd::length_size(inner);
        if (size > 1) h.push_back(static_cast<std::uint8_t>(0x80 | (size - 1)));
        for (std::size_t i = size > 1 ? size - 1 : 1; i-- > 0;) h.push_back(static_cast<std::uint8_t>(inner >> (8 * i)));
        inner += h.size();
        headers.push_back(std::move(h));
    }
    Bytes out;
    out.reserve(inner);
    for (auto it = headers.rbegin(); it != headers.rend(); ++it) out.insert(out.end(), it->begin(), it->end());
    return out;
}

const Bytes kDigest = qscd::hash_bytes(qscd::HashAlgorithm::Sha256, qscd::as_bytes(std::string_view("contract")));

}  // namespace

TEST_CASE("peer CVE class: response-parsing overflow (response longer than the parser's buffer)", "[malformed][cve]") {
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    // One APDU with more than the ISO 7816-4 maximum of 65536 data bytes.
    Bytes huge(65537, 0x7A);
    huge.push_back(0x90);
    huge.push_back(0x00);
    answer_once(t, 0xCA, 0x00, huge);
    auto o = run([&] { (void)token->signature_counter(); });
    CHECK(o.kind == Outcome::QscdError);
    CHECK(o.code == ErrorCode::ProtocolError);
    // A challenge longer than asked for is refused, not copied into a 32-byte result.
    t.intercept = [](ByteView c, FlexibleTransport&) -> std::optional<Bytes> {
        if (c[1] != 0x84) return std::nullopt;
        Bytes b(33, 0x01);
        b.push_back(0x90);
        b.push_back(0x00);
        return b;
    };
    o = run([&] { (void)token->card().get_challenge(32); });
    CHECK(o.code == ErrorCode::ProtocolError);
    // 61xx parts that add up beyond the channel's maximum response size.
    t.intercept = [](ByteView c, FlexibleTransport&) -> std::optional<Bytes> {
        if (c[1] != 0xC0 && c[1] != 0xCA) return std::nullopt;
        Bytes b(65000, 0x33);
        b.push_back(0x61);
        b.push_back(0x00);
        return b;
    };
    const int before = t.transmits;
    o = run([&] { (void)token->card().get_data(0x7F21); });
    CHECK(o.code == ErrorCode::ProtocolError);
    CHECK(t.transmits - before <= 3);
}

TEST_CASE("peer CVE class: double free on the error path after a partial parse", "[malformed][cve]") {
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    // 6E with a valid AID but C4 missing: the driver has copied part of it when it gives up.
    const Bytes aid = hex("D2 76 00 01 24 01 03 04 FF FF 00 00 00 42 00 00");
    Bytes inner;
    qscd::append_tlv(inner, 0x4F, aid);
    qscd::append_tlv(inner, 0x5F52, hex("00 31 C5 73 C0 01 C0 05 90 00"));
    Bytes response = qscd::encode_tlv(0x6E, inner);
    response.push_back(0x90);
    response.push_back(0x00);
    for (int i = 0; i < 20; ++i) {  // repeated: a double free or leak shows under ASan
        answer_once(t, 0xCA, 0x00, response);
        auto o = run([&] { (void)token->pin_status(); });
        CHECK(o.code == ErrorCode::ProtocolError);
    }
    t.intercept = nullptr;
    CHECK(token->pin_status()[0].tries_left == 3);  // the same objects still work
    token.reset();
}

TEST_CASE("peer CVE class: endless recursion in TLV (100k nested constructed tags)", "[malformed][cve]") {
    const Bytes deep = nested(0x73, 100000);
    REQUIRE(deep.size() > 300000);
    auto v = qscd::validate_tlv_sequence(deep);
    REQUIRE(!v);
    CHECK(v.error() == qscd::TlvError::TooDeep);
    auto f = qscd::find_tlv_recursive(deep, 0xC4);
    REQUIRE(!f);
    CHECK(f.error() == qscd::TlvError::TooDeep);
    // Through the driver: as deep as fits in one response (16k levels): a typed error, bounded depth.
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    Bytes response = qscd::encode_tlv(0x6E, nested(0x73, 15000));
    REQUIRE(response.size() <= 65536);
    response.push_back(0x90);
    response.push_back(0x00);
    answer_once(t, 0xCA, 0x00, response);
    auto o = run([&] { (void)token->info(); });
    CHECK(o.code == ErrorCode::ProtocolError);
    // The card's key import parser is iterative: 12k nested 4D get 6A80, not a stack overflow.
    Card card;
    card.verify(0x83, "12345678");
    CHECK(card.send(apdu(0, 0xDB, 0x3F, 0xFF, nested(0x4D, 12000), 0, true)).sw == 0x6A80);
}

TEST_CASE("peer CVE class: use after free on card removal (handle used after CardRemoved)", "[malformed][cve]") {
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    auto key = token->key("SIG");
    // Removed in the middle of a signature: after VERIFY, before PSO:CDS.
    t.intercept = [](ByteView c, FlexibleTransport& self) -> std::optional<Bytes> {
        if (c[1] == 0x2A) {
            self.removed = true;
            throw qscd::Error(ErrorCode::CardRemoved, "card removed");
        }
        return std::nullopt;
    };
    auto o = run([&] { (void)key->sign_hash(qscd::HashAlgorithm::Sha256, kDigest, *fixed_pin(kUserPin)); });
    CHECK(o.code == ErrorCode::CardRemoved);
    token.reset();  // the token goes away; the key handle keeps its session
    o = run([&] { (void)key->sign_hash(qscd::HashAlgorithm::Sha256, kDigest, *fixed_pin(kUserPin)); });
    CHECK(o.code == ErrorCode::CardRemoved);
    // Card back: the same handle signs again.
    t.removed = false;
    t.intercept = nullptr;
    CHECK(key->sign_hash(qscd::HashAlgorithm::Sha256, kDigest, *fixed_pin(kUserPin)).size() == 64);
}

// The driver must judge a response by its status word before it looks at the data: each answer below
// carries plausible data (a counter, a challenge, a signature, a public key) followed by an error
// status word. The checks name the error kind and the status word it carries, so an answer taken as a
// result fails them (Outcome::code and sw are empty unless a qscd::Error was thrown).
TEST_CASE("peer CVE class: data after an unchecked error status word is never used", "[malformed][cve]") {
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    auto key = token->key("SIG");
    answer_once(t, 0xCA, 0x00, hex("7A 05 93 03 00 00 05 6A 82"));
    auto o = run([&] { (void)token->signature_counter(); });
    CHECK(o.kind == Outcome::QscdError);
    CHECK(o.code == ErrorCode::NotFound);
    CHECK(o.sw == qscd::sw::kFileNotFound);
    // 32 challenge bytes, exactly the length asked for, before 6F00.
    t.intercept = [](ByteView c, FlexibleTransport&) -> std::optional<Bytes> {
        if (c[1] != 0x84) return std::nullopt;
        Bytes b(32, 0x11);
        b.push_back(0x6F);
        b.push_back(0x00);
        return b;
    };
    Bytes challenge;
    o = run([&] { challenge = token->card().get_challenge(32); });
    INFO("GET CHALLENGE: " << o.what);
    CHECK(o.kind == Outcome::QscdError);
    CHECK(o.code == ErrorCode::CardError);
    CHECK(o.sw == qscd::sw::kNoPreciseDiagnosis);
    CHECK(challenge.empty());
    // A P-256 signature's length (r || s) before 6F00.
    t.intercept = [](ByteView c, FlexibleTransport&) -> std::optional<Bytes> {
        if (c[1] != 0x2A) return std::nullopt;
        Bytes b(64, 0x22);
        b.push_back(0x6F);
        b.push_back(0x00);
        return b;
    };
    Bytes signature;
    o = run([&] { signature = key->sign_hash(qscd::HashAlgorithm::Sha256, kDigest, *fixed_pin(kUserPin)); });
    INFO("PSO:CDS: " << o.what);
    CHECK(o.kind == Outcome::QscdError);
    CHECK(o.code == ErrorCode::CardError);
    CHECK(o.sw == qscd::sw::kNoPreciseDiagnosis);
    CHECK(signature.empty());
    // A public key followed by 6A88 means "no key": keys() lists none rather than a stale key.
    Bytes pub = hex("7F 49 43 86 41 04");
    pub.resize(pub.size() + 64, 0x01);
    pub.push_back(0x6A);
    pub.push_back(0x88);
    answer_once(t, 0x47, 0x81, pub);
    CHECK(token->keys().empty());
}

TEST_CASE("peer CVE class: empty PIN bypass (card and host)", "[malformed][cve]") {
    // Card: an empty VERIFY (Lc absent, or Le only) is the status query of §6.2: 63C3, no try used.
    Card card;
    for (int i = 0; i < 10; ++i) {
        CHECK(card.send(hex("00 20 00 81")).sw == 0x63C3);
        CHECK(card.send(hex("00 20 00 81 00")).sw == 0x63C3);
        CHECK(card.send(hex("00 20 00 83 00 00 00")).sw == 0x63C3);
    }
    CHECK(card.state().pw1.retries == 3);
    CHECK(card.state().pw3.retries == 3);
    CHECK(card.send(apdu(0, 0x2A, 0x9E, 0x9A, Bytes(32, 0x01), 256)).sw == 0x6982);  // still not verified
    // A zero-length PIN sent through chaining is an empty VERIFY too: the status query, no try used.
    CHECK(card.send(hex("10 20 00 81")).sw == 0x9000);
    CHECK(card.send(hex("00 20 00 81")).sw == 0x63C3);
    CHECK(card.state().pw1.retries == 3);
    // Host: an empty PIN is refused before any APDU, even when the card already has the PIN verified
    // (where the card's status query would answer 9000).
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    token->card().select();
    token->card().verify(qscd::openpgp::Password::Pw1Signing, qscd::Pin(kUserPin));
    const int before = t.transmits;
    auto o = run([&] { token->card().verify(qscd::openpgp::Password::Pw1Signing, qscd::Pin("")); });
    CHECK(o.code == ErrorCode::InvalidPin);
    CHECK(t.transmits == before);
    // The signing path asks the prompt; an empty answer cancels, and no try is used.
    auto key = token->key("SIG");
    o = run([&] { (void)key->sign_hash(qscd::HashAlgorithm::Sha256, kDigest, *fixed_pin("")); });
    CHECK(o.code == ErrorCode::Cancelled);
    CHECK(token->pin_status()[0].tries_left == 3);
}

TEST_CASE("peer CVE class: trusted length field (TLV length larger than the data)", "[malformed][cve]") {
    Bytes lying = hex("86 82 FF FF 04 01 02");
    ByteView view = lying;
    auto r = qscd::parse_tlv(view);
    REQUIRE(!r);
    CHECK(r.error() == qscd::TlvError::Truncated);
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    // 7F49 whose 86 declares 0xFFFF bytes but carries 65.
    Bytes pub = hex("7F 49 45 86 82 FF FF 04");
    pub.resize(pub.size() + 64, 0x01);
    pub.push_back(0x90);
    pub.push_back(0x00);
    answer_once(t, 0x47, 0x81, pub);
    auto o = run([&] { (void)token->keys(); });
    CHECK(o.code == ErrorCode::ProtocolError);
    // The signature counter's 93 claiming 0x80 bytes.
    answer_once(t, 0xCA, 0x00, hex("7A 05 93 81 80 00 00 90 00"));
    o = run([&] { (void)token->signature_counter(); });
    CHECK(o.code == ErrorCode::ProtocolError);
}

TEST_CASE("peer CVE class: key-generation response overflow (oversized 7F49 from GENERATE)", "[malformed][cve]") {
    for (std::size_t point : {66u, 200u, 4000u, 65000u}) {
        FlexibleTransport t(personalised_image());
        auto token = token_over(t);
        Bytes value(point, 0x04);
        Bytes pub = qscd::encode_tlv(0x7F49, qscd::encode_tlv(0x86, value));
        pub.push_back(0x90);
        pub.push_back(0x00);
        answer_once(t, 0x47, 0x80, pub);
        auto o = run([&] { (void)token->generate_key(qscd::Pin(kAdminPin), qscd::openpgp::KeySlot::Signature, qscd::KeyType::EcP256); });
        INFO("86 of " << point << " bytes");
        CHECK(o.code == ErrorCode::ProtocolError);
    }
    // And one larger than any APDU may be.
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    Bytes pub = qscd::encode_tlv(0x7F49, qscd::encode_tlv(0x86, Bytes(70000, 0x04)));
    pub.push_back(0x90);
    pub.push_back(0x00);
    answer_once(t, 0x47, 0x80, pub);
    auto o = run([&] { (void)token->generate_key(qscd::Pin(kAdminPin), qscd::openpgp::KeySlot::Signature, qscd::KeyType::EcP256); });
    CHECK(o.code == ErrorCode::ProtocolError);
}

TEST_CASE("peer CVE class: overlong ATR (more than 33 bytes) is a typed error, not passed on", "[malformed][cve]") {
    FlexibleTransport t(personalised_image());
    auto token = token_over(t);
    CHECK(token->info().atr.size() == 20);  // the test card's own ATR
    for (std::size_t n : {34u, 255u, 4096u}) {
        t.atr_override = Bytes(n, 0x3B);
        auto o = run([&] { (void)token->info(); });
        CHECK(o.code == ErrorCode::ProtocolError);
    }
    t.atr_override = Bytes(33, 0x3B);
    CHECK(token->info().atr.size() == 33);
}
