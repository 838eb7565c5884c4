// Cortex-M4 start-up of the card firmware (ARMv7-M Architecture Reference Manual B1.5.3: the vector table
// holds the initial stack pointer and the reset handler): copies .data, clears .bss, paints the stack so its
// peak use can be measured, runs the static constructors, calls main(). Also the few C/C++ runtime hooks the
// image needs, so that nothing pulls in newlib's system calls or the C++ exception machinery.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <cstdio>

#include "board.hpp"
#include "semihosting.hpp"

extern "C" {
extern std::uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern std::uint32_t __stack_bottom[], __stack_top[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
void reset_handler();
void fault_handler();
}

namespace {

constexpr std::uint32_t kStackPaint = 0x5AC3A55Cu;

}  // namespace

// The first 16 entries (system exceptions); the board raises no external interrupt this firmware enables.
__attribute__((section(".isr_vector"), used)) void (*const vector_table[16])() = {
    reinterpret_cast<void (*)()>(__stack_top),
    reset_handler,
    fault_handler,  // NMI
    fault_handler,  // HardFault
    fault_handler,  // MemManage
    fault_handler,  // BusFault
    fault_handler,  // UsageFault
    nullptr, nullptr, nullptr, nullptr,
    fault_handler,  // SVCall
    fault_handler,  // DebugMonitor
    nullptr,
    fault_handler,  // PendSV
    fault_handler,  // SysTick
};

extern "C" void reset_handler() {
    std::uint32_t* src = __data_load;
    for (std::uint32_t* dst = __data_start; dst < __data_end;) *dst++ = *src++;
    for (std::uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
    // Paint the stack below this frame (64 bytes of margin) for qscd::firmware::stack_peak().
    std::uint32_t* sp;
    asm volatile("mov %0, sp" : "=r"(sp));
    for (std::uint32_t* p = __stack_bottom; p < sp - 16;) *p++ = kStackPaint;
    for (auto* init = __init_array_start; init < __init_array_end; ++init) (*init)();
    qscd::firmware::semihosting::exit(main() == 0);
}

extern "C" void fault_handler() {
    qscd::firmware::semihosting::write("firmware: fault\n");
    qscd::firmware::semihosting::exit(false);
}

namespace qscd::firmware {

std::size_t stack_peak() {
    const std::uint32_t* p = __stack_bottom;
    while (p < __stack_top && *p == kStackPaint) ++p;
    return static_cast<std::size_t>(reinterpret_cast<const std::uint8_t*>(__stack_top) -
                                    reinterpret_cast<const std::uint8_t*>(p));
}

std::size_t stack_reserved() {
    return static_cast<std::size_t>(reinterpret_cast<const std::uint8_t*>(__stack_top) -
                                    reinterpret_cast<const std::uint8_t*>(__stack_bottom));
}

}  // namespace qscd::firmware

// ---- runtime hooks ---------------------------------------------------------------------------------------
extern "C" {
// The card core calls std::abort on a caller bug (e.g. VirtualCard::id() of an OpenPGP card).
void abort() {
    qscd::firmware::semihosting::write("firmware: abort\n");
    qscd::firmware::semihosting::exit(false);
}
// A pure virtual call cannot happen in a correct program; libsupc++'s handler would pull in std::terminate.
void __cxa_pure_virtual() { abort(); }
// mbedTLS's heap diagnostics (firmware/mbedtls_config.h): the format string as it is, then its fatal exit.
int qscd_firmware_fprintf(FILE*, const char* format, ...) {
    qscd::firmware::semihosting::write("mbedtls: ");
    qscd::firmware::semihosting::write(format);
    return 0;
}
void qscd_firmware_exit(int) { abort(); }
// Static objects live as long as the firmware: their destructors are never registered.
void* __dso_handle = nullptr;
int __aeabi_atexit(void*, void (*)(void*), void*) { return 0; }
}
