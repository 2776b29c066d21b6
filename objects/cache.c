// SPDX-License-Identifier: BSD-3-Clause
// The objects layer's caches, one per CPU or per thread: Go's mcache in
// front of the central lists (objects/objects.c), so that a small malloc
// and free take no lock.
//
// Theory of operation
//
//   A cache owns at most one span per class, its active span: alloc[c].
//   Owning means that the span is on no list and that its free list, its
//   fresh mark, its in-use bits and count are the owner's alone. The owner
//   is whoever holds the cache: a thread (its own cache), or a CPU with
//   interrupts off (ops->cache_enter and cache_leave bracket each call).
//
//     cache (CPU 0)        class 5's central list       cache (CPU 1)
//     alloc[5] ---> span A     partial: B <-> C      <--- alloc[5]: span D
//                   owner 0    owner NULL                 owner 1
//                   free ->o->o      (class lock)         remote ->o  (freed by CPU 0)
//
//   malloc, class c: the active span has an object (inuse < nobj): take it,
//   hobj_span_take, no lock, no atomic. Else refill, under c's lock: the
//   span's remote list, if any, comes back to its free list and the span
//   stays; else the exhausted span goes back to the class (full: on no
//   list) and the cache takes the list's first span, or a new one.
//
//   free(p), p's span s from the page map: s->owner is this cache: check
//   the remote bit, then hobj_span_give, no lock. s is central (owner
//   NULL): the class lock, as without caches. s is another cache's (a free
//   from another thread or CPU): the class lock, then refuse p unless its
//   in-use bit is set and its remote bit clear, set the remote bit and
//   push p on s's remote list. The owner's in-use bits are not touched: the
//   owner writes them with no lock, and a second writer would lose bits.
//   The owner takes the remote list back under the lock, when s runs dry
//   or leaves the cache (flush): each object's in-use bit cleared, pushed
//   on the free list, the remote bits cleared.
//
//   So a double free is refused on every path before anything changes:
//   the second free finds the in-use bit clear (freed by the owner, or
//   taken back from the remote list) or the remote bit set (freed remotely
//   and not yet taken back). The owner's free reads the remote bit only if
//   the span has remote objects (nremote, read with no lock: a free that
//   happened before is seen).
//
//   Reads with no lock across caches. Another cache reads an owned span's
//   owner (to learn it is not its own) and, under the class lock, the
//   in-use bit of the object it frees, while the owner may be writing
//   other bits of the same word: the bit it reads changes only with a free
//   of that same object, which would be a use of freed memory by the
//   program. owner, nremote and remote_bits are read and written as
//   word-sized relaxed atomics: no 64-bit atomics, which 32-bit targets
//   would take from libatomic.
//
//   Counts. A class's inuse counts its central spans' objects; an owned
//   span's are its own record's (inuse less nremote). A cache counts its
//   lock-free mallocs and frees per class and adds them to the class's
//   whenever it takes the class lock. hobj_stats adds both.
//
//   The fast path alone. hobj_fast_malloc and hobj_fast_free are the two
//   cases above that take no lock, in one call each, for a consumer that
//   knows its cache (a thread's, in TLS): they answer NULL or 0 for
//   everything else (a refill, another cache's object, a large object, a
//   bad pointer, a checking heap), and the consumer calls hobj_malloc or
//   hobj_free, which find the same cache through ops->cache_enter.
//
//   Memory. A cache holds at most one span per class; hobj_cache_flush
//   gives them back (a thread's exit, a CPU going down), and a flushed
//   span that is empty goes back to the pool unless it is its class's
//   only one, as a central free would leave it.
#include "internal.h"

void *memset(void *s, int c, size_t n); // from the C library, as in objects.c

void hobj_cache_init(struct hobj_heap *heap, struct hobj_cache *cache, long id)
{
	memset(cache, 0, sizeof *cache);
	cache->id = id;
	hobj_lock(heap, HOBJ_LOCK_STORE);
	cache->next = heap->caches;
	heap->caches = cache;
	hobj_unlock(heap, HOBJ_LOCK_STORE);
}

