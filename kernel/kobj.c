// SPDX-License-Identifier: BSD-3-Clause
// The image's malloc: the objects layer (objects/) on a heaplab pool of its
// own, and newlib's allocation functions, the reentrant ones newlib calls
// inside (printf's buffers, dtoa's numbers) and the plain names, over it.
// So every allocation in the image comes from heaplab pages.
// NEWLIB_MALLOC=1 (make NEWLIB_MALLOC=1) leaves the names to newlib's own
// malloc, for comparison; the heap below exists in both builds.
//
// Its own pool. The objects layer's check holds the pool's bytes in use
// against its own (spans + large objects + page map + store == in use),
// so it must be its pool's only client: sharing mempool with sys_alloc
// would break that rule, and each layer's check could no longer tell a
// leak from the other's blocks. kobj_pool is a second client of the break,
// as newlib's malloc was and the self-test's scratch pools are: over the
// whole heap, taking pages through the brk trap as it needs them, so the
// memory moves between it and mempool as either frees; the two pools'
// regions interleave and neither can free the other's pages (HEAPLAB_ENOTOWN).
// The page map, 8 bytes per page of [_heap_start, _heap_end) (128 KiB
// on a 64 MiB heap, 32-bit images too), is its first allocation.
//
// A pool records HEAPLAB_NREGION regions: each growth that does not start
// where its last region ends opens one, and with two clients taking the
// break by turns, a page at a time, kobj_pool ran out of regions with a
// few MiB taken (the per-CPU caches, holding a span per class per CPU,
// made it grow more often). So its break (kobj_sbrk) takes the break in
// steps, KOBJ_GROW or half of what it took so far if more (so the steps
// grow geometrically: sixteen regions hold far more than the heap), and
// hands the pool pieces of the step in order: the pool's growths are
// contiguous within a step. A growth larger than the step's rest extends
// the step if the break is still at its end; else the rest stays unused;
// kobj_brk_bytes counts every byte the steps took, for the leak check.
//
// Locks: the layer's HOBJ_NLOCK locks (a class's, large objects', the span
// records') and the pool's own are kernel spinlocks, interrupts off while
// held, so an interrupt handler could malloc; none does. Order: a class's,
// the large lock, the store's, kobj_pool's, then kbrk_lock. lockstat
// reports the layer's locks as three rows, so that a contended one shows:
// "objects classes" (the sums of the class locks), "objects large" and
// "objects store".
//
// Per-CPU caches (objects/cache.c): each CPU has a cache, kobj_caches[id],
// which owns the spans it takes objects from and takes objects of them
// back with no lock. kobj_cache_enter turns interrupts off on the CPU
// (push_off) and answers its cache, kobj_cache_leave turns them back on:
// nothing else runs on the CPU meanwhile, so the cache is the CPU's
// alone; the stretch is O(1) but for a refill, which takes the class lock. malloc and free
// (and newlib's _malloc_r, _free_r) try the cache alone first, with no
// call through kobj_ops (fast_malloc, fast_free); calloc, realloc and the
// aligned ones take the whole path, on the same cache. An object freed on
// another CPU goes on its span's remote list under the class lock. The
// caches are on (kobj_caching) but in the SMP stress without --pcp, whose
// malloc then takes the class locks every time, as the lock lab's "before"
// (kernel/main.c's run_smp).
//
// Large objects' per-CPU stash (with the page caches on, pcp_on: --pcp).
// A large object (over HOBJ_MAX_SMALL) takes the large lock and the pool's
// lock at its malloc and again at its free, on every CPU, and no span
// cache covers it. So, as the page caches keep runs, each CPU keeps large
// objects of up to KOBJ_STASH_PAGES pages that free gave it, one list per
// length, at most KOBJ_STASH_MAX bytes, interrupts off meanwhile (the
// stash is the CPU's alone: no lock, no stealing); malloc and calloc take
// the shortest one of their length to half as long again (calloc zeroes
// it, with interrupts on). A stashed object is still in use as far as the objects layer knows
// (its page map marks it large, the pool counts its pages): the layer's
// check balances, and `heap spans` lists it. free refuses one this CPU's
// stash holds already; one that two stashes held is refused when they give
// it back (kobj_stash_flush, which stops the machine then). The stash is
// off but for --pcp, and flushed when the SMP stress ends (each CPU its
// own, before the end's checks; kobj_set_caching, all of them).
#include "kmem.h"

