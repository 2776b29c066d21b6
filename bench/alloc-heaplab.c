// SPDX-License-Identifier: BSD-3-Clause
// heaplab under test: the real mem/ code over the host platform's
// simulated break; its footprint is how far that break has moved. Built
// three times: BENCH_INDEX=1 finds first fits through the placement index,
// BENCH_INDEX=0 by the seed's list walk; BENCH_TRACK=1 (with the index)
// also keeps the exact-free record (heaplab_track), to show its cost.
#include "bench.h"

#include "../arch/host/host.h"

// The backend's functions are hl_*: heaplab_* are the library's own names.
static uintptr_t heaplab_base;
static unsigned char track_bits[BENCH_ARENA / BENCH_PAGE / 4 + 1]; // two bits a page

static int hl_init(void)
{
	if (host_heap_init(&mempool, BENCH_ARENA, BENCH_PAGE) < 0 ||
	    heaplab_set_index(&mempool, BENCH_INDEX) != BENCH_INDEX)
		return -1;
	if (BENCH_TRACK && heaplab_track(&mempool, track_bits, sizeof track_bits) != HEAPLAB_OK)
		return -1;
	heaplab_base = heap_break;
	return 0;
}

static void *hl_alloc(size_t n)
{
	return heaplab_alloc(&mempool, n);
}

static void hl_free(void *p, size_t n)
{
	if (heaplab_free(&mempool, p, n) != HEAPLAB_OK)
		bench_die("heaplab_free refused a block the trace owns");
}

static size_t hl_footprint(void)
{
	return heap_break - heaplab_base;
}

const struct bench_alloc bench_alloc = {
    .name = BENCH_TRACK ? "heaplab-exact" : BENCH_INDEX ? "heaplab-index" : "heaplab-list",
    .foot_kind = "break",
    .init = hl_init,
    .alloc = hl_alloc,
    .free = hl_free,
    .footprint = hl_footprint,
};
