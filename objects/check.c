// SPDX-License-Identifier: BSD-3-Clause
// The objects layer's full invariant walk (hobj_check), level by level as
// heaplab_check walks the free list; the walk of one class under its lock
// alone (hobj_check_class, before hobj_check: what it leaves to the full
// walk is said there); and the words for what they find.
//
// Caches. The check holds every lock, but a cache's owner changes its
// spans' free lists, fresh marks, in-use bits and counts, and its lists of
// them, with no lock (objects/cache.c). So a span owned by the caller's own cache
// (ops->cache_enter: the CPU running the check, with interrupts off, or
// the thread) and a central span are walked whole; a span another cache
// owns only where the class lock holds it still: its record's class, size
// and place, its page map entries, its owner's pointer back to it, and its
// remote list (each entry an object's start, in use, its remote bit set,
// listed once, as many as nremote and as the remote bits, the span on its
// owner's rspans list exactly when the list is not empty). Its objects are
// counted neither in its class's inuse (which counts central spans only)
// nor against the store, but its bytes are in the pool's count, which
// stays exact but for the bytes in transit (objects.c, "Transit"). What
// is not walked is walked by the owner's own check, or once the cache is
// flushed; with one CPU or thread everything is.
#define HOBJ_CLASS_TABLES
#include "internal.h"

void *memset(void *s, int c, size_t n); // from the C library, as in objects.c

// What the walk of the page map counts, per class, to hold the classes'
// records against: central spans' objects and list, and owned spans.
struct tally {
	uintptr_t nspan[HOBJ_NCLASS], inuse[HOBJ_NCLASS], notfull[HOBJ_NCLASS];
	uintptr_t empty[HOBJ_NCLASS], owned[HOBJ_NCLASS], rlisted[HOBJ_NCLASS];
	uintptr_t span_bytes, large_bytes, nlarge;
	const struct hobj_cache *mine; // the caller's cache, or NULL
	int mine_done;		       // its spans' objects checked (check_mine)
};

#define fault hobj_fault

// popcount counts v's set bits in a few steps, not one per bit: the
// check holds every lock while it counts a full span's 512 in-use bits.
static unsigned popcount(uint64_t v)
{
	v -= (v >> 1) & 0x5555555555555555ull;
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((v * 0x0101010101010101ull) >> 56);
}

// check_freelist walks s's free list: each entry an object's start below
// fresh, not in use, listed once. Answers the entries in *n.
static int check_freelist(const struct hobj_span *s, unsigned *n, struct hobj_fault *f)
{
	uint64_t seen[HOBJ_MAXOBJ / 64] = {0};
	uintptr_t size = hobj_class_size[s->cls], p, off;
	const void *q;
	unsigned i;

	*n = 0;
	for (q = s->free; q != NULL; q = *(void *const *)q) {
		p = (uintptr_t)q;
		off = p - s->base;
		i = (unsigned)(((uint64_t)off * hobj_class_divmul[s->cls]) >> 32);
		if (off >= s->bytes || i >= s->fresh || (uintptr_t)i * size != off)
			return fault(f, HOBJ_EFREELIST, p, s->base, *n, s->fresh);
		if ((s->inuse_bits[i >> 6] >> (i & 63)) & 1)
			return fault(f, HOBJ_EFREELIST, p, s->base, *n, 1);
		if ((seen[i >> 6] >> (i & 63)) & 1)
			return fault(f, HOBJ_EFREELIST, p, s->base, *n, 2);
		seen[i >> 6] |= (uint64_t)1 << (i & 63);
		++*n;
	}
	return HOBJ_OK;
}

// check_zero answers the first byte of [a, e) that is not zero, or 0. Four
// words at a time (a is 16-aligned: a span's base plus objects of 16-byte
// multiples; e a page's end): a span never handed out is most of a fresh
// span, and the check holds every lock meanwhile.
static uintptr_t check_zero(uintptr_t a, uintptr_t e)
{
	const uintptr_t *w;

	for (; e - a >= 4 * sizeof *w; a += 4 * sizeof *w) {
		w = (const uintptr_t *)a;
		if ((w[0] | w[1] | w[2] | w[3]) != 0)
			break;
	}
	for (; a < e; a += sizeof(uintptr_t))
		if (*(const uintptr_t *)a != 0)
			break;
	for (; a < e; a++)
		if (*(const unsigned char *)a != 0)
			return a;
	return 0;
}

