// SPDX-License-Identifier: BSD-3-Clause
// The seed's runtime interface, sysAlloc/sysFree/sysReserve, over one
// system pool: what Go's runtime asked of mem_plan9.go, here a consumer of
// heaplab.h like any other (the image's kernel and the host tests use it).
#ifndef HEAPLAB_RUNTIME_SYS_H
#define HEAPLAB_RUNTIME_SYS_H

#include "../include/heaplab.h"

// The system pool; the platform sets it up (heaplab_init). gdb's heap
// commands look for it by this name.
extern struct heaplab_pool mempool;

// sys_alloc answers n zeroed bytes (rounded to the granule) or NULL, and
// adds n to *stat (if stat is not NULL) when it succeeds.
void *sys_alloc(uintptr_t n, uint64_t *stat);
// sys_free gives back n bytes at p and takes n from *stat; a free the pool
// refuses stops the machine in heaplab_fail.
void sys_free(void *p, uintptr_t n, uint64_t *stat);
// sys_reserve answers n bytes of address space (allocated, as on Plan 9).
void *sys_reserve(uintptr_t n);

// An optional cache in front of the system pool (the kernel's per-CPU page
// cache, kernel/pcp.c), NULL: none. alloc answers n zeroed bytes or NULL
// (then the pool is asked); free answers 1 if it kept the n bytes at p, 0
// if the pool is to have them. round, if not NULL, answers the size the
// cache serves n bytes as (at least n): sys_alloc, sys_free and
// sys_reserve take that many bytes, from the cache or the pool, so that a
// run the cache gives the pool back is exactly one of its allocations.
struct sys_cache {
	void *(*alloc)(uintptr_t n);
	int (*free)(void *p, uintptr_t n);
	uintptr_t (*round)(uintptr_t n);
};
extern const struct sys_cache *sys_cache;

#endif
