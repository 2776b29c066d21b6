// SPDX-License-Identifier: BSD-3-Clause
// The first C code on riscv64: riscv_start, called by _start (boot/
// riscv64/start.S) on hart 0 with its stacks, the trap vector and the PMP
// guards set and .bss cleared. It sets up the console, takes the command
// line and the trace from the device tree QEMU handed over
// (virt_boot_info), and calls kmain.
#include "riscv.h"
#include "virt.h"

#include "kernel.h"

void riscv_start(const void *fdt)
{
	const char *cmdline, *trace;
	size_t len;

	virt_uart_init();
	trace = virt_boot_info(fdt, &cmdline, &len);
	kmain(cmdline, trace, len);
}
