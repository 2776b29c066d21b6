// SPDX-License-Identifier: BSD-3-Clause
// The allocator's own pieces, for mem/*.c and for the lab's files that
// replace one of them (lab/free.c stands in for mem/free.c, lab/alloc.c
// for mem/alloc.c, lab/fit.c for mem/fit.c): not part of the interface the
// kernel and the host programs use (include/heaplab.h). In the amalgamation
// (make dist) every function declared here is static. Every one runs with
// the pool's lock held.
#ifndef HEAPLAB_MEM_INTERNAL_H
#define HEAPLAB_MEM_INTERNAL_H

#include "../include/heaplab.h"

// What heaplab takes from the C library: memset, declared here so that no
// libc header is needed (a kernel's string.c has it; compilers may also
// call memcpy for a structure's copy).
void *memset(void *s, int c, size_t n);

// The lock-held halves of heaplab_alloc, heaplab_free and heaplab_check
// (Plan 9's trailing l), and the pool's growth: the lab's files write the
// first two.
void *mem_allocl(struct heaplab_pool *pool, uintptr_t n);
int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n);
void *mem_sbrkl(struct heaplab_pool *pool, uintptr_t n);
int mem_checkl(struct heaplab_pool *pool, struct heaplab_fault *fault);

// mem_index_block answers the free block a tree node sits in: just below
// it, past the block's header.
static inline struct heaplab_hdr *mem_index_block(const struct heaplab_node *x)
{
	return (struct heaplab_hdr *)((uintptr_t)x - sizeof(struct heaplab_hdr));
}

// mem_assert_locked fails the run with msg unless this CPU holds pool's
// lock: each lock-held function calls it on entry. In a checked build
// (HEAPLAB_DEBUG) only: heaplab's own entry points take the lock before
// they call a lock-held helper, so in an unchecked build the question,
// an indirect call per helper, compiles away. A macro, not an inline
// function: gdb's `break mem_allocl` stops on the first line after the
// prologue, which an inlined function's line would claim (a student would
// land in this header, not in mem/alloc.c).
#define mem_assert_locked(pool, msg)                                                               \
	do {                                                                                       \
		if (HEAPLAB_DEBUG && (pool)->ops->holding != NULL && !(pool)->ops->holding(pool)) \
			heaplab_fail((pool), (msg));                                               \
	} while (0)

// mem_round is heaplab_round inline, for the paths every operation takes:
// n rounded up to the granule, 0 if that would wrap.
static inline uintptr_t mem_round(const struct heaplab_pool *pool, uintptr_t n)
{
	uintptr_t mask = pool->granule - 1;

	return n > UINTPTR_MAX - mask ? 0 : (n + mask) & ~mask;
}

// The checks every mem_freel makes, in the seed's order. mem_free_argsl
// refuses a bad pointer or size and rounds *n to the granule:
// HEAPLAB_OK, HEAPLAB_EZERO, HEAPLAB_EALIGN or HEAPLAB_ERANGE (a size that
// wraps); a free of NULL is HEAPLAB_OK with *n set to 0, nothing to do.
// mem_free_refusedl refuses the range [a, a+n) given its neighbours in the
// free list, prev (the last block below it, or NULL) and next (the first
// above it, or NULL), and a range not inside one of the pool's regions.
// Each answers HEAPLAB_OK or why the free is refused.
// These and the helpers below are inline: every free runs them, and a
// call each would cost more than most of them do.
static inline int mem_free_argsl(struct heaplab_pool *pool, void *p, uintptr_t *n)
{
	mem_assert_locked(pool, "mem_freel: lock not held");
	if (p == NULL) {
		*n = 0;
		return HEAPLAB_OK;
	}
	if (*n == 0)
		return HEAPLAB_EZERO;
	if (((uintptr_t)p & (pool->granule - 1)) != 0)
		return HEAPLAB_EALIGN;
	*n = mem_round(pool, *n);
	return *n == 0 ? HEAPLAB_ERANGE : HEAPLAB_OK;
}

// mem_regionl answers the region of pool (what its sbrk obtained) that
// holds all of [a, a+n), or NULL: free refuses, and the check fails, a
// range that is not inside one (n > 0, the range must not wrap).
static inline const struct heaplab_region *mem_regionl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	const struct heaplab_region *r;

	mem_assert_locked(pool, "mem_regionl: lock not held");
	for (r = pool->region; r < pool->region + pool->nregion; r++)
		if (r->start <= a && a < r->end)
			return n <= r->end - a ? r : NULL;
	return NULL;
}

