// SPDX-License-Identifier: BSD-3-Clause
// build/bench/gen: writes the benchmark's workloads as replay-format traces,
// the same bytes on every machine (a fixed-seed splitmix64, no libc rand).
//   gen WORKLOAD      the trace on stdout        gen --list   the names
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_PAGE 4096u

struct gen {
	uint64_t rng;
	uint32_t next_id;
	uint32_t *live; // IDs of live blocks, oldest first
	size_t nlive, cap;
	size_t nops, maxops;	       // operations so far; the budget before the drain
	size_t (*size)(struct gen *g); // the workload's size distribution
};

static uint64_t gen_rand(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static size_t gen_below(struct gen *g, size_t n)
{
	return (size_t)(gen_rand(g) % n);
}

// gen_pages: page multiples, mostly small: 1-4 pages 75%, 5-16 20%, 17-64 5%.
static size_t gen_pages(struct gen *g)
{
	size_t r = gen_below(g, 100);

	if (r < 75)
		return (1 + gen_below(g, 4)) * GEN_PAGE;
	if (r < 95)
		return (5 + gen_below(g, 12)) * GEN_PAGE;
	return (17 + gen_below(g, 48)) * GEN_PAGE;
}

// gen_mixed: any byte count: up to 4 KiB 60%, to 32 KiB 30%, to 256 KiB 10%.
static size_t gen_mixed(struct gen *g)
{
	size_t r = gen_below(g, 100);

	if (r < 60)
		return 1 + gen_below(g, 4096);
	if (r < 90)
		return 4097 + gen_below(g, 28672);
	return 32769 + gen_below(g, 229376);
}

static void gen_alloc_size(struct gen *g, size_t size)
{
	if (g->nlive == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 1024;
		g->live = realloc(g->live, g->cap * sizeof *g->live);
		if (g->live == NULL) {
			fputs("gen: out of memory\n", stderr);
			exit(1);
		}
	}
	g->live[g->nlive++] = g->next_id;
	printf("alloc %u %zu\n", g->next_id++, size);
	g->nops++;
}

static void gen_alloc(struct gen *g)
{
	gen_alloc_size(g, g->size(g));
}

// gen_free frees the i-th oldest live block, keeping the others in order.
static void gen_free(struct gen *g, size_t i)
{
	printf("free %u\n", g->live[i]);
	memmove(&g->live[i], &g->live[i + 1], (g->nlive - i - 1) * sizeof *g->live);
	g->nlive--;
	g->nops++;
}

static void gen_free_random(struct gen *g)
{
	gen_free(g, gen_below(g, g->nlive));
}

// gen_random: allocs and frees of random blocks, around 500 live.
static void gen_random(struct gen *g)
{
	while (g->nops < g->maxops) {
		size_t p = g->nlive < 500 ? 75 : 25; // percent chance of an alloc
		if (g->nlive == 0 || gen_below(g, 100) < p)
			gen_alloc(g);
		else
			gen_free_random(g);
	}
}

// gen_lifo: a stack whose depth wanders between 0 and 1000.
static void gen_lifo(struct gen *g)
{
	while (g->nops < g->maxops) {
		if (g->nlive == 0 || (g->nlive < 1000 && gen_below(g, 100) < 52))
			gen_alloc(g);
		else
			gen_free(g, g->nlive - 1);
	}
}

// gen_fifo: a queue 400 deep: each new block retires the oldest.
static void gen_fifo(struct gen *g)
{
	while (g->nops < g->maxops) {
		gen_alloc(g);
		if (g->nlive > 400)
			gen_free(g, 0);
	}
}

// gen_sawtooth: grow to 2500 live blocks (a tenth of the steps free one),
// then free nine in ten of them at random; again and again.
static void gen_sawtooth(struct gen *g)
{
	while (g->nops < g->maxops) {
		while (g->nlive < 2500 && g->nops < g->maxops) {
			if (g->nlive > 0 && gen_below(g, 10) == 0)
				gen_free_random(g);
			else
				gen_alloc(g);
		}
		while (g->nlive > 250)
			gen_free_random(g);
	}
}

// gen_fragment: 4000 one-page blocks, every other one freed in random
// order (2000 one-page holes), then random allocs and frees of 2-8 pages,
// which fit none of the holes, around 100 live besides the 2000 kept.
static void gen_fragment(struct gen *g)
{
	size_t i, nkeep = 2000, *hole = malloc(nkeep * sizeof *hole), p;
	uint32_t first = g->next_id;

	for (i = 0; i < 2 * nkeep; i++)
		gen_alloc_size(g, GEN_PAGE);
	for (i = 0; i < nkeep; i++)
		hole[i] = first + 2 * i;
	for (i = nkeep - 1; i > 0; i--) { // Fisher-Yates
		size_t j = gen_below(g, i + 1), t = hole[i];
		hole[i] = hole[j], hole[j] = t;
	}
	for (i = 0; i < nkeep; i++) {
		size_t at = 0;
		while (g->live[at] != hole[i])
			at++;
		gen_free(g, at);
	}
	free(hole);
	while (g->nops < g->maxops) { // the kept blocks stay first in g->live
		p = g->nlive < nkeep + 100 ? 75 : 25;
		if (g->nlive == nkeep || gen_below(g, 100) < p)
			gen_alloc_size(g, (2 + gen_below(g, 7)) * GEN_PAGE);
		else
			gen_free(g, nkeep + gen_below(g, g->nlive - nkeep));
	}
}

struct gen_workload {
	const char *name;
	void (*run)(struct gen *g);
	size_t (*size)(struct gen *g);
	size_t maxops; // operations before the final drain
	const char *what;
};

static const struct gen_workload gen_workloads[] = {
	{"random-pages", gen_random, gen_pages, 30000, "random allocs/frees, ~500 live, pages"},
	{"random-mixed", gen_random, gen_mixed, 30000, "random allocs/frees, ~500 live, any size"},
	{"lifo-pages", gen_lifo, gen_pages, 30000, "a stack 0-1000 deep, pages"},
	{"fifo-mixed", gen_fifo, gen_mixed, 30000, "a queue 400 deep, any size"},
	{"sawtooth-pages", gen_sawtooth, gen_pages, 30000, "to 2500 live, free 90%, again; pages"},
	{"fragment-pages", gen_fragment, NULL, 15000, "2000 one-page holes, then 2-8 pages"},
};

#define GEN_NWORKLOADS (sizeof gen_workloads / sizeof gen_workloads[0])

int main(int argc, char **argv)
{
	struct gen g = {0};
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < GEN_NWORKLOADS; i++)
			printf("%s\t%s\n", gen_workloads[i].name, gen_workloads[i].what);
		return 0;
	}
	for (i = 0; argc == 2 && i < GEN_NWORKLOADS; i++) {
		if (strcmp(argv[1], gen_workloads[i].name) != 0)
			continue;
		g.rng = 0x686561706c6162u + i; // "heaplab", one stream per workload
		g.size = gen_workloads[i].size;
		g.maxops = gen_workloads[i].maxops;
		printf("# heaplab bench workload %s: %s\n", argv[1], gen_workloads[i].what);
		gen_workloads[i].run(&g);
		while (g.nlive > 0) // give everything back, oldest first
			gen_free(&g, 0);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	fputs("usage: gen WORKLOAD | gen --list\n", stderr);
	return 2;
}
