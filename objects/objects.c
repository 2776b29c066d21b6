// SPDX-License-Identifier: BSD-3-Clause
// The objects layer: size classes served from spans of heaplab pages, a
// central list per class, large objects as page runs, and the page map that
// finds any pointer's span in O(1). The shape of Go's mcentral and mspan.
//
// Theory of operation
//
//   Three levels, one structure each:
//     pool      heaplab's pages (include/heaplab.h), under the pool's lock;
//     page map  one word per page of the pool: the span record that holds
//               the page, a large object's page, or 0;
//     classes   per class, under its own lock: the spans with a free object,
//               and a list of every span of the class.
//
//     pool:  | page map | store | span c5 | large object | span c1 | free |
//     map:   |    0     |   0   | s5 | s5 | 1|n | 3|1 |... |   s1    |  0   |
//
//   The page map and the store of span records are the heap's own pages,
//   taken at init and as records run out; records never go back (as Go's
//   fixalloc), pages of spans and large objects do.
//
//   malloc(n <= 32 KiB): class c of n; lock c; the first span of c's list
//   (or a new one from the pool) gives its free list's head, or else its
//   next never-handed-out object; set the object's in-use bit; a span now
//   full leaves the list. malloc(n > 32 KiB): pages from the pool, their
//   page map entries saying how many.
//
//   free(p): the page map names p's span without a lock (a live object's
//   page stays its span's); lock the span's class; refuse p unless it is
//   an object's start and its bit is set, before changing anything; clear
//   the bit and push p; a full span rejoins the list; a span that empties
//   goes back to the pool unless it is the list's only span.
//
//   Zero. The pool hands out zeroed pages (heaplab zeroes on free), so an
//   object a span never handed out is zero: calloc skips its memset. A
//   freed object is not zeroed (that would cost every free its size for a
//   promise malloc does not make); calloc clears one that comes off a free
//   list. The check reads every never-handed-out object as zero.
//
//   Caches. With a consumer's caches (ops->cache_enter), a small malloc
//   and a free of an object of a span the caller's cache owns take no
//   lock: objects/cache.c. The paths here are then the central ones: a
//   cache's refill and flush, and the free of an object whose span is
//   central, or another cache's (onto its remote list).
//
//   Transit. No class lock and no large lock is held while the pool works
//   (heaplab_alloc and heaplab_free take the pool's lock, and zero pages):
//   a new span's record and pages are taken first, then the class lock
//   links them (page map, list, counts); a span that empties is unlinked
//   under the class lock and its pages go back once it is released; a
//   large object's pages likewise, under the large lock for its page map
//   entries alone. So a CPU that needs a class lock never waits for
//   another one's pool call (under --smp 4 the large lock's waits, most of
//   the layer's, were those). Meanwhile the pool counts bytes in use that
//   no span or large object holds: transit_bytes counts them (added before
//   the pool is asked, taken off under the lock that maps or after the
//   pool took them back), and the check holds the pool's bytes in use
//   between its own count and that plus transit_bytes (exact when nothing
//   is in flight: with one CPU or thread, after every operation). A
//   record taken from the store and not yet linked is in transit_records,
//   added under the store's lock and taken off under the class lock, so
//   the store's count stays exact. One CPU or thread asks the pool in the
//   order the seed's placement has always seen: a span's record, then its
//   pages.
//
//   Lock order: a class's lock, the large lock, the store's lock, the
//   pool's. The check takes them all in that order (classes ascending).
#define HOBJ_CLASS_TABLES
#include "internal.h"
#include "fast.h" // hobj_cache_free

// What the layer takes from the C library (a kernel's string.c has both).
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

static const struct hobj_ops no_ops;

#define lock	      hobj_lock
#define unlock	      hobj_unlock
#define assert_locked hobj_assert_locked
#define fault	      hobj_fault

void hobj_fail(struct hobj_heap *heap, const char *msg)
{
	if (heap->ops->panic != NULL)
		heap->ops->panic(msg);
	__builtin_trap();
}

unsigned hobj_class_of(size_t n)
{
	if (n <= 1024)
		return hobj_class_by16[(n + 15) >> 4];
	return hobj_class_by128[(n - 1024 + 127) >> 7];
}

static uintptr_t *pm_slot(const struct hobj_heap *h, uintptr_t a)
{
	return &h->pagemap[(a - h->start) >> h->shift];
}

