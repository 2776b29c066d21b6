// SPDX-License-Identifier: BSD-3-Clause
// 64-bit ARM CPU primitives for portable code: the 64-bit atomic add, the
// interrupt mask (DAIF.I: IRQs; FIQs, SErrors and debug stay masked), the
// tick counter and the idle loop. The system call's trap is in vectors.S
// (arch_syscall1), the spinlock's halves in spin.S.
#include "arm64.h"

#include "kernel.h"

// GCC inlines this as an exclusive loop (ldaxr/stlxr: -mno-outline-atomics,
// mk/arch-arm64.mk), with no call into libgcc.
void arch_atomic_add64(uint64_t *p, int64_t delta)
{
	__atomic_fetch_add(p, (uint64_t)delta, __ATOMIC_SEQ_CST);
}

// arch_irq_save masks IRQs and answers whether they were masked.
uintptr_t arch_irq_save(void)
{
	uint64_t daif = ARM64_MRS(daif);

	__asm__ volatile("msr daifset, #2" ::: "memory");
	return daif & ARM64_PSR_I;
}

void arch_irq_restore(uintptr_t state)
{
	if (!(state & ARM64_PSR_I))
		__asm__ volatile("msr daifclr, #2" ::: "memory");
}

void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

int arch_irq_enabled(void)
{
	return !(ARM64_MRS(daif) & ARM64_PSR_I);
}

// arch_ticks reads the generic timer's virtual count, CNTVCT_EL0, which
// EL1 may always read; it runs at CNTFRQ_EL0 Hz (62.5 MHz under QEMU). The
// isb keeps the read from being done early, out of program order.
uint64_t arch_ticks(void)
{
	uint64_t t;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t)::"memory");
	return t;
}

uint64_t arch_ticks_hz(void)
{
	return ARM64_MRS(cntfrq_el0);
}

// arch_halt masks every exception and sleeps for good: wfi may still wake
// on a pending interrupt, so it loops.
void arch_halt(void)
{
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	for (;;)
		__asm__ volatile("wfi");
}