// mem_free_refusedl: outside [start, the pool's top), not inside one region
// the pool obtained, a double free, a partial overlap. The pool's own
// records bound all it ever handed out: no system call inside the critical
// section.
static inline int mem_free_refusedl(struct heaplab_pool *pool, const struct heaplab_hdr *prev,
				    const struct heaplab_hdr *next, uintptr_t a, uintptr_t n)
{
	int i = pool->nregion - 1;
	uintptr_t top;

	// Most frees lie inside the newest region, whose end is the pool's top
	// (bloc) and whose start is at or above start (the check's pool records
	// verify both): then no bound refuses the range and no other region
	// need be asked, and the bounds cost three comparisons.
	if (i < 0 || a < pool->region[i].start || a >= pool->region[i].end ||
	    n > pool->region[i].end - a) {
		top = pool->bloc != 0 ? pool->bloc : pool->start;
		if (a < pool->start || a > top || n > top - a)
			return HEAPLAB_ERANGE;
		if (mem_regionl(pool, a, n) == NULL)
			return HEAPLAB_ENOTOWN; // another client's bytes, between two regions
	}
	if (prev != NULL && (uintptr_t)prev + prev->size > a)
		return a + n <= (uintptr_t)prev + prev->size ? HEAPLAB_EDOUBLE : HEAPLAB_EOVERLAP;
	if (next != NULL && a + n > (uintptr_t)next)
		return (uintptr_t)next == a && n <= next->size ? HEAPLAB_EDOUBLE : HEAPLAB_EOVERLAP;
	return HEAPLAB_OK;
}

// mem_zero_freedl zeroes [a, a+n), which mem_freel frees, unless
// heaplab_free has zeroed it already outside the lock: every mem_freel
// should zero through it (a lab's that calls memset zeroes twice). When
// heaplab_free has marked something (pool->prezeroed), mem_zero_markedl
// (mem/mem.c) decides.
void mem_zero_markedl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n);
static inline void mem_zero_freedl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	if (pool->prezeroed != 0)
		mem_zero_markedl(pool, a, n);
	else
		memset((void *)a, 0, n);
}

// mem_check_scanl is mem_checkl whose scan for nonzero free bytes covers
// at most budget of them, from pool->scan on, and moves pool->scan past
// them (the automatic check's, bounded: HEAPLAB_CHECK_SCAN).
int mem_check_scanl(struct heaplab_pool *pool, struct heaplab_fault *fault, uintptr_t budget);

// mem_index_below answers the free block of an indexed pool just below
// a (the highest that starts lower), or NULL.
struct heaplab_hdr *mem_index_below(const struct heaplab_pool *pool, uintptr_t a);

// mem_free_belowl answers the free block just below a (NULL: none),
// through the index or the list walk; its list next is the one above.
static inline struct heaplab_hdr *mem_free_belowl(struct heaplab_pool *pool, uintptr_t a)
{
	struct heaplab_hdr *b, *prev = NULL;

	if (pool->index)
		return mem_index_below(pool, a);
	for (b = pool->freelist; b != NULL && (uintptr_t)b < a; b = b->next)
		prev = b;
	return prev;
}

// The placement index's halves of alloc, free and check (mem/index.c):
// mem_allocl, mem_freel and mem_checkl call them when pool->index is set.
// mem_index_fit (mem/fit.c, which the index lab replaces) is the first-fit
// descent mem_index_takel makes: the lowest-addressed free block of at
// least n bytes, or NULL, and in *pred the node last passed on the way
// right.
struct heaplab_hdr *mem_index_fit(const struct heaplab_pool *pool, uintptr_t n,
			      const struct heaplab_avl_node **pred);
void *mem_index_takel(struct heaplab_pool *pool, uintptr_t n);
int mem_index_freel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n);
int mem_index_checkl(struct heaplab_pool *pool, uintptr_t brk, struct heaplab_fault *fault);

// The exact-free record's halves of heaplab_alloc and heaplab_free
// (mem/track.c), called only when pool->track is set: record an
// allocation, say whether a free is exactly one (HEAPLAB_OK) or not
// (HEAPLAB_EMISMATCH), and forget a freed range.
void mem_track_allocl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n);
int mem_track_freel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n);
void mem_track_releasel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n);
// mem_track_checkl verifies all of the record against the pool (O(granules
// of [start, end) and free blocks), heaplab_check's and never the
// automatic check's): HEAPLAB_OK or HEAPLAB_ETRACK, described in *f.
int mem_track_checkl(struct heaplab_pool *pool, struct heaplab_fault *f);

// mem_fault_set fills *f (if f is not NULL) and answers err.
int mem_fault_set(struct heaplab_fault *f, enum heaplab_err err, uintptr_t block, uintptr_t a, uintptr_t b,
		  uintptr_t c);

#endif
