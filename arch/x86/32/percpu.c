// SPDX-License-Identifier: BSD-3-Clause
// i386 per-CPU data: each CPU's %gs selects a data segment of its own in
// the GDT (SEG_KCPU(id)) whose base is its struct cpu, so that %gs:0
// is its id (arch_cpu_id). The trap entry saves and restores %gs.
#include "x86.h"

#include "kernel.h"

// percpu_desc answers a present ring-0 read/write data descriptor over
// [base, base + limit], byte granular, 32-bit.
static uint64_t percpu_desc(uintptr_t base, uint32_t limit)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | 0x92ull << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | 0x4ull << 52 | (uint64_t)(base >> 24) << 56;
}

// percpu_load points this CPU's %gs at c.
void percpu_load(struct cpu *c)
{
	uint16_t sel = SEG_KCPU(c->id);

	gdt_set(sel, percpu_desc((uintptr_t)c, sizeof *c - 1));
	__asm__ volatile("movw %0, %%gs" : : "r"(sel) : "memory");
}