int hobj_init(struct hobj_heap *heap, struct heaplab_pool *pool, const struct hobj_ops *ops,
	      void *lockarg)
{
	uintptr_t g = pool->granule, n;

	memset(heap, 0, sizeof *heap);
	heap->pool = pool;
	heap->ops = ops != NULL ? ops : &no_ops;
	heap->lockarg = lockarg;
	heap->checking = HOBJ_DEBUG;
	heap->park_above = HOBJ_SPARE_MIN;
	if (g < 64 || g > HOBJ_UNIT || (g & (g - 1)) != 0)
		return HOBJ_EGRANULE;
	while (((uintptr_t)1 << heap->shift) < g)
		heap->shift++;
	heap->start = pool->start;
	heap->end = pool->end;
	// HOBJ_PM_WORD bytes a page on every machine (a 32-bit one uses the
	// first half of each): the heap's pages lie alike on 32 and 64 bits.
	n = ((heap->end - heap->start) >> heap->shift) * HOBJ_PM_WORD;
	heap->pagemap = heaplab_alloc(pool, n); // zeroed: no page holds anything
	if (heap->pagemap == NULL)
		return HOBJ_ENOMEM;
	heap->pagemap_bytes = heaplab_round(pool, n);
	return HOBJ_OK;
}

// record_new answers an unused span record, carving a page of them from
// the pool when the store is empty (two pages if one holds no record); NULL
// if the pool has no page. A page holds as many records as HOBJ_RECORD_BYTES
// fit, on every machine, so that the store takes its pages at the same
// spans on 32 and 64 bits.
static struct hobj_span *record_new(struct hobj_heap *h)
{
	uintptr_t g = h->pool->granule, k;
	uintptr_t bytes = g < HOBJ_RECORD_BYTES ? heaplab_round(h->pool, HOBJ_RECORD_BYTES) : g;
	struct hobj_span *s;

	lock(h, HOBJ_LOCK_STORE);
	if (h->store == NULL) {
		s = heaplab_alloc(h->pool, bytes);
		for (k = 0; s != NULL && k < bytes / HOBJ_RECORD_BYTES; k++) {
			s[k].next = h->store;
			h->store = &s[k];
			h->nrecord++;
		}
		if (s != NULL)
			h->store_bytes += bytes;
	}
	s = h->store;
	if (s != NULL) {
		h->store = s->next;
		__atomic_fetch_add(&h->transit_records, 1, __ATOMIC_RELAXED);
	}
	unlock(h, HOBJ_LOCK_STORE);
	return s;
}

// record_put gives a record back to the store; transit says whether it
// was in transit (taken by record_new and never linked).
static void record_put(struct hobj_heap *h, struct hobj_span *s, int transit)
{
	lock(h, HOBJ_LOCK_STORE);
	s->next = h->store;
	h->store = s;
	if (transit)
		__atomic_fetch_sub(&h->transit_records, 1, __ATOMIC_RELAXED);
	unlock(h, HOBJ_LOCK_STORE);
}

// pool_take answers n bytes of the pool's, counted in transit until the
// caller maps them (or gives them back); NULL if the pool has none. No
// lock of the layer held.
static void *pool_take(struct hobj_heap *h, uintptr_t n)
{
	void *p;

	__atomic_fetch_add(&h->transit_bytes, n, __ATOMIC_RELAXED);
	p = heaplab_alloc(h->pool, n);
	if (p == NULL)
		__atomic_fetch_sub(&h->transit_bytes, n, __ATOMIC_RELAXED);
	return p;
}

void hobj_give_back(struct hobj_heap *h, struct hobj_gone *g)
{
	if (g->bytes == 0)
		return;
	if (heaplab_free(h->pool, (void *)g->base, g->bytes) != HEAPLAB_OK)
		hobj_fail(h, "hobj: the pool refused pages back");
	__atomic_fetch_sub(&h->transit_bytes, g->bytes, __ATOMIC_RELAXED);
	g->bytes = 0;
}

// gone unmaps nothing itself: it records [a, a + n), unmapped under a
// lock, as in transit until hobj_give_back.
static void gone(struct hobj_heap *h, struct hobj_gone *g, uintptr_t a, uintptr_t n)
{
	__atomic_fetch_add(&h->transit_bytes, n, __ATOMIC_RELAXED);
	*g = (struct hobj_gone){a, n};
}

