// SPDX-License-Identifier: BSD-3-Clause
// The first C code on x86: x86_start, called by the boot entry (boot/x86)
// with the multiboot magic and boot info. It sets up this CPU, the console
// and the traps, has the board take the command line and the trace module
// out of the loader's hands (platform/pc/multiboot.c), and calls kmain.
#include "x86.h"

#include "kernel.h"
#include "pc.h"

// x86_start runs on the boot stack with interrupts off.
void x86_start(uint32_t magic, uint32_t info)
{
	const char *cmdline, *trace;
	size_t len;

	x86_cpu_init(0); // before the first spinlock: they ask arch_cpu_id
	serial_init();
	pic_disable();
	x86_tss_init(0);
	trap_init();
	acpi_early();
	x86_mmu_init();
	lapic_init();
	trace = pc_boot_info(magic, info, &cmdline, &len);
	kmain(cmdline, trace, len);
}
