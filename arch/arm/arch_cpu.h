// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM's part of struct cpu (kernel/kernel.h, the field arch). The
// CPU's id is MPIDR's Aff0 (smp.c); its stacks are picked by it
// (boot/arm/start.S).
#ifndef HEAPLAB_ARM_ARCH_CPU_H
#define HEAPLAB_ARM_ARCH_CPU_H

struct arch_cpu {
	int trap_depth; // faults being reported: a second one stops at once (trap.c)
};

#endif
