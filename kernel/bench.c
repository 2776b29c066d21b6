// SPDX-License-Identifier: BSD-3-Clause
// The in-image benchmark (make bench): one trace through heaplab's
// allocator and then through newlib's malloc, each pass between two calls
// of bench_mark, where a debugger on QEMU under -icount reads the guest's
// instruction count. Nothing is printed while a pass runs.
#include "kmem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "../replay/replay.h"

#ifndef NEWLIB_MALLOC
#define NEWLIB_MALLOC 0
#endif

extern uintptr_t newlib_sbrk_bytes, newlib_sbrk_high;

// bench_mark is where the debugger stops: phases 1 and 2 around heaplab's
// pass, 3 and 4 around newlib's, 5 and 6 around the malloc/free pairs.
void __attribute__((noinline)) bench_mark(int phase)
{
	__asm__ volatile("" : : "r"(phase) : "memory");
}

// run_heaplab replays ops through the system pool over [break, +heap) and
// answers the bytes it took from the break.
static uintptr_t run_heaplab(const struct replay_op *ops, long n, void **p, uintptr_t heap,
			     uintptr_t page)
{
	long i;

	if (trace_pool(heap, page) == 0)
		return 0;
	kmem_set_checking(&mempool, 0);
	bench_mark(1);
	for (i = 0; i < n; i++) {
		if (ops[i].is_alloc)
			p[i] = heaplab_alloc(&mempool, ops[i].size);
		else if (p[ops[i].ref] != NULL)
			heaplab_free(&mempool, p[ops[i].ref], ops[ops[i].ref].size);
	}
	bench_mark(2);
	return mempool.taken;
}

// run_newlib replays ops through newlib's memalign (page-aligned, zeroed
// like heaplab's) and free; answers the high-water mark of its sbrk. Only
// a NEWLIB_MALLOC=1 image has newlib's: in the others the pass runs the
// objects layer's memalign, and make bench takes the figure from the
// NEWLIB_MALLOC=1 image.
static uintptr_t run_newlib(const struct replay_op *ops, long n, void **p, uintptr_t page)
{
	uintptr_t high0 = newlib_sbrk_high = newlib_sbrk_bytes;
	long i;

	bench_mark(3);
	for (i = 0; i < n; i++) {
		if (ops[i].is_alloc) {
			p[i] = memalign(page, ops[i].size);
			if (p[i] != NULL)
				memset(p[i], 0, ops[i].size);
		} else {
			free(p[ops[i].ref]);
		}
	}
	bench_mark(4);
	return newlib_sbrk_high - high0;
}

// run_pairs makes BENCH_PAIRS malloc/free pairs through the image's malloc
// (the objects layer's; newlib's own with NEWLIB_MALLOC=1) between marks 5
// and 6: a window of BENCH_WINDOW live objects, each step freeing one and
// allocating another of a size from 1 to 1024 bytes, as small-object code
// does.
#define BENCH_PAIRS  4096
#define BENCH_WINDOW 64

static void run_pairs(void)
{
	static void *win[BENCH_WINDOW];
	uint32_t r = 2463534242u;
	unsigned i, k;

	for (k = 0; k < BENCH_WINDOW; k++)
		win[k] = malloc(1 + k * 16);
	bench_mark(5);
	for (i = 0; i < BENCH_PAIRS; i++) {
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		k = r % BENCH_WINDOW;
		free(win[k]);
		win[k] = malloc(1 + (r >> 8) % 1024);
	}
	bench_mark(6);
	for (k = 0; k < BENCH_WINDOW; k++)
		free(win[k]);
}

// trace_bench runs the benchmark over a trace; answers the exit status.
int trace_bench(const char *trace, size_t len, uintptr_t heap, uintptr_t page)
{
	struct replay r = {0};
	struct replay_op *ops;
	uintptr_t hp, np;
	char err[160];
	long nalloc, n;
	void **p;

	kobj_set_checking(0); // no pass counts a check: the objects heap's, as the pool's
	nalloc = replay_scan(trace, len, err, sizeof err);
	if (nalloc < 0) {
		kprintf("# bench: trace: %s\n", err);
		return 2;
	}
	r.nslots = replay_slots(nalloc);
	r.slots = calloc(r.nslots, sizeof *r.slots);
	ops = malloc((size_t)(2 * nalloc + 1) * sizeof *ops);
	p = calloc((size_t)(2 * nalloc + 1), sizeof *p);
	if (r.slots == NULL || ops == NULL || p == NULL) {
		kprintf("# bench: no memory for a trace of %ld allocs\n", nalloc);
		return 2;
	}
	n = replay_compile(&r, trace, len, ops, 2 * nalloc + 1);
	hp = run_heaplab(ops, n, p, heap, page);
	np = run_newlib(ops, n, p, page);
	run_pairs();
	kprintf("# bench heaplab ops=%ld peak=%lu\n", n, (unsigned long)hp);
	kprintf("# bench newlib ops=%ld peak=%lu\n", n, (unsigned long)np);
	kprintf("# bench pairs=%d malloc=%s\n", BENCH_PAIRS, NEWLIB_MALLOC ? "newlib" : "objects");
	return 0;
}
