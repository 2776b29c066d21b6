// SPDX-License-Identifier: BSD-3-Clause
// i386 task state: the double fault is a task gate. Each CPU has two TSSes:
// its own, loaded in the task register, where the CPU saves the faulting
// state when it switches, and the double fault's task, which starts at
// x86_df_task on a stack of its own with the kernel's segments and page
// directory. So a kernel stack overflow into the guard page, which leaves
// no stack to push an exception frame on, is reported instead of
// triple-faulting. Each CPU's IDT names its own task (trap.c).
#include "x86.h"

#include "kernel.h"

char x86_df_stacks[NCPU][DF_STACK_SIZE] __attribute__((aligned(16)));

// tss_desc answers a present, available 32-bit TSS descriptor for t.
static uint64_t tss_desc(const struct tss *t)
{
	uintptr_t base = (uintptr_t)t;
	uint32_t limit = sizeof *t - 1;

	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | 0x89ull << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(base >> 24) << 56;
}

// x86_df_task is the double fault's task: the CPU switched here with the
// faulting state saved in this CPU's TSS and the error code (0) pushed.
static void x86_df_task(void) __attribute__((noreturn, used));
static void x86_df_task(void)
{
	const struct tss *t = &mycpu()->arch.tss[0];

	__asm__ volatile("clts"); // the switch set CR0.TS: printf's x87 code would trap
	x86_double_fault(t->esp, t->eip);
}

// x86_tss_init fills CPU id's two TSSes, writes their descriptors and loads
// its own into the task register.
void x86_tss_init(int id)
{
	struct tss *own = &cpus[id].arch.tss[0], *df = &cpus[id].arch.tss[1];

	own->iomap = df->iomap = sizeof(struct tss);
	df->cr3 = (uintptr_t)x86_pd;
	df->eip = (uintptr_t)x86_df_task;
	df->eflags = 0x2; // interrupts off; bit 1 is always set
	df->esp = (uintptr_t)x86_df_stacks[id] + DF_STACK_SIZE;
	df->cs = SEG_KCODE;
	df->ss = df->ds = df->es = df->fs = SEG_KDATA;
	df->gs = SEG_KCPU(id); // arch_cpu_id works in the task
	gdt_set(SEG_TSS(id), tss_desc(own));
	gdt_set(SEG_TSS(id) + 8, tss_desc(df));
	__asm__ volatile("ltr %w0" : : "r"(SEG_TSS(id)) : "memory");
}

// x86_df_gate makes g, the double fault's IDT entry, a task gate to CPU
// id's double-fault task.
void x86_df_gate(struct gatedesc *g, int id)
{
	g->off_lo = g->off_hi = 0;
	g->sel = SEG_TSS(id) + 8;
	g->zero = 0;
	g->type = 0x85; // present, ring 0, task gate
}
