// i386 task state: the double fault is a task gate. Each CPU has two TSSes:
// its own, loaded in the task register, where the CPU saves the faulting
// state when it switches, and the double fault's task, which starts at
// x86_df_task on a stack of its own with the kernel's segments and page
// directory. So a kernel stack overflow into the guard page, which leaves
// no stack to push an exception frame on, is reported instead of
// triple-faulting. Each CPU's IDT names its own task (trap.c).
#include "x86.h"

#include "kernel.h"

struct tss {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap;
};

static struct tss tss_cpu[NCPU], tss_df[NCPU];
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
	const struct tss *t = &tss_cpu[arch_cpu_id()];

	__asm__ volatile("clts"); // the switch set CR0.TS: printf's x87 code would trap
	x86_double_fault(t->esp, t->eip);
}

// x86_tss_init fills CPU id's two TSSes, writes their descriptors and loads
// its own into the task register.
void x86_tss_init(int id)
{
	struct tss *df = &tss_df[id];

	tss_cpu[id].iomap = tss_df[id].iomap = sizeof(struct tss);
	df->cr3 = (uintptr_t)x86_pd;
	df->eip = (uintptr_t)x86_df_task;
	df->eflags = 0x2; // interrupts off; bit 1 is always set
	df->esp = (uintptr_t)x86_df_stacks[id] + DF_STACK_SIZE;
	df->cs = SEG_KCODE;
	df->ss = df->ds = df->es = df->fs = SEG_KDATA;
	df->gs = SEG_KCPU(id); // arch_cpu_id works in the task
	gdt_set(SEG_TSS(id), tss_desc(&tss_cpu[id]));
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
