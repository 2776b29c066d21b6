// SPDX-License-Identifier: BSD-3-Clause
// Translated from the Go runtime's runtime/mem_plan9.go: Copyright (c) 2009
// The Go Authors, BSD-style; the notice is in LICENSE.
// Free-list allocator: first fit, split from the top, coalescing free.
// A C rendering of Go's runtime/mem_plan9.go (Feb 2015), with its latent
// bugs fixed; placement is the seed's, address for address.
//
// Theory of operation
//
//   The pool owns the regions it took through sbrk: one, from start to its
//   top (bloc), unless another client of the break (newlib's malloc) took
//   bytes between two of the pool's sbrks; then the pool starts a new
//   region above them (at most HEAPLAB_NREGION) and never hands them out or
//   takes them back. Of its pages, the free ones are kept in one list,
//   sorted by address and NULL-terminated. A free block holds its own
//   header in its first bytes; an allocated block holds nothing of ours,
//   so the caller must give the size back to free.
//
//     start       region 0          newlib's    region 1       top       end
//     |  free  |  used  |  free   | ///////// | used | free  |           |
//     +--------+--------+---------+-----------+------+-------+-----------+
//      ^hdr: next ------>^hdr: next ------------------>^hdr: next=NULL
//
//   Invariants (mem_checkl verifies all of them):
//   - blocks strictly ascending, non-overlapping, never touching (a free
//     merges with both neighbours), each inside one region of the pool;
//   - every size a nonzero multiple of the granule;
//   - every free byte past a header is zero, so allocations come back
//     zeroed: alloc clears only the header bytes of what it returns;
//   - bytes free + bytes in use == bytes taken through sbrk.
//
//   alloc(n): round n up to the granule; walk from the lowest block and
//   take the first with size >= n. An exact fit is unlinked; a larger block
//   keeps its address and shrinks, and the allocation is its top n bytes.
//   No fit: sbrk(n).
//
//   Lock rule: all of it runs under the pool's lock (the *l functions
//   assert it); heaplab_alloc/heaplab_free/heaplab_check take it.
#include "internal.h"

#define HDR ((uintptr_t)sizeof(struct heaplab_hdr))

// pool->fresh while heaplab_alloc runs mem_allocl: a growth is recorded
// there, not zeroed (no block starts at address 1).
#define FRESH_DEFER ((uintptr_t)1)

// pool->prezeroed while heaplab_free probes whether mem_freel zeroes
// through mem_zero_freedl (no range starts at address 1).
#define ZERO_PROBE ((uintptr_t)1)

// A pool given no hooks at all, or the arena mode's: every hook NULL.
static const struct heaplab_ops no_ops;

void heaplab_lock(struct heaplab_pool *pool)
{
	if (pool->ops->lock != NULL)
		pool->ops->lock(pool);
}

void heaplab_unlock(struct heaplab_pool *pool)
{
	if (pool->ops->unlock != NULL)
		pool->ops->unlock(pool);
}

uint32_t heaplab_version(void)
{
	return HEAPLAB_VERSION;
}

// setup clears pool and sets what both modes share; it answers whether the
// granule is a power of two that holds a header.
static int setup(struct heaplab_pool *pool, const struct heaplab_ops *ops, void *lockarg,
		 uintptr_t granule)
{
	memset(pool, 0, sizeof *pool);
	pool->name = "mem";
	pool->ops = ops != NULL ? ops : &no_ops;
	pool->lockarg = lockarg;
	pool->granule = granule;
	pool->checking = HEAPLAB_DEBUG;
	return granule >= HDR && (granule & (granule - 1)) == 0;
}

// heaplab_init sets up an empty pool of the break mode over [start, end).
void heaplab_init(struct heaplab_pool *pool, const struct heaplab_ops *ops, void *lockarg,
		  uintptr_t start, uintptr_t end, uintptr_t granule)
{
	int ok = setup(pool, ops, lockarg, granule);

	pool->start = start;
	pool->end = end;
	if (!ok)
		heaplab_fail(pool, "heaplab_init: granule must be a power of two that holds the header");
	if (pool->ops->sbrk == NULL)
		heaplab_fail(pool, "heaplab_init: the break mode needs ops->sbrk");
	heaplab_set_index(pool, 1);
}

