// SPDX-License-Identifier: BSD-3-Clause
// The amd64 half of arch/x86: the trap frame trapasm.S builds, the IDT gate
// layout and the GDT's code descriptor.
#ifndef HEAPLAB_X86_WIDTH_H
#define HEAPLAB_X86_WIDTH_H

#include <stdint.h>

// Paging: a page table entry, what one page directory entry maps as a big
// page, the entries of a page table, and x86_pd, the page directory entries
// mapping all of the first 4 GiB (boot/x86/entry64.S).
typedef uint64_t pte_t;
#define PDE_SPAN (2u << 20)
#define NPTE	 512
#define NPDE_ALL 2048
extern pte_t x86_pd[NPDE_ALL];

// 64-bit code (L=1, D=0), present, ring 0.
#define GDT_KCODE 0x00af9a000000ffffull

// What trapasm.S's alltraps leaves on the stack, lowest address first: the
// general registers, the vector stub's vector and error code, then what
// the CPU pushed (in long mode always with rsp and ss).
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rdx, rcx, rbx, rax;
	uint64_t trapno, err;
	uint64_t rip, cs, rflags, rsp, ss;
};

// The system call convention: number in %rax, argument in %rbx, result in
// %rax (arch_syscall1 in trapasm.S).
#define TF_SYSNUM(tf) ((tf)->rax)
#define TF_SYSARG(tf) ((tf)->rbx)
#define TF_PC(tf)     ((tf)->rip)
#define TF_PC_NAME    "rip"
#define TF_SP(tf)     ((tf)->rsp)
#define TF_SP_NAME    "rsp"

// An IDT entry: a 64-bit interrupt gate, no IST.
struct gatedesc {
	uint16_t off_lo, sel;
	uint8_t ist, type; // P | DPL | 0xe
	uint16_t off_mid;
	uint32_t off_hi, reserved;
};

static inline void gate_set(struct gatedesc *g, uintptr_t handler, uint16_t sel, int dpl)
{
	g->off_lo = handler & 0xffff;
	g->sel = sel;
	g->ist = 0;
	g->type = 0x80 | (dpl << 5) | 0xe;
	g->off_mid = (handler >> 16) & 0xffff;
	g->off_hi = handler >> 32;
	g->reserved = 0;
}

// The task state segment (tss.c): only IST1, the double fault's stack, is
// used.
#define X86_NTSS 1 // TSSes per CPU: one, holding IST1
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; // ring 0..2 stacks: unused, heaplab stays in ring 0
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap; // no I/O permission map: past the limit
} __attribute__((packed));

#endif