// check_remote walks s's remote list: each entry an object's start, its
// in-use bit and remote bit set, listed once; as many as nremote and as
// the remote bits. Class lock held: all of it is still.
static int check_remote(const struct hobj_span *s, struct hobj_fault *f)
{
	uint64_t seen[HOBJ_MAXOBJ / 64] = {0};
	uintptr_t size = hobj_class_size[s->cls], p, off, n = 0, bits = 0;
	const void *q;
	unsigned i, k;

	for (q = s->remote; q != NULL && n <= s->nobj; q = *(void *const *)q) {
		p = (uintptr_t)q;
		off = p - s->base;
		i = (unsigned)(((uint64_t)off * hobj_class_divmul[s->cls]) >> 32);
		if (off >= s->bytes || i >= s->nobj || (uintptr_t)i * size != off)
			return fault(f, HOBJ_EFREELIST, p, s->base, n, 3);
		if (!((s->inuse_bits[i >> 6] >> (i & 63)) & 1) || !hobj_remote_test(s, i))
			return fault(f, HOBJ_EFREELIST, p, s->base, n, 4);
		if ((seen[i >> 6] >> (i & 63)) & 1)
			return fault(f, HOBJ_EFREELIST, p, s->base, n, 5);
		seen[i >> 6] |= (uint64_t)1 << (i & 63);
		n++;
	}
	for (k = 0; k < HOBJ_MAXOBJ / HOBJ_RBITS; k++)
		bits += popcount(__atomic_load_n(&s->remote_bits[k], __ATOMIC_RELAXED));
	if (n != s->nremote || bits != n || (s->owner == NULL && n != 0) || s->rlisted != (n != 0))
		return fault(f, HOBJ_ECOUNT, 0, s->base, s->nremote, n);
	return HOBJ_OK;
}

// check_owned checks a span some cache owns: its owner is one of the
// heap's caches (which of the owner's lists holds it is the owner's
// business, walked by check_mine). Class lock held.
static int check_owned(const struct hobj_heap *h, const struct hobj_span *s, struct tally *t,
		       struct hobj_fault *f)
{
	const struct hobj_cache *cache;
	uintptr_t n = 0;

	for (cache = h->caches; cache != NULL && cache != s->owner && n <= h->nrecord + 4096; n++)
		cache = cache->next;
	if (cache == NULL || cache != s->owner)
		return fault(f, HOBJ_ECACHE, s->base, s->base, (uintptr_t)s->owner, s->cls);
	t->owned[s->cls]++;
	t->rlisted[s->cls] += s->rlisted != 0;
	return HOBJ_OK;
}

// check_record checks a span's record against its class: size, number of
// objects, place, and the copies of its class's object size and divmul
// that objects/fast.h's paths trust.
static int check_record(const struct hobj_heap *h, const struct hobj_span *s, struct hobj_fault *f)
{
	unsigned c = s->cls;

	if (c == 0 || c >= HOBJ_NCLASS || s->bytes != (uintptr_t)hobj_class_npages[c] * HOBJ_UNIT ||
	    s->nobj != hobj_class_nobj[c] || s->base % h->pool->granule ||
	    s->size != hobj_class_size[c] || s->divmul != hobj_class_divmul[c])
		return fault(f, HOBJ_ESPAN, s->base, s->base, c, s->bytes);
	return HOBJ_OK;
}

// check_objects checks s's objects against its record: in use + free +
// never handed out == nobj, each object in one of them, the never handed
// out zero. Whoever may change them held still: the class lock, or s is
// the caller's cache's.
static int check_objects(const struct hobj_span *s, struct hobj_fault *f)
{
	unsigned c = s->cls, nfree, used = 0, k;
	uintptr_t size, a;
	int err;

	if (s->fresh > s->nobj)
		return fault(f, HOBJ_ESPAN, s->base, s->base, c, s->fresh);
	size = hobj_class_size[c];
	err = check_freelist(s, &nfree, f);
	if (err != HOBJ_OK)
		return err;
	for (k = 0; k < HOBJ_MAXOBJ / 64; k++)
		used += popcount(s->inuse_bits[k]);
	for (k = s->fresh; k < HOBJ_MAXOBJ; k++) // a word at a time but for the first bit set
		if (k % 64 == 0 && s->inuse_bits[k >> 6] == 0)
			k += 63;
		else if ((s->inuse_bits[k >> 6] >> (k & 63)) & 1)
			return fault(f, HOBJ_ECOUNT, s->base + k * size, s->base, k, s->fresh);
	if (used != s->inuse || used + nfree != s->fresh)
		return fault(f, HOBJ_ECOUNT, 0, s->base, s->inuse, used + nfree);
	if (HOBJ_DEBUG && (a = check_zero(s->base + s->fresh * size, s->base + s->bytes)) != 0)
		return fault(f, HOBJ_EDIRTY, a, s->base, *(const unsigned char *)a, 0);
	return HOBJ_OK;
}

int hobj_span_whole(const struct hobj_span *s)
{
	return check_objects(s, NULL) == HOBJ_OK && check_remote(s, NULL) == HOBJ_OK;
}