#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HOBJ_FAST_SETTLE 0 // fast_free takes no lock (objects/fast.h)
#include "../objects/fast.h" // hobj_fast_malloc, hobj_fast_free, inlined

#ifndef NEWLIB_MALLOC
#define NEWLIB_MALLOC 0
#endif

struct heaplab_pool kobj_pool; // the objects layer's pages
uintptr_t kobj_brk_bytes;      // bytes kobj_pool's break took from the break
struct hobj_heap kobj_heap;    // what malloc serves from
int kobj_ready;		       // kobj_heap is set up (read with acquire)

static struct spinlock kobj_pool_lock = SPINLOCK_INIT("objects pool");
static struct spinlock kobj_init_lock = SPINLOCK_INIT("objects init");
// Run-time locks (spin_init): 66 of them would fill lockstat's table of
// static locks; they are three rows there (lockstat_group).
static struct spinlock kobj_locks[HOBJ_NLOCK];
static struct hobj_cache kobj_caches[NCPU];
static int kobj_caching = 1; // read with no lock: changed while one CPU runs
#if !NEWLIB_MALLOC
static uintptr_t stash_flush(int cpu);
#endif

static void kobj_lock(struct hobj_heap *heap, unsigned lk)
{
	spin_lock(&((struct spinlock *)heap->lockarg)[lk]);
}

static void kobj_unlock(struct hobj_heap *heap, unsigned lk)
{
	spin_unlock(&((struct spinlock *)heap->lockarg)[lk]);
}

// kobj_holding asks with interrupts off, as spin_holding wants.
static int kobj_holding(struct hobj_heap *heap, unsigned lk)
{
	int h;

	push_off();
	h = spin_holding(&((struct spinlock *)heap->lockarg)[lk]);
	pop_off();
	return h;
}

static __attribute__((noreturn)) void kobj_panic(const char *msg)
{
	panic("%s", msg);
}

static struct hobj_cache *kobj_cache_enter(struct hobj_heap *heap)
{
	(void)heap;
	if (!kobj_caching)
		return NULL;
	push_off();
	return &kobj_caches[mycpu()->id];
}

static void kobj_cache_leave(struct hobj_heap *heap, struct hobj_cache *cache)
{
	(void)heap, (void)cache;
	pop_off();
}

#define KOBJ_GROW (256u << 10)
static uintptr_t kobj_step, kobj_step_end; // the step's unused rest (kobj_pool's lock)
static struct heaplab_ops kobj_pool_ops;   // kmem_ops, but the break

// kobj_sbrk answers n bytes (granule-aligned, as kbrk_sbrk_raw does) at or
// after lo, ending by hi: the step's next ones if they fit, else from a
// new step of KOBJ_GROW (or n, if more, or if the break has no room for
// a step). Called with kobj_pool's lock held.
static uintptr_t kobj_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	uintptr_t a, want = kobj_brk_bytes / 2 > KOBJ_GROW ? kobj_brk_bytes / 2 : KOBJ_GROW;

	if (want < n)
		want = n;
	if (kobj_step >= lo && kobj_step_end - kobj_step < n && kobj_step_end <= hi &&
	    hi - kobj_step_end >= want &&
	    kbrk_sbrk_raw(want, align, kobj_step_end, kobj_step_end + want) == kobj_step_end) {
		kobj_brk_bytes += want; // the break was still at the step's end
		kobj_step_end += want;
	}
	if (kobj_step < lo || kobj_step_end - kobj_step < n || n > hi - kobj_step) {
		a = kbrk_sbrk_raw(want, align, lo, hi);
		if (a == HEAPLAB_BRK_FAIL && want > n)
			a = kbrk_sbrk_raw(want = n, align, lo, hi);
		if (a == HEAPLAB_BRK_FAIL)
			return HEAPLAB_BRK_FAIL;
		kobj_brk_bytes += want;
		kobj_step = a;
		kobj_step_end = a + want;
	}
	a = kobj_step;
	kobj_step += n;
	return a;
}

