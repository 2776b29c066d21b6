// SPDX-License-Identifier: BSD-3-Clause
// The part checks `make grade` runs on your mem_freel (lab 3): each case
// builds a heap from a picture, frees one range with your code and checks
// one rule: address order, coalescing, zeroing, or refusals and counters.
//
// A picture has one character per page from the heap's start: 'x' a page
// in use (filled with a pattern), '.' a free page. Each run of '.' is one
// free block, its header written here by hand, so a case never depends on
// your free to set itself up. Each case runs in a child process, so that
// a crash or a loop fails that case only (lab/gradelib.c).
//
// usage: grade_free [PART or PART/CASE...]   PART: order coalesce zero refuse (default all);
// PART/CASE runs one case (--list lists them: `order/new-head`, ...)
// Prints `PART/CASE: ok` or `PART/CASE: what went wrong` per case, then
// `N passed, M failed`; exits 1 if any failed.
#include "gradelib.h"

#include <string.h>

#define FREE_NULL  ((uintptr_t)-1) // off meaning: free NULL
#define BELOW_HEAP ((uintptr_t)-2) // off meaning: one page below the heap

struct grade_case {
	struct lab_case id;  // part, name
	const char *before;  // the heap before the free
	uintptr_t off, size; // what to free, in bytes from the heap's start
	int err;	     // what heaplab_free must answer
	const char *after;   // the heap after (NULL: as before)
	int realloc;	     // zero part: then allocate size again; it must be zeroed
};

// clang-format off: one case a line reads best as a table
static const struct grade_case cases[] = {
    // Address order: the block lands in the list where its address says,
    // touching nothing else. No neighbour is free, so nothing merges.
    {{"order", "into-empty-list"}, "xxxx", 1 * PG, PG, HEAPLAB_OK, "x.xx", 0},
    {{"order", "new-head"}, "xx.x", 0, PG, HEAPLAB_OK, ".x.x", 0},
    {{"order", "new-tail"}, ".xxx", 2 * PG, PG, HEAPLAB_OK, ".x.x", 0},
    {{"order", "between"}, ".xxx.x", 2 * PG, PG, HEAPLAB_OK, ".x.x.x", 0},
    {{"order", "between-many"}, ".x.x.xxx.x.x", 6 * PG, PG, HEAPLAB_OK, ".x.x.x.x.x.x", 0},
    {{"order", "two-pages"}, ".xxxx.x", 2 * PG, 2 * PG, HEAPLAB_OK, ".x..x.x", 0},
    {{"order", "size-rounded-up"}, ".xxxx", 2 * PG, PG + 1, HEAPLAB_OK, ".x..x", 0},
    {{"order", "last-page"}, ".xx", 2 * PG, PG, HEAPLAB_OK, ".x.", 0},
    // Coalescing: the block merges with the free block just above it, just
    // below it, or both, and the list stays linked past the merge.
    {{"coalesce", "with-next"}, "xx..x", 1 * PG, PG, HEAPLAB_OK, "x...x", 0},
    {{"coalesce", "with-previous"}, "x..xx", 3 * PG, PG, HEAPLAB_OK, "x...x", 0},
    {{"coalesce", "with-both"}, "x.x.x", 2 * PG, PG, HEAPLAB_OK, "x...x", 0},
    {{"coalesce", "with-next-at-head"}, "x..x", 0, PG, HEAPLAB_OK, "...x", 0},
    {{"coalesce", "with-previous-at-tail"}, ".x..x", 4 * PG, PG, HEAPLAB_OK, ".x...", 0},
    {{"coalesce", "with-both-two-pages"}, "..xx...x", 2 * PG, 2 * PG, HEAPLAB_OK, ".......x", 0},
    {{"coalesce", "with-next-keeps-rest"}, "x..x.x", 0, PG, HEAPLAB_OK, "...x.x", 0},
    {{"coalesce", "with-previous-keeps-rest"}, ".xx.x", 1 * PG, PG, HEAPLAB_OK, "..x.x", 0},
    {{"coalesce", "with-both-mid-list"}, ".x.x.x..x.x", 5 * PG, PG, HEAPLAB_OK, ".x.x....x.x", 0},
    // Zeroing: every free byte past a header is zero, including a header
    // that a merge swallowed, so that alloc can hand memory out zeroed.
    {{"zero", "one-page"}, "xxx", 1 * PG, PG, HEAPLAB_OK, "x.x", 0},
    {{"zero", "two-pages"}, "xxxx", 1 * PG, 2 * PG, HEAPLAB_OK, "x..x", 0},
    {{"zero", "size-rounded-up"}, "xxxx", 1 * PG, PG + 100, HEAPLAB_OK, "x..x", 0},
    {{"zero", "merged-next-header"}, "xx.x", 1 * PG, PG, HEAPLAB_OK, "x..x", 0},
    {{"zero", "merged-own-header"}, "x.xx", 2 * PG, PG, HEAPLAB_OK, "x..x", 0},
    {{"zero", "merged-both"}, "x.x.x", 2 * PG, PG, HEAPLAB_OK, "x...x", 0},
    {{"zero", "alloc-after-free"}, "xxx", 1 * PG, PG, HEAPLAB_OK, "x.x", 1},
    // Refusals: a bad free answers its error and changes nothing; a good
    // one takes its bytes off pool->inuse.
    {{"refuse", "free-null"}, "x.x", FREE_NULL, PG, HEAPLAB_OK, NULL, 0},
    {{"refuse", "size-zero"}, "xx.x", 0, 0, HEAPLAB_EZERO, NULL, 0},
    {{"refuse", "misaligned"}, "xxx", PG + 16, PG, HEAPLAB_EALIGN, NULL, 0},
    {{"refuse", "past-the-break"}, "x.x", 3 * PG, PG, HEAPLAB_ERANGE, NULL, 0},
    {{"refuse", "across-the-break"}, "x.x", 2 * PG, 2 * PG, HEAPLAB_ERANGE, NULL, 0},
    {{"refuse", "below-the-heap"}, "x.x", BELOW_HEAP, PG, HEAPLAB_ERANGE, NULL, 0},
    {{"refuse", "double-free"}, "x.x", 1 * PG, PG, HEAPLAB_EDOUBLE, NULL, 0},
    {{"refuse", "inside-a-free-block"}, "x...x", 2 * PG, PG, HEAPLAB_EDOUBLE, NULL, 0},
    {{"refuse", "overlaps-block-below"}, "x..xx", 2 * PG, 2 * PG, HEAPLAB_EOVERLAP, NULL, 0},
    {{"refuse", "overlaps-block-above"}, "xx..x", 1 * PG, 2 * PG, HEAPLAB_EOVERLAP, NULL, 0},
    {{"refuse", "covers-a-free-block"}, "x.x", 0, 3 * PG, HEAPLAB_EOVERLAP, NULL, 0},
    {{"refuse", "inuse-counts-down"}, ".xxxx", 2 * PG, PG + 1, HEAPLAB_OK, ".x..x", 0},
};
// clang-format on

