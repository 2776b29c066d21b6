// heaplab under test: the real mem/ code over the host platform's
// simulated break; its footprint is how far that break has moved. Built
// twice: BENCH_INDEX=1 finds first fits through the placement index,
// BENCH_INDEX=0 by the seed's list walk.
#include "bench.h"

#include "../arch/host/host.h"

static uintptr_t heaplab_base;

static int heaplab_init(void)
{
	if (host_heap_init(&mempool, BENCH_ARENA, BENCH_PAGE) < 0 ||
	    heaplab_set_index(&mempool, BENCH_INDEX) != BENCH_INDEX)
		return -1;
	heaplab_base = heap_break;
	return 0;
}

static void *heaplab_alloc(size_t n)
{
	return heaplab_alloc(&mempool, n);
}

static void heaplab_free(void *p, size_t n)
{
	if (heaplab_free(&mempool, p, n) != HEAPLAB_OK)
		bench_die("heaplab_free refused a block the trace owns");
}

static size_t heaplab_footprint(void)
{
	return heap_break - heaplab_base;
}

const struct bench_alloc bench_alloc = {
    .name = BENCH_INDEX ? "heaplab-index" : "heaplab-list",
    .foot_kind = "break",
    .init = heaplab_init,
    .alloc = heaplab_alloc,
    .free = heaplab_free,
    .footprint = heaplab_footprint,
};