void hobj_list_push(struct hobj_class *k, struct hobj_span *s)
{
	hobj_dl_push(&k->partial, s);
}

void hobj_list_remove(struct hobj_class *k, struct hobj_span *s)
{
	hobj_dl_remove(&k->partial, s);
}

// pm_set points the page map entries of [a, a + bytes) at v.
static void pm_set(struct hobj_heap *h, uintptr_t a, uintptr_t bytes, uintptr_t v)
{
	uintptr_t *e = pm_slot(h, a), k;

	for (k = 0; k < bytes >> h->shift; k++)
		e[k] = v;
}

struct hobj_span *hobj_span_fresh(struct hobj_heap *h, unsigned c)
{
	struct hobj_span *s = record_new(h);
	uintptr_t bytes = (uintptr_t)hobj_class_npages[c] * HOBJ_UNIT;
	void *base;

	if (s == NULL)
		return NULL;
	base = pool_take(h, bytes);
	if (base == NULL) {
		record_put(h, s, 1);
		return NULL;
	}
	memset(s, 0, sizeof *s);
	s->base = (uintptr_t)base;
	s->bytes = bytes;
	s->cls = (uint16_t)c;
	s->nobj = hobj_class_nobj[c];
	s->size = hobj_class_size[c];
	s->divmul = hobj_class_divmul[c];
	return s;
}

void hobj_span_linkl(struct hobj_heap *h, struct hobj_span *s)
{
	unsigned c = s->cls;

	assert_locked(h, c, "span_linkl: class lock not held");
	pm_set(h, s->base, s->bytes, (uintptr_t)s);
	h->class[c].nspan++;
	s->cprev = NULL;
	s->cnext = h->class[c].spans;
	if (s->cnext != NULL)
		s->cnext->cprev = s;
	h->class[c].spans = s;
	hobj_list_push(&h->class[c], s);
	__atomic_fetch_sub(&h->transit_bytes, s->bytes, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&h->transit_records, 1, __ATOMIC_RELAXED);
}

void hobj_span_releasel(struct hobj_heap *h, struct hobj_span *s, struct hobj_gone *g)
{
	struct hobj_class *k = &h->class[s->cls];

	assert_locked(h, s->cls, "span_releasel: class lock not held");
	hobj_list_remove(k, s);
	k->nspan--;
	if (s->cprev != NULL)
		s->cprev->cnext = s->cnext;
	else
		k->spans = s->cnext;
	if (s->cnext != NULL)
		s->cnext->cprev = s->cprev;
	s->cnext = s->cprev = NULL;
	pm_set(h, s->base, s->bytes, 0);
	gone(h, g, s->base, s->bytes);
	record_put(h, s, 0);
}

// small_alloc answers an object of class c, or NULL: from the caller's
// cache if it has one, else from the central list.
static void *small_alloc(struct hobj_heap *h, unsigned c, int *zero)
{
	struct hobj_cache *cache = hobj_cache_enter(h);
	struct hobj_class *k = &h->class[c];
	struct hobj_span *s;
	void *p;

	if (cache != NULL) {
		p = hobj_cache_obj(h, cache, c, zero);
		hobj_cache_leave(h, cache);
		return p;
	}
	lock(h, c);
	if (k->partial == NULL) { // a new span, the pool asked with no lock held
		unlock(h, c);
		s = hobj_span_fresh(h, c);
		lock(h, c);
		if (s != NULL)
			hobj_span_linkl(h, s);
	}
	s = k->partial;
	if (s == NULL) {
		unlock(h, c);
		return NULL;
	}
	p = hobj_span_take(s, zero);
	k->inuse++;
	k->nalloc++;
	if (s->inuse == s->nobj)
		hobj_list_remove(k, s);
	unlock(h, c);
	return p;
}

