// SPDX-License-Identifier: BSD-3-Clause
// The small x86 primitives of arch/arch.h: interrupt state and the atomic
// 64-bit add.
#include "x86.h"

#include "arch.h"

// arch_irq_save disables interrupts and answers the previous flags.
uintptr_t arch_irq_save(void)
{
	uintptr_t flags;

	__asm__ volatile("pushf; pop %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

// arch_irq_restore puts back the flags arch_irq_save answered.
void arch_irq_restore(uintptr_t flags)
{
	__asm__ volatile("push %0; popf" : : "r"(flags) : "memory", "cc");
}

void arch_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

int arch_irq_enabled(void)
{
	uintptr_t flags;

	__asm__ volatile("pushf; pop %0" : "=r"(flags));
	return (flags & EFLAGS_IF) != 0;
}

// arch_atomic_add64 adds delta to *p atomically (lock add on amd64, a lock
// cmpxchg8b loop on i686).
void arch_atomic_add64(uint64_t *p, int64_t delta)
{
	__atomic_fetch_add(p, (uint64_t)delta, __ATOMIC_SEQ_CST);
}
