// SPDX-License-Identifier: BSD-3-Clause
// amd64 paging: boot/x86/entry64.S maps the first 4 GiB in 2 MiB pages
// before long mode (which needs paging); mmu.c splits the kernel's part.
#include "x86.h"

// x86_mmu_map_big: the boot entry has done it.
void x86_mmu_map_big(void)
{
}

// x86_mmu_enable makes this CPU see the tables as they are now: reloading
// CR3 flushes its TLB.
void x86_mmu_enable(void)
{
	uintptr_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
