// SPDX-License-Identifier: BSD-3-Clause
// The first C code on 64-bit ARM: arm64_start, called by _start
// (boot/arm64/start.S) with the stacks set, .bss cleared, the vectors and
// the MMU on. It sets up the board's console, takes the command line and
// the trace run-qemu.sh handed over in RAM, and calls kmain.
#include "arm64.h"

#include "kernel.h"
#include "virt.h"

void arm64_start(void)
{
	const char *cmdline, *trace;
	size_t len;

	pl011_init();
	trace = virt_boot_info(&cmdline, &len);
	kmain(cmdline, trace, len);
}
