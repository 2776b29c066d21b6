// SPDX-License-Identifier: BSD-3-Clause
// riscv64's part of struct cpu (kernel/kernel.h, the field arch). The
// hart's id is mhartid (cpu.c); its stacks are picked by it (boot/riscv64/
// start.S).
#ifndef HEAPLAB_RISCV_ARCH_CPU_H
#define HEAPLAB_RISCV_ARCH_CPU_H

struct arch_cpu {
	int trap_depth; // faults being reported: a second one stops at once (trap.c)
};

#endif
