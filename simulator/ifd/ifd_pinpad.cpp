// libifdqscdpinpad: a pcsc-lite IFD handler (reader driver, ifdhandler.h API v3) for a simulated
// class-3 PIN-pad reader. pcscd loads it through a reader.conf entry
//
//   FRIENDLYNAME "QSCD PIN Pad"
//   DEVICENAME   /dev/null:0x8C7B        (base port; slot N listens on base + N, 127.0.0.1 only)
//   LIBPATH      .../libifdqscdpinpad.so
//
// Design: the card side is vsmartcard's vpcd protocol (pcsc.md §7), so `qscd-sim serve` inserts its
// simulated cards (OpenPGP, ID card) here exactly as into vpcd: connecting to the slot's port is an
// insertion, frames are 2-byte length + payload, 1-byte payloads are power/reset/ATR. The PIN pad
// adds two 1-byte controls, each followed by one frame holding the PC/SC part 10 structure:
//   10 + PIN_VERIFY_STRUCTURE, 11 + PIN_MODIFY_STRUCTURE  → one answer frame: SW1 SW2
//   12 + WRITE_DISPLAY structure                          → 90 00 (or 6B80)
// qscd-sim owns the keypad (entries scripted with `qscd-sim ctl keypad SLOT ...`), the display, and
// the formatting of the typed PIN into the APDU (simulator/reader); the card sees an ordinary
// VERIFY / CHANGE REFERENCE DATA. This driver answers what a reader answers by itself: the feature
// list, the PIN and display properties. No PIN ever passes through pcscd or the host.
extern "C" {  // the header has no C++ guards
#include <PCSC/ifdhandler.h>
}
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "qscd/sim/pin_pad.hpp"

namespace pp = qscd::sim::pinpad;

