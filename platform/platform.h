// SPDX-License-Identifier: BSD-3-Clause
// What portable kernel code needs from the board around the CPU: the
// console, the way a run ends, and the timer that ticks. Each platform
// implements all of it: platform/pc (the PC that qemu-system-i386 and
// -x86_64 emulate), platform/qemu-virt-arm (QEMU's virt board for ARM) and
// platform/qemu-virt-riscv (its virt board for RISC-V). The CPU's own
// services are arch/arch.h; the board's devices that only the CPU port
// uses (ACPI, the PIT, PSCI, the CLINT) are declared in the platform's own
// header.
#ifndef HEAPLAB_PLATFORM_H
#define HEAPLAB_PLATFORM_H

#include <stddef.h>

// Console: write bytes to the serial port (COM1 / PL011 / NS16550A),
// polled, as they are (no \r added).
void platform_console_write(const char *s, size_t n);

// End the run with status (0 = success): through isa-debug-exit on the PC,
// semihosting SYS_EXIT_EXTENDED on ARM's virt, the test device on RISC-V's.
// Never returns.
void platform_exit(int status) __attribute__((noreturn));

// The tick: start this CPU's periodic timer interrupt, hz a second (every
// CPU calls it once, the boot CPU first, with interrupts off, and they
// stay off). pc: the CPU's local APIC timer, its rate measured against the
// PIT; ARM's virt: the generic timer's virtual timer, PPI 27 of the GIC;
// RISC-V's virt: the CLINT's mtimecmp, the hart's machine timer interrupt.
// At every tick the CPU port's trap code calls tick_interrupt (arch/arch.h).
void platform_timer_start(unsigned hz);

#endif
