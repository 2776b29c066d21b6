// SPDX-License-Identifier: BSD-3-Clause
// The first C code on 32-bit ARM: arm_start, called by _start
// (boot/arm/start.S) with the stacks set, .bss cleared, the vectors and
// the MMU on. It sets up the console, takes the command line and the trace
// run-qemu.sh handed over in RAM (virt_boot_info), and calls kmain.
#include "arm.h"
#include "virt.h"

#include "kernel.h"

void arm_start(void)
{
	const char *cmdline, *trace;
	size_t len;

	pl011_init();
	trace = virt_boot_info(&cmdline, &len);
	kmain(cmdline, trace, len);
}
