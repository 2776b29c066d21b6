// SPDX-License-Identifier: BSD-3-Clause
// The objects layer's fast paths, inlined into a consumer that holds its
// cache (the host's preload: a thread's cache in TLS): a small malloc from
// the active span, and a free, a size and a realloc's answer for an object
// of a span the cache owns, each one straight run of code with no call and
// no lock. Everything else answers NULL or 0, nothing changed, and the
// consumer takes the whole path (hobj_malloc, hobj_free, hobj_objsize).
// The consumer calls them only while the heap is not checking (so that
// checked runs take the whole paths, the check after each operation), or
// closes them (hobj_fast_close).
//
// Theory of operation
//
//   The paths are cache.c's lock-free cases (its "The fast path alone"),
//   with span.c's take and give written out in them, so that a malloc and
//   a free are one function each, as mimalloc's are: the span record
//   carries what they need (size and divmul, copies of the class tables'
//   entries set when the span is made), so no class table is read but the
//   size-to-class one.
//
//   malloc(n), class c: the active span's free list head, or its next
//   never-handed-out object; set its in-use bit, count it. A missing or
//   dry active span answers NULL, and the consumer goes on to
//   hobj_cache_malloc, cache.c's refill (the next span of the cache's part
//   list, or the class lock taken for one).
//
//   free(p): the page map names p's span s; s must be the cache's own and
//   have nothing on its remote list (a remote object's state is the class
//   lock's; the whole path reads its remote bit). Then p is refused unless
//   it is the start of an object whose in-use bit is set, before anything
//   changes, in O(1), as span.c's give refuses it: a double free, an
//   interior pointer and a pointer into the span's tail all fall to the
//   whole path, which refuses them with the message that names p and its
//   span. The object's index comes from one multiply: (off * divmul) >> 32
//   is off / size, and the low 32 bits of the product are below divmul
//   exactly when off is a multiple of size (Lemire's divisibility test:
//   divmul is 2^32 / size rounded up, and every offset in a span is below
//   2^16; tests/host/test_objects.c holds it for every class and offset),
//   so no second multiply checks the start. The index is at most nobj (the
//   tail is shorter than an object), and bit nobj is never set (the check
//   holds the bits past nobj clear; class 1's 256 objects fill their span
//   exactly), so the bit test alone refuses the tail too. A span whose
//   free leaves it empty, or that was full, goes on to cache.c's
//   hobj_cache_settle (moved between the cache's lists, parked or given
//   back), out of line: the fast path changes no list.
//
//   Counts. nalloc and nfree per class are counted here as in cache.c (one
//   add each), folded into the class's under its lock: heap stats, gdb and
//   the check see the same totals.
//
//   Lab 8. HOBJ_INLINE_SPAN 0 (the build's choice when a student's span.c
//   stands in for objects/span.c) makes take and give the span.c calls, so
//   that the student's code still serves every object.
#ifndef HEAPLAB_OBJECTS_FAST_H
#define HEAPLAB_OBJECTS_FAST_H

#define HOBJ_CLASS_TABLES // hobj_class_by16 and by128
#include "objects.h"

#ifndef HOBJ_INLINE_SPAN
#define HOBJ_INLINE_SPAN 1
#endif

// HOBJ_FAST_SETTLE 0, for a consumer whose fast paths must take no lock
// (the image's kernel/kobj.c: interrupts off with arch_irq_save, not
// push_off): a free that would move its span (hobj_fast_moves) declines,
// nothing changed, and the whole path makes it.
#ifndef HOBJ_FAST_SETTLE
#define HOBJ_FAST_SETTLE 1
#endif

#define HOBJ_FAST static inline __attribute__((always_inline))

// hobj_cache_settle (objects/cache.c) finishes a fast free that left s,
// one of cache's spans, empty or that found it full: what hobj_cache_give
// does after the give.
void hobj_cache_settle(struct hobj_heap *heap, struct hobj_cache *cache,
		       struct hobj_span *s) HEAPLAB_NOINLINE;

// hobj_cache_malloc (objects/cache.c) answers an object of n bytes (n at
// most HOBJ_MAX_SMALL) through cache alone: its active span, else the
// refill (the next span the cache owns, or the class lock taken for one);
// NULL if the pool has no pages for a span. No check after it.
void *hobj_cache_malloc(struct hobj_heap *heap, struct hobj_cache *cache, size_t n);

