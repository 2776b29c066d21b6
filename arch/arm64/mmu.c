// SPDX-License-Identifier: BSD-3-Clause
// The 64-bit ARM MMU: an identity map of the virt board's first 2 GiB with
// 4 KiB granules, 2 MiB blocks and small pages only where the kernel
// stacks' guard pages are, which stay unmapped; so is the first 2 MiB
// block (flash), so that a NULL dereference faults. RAM is Normal memory:
// with the MMU off every data access is Device memory, where unaligned
// accesses fault and the exclusives under the spinlock are not
// architected.
//
//   TTBR0_EL1 -> l1 (1 GiB each)  [0] -> l2_dev   [0] 0-2 MiB: unmapped
//                                                 [1..] devices (PL011, GIC)
//                                 [1] -> l2_ram   RAM, 2 MiB blocks, up to
//                                                 VIRT_RAM_SIZE; the blocks
//                                                 the kernel stacks span go
//                                                 through l3_stacks (pages)
//                                 [2], [3]: unmapped
#include "arm64.h"

#include "kernel.h"
#include "virt.h"

// Descriptors (ARM ARM D8.3): tables and pages end in 0b11, blocks in
// 0b01; the memory type is an index into MAIR_EL1.
#define PTE_TABLE   0x3ul
#define PTE_BLOCK   0x1ul
#define PTE_PAGE    0x3ul
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_ISH	    (3ul << 8)	// inner shareable
#define PTE_AF	    (1ul << 10) // accessed: no access flag faults
#define PTE_PXN	    (1ul << 53) // never executed at EL1
#define PTE_UXN	    (1ul << 54) // never executed at EL0
#define PTE_NORMAL  (PTE_ATTR(ATTR_NORMAL) | PTE_ISH | PTE_AF)
#define PTE_DEVICE  (PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)

// MAIR_EL1's two memory types.
#define ATTR_DEVICE 0 // Device-nGnRnE
#define ATTR_NORMAL 1 // Normal, write-back read/write-allocate, inner and outer
#define MAIR_VALUE  (0x00ul << (8 * ATTR_DEVICE) | 0xfful << (8 * ATTR_NORMAL))

// TCR_EL1: a 4 GiB space (T0SZ 32, so the walk starts at level 1),
// walks cached and inner shareable, 4 KiB granule, no TTBR1 walks
// (EPD1), 32-bit physical addresses.
#define TCR_T0SZ(n)  ((uint64_t)(n) << 0)
#define TCR_IRGN0_WB (1ul << 8)
#define TCR_ORGN0_WB (1ul << 10)
#define TCR_SH0_ISH  (3ul << 12)
#define TCR_EPD1     (1ul << 23)
#define TCR_VALUE    (TCR_T0SZ(32) | TCR_IRGN0_WB | TCR_ORGN0_WB | TCR_SH0_ISH | TCR_EPD1)

// SCTLR_EL1: the RES1 bits of ARMv8.0, then the MMU, the caches and the
// stack alignment check (sp must stay 16-byte aligned); alignment checks
// of other accesses stay off.
#define SCTLR_RES1 0x30d00800ul
#define SCTLR_M	   (1ul << 0)
#define SCTLR_C	   (1ul << 2)
#define SCTLR_SA   (1ul << 3)
#define SCTLR_I	   (1ul << 12)

#define GIB	   (1ul << 30)
#define BLOCK	   (2ul << 20) // what a level-2 entry maps
#define ENTRIES	   512
#define L3_STACKS  2 // page tables for the blocks the kernel stacks span (< 2 MiB)
#define ALL_STACKS ((uintptr_t)ARM64_NCPU * ARM64_STACK_SLOT) // bytes of all kernel stack slots

static uint64_t mmu_l1[ENTRIES] __attribute__((aligned(4096)));
static uint64_t mmu_l2_dev[ENTRIES] __attribute__((aligned(4096)));
static uint64_t mmu_l2_ram[ENTRIES] __attribute__((aligned(4096)));
static uint64_t mmu_l3[L3_STACKS][ENTRIES] __attribute__((aligned(4096)));

