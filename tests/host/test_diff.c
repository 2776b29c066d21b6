// Differential test: random operations run through mem/ and through the
// page-bitmap model (model.h) in lockstep, several seeds and size mixes,
// the full check after every operation; each case once with the list walk
// and once with the placement index, whose answers, free lists and breaks
// must agree op by op. Ends with `N passed, M failed`.
#include "lockstep.h"

#include <stdio.h>
#include <stdlib.h>

// xorshift64*: small, seedable, the same on every machine.
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) >> 32) % n;
}

// Size mixes: each answers an allocation size for granule g.
static uintptr_t mix_pages(uint64_t *s, uintptr_t g)
{
	return (1 + rng_below(s, 8)) * g;
}

static uintptr_t mix_edges(uint64_t *s, uintptr_t g)
{
	return (1 + rng_below(s, 4)) * g + rng_below(s, 3) - 1; // k*g-1, k*g, k*g+1
}

static uintptr_t mix_bytes(uint64_t *s, uintptr_t g)
{
	return 1 + rng_below(s, (uint32_t)(6 * g));
}

static uintptr_t mix_big(uint64_t *s, uintptr_t g)
{
	if (rng_below(s, 20) == 0)
		return (16 + rng_below(s, 48)) * g - rng_below(s, 2);
	return mix_edges(s, g);
}

struct diff_case {
	const char *name;
	uint64_t seed;
	uintptr_t heap, granule;
	uintptr_t (*mix)(uint64_t *s, uintptr_t g);
	size_t maxlive;
	unsigned long ops;
	unsigned badpct; // percent of operations that are bad frees
};

// clang-format off
static const struct diff_case cases[] = {
	{"pages-4096", 1, 64u << 20, 4096, mix_pages, 40, 14000, 2},
	{"pages-4096", 2, 64u << 20, 4096, mix_pages, 40, 14000, 2},
	{"edges-4096", 3, 64u << 20, 4096, mix_edges, 40, 14000, 2},
	{"edges-16", 4, 1u << 20, 16, mix_edges, 64, 14000, 2},
	{"bytes-64", 5, 1u << 20, 64, mix_bytes, 64, 14000, 2},
	{"big-8192", 6, 64u << 20, 8192, mix_big, 16, 14000, 2},
	{"oom-4096", 7, 32 * 4096, 4096, mix_pages, 64, 14000, 2},
	{"oom-16-unaligned-end", 8, 1000, 16, mix_bytes, 64, 14000, 2},
	{"badfree-4096", 9, 64u << 20, 4096, mix_pages, 40, 14000, 15},
	{"deep-64", 10, 4u << 20, 64, mix_big, 700, 12000, 3}, // a tree ~12 deep
};
// clang-format on

// odd_size answers, now and then, a size mem/ must answer nil for or one
// too big to fit: 0, one whose rounding wraps, one whose sbrk would wrap.
static int odd_size(uint64_t *s, uintptr_t g, uintptr_t *n)
{
	static const uintptr_t odd[] = {0, UINTPTR_MAX, 0, 1u << 30};

	if (rng_below(s, 200) != 0)
		return 0;
	*n = odd[rng_below(s, 4)];
	if (*n == 1u << 30)
		*n = UINTPTR_MAX - g + 1;
	return 1;
}

// diff_step does one random operation.
static int diff_step(struct lockstep *ls, const struct diff_case *c, uint64_t *s)
{
	uint32_t r = rng_below(s, 100);
	uintptr_t n;

	if (r < c->badpct)
		return lockstep_badfree_pick(ls, rng_below(s, 6), (uint32_t)rng_next(s),
					     (uint32_t)rng_next(s));
	if (ls->nlive != 0 && (r >= 55 || ls->nlive == ls->maxlive))
		return lockstep_free(ls, rng_below(s, (uint32_t)ls->nlive));
	if (!odd_size(s, c->granule, &n))
		n = c->mix(s, c->granule);
	return lockstep_alloc(ls, n);
}

static const char *const mode_names[] = {"list", "index"};

// diff_run runs one case in one mode (0 list walk, 1 index), recording
// its trail in trail[]; it answers 0 or -1, having said what differed.
static int diff_run(const struct diff_case *c, int index, uint64_t *trail, size_t *ntrail,
		    unsigned long *ops, unsigned long *nbad)
{
	struct heaplab_pool pool;
	struct lockstep ls;
	uint64_t s = c->seed * 0x9e3779b97f4a7c15ull;
	int err = 0, mode;

	if (lockstep_init(&ls, &pool, c->heap, c->granule, c->maxlive) < 0) {
		printf("FAIL %s seed %lu: cannot set up the heap\n", c->name,
		       (unsigned long)c->seed);
		return -1;
	}
	mode = heaplab_set_index(&pool, index);
	ls.trail = trail;
	ls.maxtrail = 2 * c->ops;
	while (err == 0 && ls.ops < c->ops)
		err = diff_step(&ls, c, &s);
	while (err == 0 && ls.nlive != 0)
		err = lockstep_free(&ls, ls.nlive - 1);
	if (err != 0)
		printf("FAIL %s seed %lu %s: %s\n", c->name, (unsigned long)c->seed,
		       mode_names[mode], ls.why);
	else
		printf("ok   %s seed %lu %s: %lu ops, %lu nil, %lu refused frees, break 0x%lx\n",
		       c->name, (unsigned long)c->seed, mode_names[mode], ls.ops, ls.nnil, ls.nbad,
		       (unsigned long)(ls.model.brk * c->granule));
	*ops += ls.ops;
	*nbad += ls.nbad;
	*ntrail = ls.ntrail;
	lockstep_fini(&ls);
	return err;
}

// diff_modes runs a case through the list walk and through the index and
// compares the two trails op by op: the same answers, lists and breaks.
static int diff_modes(const struct diff_case *c, unsigned long *ops, unsigned long *nbad)
{
	struct lockstep a = {0}, b = {0};
	long at;
	int err;

	a.trail = calloc(2 * c->ops, sizeof *a.trail);
	b.trail = calloc(2 * c->ops, sizeof *b.trail);
	err = a.trail == NULL || b.trail == NULL ? -1 : 0;
	if (err == 0)
		err = diff_run(c, 0, a.trail, &a.ntrail, ops, nbad);
	if (err == 0)
		err = diff_run(c, 1, b.trail, &b.ntrail, ops, nbad);
	if (err == 0 && (at = lockstep_trail_diff(&a, &b)) >= 0) {
		printf("FAIL %s seed %lu: list and index differ at op %ld\n", c->name,
		       (unsigned long)c->seed, at);
		err = -1;
	}
	free(a.trail);
	free(b.trail);
	return err;
}

int main(void)
{
	unsigned long ops = 0, nbad = 0, passed = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (diff_modes(&cases[i], &ops, &nbad) == 0)
			passed++;
		else
			failed++;
	}
	printf("test_diff: %lu operations, %lu of them refused frees\n", ops, nbad);
	printf("%lu passed, %lu failed\n", passed, failed);
	return failed != 0;
}
