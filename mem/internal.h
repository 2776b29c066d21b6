// The allocator's own pieces, for mem/*.c and for the lab's files that
// replace one of them (lab/free.c stands in for mem/free.c, lab/alloc.c
// for mem/alloc.c, lab/fit.c for mem/fit.c): not part of the interface the
// kernel and the host programs use (mem/mem.h). Every function here runs
// with the pool's lock held.
#ifndef HEAPLAB_MEM_INTERNAL_H
#define HEAPLAB_MEM_INTERNAL_H

#include "mem.h"

// mem_assert_locked fails the run with msg unless this CPU holds pool's
// lock: each lock-held function calls it on entry.
void mem_assert_locked(struct heaplab_pool *pool, const char *msg);

// The checks every mem_freel makes, in the seed's order. mem_free_argsl
// refuses a bad pointer or size and rounds *n to the granule;
// mem_free_refusedl refuses the range [a, a+n) given its neighbours in the
// free list, prev (the last block below it, or NULL) and next (the first
// above it, or NULL), and a range not inside one of the pool's regions.
// Each answers HEAPLAB_OK or why the free is refused.
int mem_free_argsl(struct heaplab_pool *pool, void *p, uintptr_t *n);
int mem_free_refusedl(struct heaplab_pool *pool, const struct heaplab_hdr *prev, const struct heaplab_hdr *next,
		      uintptr_t a, uintptr_t n);

// mem_regionl answers the region of pool (what its sbrk obtained) that
// holds all of [a, a+n), or NULL: free refuses, and the check fails, a
// range that is not inside one (n > 0, the range must not wrap).
const struct heaplab_region *mem_regionl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n);

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

// mem_fault_set fills *f (if f is not NULL) and answers err.
int mem_fault_set(struct heaplab_fault *f, enum heaplab_err err, uintptr_t block, uintptr_t a, uintptr_t b,
		  uintptr_t c);

#endif