// check_span checks one span's record against its class, its remote list,
// and its objects (check_objects) unless another cache owns it (its owner
// may be changing them) or they are the caller's cache's, checked already.
// Class lock held.
static int check_span(const struct hobj_heap *h, const struct hobj_span *s, struct tally *t,
		      struct hobj_fault *f)
{
	unsigned c = s->cls;
	int err = check_record(h, s, f);

	if (err == HOBJ_OK)
		err = check_remote(s, f);
	if (err != HOBJ_OK)
		return err;
	t->nspan[c]++;
	t->span_bytes += s->bytes;
	if (s->owner != NULL && (s->owner != t->mine || t->mine_done))
		return HOBJ_OK;
	err = check_objects(s, f);
	if (err != HOBJ_OK)
		return err;
	if (s->owner != NULL)
		return HOBJ_OK; // the caller's cache's: in no list, not in the class's inuse
	t->inuse[c] += s->inuse;
	t->notfull[c] += s->inuse < s->nobj;
	t->empty[c] += s->inuse == 0;
	return HOBJ_OK;
}

// mine_span checks s, on the caller's cache's list of class c (or its
// active span, prev NULL): plainly the cache's, its record and objects
// right, full exactly as its list says (full: 1, part: 0, active: -1).
static int mine_span(const struct hobj_heap *h, const struct hobj_cache *mine,
		     const struct hobj_span *s, const struct hobj_span *prev, unsigned c, int full,
		     struct hobj_fault *f)
{
	int err;

	if (s->base < h->start || s->base >= h->end ||
	    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s || s->owner != mine ||
	    s->cls != c || s->prev != prev)
		return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, (uintptr_t)s);
	err = check_record(h, s, f);
	if (err == HOBJ_OK)
		err = check_objects(s, f);
	if (err == HOBJ_OK && full >= 0 && (s->inuse == s->nobj) != full)
		return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, (uintptr_t)s);
	return err;
}

// mine_list checks one of the caller's cache's lists of class c, counting
// its spans into *n (at most the spans it owns: a loop stops there).
static int mine_list(const struct hobj_heap *h, const struct hobj_cache *mine,
		     const struct hobj_span *s, unsigned c, int full, uintptr_t *n,
		     struct hobj_fault *f)
{
	const struct hobj_span *prev = NULL;
	int err;

	for (; s != NULL; prev = s, s = s->next) {
		if (++*n > mine->nowned[c])
			return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, *n);
		err = mine_span(h, mine, s, prev, c, full, f);
		if (err != HOBJ_OK)
			return err;
	}
	return HOBJ_OK;
}

// check_mine checks the caller's cache's spans, with no lock: only their
// owner, the caller, changes them (another cache's free goes on the
// remote list, under the class lock, into an object in use): the active
// span, the part list (each with a free object) and the full list (none),
// as many as the cache owns, each with its objects. Their owner changes
// nowned too (under the class lock, which it does not hold now, but no one
// else does). It writes no tally: the tally is the locked part's (one for
// every CPU).
static int check_mine_class(const struct hobj_heap *h, const struct hobj_cache *mine, unsigned c,
			    struct hobj_fault *f)
{
	uintptr_t n = mine->alloc[c] != NULL;
	int err;

	if (n > mine->nowned[c])
		return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, n);
	err = n ? mine_span(h, mine, mine->alloc[c], NULL, c, -1, f) : HOBJ_OK;
	if (err == HOBJ_OK)
		err = mine_list(h, mine, mine->part[c], c, 0, &n, f);
	if (err == HOBJ_OK)
		err = mine_list(h, mine, mine->full[c], c, 1, &n, f);
	if (err == HOBJ_OK && n != mine->nowned[c])
		err = fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, n);
	return err;
}

static int check_mine(const struct hobj_heap *h, const struct hobj_cache *mine,
		      struct hobj_fault *f)
{
	unsigned c;
	int err;

	for (c = 1; mine != NULL && c < HOBJ_NCLASS; c++) {
		err = check_mine_class(h, mine, c, f);
		if (err != HOBJ_OK)
			return err;
	}
	return HOBJ_OK;
}

// pool_top answers the end of the pool's pages. The pool's lock held.
static uintptr_t pool_top(const struct hobj_heap *h)
{
	return h->pool->bloc != 0 ? h->pool->bloc : h->start;
}

// check_spans checks every span the page map names below top, from its
// first page (check_span): the check's first part, under the class locks
// alone, so that large objects come and go meanwhile. A span's entries
// change only under its class's lock; a large object's, under the large
// lock, are passed over a page at a time and walked by check_pagemap.
static int check_spans(const struct hobj_heap *h, uintptr_t top, struct tally *t,
		       struct hobj_fault *f)
{
	uintptr_t a = h->start, e;
	const struct hobj_span *s;
	int err;

