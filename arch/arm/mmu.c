// SPDX-License-Identifier: BSD-3-Clause
// The 32-bit ARM MMU: 1 MiB sections mapping the virt board 1:1 (small
// pages where the stacks' guard pages are, which stay unmapped), so that
// RAM is Normal memory (with the MMU off every data access is
// Strongly-ordered, and unaligned or exclusive accesses to it fault or are
// unreliable on real hardware, whatever QEMU lets pass).
#include "arm.h"
#include "virt.h"

#include "kernel.h"

// Short-descriptor section entries (ARM ARM B3.5.1).
#define SECT	    0x2u
#define SECT_B	    (1u << 2)
#define SECT_C	    (1u << 3)
#define SECT_XN	    (1u << 4)
#define SECT_AP_RW  (3u << 10) // read/write at PL1 and PL0
#define SECT_TEX(x) ((uint32_t)(x) << 12)
#define SECT_S	    (1u << 16)
#define SECT_NORMAL (SECT | SECT_AP_RW | SECT_TEX(1) | SECT_C | SECT_B | SECT_S) // WB-WA
#define SECT_DEVICE (SECT | SECT_AP_RW | SECT_B | SECT_XN)			 // shareable
#define MIB	    (1u << 20)

// Short-descriptor second level: a coarse table of 256 small (4 KiB) pages.
#define L1_COARSE    0x1u
#define SMALL	     0x2u
#define SMALL_NORMAL (SMALL | SECT_B | SECT_C | (3u << 4) | (1u << 6) | (1u << 10)) // as above
#define L2_ENTRIES   256
#define L2_STACKS    2 // tables for the sections the SYS stacks span (< 1 MiB)
#define SYS_STACKS   (ARM_NCPU * ARM_STACK_SLOT) // bytes of all SYS stack slots

// SCTLR bits.
#define SCTLR_M	  (1u << 0)  // MMU on
#define SCTLR_A	  (1u << 1)  // alignment checks: off, unaligned ldr/str allowed
#define SCTLR_C	  (1u << 2)  // data cache
#define SCTLR_Z	  (1u << 11) // branch prediction
#define SCTLR_I	  (1u << 12) // instruction cache
#define SCTLR_V	  (1u << 13) // high vectors: off, VBAR is used
#define SCTLR_TRE (1u << 28) // TEX remap: off
#define SCTLR_AFE (1u << 29) // access flag: off, AP[0] is a permission bit
#define SCTLR_TE  (1u << 30) // exceptions in Thumb: off

#define ACTLR_SMP (1u << 6) // take part in coherency (Cortex-A15)

static uint32_t mmu_l1[4096] __attribute__((aligned(16384)));
static uint32_t mmu_l2[L2_STACKS][L2_ENTRIES] __attribute__((aligned(1024)));

_Static_assert(SYS_STACKS < MIB, "the SYS stacks span at most L2_STACKS sections");

// mmu_map_l1 fills the table: the first MiB (flash) faults so that NULL
// dereferences abort, the rest below RAM is devices, RAM is Normal
// memory, and everything above it faults.
static void mmu_map_l1(void)
{
	uint32_t mb;

	for (mb = 1; mb < VIRT_RAM_BASE / MIB; mb++)
		mmu_l1[mb] = mb * MIB | SECT_DEVICE;
	for (mb = VIRT_RAM_BASE / MIB; mb < (VIRT_RAM_BASE + VIRT_RAM_SIZE) / MIB; mb++)
		mmu_l1[mb] = mb * MIB | SECT_NORMAL;
}

// mmu_split maps section mb with small pages through table l2, as before.
static void mmu_split(uint32_t mb, uint32_t *l2)
{
	uint32_t i;

	for (i = 0; i < L2_ENTRIES; i++)
		l2[i] = (mb * MIB + i * PAGE_SIZE) | SMALL_NORMAL;
	mmu_l1[mb] = (uintptr_t)l2 | L1_COARSE;
}

// mmu_guard_stacks unmaps the guard page at the bottom of every CPU's SYS
// stack slot (boot/arm/start.S), splitting the sections they lie in.
static void mmu_guard_stacks(void)
{
	uintptr_t lo = (uintptr_t)arm_stack_sys, a;
	uint32_t first = lo / MIB, mb;
	int cpu;

	for (mb = first; mb <= (lo + SYS_STACKS - 1) / MIB; mb++)
		mmu_split(mb, mmu_l2[mb - first]);
	for (cpu = 0; cpu < ARM_NCPU; cpu++) {
		a = lo + (uintptr_t)cpu * ARM_STACK_SLOT;
		mmu_l2[a / MIB - first][(a % MIB) / PAGE_SIZE] = 0;
	}
}

// arch_stack_guard: see arch/arch.h.
int arch_stack_guard(uintptr_t addr)
{
	return stack_guard_slot(addr, (uintptr_t)arm_stack_sys, ARM_STACK_SLOT, ARM_GUARD_SIZE,
				ARM_NCPU);
}

// arm_mmu_init maps the machine and turns on the MMU and the caches. It
// runs before anything but _start, with .bss already zero: all the table
// entries it does not set are faults. The table is written with the MMU
// and caches off, so it is in memory for every CPU's uncached table walks.
void arm_mmu_init(void)
{
	mmu_map_l1();
	mmu_guard_stacks();
	arm_mmu_enable();
}

// arm_mmu_enable turns on the MMU and the caches on this CPU with the table
// arm_mmu_init built: the boot CPU's and every other CPU's (arm_secondary)
// page tables are the same. ACTLR.SMP goes on before the caches, so that
// this CPU's data cache takes part in coherency. On Cortex-A15 the caches
// and TLBs come out of reset invalid, so only the TLBs and I-cache are
// flushed.
void arm_mmu_enable(void)
{
	uint32_t sctlr;

	ARM_CP15_WRITE(c1, c0, 1, ARM_CP15_READ(c1, c0, 1) | ACTLR_SMP);
	ARM_CP15_WRITE(c2, c0, 2, 0);		      // TTBCR: short descriptors, TTBR0 only
	ARM_CP15_WRITE(c2, c0, 0, (uintptr_t)mmu_l1); // TTBR0: walks uncached
	ARM_CP15_WRITE(c3, c0, 0, 1);		      // DACR: domain 0 is client
	ARM_CP15_WRITE(c8, c7, 0, 0);		      // TLBIALL
	ARM_CP15_WRITE(c7, c5, 0, 0);		      // ICIALLU
	ARM_CP15_WRITE(c7, c5, 6, 0);		      // BPIALL
	__asm__ volatile("dsb\n\tisb" ::: "memory");
	sctlr = ARM_CP15_READ(c1, c0, 0);
	sctlr &= ~(SCTLR_A | SCTLR_V | SCTLR_TRE | SCTLR_AFE | SCTLR_TE);
	sctlr |= SCTLR_M | SCTLR_C | SCTLR_Z | SCTLR_I;
	ARM_CP15_WRITE(c1, c0, 0, sctlr);
	__asm__ volatile("isb" ::: "memory");
}
