// SPDX-License-Identifier: BSD-3-Clause
// The break's one owner in the kernel. Every client moves it here and
// nowhere else: mem/'s pools (kmem_ops.sbrk), newlib's _sbrk, the trace
// mode (its base, and the `sbrk` lines of a trace) and the self-test. Each
// call is a real trap, the brk system call (sys_brk, kernel/syscall.c),
// made under kbrk_lock, so that reading the break and moving it is one
// step for every client, on any CPU.
//
//   _heap_start   pool    newlib   pool (a new region)        _heap_end
//   | region 0    | ////  |  region 1    |   not yet given out  |
//   +-------------+-------+--------------+----------------------+
//                                        ^ the break (heap_break)
//
// Lock order: a pool's lock (or newlib's malloc lock), then kbrk_lock,
// then sys_brk's brk_lock.
#include "kernel.h"

#include "../include/heaplab.h"

#include <string.h>

static struct spinlock kbrk_lock = SPINLOCK_INIT("kbrk");

// brk_trap traps into the kernel's sys_brk through the arch's syscall stub.
static uintptr_t brk_trap(uintptr_t addr)
{
	return arch_syscall1(SYS_BRK, addr);
}

// kbrk_sbrk_raw takes n bytes at the break, rounded up to align (a power
// of two) first, if they lie inside [lo, hi), and answers where they start,
// or HEAPLAB_BRK_FAIL with the break unchanged: heaplab_ops.sbrk for every
// pool (kmem_ops), whose bytes heaplab zeroes once the pool's lock is
// released. The bytes are not zeroed here: under kbrk_lock, with interrupts
// off, that would take as long as the growth is big.
uintptr_t kbrk_sbrk_raw(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	uintptr_t at;

	spin_lock(&kbrk_lock);
	at = heaplab_brk_sbrk(brk_trap, n, align, lo, hi);
	spin_unlock(&kbrk_lock);
	return at;
}

// kbrk_sbrk is kbrk_sbrk_raw for the other clients (newlib's _sbrk, a
// trace's sbrk lines): it zeroes the n bytes it answers, after releasing
// kbrk_lock, as fresh memory from a kernel is.
uintptr_t kbrk_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	uintptr_t at = kbrk_sbrk_raw(n, align, lo, hi);

	if (at != HEAPLAB_BRK_FAIL && n != 0)
		memset((void *)at, 0, n);
	return at;
}

// kbrk_now answers the break.
uintptr_t kbrk_now(void)
{
	return kbrk_sbrk(0, 1, 0, UINTPTR_MAX);
}

// kbrk_give gives back [at, top) if it is the top of the break, moving the
// break down to at: 0, or -1 with nothing changed if the break is not at
// top (someone took memory above it since) or at is outside the heap.
int kbrk_give(uintptr_t at, uintptr_t top)
{
	int err = -1;

	spin_lock(&kbrk_lock);
	if (at <= top && brk_trap(0) == top && brk_trap(at) == at)
		err = 0;
	spin_unlock(&kbrk_lock);
	return err;
}