// large_alloc answers bytes (a granule multiple) of fresh pages aligned to
// align, or NULL. A larger alignment than the granule takes align more
// bytes and gives back both ends. The pool is asked with no lock held; the
// large lock maps the pages.
static void *large_alloc(struct hobj_heap *h, uintptr_t bytes, uintptr_t align)
{
	uintptr_t g = h->pool->granule, extra = align > g ? align - g : 0, raw, a, k, npg;

	if (bytes == 0 || bytes > h->end - h->start || extra > h->end - h->start - bytes)
		return NULL;
	raw = (uintptr_t)pool_take(h, bytes + extra);
	if (raw == 0)
		return NULL;
	a = extra != 0 ? (raw + align - 1) & ~(align - 1) : raw;
	if ((a > raw && heaplab_free(h->pool, (void *)raw, a - raw) != HEAPLAB_OK) ||
	    (raw + bytes + extra > a + bytes &&
	     heaplab_free(h->pool, (void *)(a + bytes), raw + extra - a) != HEAPLAB_OK))
		hobj_fail(h, "hobj: the pool refused an aligned run's ends back");
	lock(h, HOBJ_LOCK_LARGE);
	__atomic_fetch_sub(&h->transit_bytes, bytes + extra, __ATOMIC_RELAXED);
	npg = bytes >> h->shift;
	*pm_slot(h, a) = (npg << 2) | HOBJ_PM_LARGE;
	for (k = 1; k < npg; k++)
		pm_slot(h, a)[k] = (k << 2) | HOBJ_PM_LARGE | HOBJ_PM_TAIL;
	h->large_bytes += bytes;
	h->nlarge++;
	h->large_nalloc++;
	unlock(h, HOBJ_LOCK_LARGE);
	return (void *)a;
}

static void check_after(struct hobj_heap *h);

void *hobj_objalloc(struct hobj_heap *heap, size_t n, size_t align, int *zero)
{
	unsigned c;
	int z = 1;
	void *p;

	if (align <= HOBJ_ALIGN && n <= HOBJ_MAX_SMALL) { // malloc's: every class is aligned
		p = small_alloc(heap, hobj_class_of(n), &z);
	} else if (n <= HOBJ_MAX_SMALL && align <= heap->pool->granule) {
		// a class whose every object is aligned: spans start on a granule
		for (c = hobj_class_of(n); hobj_class_size[c] & (align - 1); c++)
			;
		p = small_alloc(heap, c, &z);
	} else {
		p = large_alloc(heap, heaplab_round(heap->pool, n), align);
	}
	if (zero != NULL)
		*zero = z;
	check_after(heap);
	return p;
}

// What a pointer is, as the page map says: a small object's span, or the
// first page of a large object (lg set, its pages in npg).
struct where {
	struct hobj_span *s;
	uintptr_t lg, npg;
};

// locate reads p's page map entry and refuses what can be refused without
// a lock: outside the pool, a page that holds nothing, inside a large object.
static int locate(const struct hobj_heap *h, uintptr_t p, struct where *w, struct hobj_fault *f)
{
	uintptr_t e, page = p & ~(((uintptr_t)1 << h->shift) - 1), head;

	if (p < h->start || p >= h->end)
		return fault(f, HOBJ_EOUTSIDE, p, 0, h->start, h->end);
	e = *pm_slot(h, p);
	if (e == 0)
		return fault(f, HOBJ_EUNUSED, p, 0, page, 0);
	if (!(e & HOBJ_PM_LARGE)) {
		*w = (struct where){(struct hobj_span *)e, 0, 0};
		return HOBJ_OK;
	}
	head = e & HOBJ_PM_TAIL ? page - ((e >> 2) << h->shift) : page;
	if (p != head)
		return fault(f, HOBJ_EINTERIOR, p, head, head, 0);
	*w = (struct where){NULL, head, e >> 2};
	return HOBJ_OK;
}

// small_findl refuses p unless it is an in-use object of s, not on its
// remote list: hobj_find_live, after making sure s is still c's span.
// Class lock held; changes nothing.
static int small_findl(struct hobj_heap *h, struct hobj_span *s, unsigned c, uintptr_t p,
		       struct hobj_fault *f)
{
	assert_locked(h, c, "small_findl: class lock not held");
	if (s->cls != c || p - s->base >= s->bytes) // a span released under us
		return fault(f, HOBJ_EUNUSED, p, 0, p, 0);
	return hobj_find_live(s, p, f);
}

// small_freel gives back object p of span s, class c, its lock held:
// onto s's remote list if another cache owns s, else onto its free list.
static inline __attribute__((always_inline)) int
small_freel(struct hobj_heap *h, struct hobj_span *s, unsigned c, uintptr_t p, struct hobj_gone *g,
	    struct hobj_fault *f, int counted)
{
	struct hobj_class *k = &h->class[c];
	int err;

