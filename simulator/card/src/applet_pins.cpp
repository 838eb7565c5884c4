// OpenPGP applet: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (openpgp-card.md §6).
#include "applet_internal.hpp"

namespace qscd::sim {

using namespace applet_detail;

// ---- PINs (§6) --------------------------------------------------------------------------------

bool OpenPgpApplet::set_secret(PinRecord& record, ByteView secret) {
    return pin_set(record, secret, options_.pin_iterations, kPinMaxRetries, random_);
}

// The shared PIN object (pin_object.hpp) with the OpenPGP status words: a wrong PIN is 6982 (§6.2).
std::uint16_t OpenPgpApplet::check_secret(PinRecord& record, ByteView secret) {
    const CommitHook hook{[](void* self, CommitSync sync) { return static_cast<OpenPgpApplet*>(self)->commit(sync); },
                          this};
    switch (pin_check(record, secret, kPinMaxRetries, options_.pin_iterations, random_, hook)) {
        case PinCheck::Ok: return kOk;
        case PinCheck::Wrong: return kSecurity;
        case PinCheck::Blocked: return kBlocked;
        case PinCheck::MemoryFailure: return kMemoryFailure;
    }
    return kNoPrecise;
}

// VERIFY 00 20 P1 P2 [PIN] — §6.2.
ApduReply OpenPgpApplet::verify(const ApduCommand& c) {
    if ((c.p1 != 0x00 && c.p1 != 0xFF) || (c.p2 != 0x81 && c.p2 != 0x82 && c.p2 != 0x83)) return sw_only(kBadP1P2);
    bool& flag = c.p2 == 0x81 ? pw1_81_ : c.p2 == 0x82 ? pw1_82_ : pw3_;
    PinRecord& record = c.p2 == 0x83 ? state_.pw3 : state_.pw1;
    if (c.p1 == 0xFF) {  // §6.2: 00 20 FF 8x → reset the mode's status (3.1+)
        if (!c.data.empty()) return sw_only(kWrongLength);
        flag = false;
        return sw_only(kOk);
    }
    if (c.data.empty()) {  // empty VERIFY: status query
        if (flag) return sw_only(kOk);
        return sw_only(static_cast<std::uint16_t>(0x63C0 | (record.retries & 0x0F)));
    }
    const std::size_t min = c.p2 == 0x83 ? kPw3MinLength : kPw1MinLength;
    if (c.data.size() < min || c.data.size() > kPinMaxLength) return sw_only(kWrongLength);
    flag = false;
    const std::uint16_t sw = check_secret(record, c.data);
    if (sw == kOk) flag = true;
    return sw_only(sw);
}

// CHANGE REFERENCE DATA 00 24 00 81|83 old‖new — §6.3 (split by the stored length).
ApduReply OpenPgpApplet::change_reference_data(const ApduCommand& c) {
    if (c.p1 != 0x00 || (c.p2 != 0x81 && c.p2 != 0x83)) return sw_only(kBadP1P2);
    PinRecord& record = c.p2 == 0x83 ? state_.pw3 : state_.pw1;
    const std::size_t min = c.p2 == 0x83 ? kPw3MinLength : kPw1MinLength;
    if (c.data.size() < 2 * min || c.data.size() > 2 * kPinMaxLength) return sw_only(kWrongLength);
    if (record.retries == 0) return sw_only(kBlocked);
    const std::size_t old_length = std::min<std::size_t>(record.length, c.data.size());
    const ByteView new_pin = c.data.subspan(old_length);
    const bool new_ok = new_pin.size() >= min && new_pin.size() <= kPinMaxLength;
    // A split that leaves no valid new PIN is still checked (and counted) as a wrong old PIN.
    const std::uint16_t sw = check_secret(record, c.data.first(new_ok ? old_length : c.data.size()));
    if (sw != kOk) {
        if (c.p2 == 0x83) pw3_ = false; else pw1_81_ = pw1_82_ = false;
        return sw_only(sw);
    }
    if (!new_ok) return sw_only(kWrongLength);
    if (!set_secret(record, new_pin)) return sw_only(kNoPrecise);
    if (!commit()) return sw_only(kMemoryFailure);
    if (c.p2 == 0x81) pw1_81_ = pw1_82_ = false;
    return sw_only(kOk);
}

// RESET RETRY COUNTER 00 2C 00|02 81 — §6.3.
ApduReply OpenPgpApplet::reset_retry_counter(const ApduCommand& c) {
    if (c.p2 != 0x81 || (c.p1 != 0x00 && c.p1 != 0x02)) return sw_only(kBadP1P2);
    ByteView new_pin;
    if (c.p1 == 0x02) {  // after VERIFY 83: data = new PW1
        if (!pw3_) return sw_only(kSecurity);
        new_pin = c.data;
        if (new_pin.size() < kPw1MinLength || new_pin.size() > kPinMaxLength) return sw_only(kWrongLength);
    } else {  // resetting code ‖ new PW1
        if (!state_.rc.is_set()) return sw_only(kSecurity);
        if (state_.rc.retries == 0) return sw_only(kBlocked);
        if (c.data.size() < kRcMinLength + kPw1MinLength || c.data.size() > 2 * kPinMaxLength)
            return sw_only(kWrongLength);
        const std::size_t rc_length = std::min<std::size_t>(state_.rc.length, c.data.size());
        new_pin = c.data.subspan(rc_length);
        const bool new_ok = new_pin.size() >= kPw1MinLength && new_pin.size() <= kPinMaxLength;
        const std::uint16_t sw = check_secret(state_.rc, c.data.first(new_ok ? rc_length : c.data.size()));
        if (sw != kOk) return sw_only(sw);
        if (!new_ok) return sw_only(kWrongLength);
    }
    if (!set_secret(state_.pw1, new_pin)) return sw_only(kNoPrecise);
    if (!commit()) return sw_only(kMemoryFailure);
    pw1_81_ = pw1_82_ = false;
    return sw_only(kOk);
}

}  // namespace qscd::sim
