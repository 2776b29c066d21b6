// SPDX-License-Identifier: BSD-3-Clause
// Lab 9 (docs/lab/9-pcp.md): your per-CPU page cache, in place of
// kernel/pcp.c. `KERNEL_PCP=lab/pcp.c ./run-qemu.sh --smp 2 --pcp` boots the
// image with it (built in build/amd64-labpcp); `make grade LAB=pcp` grades it.
// The cache sits in front of the system pool (mem_lock), as Linux keeps
// per-CPU page lists in front of its buddy allocator, and as 6.1810's lock
// lab gives each CPU its own free list: each CPU keeps runs of 1 to
// PCP_NCLASS pages that sys_free gave back, one list per run length, under
// a lock of its own; sys_alloc takes an exact run from its own CPU's lists
// first, then steals one from another CPU's, and only then asks the pool.
// A CPU keeps at most PCP_MAX bytes (kmem.h); past that, and for longer
// runs, sys_free goes to the pool.
//
//   cpu 0: [1] -> run -> run   [2] -> run   ...   [16]        (pcp 0's lock)
//   cpu 1: [1] -> run          [2]          ...   [16] -> run (pcp 1's lock)
//
// A cached run is zero but for its first word, the link. It is in use as
// far as the pool knows: the pool's check balances. pcp_drain gives every
// run back to the pool. Lock order: a pcp lock is never held while another
// is taken, nor with mem_lock.
//
// The data, pcp_start, pcp_check and pcp_report are given; pcp_alloc,
// pcp_free and pcp_drain are yours. As shipped they cache nothing: the
// image runs, every page going to and from the pool as with --pcp off.
#include "kmem.h"

#include <string.h>

#define PAGE_SHIFT 12 // log2(PAGE_SIZE)
_Static_assert(PAGE_SIZE == 1u << PAGE_SHIFT, "PAGE_SHIFT");

// PCP_NCLASS and PCP_MAX: kmem.h (the page stress checks the cap).

struct pcp_run {
	struct pcp_run *next;
};

struct pcp {
	struct spinlock lock;
	struct pcp_run *list[PCP_NCLASS + 1];		   // by pages; [0] unused
	uintptr_t bytes;				   // in the lists, guarded by lock
	unsigned long hits, steals, misses, kept, spilled; // this CPU's, under lock
};

struct pcp pcps[NCPU];
int pcp_on; // read by gdb's heap stats
static const char *const pcp_names[8] = {"pcp 0", "pcp 1", "pcp 2", "pcp 3",
					 "pcp 4", "pcp 5", "pcp 6", "pcp 7"};

// pages answers the run length of n bytes in pages, 0 if no list keeps it.
static __attribute__((unused)) uintptr_t pages(uintptr_t n)
{
	uintptr_t r = heaplab_round(&mempool, n) >> PAGE_SHIFT;

	return r <= PCP_NCLASS ? r : 0;
}

static __attribute__((unused)) int me(void)
{
	int id;

	push_off();
	id = arch_cpu_id();
	pop_off();
	return id;
}

// pcp_alloc answers a run of n bytes (rounded to pages) from this CPU's
// cache, else one stolen from another CPU's, else NULL: the pool's turn
// (sys_alloc asks it then). A run it answers is all zero: clear the link.
// Count what it did in this CPU's hits, steals and misses (pcp_report).
static void *pcp_alloc(uintptr_t n)
{
	(void)n;
	// Your code here: pages(n) is the run's length (0: no list keeps it);
	// me() is this CPU. Take an exact run from this CPU's list under its
	// lock; if there is none, look at the other CPUs' lists, each under its
	// own lock (never two locks at once).
	return NULL;
}

// pcp_free keeps n bytes at p on this CPU's list: 1 if it did, 0 if the
// pool is to have them (too long a run, the cache full: at most PCP_MAX
// bytes a CPU, or not a run the pool could have handed out, which the
// pool then refuses in its words). Zero the run, with no lock held if you
// can: a memset of 16 pages under the lock keeps the other CPUs waiting.
static int pcp_free(void *p, uintptr_t n)
{
	(void)p;
	(void)n;
	// Your code here: refuse what pages(n) does not keep, or what is not
	// page-aligned inside [mempool.start, mempool.bloc); count the bytes
	// under the lock before you zero, so that the cap holds while you do.
	return 0;
}

static const struct sys_cache pcp_cache = {.alloc = pcp_alloc, .free = pcp_free};

// pcp_start turns the cache on; before any other CPU runs.
void pcp_start(void)
{
	int i;

	for (i = 0; i < NCPU; i++)
		spin_init(&pcps[i].lock, pcp_names[i % 8]);
	for (i = 0; i < NCPU; i++)
		pcps[i].lock.listed = 0; // static: lockstat's table may list them
	pcp_on = 1;
	sys_cache = &pcp_cache;
}

// pcp_check checks every CPU's cache, each under its own lock: each run of
// its list's length, page-aligned, inside the pool's regions, its first
// words past the link zero (a bounded look: the lock is held meanwhile;
// pcp_drain's frees and the pool's full check see every byte once the runs
// are back), and the bytes as counted (a run between its two holds of the lock
// in pcp_free counted but not yet listed). Stops in heaplab_fail.
void pcp_check(void)
{
	uintptr_t k, sum, a, i;
	struct pcp_run *r;
	int cpu;

	for (cpu = 0; cpu < NCPU; cpu++) {
		spin_lock(&pcps[cpu].lock);
		for (sum = 0, k = 1; k <= PCP_NCLASS; k++)
			for (r = pcps[cpu].list[k]; r != NULL;
			     r = r->next, sum += k << PAGE_SHIFT) {
				a = (uintptr_t)r;
				if ((a & (PAGE_SIZE - 1)) != 0 || a < mempool.start ||
				    a > mempool.bloc || (k << PAGE_SHIFT) > mempool.bloc - a)
					heaplab_fail(&mempool,
						     "pcp: a cached run outside the pool");
				for (i = sizeof *r; i < 64;
				     i += sizeof(uintptr_t)) // its first words
					if (*(const uintptr_t *)(a + i) != 0)
						heaplab_fail(&mempool,
							     "pcp: a cached run not zero");
			}
		if (sum > pcps[cpu].bytes)
			heaplab_fail(&mempool,
				     "pcp: the runs add up to more than the cache counts");
		spin_unlock(&pcps[cpu].lock);
	}
}

// pcp_drain gives every cached run back to the pool (heaplab_free; a run
// it refuses was given back twice: stop the machine with heaplab_fail),
// and answers the bytes it gave back.
uintptr_t pcp_drain(void)
{
	// Your code here: every CPU's every list, each run taken off its list
	// under that CPU's lock, then freed to the pool with no pcp lock held.
	return 0;
}

// pcp_report prints what the caches did during the stress.
void pcp_report(void)
{
	int cpu;

	for (cpu = 0; cpu < NCPU; cpu++)
		if (pcps[cpu].hits + pcps[cpu].misses + pcps[cpu].kept > 0)
			kprintf(
			    "pcp %d: %lu allocs from the cache (%lu stolen), %lu from the pool; "
			    "%lu frees kept, %lu to the pool (cache full)\n",
			    cpu, pcps[cpu].hits, pcps[cpu].steals, pcps[cpu].misses, pcps[cpu].kept,
			    pcps[cpu].spilled);
}
