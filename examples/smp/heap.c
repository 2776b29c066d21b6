// SPDX-License-Identifier: BSD-3-Clause
// A multi-CPU kernel's page heap over heaplab: the pool's lock is a
// spinlock taken with interrupts off on this CPU, as heaplab's own kernel
// does (kernel/spinlock.c: push_off/pop_off nest per CPU), so an interrupt
// handler may allocate too. The kernel supplies this_cpu, NCPU and panic;
// irq.h turns interrupts off and on. docs/porting.md explains each hook.
#include "heaplab.h"
#include "irq.h"

#define NCPU 8
int this_cpu(void);			      // 0..NCPU-1; interrupts are off
HEAPLAB_NORETURN void panic(const char *msg); // the kernel's

static struct {
	int noff, was_on; // push_off depth; were interrupts on before the first
} cpu[NCPU];

static struct {
	unsigned locked;
	int holder; // the CPU that holds it, -1 if none
} heap_lock = {0, -1};

struct heaplab_pool kheap;

static void push_off(void)
{
	int on = irq_save();

	if (cpu[this_cpu()].noff++ == 0)
		cpu[this_cpu()].was_on = on;
}

static void pop_off(void)
{
	if (--cpu[this_cpu()].noff == 0)
		irq_restore(cpu[this_cpu()].was_on);
}

static int held(struct heaplab_pool *p)
{
	(void)p;
	return heap_lock.locked && heap_lock.holder == this_cpu();
}

static void lock(struct heaplab_pool *p)
{
	push_off(); // first: an interrupt here would find the lock ours
	if (held(p))
		panic("kheap: recursive acquire");
	while (__atomic_exchange_n(&heap_lock.locked, 1, __ATOMIC_ACQUIRE))
		;
	heap_lock.holder = this_cpu();
}

static void unlock(struct heaplab_pool *p)
{
	if (!held(p))
		panic("kheap: release of a lock not held");
	heap_lock.holder = -1;
	__atomic_store_n(&heap_lock.locked, 0, __ATOMIC_RELEASE);
	pop_off();
}

static const struct heaplab_ops kheap_ops = {NULL, lock, unlock, held, NULL, panic};

// kheap_init gives the pool [base, base + size) (a fixed arena: the
// kernel's free RAM), before the other CPUs start.
void kheap_init(void *base, uintptr_t size)
{
	if (heaplab_init_arena(&kheap, &kheap_ops, &heap_lock, base, size, HEAPLAB_PAGE) !=
	    HEAPLAB_OK)
		panic("kheap: no whole page in the arena");
}
