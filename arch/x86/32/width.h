// SPDX-License-Identifier: BSD-3-Clause
// The i386 half of arch/x86: the trap frame trapasm.S builds, the IDT gate
// layout and the GDT's code descriptor.
#ifndef HEAPLAB_X86_WIDTH_H
#define HEAPLAB_X86_WIDTH_H

#include <stdint.h>

// Paging: a page table entry, what one page directory entry maps as a big
// page, the entries of a page table, and x86_pd, the page directory entries
// mapping all of the first 4 GiB (32/paging.c).
typedef uint32_t pte_t;
#define PDE_SPAN (4u << 20)
#define NPTE	 1024
#define NPDE_ALL 1024
extern pte_t x86_pd[NPDE_ALL];

// 32-bit code, base 0, limit 4 GiB, present, ring 0.
#define GDT_KCODE 0x00cf9a000000ffffull

// What trapasm.S's alltraps leaves on the stack, lowest address first:
// pushal's registers, the segment registers, then the vector stub's
// vector and error code, then what the CPU pushed (no ring change, so no
// esp/ss).
struct trapframe {
	uint32_t edi, esi, ebp, oesp, ebx, edx, ecx, eax; // pushal
	uint16_t gs, pad1, fs, pad2, es, pad3, ds, pad4;
	uint32_t trapno, err;
	uint32_t eip;
	uint16_t cs, pad5;
	uint32_t eflags;
};

// The system call convention: number in %eax, argument in %ebx, result in
// %eax (arch_syscall1 in trapasm.S).
#define TF_SYSNUM(tf) ((tf)->eax)
#define TF_SYSARG(tf) ((tf)->ebx)
#define TF_PC(tf)     ((tf)->eip)
#define TF_PC_NAME    "eip"
#define TF_SP(tf)     ((uintptr_t)(&(tf)->eflags + 1)) // esp before the trap: no ring change
#define TF_SP_NAME    "esp"

// An IDT entry: a 32-bit interrupt gate.
struct gatedesc {
	uint16_t off_lo, sel;
	uint8_t zero, type; // P | DPL | 0xe
	uint16_t off_hi;
};

static inline void gate_set(struct gatedesc *g, uintptr_t handler, uint16_t sel, int dpl)
{
	g->off_lo = handler & 0xffff;
	g->sel = sel;
	g->zero = 0;
	g->type = 0x80 | (dpl << 5) | 0xe;
	g->off_hi = handler >> 16;
}

// A task state segment (tss.c): i386 keeps two per CPU, its own and the
// double fault's task.
#define X86_NTSS 2 // TSSes per CPU: its own (tss[0]) and the double fault's task (tss[1])
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

#endif