// foldl adds cache's lock-free counts of class c to the class's.
static void foldl(struct hobj_heap *h, struct hobj_cache *cache, unsigned c)
{
	hobj_assert_locked(h, c, "hobj cache: class lock not held");
	h->class[c].nalloc += cache->nalloc[c];
	h->class[c].nfree += cache->nfree[c];
	cache->nalloc[c] = cache->nfree[c] = 0;
}

// adoptl takes back s's remote list: every object on it free again, on
// the free list. The owner, class lock held.
static void adoptl(struct hobj_heap *h, struct hobj_span *s)
{
	void *q, *next;
	unsigned k;

	hobj_assert_locked(h, s->cls, "hobj adopt: class lock not held");
	for (q = s->remote; q != NULL; q = next) {
		next = *(void **)q;
		if (hobj_span_give(s, (uintptr_t)q, NULL) != HOBJ_OK)
			hobj_fail(h, "hobj: a remote list entry is not in use");
	}
	s->remote = NULL;
	__atomic_store_n(&s->nremote, 0, __ATOMIC_RELAXED);
	for (k = 0; k < HOBJ_MAXOBJ / HOBJ_RBITS; k++)
		__atomic_store_n(&s->remote_bits[k], 0, __ATOMIC_RELAXED);
}

// releasel gives cache's active span s back to its class: onto the list
// if it has a free object, unlinked into g for the pool if it is empty and
// not the class's only listed span. Class lock held.
static void releasel(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s,
		     struct hobj_gone *g)
{
	struct hobj_class *k = &h->class[s->cls];

	adoptl(h, s);
	__atomic_store_n(&s->owner, NULL, __ATOMIC_RELAXED);
	cache->alloc[s->cls] = NULL;
	k->inuse += s->inuse;
	if (s->inuse == s->nobj)
		return;
	hobj_list_push(k, s);
	if (s->inuse == 0 && s->next != NULL)
		hobj_span_releasel(h, s, g);
}

// acquirel makes the first span of class c's list cache's active span;
// NULL if the list is empty. Class lock held.
static struct hobj_span *acquirel(struct hobj_heap *h, struct hobj_cache *cache, unsigned c)
{
	struct hobj_class *k = &h->class[c];
	struct hobj_span *s = k->partial;

	if (s == NULL)
		return NULL;
	hobj_list_remove(k, s);
	k->inuse -= s->inuse;
	__atomic_store_n(&s->owner, cache, __ATOMIC_RELAXED);
	cache->alloc[c] = s;
	return s;
}

// refill answers an object of class c when cache's active span has none:
// its remote list taken back, or another span: the list's first, or a new
// one, whose record and pages are taken with the class lock released
// (objects.c, "Transit").
static void *refill(struct hobj_heap *h, struct hobj_cache *cache, unsigned c, int *zero)
{
	struct hobj_span *s = cache->alloc[c], *fresh;
	struct hobj_gone g = {0, 0};
	void *p = NULL;

	hobj_lock(h, c);
	foldl(h, cache, c);
	if (s != NULL && s->nremote != 0)
		adoptl(h, s);
	else if (s != NULL)
		releasel(h, cache, s, &g);
	s = cache->alloc[c];
	if (s == NULL && h->class[c].partial == NULL) {
		hobj_unlock(h, c);
		hobj_give_back(h, &g);
		fresh = hobj_span_fresh(h, c);
		hobj_lock(h, c);
		if (fresh != NULL)
			hobj_span_linkl(h, fresh);
	}
	if (s != NULL || (s = acquirel(h, cache, c)) != NULL) {
		p = hobj_span_take(s, zero);
		h->class[c].nalloc++;
	}
	hobj_unlock(h, c);
	hobj_give_back(h, &g);
	return p;
}

void *hobj_cache_obj(struct hobj_heap *h, struct hobj_cache *cache, unsigned c, int *zero)
{
	struct hobj_span *s = cache->alloc[c];

	if (s != NULL && s->inuse < s->nobj) { // the fast path
		cache->nalloc[c]++;
		return hobj_span_take(s, zero);
	}
	return refill(h, cache, c, zero);
}