	while (a < top) {
		e = __atomic_load_n(&h->pagemap[(a - h->start) >> h->shift], __ATOMIC_RELAXED);
		if (e == 0 || (e & HOBJ_PM_LARGE)) {
			a += h->pool->granule;
			continue;
		}
		s = (const struct hobj_span *)e;
		if (s->base != a || s->bytes > top - a)
			return fault(f, HOBJ_EPAGEMAP, a, s->base, e, 1);
		err = check_span(h, s, t, f);
		if (err != HOBJ_OK)
			return err;
		a += s->bytes;
	}
	return HOBJ_OK;
}

// check_pagemap walks the page map over the pool's pages, every lock held:
// every span from its first page, each of its pages pointing at it, an
// owned one its owner's (check_spans checked their objects); every large
// object from its first page, each later page pointing back.
static int check_pagemap(const struct hobj_heap *h, struct tally *t, struct hobj_fault *f)
{
	uintptr_t top = pool_top(h), g = h->pool->granule;
	uintptr_t a = h->start, e, k, n;
	const uintptr_t *m;
	int err;

	while (a < top) {
		m = &h->pagemap[(a - h->start) >> h->shift];
		e = *m;
		if (e == 0) {
			a += g;
			continue;
		}
		if ((e & HOBJ_PM_TAIL) ||
		    ((e & HOBJ_PM_LARGE) && (e >> 2 == 0 || e >> 2 > (top - a) >> h->shift)))
			return fault(f, HOBJ_EPAGEMAP, a, 0, e, 0);
		if (e & HOBJ_PM_LARGE) {
			n = e >> 2;
			t->large_bytes += n * g;
			t->nlarge++;
		} else {
			const struct hobj_span *s = (const struct hobj_span *)e;

			if (s->base != a || s->bytes > top - a)
				return fault(f, HOBJ_EPAGEMAP, a, s->base, e, 1);
			err = s->owner != NULL ? check_owned(h, s, t, f) : HOBJ_OK;
			if (err != HOBJ_OK)
				return err;
			n = s->bytes >> h->shift;
		}
		for (k = 1; k < n; k++)
			if (m[k] != ((e & HOBJ_PM_LARGE) ? (k << 2) | 3 : e))
				return fault(f, HOBJ_EPAGEMAP, a + k * g, a, m[k], 2);
		a += n * g;
	}
	return HOBJ_OK;
}

// check_list holds class c's list and counts against what the walk of its
// spans found: nspan spans, inuse objects in use in the central ones,
// notfull of those not full, empty of them empty. Class lock held.
static int check_list(const struct hobj_heap *h, unsigned c, uintptr_t nspan, uintptr_t inuse,
		      uintptr_t notfull, uintptr_t empty, struct hobj_fault *f)
{
	const struct hobj_class *k = &h->class[c];
	const struct hobj_span *s, *prev = NULL;
	uintptr_t n = 0;

	for (s = k->partial; s != NULL && n <= nspan; prev = s, s = s->next, n++)
		if (s->cls != c || s->prev != prev || s->owner != NULL || s->inuse >= s->nobj ||
		    s->base < h->start || s->base >= h->end ||
		    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s)
			return fault(f, HOBJ_EPARTIAL, (uintptr_t)s, s->base, c, n);
	if (n != notfull || empty > 1)
		return fault(f, HOBJ_EPARTIAL, 0, 0, c, n);
	if (k->nspan != nspan || k->inuse != inuse)
		return fault(f, HOBJ_ECOUNT, 0, 0, c, k->inuse);
	return HOBJ_OK;
}

// check_classes holds each class's list and counts against the tally.
static int check_classes(const struct hobj_heap *h, const struct tally *t, struct hobj_fault *f)
{
	unsigned c;
	int err;

	for (c = 1; c < HOBJ_NCLASS; c++) {
		err = check_list(h, c, t->nspan[c], t->inuse[c], t->notfull[c], t->empty[c], f);
		if (err != HOBJ_OK)
			return err;
	}
	if (h->large_bytes != t->large_bytes || h->nlarge != t->nlarge)
		return fault(f, HOBJ_ECOUNT, 0, 0, 0, h->large_bytes);
	return HOBJ_OK;
}