static const struct hobj_ops kobj_ops = {
    .lock = kobj_lock,
    .unlock = kobj_unlock,
    .holding = kobj_holding,
    .panic = kobj_panic,
    .cache_enter = kobj_cache_enter,
    .cache_leave = kobj_cache_leave,
};

// kobj_init sets the heap up, once, at the first malloc or at boot
// (kmain), whichever comes first: the trace bench callocs before kmain
// sets up mempool.
void kobj_init(void)
{
	unsigned k;
	int err;

	if (__atomic_load_n(&kobj_ready, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&kobj_init_lock);
	if (!kobj_ready) {
		for (k = 0; k < HOBJ_NLOCK; k++)
			spin_init(&kobj_locks[k], k == HOBJ_LOCK_LARGE	 ? "objects large"
						  : k == HOBJ_LOCK_STORE ? "objects store"
									 : "objects class");
		kmem_pool_init(&kobj_pool, &kobj_pool_lock, (uintptr_t)_heap_start,
			       (uintptr_t)_heap_end, PAGE_SIZE);
		kobj_pool_ops = kmem_ops;
		kobj_pool_ops.sbrk = kobj_sbrk;
		kobj_pool.ops = &kobj_pool_ops;
		err = hobj_init(&kobj_heap, &kobj_pool, &kobj_ops, kobj_locks);
		if (err != HOBJ_OK)
			panic("objects: hobj_init: %s", hobj_strerror(err));
		// no parking: the stress mallocs every class on every CPU, and a
		// spare passed from class to class took the objects pool's lock
		// 20,249 times in a --smp 4 --pcp run, against 1,072 without
		kobj_heap.park_above = UINTPTR_MAX;
		for (k = 0; k < NCPU; k++)
			hobj_cache_init(&kobj_heap, &kobj_caches[k], (long)k);
		lockstat_group(&kobj_locks[1], HOBJ_NCLASS - 1, "objects classes");
		lockstat_group(&kobj_locks[HOBJ_LOCK_LARGE], 1, "objects large");
		lockstat_group(&kobj_locks[HOBJ_LOCK_STORE], 1, "objects store");
		__atomic_store_n(&kobj_ready, 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&kobj_init_lock);
}

// kobj_mark is where a debugger stops to see the heap with objects of
// every class live (the self-test case objects calls it; tests/test_gdb.py
// and docs/gdb.md break there).
void __attribute__((noinline)) kobj_mark(void)
{
	__asm__ volatile("" : : : "memory");
}

// kobj_check_or_fail runs the layer's full check and stops on a failure,
// as heaplab_check_or_fail does for a pool.
void kobj_check_or_fail(void)
{
	struct hobj_fault f;
	char msg[200];

	kobj_init();
	if (hobj_check(&kobj_heap, &f) == HOBJ_OK)
		return;
	hobj_fault_format(&f, msg, sizeof msg);
	panic("objects: check failed: %s", msg);
}

// kobj_set_checking sets the run-time check switches of the heap and of
// its pool (each span taken or given back is a pool operation, checked
// after it in a checked build) and answers the heap's old one. The heap's
// is read with no lock: set it while no other CPU allocates (before and
// after the SMP stress).
int kobj_set_checking(int on)
{
	int was;

	kobj_init();
	was = kobj_heap.checking;
	kobj_heap.checking = on;
	kmem_set_checking(&kobj_pool, on);
	return was;
}

// kobj_set_caching turns the per-CPU caches on or off and answers whether
// they were on; turning them off gives every cache's spans back to the
// classes. Called while no other CPU allocates (before and after the SMP
// stress): it flushes the other CPUs' caches for them.
int kobj_set_caching(int on)
{
	int was, k;

	kobj_init();
	was = kobj_caching;
#if !NEWLIB_MALLOC
	for (k = 0; k < NCPU; k++) // the stashes are on only while the caches are
		stash_flush(k);
#endif
	if (!on)
		for (k = 0; k < NCPU; k++)
			hobj_cache_flush(&kobj_heap, &kobj_caches[k]);
	kobj_caching = on;
	return was;
}

#if !NEWLIB_MALLOC
static struct hobj_heap *heap(void)
{
	if (!__atomic_load_n(&kobj_ready, __ATOMIC_ACQUIRE))
		kobj_init();
	return &kobj_heap;
}

#define KOBJ_STASH_PAGES 32	    // lengths kept: 1..32 pages (the stress's are 9..24)
#define KOBJ_STASH_MAX	 (1u << 20) // bytes one CPU keeps

struct kobj_stash {
	void *list[KOBJ_STASH_PAGES + 1]; // by pages; [0] unused; linked through
					  // each object's first word
	uintptr_t bytes;
	unsigned long hits, misses, kept, spilled;
};

static struct kobj_stash kobj_stashes[NCPU]; // each CPU's, interrupts off

static int stash_ok(void)
{
	return __atomic_load_n(&pcp_on, __ATOMIC_RELAXED) && kobj_caching &&
	       __atomic_load_n(&kobj_ready, __ATOMIC_ACQUIRE);
}

// stash_pages answers the length of n bytes in pages if the stash keeps
// it (a large object of at most KOBJ_STASH_PAGES pages), else 0.
static uintptr_t stash_pages(uintptr_t n)
{
	uintptr_t r;

	if (n <= HOBJ_MAX_SMALL)
		return 0;
	r = heaplab_round(&kobj_pool, n) >> kobj_heap.shift;
	return r <= KOBJ_STASH_PAGES ? r : 0;
}

// stash_malloc answers a stashed large object for n bytes (its first n
// zeroed if zero) from this CPU's stash, else NULL: the objects layer's
// turn. The shortest one of n's length to half as long again: a large
// object longer than asked is a malloc's as much as one of the layer's
// (malloc_usable_size says so), and the stress's lengths are spread over
// 16 values, so an exact fit alone missed every other time.
static void *stash_malloc(size_t n, int zero)
{
	uintptr_t k, j, top, irq;
	struct kobj_stash *st;
	void **p = NULL;

	if (!stash_ok() || (k = stash_pages(n)) == 0)
		return NULL;
	top = k + k / 2 < KOBJ_STASH_PAGES ? k + k / 2 : KOBJ_STASH_PAGES;
	irq = arch_irq_save();
	st = &kobj_stashes[arch_cpu_id()];
	for (j = k; j <= top && p == NULL; j++)
		if ((p = st->list[j]) != NULL) {
			st->list[j] = *p;
			st->bytes -= j << kobj_heap.shift;
		}
	if (p != NULL)
		st->hits++;
	else
		st->misses++;
	arch_irq_restore(irq);
	if (p != NULL)
		*p = NULL; // the link
	if (p != NULL && zero)
		memset(p, 0, n);
	return p;
}

// stash_free keeps the large object at p in this CPU's stash: 1 if it did,
// 0 if the objects layer is to have it (not a large object's head, too
// long, or the stash full; the layer refuses a bad pointer in its words).
// The page map entry of an object the caller owns does not change under
// it, so it is read with no lock.
static int stash_free(void *p)
{
	uintptr_t a = (uintptr_t)p, e, k, irq;
	struct kobj_stash *st;
	void **q;
	int kept = 0;

	if (p == NULL || !stash_ok() || a < kobj_heap.start || a >= kobj_heap.end ||
	    (a & ((1ul << kobj_heap.shift) - 1)) != 0)
		return 0;
	e = __atomic_load_n(&kobj_heap.pagemap[(a - kobj_heap.start) >> kobj_heap.shift],
			    __ATOMIC_RELAXED);
	k = e >> 2;
	if ((e & (HOBJ_PM_LARGE | HOBJ_PM_TAIL)) != HOBJ_PM_LARGE || k == 0 || k > KOBJ_STASH_PAGES)
		return 0;
	irq = arch_irq_save();
	st = &kobj_stashes[arch_cpu_id()];
	for (q = st->list[k]; q != NULL; q = *q)
		if (q == p)
			panic("free(%p): double free (the large object is in cpu %d's stash)", p,
			      arch_cpu_id());
	if (st->bytes + (k << kobj_heap.shift) <= KOBJ_STASH_MAX) {
		*(void **)p = st->list[k];
		st->list[k] = p;
		st->bytes += k << kobj_heap.shift;
		st->kept++;
		kept = 1;
	} else
		st->spilled++;
	arch_irq_restore(irq);
	return kept;
}

// stash_flush gives every object of cpu's stash back to the objects
// layer; an object it refuses (one two stashes held) stops the machine.
// Called on cpu itself, or while no CPU allocates. Answers the bytes.
static uintptr_t stash_flush(int cpu)
{
	struct kobj_stash *st = &kobj_stashes[cpu];
	uintptr_t k, n = 0, irq;
	struct hobj_fault f;
	char msg[200];
	void **p;
	int err;

	for (k = 1; k <= KOBJ_STASH_PAGES; k++)
		for (;;) {
			irq = arch_irq_save();
			p = st->list[k];
			if (p != NULL) {
				st->list[k] = *p;
				st->bytes -= k << kobj_heap.shift;
			}
			arch_irq_restore(irq);
			if (p == NULL)
				break;
			*p = NULL;
			err = hobj_objfree(&kobj_heap, p, &f);
			if (err != HOBJ_OK) {
				hobj_fault_format(&f, msg, sizeof msg);
				panic("objects: a stashed large object given back twice: %s", msg);
			}
			n += k << kobj_heap.shift;
		}
	return n;
}

// fast_malloc and fast_free are malloc's and free's common case on the
// CPU's cache alone (hobj_fast_malloc, hobj_fast_free: no lock, no call
// through ops), interrupts off meanwhile, so the cache is this CPU's alone
// as kobj_cache_enter makes it. Off with arch_irq_save, not push_off:
// nothing in between takes a lock or calls pop_off, so push_off's nesting
// count has nothing to do, and the pair costs a third of push_off and
// pop_off. NULL or 0, nothing changed: the whole path, hobj_malloc or
// hobj_free, with interrupts as they were: a refill, a large object (its
// pages are not zeroed with them off), another CPU's object, a bad pointer
// (refused there, with its message), a heap not set up yet, caches off, or
// a checked build with the check on, whose every operation must run the
// layer's check (objects/fast.h leaves that test to its consumer).
static int fast_ok(void)
{
	return kobj_caching && __atomic_load_n(&kobj_ready, __ATOMIC_ACQUIRE) &&
	       !(HOBJ_DEBUG && kobj_heap.checking);
}

static void *fast_malloc(size_t n)
{
	uintptr_t irq;
	void *p;

	if (n > HOBJ_MAX_SMALL || !fast_ok())
		return NULL;
	irq = arch_irq_save();
	p = hobj_fast_malloc(&kobj_heap, &kobj_caches[arch_cpu_id()], n);
	arch_irq_restore(irq);
	return p;
}

static int fast_free(void *p)
{
	uintptr_t irq;
	int done;

	if (p == NULL || !fast_ok())
		return 0;
	irq = arch_irq_save();
	done = hobj_fast_free(&kobj_heap, &kobj_caches[arch_cpu_id()], p);
	arch_irq_restore(irq);
	return done;
}

// newlib's names. objects/malloc.c sets errno, which is _REENT's; a call
// with another reent gets its errno copied there.
#define RE(r, call)                                                                                \
	do {                                                                                       \
		int e0 = errno;                                                                    \
		call;                                                                              \
		if ((r) != NULL && (r) != _REENT && errno != e0)                                   \
			(r)->_errno = errno;                                                       \
	} while (0)

void *_malloc_r(struct _reent *r, size_t n)
{
	void *p = fast_malloc(n);

	if (p == NULL)
		p = stash_malloc(n, 0);
	if (p == NULL)
		RE(r, p = hobj_malloc(heap(), n));
	return p;
}

void _free_r(struct _reent *r, void *p)
{
	(void)r;
	if (!fast_free(p) && !stash_free(p))
		hobj_free(heap(), p);
}

void *_calloc_r(struct _reent *r, size_t nmemb, size_t size)
{
	void *p = size != 0 && nmemb <= SIZE_MAX / size ? stash_malloc(nmemb * size, 1) : NULL;

	if (p == NULL)
		RE(r, p = hobj_calloc(heap(), nmemb, size));
	return p;
}

void *_realloc_r(struct _reent *r, void *p, size_t n)
{
	void *q;

	RE(r, q = hobj_realloc(heap(), p, n));
	return q;
}

void *_memalign_r(struct _reent *r, size_t align, size_t n)
{
	void *p;

	RE(r, p = hobj_memalign(heap(), align, n));
	return p;
}

void *_valloc_r(struct _reent *r, size_t n)
{
	void *p;

	RE(r, p = hobj_valloc(heap(), n));
	return p;
}

void *_pvalloc_r(struct _reent *r, size_t n)
{
	void *p;

	RE(r, p = hobj_pvalloc(heap(), n));
	return p;
}

size_t _malloc_usable_size_r(struct _reent *r, void *p)
{
	(void)r;
	return hobj_malloc_usable_size(heap(), p);
}

// _malloc_trim_r: spans and large objects go back to the pool as they
// empty; there is nothing to trim.
int _malloc_trim_r(struct _reent *r, size_t pad)
{
	(void)r, (void)pad;
	return 0;
}

void *malloc(size_t n)
{
	void *p = fast_malloc(n);

	if (p == NULL)
		p = stash_malloc(n, 0);
	return p != NULL ? p : hobj_malloc(heap(), n);
}

void free(void *p)
{
	if (!fast_free(p) && !stash_free(p))
		hobj_free(heap(), p);
}

void *calloc(size_t nmemb, size_t size)
{
	void *p = size != 0 && nmemb <= SIZE_MAX / size ? stash_malloc(nmemb * size, 1) : NULL;

	return p != NULL ? p : hobj_calloc(heap(), nmemb, size);
}

void *realloc(void *p, size_t n)
{
	return hobj_realloc(heap(), p, n);
}

void *memalign(size_t align, size_t n)
{
	return hobj_memalign(heap(), align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	return hobj_aligned_alloc(heap(), align, n);
}

int posix_memalign(void **pp, size_t align, size_t n)
{
	return hobj_posix_memalign(heap(), pp, align, n);
}

void *valloc(size_t n)
{
	return hobj_valloc(heap(), n);
}

void *pvalloc(size_t n)
{
	return hobj_pvalloc(heap(), n);
}

size_t malloc_usable_size(void *p)
{
	return hobj_malloc_usable_size(heap(), p);
}

int malloc_trim(size_t pad)
{
	(void)pad;
	return 0;
}
#endif

// kobj_stash_flush gives this CPU's stashed large objects back (its end of
// the SMP stress). Answers the bytes; none with NEWLIB_MALLOC (no stash).
uintptr_t kobj_stash_flush(void)
{
#if NEWLIB_MALLOC
	return 0;
#else
	uintptr_t irq = arch_irq_save();
	int cpu = arch_cpu_id();

	arch_irq_restore(irq);
	return stash_flush(cpu);
#endif
}

// kobj_stash_report prints what the stashes did (the SMP stress, --pcp).
void kobj_stash_report(void)
{
#if !NEWLIB_MALLOC
	int cpu;

	for (cpu = 0; cpu < NCPU; cpu++)
		if (kobj_stashes[cpu].hits + kobj_stashes[cpu].misses + kobj_stashes[cpu].kept > 0)
			kprintf("large %d: %lu large objects from the stash, %lu from the objects "
				"layer; %lu frees kept, %lu to the layer (stash full)\n",
				cpu, kobj_stashes[cpu].hits, kobj_stashes[cpu].misses,
				kobj_stashes[cpu].kept, kobj_stashes[cpu].spilled);
#endif
}