// hobj_cache_free (objects/objects.c) frees p, a small object, for the
// holder of cache: with no lock if a span of cache's holds it, else under
// its class lock (onto its owner's remote list, or its central span's free
// list), as hobj_free does but for the check after it. 1; or 0, nothing
// changed, for anything else (a large object, a pointer hobj_free refuses
// with its message).
int hobj_cache_free(struct hobj_heap *heap, struct hobj_cache *cache, void *p);

// hobj_outbox_flush (objects/objects.c) sends cache's outbox of class c
// to its spans' remote lists, taking c's lock.
void hobj_outbox_flush(struct hobj_heap *heap, struct hobj_cache *cache,
		       unsigned c) HEAPLAB_NOINLINE;

// hobj_fast_open opens cache's fast paths on heap (hobj_cache_init opens
// them); hobj_fast_close closes them, as hobj_cache_fini does. Closed,
// hobj_fast_free and hobj_fast_size decline everything: a consumer whose
// heap checks every operation closes them, or does not call them.
HOBJ_FAST void hobj_fast_open(const struct hobj_heap *heap, struct hobj_cache *cache)
{
	cache->fast_lo = heap->start;
	cache->fast_len = heap->end - heap->start;
}

HOBJ_FAST void hobj_fast_close(struct hobj_cache *cache)
{
	cache->fast_len = 0;
}

// The class of an n-byte request, or 0 if n is above HOBJ_MAX_SMALL.
HOBJ_FAST unsigned hobj_fast_class(size_t n)
{
	if (__builtin_expect(n <= 1024, 1))
		return hobj_class_by16[(n + 15) >> 4];
	if (n <= HOBJ_MAX_SMALL)
		return hobj_class_by128[(n - 1024 + 127) >> 7];
	return 0;
}

// hobj_fast_page answers the record of the small object's span that p's
// page map entry names, while cache's fast paths are open; else NULL (p
// outside the heap, a page of no span, a large object's). Changes nothing.
HOBJ_FAST struct hobj_span *hobj_fast_page(const struct hobj_heap *heap,
					   const struct hobj_cache *cache, uintptr_t a)
{
	uintptr_t e, off = a - cache->fast_lo;

	if (__builtin_expect(off >= cache->fast_len, 0)) // outside, or closed
		return NULL;
	e = heap->pagemap[off >> heap->shift];
	if (__builtin_expect(e == 0 || (e & HOBJ_PM_LARGE), 0))
		return NULL;
	return (struct hobj_span *)e;
}

// hobj_fast_start: is a, inside s, the start of an object? Its index in *i
// either way (Lemire's test on the one multiply: the header's comment).
HOBJ_FAST int hobj_fast_start(const struct hobj_span *s, uintptr_t a, unsigned *i)
{
	uint64_t q = (uint64_t)(a - s->base) * s->divmul;

	*i = (unsigned)(q >> 32);
	return __builtin_expect((uint32_t)q < s->divmul, 1);
}

// hobj_fast_kept: is s, which hobj_fast_span answered for an object the
// caller still holds, still cache's with nothing on its remote list? (Calls
// since, a refill among them, may have let another thread's free of one of
// its objects in: then the whole path frees.) A span with an object in use
// is not given back, so s is still a span's record.
HOBJ_FAST int hobj_fast_kept(const struct hobj_cache *cache, const struct hobj_span *s)
{
	return __atomic_load_n(&s->owner, __ATOMIC_RELAXED) == cache->self &&
	       __atomic_load_n(&s->nremote, __ATOMIC_RELAXED) == 0;
}

// hobj_fast_span answers the span of p if the cache owns it and p is the
// start of an object of it with nothing on its remote list; else NULL. In
// *i, p's index; the object's in-use bit is the caller's to test. No
// bounds test: an entry naming a span the cache owns names the span that
// holds p's page (the page map is written under the class lock before a
// span is taken from its central list, and cleared before its record goes
// back; only the owner gives it back), so p lies in it. Changes nothing.
HOBJ_FAST struct hobj_span *hobj_fast_span(const struct hobj_heap *heap,
					   const struct hobj_cache *cache, uintptr_t a, unsigned *i)
{
	struct hobj_span *s = hobj_fast_page(heap, cache, a);

	if (__builtin_expect(s == NULL || !hobj_fast_kept(cache, s), 0))
		return NULL;
	return hobj_fast_start(s, a, i) ? s : NULL; // else inside an object
}

