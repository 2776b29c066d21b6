// SPDX-License-Identifier: BSD-3-Clause
// Host platform for mem/: the break is a variable over an mmap'd arena, and
// host_sbrk its one owner; the lock a flag that panics on misuse, the
// atomic add a builtin.
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

uintptr_t heap_break;
static uintptr_t heap_lo, heap_hi; // the arena
static uintptr_t heap_hwm;	    // the highest the break has been
static void *map_base;
static size_t map_len;
static int held;
uintptr_t host_map_at;

void (*host_panic_hook)(const char *msg);

// host_brk is the simulated brk system call: brk(0) answers the break,
// anything else moves it inside the arena or answers HEAPLAB_BRK_FAIL.
// What it grows by is zero, as a kernel hands out zero-filled pages: the
// arena is fresh from mmap, so only bytes below the highest break so far
// (heap_hwm), which a client may have written, are zeroed again.
uintptr_t host_brk(uintptr_t addr)
{
	if (addr == 0)
		return heap_break;
	if (addr < heap_lo || addr > heap_hi)
		return HEAPLAB_BRK_FAIL;
	if (addr > heap_break && heap_break < heap_hwm)
		memset((void *)heap_break, 0, (addr < heap_hwm ? addr : heap_hwm) - heap_break);
	heap_break = addr;
	heap_hwm = addr > heap_hwm ? addr : heap_hwm;
	return heap_break;
}

uintptr_t (*host_brk_hook)(uintptr_t addr) = host_brk;

// host_sbrk owns the break: every client, the pool (host_ops.sbrk) and
// the replay's `sbrk` lines alike, takes bytes at it here, through
// host_brk_hook (tests put a faulty brk there). One thread: no lock.
uintptr_t host_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	return heaplab_brk_sbrk(host_brk_hook, n, align, lo, hi);
}

static __attribute__((noreturn)) void host_panic(const char *msg)
{
	if (host_panic_hook != NULL)
		host_panic_hook(msg);
	fprintf(stderr, "panic: %s\n", msg);
	fflush(stdout);
	exit(HOST_PANIC_STATUS);
}

static void host_lock(struct heaplab_pool *pool)
{
	if (held)
		host_panic("host lock: recursive acquire");
	(void)pool;
	held = 1;
}

static void host_unlock(struct heaplab_pool *pool)
{
	if (!held)
		host_panic("host lock: release of a lock not held");
	(void)pool;
	held = 0;
}

static int host_holding(struct heaplab_pool *pool)
{
	(void)pool;
	return held;
}

static void host_stat_add(uint64_t *stat, int64_t delta)
{
	__atomic_fetch_add(stat, (uint64_t)delta, __ATOMIC_SEQ_CST);
}

const struct heaplab_ops host_ops = {
	.sbrk = host_sbrk,
	.lock = host_lock,
	.unlock = host_unlock,
	.holding = host_holding,
	.stat_add = host_stat_add,
	.panic = host_panic,
};

int host_heap_init(struct heaplab_pool *pool, uintptr_t heap, uintptr_t granule)
{
	uintptr_t a;

	if (granule < sizeof(struct heaplab_hdr) || (granule & (granule - 1)) != 0)
		return -1;
	if (heap > SIZE_MAX - granule)
		return -1;
	host_heap_fini(pool);
	map_len = heap + granule;
	map_base =
	    mmap((void *)host_map_at, map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | (host_map_at ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	if (map_base != MAP_FAILED && host_map_at != 0 && (uintptr_t)map_base != host_map_at)
		munmap(map_base, map_len); // a kernel before 4.17 took the flag for a hint
	if (map_base == MAP_FAILED || (host_map_at != 0 && (uintptr_t)map_base != host_map_at)) {
		map_base = NULL;
		return -1;
	}
	a = ((uintptr_t)map_base + granule - 1) & ~(granule - 1);
	heap_lo = heap_break = heap_hwm = a;
	heap_hi = a + heap;
	held = 0;
	heaplab_init(pool, &host_ops, NULL, heap_lo, heap_hi, granule);
	return 0;
}

void host_heap_fini(struct heaplab_pool *pool)
{
	if (map_base != NULL)
		munmap(map_base, map_len);
	map_base = NULL;
	heap_lo = heap_hi = heap_break = heap_hwm = 0;
	if (pool != NULL)
		pool->freelist = NULL;
}
