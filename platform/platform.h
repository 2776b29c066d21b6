// What portable kernel code needs from the board around the CPU: the
// console and the way a run ends. Each platform implements all of it:
// platform/pc (the PC that qemu-system-i386 and -x86_64 emulate) and
// platform/qemu-virt-arm (QEMU's virt board for ARM). The CPU's own
// services are arch/arch.h; the board's devices that only the CPU port
// uses (ACPI, the PIT, PSCI) are declared in the platform's own header.
#ifndef HEAPLAB_PLATFORM_H
#define HEAPLAB_PLATFORM_H

#include <stddef.h>

// Console: write bytes to the serial port (COM1 / PL011), polled, as they
// are (no \r added).
void platform_console_write(const char *s, size_t n);

// End the run with status (0 = success): through isa-debug-exit on the PC,
// semihosting SYS_EXIT_EXTENDED on virt. Never returns.
void platform_exit(int status) __attribute__((noreturn));

#endif