// heaplab_init_arena sets up an empty pool that keeps its own break inside
// [base, base + size), trimmed to whole granules.
int heaplab_init_arena(struct heaplab_pool *pool, const struct heaplab_ops *ops, void *lockarg,
		       void *base, uintptr_t size, uintptr_t granule)
{
	uintptr_t a = (uintptr_t)base, start, end;

	if (!setup(pool, ops, lockarg, granule))
		return HEAPLAB_EALIGN;
	if (a > UINTPTR_MAX - size || a > UINTPTR_MAX - (granule - 1))
		return HEAPLAB_ERANGE;
	start = (a + granule - 1) & ~(granule - 1);
	end = (a + size) & ~(granule - 1);
	if (end <= start)
		return HEAPLAB_ERANGE;
	pool->start = start;
	pool->end = end;
	pool->arena = 1;
	heaplab_set_index(pool, 1);
	return HEAPLAB_OK;
}

// heaplab_round rounds n up to the granule; 0 if that would wrap.
uintptr_t heaplab_round(const struct heaplab_pool *pool, uintptr_t n)
{
	return mem_round(pool, n);
}

// mem_sbrkl grows the pool by n bytes (rounded) and answers where they
// start, or NULL, with nothing changed, if the break may not move that far.
// The break's owner (heaplab_ops.sbrk) takes them at the break, aligned to the
// granule, atomically against its other clients. If they start where the
// pool's last region ends, that region grows; if not, someone else (newlib,
// another pool) took the bytes in between, and they start a new region.
// When every region is in use, only the last may grow: if the break has
// moved on, the pool refuses, as it does at the end of its arena.
void *mem_sbrkl(struct heaplab_pool *pool, uintptr_t n)
{
	struct heaplab_region *last = pool->nregion > 0 ? &pool->region[pool->nregion - 1] : NULL;
	uintptr_t lo = last != NULL ? last->end : pool->start, hi = pool->end, bl;

	mem_assert_locked(pool, "mem_sbrkl: lock not held");
	n = mem_round(pool, n);
	if (n == 0)
		return NULL;
	if (pool->nregion == HEAPLAB_NREGION && n < hi - lo)
		hi = lo + n; // the n bytes must start at lo
	if (pool->arena) { // the pool is the break's one client: it is at lo
		if (n > hi - lo)
			return NULL;
		bl = lo;
	} else {
		bl = pool->ops->sbrk(n, pool->granule, lo, hi);
		if (bl == HEAPLAB_BRK_FAIL)
			return NULL;
	}
	// Neither the arena nor a break need be zero. Inside heaplab_alloc
	// (fresh == FRESH_DEFER) the zeroing waits until the lock is released:
	// the bytes are the caller's alone, and a growth of 64 MiB would
	// otherwise keep interrupts off for the whole memset.
	if (pool->fresh == FRESH_DEFER) {
		pool->fresh = bl;
		pool->fresh_n = n;
	} else {
		memset((void *)bl, 0, n);
	}
	if (last != NULL && bl == last->end)
		last->end += n;
	else
		pool->region[pool->nregion++] = (struct heaplab_region){bl, bl + n};
	pool->bloc = bl + n;
	pool->taken += n;
	return (void *)bl;
}

// PEND_OK: pend_freel listed the range (no enum heaplab_err has this value).
#define PEND_OK (-1)

// pend_overlapl answers whether [a, a+n) overlaps a pending free, and how:
// HEAPLAB_EDOUBLE if it lies inside one, HEAPLAB_EOVERLAP if partly,
// HEAPLAB_OK if it touches none.
static int pend_overlapl(const struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	const struct heaplab_hdr *q;
	uintptr_t b;

	for (q = pool->pending; q != NULL; q = q->next) {
		b = (uintptr_t)q;
		if (a < b + q->size && b < a + n)
			return b <= a && a + n <= b + q->size ? HEAPLAB_EDOUBLE : HEAPLAB_EOVERLAP;
	}
	return HEAPLAB_OK;
}

// pend_freel decides the free of [a, a+n) (n rounded) as mem_freel would, and if it is to be done lists the range as
// pending and answers PEND_OK: its owner may zero it with the lock
// released. A range that overlaps a pending one is refused here. Any other
// refusal answers HEAPLAB_OK and lists nothing, so that mem_freel (the
// lab's, if swapped in) refuses it in its own words.
static int pend_freel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	struct heaplab_hdr *prev = mem_free_belowl(pool, a), *h;
	int err = mem_free_refusedl(pool, prev, prev != NULL ? prev->next : pool->freelist, a, n);

	if (err != HEAPLAB_OK)
		return HEAPLAB_OK;
	if ((err = pend_overlapl(pool, a, n)) != HEAPLAB_OK)
		return err;
	h = (struct heaplab_hdr *)a;
	h->next = pool->pending;
	h->size = n;
	pool->pending = h;
	pool->npending += n;
	return PEND_OK;
}

