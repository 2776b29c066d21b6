// SPDX-License-Identifier: BSD-3-Clause
// Naming a memory fault in the panic: a NULL dereference (page 0 is never
// mapped) or a stack overflow (into a CPU's guard page), for the arch's
// trap code, which knows the address and the kind of access.
#include "kernel.h"

void fault_panic_named(uintptr_t addr, const char *how, uintptr_t pc)
{
	int owner = arch_stack_guard(addr);

	if (addr < PAGE_SIZE)
		panic("NULL dereference: %s of address %#lx at pc %#lx", how, (unsigned long)addr,
		      (unsigned long)pc);
	if (owner >= 0)
		panic("stack overflow on CPU %d: %s of address %#lx, in the guard page below its "
		      "stack, at pc %#lx",
		      owner, how, (unsigned long)addr, (unsigned long)pc);
}

// stack_guard_slot: see kernel.h.
int stack_guard_slot(uintptr_t addr, uintptr_t base, uintptr_t slot, uintptr_t guard, int n)
{
	uintptr_t off = addr - base;

	if (addr < base || off >= slot * (uintptr_t)n)
		return -1;
	return off % slot < guard ? (int)(off / slot) : -1;
}
