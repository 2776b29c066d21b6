// SPDX-License-Identifier: BSD-3-Clause
// The brk system call: the kernel side (sys_brk) and the dispatcher the
// arch's trap handler calls. Its one caller is the break's owner,
// kernel/brk.c, which every client of the break goes through.
//
//   _heap_start          heap_break                       _heap_end
//   | taken by newlib's malloc and by mem/ |  not yet given out  |
//   +--------------------------------------+---------------------+
//
// The break is byte-exact, as Linux's mm->brk is, and stays inside
// [_heap_start, _heap_end]. What it grows over is not zeroed here, under
// brk_lock with interrupts off, where the time would grow with the growth:
// the break's owner zeroes what it hands out once its locks are released
// (kbrk_sbrk; a pool's growth, heaplab_alloc once the pool's lock is).
#include "kernel.h"

#include <string.h>

uintptr_t heap_break; // guarded by brk_lock; 0 until the first brk
static struct spinlock brk_lock = SPINLOCK_INIT("brk");

// Fault injection for the self-test (kernel.h): with brk_fault_every N,
// every Nth grow fails, alternately as HEAPLAB_BRK_FAIL and as the old break.
unsigned brk_fault_every;
static unsigned brk_grows; // guarded by brk_lock

// brk_faultl answers what the Nth grow gets instead of addr, or 0.
static uintptr_t brk_faultl(uintptr_t old)
{
	if (brk_fault_every == 0 || ++brk_grows % brk_fault_every != 0)
		return 0;
	return (brk_grows / brk_fault_every) % 2 ? (uintptr_t)-1 : old;
}

// sys_brk moves the break to addr and answers the new break; addr 0 asks
// for the current break. Outside the heap it answers HEAPLAB_BRK_FAIL
// ((uintptr_t)-1) and changes nothing.
uintptr_t sys_brk(uintptr_t addr)
{
	uintptr_t lo = (uintptr_t)_heap_start, hi = (uintptr_t)_heap_end, old, fault;

	spin_lock(&brk_lock);
	if (heap_break == 0)
		heap_break = lo;
	old = heap_break;
	if (addr == 0) {
		spin_unlock(&brk_lock);
		return old;
	}
	if (addr < lo || addr > hi) {
		spin_unlock(&brk_lock);
		return (uintptr_t)-1;
	}
	if (addr > old && (fault = brk_faultl(old)) != 0) {
		spin_unlock(&brk_lock);
		return fault;
	}
	heap_break = addr;
	spin_unlock(&brk_lock);
	return addr;
}

// syscall_dispatch is called by the arch's trap handler for the system
// call vector, with the call's number and argument.
uintptr_t syscall_dispatch(uintptr_t num, uintptr_t arg)
{
	switch (num) {
	case SYS_BRK:
		return sys_brk(arg);
	default:
		panic("syscall: unknown system call %lu", (unsigned long)num);
	}
}
