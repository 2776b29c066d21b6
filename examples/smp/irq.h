// SPDX-License-Identifier: BSD-3-Clause
// Interrupts off and back on, for the SMP example's lock (heap.c): the
// one part of it that differs per CPU. A kernel has these already (xv6's
// intr_off/intr_get, heaplab's own arch_irq_save in arch/*/cpu.c); this
// header has them for the five targets heaplab builds for, so that the
// example compiles for each. irq_save turns interrupts off on this CPU and
// answers whether they were on; irq_restore(1) turns them back on.
#ifndef SMP_IRQ_H
#define SMP_IRQ_H

static inline int irq_save(void)
{
	unsigned long s;
#if defined(__i386__) || defined(__x86_64__)
	__asm__ volatile("pushf; pop %0; cli" : "=r"(s)::"memory");
	return (s & 0x200) != 0; // EFLAGS.IF
#elif defined(__arm__)
	__asm__ volatile("mrs %0, cpsr; cpsid i" : "=r"(s)::"memory");
	return (s & 0x80) == 0; // CPSR.I set: IRQs masked
#elif defined(__aarch64__)
	__asm__ volatile("mrs %0, daif; msr daifset, #2" : "=r"(s)::"memory");
	return (s & 0x80) == 0; // DAIF.I
#elif defined(__riscv)
	// A supervisor-mode kernel (xv6, Linux): sstatus.SIE. heaplab's own
	// kernel runs in machine mode and clears mstatus.MIE (8) instead.
	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(s)::"memory");
	return (s & 2) != 0;
#else
#error "irq_save: no code for this CPU"
#endif
}

static inline void irq_restore(int on)
{
	if (!on)
		return;
#if defined(__i386__) || defined(__x86_64__)
	__asm__ volatile("sti" ::: "memory");
#elif defined(__arm__)
	__asm__ volatile("cpsie i" ::: "memory");
#elif defined(__aarch64__)
	__asm__ volatile("msr daifclr, #2" ::: "memory");
#elif defined(__riscv)
	__asm__ volatile("csrsi sstatus, 2" ::: "memory");
#endif
}

#endif
