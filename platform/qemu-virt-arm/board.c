// The virt board's way to end a run: a semihosting call that carries the
// status, and QEMU exits with it. The trap is the CPU port's arm_semihost.
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
