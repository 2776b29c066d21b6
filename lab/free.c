// Lab 3 (docs/lab/3-free.md): your mem_freel. `make lab` builds the host
// tools and tests with this file in place of mem/free.c; `make grade`
// grades it. The checks of the arguments are given; the rest is yours.
#include "../mem/internal.h"

#include <string.h>

#define HDR ((uintptr_t)sizeof(struct heaplab_hdr))

// mem_freel gives back the n bytes (rounded) at p: it zeroes them, puts
// them in the list in address order and merges them with the free blocks
// on either side. It answers HEAPLAB_OK, or the reason it refused, in which
// case nothing changed. Freeing NULL does nothing.
int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	struct heaplab_hdr *prev = NULL, *next = NULL;
	uintptr_t a = (uintptr_t)p;
	int err;

	err = mem_free_argsl(pool, p, &n);
	if (err != HEAPLAB_OK || n == 0)
		return err;

	// Step 1. Walk the list (pool->freelist, ascending, NULL-terminated) so
	// that prev is the last block below a (NULL if none) and next the
	// first block at or above a (NULL if none).

	err = mem_free_refusedl(pool, prev, next, a, n);
	if (err != HEAPLAB_OK)
		return err; // refused: nothing may have changed

	// Step 2. Zero all n bytes at p: a free block holds zeros past its
	// header (mem_checkl checks it; alloc relies on it). Then make p a
	// block of its own: size n, linked before next.
	//
	// Step 3. If it ends where next begins, merge next into it, and zero
	// next's old header: it is in the middle of a free block now.
	//
	// Step 4. Link it after prev (or make it the head of the list). If
	// prev ends where it begins, merge it into prev instead, and zero its
	// header.

	pool->inuse -= n;
	return HEAPLAB_OK;
}