// check_caches holds each cache against the page map's walk: its active
// spans each a span of its class that names the cache its owner; its
// rspans lists each of spans it owns with remote objects (rlisted); its
// nowned counts, summed, as many owned spans per class as the walk found
// (so, with check_owned, every owned span is exactly one cache's), and
// the rspans lists as long as the walk found rlisted spans. The store's
// lock holds the list of caches, each class's lock rspans and nowned; an
// active span's entry the owner changes with no lock, but only from one
// span it owns to another (or NULL).
static int check_caches(const struct hobj_heap *h, const struct tally *t, struct hobj_fault *f)
{
	const struct hobj_cache *cache;
	const struct hobj_span *s;
	uintptr_t n = 0, k, owned[HOBJ_NCLASS] = {0}, rl[HOBJ_NCLASS] = {0};
	unsigned c;

	for (cache = h->caches; cache != NULL; cache = cache->next) {
		if (++n > h->nrecord + 4096) // a loop: no heap has that many caches
			return fault(f, HOBJ_ECACHE, (uintptr_t)cache, 0, n, 0);
		for (c = 1; c < HOBJ_NCLASS; c++) {
			owned[c] += cache->nowned[c];
			for (s = cache->rspans[c], k = 0; s != NULL; s = s->rnext) {
				if (++k > cache->nowned[c] || s->base < h->start ||
				    s->base >= h->end ||
				    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s ||
				    s->owner != cache || s->cls != c || !s->rlisted)
					return fault(f, HOBJ_ECACHE, (uintptr_t)cache, 0, c,
						     (uintptr_t)s);
			}
			rl[c] += k;
			// another cache's owner changes it with no lock, but only
			// to a span it owns (or NULL), which only the lock changes
			s = __atomic_load_n(&cache->alloc[c], __ATOMIC_RELAXED);
			if (s == NULL)
				continue;
			if (s->base < h->start || s->base >= h->end ||
			    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s ||
			    s->owner != cache || s->cls != c)
				return fault(f, HOBJ_ECACHE, (uintptr_t)cache, 0, c, (uintptr_t)s);
		}
	}
	for (c = 1; c < HOBJ_NCLASS; c++)
		if (owned[c] != t->owned[c] || rl[c] != t->rlisted[c])
			return fault(f, HOBJ_ECACHE, 0, 0, c, owned[c]);
	return HOBJ_OK;
}

// check_pool finds no span or large object in the pool's free blocks and
// answers HOBJ_ECOUNT unless the pool's bytes in use are all the heap's.
static int check_pool(const struct hobj_heap *h, const struct tally *t, struct hobj_fault *f)
{
	const struct heaplab_pool *pool = h->pool;
	const struct heaplab_hdr *b;
	uintptr_t a, mine;

	for (b = pool->freelist; b != NULL; b = b->next)
		for (a = (uintptr_t)b; a < (uintptr_t)b + b->size; a += pool->granule)
			if (a >= h->start && a < h->end &&
			    h->pagemap[(a - h->start) >> h->shift] != 0)
				return fault(f, HOBJ_EPOOL, a, (uintptr_t)b, b->size, 0);
	// What is in transit the pool may count or not (objects.c, "Transit"):
	// exact when nothing is.
	mine = t->span_bytes + t->large_bytes + h->pagemap_bytes + h->store_bytes;
	if (mine > pool->inuse ||
	    pool->inuse - mine > __atomic_load_n(&h->transit_bytes, __ATOMIC_RELAXED))
		return fault(f, HOBJ_ECOUNT, 0, 0, mine, pool->inuse);
	return HOBJ_OK;
}

// check_store counts the unused span records: with the spans and the
// records in transit, every record.
static int check_store(const struct hobj_heap *h, const struct tally *t, struct hobj_fault *f)
{
	const struct hobj_span *s;
	uintptr_t n = 0, spans = 0;
	unsigned c;

	for (c = 1; c < HOBJ_NCLASS; c++)
		spans += t->nspan[c];
	for (s = h->store; s != NULL && n <= h->nrecord; s = s->next)
		n++;
	spans += __atomic_load_n(&h->transit_records, __ATOMIC_RELAXED); // taken, not yet linked
	if (n + spans != h->nrecord)
		return fault(f, HOBJ_ECOUNT, 0, 0, n + spans, h->nrecord);
	return HOBJ_OK;
}

// What the walk of one class's spans counts (hobj_check_class): on a
// kernel stack, as two CPUs may check two classes at once.
struct ctally {
	uintptr_t nspan, inuse, notfull, empty;
	uintptr_t mine, mine_rl; // spans the caller's cache owns, those rlisted
};

