// OpenPGP applet: key generation and import, signatures, GET CHALLENGE (openpgp-card.md §8, §9, §11).
#include "applet_internal.hpp"

namespace qscd::sim {

using namespace applet_detail;

// ---- keys (§9, §8) ----------------------------------------------------------------------------

std::size_t OpenPgpApplet::write_public_key(std::size_t slot, std::span<std::uint8_t> out) {
    mbedtls_pk_context& pk = keys_[slot];
    std::array<std::uint8_t, 600> inner{};
    TlvWriter iw(inner);
    if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
        const mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
        std::array<std::uint8_t, 512> n{};
        std::array<std::uint8_t, 8> e{};
        const std::size_t nlen = mbedtls_rsa_get_len(rsa);
        if (nlen > n.size()) return 0;
        if (mbedtls_rsa_export_raw(rsa, n.data(), nlen, nullptr, 0, nullptr, 0, nullptr, 0, e.data(), e.size()) != 0)
            return 0;
        std::size_t skip = 0;
        while (skip + 1 < e.size() && e[skip] == 0) ++skip;
        iw.put(0x81, ByteView(n.data(), nlen));
        iw.put(0x82, ByteView(e.data() + skip, e.size() - skip));
    } else {
        std::array<std::uint8_t, 133> point{};
        std::size_t plen = 0;
        if (mbedtls_ecp_write_public_key(mbedtls_pk_ec(pk), MBEDTLS_ECP_PF_UNCOMPRESSED, &plen, point.data(),
                                         point.size()) != 0)
            return 0;
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
        if (!key_ready_[slot]) return sw_only(kNotFound);
        const std::size_t n = write_public_key(slot, out);
        return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
    }
    if (!pw3_) return sw_only(kSecurity);
    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = -1;
    if (algo.kind == AlgoKind::Rsa) {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), &Random::mbedtls_rng, &random_, algo.rsa_bits, 65537);
    } else if (algo.kind == AlgoKind::Ecdsa || algo.kind == AlgoKind::Ecdh) {
        rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (rc == 0) rc = mbedtls_ecp_gen_key(algo.curve, mbedtls_pk_ec(pk), &Random::mbedtls_rng, &random_);
    } else {
        mbedtls_pk_free(&pk);
        return sw_only(kConditions);
    }
    if (rc != 0) {
        mbedtls_pk_free(&pk);
        return sw_only(kNoPrecise);
    }
    const std::uint16_t sw = install_key(slot, pk, 0x01);  // DE: generated on card
    if (sw != kOk) return sw_only(sw);
    const std::size_t n = write_public_key(slot, out);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// Stores `pk` (DER) in the slot, commits, and takes ownership of the context (freed on failure).