namespace {

constexpr unsigned kSlots = 2;
constexpr std::uint16_t kDefaultPort = 35963;
constexpr int kPresenceTimeoutMs = 2000;   // an ATR answer; qscd-sim answers at once
constexpr int kApduTimeoutMs = 120000;     // an APDU (RSA key generation takes seconds)
constexpr int kPinEntryTimeoutMs = 600000; // the keypad: qscd-sim applies bTimerOut itself

constexpr std::uint8_t kPowerOff = 0x00, kPowerOn = 0x01, kReset = 0x02, kGetAtr = 0x04;
constexpr std::uint8_t kVerifyPin = 0x10, kModifyPin = 0x11, kWriteDisplay = 0x12;

struct SlotState {
    std::mutex mutex;
    int listen_fd = -1;
    int card_fd = -1;  // the inserted card's connection
    // A card just lost: the next presence checks say "absent" before a new connection is taken, so
    // pcscd (polling every 0.4 s) always shows a removal between two cards, for long enough that a
    // program whose exchange failed can see it, even after a quick pull-and-insert.
    int report_absent = 0;
    std::vector<std::uint8_t> atr;
};

SlotState slots[kSlots];

SlotState* slot_of(DWORD lun) {
    const DWORD index = lun & 0xFFFF;
    return index < kSlots ? &slots[index] : nullptr;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t n) {
    while (n) {
        const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool read_all(int fd, std::uint8_t* out, std::size_t n, int timeout_ms) {
    while (n) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        const ssize_t r = ::recv(fd, out, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        out += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

bool send_frame(int fd, const std::uint8_t* data, std::size_t n) {
    if (n > 0xFFFF) return false;
    std::vector<std::uint8_t> frame(n + 2);
    frame[0] = static_cast<std::uint8_t>(n >> 8);
    frame[1] = static_cast<std::uint8_t>(n);
    if (n) std::memcpy(frame.data() + 2, data, n);
    return write_all(fd, frame.data(), frame.size());
}

bool receive_frame(int fd, std::vector<std::uint8_t>& out, int timeout_ms) {
    std::uint8_t header[2];
    if (!read_all(fd, header, 2, timeout_ms)) return false;
    out.resize(static_cast<std::size_t>(header[0] << 8 | header[1]));
    return out.empty() || read_all(fd, out.data(), out.size(), timeout_ms);
}

void drop_card(SlotState& s) {
    if (s.card_fd >= 0) {
        ::close(s.card_fd);
        s.report_absent = 3;
    }
    s.card_fd = -1;
    s.atr.clear();
}

bool control_byte(SlotState& s, std::uint8_t byte) {
    if (s.card_fd < 0) return false;
    if (!send_frame(s.card_fd, &byte, 1)) {
        drop_card(s);
        return false;
    }
    return true;
}

// Asks the card for its ATR; an empty answer or a broken connection is a removal.
bool refresh_atr(SlotState& s) {
    if (!control_byte(s, kGetAtr)) return false;
    std::vector<std::uint8_t> atr;
    if (!receive_frame(s.card_fd, atr, kPresenceTimeoutMs) || atr.empty()) {
        drop_card(s);
        return false;
    }
    s.atr = std::move(atr);
    return true;
}

// A pending connection on the slot's port is a card being inserted.
void accept_card(SlotState& s) {
    if (s.card_fd >= 0 || s.listen_fd < 0) return;
    const int fd = ::accept4(s.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s.card_fd = fd;
}

bool answer(const std::vector<std::uint8_t>& data, PUCHAR out, DWORD out_size, LPDWORD returned) {
    if (data.size() > out_size) return false;
    std::memcpy(out, data.data(), data.size());
    *returned = static_cast<DWORD>(data.size());
    return true;
}

}  // namespace

extern "C" {

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName) {
    SlotState* s = slot_of(Lun);
    if (!s) return IFD_NO_SUCH_DEVICE;
    unsigned long port = kDefaultPort;
    if (const char* colon = DeviceName ? std::strchr(DeviceName, ':') : nullptr) {
        char* end = nullptr;
        errno = 0;
        port = std::strtoul(colon + 1, &end, 0);
        if (errno || end == colon + 1 || port == 0 || port + kSlots > 65536) return IFD_NO_SUCH_DEVICE;
    }
    port += Lun & 0xFFFF;
    std::lock_guard<std::mutex> guard(s->mutex);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return IFD_COMMUNICATION_ERROR;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // only local processes can act as the card
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0) {
        ::close(fd);
        return IFD_COMMUNICATION_ERROR;
    }
    s->listen_fd = fd;
    return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel) {
    char name[32];
    std::snprintf(name, sizeof name, "/dev/null:%lu", static_cast<unsigned long>(Channel ? Channel : kDefaultPort));
    return IFDHCreateChannelByName(Lun, name);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun) {
    SlotState* s = slot_of(Lun);
    if (!s) return IFD_NO_SUCH_DEVICE;
    std::lock_guard<std::mutex> guard(s->mutex);
    drop_card(*s);
    if (s->listen_fd >= 0) ::close(s->listen_fd);
    s->listen_fd = -1;
    return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value) {
    SlotState* s = slot_of(Lun);
    if (!s || !Length || !Value) return IFD_COMMUNICATION_ERROR;
    std::lock_guard<std::mutex> guard(s->mutex);
    switch (Tag) {
        case TAG_IFD_ATR:
            if (s->atr.size() > *Length) return IFD_ERROR_INSUFFICIENT_BUFFER;
            std::memcpy(Value, s->atr.data(), s->atr.size());
            *Length = static_cast<DWORD>(s->atr.size());
            return IFD_SUCCESS;
        case TAG_IFD_SLOTS_NUMBER:
            if (*Length < 1) return IFD_ERROR_INSUFFICIENT_BUFFER;
            Value[0] = kSlots;
            *Length = 1;
            return IFD_SUCCESS;
        case TAG_IFD_SLOT_THREAD_SAFE:  // each slot has its own connection and lock
            if (*Length < 1) return IFD_ERROR_INSUFFICIENT_BUFFER;
            Value[0] = 1;
            *Length = 1;
            return IFD_SUCCESS;
        default:
            return IFD_ERROR_TAG;
    }
}

RESPONSECODE IFDHSetCapabilities(DWORD, DWORD, DWORD, PUCHAR) { return IFD_NOT_SUPPORTED; }

RESPONSECODE IFDHSetProtocolParameters(DWORD, DWORD, UCHAR, UCHAR, UCHAR, UCHAR) { return IFD_SUCCESS; }

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength) {
    SlotState* s = slot_of(Lun);
    if (!s) return IFD_COMMUNICATION_ERROR;
    std::lock_guard<std::mutex> guard(s->mutex);
    accept_card(*s);
    if (Action == IFD_POWER_DOWN) {
        if (AtrLength) *AtrLength = 0;
        if (s->card_fd >= 0) control_byte(*s, kPowerOff);
        return IFD_SUCCESS;
    }
    if (Action != IFD_POWER_UP && Action != IFD_RESET) return IFD_NOT_SUPPORTED;
    if (!control_byte(*s, Action == IFD_POWER_UP ? kPowerOn : kReset) || !refresh_atr(*s)) {
        if (AtrLength) *AtrLength = 0;
        return IFD_ERROR_POWER_ACTION;
    }
    if (Atr && AtrLength) {
        if (s->atr.size() > MAX_ATR_SIZE) return IFD_ERROR_POWER_ACTION;
        std::memcpy(Atr, s->atr.data(), s->atr.size());
        *AtrLength = static_cast<DWORD>(s->atr.size());
    }
    return IFD_SUCCESS;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
                               PDWORD RxLength, PSCARD_IO_HEADER RecvPci) {
    SlotState* s = slot_of(Lun);
    if (!s || !RxLength) return IFD_COMMUNICATION_ERROR;
    std::lock_guard<std::mutex> guard(s->mutex);
    const DWORD capacity = *RxLength;
    *RxLength = 0;
    if (s->card_fd < 0) return IFD_ICC_NOT_PRESENT;
    if (TxLength < 4) return IFD_COMMUNICATION_ERROR;  // shorter payloads are our control messages
    std::vector<std::uint8_t> response;
    if (!send_frame(s->card_fd, TxBuffer, TxLength) || !receive_frame(s->card_fd, response, kApduTimeoutMs) ||
        response.size() < 2) {
        drop_card(*s);
        return IFD_COMMUNICATION_ERROR;
    }
    if (response.size() > capacity) return IFD_ERROR_INSUFFICIENT_BUFFER;
    std::memcpy(RxBuffer, response.data(), response.size());
    *RxLength = static_cast<DWORD>(response.size());
    if (RecvPci) RecvPci->Protocol = 1;
    return IFD_SUCCESS;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
                         DWORD RxLength, LPDWORD pdwBytesReturned) {
    SlotState* s = slot_of(Lun);
    if (!s || !pdwBytesReturned) return IFD_COMMUNICATION_ERROR;
    *pdwBytesReturned = 0;
    try {
        const auto code = static_cast<std::uint32_t>(dwControlCode);
        if (code == pp::kGetFeatureRequest)
            return answer(pp::feature_list(), RxBuffer, RxLength, pdwBytesReturned) ? IFD_SUCCESS
                                                                                  : IFD_ERROR_INSUFFICIENT_BUFFER;
        if (code == pp::feature_code(pp::kFeatureIfdPinProperties))
            return answer(pp::pin_properties(), RxBuffer, RxLength, pdwBytesReturned) ? IFD_SUCCESS
                                                                                    : IFD_ERROR_INSUFFICIENT_BUFFER;
        if (code == pp::feature_code(pp::kFeatureIfdDisplayProperties))
            return answer(pp::display_properties(), RxBuffer, RxLength, pdwBytesReturned) ? IFD_SUCCESS
                                                                                        : IFD_ERROR_INSUFFICIENT_BUFFER;
        if (code == pp::feature_code(pp::kFeatureGetTlvProperties))
            return answer(pp::tlv_properties(), RxBuffer, RxLength, pdwBytesReturned) ? IFD_SUCCESS
                                                                                    : IFD_ERROR_INSUFFICIENT_BUFFER;
        std::uint8_t op = 0;
        if (code == pp::feature_code(pp::kFeatureVerifyPinDirect)) op = kVerifyPin;
        else if (code == pp::feature_code(pp::kFeatureModifyPinDirect)) op = kModifyPin;
        else if (code == pp::feature_code(pp::kFeatureWriteDisplay)) op = kWriteDisplay;
        else return IFD_ERROR_NOT_SUPPORTED;
        if (!TxBuffer || (op != kWriteDisplay && RxLength < 2)) return IFD_COMMUNICATION_ERROR;
        std::lock_guard<std::mutex> guard(s->mutex);
        if (s->card_fd < 0) return IFD_ICC_NOT_PRESENT;
        std::vector<std::uint8_t> response;
        if (!control_byte(*s, op) || !send_frame(s->card_fd, TxBuffer, TxLength) ||
            !receive_frame(s->card_fd, response, kPinEntryTimeoutMs) || response.size() < 2) {
            drop_card(*s);
            return IFD_COMMUNICATION_ERROR;
        }
        if (op == kWriteDisplay)  // nothing to return; the reader refuses a malformed request
            return response[0] == 0x90 && response[1] == 0x00 ? IFD_SUCCESS : IFD_COMMUNICATION_ERROR;
        return answer(response, RxBuffer, RxLength, pdwBytesReturned) ? IFD_SUCCESS : IFD_ERROR_INSUFFICIENT_BUFFER;
    } catch (...) {
        return IFD_COMMUNICATION_ERROR;
    }
}

RESPONSECODE IFDHICCPresence(DWORD Lun) {
    SlotState* s = slot_of(Lun);
    if (!s) return IFD_COMMUNICATION_ERROR;
    std::lock_guard<std::mutex> guard(s->mutex);
    if (s->report_absent > 0) {
        --s->report_absent;
        return IFD_ICC_NOT_PRESENT;
    }
    accept_card(*s);
    if (s->card_fd < 0) return IFD_ICC_NOT_PRESENT;
    return refresh_atr(*s) ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}

}  // extern "C"