// class_span checks s, a span of class c (its lock held): its record, its
// pages each pointing at it, its remote list, and its objects if it is
// central (the caller's cache's were checked with no lock, another
// cache's are its owner's to change); counts it in *t.
static int class_span(const struct hobj_heap *h, const struct hobj_span *s, uintptr_t top,
		      const struct hobj_cache *mine, struct ctally *t, struct hobj_fault *f)
{
	uintptr_t a = s->base, e = (uintptr_t)s, k;
	int err = check_record(h, s, f);

	if (err != HOBJ_OK)
		return err;
	if (s->bytes > top - a)
		return fault(f, HOBJ_EPAGEMAP, a, s->base, e, 1);
	for (k = 1; k < s->bytes >> h->shift; k++)
		if (h->pagemap[((a - h->start) >> h->shift) + k] != e)
			return fault(f, HOBJ_EPAGEMAP, a + (k << h->shift), a,
				     h->pagemap[((a - h->start) >> h->shift) + k], 2);
	err = check_remote(s, f);
	if (err != HOBJ_OK)
		return err;
	t->nspan++;
	if (s->owner != NULL) {
		t->mine += s->owner == mine;
		t->mine_rl += s->owner == mine && s->rlisted;
		return HOBJ_OK;
	}
	err = check_objects(s, f);
	if (err != HOBJ_OK)
		return err;
	t->inuse += s->inuse;
	t->notfull += s->inuse < s->nobj;
	t->empty += s->inuse == 0;
	return HOBJ_OK;
}

// class_spans walks class c's list of every span (struct hobj_class,
// spans), its lock held and no other: spans of class c are linked and
// unlinked only under it (hobj_span_linkl, hobj_span_releasel), so the
// list, and each listed span's record and page map entries, stand still.
// Each span on it is of class c, linked back to the one before, its first
// page below top and pointing at it (class_span checks the rest); a list
// longer than nspan is cut one past it, which check_list's count finds. So the
// walk costs the class's spans, not the pool's pages: under --smp 4 the
// page map's walk was most of a class check's hold of the lock. That the
// list holds every span of c the page map names is hobj_check's
// (check_spanlists).
static int class_spans(const struct hobj_heap *h, unsigned c, uintptr_t top,
		       const struct hobj_cache *mine, struct ctally *t, struct hobj_fault *f)
{
	const struct hobj_class *k = &h->class[c];
	const struct hobj_span *s, *prev = NULL;
	uintptr_t n = 0;
	int err;

	for (s = k->spans; s != NULL && n <= k->nspan; prev = s, s = s->cnext, n++) {
		if (s->cls != c || s->cprev != prev || s->base < h->start || s->base >= top ||
		    (s->base - h->start) % h->pool->granule != 0 ||
		    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s)
			return fault(f, HOBJ_ESPANS, (uintptr_t)s, 0, c, n);
		err = class_span(h, s, top, mine, t, f);
		if (err != HOBJ_OK)
			return err;
	}
	return HOBJ_OK;
}

// check_spanlists holds each class's list of every span against the page
// map's walk (the tally, below top): each entry a span of the class whose
// first page points at it (so a span the walk counted), linked back to the
// one before (so none twice: the first entry met again would find another
// before it), as many as the walk found. So every span is on its class's
// list once and nothing else is. Every class lock held.
static int check_spanlists(const struct hobj_heap *h, uintptr_t top, const struct tally *t,
			   struct hobj_fault *f)
{
	const struct hobj_span *s, *prev;
	uintptr_t n;
	unsigned c;

	for (c = 1; c < HOBJ_NCLASS; c++) {
		prev = NULL;
		n = 0;
		for (s = h->class[c].spans; s != NULL; prev = s, s = s->cnext) {
			if (++n > t->nspan[c] || s->cls != c || s->cprev != prev ||
			    s->base < h->start || s->base >= top ||
			    (s->base - h->start) % h->pool->granule != 0 ||
			    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s)
				return fault(f, HOBJ_ESPANS, (uintptr_t)s, 0, c, n);
		}
		if (n != t->nspan[c])
			return fault(f, HOBJ_ESPANS, 0, 0, c, n);
	}
	return HOBJ_OK;
}

// class_mine holds the caller's cache's record of class c against the
// walk: nowned[c] as many spans as name it their owner, rspans[c] listing
// exactly those of them with remote objects. Class lock held (it guards
// both; check_mine_class counted the cache's lists against nowned).
static int class_mine(const struct hobj_heap *h, const struct hobj_cache *mine, unsigned c,
		      const struct ctally *t, struct hobj_fault *f)
{
	const struct hobj_span *s;
	uintptr_t k = 0;

	if (mine->nowned[c] != t->mine)
		return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, t->mine);
	for (s = mine->rspans[c]; s != NULL; s = s->rnext)
		if (++k > t->mine_rl || s->base < h->start || s->base >= h->end ||
		    h->pagemap[(s->base - h->start) >> h->shift] != (uintptr_t)s ||
		    s->owner != mine || s->cls != c || !s->rlisted)
			return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, (uintptr_t)s);
	if (k != t->mine_rl)
		return fault(f, HOBJ_ECACHE, (uintptr_t)mine, 0, c, k);
	return HOBJ_OK;
}

