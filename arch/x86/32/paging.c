// SPDX-License-Identifier: BSD-3-Clause
// i386 paging: 32-bit page tables without PAE, the first 4 GiB in 4 MiB
// pages (CR4.PSE), the last GiB uncached; mmu.c splits the kernel's part.
#include "x86.h"

pte_t x86_pd[NPDE_ALL] __attribute__((aligned(4096)));

// x86_mmu_map_big maps all of x86_pd with big pages.
void x86_mmu_map_big(void)
{
	uint32_t i, a;

	for (i = 0; i < NPDE_ALL; i++) {
		a = i * PDE_SPAN;
		x86_pd[i] =
		    a | PTE_P | PTE_W | PTE_PS | (a >= X86_MMIO_BASE ? PTE_PWT | PTE_PCD : 0);
	}
}

// x86_mmu_enable turns paging on with x86_pd on this CPU (every CPU comes
// here with paging off).
void x86_mmu_enable(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	__asm__ volatile("mov %0, %%cr4" : : "r"(v | CR4_PSE));
	__asm__ volatile("mov %0, %%cr3" : : "r"(x86_pd) : "memory");
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	__asm__ volatile("mov %0, %%cr0" : : "r"(v | CR0_PG | CR0_WP) : "memory");
}
