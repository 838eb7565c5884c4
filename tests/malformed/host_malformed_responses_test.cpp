// Malformed card responses to the host driver (issue 6, item 2): OpenPgpToken / OpenPgpCard /
// ApduChannel in front of a simulated card whose answer to one target command is rewritten. Every
// case must end in a typed qscd::Error with the exact ErrorCode, within a bounded number of APDUs.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>

#include "host_fixture.hpp"
#include "qscd/codec/tlv.hpp"
#include "qscd/signing/hashing.hpp"

using namespace malformed;
using qscd::Bytes;
using qscd::ByteView;
using qscd::ErrorCode;

namespace {

// An operation of the driver, and the command whose response gets rewritten.
struct Target {
    std::string name;
    std::uint8_t ins, p1, p2;
    std::function<void(FlexibleTransport&, std::unique_ptr<qscd::openpgp::OpenPgpToken>&)> prepare;  // not intercepted
    std::function<void(FlexibleTransport&, std::unique_ptr<qscd::openpgp::OpenPgpToken>&)> act;      // intercepted
    bool verify_target = false;  // VERIFY: refusals go through the PIN error mapping
    bool swallows_not_found = false;
};

std::vector<Target> targets() {
    auto none = [](FlexibleTransport&, std::unique_ptr<qscd::openpgp::OpenPgpToken>&) {};
    auto opened = [](FlexibleTransport& t, std::unique_ptr<qscd::openpgp::OpenPgpToken>& tok) { tok = token_over(t); };
    auto sign = [](FlexibleTransport&, std::unique_ptr<qscd::openpgp::OpenPgpToken>& tok) {
        auto key = tok->key("SIG");
        const Bytes digest = qscd::hash_bytes(qscd::HashAlgorithm::Sha256, qscd::as_bytes(std::string_view("doc")));
        (void)key->sign_hash(qscd::HashAlgorithm::Sha256, digest, *fixed_pin(kUserPin));
    };
    return {
        {"open: SELECT", 0xA4, 0x04, 0x00, none, [](FlexibleTransport& t, auto& tok) { tok = token_over(t); }},
        {"open: GET DATA 6E", 0xCA, 0x00, 0x6E, none, [](FlexibleTransport& t, auto& tok) { tok = token_over(t); }},
        {"keys: GET DATA 6E", 0xCA, 0x00, 0x6E, opened, [](FlexibleTransport&, auto& tok) { (void)tok->keys(); }},
        {"keys: GENERATE 81 (7F49)", 0x47, 0x81, 0x00, opened, [](FlexibleTransport&, auto& tok) { (void)tok->keys(); }, false, true},
        {"sign: GET DATA 7A", 0xCA, 0x00, 0x7A, opened, sign},
        {"sign: VERIFY", 0x20, 0x00, 0x81, opened, sign, true},
        {"sign: PSO:CDS", 0x2A, 0x9E, 0x9A, opened, sign},
        {"counter: GET DATA 7A", 0xCA, 0x00, 0x7A, opened, [](FlexibleTransport&, auto& tok) { (void)tok->signature_counter(); }},
        {"pins: GET DATA 6E", 0xCA, 0x00, 0x6E, opened, [](FlexibleTransport&, auto& tok) { (void)tok->pin_status(); }},
        {"challenge: GET CHALLENGE", 0x84, 0x00, 0x00, opened, [](FlexibleTransport&, auto& tok) { (void)tok->card().get_challenge(32); }},
    };
}

// The sign target needs the key handle from a clean keys() call before interception starts.
void prepare_sign(FlexibleTransport&, std::unique_ptr<qscd::openpgp::OpenPgpToken>& tok) { (void)tok->keys(); }

// What the driver maps a refusal to (openpgp_card.cpp throw_status / throw_secret_refused).
ErrorCode expected_for_sw(const Target& t, std::uint16_t sw) {
    if (t.verify_target) {
        if (sw == 0x6983) return ErrorCode::PinBlocked;
        if (sw == 0x6700 || sw == 0x6A80) return ErrorCode::InvalidPin;
        if (sw == 0x6982 || sw == 0x6300 || (sw & 0xFFF0) == 0x63C0) return ErrorCode::WrongPin;  // tries read from C4
    }
    switch (sw) {
        case 0x6982: return ErrorCode::PinRequired;
        case 0x6983: return ErrorCode::PinBlocked;
        case 0x6A88: case 0x6A82: return ErrorCode::NotFound;
        case 0x6D00: case 0x6E00: case 0x6A81: return ErrorCode::NotSupported;
        default: return ErrorCode::CardError;
    }
}

enum class Loop { None, GetResponse, Resend };

struct Mutation {
    std::string family;
    std::function<Bytes(const Bytes& real)> rewrite;  // real = data ‖ SW of the true answer
    Loop loop = Loop::None;
    Bytes loop_answer;
    std::function<ErrorCode(const Target&, bool extended)> expected;
};

Bytes with_sw(Bytes data, std::uint16_t sw) {
    data.push_back(static_cast<std::uint8_t>(sw >> 8));
    data.push_back(static_cast<std::uint8_t>(sw));
    return data;
}
Bytes data_of(const Bytes& real) { return Bytes(real.begin(), real.end() - 2); }
auto protocol_error = [](const Target&, bool) { return ErrorCode::ProtocolError; };

// TLV headers in `data` (recursing into constructed objects): offset of the length field + its size.
void length_fields(ByteView data, std::size_t base, std::vector<std::pair<std::size_t, std::size_t>>& out, int depth = 0) {
    ByteView rest = data;
    while (!rest.empty() && depth < 8) {
        const std::size_t offset = base + static_cast<std::size_t>(rest.data() - data.data());
        auto tlv = qscd::parse_tlv(rest);
        if (!tlv) return;
        const std::size_t tag_len = qscd::tag_size(tlv->tag);
        const std::size_t len_len = tlv->encoded.size() - tag_len - tlv->value.size();
        out.emplace_back(offset + tag_len, len_len);
        if (tlv->constructed()) length_fields(tlv->value, offset + tag_len + len_len, out, depth + 1);
    }
}

std::vector<Mutation> mutations(const Target& target, const Bytes& real) {
    std::vector<Mutation> m;
    const Bytes data = data_of(real);
    // Too short: no status word at all.
    m.push_back({"too short", [](const Bytes&) { return Bytes{}; }, Loop::None, {}, protocol_error});
    for (std::uint8_t b : {0x00, 0x61, 0x6C, 0x90, 0xFF})
        m.push_back({"too short", [b](const Bytes&) { return Bytes{b}; }, Loop::None, {}, protocol_error});
    // Too long: more than 65536 data bytes in one response (ISO 7816-4 maximum).
    for (std::size_t n : {65537u, 70000u, 300000u})
        m.push_back({"too long", [n](const Bytes& r) { Bytes b(n, 0x5A); b.insert(b.end(), r.end() - 2, r.end()); return b; }, Loop::None, {}, protocol_error});
    // Wrong status words, without and with data (stale data must never count as an answer).
    const std::uint16_t sws[] = {0x6281, 0x6283, 0x6285, 0x6300, 0x63C0, 0x63C2, 0x6400, 0x6581, 0x6700, 0x6881,
                                 0x6882, 0x6883, 0x6884, 0x6982, 0x6983, 0x6984, 0x6985, 0x6A80, 0x6A81, 0x6A82,
                                 0x6A84, 0x6A86, 0x6A88, 0x6B00, 0x6D00, 0x6E00, 0x6F00, 0x9001, 0x9100, 0x0000,
                                 0xFFFF, 0x6000, 0x9F10};
    for (std::uint16_t sw : sws) {
        if (target.swallows_not_found && (sw == 0x6A88 || sw == 0x6A82)) continue;  // "no key": documented, not an error
        auto expect = [sw](const Target& t, bool) { return expected_for_sw(t, sw); };
        m.push_back({"wrong SW", [sw](const Bytes&) { return with_sw({}, sw); }, Loop::None, {}, expect});
        m.push_back({"garbage after SW", [sw](const Bytes& r) { return with_sw(r, sw); }, Loop::None, {}, expect});
    }
    // Endless 61xx: every GET RESPONSE answers 61xx again (bounded by ApduChannel).
    for (std::uint8_t xx : {0x00, 0x01, 0x10, 0xFF}) {
        m.push_back({"61xx loop", [xx](const Bytes&) { return Bytes{0x61, xx}; }, Loop::GetResponse, Bytes{0x61, xx}, protocol_error});
        Bytes chunk(200, 0x5A);
        chunk.push_back(0x61);
        chunk.push_back(xx);
        m.push_back({"61xx loop", [chunk](const Bytes&) { return chunk; }, Loop::GetResponse, chunk, protocol_error});
    }
    // 6Cxx then 6Cxx again: short commands resend once then fail; an extended command's 6C is a card error.
    for (std::uint8_t xx : {0x00, 0x01, 0x20, 0xFF})
        m.push_back({"6Cxx loop", [xx](const Bytes&) { return Bytes{0x6C, xx}; }, Loop::Resend, Bytes{0x6C, xx},
                     [](const Target&, bool extended) { return extended ? ErrorCode::CardError : ErrorCode::ProtocolError; }});
    // Target-specific content: truncated DOs and lying TLV lengths, wrong signature / challenge sizes.
    const bool tlv_target = target.ins == 0xCA || target.ins == 0x47;
    if (tlv_target && !data.empty()) {
        const std::size_t stride = data.size() > 80 ? 3 : 1;
        for (std::size_t k = 0; k < data.size(); k += stride)
            m.push_back({"truncated DO", [k](const Bytes& r) { Bytes b(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(k)); return with_sw(b, 0x9000); },
                         Loop::None, {}, protocol_error});
        std::vector<std::pair<std::size_t, std::size_t>> fields;
        length_fields(data, 0, fields);
        const std::size_t beyond = data.size() + 1;
        const Bytes lies[] = {{0x80}, {0x84, 0x00, 0x00, 0x00, 0x01}, {0x83, 0xFF, 0xFF, 0xFF}, {0x82, 0xFF, 0xFF},
                              {0x82, static_cast<std::uint8_t>(beyond >> 8), static_cast<std::uint8_t>(beyond)}, {0x85}, {0xFF}};
        for (const auto& [offset, size] : fields)
            for (const Bytes& lie : lies)
                m.push_back({"lying TLV length",
                             [offset = offset, size = size, lie](const Bytes& r) {
                                 Bytes b(r.begin(), r.end() - 2);
                                 b.erase(b.begin() + static_cast<std::ptrdiff_t>(offset), b.begin() + static_cast<std::ptrdiff_t>(offset + size));
                                 b.insert(b.begin() + static_cast<std::ptrdiff_t>(offset), lie.begin(), lie.end());
                                 return with_sw(b, 0x9000);
                             },
                             Loop::None, {}, protocol_error});
    }
    if (target.ins == 0x2A || target.ins == 0x84) {  // P-256 r‖s is 64 bytes; the challenge asked for 32
        const std::size_t right = target.ins == 0x2A ? 64 : 32;
        for (std::size_t n = 0; n <= 300; n += (n < 80 ? 1 : 37))
            if (n != right)
                m.push_back({"wrong result length", [n](const Bytes&) { return with_sw(Bytes(n, 0x11), 0x9000); }, Loop::None, {}, protocol_error});
    }
    return m;
}

bool matches(ByteView c, const Target& t) { return c.size() >= 4 && c[1] == t.ins && c[2] == t.p1 && c[3] == t.p2; }
bool is_extended(ByteView c) { return c.size() >= 7 && c[4] == 0x00; }

struct Tally {
    std::map<std::string, int> per_family;
    int total = 0;
};

int baseline_transmits(const Target& target) {
    FlexibleTransport t(personalised_image());
    std::unique_ptr<qscd::openpgp::OpenPgpToken> tok;
    target.prepare(t, tok);
    if (target.name.rfind("sign", 0) == 0) prepare_sign(t, tok);
    const int before = t.transmits;
    target.act(t, tok);
    return t.transmits - before;
}

void run_target(const Target& target, Tally& tally) {
    // The true answer to the target command, for content-based mutations.
    Bytes real;
    {
        FlexibleTransport t(personalised_image());
        std::unique_ptr<qscd::openpgp::OpenPgpToken> tok;
        target.prepare(t, tok);
        if (target.name.rfind("sign", 0) == 0) prepare_sign(t, tok);
        t.intercept = [&](ByteView c, FlexibleTransport& self) -> std::optional<Bytes> {
            if (!real.empty() || !matches(c, target)) return std::nullopt;
            real = self.full_response(c);
            return real;
        };
        target.act(t, tok);
        REQUIRE(real.size() >= 2);
    }
    const int baseline = baseline_transmits(target);
    for (const Mutation& mutation : mutations(target, real)) {
        FlexibleTransport t(personalised_image());
        std::unique_ptr<qscd::openpgp::OpenPgpToken> tok;
        target.prepare(t, tok);
        if (target.name.rfind("sign", 0) == 0) prepare_sign(t, tok);
        const int before = t.transmits;
        bool fired = false, extended = false;
        t.intercept = [&](ByteView c, FlexibleTransport& self) -> std::optional<Bytes> {
            if (!fired && matches(c, target)) {
                fired = true;
                extended = is_extended(c);
                return mutation.rewrite(self.full_response(c));
            }
            if (fired && mutation.loop == Loop::GetResponse && c.size() >= 2 && c[1] == 0xC0) return mutation.loop_answer;
            if (fired && mutation.loop == Loop::Resend && matches(c, target)) return mutation.loop_answer;
            return std::nullopt;
        };
        const Outcome o = run([&] { target.act(t, tok); });
        const int sent = t.transmits - before;
        INFO(target.name << " / " << mutation.family << ": " << o.what);
        REQUIRE(fired);
        REQUIRE(o.kind == Outcome::QscdError);
        CHECK(o.code == mutation.expected(target, extended));
        const int bound = baseline + 3 + (mutation.loop == Loop::GetResponse ? qscd::ApduChannel::kMaxGetResponseRounds : 0);
        CHECK(sent <= bound);
        ++tally.per_family[mutation.family];
        ++tally.total;
    }
}

}  // namespace

TEST_CASE("malformed responses end in a typed error within a bounded number of APDUs", "[malformed][host]") {
    Tally tally;
    for (const Target& target : targets()) {
        const int before = tally.total;
        run_target(target, tally);
        std::printf("host_malformed: %-28s %4d responses\n", target.name.c_str(), tally.total - before);
    }
    for (const auto& [family, n] : tally.per_family) std::printf("host_malformed: family %-20s %4d\n", family.c_str(), n);
    std::printf("host_malformed: total %d malformed responses\n", tally.total);
    CHECK(tally.total >= 1000);
}
