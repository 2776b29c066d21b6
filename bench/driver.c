// SPDX-License-Identifier: BSD-3-Clause
// The benchmark driver: replays a trace, or runs the free-list scaling and
// 1 MiB experiments, through the one allocator linked in (bench-NAME), and
// prints key=value lines for bench/run.py.
//
// Only bench_do_alloc, bench_do_free and bench_do_memset are measured:
// under callgrind (--toggle-collect=bench_do_*) they are all that counts,
// and each phase ends in a CALLGRIND_DUMP_STATS_AT naming it, so every
// dump file holds one phase. Natively the dumps do nothing.
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#ifdef __clang__
#define BENCH_MEASURED __attribute__((noinline))
#else
#define BENCH_MEASURED __attribute__((noipa)) // no clones: callgrind finds it by name
#endif

BENCH_MEASURED void *bench_do_alloc(size_t n)
{
	return bench_alloc.alloc(n);
}

BENCH_MEASURED void bench_do_free(void *p, size_t n)
{
	bench_alloc.free(p, n);
}

BENCH_MEASURED void bench_do_memset(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ volatile("" : : "r"(p) : "memory");
}

void bench_die(const char *msg)
{
	fprintf(stderr, "bench-%s: %s\n", bench_alloc.name, msg);
	exit(1);
}

uint64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// bench_use plays the program that asked for the block: it checks that the
// block is aligned and zeroed where it looks, then writes into it, so that
// the next owner of these bytes gets them zeroed only if someone zeroes.
unsigned char *bench_use(void *v, size_t n)
{
	unsigned char *p = v;

	if (p == NULL || ((uintptr_t)p & (BENCH_PAGE - 1)) != 0)
		bench_die("alloc answered NULL or a block not page-aligned");
	if (p[0] != 0 || p[n / 2] != 0 || p[n - 1] != 0)
		bench_die("alloc answered a block that is not zeroed");
	p[0] = p[n / 2] = p[n - 1] = 0xa5;
	return p;
}

// bench_step does one trace operation through the measured functions.
static void bench_step(const struct bench_op *op, void **slots)
{
	if (op->is_alloc) {
		slots[op->slot] = bench_use(bench_do_alloc(op->size), op->size);
	} else {
		bench_do_free(slots[op->slot], op->size);
		slots[op->slot] = NULL;
	}
}

// bench_start sets up a fresh allocator and a slot table for trace t.
static void **bench_start(const struct bench_trace *t)
{
	void **slots = calloc(t->nslots + 1, sizeof *slots);

	if (slots == NULL)
		bench_die("out of memory for the slot table");
	if (bench_alloc.init() < 0)
		bench_die("cannot set up the allocator");
	return slots;
}

// bench_replay runs the trace once and prints its time.
static void bench_replay(const struct bench_trace *t)
{
	uint64_t t0, t1;
	void **slots = bench_start(t);
	size_t i;

	t0 = bench_now();
	for (i = 0; i < t->nops; i++)
		bench_step(&t->ops[i], slots);
	t1 = bench_now();
	CALLGRIND_DUMP_STATS_AT("replay");
	printf("replay ops=%zu ns=%llu\n", t->nops, (unsigned long long)(t1 - t0));
}

// bench_foot runs the trace once, sampling the footprint after every
// operation, and prints its peak next to the peak of live (asked) bytes.
static void bench_foot(const struct bench_trace *t)
{
	size_t i, live = 0, peak_live = 0, foot, peak_foot = 0;
	void **slots = bench_start(t);

	for (i = 0; i < t->nops; i++) {
		bench_step(&t->ops[i], slots);
		live = t->ops[i].is_alloc ? live + t->ops[i].size : live - t->ops[i].size;
		peak_live = live > peak_live ? live : peak_live;
		foot = bench_alloc.footprint();
		peak_foot = foot > peak_foot ? foot : peak_foot;
	}
	printf("foot kind=%s peak=%zu live=%zu\n", bench_alloc.foot_kind, peak_foot, peak_live);
}

static const char usage[] =
	"usage: bench-NAME replay TRACE | foot TRACE | scale K M ROUNDS | big ROUNDS\n"
	"  replay  time one replay of TRACE          foot   its peak footprint\n"
	"  scale   alloc/free cost with K free blocks (M ops per round)\n"
	"  big     alloc/free of 1 MiB next to memset of 1 MiB\n";

int main(int argc, char **argv)
{
	struct bench_trace t;

	if (argc == 3 && (strcmp(argv[1], "replay") == 0 || strcmp(argv[1], "foot") == 0)) {
		if (bench_load(argv[2], &t) < 0)
			return 2;
		if (argv[1][0] == 'r')
			bench_replay(&t);
		else
			bench_foot(&t);
	} else if (argc == 5 && strcmp(argv[1], "scale") == 0) {
		bench_scale(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), atoi(argv[4]));
	} else if (argc == 3 && strcmp(argv[1], "big") == 0) {
		bench_big(atoi(argv[2]));
	} else {
		fputs(usage, stderr);
		return 2;
	}
	return 0;
}