// A new SIG key resets the signature counter (§8.2).
std::uint16_t OpenPgpApplet::install_key(std::size_t slot, mbedtls_pk_context& pk, std::uint8_t status) {
    std::array<std::uint8_t, kMaxKeyDer> der{};
    const int der_length = mbedtls_pk_write_key_der(&pk, der.data(), der.size());
    if (der_length <= 0) {
        mbedtls_pk_free(&pk);
        return kNoPrecise;
    }
    KeySlot& ks = state_.slots[slot];
    ks.key_der.assign(ByteView(der.data() + der.size() - static_cast<std::size_t>(der_length),
                               static_cast<std::size_t>(der_length)));
    mbedtls_platform_zeroize(der.data(), der.size());
    ks.key_status = status;
    if (slot == kSlotSig) state_.signature_counter = 0;
    if (!commit()) {
        mbedtls_pk_free(&pk);
        return kMemoryFailure;
    }
    free_key(slot);
    keys_[slot] = pk;  // ownership moves to the slot
    key_ready_[slot] = true;
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
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    bool ok = false;
    if (algo.kind == AlgoKind::Rsa) {
        const ByteView e = part[0], p = part[1], q = part[2];
        if (!e.empty() && !p.empty() && !q.empty() &&
            mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0) {
            mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
            ok = mbedtls_rsa_import_raw(rsa, nullptr, 0, p.data(), p.size(), q.data(), q.size(), nullptr, 0,
                                        e.data(), e.size()) == 0 &&
                 mbedtls_rsa_complete(rsa) == 0 && mbedtls_rsa_check_privkey(rsa) == 0 &&
                 mbedtls_rsa_get_len(rsa) * 8 == algo.rsa_bits;
        }
    } else if (algo.kind == AlgoKind::Ecdsa || algo.kind == AlgoKind::Ecdh) {
        const ByteView d = part[1];
        std::array<std::uint8_t, 66> scalar{};
        if (!d.empty() && d.size() <= algo.field_bytes &&
            mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0) {
            std::copy(d.begin(), d.end(), scalar.begin() + static_cast<std::ptrdiff_t>(algo.field_bytes - d.size()));
            mbedtls_ecp_keypair* kp = mbedtls_pk_ec(pk);
            ok = mbedtls_ecp_read_key(algo.curve, kp, scalar.data(), algo.field_bytes) == 0 &&
                 mbedtls_ecp_keypair_calc_public(kp, &Random::mbedtls_rng, &random_) == 0;
            if (ok && !part[8].empty()) {  // 99: public key given, must match
                std::array<std::uint8_t, 133> point{};
                std::size_t plen = 0;
                ok = mbedtls_ecp_write_public_key(kp, MBEDTLS_ECP_PF_UNCOMPRESSED, &plen, point.data(),
                                                  point.size()) == 0 &&
                     equal(ByteView(point.data(), plen), part[8]);
            }
            mbedtls_platform_zeroize(scalar.data(), scalar.size());
        }
    } else {
        return sw_only(kConditions);
    }
    if (!ok) {
        mbedtls_pk_free(&pk);
        return sw_only(kBadData);
    }
    return sw_only(install_key(slot, pk, 0x02));  // DE: imported
}

ApduReply OpenPgpApplet::sign_with(std::size_t slot, ByteView input, std::span<std::uint8_t> out) {
    if (!key_ready_[slot]) return sw_only(kNotFound);
    if (input.empty()) return sw_only(kWrongLength);
    mbedtls_pk_context& pk = keys_[slot];
    const Algo algo = decode_attributes(state_.slots[slot].attributes.view(), slot);
    if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
        // §8.1: input is a DigestInfo, at most 40 % of the modulus; PKCS#1 v1.5 type 1.
        mbedtls_rsa_context* rsa = mbedtls_pk_rsa(pk);
        const std::size_t nlen = mbedtls_rsa_get_len(rsa);
        if (input.size() * 10 > nlen * 4) return sw_only(kWrongLength);
        if (nlen > out.size()) return sw_only(kNoPrecise);
        if (mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE) != 0) return sw_only(kNoPrecise);
        if (mbedtls_rsa_pkcs1_sign(rsa, &Random::mbedtls_rng, &random_, MBEDTLS_MD_NONE,
                                   static_cast<unsigned int>(input.size()), input.data(), out.data()) != 0)
            return sw_only(kNoPrecise);
        return ApduReply{nlen, kOk};
    }
    if (algo.kind != AlgoKind::Ecdsa) return sw_only(kConditions);
    // §8.1: input is the raw hash; ECDSA truncates a longer one, a shorter one acts left-padded.
    if (input.size() > 64) return sw_only(kWrongLength);
    const std::size_t n = ecdsa_sign_raw(pk, algo.field_bytes, algo.ec_md, input, out, random_);
    return n ? ApduReply{n, kOk} : sw_only(kNoPrecise);
}

// PERFORM SECURITY OPERATION 00 2A — §8: COMPUTE DIGITAL SIGNATURE 9E 9A.
ApduReply OpenPgpApplet::pso(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 == 0x80 && c.p2 == 0x86) return sw_only(kFuncNotSupported);  // PSO:DECIPHER not implemented
    if (c.p1 != 0x9E || c.p2 != 0x9A) return sw_only(kBadP1P2);
    if (!pw1_81_) return sw_only(kSecurity);
    if (!key_ready_[kSlotSig]) return sw_only(kNotFound);
    ApduReply reply = sign_with(kSlotSig, c.data, out);
    if (reply.sw != kOk) return reply;
    // §8.2: count the signature (saturating at FFFFFF) and persist before releasing it.
    if (state_.signature_counter < 0xFFFFFF) ++state_.signature_counter;
    if (!commit()) {
        mbedtls_platform_zeroize(out.data(), reply.length);
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