static int check_realloc(uintptr_t want, uintptr_t n)
{
	unsigned char *p = heaplab_alloc(&mempool, n);
	uintptr_t k;

	if ((uintptr_t)p != mempool.start + want)
		return lab_fail("alloc after the free answered %#lx, want %#lx",
				p ? (unsigned long)((uintptr_t)p - mempool.start) : 0UL,
				(unsigned long)want);
	for (k = 0; k < n; k++)
		if (p[k] != 0)
			return lab_fail("byte %#lx of the new allocation is %#x, want 0",
					(unsigned long)k, p[k]);
	return 0;
}

static void *target(const struct grade_case *c)
{
	if (c->off == FREE_NULL)
		return NULL;
	if (c->off == BELOW_HEAP)
		return (void *)(mempool.start - PG);
	return (void *)(mempool.start + c->off);
}

// run_case builds the heap, frees, and checks the rule of the case's part.
static int run_case(const void *v)
{
	const struct grade_case *c = v;
	const char *part = c->id.part, *after = c->after ? c->after : c->before;
	unsigned long sum;
	uintptr_t used = 0;
	int err;
	size_t i;

	lab_build(c->before, 0);
	sum = lab_checksum();
	err = heaplab_free(&mempool, target(c), c->size);
	if (err != c->err)
		return lab_fail("heaplab_free answered \"%s\", want \"%s\"", heaplab_strerror(err),
				heaplab_strerror(c->err));
	if (strcmp(part, "order") == 0 || strcmp(part, "coalesce") == 0)
		return lab_check_list(after) < 0 || lab_check_live(after) < 0 ? -1 : 0;
	if (strcmp(part, "zero") == 0) {
		if (lab_check_zero(after) < 0)
			return -1;
		return c->realloc ? check_realloc(c->off, c->size) : 0;
	}
	for (i = 0; after[i] != '\0'; i++)
		used += after[i] == 'x' ? PG : 0;
	if (mempool.inuse != used)
		return lab_fail("pool->inuse is %#lx, want %#lx", (unsigned long)mempool.inuse,
				(unsigned long)used);
	if (c->after == NULL && lab_checksum() != sum)
		return lab_fail("the refused free changed the heap's bytes");
	return lab_check_list(after);
}

int main(int argc, char **argv)
{
	static const struct lab_suite suite = {"grade_free",	"heaplab_free",
					       cases,		sizeof cases / sizeof cases[0],
					       sizeof cases[0], run_case};

	return lab_main(&suite, argc, argv);
}
