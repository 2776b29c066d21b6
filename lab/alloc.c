// Lab 6 (docs/lab/6-alloc.md): your mem_allocl. `make lab LAB=alloc` builds
// the host tools and tests with this file in place of mem/alloc.c; `make
// grade LAB=alloc` grades it. The rounding and the counting are given; the
// rest is yours.
#include "../mem/internal.h"

#include <string.h>

#define HDR ((uintptr_t)sizeof(struct heaplab_hdr))

// mem_allocl answers n bytes (rounded to the granule), zeroed, from the
// first free block that fits, else from sbrk; NULL if n is 0 or if there
// is no memory. Nothing changes when it answers NULL. (The lab's programs
// keep every pool on the list walk: pool->index is 0 here.)
void *mem_allocl(struct heaplab_pool *pool, uintptr_t n)
{
	void *v = NULL;

	mem_assert_locked(pool, "mem_allocl: lock not held");
	n = heaplab_round(pool, n);
	if (n == 0)
		return NULL;

	// Step 1. Walk the list (pool->freelist, ascending, NULL-terminated)
	// from the lowest address to the first block p with p->size >= n,
	// keeping in prev the block before it (NULL if p is the head). The
	// first that fits, not the one that fits best.
	//
	// Step 2. An exact fit (p->size == n) leaves the list: prev, or the
	// head of the list, points past it. The allocation is all of p.
	//
	// Step 3. A larger block keeps its address, its header and its place
	// in the list, and shrinks by n: the allocation is its top n bytes.
	//
	// Step 4. What you hand out must be zero. Free keeps every free byte
	// past a header zero, so only header bytes (HDR at the start of an
	// exact fit) can be dirty: clear them.
	//
	// Step 5. If no block fits, grow the heap: v = mem_sbrkl(pool, n),
	// which answers NULL if the break cannot move that far. Then nothing
	// may have changed: not the list, not the break, not the counters.

	if (v != NULL)
		pool->inuse += n;
	return v;
}