	assert_locked(h, c, "small_free: class lock not held");
	if (s->cls != c || p - s->base >= s->bytes) // a span released under us
		return fault(f, HOBJ_EUNUSED, p, 0, p, 0);
	if (hobj_owner(s) != NULL) // another cache's span
		return hobj_remote_freel(h, s, p, f);
	// still in the outbox of a cache that freed it while s was owned
	if (__atomic_load_n(&s->nremote, __ATOMIC_RELAXED) != 0 &&
	    (err = hobj_find_live(s, p, f)) != HOBJ_OK)
		return err;
	err = hobj_span_give(s, p, f);
	if (err != HOBJ_OK)
		return err;
	if (s->inuse + 1 == s->nobj) // was full: back on the list
		hobj_list_push(k, s);
	k->inuse--;
	if (!counted) // an outbox's object: its cache counted it
		k->nfree++;
	if (s->inuse == 0 && (k->partial != s || s->next != NULL))
		hobj_span_releasel(h, s, g);
	return HOBJ_OK;
}

// small_free gives back object p of span s: to the caller's cache with no
// lock if s is one of its spans, else under the class lock.
static int small_free(struct hobj_heap *h, struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	unsigned c = s->cls;
	struct hobj_gone g = {0, 0};
	struct hobj_cache *cache;
	int err;

	if (c == 0 || c >= HOBJ_NCLASS)
		return fault(f, HOBJ_EUNUSED, p, 0, p, 0);
	cache = hobj_cache_enter(h);
	err = hobj_cache_give(h, cache, s, p, f);
	if (err == HOBJ_NOTMINE) {
		lock(h, c);
		err = small_freel(h, s, c, p, &g, f, 0);
		unlock(h, c);
	}
	hobj_cache_leave(h, cache);
	hobj_give_back(h, &g);
	return err;
}

// The outbox. A free of an object of a span another cache owns takes the
// class lock to push the object on the span's remote list (cache.c). A
// thread that frees what others allocate (xthread: a consumer) took it
// at every free, and the free cost it 170 instructions. A consumer that
// opens its cache's outbox (hobj_outbox_open: the preload does; the
// image's CPUs do not) makes such a free with objects/fast.h's
// hobj_fast_remote instead: it claims the object with no lock, as the
// locked free would refuse it (p the start of an object in use), its
// remote bit set with one atomic read-modify-write that finds it clear (a
// second free finds it set, declines, and the locked path refuses it with
// its message); nremote counts it at once, so that the owner's fast free
// of it declines and its whole free refuses it (the remote bit). The
// object then waits in the cache's outbox of its class, threaded through
// its first word, its span in its second (the flush takes it from there,
// not from the page map again), and outbox_cap[c] of them (HOBJ_OUTBOX_BYTES, at most
// HOBJ_OUTBOX_MAX) go to their spans' remote lists under one hold of the
// class lock (hobj_outbox_flushl), as do the rest when the cache takes
// that lock to refill or flushes. Classes of more than half
// HOBJ_OUTBOX_BYTES are not batched: they hold memory, and are few.
//
// The span may change hands meanwhile (its owner flushed at a thread's
// exit: it went central, its objects in use stay): the flush, under the
// class lock that guards owners, finds the owner then. A span owned, by
// another cache or by this one since: onto its remote list, which its
// owner takes back (adoptl clears the bits entry by entry). A central
// one: remote bit cleared, nremote less one, then the central free; a
// central free of it before that is refused (small_freel reads the remote
// bit while nremote is not 0). An object waiting in an outbox is in use
// to its span (inuse, the in-use bit), so its span cannot empty and go
// back to the pool. The checks hold nremote to the remote list: no
// outbox is opened while the heap checks (the preload turns its fast
// paths off then, and this with them).
void hobj_outbox_flushl(struct hobj_heap *h, struct hobj_cache *cache, unsigned c,
			struct hobj_gone *g)
{
	struct hobj_span *s;
	struct hobj_cache *o;
	uintptr_t p;
	int err;

