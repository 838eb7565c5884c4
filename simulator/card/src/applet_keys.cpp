// OpenPGP applet: key generation and import, signatures, GET CHALLENGE (openpgp-card.md §8, §9, §11).
#include "applet_internal.hpp"

namespace qscd::sim {

using namespace applet_detail;

// ---- keys (§9, §8) ----------------------------------------------------------------------------

std::size_t OpenPgpApplet::write_public_key(std::size_t slot, std::span<std::uint8_t> out) {
    const crypto::Key& key = keys_[slot];
    std::array<std::uint8_t, 600> inner{};
    TlvWriter iw(inner);
    if (crypto::is_rsa(key)) {
        std::array<std::uint8_t, 512> n{};
        std::array<std::uint8_t, 8> e{};
        const std::size_t nlen = crypto::rsa_modulus_bytes(key);
        const std::size_t elen = crypto::rsa_public(key, n, e);
        if (elen == 0) return 0;
        iw.put(0x81, ByteView(n.data(), nlen));
        iw.put(0x82, ByteView(e.data(), elen));
    } else {
        std::array<std::uint8_t, crypto::kMaxEcPoint> point{};
        const std::size_t plen = crypto::ec_point(key, point);
        if (plen == 0) return 0;
        iw.put(0x86, ByteView(point.data(), plen));
    }
    TlvWriter w(out);
    w.put(0x7F49, iw.written());
    if (iw.overflowed() || w.overflowed()) return 0;
    return w.size();
}

// GENERATE ASYMMETRIC KEY PAIR 00 47 80|81 00 <CRT> — §9.1.
ApduReply OpenPgpApplet::generate(const ApduCommand& c, std::span<std::uint8_t> out) {
    if ((c.p1 != 0x80 && c.p1 != 0x81) || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (c.data.empty()) return sw_only(kWrongLength);
    ByteView in = c.data;
    auto crt = parse_tlv(in);
    if (!crt || !in.empty()) return sw_only(kBadData);
    const int slot_i = slot_of_crt(crt->tag);
    if (slot_i < 0) return sw_only(kBadData);
    const auto slot = static_cast<std::size_t>(slot_i);
    if (!crt->value.empty()) {  // B6 03 84 01 <key ref> form
        const std::uint8_t expect[3] = {0x84, 0x01, static_cast<std::uint8_t>(slot + 1)};
        if (!equal(crt->value, ByteView(expect, 3))) return sw_only(kBadData);
    }
    if (c.p1 == 0x81) {  // read the public key
        if (!keys_[slot].ready()) return sw_only(kNotFound);
        const std::size_t n = write_public_key(slot, out);
        return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
    }
    if (!pw3_) return sw_only(kSecurity);
    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    crypto::Key key;
    bool ok = false;
    if (algo.kind == AlgoKind::Rsa) {
        ok = crypto::generate_rsa(key, algo.rsa_bits, random_);
    } else if (algo.kind == AlgoKind::Ecdsa || algo.kind == AlgoKind::Ecdh) {
        ok = crypto::generate_ec(key, algo.curve, random_);
    } else {
        return sw_only(kConditions);
    }
    if (!ok) return sw_only(kNoPrecise);
    const std::uint16_t sw = install_key(slot, key, 0x01);  // DE: generated on card
    if (sw != kOk) return sw_only(sw);
    const std::size_t n = write_public_key(slot, out);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// Stores `key` (DER) in the slot, commits, and takes the key into the slot (it is freed on failure).
// A new SIG key resets the signature counter (§8.2).
std::uint16_t OpenPgpApplet::install_key(std::size_t slot, crypto::Key& key, std::uint8_t status) {
    KeySlot& ks = state_.slots[slot];
    // DER straight into the slot (no copy on the stack); a failed commit reloads the stored slot.
    const std::size_t der_length = crypto::write_der(key, ks.key_der.data);
    ks.key_der.length = static_cast<std::uint16_t>(der_length);
    if (der_length == 0) {
        (void)reload();
        return kNoPrecise;
    }
    ks.key_status = status;
    if (slot == kSlotSig) state_.signature_counter = 0;
    if (!commit()) return kMemoryFailure;
    keys_[slot].take(key);
    return kOk;
}

namespace {

// Reads one tag + BER length of a 7F48 template entry (§9.3: tags without values).
bool read_template_entry(ByteView& in, std::uint32_t& tag, std::size_t& length) {
    if (in.empty()) return false;
    tag = in[0];
    std::size_t pos = 1;
    if ((tag & 0x1F) == 0x1F) {
        if (in.size() < 2) return false;
        tag = tag << 8 | in[1];
        pos = 2;
    }
    if (in.size() <= pos) return false;
    const std::uint8_t b = in[pos++];
    if (b < 0x80) {
        length = b;
    } else if (b == 0x81 && in.size() >= pos + 1) {
        length = in[pos++];
    } else if (b == 0x82 && in.size() >= pos + 2) {
        length = static_cast<std::size_t>(in[pos] << 8 | in[pos + 1]);
        pos += 2;
    } else {
        return false;
    }
    in = in.subspan(pos);
    return true;
}

}  // namespace

// PUT DATA odd 00 DB 3F FF 4D{CRT, 7F48, 5F48} — key import, §9.3.
ApduReply OpenPgpApplet::import_key(const ApduCommand& c) {
    if (c.p1 != 0x3F || c.p2 != 0xFF) return sw_only(kBadP1P2);
    if (!pw3_) return sw_only(kSecurity);
    if (c.data.empty()) return sw_only(kWrongLength);
    ByteView in = c.data;
    auto header = parse_tlv(in);
    if (!header || header->tag != 0x4D || !in.empty()) return sw_only(kBadData);
    ByteView body = header->value;
    auto crt = parse_tlv(body);
    auto templ = parse_tlv(body);
    auto values = parse_tlv(body);
    if (!crt || !templ || !values || !body.empty() || templ->tag != 0x7F48 || values->tag != 0x5F48)
        return sw_only(kBadData);
    const int slot_i = slot_of_crt(crt->tag);
    if (slot_i < 0) return sw_only(kBadData);
    const auto slot = static_cast<std::size_t>(slot_i);
    if (!crt->value.empty()) {
        const std::uint8_t expect[3] = {0x84, 0x01, static_cast<std::uint8_t>(slot + 1)};
        if (!equal(crt->value, ByteView(expect, 3))) return sw_only(kBadData);
    }
    // Split 5F48 in the order 7F48 lists: index = tag - 0x91 (91 e .. 99 public key).
    std::array<ByteView, 9> part{};
    ByteView list = templ->value;
    ByteView data = values->value;
    while (!list.empty()) {
        std::uint32_t tag = 0;
        std::size_t length = 0;
        if (!read_template_entry(list, tag, length)) return sw_only(kBadData);
        if (tag < 0x91 || tag > 0x99 || length > data.size()) return sw_only(kBadData);
        part[tag - 0x91] = data.first(length);
        data = data.subspan(length);
    }
    if (!data.empty()) return sw_only(kBadData);

    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    crypto::Key key;
    bool ok = false;
    if (algo.kind == AlgoKind::Rsa) {
        ok = crypto::import_rsa(key, algo.rsa_bits, part[0], part[1], part[2]);  // 91 e, 92 p, 93 q
    } else if (algo.kind == AlgoKind::Ecdsa || algo.kind == AlgoKind::Ecdh) {
        ok = crypto::import_ec(key, algo.curve, part[1], random_);  // 92 d
        if (ok && !part[8].empty()) {  // 99: public key given, must match
            std::array<std::uint8_t, crypto::kMaxEcPoint> point{};
            const std::size_t plen = crypto::ec_point(key, point);
            ok = plen != 0 && equal(ByteView(point.data(), plen), part[8]);
        }
    } else {
        return sw_only(kConditions);
    }
    if (!ok) return sw_only(kBadData);
    return sw_only(install_key(slot, key, 0x02));  // DE: imported
}

ApduReply OpenPgpApplet::sign_with(std::size_t slot, ByteView input, std::span<std::uint8_t> out) {
    crypto::Key& key = keys_[slot];
    if (!key.ready()) return sw_only(kNotFound);
    if (input.empty()) return sw_only(kWrongLength);
    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    if (crypto::is_rsa(key)) {
        // §8.1: input is a DigestInfo, at most 40 % of the modulus; PKCS#1 v1.5 type 1.
        const std::size_t nlen = crypto::rsa_modulus_bytes(key);
        if (input.size() * 10 > nlen * 4) return sw_only(kWrongLength);
        if (nlen > out.size()) return sw_only(kNoPrecise);
        const std::size_t n = crypto::sign_rsa_pkcs1(key, input, out, random_);
        return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
    }
    if (algo.kind != AlgoKind::Ecdsa) return sw_only(kConditions);
    // §8.1: input is the raw hash; ECDSA truncates a longer one, a shorter one acts left-padded.
    if (input.size() > 64) return sw_only(kWrongLength);
    const std::size_t n = crypto::sign_ecdsa(key, algo.curve, input, out, random_);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// PERFORM SECURITY OPERATION 00 2A — §8: COMPUTE DIGITAL SIGNATURE 9E 9A.
ApduReply OpenPgpApplet::pso(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 == 0x80 && c.p2 == 0x86) return sw_only(kFuncNotSupported);  // PSO:DECIPHER not implemented
    if (c.p1 != 0x9E || c.p2 != 0x9A) return sw_only(kBadP1P2);
    if (!pw1_81_) return sw_only(kSecurity);
    if (!keys_[kSlotSig].ready()) return sw_only(kNotFound);
    ApduReply reply = sign_with(kSlotSig, c.data, out);
    if (reply.sw != kOk) return reply;
    // §8.2: count the signature (saturating at FFFFFF) and persist before releasing it. With PW1 valid for one
    // signature (C4 = 00) a VERIFY precedes every PSO:CDS, and its durable decrement carries this count to
    // the disk: the count is written Deferred, so a power cut can lose at most the last signature's count.
    // With PW1 valid for several signatures nothing else would carry it: durable.
    if (state_.signature_counter < 0xFFFFFF) ++state_.signature_counter;
    if (!commit(state_.pw1_policy == 0x00 ? CommitSync::Deferred : CommitSync::Now)) {
        crypto::zeroize(out.data(), reply.length);
        return sw_only(kMemoryFailure);
    }
    // §6.1: C4 byte 1 = 00 → PW1 (81) is valid for one signature only (QES sole control).
    if (state_.pw1_policy == 0x00) pw1_81_ = false;
    return reply;
}

// INTERNAL AUTHENTICATE 00 88 00 00 — §8.3: AUT key, PW1 (82).
ApduReply OpenPgpApplet::internal_authenticate(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (!pw1_82_) return sw_only(kSecurity);
    return sign_with(kSlotAut, c.data, out);
}

// GET CHALLENGE 00 84 00 00 Le — §11.
ApduReply OpenPgpApplet::get_challenge(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return sw_only(kBadP1P2);
    if (!c.data.empty() || c.ne == 0 || c.ne > kMaxChallenge || c.ne > out.size()) return sw_only(kWrongLength);
    random_.fill(out.first(c.ne));
    return ApduReply{c.ne, kOk};
}

}  // namespace qscd::sim
