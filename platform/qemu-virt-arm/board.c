// SPDX-License-Identifier: BSD-3-Clause
// The virt board's way to end a run: a semihosting call that carries the
// status, and QEMU exits with it. The trap is the CPU port's arm_semihost.
#include <string.h>

#include "arch.h"
#include "virt.h"

// platform_exit: SYS_EXIT's block {reason, status} on AArch64; on AArch32
// SYS_EXIT takes the reason alone, so the status needs SYS_EXIT_EXTENDED
// (an optional call there, which QEMU has).
void platform_exit(int status)
{
	const uintptr_t block[2] = {SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};

	arm_semihost(sizeof(uintptr_t) == 8 ? SEMIHOST_EXIT : SEMIHOST_EXIT_EXTENDED, block);
	for (;;)
		__asm__ volatile("wfi");
}

// virt_semihosting_off: see virt.h. Without semihosting the exit call
// itself traps, so all the run can do is say so and halt.
void virt_semihosting_off(const char *port)
{
	static const char msg[] = ": semihosting is off, so the run cannot end with its status: "
				  "start QEMU with -semihosting-config enable=on,target=native. "
				  "Halted.\n";

	platform_console_write("# ", 2);
	platform_console_write(port, strlen(port));
	platform_console_write(msg, sizeof msg - 1);
	arch_halt();
}