// unpendl takes [a, a+n) off the pending list and clears its header: the
// range is zero again from its first byte, ready for mem_freel.
static void unpendl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	struct heaplab_hdr **q;

	for (q = &pool->pending; *q != NULL && (uintptr_t)*q != a; q = &(*q)->next)
		;
	if (*q == NULL || (*q)->size != n)
		heaplab_fail(pool, "heaplab_free: a pending free is no longer listed");
	*q = (*q)->next;
	pool->npending -= n;
	memset((void *)a, 0, HDR);
}

// mem_zero_markedl is mem_zero_freedl when prezeroed is set: the first
// free a pool makes asks (prezeroed == ZERO_PROBE) whether its mem_freel
// zeroes through mem_zero_freedl, as mem/free.c's does: only then does
// heaplab_free zero outside the lock, so that a lab's mem_freel that
// forgets to zero is not covered for by heaplab_free. Else prezeroed is
// the range heaplab_free zeroed already, with the lock released.
void mem_zero_markedl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	if (pool->prezeroed == ZERO_PROBE) {
		pool->zerohook = 1;
		pool->prezeroed = 0;
	} else if (pool->prezeroed == a && a != 0) {
		pool->prezeroed = 0;
		return;
	}
	memset((void *)a, 0, n);
}

// checkl_or_fail runs the check, its scan of free bytes limited to budget
// (UINTPTR_MAX: all of them), and stops in heaplab_fail if it finds
// something broken.
static void checkl_or_fail(struct heaplab_pool *pool, uintptr_t budget)
{
	struct heaplab_fault f;
	char msg[200];

	if (mem_check_scanl(pool, &f, budget) == HEAPLAB_OK)
		return;
	heaplab_fault_format(pool, &f, msg, sizeof msg);
	heaplab_fail(pool, msg);
}

// check_or_fail runs it after an operation, if the pool is checking.
// Its scan for nonzero free bytes is bounded (HEAPLAB_CHECK_SCAN), so that
// the check's time under the lock does not grow with the heap.
static void check_or_fail(struct heaplab_pool *pool)
{
	if (HEAPLAB_DEBUG && pool->checking)
		checkl_or_fail(pool, HEAPLAB_CHECK_SCAN);
}

// heaplab_check_or_fail runs the full check under the lock, whatever the
// switches say, and stops in heaplab_fail on a failure.
void heaplab_check_or_fail(struct heaplab_pool *pool)
{
	heaplab_lock(pool);
	checkl_or_fail(pool, UINTPTR_MAX);
	heaplab_unlock(pool);
}

// allocl is heaplab_alloc's work under the lock: mem_allocl, with the
// diagnostics kept here, so that a lab's mem_allocl need not know them.
// *fresh_n is what the caller zeroes at the answer once the lock is
// released: a growth that is all of the answer. Inlined into both callers:
// a call of its own, its registers saved and restored, cost an unchecked
// build more than its bookkeeping does.
static inline __attribute__((always_inline)) void *allocl(struct heaplab_pool *pool, uintptr_t n,
							  uintptr_t *fresh_n)
{
	uintptr_t fresh;
	void *v;

	pool->fresh = FRESH_DEFER;
	v = mem_allocl(pool, n);
	fresh = pool->fresh;
	pool->fresh = 0;
	*fresh_n = 0;
	// FRESH_DEFER: no growth; pool->fresh_zero: the break's bytes come zero.
	if (__builtin_expect(fresh != FRESH_DEFER, 0) && !pool->fresh_zero) {
		if (fresh != (uintptr_t)v) // a lab's alloc kept it
			memset((void *)fresh, 0, pool->fresh_n);
		else
			*fresh_n = pool->fresh_n; // the answer is all of it: zeroed by the caller
	}
	if (n > pool->peak_request)
		pool->peak_request = n;
	if (pool->inuse > pool->peak_inuse)
		pool->peak_inuse = pool->inuse;
	if (__builtin_expect(v == NULL, 0)) {
		if (n != 0)
			pool->refused++;
	} else if (pool->track != NULL) {
		mem_track_allocl(pool, (uintptr_t)v, n);
	}
	return v;
}

