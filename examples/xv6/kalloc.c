// SPDX-License-Identifier: BSD-3-Clause
// Physical memory allocator for xv6-riscv, over heaplab: a drop-in for
// kernel/kalloc.c. Whole 4096-byte pages from [end, PHYSTOP), a fixed arena
// heaplab keeps itself (no sbrk), under xv6's own spinlock. Build it with
// heaplab.c and heaplab.h (make dist) beside it in kernel/ and heaplab.o
// added to OBJS; docs/porting.md says why each line is here.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "defs.h"
#include "heaplab.h"

extern char end[]; // first address after kernel, defined by kernel.ld

struct {
	struct spinlock lock;
	struct heaplab_pool pool;
} kmem;

// heaplab's hooks over xv6's spinlock: acquire turns interrupts off, so
// the pool's lock is safe against xv6's interrupt handlers.
static void lock(struct heaplab_pool *p)
{
	acquire(p->lockarg);
}

static void unlock(struct heaplab_pool *p)
{
	release(p->lockarg);
}

static int held(struct heaplab_pool *p)
{
	return holding(p->lockarg);
}

static HEAPLAB_NORETURN void die(const char *msg)
{
	panic((char *)msg);
}

static const struct heaplab_ops kmem_ops = {0, lock, unlock, held, 0, die};

void kinit()
{
	initlock(&kmem.lock, "kmem");
	if (heaplab_init_arena(&kmem.pool, &kmem_ops, &kmem.lock, end, PHYSTOP - (uint64)end,
			       PGSIZE) != HEAPLAB_OK)
		panic("kinit");
	// The full check after every call reads every free byte (up to 128
	// MiB): off here; heaplab_check(&kmem.pool, 0) runs it on demand.
	kmem.pool.checking = 0;
}

// Free the page of physical memory at pa, which kalloc() returned. A page
// kalloc never handed out, a misaligned one or one already free is a
// panic, as xv6's range check is (heaplab refuses each before it changes
// anything). heaplab zeroes the page; a stray write into it later is what
// heaplab_check reports (a free byte not zero): xv6's junk fill of freed
// pages would break that invariant, so zeroing replaces it.
void kfree(void *pa)
{
	if (pa == 0 || heaplab_free(&kmem.pool, pa, PGSIZE) != HEAPLAB_OK)
		panic("kfree");
}

// Allocate one 4096-byte page of physical memory, or answer 0. heaplab
// hands it out zeroed; xv6's junk fill is kept, so that kernel code that
// forgets to initialize a page still fails as it would in xv6.
void *kalloc(void)
{
	void *pa = heaplab_alloc(&kmem.pool, PGSIZE);

	if (pa)
		memset(pa, 5, PGSIZE); // fill with junk
	return pa;
}
