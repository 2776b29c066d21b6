// SPDX-License-Identifier: BSD-3-Clause
// The seed's runtime interface, sysAlloc/sysFree/sysReserve, over the one
// system pool `mempool`: lock, allocate, check, unlock, count. A consumer
// of heaplab.h, outside the library: the pool is this program's state.
#include "sys.h"

#include <stdio.h>

struct heaplab_pool mempool;
const struct sys_cache *sys_cache;

// size answers the bytes the cache (if any) serves n as.
static uintptr_t size(uintptr_t n)
{
	return sys_cache != NULL && sys_cache->round != NULL ? sys_cache->round(n) : n;
}

// stat_add counts through the platform's atomic add, or plainly without one.
static void stat_add(uint64_t *stat, int64_t delta)
{
	if (mempool.ops->stat_add != NULL)
		mempool.ops->stat_add(stat, delta);
	else
		*stat += (uint64_t)delta;
}

// sys_alloc answers n zeroed bytes (rounded to the granule) or NULL, and
// adds n to *stat when it succeeds.
void *sys_alloc(uintptr_t n, uint64_t *stat)
{
	uintptr_t r = size(n);
	void *p = sys_cache != NULL ? sys_cache->alloc(r) : NULL;

	if (p == NULL)
		p = heaplab_alloc(&mempool, r);
	if (p != NULL && stat != NULL)
		stat_add(stat, (int64_t)n);
	return p;
}

// sys_free gives back n bytes at p and takes n from *stat. A free the
// allocator refuses (a bad pointer or size, a double free) stops the
// machine: a runtime cannot go on from there.
void sys_free(void *p, uintptr_t n, uint64_t *stat)
{
	uintptr_t r = size(n);
	char msg[160];
	int err;

	if (p == NULL)
		return;
	err =
	    sys_cache != NULL && sys_cache->free(p, r) ? HEAPLAB_OK : heaplab_free(&mempool, p, r);
	if (err != HEAPLAB_OK) {
		snprintf(msg, sizeof msg, "sys_free(%p, 0x%lx): %s", p, (unsigned long)n,
			 heaplab_strerror(err));
		heaplab_fail(&mempool, msg);
	}
	if (stat != NULL)
		stat_add(stat, -(int64_t)n);
}

// sys_reserve answers n bytes of address space, here simply allocated (on
// Plan 9 there is no reserving without committing): zeroed, as sys_alloc's,
// so a cache's run serves it as well, and its free goes to the cache too.
void *sys_reserve(uintptr_t n)
{
	uintptr_t r = size(n);
	void *p = sys_cache != NULL ? sys_cache->alloc(r) : NULL;

	return p != NULL ? p : heaplab_alloc(&mempool, r);
}
