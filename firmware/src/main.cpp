// The card firmware's main loop on the emulated Cortex-M4 (docs/firmware.md): formats a factory-fresh
// OpenPGP test card in RAM, then feeds it the APDU script named on the command line (one command APDU in hex
// per line; '#' starts a comment) and writes the transcript to the host: "> command" and "< response" lines in
// hex, then the figures of the run (the card object's size, the mbedTLS heap's peak, the stack's peak).
// Exit status 0 when the script ran to its end (the host test judges the responses), 1 on any error.
#include <array>
#include <cstddef>
#include <cstdint>

#include <mbedtls/memory_buffer_alloc.h>

#include "board.hpp"
#include "semihosting.hpp"

namespace {

using namespace qscd;
namespace host = firmware::semihosting;

// mbedTLS's heap for bignums (its only allocations); the peak is printed at the end.
constexpr std::size_t kCryptoHeapSize = 16 * 1024;
alignas(8) unsigned char crypto_heap[kCryptoHeapSize];

std::array<std::array<std::uint8_t, sim::kMaxStateImage>, 2> persistent_memory;  // the card's "EEPROM"
firmware::RamStorage storage(persistent_memory[0], persistent_memory[1]);
firmware::TestRandom random;
firmware::FixedClock clock;
sim::VirtualCard card(storage, random, clock);
std::array<std::uint8_t, sim::kMaxResponseApdu> response;
// The longest command APDU: CLA INS P1 P2, extended Lc (3 bytes), the data, extended Le (2 bytes).
std::array<std::uint8_t, 4 + 3 + sim::kMaxCommandData + 2> command;

void write_number(const char* label, std::size_t value) {
    std::array<char, 24> digits{};
    std::size_t n = digits.size() - 1;
    do {
        digits[--n] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0 && n > 0);
    host::write(label);
    host::write(digits.data() + n);
    host::write(" bytes\n");
}

void write_hex_line(const char* prefix, const std::uint8_t* data, std::size_t length) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::array<char, 128> chunk;
    host::write(prefix);
    std::size_t used = 0;
    for (std::size_t i = 0; i < length; ++i) {
        chunk[used++] = kHex[data[i] >> 4];
        chunk[used++] = kHex[data[i] & 0x0F];
        if (used == chunk.size()) {
            host::write(chunk.data(), used);
            used = 0;
        }
    }
    chunk[used++] = '\n';
    host::write(chunk.data(), used);
}

int hex_digit(std::uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reads the script from `handle` byte by byte through a small buffer, one APDU per line.
class ScriptReader {
public:
    explicit ScriptReader(int handle) : handle_(handle) {}

    // The next APDU into `command` (its length), 0 at the end of the script, -1 on a malformed line.
    long next() {
        for (;;) {
            std::size_t length = 0;
            bool comment = false, odd = false, any = false, bad = false;
            int c;
            while ((c = get()) >= 0 && c != '\n') {
                if (c == '#') comment = true;
                if (comment || c == ' ' || c == '\t' || c == '\r') continue;
                const int d = hex_digit(static_cast<std::uint8_t>(c));
                if (d < 0 || (!odd && length == command.size())) {
                    bad = true;
                    continue;
                }
                any = true;
                if (odd) {
                    command[length] = static_cast<std::uint8_t>(command[length] | d);
                    ++length;
                } else {
                    command[length] = static_cast<std::uint8_t>(d << 4);
                }
                odd = !odd;
            }
            if (bad || odd) return -1;
            if (any) return static_cast<long>(length);
            if (c < 0) return 0;
        }
    }

private:
    int get() {
        if (position_ == filled_) {
            const long n = host::read(handle_, buffer_);
            if (n <= 0) return -1;
            filled_ = static_cast<std::size_t>(n);
            position_ = 0;
        }
        return buffer_[position_++];
    }

    int handle_;
    std::array<std::uint8_t, 256> buffer_{};
    std::size_t filled_ = 0, position_ = 0;
};

// The script's path: the first word after the image's name on the command line.
const char* script_path(std::span<char> line) {
    if (!host::command_line(line)) return nullptr;
    std::size_t i = 0;
    while (line[i] != '\0' && line[i] != ' ') ++i;  // the image
    while (line[i] == ' ') ++i;
    if (line[i] == '\0') return nullptr;
    const char* path = &line[i];
    while (line[i] != '\0' && line[i] != ' ') ++i;
    line[i] = '\0';
    return path;
}

}  // namespace

int main() {
    host::write("qscd card firmware: Cortex-M4, OpenPGP test card in RAM\n");
    mbedtls_memory_buffer_alloc_init(crypto_heap, sizeof crypto_heap);

    static std::array<char, 512> line;
    const char* path = script_path(line);
    if (path == nullptr) {
        host::write("firmware: no APDU script on the command line (qemu ... -append SCRIPT)\n");
        return 1;
    }
    const int handle = host::open_read(path);
    if (handle < 0) {
        host::write("firmware: cannot open the APDU script\n");
        return 1;
    }

    // Factory-fresh card (default PINs, no keys), as `qscd-sim create` makes one.
    if (card.format({0x00, 0x00, 0xF1, 0x23}) != sim::StorageStatus::Ok || !card.load()) {
        host::write("firmware: cannot format the card\n");
        return 1;
    }
    card.power_on();

    ScriptReader script(handle);
    long length;
    while ((length = script.next()) > 0) {
        write_hex_line("> ", command.data(), static_cast<std::size_t>(length));
        const std::size_t n = card.process(ByteView(command.data(), static_cast<std::size_t>(length)), response);
        write_hex_line("< ", response.data(), n);
    }
    host::close(handle);
    if (length < 0) {
        host::write("firmware: malformed line in the APDU script\n");
        return 1;
    }

    std::size_t heap_peak = 0, heap_blocks = 0;
    mbedtls_memory_buffer_alloc_max_get(&heap_peak, &heap_blocks);
    write_number("card object (VirtualCard): ", sizeof(sim::VirtualCard));
    write_number("mbedTLS heap peak: ", heap_peak);
    write_number("mbedTLS heap reserved: ", kCryptoHeapSize);
    write_number("stack peak: ", firmware::stack_peak());
    write_number("stack reserved: ", firmware::stack_reserved());
    host::write("end of script\n");
    return 0;
}
