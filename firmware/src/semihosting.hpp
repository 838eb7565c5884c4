// ARM semihosting (Arm "Semihosting for AArch32 and AArch64" v2): the firmware's only line to the host under
// QEMU (-semihosting): the command line, reading the APDU script, writing the transcript, exiting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace qscd::firmware::semihosting {

// The command line QEMU passes (`-kernel IMAGE -append ARGS` gives "IMAGE ARGS"), NUL-terminated in `buffer`.
bool command_line(std::span<char> buffer);
// A host file opened for reading (-1 on failure); read() returns the bytes read (0 at the end, -1 on error).
int open_read(const char* path);
long read(int handle, std::span<std::uint8_t> buffer);
void close(int handle);
// Writes to the host's standard output.
void write(const char* text, std::size_t length);
void write(const char* text);
// Ends the emulation: exit status 0 when `success`, 1 otherwise.
[[noreturn]] void exit(bool success);

}  // namespace qscd::firmware::semihosting