	assert_locked(h, c, "hobj outbox: class lock not held");
	while (cache->outbox[c] != NULL && g->bytes == 0) {
		p = (uintptr_t)cache->outbox[c];
		cache->outbox[c] = *(void **)p;
		cache->noutbox[c]--;
		s = ((struct hobj_span **)p)[1]; // hobj_fast_remote_span's: in use, its span stays
		o = hobj_owner(s);
		if (o != NULL) {
			hobj_remote_pushl(s, o, p);
			continue;
		}
		hobj_remote_set(s, hobj_index(s, p), 0);
		__atomic_fetch_sub(&s->nremote, 1, __ATOMIC_RELAXED);
		err = small_freel(h, s, c, p, g, NULL, 1);
		if (err != HOBJ_OK)
			hobj_fail(h, "hobj outbox: an object claimed for the outbox was refused");
	}
}

void hobj_outbox_flush(struct hobj_heap *h, struct hobj_cache *cache, unsigned c)
{
	struct hobj_gone g;

	while (cache->outbox[c] != NULL) {
		g = (struct hobj_gone){0, 0};
		lock(h, c);
		hobj_outbox_flushl(h, cache, c, &g);
		unlock(h, c);
		hobj_give_back(h, &g);
	}
}

int hobj_cache_free(struct hobj_heap *heap, struct hobj_cache *cache, void *p)
{
	struct where w = {NULL, 0, 0};
	struct hobj_gone g = {0, 0};
	unsigned c;
	int err;

	if (locate(heap, (uintptr_t)p, &w, NULL) != HOBJ_OK || w.s == NULL)
		return 0;
	c = w.s->cls;
	if (c == 0 || c >= HOBJ_NCLASS)
		return 0;
	err = hobj_cache_give(heap, cache, w.s, (uintptr_t)p, NULL);
	if (err == HOBJ_NOTMINE) {
		lock(heap, c);
		err = small_freel(heap, w.s, c, (uintptr_t)p, &g, NULL, 0);
		unlock(heap, c);
	}
	hobj_give_back(heap, &g);
	return err == HOBJ_OK;
}

// large_findl refuses a large object's head that is no longer one (a
// double free racing another). Large lock held.
static int large_findl(struct hobj_heap *h, const struct where *w, struct hobj_fault *f)
{
	assert_locked(h, HOBJ_LOCK_LARGE, "large_findl: large lock not held");
	if (*pm_slot(h, w->lg) != ((w->npg << 2) | HOBJ_PM_LARGE))
		return fault(f, HOBJ_EUNUSED, w->lg, 0, w->lg, 0);
	return HOBJ_OK;
}

// large_trim unmaps the pages of the large object at w from page keep on
// (all of them if keep is 0), for hobj_give_back once the large lock is
// released. Large lock held.
static void large_trim(struct hobj_heap *h, const struct where *w, uintptr_t keep,
		       struct hobj_gone *g)
{
	uintptr_t a = w->lg + (keep << h->shift), n = (w->npg - keep) << h->shift;

	pm_set(h, a, n, 0);
	if (keep != 0)
		*pm_slot(h, w->lg) = (keep << 2) | HOBJ_PM_LARGE;
	gone(h, g, a, n);
	h->large_bytes -= n;
}

int hobj_objfree(struct hobj_heap *heap, void *p, struct hobj_fault *f)
{
	struct where w = {NULL, 0, 0};
	struct hobj_gone g = {0, 0};
	int err;

	if (p == NULL)
		return HOBJ_OK;
	err = locate(heap, (uintptr_t)p, &w, f);
	if (err == HOBJ_OK && w.s != NULL)
		err = small_free(heap, w.s, (uintptr_t)p, f);
	else if (err == HOBJ_OK) {
		lock(heap, HOBJ_LOCK_LARGE);
		err = large_findl(heap, &w, f);
		if (err == HOBJ_OK) {
			large_trim(heap, &w, 0, &g);
			heap->nlarge--;
			heap->large_nfree++;
		}
		unlock(heap, HOBJ_LOCK_LARGE);
		hobj_give_back(heap, &g);
	}
	check_after(heap);
	return err;
}

// objsize is hobj_objsize, answering where p lies too (locate's *w).
static int objsize(struct hobj_heap *heap, const void *p, size_t *size, struct where *wp,
		   struct hobj_fault *f)
{
	struct hobj_cache *cache;
	struct where w = {NULL, 0, 0};
	unsigned c;
	int err = locate(heap, (uintptr_t)p, &w, f);

