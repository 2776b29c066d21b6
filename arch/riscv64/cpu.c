// SPDX-License-Identifier: BSD-3-Clause
// riscv64 CPU primitives for portable code: the system call stub, the
// 64-bit atomic add, the interrupt mask (mstatus.MIE: every interrupt the
// hart has enabled in mie), which hart this is, the tick counter and the
// idle loop. The spinlock's halves are in spin.S.
#include "riscv.h"
#include "virt.h"

#include "kernel.h"

// arch_syscall1 traps with `ecall`: num in a7, arg in a0, the answer in a0
// (trap.c). The trap entry saves and restores every register.
uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg)
{
	register uintptr_t a0 __asm__("a0") = arg;
	register uintptr_t a7 __asm__("a7") = num;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
	return a0;
}

// The A extension's amoadd.d, between full barriers (GCC inlines it).
void arch_atomic_add64(uint64_t *p, int64_t delta)
{
	__atomic_fetch_add(p, (uint64_t)delta, __ATOMIC_SEQ_CST);
}

uintptr_t arch_irq_save(void)
{
	return CSR_CLEAR(mstatus, MSTATUS_MIE) & MSTATUS_MIE;
}

void arch_irq_restore(uintptr_t state)
{
	if (state & MSTATUS_MIE)
		CSR_SET(mstatus, MSTATUS_MIE);
}

void arch_irq_enable(void)
{
	CSR_SET(mstatus, MSTATUS_MIE);
}

int arch_irq_enabled(void)
{
	return (CSR_READ(mstatus) & MSTATUS_MIE) != 0;
}

// arch_cpu_id reads mhartid: QEMU virt numbers its harts densely from 0,
// the boot hart, and start.S picks each hart's stacks by the same number.
int arch_cpu_id(void)
{
	return (int)CSR_READ(mhartid);
}

// arch_ticks reads the time CSR, which QEMU backs by the CLINT's mtime,
// counting at the device tree's timebase-frequency (10 MHz on virt).
uint64_t arch_ticks(void)
{
	return CSR_READ(time);
}

uint64_t arch_ticks_hz(void)
{
	return virt_timebase_hz;
}

// arch_halt masks interrupts and sleeps for good: with no interrupt
// enabled in mie nothing wakes wfi, but it may return anyway, so it loops.
void arch_halt(void)
{
	CSR_WRITE(mie, 0);
	CSR_CLEAR(mstatus, MSTATUS_MIE);
	for (;;)
		__asm__ volatile("wfi");
}
