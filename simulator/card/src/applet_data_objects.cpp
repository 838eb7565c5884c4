// OpenPGP applet: GET DATA, SELECT DATA, GET NEXT DATA, PUT DATA (openpgp-card.md §3, §5.3, §10).
#include "applet_internal.hpp"

namespace qscd::sim {

using namespace applet_detail;

// ---- GET DATA (§3.2) ----------------------------------------------------------------------------

ApduReply OpenPgpApplet::write_do(std::uint32_t tag, std::span<std::uint8_t> out) {
    TlvWriter w(out);
    const auto aid_bytes = aid();
    auto put_c4 = [&](TlvWriter& tw, bool with_tag) {
        const std::uint8_t c4[7] = {state_.pw1_policy, 0x7F, 0x7F, 0x7F, state_.pw1.retries,
                                    static_cast<std::uint8_t>(state_.rc.is_set() ? state_.rc.retries : 0),
                                    state_.pw3.retries};
        if (with_tag) tw.put(0xC4, ByteView(c4, 7)); else tw.raw(ByteView(c4, 7));
    };
    auto put_fingerprints = [&](TlvWriter& tw, std::uint32_t t, bool ca) {
        std::uint8_t v[60];
        for (std::size_t i = 0; i < 3; ++i) {
            const auto& src = ca ? state_.slots[i].ca_fingerprint : state_.slots[i].fingerprint;
            std::copy(src.begin(), src.end(), v + 20 * i);
        }
        if (t) tw.put(t, ByteView(v, 60)); else tw.raw(ByteView(v, 60));
    };
    auto put_dates = [&](TlvWriter& tw, bool with_tag) {
        std::uint8_t v[12];
        for (std::size_t i = 0; i < 3; ++i)
            std::copy(state_.slots[i].generation_date.begin(), state_.slots[i].generation_date.end(), v + 4 * i);
        if (with_tag) tw.put(0xCD, ByteView(v, 12)); else tw.raw(ByteView(v, 12));
    };
    auto put_key_info = [&](TlvWriter& tw, bool with_tag) {
        const std::uint8_t v[6] = {0x01, state_.slots[0].key_status, 0x02, state_.slots[1].key_status,
                                   0x03, state_.slots[2].key_status};
        if (with_tag) tw.put(0xDE, ByteView(v, 6)); else tw.raw(ByteView(v, 6));
    };

    switch (tag) {
        case 0x004F: w.raw(aid_bytes); break;
        case 0x005E: w.raw(state_.login_data.view()); break;
        case 0x5F50: w.raw(state_.url.view()); break;
        case 0x5F52: w.raw(ByteView(kHistorical, sizeof kHistorical)); break;
        case 0x0065: {  // §3.2: with outer tag
            std::array<std::uint8_t, 64> inner{};
            TlvWriter iw(inner);
            iw.put(0x5B, state_.name.view());
            iw.put(0x5F2D, state_.language.view());
            iw.put(0x5F35, state_.salutation.view());
            w.put(0x65, iw.written());
            break;
        }
        case 0x006E: {  // §3.3 layout, with outer tag
            std::array<std::uint8_t, 320> d73{};
            TlvWriter dw(d73);
            dw.put(0xC0, ByteView(kExtendedCapabilities, sizeof kExtendedCapabilities));
            dw.put(0xC1, state_.slots[0].attributes.view());
            dw.put(0xC2, state_.slots[1].attributes.view());
            dw.put(0xC3, state_.slots[2].attributes.view());
            put_c4(dw, true);
            put_fingerprints(dw, 0xC5, false);
            put_fingerprints(dw, 0xC6, true);
            put_dates(dw, true);
            put_key_info(dw, true);
            std::array<std::uint8_t, 400> d6e{};
            TlvWriter ew(d6e);
            ew.put(0x4F, aid_bytes);
            ew.put(0x5F52, ByteView(kHistorical, sizeof kHistorical));
            ew.put(0x7F66, ByteView(kExtendedLengthInfo, sizeof kExtendedLengthInfo));
            ew.put(0x73, dw.written());
            if (dw.overflowed() || ew.overflowed()) return sw_only(kNoPrecise);
            w.put(0x6E, ew.written());
            break;
        }
        case 0x007A: {  // §8.2: 7A 05 93 03 <counter>
            const std::uint32_t n = state_.signature_counter;
            const std::uint8_t v[5] = {0x93, 0x03, static_cast<std::uint8_t>(n >> 16),
                                       static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
            w.put(0x7A, ByteView(v, 5));
            break;
        }
        case 0x00C0: w.raw(ByteView(kExtendedCapabilities, sizeof kExtendedCapabilities)); break;
        case 0x00C1: w.raw(state_.slots[0].attributes.view()); break;
        case 0x00C2: w.raw(state_.slots[1].attributes.view()); break;
        case 0x00C3: w.raw(state_.slots[2].attributes.view()); break;
        case 0x00C4: put_c4(w, false); break;
        case 0x00C5: put_fingerprints(w, 0, false); break;
        case 0x00C6: put_fingerprints(w, 0, true); break;
        case 0x00CD: put_dates(w, false); break;
        case 0x00DE: put_key_info(w, false); break;
        case 0x7F21: {  // §10: occurrence 0 = AUT, 1 = DEC, 2 = SIG; read in place from the stored image
            const StoredBytes& certificate = state_.slots[2 - cert_occurrence_].certificate;
            if (certificate.length > out.size()) return sw_only(kNoPrecise);
            const auto to = out.first(certificate.length);
            if (!to.empty() && storage_.read(certificate.offset, to) != StorageStatus::Ok) return sw_only(kMemoryFailure);
            return ApduReply{certificate.length, kOk};
        }
        case 0x7F66: w.put(0x7F66, ByteView(kExtendedLengthInfo, sizeof kExtendedLengthInfo)); break;
        case 0x00F9: {  // §6.4: KDF-DO, no KDF
            const std::uint8_t v[3] = {0x81, 0x01, 0x00};
            w.raw(ByteView(v, 3));
            break;
        }
        case 0x00FA: {  // §5.4: algorithm information, with outer tag
            std::array<std::uint8_t, 200> fa{};
            TlvWriter fw(fa);
            for (std::uint32_t t : {0xC1u, 0xC2u, 0xC3u}) {
                fw.put(t, ByteView(kAttrRsa2048, sizeof kAttrRsa2048));
                fw.put(t, ByteView(kAttrRsa3072, sizeof kAttrRsa3072));
                fw.put(t, ByteView(kAttrRsa4096, sizeof kAttrRsa4096));
                if (t == 0xC2) {
                    fw.put(t, ByteView(kAttrEcdhP256, sizeof kAttrEcdhP256));
                    fw.put(t, ByteView(kAttrEcdhP384, sizeof kAttrEcdhP384));
                } else {
                    fw.put(t, ByteView(kAttrEcdsaP256, sizeof kAttrEcdsaP256));
                    fw.put(t, ByteView(kAttrEcdsaP384, sizeof kAttrEcdsaP384));
                }
            }
            if (fw.overflowed()) return sw_only(kNoPrecise);
            w.put(0xFA, fw.written());
            break;
        }
        case 0x0101: w.raw(state_.private_do[0].view()); break;
        case 0x0102: w.raw(state_.private_do[1].view()); break;
        case 0x0103:  // §3.1: read needs PW1 (82)
            if (!pw1_82_) return sw_only(kSecurity);
            w.raw(state_.private_do[2].view());
            break;
        case 0x0104:  // read needs PW3
            if (!pw3_) return sw_only(kSecurity);
            w.raw(state_.private_do[3].view());
            break;
        default: return sw_only(kNotFound);
    }
    if (w.overflowed()) return sw_only(kNoPrecise);
    return ApduReply{w.size(), kOk};
}

// GET DATA 00 CA P1 P2 (P1P2 = tag) — §3.2.
ApduReply OpenPgpApplet::get_data(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (!c.data.empty()) return sw_only(kWrongLength);
    return write_do(static_cast<std::uint32_t>(c.p1 << 8 | c.p2), out);
}

// GET NEXT DATA 00 CC 7F 21 — §10: next certificate occurrence.
ApduReply OpenPgpApplet::get_next_data(const ApduCommand& c, std::span<std::uint8_t> out) {
    if (c.p1 != 0x7F || c.p2 != 0x21) return sw_only(kNotFound);
    if (!c.data.empty()) return sw_only(kWrongLength);
    if (cert_occurrence_ >= 2) return sw_only(kNotFound);
    ++cert_occurrence_;
    return write_do(0x7F21, out);
}

// SELECT DATA 00 A5 <occurrence> 04 [len] 60 04 5C 02 7F 21 — §10 (also the YubiKey ≤ 5.4.3 form).
ApduReply OpenPgpApplet::select_data(const ApduCommand& c) {
    if (c.p2 != 0x04) return sw_only(kBadP1P2);
    if (c.p1 > 2) return sw_only(kNotFound);
    static constexpr std::uint8_t kTagList[] = {0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21};
    ByteView d = c.data;
    if (d.size() == sizeof kTagList + 1 && d[0] == sizeof kTagList) d = d.subspan(1);
    if (d.empty()) return sw_only(kWrongLength);
    if (!equal(d, ByteView(kTagList, sizeof kTagList))) return sw_only(kBadData);
    cert_occurrence_ = c.p1;
    return sw_only(kOk);
}

// ---- PUT DATA (§3.1, §5.3, §6.1, §6.3, §10) --------------------------------------------------

ApduReply OpenPgpApplet::put_data(const ApduCommand& c) {
    const auto tag = static_cast<std::uint32_t>(c.p1 << 8 | c.p2);
    const ByteView v = c.data;
    auto need_pw3 = [&]() { return pw3_; };
    auto store = [&](auto& field, std::size_t max) -> ApduReply {
        if (!need_pw3()) return sw_only(kSecurity);
        if (v.size() > max) return sw_only(kWrongLength);
        field.assign(v);
        return sw_only(commit() ? kOk : kMemoryFailure);
    };
    switch (tag) {
        case 0x005E: return store(state_.login_data, kMaxSpecialDo);
        case 0x5F50: return store(state_.url, kMaxSpecialDo);
        case 0x005B: return store(state_.name, kMaxName);
        case 0x5F2D: return store(state_.language, kMaxLanguage);
        case 0x5F35: return store(state_.salutation, 1);
        case 0x0101:
        case 0x0103: {  // private DOs 1 and 3: PW1 (82)
            if (!pw1_82_) return sw_only(kSecurity);
            if (v.size() > kMaxSpecialDo) return sw_only(kWrongLength);
            state_.private_do[tag == 0x0101 ? 0 : 2].assign(v);
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x0102: return store(state_.private_do[1], kMaxSpecialDo);
        case 0x0104: return store(state_.private_do[3], kMaxSpecialDo);
        case 0x00C1:
        case 0x00C2:
        case 0x00C3: {  // §5.3: supported algorithms only; a change deletes the slot's key
            if (!need_pw3()) return sw_only(kSecurity);
            const std::size_t slot = tag - 0xC1;
            if (v.empty() || v.size() > kMaxAttributes) return sw_only(kWrongLength);
            if (decode_attributes(v, slot).kind == AlgoKind::None) return sw_only(kBadData);
            KeySlot& ks = state_.slots[slot];
            const bool changed = !equal(v, ks.attributes.view());
            ks.attributes.assign(v);
            if (changed) {
                ks.key_der.clear();
                ks.key_status = 0;
                ks.fingerprint.fill(0);
                ks.generation_date.fill(0);
                if (slot == kSlotSig) state_.signature_counter = 0;
            }
            if (!commit()) return sw_only(kMemoryFailure);
            if (changed) keys_[slot].clear();
            return sw_only(kOk);
        }
        case 0x00C4: {  // §6.1: exactly one byte, 00 or 01
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() != 1) return sw_only(kWrongLength);
            if (v[0] > 0x01) return sw_only(kBadData);
            state_.pw1_policy = v[0];
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x00C7: case 0x00C8: case 0x00C9:
        case 0x00CA: case 0x00CB: case 0x00CC: {
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() != 20) return sw_only(kWrongLength);
            auto& dst = tag <= 0xC9 ? state_.slots[tag - 0xC7].fingerprint : state_.slots[tag - 0xCA].ca_fingerprint;
            std::copy(v.begin(), v.end(), dst.begin());
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x00CE: case 0x00CF: case 0x00D0: {
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() != 4) return sw_only(kWrongLength);
            auto& dst = state_.slots[tag - 0xCE].generation_date;
            std::copy(v.begin(), v.end(), dst.begin());
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x00D3: {  // §6.3: resetting code; empty deletes
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.empty()) {
                state_.rc = PinRecord{};
                state_.rc.retries = 0;
            } else {
                if (v.size() < kRcMinLength || v.size() > kPinMaxLength) return sw_only(kWrongLength);
                if (!set_secret(state_.rc, v)) return sw_only(kNoPrecise);
            }
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        case 0x7F21: {  // §10: certificate of the SELECT DATA occurrence; empty deletes
            if (!need_pw3()) return sw_only(kSecurity);
            if (v.size() > kMaxCertificate) return sw_only(kNotEnoughMemory);
            state_.slots[2 - cert_occurrence_].certificate.set_pending(v);  // the commit writes it
            return sw_only(commit() ? kOk : kMemoryFailure);
        }
        default: return sw_only(kNotFound);
    }
}

}  // namespace qscd::sim
