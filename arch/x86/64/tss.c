// SPDX-License-Identifier: BSD-3-Clause
// amd64 task state: each CPU's TSS holds nothing but IST1, the stack the
// double fault runs on (its IDT gate names IST 1), so that a kernel stack
// overflow into the guard page is reported instead of triple-faulting.
#include "x86.h"

#include "kernel.h"

char x86_df_stacks[NCPU][DF_STACK_SIZE] __attribute__((aligned(16)));

// x86_tss_init fills CPU id's TSS, writes its 16-byte descriptor (a present
// available 64-bit TSS) into the GDT and loads it into the task register.
void x86_tss_init(int id)
{
	struct tss *t = &cpus[id].arch.tss[0];
	uintptr_t base = (uintptr_t)t;
	uint64_t limit = sizeof *t - 1;

	t->ist[0] = (uintptr_t)x86_df_stacks[id] + DF_STACK_SIZE;
	t->iomap = sizeof *t;
	gdt_set(SEG_TSS(id), (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | 0x89ull << 40 |
				 ((limit >> 16) & 0xf) << 48 |
				 (uint64_t)((base >> 24) & 0xff) << 56);
	gdt_set(SEG_TSS(id) + 8, base >> 32);
	__asm__ volatile("ltr %w0" : : "r"(SEG_TSS(id)) : "memory");
}

// x86_df_gate makes g, the double fault's IDT entry, switch to IST1.
void x86_df_gate(struct gatedesc *g, int id)
{
	(void)id; // each CPU's own TSS holds its own IST1
	g->ist = 1;
}
