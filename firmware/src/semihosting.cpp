#include "semihosting.hpp"

#include <cstring>

namespace qscd::firmware::semihosting {

namespace {

// Operation numbers (semihosting v2 §5).
constexpr std::uint32_t kOpen = 0x01, kClose = 0x02, kWrite = 0x05, kRead = 0x06, kGetCmdline = 0x15,
                        kExit = 0x18;
constexpr std::uint32_t kOpenRead = 0, kOpenWrite = 4;  // fopen "r" / "w"
// SYS_EXIT reasons (§5.17): QEMU exits 0 for ApplicationExit, 1 for any other reason.
constexpr std::uint32_t kApplicationExit = 0x20026, kRunTimeErrorUnknown = 0x20023;

// The call: operation in r0, parameter block in r1, result in r0; BKPT 0xAB on M-profile (§2.1.2).
std::int32_t call(std::uint32_t operation, const void* parameters) {
    register std::uint32_t r0 asm("r0") = operation;
    register const void* r1 asm("r1") = parameters;
    asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return static_cast<std::int32_t>(r0);
}

int stdout_handle() {
    static int handle = -1;
    if (handle < 0) {
        const std::uint32_t block[3] = {reinterpret_cast<std::uint32_t>(":tt"), kOpenWrite, 3};
        handle = call(kOpen, block);
    }
    return handle;
}

}  // namespace

bool command_line(std::span<char> buffer) {
    if (buffer.empty()) return false;
    std::uint32_t block[2] = {reinterpret_cast<std::uint32_t>(buffer.data()), static_cast<std::uint32_t>(buffer.size() - 1)};
    if (call(kGetCmdline, block) != 0) return false;
    buffer[block[1]] = '\0';
    return true;
}

int open_read(const char* path) {
    const std::uint32_t block[3] = {reinterpret_cast<std::uint32_t>(path), kOpenRead,
                                    static_cast<std::uint32_t>(std::strlen(path))};
    return call(kOpen, block);
}

long read(int handle, std::span<std::uint8_t> buffer) {
    const std::uint32_t block[3] = {static_cast<std::uint32_t>(handle), reinterpret_cast<std::uint32_t>(buffer.data()),
                                    static_cast<std::uint32_t>(buffer.size())};
    const std::int32_t not_read = call(kRead, block);  // bytes NOT read (§5.12)
    if (not_read < 0 || static_cast<std::size_t>(not_read) > buffer.size()) return -1;
    return static_cast<long>(buffer.size() - static_cast<std::size_t>(not_read));
}

void close(int handle) {
    const std::uint32_t block[1] = {static_cast<std::uint32_t>(handle)};
    call(kClose, block);
}

void write(const char* text, std::size_t length) {
    const std::uint32_t block[3] = {static_cast<std::uint32_t>(stdout_handle()), reinterpret_cast<std::uint32_t>(text),
                                    static_cast<std::uint32_t>(length)};
    call(kWrite, block);
}

void write(const char* text) { write(text, std::strlen(text)); }

void exit(bool success) {
    call(kExit, reinterpret_cast<const void*>(success ? kApplicationExit : kRunTimeErrorUnknown));
    for (;;) {
    }
}

}  // namespace qscd::firmware::semihosting