// hobj_fast_live: is object i of s in use? (Not for the tail, whose bit is
// never set.)
HOBJ_FAST int hobj_fast_live(const struct hobj_span *s, unsigned i)
{
	return (s->inuse_bits[i >> 6] >> (i & 63)) & 1;
}

// hobj_fast_moves: would a free into s, one of cache's spans, move it
// (hobj_cache_settle: s full, or about to empty and not to stay active)?
// Asked before anything changes when HOBJ_FAST_SETTLE is 0.
HOBJ_FAST int hobj_fast_moves(const struct hobj_heap *heap, const struct hobj_cache *cache,
			      const struct hobj_span *s)
{
	if (s == cache->alloc[s->cls]) // the active span: parked if it empties and is large
		return s->inuse <= 1 && s->bytes > heap->park_above;
	return s->inuse <= 1 || s->inuse == s->nobj;
}

// hobj_fast_alloc: an object of n bytes from cache's active span of its
// class, or NULL (n above HOBJ_MAX_SMALL, no active span, or a dry one:
// the consumer then calls hobj_cache_malloc, out of line, so that this
// path makes no call and saves no register). *zero: whether the object is
// known to be zero (never handed out). hobj_fast_malloc asks no *zero.
HOBJ_FAST void *hobj_fast_alloc(struct hobj_cache *cache, size_t n, int *zero)
{
	unsigned c = hobj_fast_class(n);
	struct hobj_span *s = cache->alloc[c]; // alloc[0] is always NULL
#if HOBJ_INLINE_SPAN
	unsigned i;
	void *p;

	if (__builtin_expect(s == NULL, 0))
		return NULL;
	p = s->free;
	if (__builtin_expect(p != NULL, 1)) {
		s->free = *(void **)p;
		i = hobj_index(s, (uintptr_t)p);
		*zero = 0;
	} else {
		i = s->fresh;
		if (__builtin_expect(i >= s->nobj, 0))
			return NULL;
		p = (void *)(s->base + (uintptr_t)i * s->size);
		if (p == NULL) // never (a span's base is not 0): the caller's test goes
			__builtin_unreachable();
		// fresh is written apart from inuse below: stored together, gcc
		// pairs the two increments through a vector register
		__atomic_store_n(&s->fresh, (uint16_t)(i + 1), __ATOMIC_RELAXED);
		*zero = 1;
	}
	s->inuse_bits[i >> 6] |= (uint64_t)1 << (i & 63);
	s->inuse++;
	cache->nalloc[c]++;
	return p;
#else
	if (s == NULL || s->inuse >= s->nobj)
		return NULL;
	cache->nalloc[c]++;
	return hobj_span_take(s, zero);
#endif
}

HOBJ_FAST void *hobj_fast_malloc(struct hobj_heap *heap, struct hobj_cache *cache, size_t n)
{
	int zero;

	(void)heap;
	return hobj_fast_alloc(cache, n, &zero);
}

// hobj_fast_give gives p, object i of s, back to s, a span cache owns with
// nothing on its remote list (hobj_fast_span's answer, or hobj_fast_kept's
// since): 1, or 0 with nothing changed (the caller takes the whole path).
HOBJ_FAST int hobj_fast_give(struct hobj_heap *heap, struct hobj_cache *cache, struct hobj_span *s,
			     unsigned i, void *p)
{
	uint64_t *w, m;
	unsigned n;
	void *head;

	if (!HOBJ_FAST_SETTLE && hobj_fast_moves(heap, cache, s))
		return 0;
#if HOBJ_INLINE_SPAN
	w = &s->inuse_bits[i >> 6];
	m = (uint64_t)1 << (i & 63);
	if (__builtin_expect(!(*w & m), 0))
		return 0; // free, never handed out, or the tail
	*w ^= m;
	head = s->free;
	*(void **)p = head;
	s->free = p;
	cache->nfree[s->cls]++;
	// an empty span, or one that was full, may move: hobj_cache_settle
	// tells. (Not "its free list was empty": a span still handing out
	// fresh objects has none most of the time, and a third of the mixed
	// workload's frees called it to move nothing.)
	n = s->inuse;
	s->inuse = (uint16_t)(n - 1);
	if (__builtin_expect(n == 1 || n == s->nobj, 0) && HOBJ_FAST_SETTLE)
		hobj_cache_settle(heap, cache, s);
#else
	(void)w, (void)m, (void)head, (void)n;
	if (!hobj_fast_live(s, i) || hobj_span_give(s, (uintptr_t)p, NULL) != HOBJ_OK)
		return 0;
	cache->nfree[s->cls]++;
	if ((s->inuse == 0 || s->inuse + 1 == s->nobj) && HOBJ_FAST_SETTLE)
		hobj_cache_settle(heap, cache, s);
#endif
	return 1;
}

