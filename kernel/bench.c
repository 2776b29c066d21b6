// The in-image benchmark (make bench): one trace through heaplab's
// allocator and then through newlib's malloc, each pass between two calls
// of bench_mark, where a debugger on QEMU under -icount reads the guest's
// instruction count. Nothing is printed while a pass runs.
#include "kmem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "../replay/replay.h"

extern uintptr_t newlib_sbrk_bytes, newlib_sbrk_high;

// bench_mark is where the debugger stops: phases 1 and 2 around heaplab's
// pass, 3 and 4 around newlib's.
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
// like heaplab's) and free; answers the high-water mark of its sbrk.
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

// trace_bench runs the benchmark over a trace; answers the exit status.
int trace_bench(const char *trace, size_t len, uintptr_t heap, uintptr_t page)
{
	struct replay r = {0};
	struct replay_op *ops;
	uintptr_t hp, np;
	char err[160];
	long nalloc, n;
	void **p;

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
	kprintf("# bench heaplab ops=%ld peak=%lu\n", n, (unsigned long)hp);
	kprintf("# bench newlib ops=%ld peak=%lu\n", n, (unsigned long)np);
	return 0;
}
