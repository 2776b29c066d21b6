// The seed's runtime interface, sysAlloc/sysFree/sysReserve, over the one
// system pool `mempool`: lock, allocate, check, unlock, count.
#include "internal.h"

#include <stdio.h>

// The system pool; the platform sets it up with heaplab_init. gdb's heap
// commands look for it by this name.
struct heaplab_pool mempool;

// sys_alloc answers n zeroed bytes (rounded to the granule) or NULL, and
// adds n to *stat when it succeeds.
void *sys_alloc(uintptr_t n, uint64_t *stat)
{
	void *p = heaplab_alloc(&mempool, n);

	if (p != NULL && stat != NULL)
		mempool.ops->stat_add(stat, (int64_t)n);
	return p;
}

// sys_free gives back n bytes at p and takes n from *stat. A free the
// allocator refuses (a bad pointer or size, a double free) stops the
// machine: a runtime cannot go on from there.
void sys_free(void *p, uintptr_t n, uint64_t *stat)
{
	char msg[160];
	int err;

	if (p == NULL)
		return;
	err = heaplab_free(&mempool, p, n);
	if (err != HEAPLAB_OK) {
		snprintf(msg, sizeof msg, "sys_free(%p, 0x%lx): %s", p, (unsigned long)n,
			 heaplab_strerror(err));
		heaplab_fail(&mempool, msg);
	}
	if (stat != NULL)
		mempool.ops->stat_add(stat, -(int64_t)n);
}

// sys_reserve answers n bytes of address space, here simply allocated (on
// Plan 9 there is no reserving without committing).
void *sys_reserve(uintptr_t n)
{
	return heaplab_alloc(&mempool, n);
}