// hobj_check_class checks class c holding one lock at a time, as Linux's
// slab validation walks a cache node by node: for a caller that checks
// often while other CPUs allocate (the SMP stress), where hobj_check's
// hold of every lock at once stalls them all.
//
// What it checks: with no lock, the caller's cache's spans of class c
// (check_mine_class: the active span, the part and full lists, each span's
// record and objects, as many as nowned); then under c's lock alone, every
// span on c's list of its spans, each below the pool's top (class_spans):
// its record, each of its pages pointing at it, its remote list, a central
// one's objects (in use, free or never handed out, exactly once; never
// handed out zero); c's central list and counts against them (check_list:
// nspan, inuse, the list exactly the central spans not full, at most one
// empty); and the caller's cache's nowned[c] and rspans[c] (class_mine).
//
// What only hobj_check checks: the page map as a whole (large objects'
// entries, tails and entries that name no span, or a span whose record is
// not of its class), so whether c's list holds every span of c (a span of
// c on no list is found by it alone), the large objects' totals, the store's records, the
// pool's free blocks (no span in them) and its byte count, the list of
// caches (which takes the store's lock) and so whether another cache's
// span names a cache at all, other caches' nowned, rspans and active spans
// (each cache's owner checks its own through this function: in the SMP
// stress every CPU does), and objects of other caches' spans (hobj_check
// neither). The top is the pool's bloc, read with no pool lock: a span of
// class c is linked under c's lock after its pages were taken, so below
// the bloc the lock's acquire shows; the pool gives back only free pages.
int hobj_check_class(struct hobj_heap *heap, unsigned c, struct hobj_fault *f)
{
	struct ctally t = {0};
	struct hobj_cache *mine;
	uintptr_t top;
	int err;

	if (c == 0 || c >= HOBJ_NCLASS)
		hobj_fail(heap, "hobj_check_class: no such class");
	mine = hobj_cache_enter(heap);
	err = mine != NULL ? check_mine_class(heap, mine, c, f) : HOBJ_OK;
	if (err != HOBJ_OK) {
		hobj_cache_leave(heap, mine);
		return err;
	}
	hobj_lock(heap, c);
	top = __atomic_load_n(&heap->pool->bloc, __ATOMIC_RELAXED);
	top = top != 0 ? top : heap->start;
	err = class_spans(heap, c, top, mine, &t, f);
	if (err == HOBJ_OK)
		err = check_list(heap, c, t.nspan, t.inuse, t.notfull, t.empty, f);
	if (err == HOBJ_OK && mine != NULL)
		err = class_mine(heap, mine, c, &t, f);
	hobj_unlock(heap, c);
	hobj_cache_leave(heap, mine);
	if (err == HOBJ_OK)
		fault(f, HOBJ_OK, 0, 0, 0, 0);
	return err;
}

// hobj_check walks in three parts. The objects of the caller's cache's
// spans with no lock (check_mine); the spans and the other objects under
// the class locks alone (check_spans); then, the large
// lock, the store's and the pool's taken too, the page map whole, the
// classes, the caches, the store and the pool. So a large object's malloc
// or free waits for the second part only: under --smp 4 the stress's
// check, every 256 operations on each CPU, was most of the large lock's
// and the pool's failed test-and-sets. The spans cannot change between
// the parts (their class locks are held throughout).
int hobj_check(struct hobj_heap *heap, struct hobj_fault *f)
{
	static struct tally t; // large for a kernel stack; the check holds every lock
	struct hobj_cache *mine = hobj_cache_enter(heap);
	uintptr_t top;
	unsigned lk;
	int err;

	err = check_mine(heap, mine, f);
	if (err != HOBJ_OK) {
		hobj_cache_leave(heap, mine);
		return err;
	}
	for (lk = 1; lk < HOBJ_NCLASS; lk++)
		if (heap->ops->lock != NULL)
			heap->ops->lock(heap, lk);
	heaplab_lock(heap->pool);
	top = pool_top(heap); // no span is linked meanwhile: none lies above it
	heaplab_unlock(heap->pool);
	memset(&t, 0, sizeof t);
	t.mine = mine;
	t.mine_done = 1;
	err = check_spans(heap, top, &t, f);
	if (heap->ops->lock != NULL) {
		heap->ops->lock(heap, HOBJ_LOCK_LARGE);
		heap->ops->lock(heap, HOBJ_LOCK_STORE);
	}
	heaplab_lock(heap->pool);
	if (err == HOBJ_OK)
		err = check_pagemap(heap, &t, f);
	if (err == HOBJ_OK)
		err = check_spanlists(heap, top, &t, f);
	if (err == HOBJ_OK)
		err = check_classes(heap, &t, f);
	if (err == HOBJ_OK)
		err = check_caches(heap, &t, f);
	if (err == HOBJ_OK)
		err = check_store(heap, &t, f);
	if (err == HOBJ_OK)
		err = check_pool(heap, &t, f);
	heaplab_unlock(heap->pool);
	if (heap->ops->unlock != NULL) {
		heap->ops->unlock(heap, HOBJ_LOCK_STORE);
		heap->ops->unlock(heap, HOBJ_LOCK_LARGE);
		for (lk = HOBJ_NCLASS - 1; lk >= 1; lk--)
			heap->ops->unlock(heap, lk);
	}
	hobj_cache_leave(heap, mine);
	if (err == HOBJ_OK)
		fault(f, HOBJ_OK, 0, 0, 0, 0);
	return err;
}

