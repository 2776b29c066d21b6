// SPDX-License-Identifier: BSD-3-Clause
// x86's part of struct cpu (kernel/kernel.h, the field arch): what each
// CPU keeps for itself. %gs points at the CPU's own struct cpu (percpu.c),
// whose first field is its id, so arch_cpu_id is one load.
#ifndef HEAPLAB_X86_ARCH_CPU_H
#define HEAPLAB_X86_ARCH_CPU_H

#include <stdint.h>

#include "width.h"

struct arch_cpu {
	uint32_t apicid;	  // its local APIC's id (the MADT's)
	struct tss tss[X86_NTSS]; // its task state (tss.c)
	struct gatedesc idt[256]; // its own IDT: vector 8 leads to its own
				  // double-fault stack (trap.c)
	uintptr_t overflow_pc;	  // where a stack overflow was taken (trap.c)
	const char *overflow_how; // and the access: read, write or fetch
};

#endif
