// SPDX-License-Identifier: BSD-3-Clause
// Translated from the Go runtime's runtime/mem_plan9.go: Copyright (c) 2009
// The Go Authors, BSD-style; the notice is in LICENSE.
// mem_allocl: taking a block. Kept in a file of its own so that the lab
// build (docs/lab) can swap in a student's version of it, as mem/free.c is.
#include "internal.h"

#define HDR ((uintptr_t)sizeof(struct heaplab_hdr))

// list_takel answers n bytes (already rounded) from the first free block
// that fits, walking the list from the lowest address, or NULL if none
// does: all of an exact fit, unlinked, or the top n bytes of a larger one.
static void *list_takel(struct heaplab_pool *pool, uintptr_t n)
{
	struct heaplab_hdr *p, *prev = NULL;

	for (p = pool->freelist; p != NULL && p->size < n; prev = p, p = p->next)
		;
	if (p == NULL)
		return NULL;
	if (p->size == n) {
		if (prev != NULL)
			prev->next = p->next;
		else
			pool->freelist = p->next;
	} else {
		p->size -= n;
		p = (struct heaplab_hdr *)((uintptr_t)p + p->size);
	}
	memset(p, 0, HDR);
	return p;
}

// mem_allocl answers n bytes (rounded to the granule), zeroed, from the
// first free block that fits, else from sbrk; NULL if n is 0 or if there
// is no memory. Nothing changes when it answers NULL. An indexed pool finds
// the same first fit through its tree (mem/index.c).
void *mem_allocl(struct heaplab_pool *pool, uintptr_t n)
{
	void *v;

	mem_assert_locked(pool, "mem_allocl: lock not held");
	n = mem_round(pool, n);
	if (n == 0)
		return NULL;
	v = pool->index ? mem_index_takel(pool, n) : list_takel(pool, n);
	if (v == NULL)
		v = mem_sbrkl(pool, n);
	if (v != NULL)
		pool->inuse += n;
	return v;
}