// hobj_fast_free_kept gives p back to s, hobj_fast_page's answer for p
// that hobj_fast_kept holds for cache, if p is the start of an object in
// use: 1, or 0 with nothing changed. For a consumer that has asked both
// already (the preload's free, which sends another cache's object to
// hobj_fast_remote_span with the span in hand).
HOBJ_FAST int hobj_fast_free_kept(struct hobj_heap *heap, struct hobj_cache *cache,
				  struct hobj_span *s, void *p)
{
	unsigned i;

	return hobj_fast_start(s, (uintptr_t)p, &i) && hobj_fast_give(heap, cache, s, i, p);
}

// hobj_fast_free gives p back to a span cache owns: 1, or 0 with nothing
// changed (the caller takes the whole path).
HOBJ_FAST int hobj_fast_free(struct hobj_heap *heap, struct hobj_cache *cache, void *p)
{
	struct hobj_span *s = hobj_fast_page(heap, cache, (uintptr_t)p);

	return s != NULL && hobj_fast_kept(cache, s) && hobj_fast_free_kept(heap, cache, s, p);
}

// hobj_fast_remote puts p, the start of an object in use of a span
// another cache owns, in cache's outbox, if it is open for p's class
// (objects.c, "The outbox"): 1; else 0, nothing changed (the caller takes
// the whole path, which refuses what is to be refused, with its message).
// The bounds and the page map as hobj_fast_span reads them; the record
// read with no lock is that of the span holding an object in use, which
// stays its span until the object is freed. Changed only when it
// answers 1: besides the remote bit and count, the object's first word
// links the outbox and its second holds s, for the flush.
// hobj_fast_remote_span is hobj_fast_remote for a consumer that has asked
// hobj_fast_page already (the preload's free): s is its answer for p, not
// NULL.
HOBJ_FAST int hobj_fast_remote_span(struct hobj_heap *heap, struct hobj_cache *cache,
				    struct hobj_span *s, void *p)
{
	uintptr_t a = (uintptr_t)p, *w, m;
	const struct hobj_cache *o;
	unsigned c, i, cap;

	o = __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
	c = s->cls;
	cap = c < HOBJ_NCLASS ? cache->outbox_cap[c] : 0;
	if (o == NULL || o == cache->self || cap == 0 || a - s->base >= s->bytes)
		return 0;
	if (!hobj_fast_start(s, a, &i) || !hobj_fast_live(s, i))
		return 0; // inside an object, the tail, or free
	w = &s->remote_bits[i / HOBJ_RBITS];
	m = (uintptr_t)1 << (i % HOBJ_RBITS);
	if (__atomic_fetch_or(w, m, __ATOMIC_RELAXED) & m)
		return 0; // freed already (a double free)
	__atomic_fetch_add(&s->nremote, 1, __ATOMIC_RELAXED);
	((void **)p)[1] = s; // its span, for the flush (objects are 16 bytes at least)
	*(void **)p = cache->outbox[c];
	cache->outbox[c] = p;
	cache->nfree[c]++;
	if (++cache->noutbox[c] >= cap)
		hobj_outbox_flush(heap, cache, c);
	return 1;
}

HOBJ_FAST int hobj_fast_remote(struct hobj_heap *heap, struct hobj_cache *cache, void *p)
{
	struct hobj_span *s = hobj_fast_page(heap, cache, (uintptr_t)p);

	return s != NULL && hobj_fast_remote_span(heap, cache, s, p);
}

// hobj_fast_size answers the usable bytes of p, an object in use of a span
// cache owns; 0 for anything else. Changes nothing.
HOBJ_FAST size_t hobj_fast_size(const struct hobj_heap *heap, const struct hobj_cache *cache,
				const void *p)
{
	unsigned i;
	struct hobj_span *s = hobj_fast_span(heap, cache, (uintptr_t)p, &i);

	return s != NULL && hobj_fast_live(s, i) ? s->size : 0;
}

#endif