_Static_assert(ALL_STACKS < BLOCK, "the kernel stacks span at most L3_STACKS blocks");
_Static_assert(VIRT_RAM_BASE == GIB && VIRT_RAM_SIZE <= GIB, "RAM is l1's second GiB");

// mmu_map fills the tables: devices from 2 MiB up to RAM, RAM as Normal
// memory; the rest (the first 2 MiB, past RAM) faults, since .bss is zero.
static void mmu_map(void)
{
	uintptr_t a;

	mmu_l1[0] = (uintptr_t)mmu_l2_dev | PTE_TABLE;
	mmu_l1[1] = (uintptr_t)mmu_l2_ram | PTE_TABLE;
	for (a = BLOCK; a < VIRT_RAM_BASE; a += BLOCK)
		mmu_l2_dev[a / BLOCK] = a | PTE_DEVICE | PTE_BLOCK;
	for (a = VIRT_RAM_BASE; a < VIRT_RAM_BASE + VIRT_RAM_SIZE; a += BLOCK)
		mmu_l2_ram[(a - GIB) / BLOCK] = a | PTE_NORMAL | PTE_BLOCK;
}

// mmu_split maps the RAM block at a with pages through table l3, as before.
static void mmu_split(uintptr_t a, uint64_t *l3)
{
	int i;

	for (i = 0; i < ENTRIES; i++)
		l3[i] = (a + (uintptr_t)i * PAGE_SIZE) | PTE_NORMAL | PTE_PAGE;
	mmu_l2_ram[(a - GIB) / BLOCK] = (uintptr_t)l3 | PTE_TABLE;
}

// mmu_guard_stacks unmaps the guard page at the bottom of every CPU's
// kernel stack slot (boot/arm64/start.S), splitting the blocks they lie in.
static void mmu_guard_stacks(void)
{
	uintptr_t lo = (uintptr_t)arm64_stack_kern, first = lo / BLOCK, b, a;
	int cpu;

	for (b = first; b <= (lo + ALL_STACKS - 1) / BLOCK; b++)
		mmu_split(b * BLOCK, mmu_l3[b - first]);
	for (cpu = 0; cpu < ARM64_NCPU; cpu++) {
		a = lo + (uintptr_t)cpu * ARM64_STACK_SLOT;
		mmu_l3[a / BLOCK - first][(a % BLOCK) / PAGE_SIZE] = 0;
	}
}

// arch_stack_guard: see arch.h.
int arch_stack_guard(uintptr_t addr)
{
	return stack_guard_slot(addr, (uintptr_t)arm64_stack_kern, ARM64_STACK_SLOT,
				ARM64_GUARD_SIZE, ARM64_NCPU);
}

// arm64_mmu_init builds the tables and turns on the MMU and the caches. It
// runs before anything but _start, with .bss already zero: every entry it
// does not set is a fault. The tables are written with the MMU and caches
// off, so they are in memory for every CPU's first walks (QEMU models no
// caches; on hardware the lines would be invalidated first).
void arm64_mmu_init(void)
{
	mmu_map();
	mmu_guard_stacks();
	arm64_mmu_enable();
}

// arm64_mmu_enable turns on the MMU and the caches on this CPU with the
// tables arm64_mmu_init built: every CPU's are the same. The TLBs are
// flushed first, and the isb after SCTLR_EL1 makes the next instruction
// run translated (the identity map keeps its address the same).
void arm64_mmu_enable(void)
{
	ARM64_MSR(mair_el1, MAIR_VALUE);
	ARM64_MSR(tcr_el1, TCR_VALUE);
	ARM64_MSR(ttbr0_el1, (uintptr_t)mmu_l1);
	__asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
	ARM64_MSR(sctlr_el1, SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I);
	__asm__ volatile("isb" ::: "memory");
}