static const char *const errnames[HOBJ_ENERR] = {
    [HOBJ_OK] = "ok",
    [HOBJ_EMOVE] = "must move",
    [HOBJ_ENOMEM] = "no room for the page map",
    [HOBJ_EGRANULE] = "granule not a power of two from 64 to 4096",
    [HOBJ_EOUTSIDE] = "pointer outside the heap",
    [HOBJ_EUNUSED] = "pointer into a page that holds no object",
    [HOBJ_EINTERIOR] = "pointer inside an object, not at its start",
    [HOBJ_EFREE] = "object not in use (a double free, or never handed out)",
    [HOBJ_ESPAN] = "span record disagrees with its class",
    [HOBJ_EFREELIST] = "free list entry wrong",
    [HOBJ_ECOUNT] = "counts disagree",
    [HOBJ_EDIRTY] = "never-handed-out object not zero",
    [HOBJ_EPARTIAL] = "partial list wrong",
    [HOBJ_EPAGEMAP] = "page map entry wrong",
    [HOBJ_EPOOL] = "span or large object in the pool's free pages",
    [HOBJ_ECACHE] = "a cache and its spans disagree",
    [HOBJ_ESPANS] = "a class's list of every span wrong",
};

const char *hobj_strerror(int err)
{
	if (err < 0 || err >= HOBJ_ENERR)
		return "unknown error";
	return errnames[err];
}

// A line being written: at most len bytes, the NUL included; k counts
// the whole line, as snprintf does.
struct line {
	char *buf;
	size_t len, k;
};

static void put_s(struct line *l, const char *s)
{
	for (; *s != '\0'; s++, l->k++)
		if (l->k + 1 < l->len)
			l->buf[l->k] = *s;
}

// put_x writes v in hex with 0x; put_d in decimal, without a division
// (arm's libgcc call): by subtracting powers of ten.
static void put_x(struct line *l, uintptr_t v)
{
	char d[2 + 2 * sizeof v + 1], *e = d + sizeof d - 1;

	*e = '\0';
	do {
		*--e = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	*--e = 'x';
	*--e = '0';
	put_s(l, e);
}

static void put_d(struct line *l, uintptr_t v)
{
	uintptr_t pw[24];
	char d[2] = {0, 0};
	int k = 0;

	for (pw[0] = 1; pw[k] <= UINTPTR_MAX / 10 && pw[k] * 10 <= v; k++)
		pw[k + 1] = pw[k] * 10;
	for (; k >= 0; k--) {
		for (d[0] = '0'; v >= pw[k]; v -= pw[k])
			d[0]++;
		put_s(l, d);
	}
}

// put_span names the span at base of class c (0: a large object).
static void put_span(struct line *l, uintptr_t base, uintptr_t c)
{
	put_s(l, c != 0 ? "span " : "large object ");
	put_x(l, base);
	if (c != 0 && c < HOBJ_NCLASS) {
		put_s(l, " (class ");
		put_d(l, c);
		put_s(l, ", ");
		put_d(l, hobj_class_size[c]);
		put_s(l, "-byte objects)");
	}
}

int hobj_fault_format(const struct hobj_fault *f, char *buf, size_t len)
{
	struct line l = {buf, len, 0};

	put_s(&l, "pointer ");
	put_x(&l, f->ptr);
	put_s(&l, ": ");
	put_s(&l, hobj_strerror(f->err));
	switch (f->err) {
	case HOBJ_EOUTSIDE:
		put_s(&l, " [");
		put_x(&l, f->a);
		put_s(&l, ", ");
		put_x(&l, f->b);
		put_s(&l, ")");
		break;
	case HOBJ_EUNUSED:
		break;
	case HOBJ_EINTERIOR:
		put_s(&l, ": the object at ");
		put_x(&l, f->a);
		put_s(&l, " of ");
		put_span(&l, f->span, f->b);
		break;
	case HOBJ_EFREE:
		put_s(&l, ": ");
		put_span(&l, f->span, f->a);
		break;
	default: // a check's finding: the span and its values
		put_s(&l, ": span ");
		put_x(&l, f->span);
		put_s(&l, ", values ");
		put_x(&l, f->a);
		put_s(&l, " ");
		put_x(&l, f->b);
		break;
	}
	if (len > 0)
		buf[l.k < len ? l.k : len - 1] = '\0';
	return (int)l.k;
}
