// SPDX-License-Identifier: BSD-3-Clause
// The kernel's platform for mem/: sbrk through the break's owner
// (kernel/brk.c, a brk trap), the pool's spinlock, the arch's atomic add,
// and panic.
#include "kmem.h"

struct spinlock mem_lock = SPINLOCK_INIT("mem");

// NOLOCK=1 (make NOLOCK=1) compiles the allocator's lock out, so that a
// student can watch the SMP stress catch the race. Never the default.
#ifndef NOLOCK
#define NOLOCK 0
#endif

// irqunsafe (the kernel option; ./run-qemu.sh --irq-unsafe) has the
// allocator hold its locks with interrupts as they were before it took
// them, on in the normal case: so a timer tick can come while this CPU
// holds mem_lock, and its handler takes mem_lock too (kernel/tick.c). A
// demonstration of what push_off prevents, never the default.
int kmem_irq_unsafe;

// kmem_lock_irq_on takes lk, then gives back the interrupt state that
// push_off took away (irqunsafe).
static void kmem_lock_irq_on(struct spinlock *lk)
{
	struct cpu *c;

	spin_lock(lk);
	c = mycpu();
	if (c->noff == 1)
		arch_irq_restore(c->intena);
}

// kmem_lock ends in a tail call of spin_lock, so that the holder's pc on
// record is in the allocator, not here.
static void kmem_lock(struct heaplab_pool *pool)
{
	if (NOLOCK)
		return;
	if (kmem_irq_unsafe)
		kmem_lock_irq_on(pool->lockarg);
	else
		spin_lock(pool->lockarg);
}

static void kmem_unlock(struct heaplab_pool *pool)
{
	if (NOLOCK)
		return;
	if (kmem_irq_unsafe)
		(void)arch_irq_save(); // off again, as spin_unlock wants them
	spin_unlock(pool->lockarg);
}

// kmem_irq_unsafe_hold, for irqunsafe's end: holds mem_lock as the
// allocator does (interrupts on again, if this is the outermost hold) for
// up to a second, so that a tick comes inside it; it answers only if none
// did. The run's own holds catch a tick most of the time, but a tick that
// falls due while interrupts are off comes at the first instruction that
// turns them on, which may be outside the lock: one run in about twelve
// went through the stress with no tick inside it.
void kmem_irq_unsafe_hold(void)
{
	uint64_t t0 = arch_ticks(), bound = arch_ticks_hz();

	heaplab_lock(&mempool);
	while (arch_ticks() - t0 < bound)
		arch_spin_wait();
	heaplab_unlock(&mempool);
}

static int kmem_holding(struct heaplab_pool *pool)
{
	return NOLOCK || spin_holding(pool->lockarg);
}

static __attribute__((noreturn)) void kmem_panic(const char *msg)
{
	panic("%s", msg);
}

// kmem_set_checking sets pool's run-time check switch under its lock (the
// rule in include/heaplab.h) and answers the old setting.
int kmem_set_checking(struct heaplab_pool *pool, int on)
{
	int was;

	pool->ops->lock(pool);
	was = pool->checking;
	pool->checking = on;
	pool->ops->unlock(pool);
	return was;
}

const struct heaplab_ops kmem_ops = {
    .sbrk = kbrk_sbrk_raw, // heaplab_alloc zeroes a growth, unlocked
    .lock = kmem_lock,
    .unlock = kmem_unlock,
    .holding = kmem_holding,
    .stat_add = arch_atomic_add64,
    .panic = kmem_panic,
};

// Every pool of the image finds its first fit through the placement index
// (mem/index.c), unless the command line says `list`: then by the seed's
// list walk. Set once, before the first pool.
int kmem_index = 1;

// kmem_pool_init sets up pool over [start, end) with the image's ops and
// lock lk, in the placement mode the command line chose.
void kmem_pool_init(struct heaplab_pool *pool, struct spinlock *lk, uintptr_t start, uintptr_t end,
		    uintptr_t page)
{
	heaplab_init(pool, &kmem_ops, lk, start, end, page);
	heaplab_set_index(pool, kmem_index);
}

// kmem_init sets up the system pool over the whole linker-defined heap. In
// a checked build the pool also keeps the exact-free record
// (heaplab_track), two bits a page taken from the break below the pool's
// first region: the kernel's own callers always free exactly what they
// got, so a sys_free of part of an allocation, of two at once or from
// inside one is refused (HEAPLAB_EMISMATCH) and stops in heaplab_fail.
// The trace mode's pools keep the seed's answers, which accept such frees,
// unless asked (exactfree).
void kmem_init(void)
{
	uintptr_t n, at;

	kmem_pool_init(&mempool, &mem_lock, (uintptr_t)_heap_start, (uintptr_t)_heap_end,
		       PAGE_SIZE);
	if (!HEAPLAB_DEBUG)
		return;
	n = heaplab_track_bytes(&mempool);
	at = kbrk_sbrk(n, sizeof(uintptr_t), (uintptr_t)_heap_start, (uintptr_t)_heap_end);
	if (at == HEAPLAB_BRK_FAIL || heaplab_track(&mempool, (void *)at, n) != HEAPLAB_OK)
		panic("kmem_init: no room for the exact-free record (%lu bytes)", (unsigned long)n);
}

// kmem_free_bytes answers the bytes in pool's free list and its length.
uintptr_t kmem_free_bytes(struct heaplab_pool *pool, int *nblocks)
{
	struct heaplab_hdr *b;
	uintptr_t n = 0;
	int k = 0;

	pool->ops->lock(pool);
	for (b = pool->freelist; b != NULL; b = b->next, k++)
		n += b->size;
	pool->ops->unlock(pool);
	if (nblocks != NULL)
		*nblocks = k;
	return n;
}

// kmem_print_list prints pool's free list and its top (the break as the
// pool left it) as offsets from base.
void kmem_print_list(struct heaplab_pool *pool, uintptr_t base)
{
	struct heaplab_hdr *b;
	char line[400];
	int n = 0;

	pool->ops->lock(pool);
	n += snprintf(line + n, sizeof line - (size_t)n, "    free list:");
	for (b = pool->freelist; b != NULL && n < (int)sizeof line - 40; b = b->next)
		n += snprintf(line + n, sizeof line - (size_t)n, " [0x%lx, 0x%lx)",
			      (unsigned long)((uintptr_t)b - base),
			      (unsigned long)((uintptr_t)b - base + b->size));
	if (pool->freelist == NULL)
		n += snprintf(line + n, sizeof line - (size_t)n, " (empty)");
	n += snprintf(line + n, sizeof line - (size_t)n, "  break 0x%lx\n",
		      (unsigned long)((pool->bloc != 0 ? pool->bloc : pool->start) - base));
	pool->ops->unlock(pool);
	kprintf("%s", line);
}
