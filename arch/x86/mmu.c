// SPDX-License-Identifier: BSD-3-Clause
// x86 paging, i386 and amd64 alike: one identity map of the first 4 GiB in
// big pages (x86_pd, see <width.h>), except [0, _heap_start), the kernel's
// image, which is mapped with 4 KiB pages so that page 0 (NULL) and the
// guard page below every CPU's stack can stay unmapped. Every CPU runs on
// these tables; the boot CPU builds them once, before it starts the others.
#include "x86.h"

#include "kernel.h"

#define MMU_NPT 8 // page tables for the kernel's image: 16 MiB (amd64), 32 (i386)

static pte_t mmu_pt[MMU_NPT][NPTE] __attribute__((aligned(4096)));

// mmu_split maps the big page of page directory entry i with page table pt,
// page for page as before.
static void mmu_split(int i, pte_t *pt)
{
	uintptr_t base = (uintptr_t)i * PDE_SPAN;
	int j;

	for (j = 0; j < NPTE; j++)
		pt[j] = (pte_t)(base + (uintptr_t)j * PAGE_SIZE) | PTE_P | PTE_W;
	x86_pd[i] = (pte_t)(uintptr_t)pt | PTE_P | PTE_W;
}

// mmu_unmap unmaps the 4 KiB page at addr, which lies in the split part.
static void mmu_unmap(uintptr_t addr)
{
	mmu_pt[addr / PDE_SPAN][(addr % PDE_SPAN) / PAGE_SIZE] = 0;
}

// x86_mmu_init builds the map and turns it on for the boot CPU.
void x86_mmu_init(void)
{
	uintptr_t end = (uintptr_t)_heap_start;
	int i, n = (int)((end + PDE_SPAN - 1) / PDE_SPAN);

	if (n > MMU_NPT)
		panic("x86: the kernel's image ends at %#lx, past the %lu MiB mmu.c maps in 4 KiB "
		      "pages",
		      (unsigned long)end, (unsigned long)(MMU_NPT * (PDE_SPAN >> 20)));
	x86_mmu_map_big();
	for (i = 0; i < n; i++)
		mmu_split(i, mmu_pt[i]);
	mmu_unmap(0);
	for (i = 0; i < NCPU; i++)
		mmu_unmap(x86_guard_page(i));
	x86_mmu_enable();
}

// arch_stack_guard: see arch/arch.h.
int arch_stack_guard(uintptr_t addr)
{
	int i;

	for (i = 0; i < NCPU; i++)
		if (addr - x86_guard_page(i) < GUARD_SIZE)
			return i;
	return -1;
}
