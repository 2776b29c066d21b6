// SPDX-License-Identifier: BSD-3-Clause
// The benchmark's two experiments: what alloc and free cost as the free
// list grows (heaplab walks it, so cost should rise with its length), and
// what freeing a 1 MiB block costs next to a plain memset of 1 MiB.
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <valgrind/callgrind.h>

#define SCALE_ASK (2 * BENCH_PAGE) // fits none of the one-page holes
#define BIG_ASK	  (1u << 20)

// scale_holes leaves k free one-page blocks, each between two live ones:
// it takes 2k+1 pages and frees every other, the highest first, so that
// setting up walks no list. The live blocks stay allocated.
static void scale_holes(size_t k)
{
	void **blk = calloc(2 * k + 1, sizeof *blk);
	size_t i;

	if (blk == NULL)
		bench_die("out of memory for the block table");
	for (i = 0; i < 2 * k + 1; i++)
		blk[i] = bench_use(bench_alloc.alloc(BENCH_PAGE), BENCH_PAGE);
	for (i = k; i > 0; i--) // blocks 2k-1, 2k-3, ..., 1
		bench_alloc.free(blk[2 * i - 1], BENCH_PAGE);
	free(blk);
}

// scale_round allocates m two-page blocks, then frees them in the order
// they came, timing each batch; it answers the ns per alloc and per free.
static void scale_round(void **got, size_t m, double *alloc_ns, double *free_ns)
{
	uint64_t t0, t1, t2;
	size_t j;

	t0 = bench_now();
	for (j = 0; j < m; j++)
		got[j] = bench_do_alloc(SCALE_ASK);
	t1 = bench_now();
	CALLGRIND_DUMP_STATS_AT("alloc");
	for (j = 0; j < m; j++)
		bench_use(got[j], SCALE_ASK);
	t2 = bench_now();
	for (j = 0; j < m; j++)
		bench_do_free(got[j], SCALE_ASK);
	*free_ns = (double)(bench_now() - t2) / (double)m;
	CALLGRIND_DUMP_STATS_AT("free");
	*alloc_ns = (double)(t1 - t0) / (double)m;
}

// bench_scale prints, per round after a warm-up one, the cost of an alloc
// and of a free with k free blocks in the allocator.
void bench_scale(size_t k, size_t m, int rounds)
{
	void **got = calloc(m + 1, sizeof *got);
	double a, f;
	int r;

	if (got == NULL || k == 0 || m == 0 || bench_alloc.init() < 0)
		bench_die("scale: bad K or M, or no allocator");
	scale_holes(k);
	for (r = 0; r <= rounds; r++) {
		scale_round(got, m, &a, &f);
		if (r > 0)
			printf("scale k=%zu alloc_ns=%.1f free_ns=%.1f\n", k, a, f);
	}
}

// big_round times one alloc and one free of 1 MiB, and one memset of
// 1 MiB into buf.
static void big_round(unsigned char *buf, uint64_t ns[3])
{
	uint64_t t0, t1, t2;
	void *p;

	t0 = bench_now();
	p = bench_do_alloc(BIG_ASK);
	t1 = bench_now();
	CALLGRIND_DUMP_STATS_AT("alloc");
	bench_use(p, BIG_ASK);
	t2 = bench_now();
	bench_do_free(p, BIG_ASK);
	ns[0] = t1 - t0;
	ns[1] = bench_now() - t2;
	CALLGRIND_DUMP_STATS_AT("free");
	t0 = bench_now();
	bench_do_memset(buf, BIG_ASK);
	ns[2] = bench_now() - t0;
	CALLGRIND_DUMP_STATS_AT("memset");
}

// bench_big prints, per round after a warm-up one, what alloc and free of
// 1 MiB cost, and a memset of 1 MiB into memory already touched.
void bench_big(int rounds)
{
	unsigned char *buf = malloc(BIG_ASK);
	uint64_t ns[3];
	int r;

	if (buf == NULL || bench_alloc.init() < 0)
		bench_die("big: no memory or no allocator");
	for (r = 0; r <= rounds; r++) {
		big_round(buf, ns);
		if (r > 0)
			printf("big alloc_ns=%llu free_ns=%llu memset_ns=%llu\n",
			       (unsigned long long)ns[0], (unsigned long long)ns[1],
			       (unsigned long long)ns[2]);
	}
}
