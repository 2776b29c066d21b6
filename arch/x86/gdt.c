// SPDX-License-Identifier: BSD-3-Clause
// The flat GDT every x86 CPU loads (boot/x86): a null descriptor, the
// kernel code segment (32-bit on i386, 64-bit on amd64), the kernel data
// segment, on i386 a per-CPU data segment for each CPU's %gs, which
// 32/percpu.c fills, then each CPU's task state (tss.c: the double fault's
// stack). We stay in ring 0, so there is no user segment.
#include "x86.h"

#include "kernel.h"

static uint64_t gdt[GDT_SLOTS] __attribute__((aligned(16))) = {
    0,
    GDT_KCODE,		   // SEG_KCODE
    0x00cf92000000ffffull, // SEG_KDATA: data, base 0, limit 4 GiB
};

// lgdt reads 6 bytes of it in 32-bit mode, 10 in 64-bit mode; the GDT lies
// below 4 GiB, so the amd64 entries load it once, before long mode.
const struct x86_desc_ptr gdt_desc = {sizeof gdt - 1, (uintptr_t)gdt};

// gdt_set writes the descriptor for selector sel (a per-CPU slot).
void gdt_set(int sel, uint64_t desc)
{
	if (sel < SEG_KCPU(0) || sel >= 8 * GDT_SLOTS)
		panic("gdt_set: selector %#x is not a per-CPU slot", sel);
	gdt[sel / 8] = desc;
}
