// SPDX-License-Identifier: BSD-3-Clause
// Translated from the Go runtime's runtime/mem_plan9.go: Copyright (c) 2009
// The Go Authors, BSD-style; the notice is in LICENSE.
// mem_freel: giving a block back. Kept in a file of its own so that the
// lab build (docs/lab) can swap in a student's version of it.
#include "internal.h"

#define HDR ((uintptr_t)sizeof(struct heaplab_hdr))

// mem_freel gives back the n bytes (rounded) at p: it zeroes them, puts
// them in the list in address order and merges them with the free blocks
// on either side. It answers HEAPLAB_OK, or the reason it refused, in which
// case nothing changed. Freeing NULL does nothing.
int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	struct heaplab_hdr *bp = p, *prev = NULL, *next;
	uintptr_t a = (uintptr_t)p;
	int err;

	err = mem_free_argsl(pool, p, &n);
	if (err != HEAPLAB_OK || n == 0)
		return err;
	if (pool->index) // the same free, neighbours found by the tree
		return mem_index_freel(pool, a, n);
	for (next = pool->freelist; next != NULL && (uintptr_t)next < a; next = next->next)
		prev = next;
	err = mem_free_refusedl(pool, prev, next, a, n);
	if (err != HEAPLAB_OK)
		return err;

	mem_zero_freedl(pool, a, n); // unless heaplab_free zeroed it unlocked
	bp->size = n;
	bp->next = next;
	if (next != NULL && a + n == (uintptr_t)next) { // merge with the next
		bp->size += next->size;
		bp->next = next->next;
		memset(next, 0, HDR);
	}
	if (prev == NULL) {
		pool->freelist = bp;
	} else if ((uintptr_t)prev + prev->size == a) { // merge with the previous
		prev->size += bp->size;
		prev->next = bp->next;
		memset(bp, 0, HDR);
	} else {
		prev->next = bp;
	}
	pool->inuse -= n;
	return HEAPLAB_OK;
}