// heaplab_alloc is allocl under the pool's lock, checked.
void *heaplab_alloc(struct heaplab_pool *pool, uintptr_t n)
{
	uintptr_t fresh_n;
	void *v;

	heaplab_lock(pool);
	v = allocl(pool, n, &fresh_n);
	check_or_fail(pool);
	heaplab_unlock(pool);
	if (fresh_n != 0)
		memset(v, 0, fresh_n); // the caller's alone: no lock needed
	return v;
}

// heaplab_alloc_bulk is count heaplab_allocs in a row under one hold of
// the lock (a per-CPU cache's refill: one acquire instead of count), the
// check run once at the end: the same answers, in the same order, as the
// single calls would give.
uintptr_t heaplab_alloc_bulk(struct heaplab_pool *pool, uintptr_t n, void **out, uintptr_t count)
{
	uintptr_t fresh_n[HEAPLAB_ALLOC_BULK_MAX], i, got = 0;

	if (count == 0 || count > HEAPLAB_ALLOC_BULK_MAX || n == 0)
		return 0;
	heaplab_lock(pool);
	while (got < count && (out[got] = allocl(pool, n, &fresh_n[got])) != NULL)
		got++;
	check_or_fail(pool);
	heaplab_unlock(pool);
	for (i = 0; i < got; i++)
		if (fresh_n[i] != 0)
			memset(out[i], 0, fresh_n[i]);
	return got;
}

// heaplab_free is the checking free: mem_freel under the lock; it answers the
// error instead of stopping, for tests and the replay tool. A tracked pool
// first refuses a free that is not exactly one allocation (mem/track.c).
int heaplab_free(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	uintptr_t a = (uintptr_t)p, r;
	int err = HEAPLAB_OK;

	heaplab_lock(pool);
	if (pool->track != NULL && (err = mem_track_freel(pool, a, n)) != HEAPLAB_OK)
		goto out;
	// mem_free_argsl's checks, made here only to choose the way: mem_freel
	// makes them again and refuses what they fail. Once the probe has
	// answered yes (zerohook > 0), a range of at most HEAPLAB_ZERO_LOCKED
	// bytes, most frees, goes straight to mem_freel: r > HEAPLAB_ZERO_LOCKED
	// is also r != 0, so only a larger one needs the pointer's checks.
	if (__builtin_expect(pool->zerohook > 0, 1)) {
		r = mem_round(pool, n);
		if (r > HEAPLAB_ZERO_LOCKED && a != 0 && (a & (pool->granule - 1)) == 0) {
			err = pend_freel(pool, a, r);
			if (err != PEND_OK && err != HEAPLAB_OK) // it overlaps a pending free
				goto out;
			if (err == PEND_OK) { // listed: zero it with the lock released
				heaplab_unlock(pool);
				memset((void *)(a + HDR), 0, r - HDR);
				heaplab_lock(pool);
				unpendl(pool, a, r);
				pool->prezeroed = a;
			}
		}
		err = mem_freel(pool, p, n);
		pool->prezeroed = 0;
	} else {
		r = mem_round(pool, n);
		if (pool->zerohook == 0 && a != 0 && r != 0 && (a & (pool->granule - 1)) == 0)
			pool->prezeroed = ZERO_PROBE; // does this mem_freel zero through the hook?
		err = mem_freel(pool, p, n);
		if (err == HEAPLAB_OK && pool->prezeroed == ZERO_PROBE) // it did not: a lab's
			pool->zerohook = -1;
		pool->prezeroed = 0;
	}
	if (err == HEAPLAB_OK && pool->track != NULL)
		mem_track_releasel(pool, a, n);
out:
	check_or_fail(pool);
	heaplab_unlock(pool);
	return err;
}

void heaplab_diagnose(struct heaplab_pool *pool, struct heaplab_diag *d)
{
	heaplab_lock(pool);
	d->capacity = pool->end - pool->start;
	d->taken = pool->taken;
	d->inuse = pool->inuse;
	d->peak_inuse = pool->peak_inuse;
	d->peak_request = pool->peak_request;
	d->refused = pool->refused;
	d->nregion = pool->nregion;
	heaplab_unlock(pool);
}

// heaplab_fail stops the machine with msg. Every failed check and every
// refused sys_free ends here: `break heaplab_fail` in gdb catches them all.
// Without a panic hook it traps.
void heaplab_fail(struct heaplab_pool *pool, const char *msg)
{
	if (pool->ops->panic != NULL)
		pool->ops->panic(msg);
	__builtin_trap();
}
