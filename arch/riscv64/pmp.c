// SPDX-License-Identifier: BSD-3-Clause
// riscv64 guarded memory: physical memory protection (PMP) entries that
// deny every access to page 0, so that a NULL dereference faults, and to
// the guard page below every hart's kernel stack, so that an overflow
// faults (on the trap stack, trapasm.S) instead of running into the stack
// below. Machine mode is only held to entries that are locked, so these
// are: each stays until reset, on the hart that wrote it.
//
//   entry 0      [0, 0x1000)                   page 0
//   entry 1 + h  the first page of hart h's    RISCV_NCPU guard pages
//                slot in riscv_stacks          (boot/riscv64/start.S)
//
// Everything else matches no entry, which machine mode may access.
#include "riscv.h"

#include "kernel.h"

// A configuration byte: a naturally aligned power-of-two range (NAPOT),
// locked so that it binds machine mode too, with R, W and X clear.
#define PMP_NAPOT (3u << 3)
#define PMP_LOCK  (1u << 7)
#define PMP_DENY  (PMP_LOCK | PMP_NAPOT)

_Static_assert(RISCV_NCPU == 8, "pmp entries 1-8 guard the stacks, pmpcfg0 holds 0-7");
_Static_assert(RISCV_GUARD_SIZE == PAGE_SIZE, "the guards are pages");

// pmp_napot encodes [base, base + size) for pmpaddr: size a power of two
// of at least 8 bytes, base a multiple of it.
static uint64_t pmp_napot(uintptr_t base, uintptr_t size)
{
	return (base | (size / 2 - 1)) >> 2;
}

// pmp_guard answers hart h's guard page's pmpaddr value.
static uint64_t pmp_guard(int h)
{
	return pmp_napot((uintptr_t)riscv_stacks + (uintptr_t)h * RISCV_STACK_SLOT, PAGE_SIZE);
}

// riscv_pmp_init writes this hart's entries, the addresses first, then the
// configurations that lock them (start.S calls it on every hart, before
// .bss is cleared: it reads and writes no variable).
void riscv_pmp_init(void)
{
	CSR_WRITE(pmpaddr0, pmp_napot(0, PAGE_SIZE));
	CSR_WRITE(pmpaddr1, pmp_guard(0));
	CSR_WRITE(pmpaddr2, pmp_guard(1));
	CSR_WRITE(pmpaddr3, pmp_guard(2));
	CSR_WRITE(pmpaddr4, pmp_guard(3));
	CSR_WRITE(pmpaddr5, pmp_guard(4));
	CSR_WRITE(pmpaddr6, pmp_guard(5));
	CSR_WRITE(pmpaddr7, pmp_guard(6));
	CSR_WRITE(pmpaddr8, pmp_guard(7));
	CSR_WRITE(pmpcfg0, 0x0101010101010101ull * PMP_DENY); // entries 0-7, a byte each
	CSR_WRITE(pmpcfg2, PMP_DENY);			      // entry 8; 9-15 stay off
}

// arch_stack_guard: see arch/arch.h.
int arch_stack_guard(uintptr_t addr)
{
	return stack_guard_slot(addr, (uintptr_t)riscv_stacks, RISCV_STACK_SLOT, RISCV_GUARD_SIZE,
				RISCV_NCPU);
}
