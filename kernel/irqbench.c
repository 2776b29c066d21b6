// SPDX-License-Identifier: BSD-3-Clause
// The interrupts-off bench (kernel irqbench; make bench-irqoff): for runs
// of 4 KiB to the most the heap holds, the longest stretch each allocator
// operation keeps interrupts off, as the allocator's lock records it
// (mem_lock.irqoff_max, in arch_ticks), with the full check after every
// operation on (the default) and off. Under QEMU's -icount shift=0 a tick
// of the x86 time-stamp counter is one guest instruction; the calibration
// line measures that ratio on a loop of known length, so bench/irqoff.py
// converts nothing it has not seen.
#include "kmem.h"

// calibrate answers the ticks a loop of 2 * n instructions takes (x86: dec
// and jnz), 0 where the loop is not written.
static uint64_t calibrate(unsigned long n)
{
	uint64_t t0 = arch_ticks();

#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
#else
	(void)n;
	return 0;
#endif
	return arch_ticks() - t0;
}

// stretch runs one operation and answers the longest interrupts-off
// stretch the allocator's lock saw during it. Only this CPU runs.
static uint64_t stretch_alloc(uintptr_t n, void **p)
{
	mem_lock.irqoff_max = 0;
	*p = heaplab_alloc(&mempool, n);
	return mem_lock.irqoff_max;
}

static uint64_t stretch_free(void *p, uintptr_t n)
{
	mem_lock.irqoff_max = 0;
	if (heaplab_free(&mempool, p, n) != HEAPLAB_OK)
		panic("irqbench: free of %p refused", p);
	return mem_lock.irqoff_max;
}

// irq_bench prints one line per size and check setting: the stretch of
// the alloc that grew the heap, of its free, of an alloc that reuses the
// freed block, and of that one's free. Answers the exit status.
int irq_bench(void)
{
	uintptr_t room = (uintptr_t)_heap_end - kbrk_now(), n;
	uint64_t g, f1, r, f2;
	int check;
	void *p;

	kprintf("# irqoff calibrate: %lu instructions %lu ticks\n", 2000000ul,
		(unsigned long)calibrate(1000000));
	for (check = 1; check >= 0; check--) {
		kmem_set_checking(&mempool, check);
		for (n = 4096; n <= room; n <<= 2) {
			g = stretch_alloc(n, &p);
			if (p == NULL)
				break;
			f1 = stretch_free(p, n);
			r = stretch_alloc(n, &p);
			f2 = stretch_free(p, n);
			kprintf(
			    "# irqoff check=%d size=%lu grow=%lu free=%lu alloc=%lu free2=%lu\n",
			    check, (unsigned long)n, (unsigned long)g, (unsigned long)f1,
			    (unsigned long)r, (unsigned long)f2);
		}
	}
	return 0;
}