	*wp = w;
	if (err != HOBJ_OK)
		return err;
	if (w.s == NULL) {
		*size = w.npg << heap->shift;
		return HOBJ_OK;
	}
	c = w.s->cls;
	if (c == 0 || c >= HOBJ_NCLASS)
		return fault(f, HOBJ_EUNUSED, (uintptr_t)p, 0, (uintptr_t)p, 0);
	*size = hobj_class_size[c];
	cache = hobj_cache_enter(heap);
	if (cache != NULL && hobj_owner(w.s) == cache) { // the cache's own: no lock
		err = (uintptr_t)p - w.s->base >= w.s->bytes
			  ? fault(f, HOBJ_EUNUSED, (uintptr_t)p, 0, (uintptr_t)p, 0)
			  : hobj_find_live(w.s, (uintptr_t)p, f);
	} else {
		lock(heap, c);
		err = small_findl(heap, w.s, c, (uintptr_t)p, f);
		unlock(heap, c);
	}
	hobj_cache_leave(heap, cache);
	return err;
}

int hobj_objsize(struct hobj_heap *heap, const void *p, size_t *size, struct hobj_fault *f)
{
	struct where w;

	return objsize(heap, p, size, &w, f);
}

int hobj_objresize(struct hobj_heap *heap, void *p, size_t n, size_t *had, struct hobj_fault *f)
{
	uintptr_t bytes = heaplab_round(heap->pool, n);
	struct hobj_gone g = {0, 0};
	struct where w;
	size_t size;
	int err = objsize(heap, p, &size, &w, f);

	if (err != HOBJ_OK)
		return err;
	if (had != NULL)
		*had = size;
	if (w.s != NULL)
		return n <= HOBJ_MAX_SMALL && hobj_class_of(n) == w.s->cls ? HOBJ_OK : HOBJ_EMOVE;
	if (bytes == 0 || bytes > size || (n <= HOBJ_MAX_SMALL && bytes != size))
		return HOBJ_EMOVE;
	lock(heap, HOBJ_LOCK_LARGE);
	err = large_findl(heap, &w, f);
	if (err == HOBJ_OK && bytes < size)
		large_trim(heap, &w, bytes >> heap->shift, &g);
	unlock(heap, HOBJ_LOCK_LARGE);
	hobj_give_back(heap, &g);
	check_after(heap);
	return err;
}

// stats_cachesl adds the caches' counts and spans of class c to st. Class
// and store locks held.
static void stats_cachesl(struct hobj_heap *h, unsigned c, struct hobj_stats *st)
{
	const struct hobj_cache *cache;

	for (cache = h->caches; cache != NULL; cache = cache->next) {
		st->nalloc += cache->nalloc[c];
		st->nfree += cache->nfree[c];
		st->ncached += cache->nowned[c];
	}
}

// hobj_stats counts small objects in use as those handed out less those
// freed: a cache's spans are its owner's to change, and not walked.
void hobj_stats(struct hobj_heap *heap, struct hobj_stats *st)
{
	unsigned c;

	memset(st, 0, sizeof *st);
	for (c = 1; c < HOBJ_NCLASS; c++) {
		lock(heap, c);
		st->nalloc += heap->class[c].nalloc;
		st->nfree += heap->class[c].nfree;
		st->nspan += heap->class[c].nspan;
		lock(heap, HOBJ_LOCK_STORE);
		stats_cachesl(heap, c, st);
		unlock(heap, HOBJ_LOCK_STORE);
		unlock(heap, c);
	}
	st->inuse = (uintptr_t)(st->nalloc - st->nfree);
	lock(heap, HOBJ_LOCK_LARGE);
	st->nalloc += heap->large_nalloc;
	st->nfree += heap->large_nfree;
	st->inuse += heap->nlarge;
	st->large_bytes = heap->large_bytes;
	unlock(heap, HOBJ_LOCK_LARGE);
}

// check_after runs the full check after an operation in a checked build
// whose run-time switch is on, and stops on a failure.
static void check_after(struct hobj_heap *h)
{
	struct hobj_fault f;
	char msg[200];

	if (!HOBJ_DEBUG || !h->checking || hobj_check(h, &f) == HOBJ_OK)
		return;
	hobj_fault_format(&f, msg, sizeof msg);
	hobj_fail(h, msg);
}
