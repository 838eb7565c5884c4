// ISO 7816-4 transport layer of the simulated TEST CARD (iso7816.md §1.1, §3, §4, §9.4).
#include "qscd/sim/virtual_card.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "qscd/codec/apdu.hpp"
#include "qscd/sim/card_crypto.hpp"

namespace qscd::sim {

namespace {

constexpr std::uint16_t kOk = 0x9000;

// iso7816.md §9.4 layout with issuer data "TestSig": this is a TEST CARD (AID manufacturer FFFF).
// 3B | 8D (TD1, 13 historical bytes) | 81 (TD2, T=1) | 31 (TA3 TB3, T=1) | FE (IFSC) | 15 (BWI/CWI)
// | 80 73 C0 21 C0 57 "TestSig" | TCK
constexpr std::array<std::uint8_t, 20> make_atr() {
    std::array<std::uint8_t, 20> a = {0x3B, 0x8D, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0, 0x21,
                                      0xC0, 0x57, 0x54, 0x65, 0x73, 0x74, 0x53, 0x69, 0x67, 0x00};
    std::uint8_t tck = 0;
    for (std::size_t i = 1; i < 19; ++i) tck = static_cast<std::uint8_t>(tck ^ a[i]);  // T0..last hist. byte
    a[19] = tck;
    return a;
}

constexpr std::array<std::uint8_t, 20> kAtr = make_atr();

}  // namespace

VirtualCard::VirtualCard(Storage& storage, Random& random, Clock& clock, CardOptions options)
    : storage_(storage), random_(random), clock_(clock), options_(options), type_(options.card_type) {
    construct_applet();
}

VirtualCard::~VirtualCard() { destroy_applet(); }

void VirtualCard::construct_applet() {
    if (is_openpgp()) {
        ::new (&applet_.openpgp) OpenPgpApplet(storage_, random_, clock_, options_);
    } else {
        ::new (&applet_.id) IdCardApplet(storage_, random_, clock_, options_);
    }
}

void VirtualCard::destroy_applet() {
    if (is_openpgp()) {
        applet_.openpgp.~OpenPgpApplet();
    } else {
        applet_.id.~IdCardApplet();
    }
}

const OpenPgpApplet& VirtualCard::openpgp() const {
    if (!is_openpgp()) std::abort();  // a caller bug: this card runs an ID card applet
    return applet_.openpgp;
}

const IdCardApplet& VirtualCard::id() const {
    if (is_openpgp()) std::abort();  // a caller bug: this card runs the OpenPGP applet
    return applet_.id;
}

void VirtualCard::use_applet(CardType type) {
    if ((type == CardType::OpenPgp) == is_openpgp()) {
        type_ = type;
        return;
    }
    destroy_applet();
    type_ = type;
    construct_applet();
}

ByteView VirtualCard::atr() { return ByteView(kAtr.data(), kAtr.size()); }

ByteView VirtualCard::card_atr() const { return is_openpgp() ? atr() : id().atr(); }

Result<LoadedState, StateError> VirtualCard::load() {
    std::size_t size = 0;
    const StorageStatus st = storage_.open_image(size);
    if (st == StorageStatus::NotFound) return fail(StateError::NotFound);
    if (st == StorageStatus::TooLarge || st == StorageStatus::Corrupted) return fail(StateError::Corrupted);
    if (st != StorageStatus::Ok) return fail(StateError::IoError);
    // The header and the first payload byte name the card type (peek_card_type).
    std::array<std::uint8_t, kStateHeaderSize + 1> head{};
    const std::size_t head_size = size < head.size() ? size : head.size();
    if (storage_.read(0, std::span<std::uint8_t>(head.data(), head_size)) != StorageStatus::Ok)
        return fail(StateError::IoError);
    auto type = peek_card_type(ByteView(head.data(), head_size));
    if (!type) return fail(type.error());
    if (*type != CardType::OpenPgp && !profiles::find_by_type(*type)) return fail(StateError::Corrupted);
    use_applet(*type);
    return is_openpgp() ? applet_.openpgp.load() : applet_.id.load();
}

StorageStatus VirtualCard::format(const std::array<std::uint8_t, 4>& serial) {
    use_applet(options_.card_type);
    return is_openpgp() ? applet_.openpgp.format(serial) : applet_.id.format(serial);
}

void VirtualCard::clear_volatile() {
    selected_ = false;
    pending_ = 0;
    pending_offset_ = 0;
    chaining_ = false;
    crypto::zeroize(chain_.data(), chain_length_);
    chain_length_ = 0;
    if (is_openpgp()) {
        applet_.openpgp.clear_volatile();
    } else {
        applet_.id.clear_volatile();
    }
}

void VirtualCard::power_on() { clear_volatile(); }
void VirtualCard::reset() { clear_volatile(); }
void VirtualCard::power_off() { clear_volatile(); }

// Writes data (from response_ at pending_offset_) + SW. Data beyond Ne stays pending (§3: 61xx).
std::size_t VirtualCard::respond(std::span<std::uint8_t> response, std::size_t data_length, std::uint32_t ne,
                                 std::uint16_t sw) {
    if (response.size() < 2) return 0;
    // Without Le the card still returns up to 256 bytes (iso7816.md §3, YubiKey behaviour).
    const std::size_t limit = std::min<std::size_t>(ne == 0 ? 256 : ne, response.size() - 2);
    std::size_t n = std::min(data_length, limit);
    std::copy_n(response_.data() + pending_offset_, n, response.data());
    if (data_length > n) {
        pending_offset_ += n;
        pending_ = data_length - n;
        sw = static_cast<std::uint16_t>(0x6100 | (pending_ > 0xFF ? 0x00 : pending_));
    } else {
        pending_ = 0;
        pending_offset_ = 0;
    }
    response[n] = static_cast<std::uint8_t>(sw >> 8);
    response[n + 1] = static_cast<std::uint8_t>(sw & 0xFF);
    return n + 2;
}

ApduReply VirtualCard::dispatch(const ApduCommand& c) {
    if (!is_openpgp()) return applet_.id.process(c, response_);  // it has its own file system
    if (c.ins == 0xA4) {  // SELECT (openpgp-card.md §2.2, iso7816.md §6.1)
        if (c.p1 != 0x04) return ApduReply{0, 0x6A82};  // MF / file selection: no file system
        if ((c.p2 & 0xF3) != 0x00) return ApduReply{0, 0x6A86};
        OpenPgpApplet& applet = applet_.openpgp;
        const auto aid = applet.aid();
        const bool match = c.data.size() >= kOpenPgpAidPrefix.size() && c.data.size() <= aid.size() &&
                           std::equal(c.data.begin(), c.data.end(), aid.begin());
        if (!match) return ApduReply{0, 0x6A82};
        if (!applet.loaded()) return ApduReply{0, 0x6F00};
        selected_ = true;
        return ApduReply{0, applet.select()};
    }
    if (!selected_) return ApduReply{0, 0x6985};
    return applet_.openpgp.process(c, response_);
}

std::size_t VirtualCard::process(ByteView command, std::span<std::uint8_t> response) {
    if (response.size() < 2) return 0;
    auto status = [&](std::uint16_t sw) { pending_ = 0; pending_offset_ = 0; return respond(response, 0, 0, sw); };
    auto abort_chain = [&]() {
        chaining_ = false;
        crypto::zeroize(chain_.data(), chain_length_);
        chain_length_ = 0;
    };

    if (command.size() < 4) { abort_chain(); return status(0x6700); }
    // iso7816.md §1.2: only CLA 00 (plus the chaining bit 10) — no secure messaging, no channels.
    if ((command[0] & ~0x10) != 0x00) { abort_chain(); return status(0x6E00); }
    auto parsed = parse_command_apdu(command);
    if (!parsed) { abort_chain(); return status(0x6700); }
    const CommandApduView& v = *parsed;
    const bool chained = (v.cla & 0x10) != 0;

    // GET RESPONSE 00 C0 00 00 Le (iso7816.md §3).
    if (v.ins == 0xC0) {
        if (chained || chaining_) { abort_chain(); return status(0x6883); }
        if (v.p1 != 0x00 || v.p2 != 0x00) return status(0x6A86);
        if (!v.data.empty()) return status(0x6700);
        if (pending_ == 0) return status(0x6985);
        return respond(response, pending_, v.ne == 0 ? 256 : v.ne, kOk);
    }
    pending_ = 0;  // any other command discards the rest of a chained response
    pending_offset_ = 0;

    // Command chaining (iso7816.md §4).
    ByteView data = v.data;
    if (chaining_ && (v.ins != chain_ins_ || v.p1 != chain_p1_ || v.p2 != chain_p2_)) {
        abort_chain();
        return status(0x6883);
    }
    if (chained) {  // SELECT is the card's own (never chained); the applet knows its commands
        const std::uint16_t sw = !is_openpgp() ? IdCardApplet::chaining_status(v.ins)
                                 : v.ins == 0xA4                ? 0x6884
                                                                : OpenPgpApplet::chaining_status(v.ins);
        if (sw != kOk) { abort_chain(); return status(sw); }
    }
    if (chained || chaining_) {
        if (v.data.size() > chain_.size() - chain_length_) { abort_chain(); return status(0x6700); }
        std::copy(v.data.begin(), v.data.end(), chain_.begin() + static_cast<std::ptrdiff_t>(chain_length_));
        chain_length_ += v.data.size();
        if (chained) {
            chaining_ = true;
            chain_ins_ = v.ins;
            chain_p1_ = v.p1;
            chain_p2_ = v.p2;
            return status(kOk);
        }
        data = ByteView(chain_.data(), chain_length_);
    }

    ApduCommand c;
    c.cla = v.cla;
    c.ins = v.ins;
    c.p1 = v.p1;
    c.p2 = v.p2;
    c.data = data;
    c.ne = v.ne;
    c.extended = v.extended;
    const ApduReply reply = dispatch(c);
    abort_chain();  // wipes the accumulated data (it may contain PINs)
    const std::size_t length = (reply.sw == kOk || (reply.sw & 0xFF00) == 0x6200) ? reply.length : 0;
    return respond(response, length, v.ne, reply.sw);
}

}  // namespace qscd::sim
