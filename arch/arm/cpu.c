// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM CPU primitives for portable code: the system call stub, the
// 64-bit atomic add, the interrupt mask (CPSR.I: IRQs; FIQs stay masked),
// the tick counter and the idle loop. The spinlock's halves are in spin.S.
#include "arm.h"
#include "arch.h"

// arch_syscall1 traps with `svc 0`: num in r0, arg in r1, the answer in
// r0 (vectors.S, trap_svc). The kernel runs in SYS mode, so the trap
// leaves the caller's lr alone.
uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg)
{
	register uintptr_t r0 __asm__("r0") = num;
	register uintptr_t r1 __asm__("r1") = arg;

	__asm__ volatile("svc %[imm]" : "+r"(r0) : "r"(r1), [imm] "i"(ARM_SVC_SYSCALL) : "memory");
	return r0;
}

// ARMv7-A has ldrexd/strexd, so GCC inlines this as an exclusive loop
// between dmb barriers (no libatomic call); p must be 8-byte aligned.
void arch_atomic_add64(uint64_t *p, int64_t delta)
{
	__atomic_fetch_add(p, (uint64_t)delta, __ATOMIC_SEQ_CST);
}

uintptr_t arch_irq_save(void)
{
	uint32_t cpsr;

	__asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(cpsr)::"memory");
	return cpsr & ARM_PSR_I;
}

void arch_irq_restore(uintptr_t state)
{
	if (!(state & ARM_PSR_I))
		__asm__ volatile("cpsie i" ::: "memory");
}

void arch_irq_enable(void)
{
	__asm__ volatile("cpsie i" ::: "memory");
}

int arch_irq_enabled(void)
{
	uint32_t cpsr;

	__asm__ volatile("mrs %0, cpsr" : "=r"(cpsr));
	return !(cpsr & ARM_PSR_I);
}

// arch_ticks reads the generic timer's virtual count, CNTVCT, which PL1
// may always read; it runs at CNTFRQ Hz (62.5 MHz under QEMU). The isb
// keeps the read from being done early, out of program order.
uint64_t arch_ticks(void)
{
	uint32_t lo, hi;

	__asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

uint64_t arch_ticks_hz(void)
{
	uint32_t f;

	__asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f)); // CNTFRQ
	return f;
}

// arch_halt masks interrupts and sleeps for good: wfi may still wake on a
// pending interrupt, so it loops.
void arch_halt(void)
{
	__asm__ volatile("cpsid aif" ::: "memory");
	for (;;)
		__asm__ volatile("wfi");
}
