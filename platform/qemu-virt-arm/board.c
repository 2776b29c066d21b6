// The virt board's way to end a run: semihosting SYS_EXIT_EXTENDED, which
// carries the status (plain SYS_EXIT cannot on AArch32); QEMU exits with
// it. The trap is the CPU port's arm_semihost.
#include "virt.h"

void platform_exit(int status)
{
	const uintptr_t block[2] = {SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};

	arm_semihost(SEMIHOST_EXIT_EXTENDED, block);
	for (;;)
		__asm__ volatile("wfi");
}