int hobj_find_live(const struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	unsigned i;
	int err = hobj_span_find(s, p, &i, f);

	if (err == HOBJ_OK && hobj_remote_test(s, i))
		err = hobj_fault(f, HOBJ_EFREE, p, s->base, s->cls, s->bytes);
	return err;
}

int hobj_cache_give(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s, uintptr_t p,
		    struct hobj_fault *f)
{
	int err;

	if (cache == NULL || hobj_owner(s) != cache)
		return HOBJ_NOTMINE;
	if (p - s->base >= s->bytes) // s was released and is ours again: p is stale
		return hobj_fault(f, HOBJ_EUNUSED, p, 0, p, 0);
	if (__atomic_load_n(&s->nremote, __ATOMIC_RELAXED) != 0 &&
	    (err = hobj_find_live(s, p, f)) != HOBJ_OK)
		return err;
	err = hobj_span_give(s, p, f);
	if (err == HOBJ_OK)
		cache->nfree[s->cls]++;
	(void)h;
	return err;
}

int hobj_remote_freel(struct hobj_heap *h, struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	unsigned i;
	int err = hobj_find_live(s, p, f);

	hobj_assert_locked(h, s->cls, "hobj remote free: class lock not held");
	if (err != HOBJ_OK)
		return err;
	hobj_span_find(s, p, &i, NULL);
	hobj_remote_set(s, i, 1);
	*(void **)p = s->remote;
	s->remote = (void *)p;
	__atomic_store_n(&s->nremote, s->nremote + 1, __ATOMIC_RELAXED);
	h->class[s->cls].nfree++;
	return HOBJ_OK;
}

void *hobj_fast_malloc(struct hobj_heap *heap, struct hobj_cache *cache, size_t n)
{
	struct hobj_span *s;
	unsigned c;
	int zero;

	if (n > HOBJ_MAX_SMALL || (HOBJ_DEBUG && heap->checking))
		return NULL;
	c = hobj_class_of(n);
	s = cache->alloc[c];
	if (s == NULL || s->inuse >= s->nobj)
		return NULL;
	cache->nalloc[c]++;
	return hobj_span_take(s, &zero);
}

int hobj_fast_free(struct hobj_heap *heap, struct hobj_cache *cache, void *p)
{
	uintptr_t a = (uintptr_t)p, e;
	struct hobj_span *s;

	if (a - heap->start >= heap->end - heap->start || (HOBJ_DEBUG && heap->checking))
		return 0;
	e = heap->pagemap[(a - heap->start) >> heap->shift];
	s = (struct hobj_span *)e;
	if (e == 0 || (e & HOBJ_PM_LARGE) || hobj_owner(s) != cache || a - s->base >= s->bytes ||
	    __atomic_load_n(&s->nremote, __ATOMIC_RELAXED) != 0 ||
	    hobj_span_give(s, a, NULL) != HOBJ_OK)
		return 0;
	cache->nfree[s->cls]++;
	return 1;
}

void hobj_cache_flush(struct hobj_heap *heap, struct hobj_cache *cache)
{
	unsigned c;

	struct hobj_gone g;

	for (c = 1; c < HOBJ_NCLASS; c++) {
		if (cache->alloc[c] == NULL && cache->nalloc[c] == 0 && cache->nfree[c] == 0)
			continue;
		g = (struct hobj_gone){0, 0};
		hobj_lock(heap, c);
		foldl(heap, cache, c);
		if (cache->alloc[c] != NULL)
			releasel(heap, cache, cache->alloc[c], &g);
		hobj_unlock(heap, c);
		hobj_give_back(heap, &g);
	}
}

void hobj_cache_fini(struct hobj_heap *heap, struct hobj_cache *cache)
{
	struct hobj_cache **pp;

	hobj_cache_flush(heap, cache);
	hobj_lock(heap, HOBJ_LOCK_STORE);
	for (pp = &heap->caches; *pp != NULL && *pp != cache; pp = &(*pp)->next)
		;
	if (*pp == cache)
		*pp = cache->next;
	hobj_unlock(heap, HOBJ_LOCK_STORE);
	cache->next = NULL;
}
