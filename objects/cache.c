// SPDX-License-Identifier: BSD-3-Clause
// The objects layer's caches, one per CPU or per thread: Go's mcache in
// front of the central lists (objects/objects.c), with mimalloc's rule that
// a cache owns every span it allocates from, so that a small malloc and a
// free by the thread (or CPU) that allocated take no lock.
//
// Theory of operation
//
//   A cache owns, per class c, every span it took from the class and has
//   not given back: its active span alloc[c], which malloc takes objects
//   from; its part list, spans with a free object; its full list, spans
//   with none. Owning means that the span is on no central list and that
//   its free list, fresh mark, in-use bits and count, and its place in the
//   cache's lists, are the owner's alone. The owner is whoever holds the
//   cache: a thread (its own cache), or a CPU with interrupts off
//   (ops->cache_enter and cache_leave bracket each call).
//
//     cache (CPU 0)                 class 5's central list   cache (CPU 1)
//     alloc[5] -> A  part: E  full: F    partial: B <-> C    alloc[5] -> D
//                owner 0 (all three)     owner NULL          owner 1
//                free ->o->o             (class lock)        remote ->o (freed by CPU 0)
//                                                            rspans[5] of CPU 1: D
//
//   Why this and not one active span per class (the layer's first cache,
//   Go's mcache as it is): a span that ran dry went back to the class, and
//   every later free into it took the class lock, a pthread mutex in the
//   preload: with objects living longer than one span's worth of mallocs
//   (every tree, every list) most frees did, and the locks were a fifth of
//   the mixed workload's instructions. And not tcmalloc's or Bonwick's
//   magazines (free lists of objects per class in the cache, moved to the
//   central lists in batches): an object in a magazine is free but its
//   span's in-use bit is set, so a double free could no longer be refused
//   in O(1) from the span's bits, and the check would need every
//   magazine's objects; here every object's state stays in its span.
//
//   malloc, class c: the active span has an object (inuse < nobj): take it,
//   hobj_span_take, no lock, no atomic. Else refill: the dry span joins the
//   full list, and the first span of the part list becomes the active one,
//   with no lock. Only when the part list is empty is c's lock taken: the
//   remote lists of the cache's spans listed on rspans[c] come back to
//   their free lists (drainl: a span that was full moves to the part
//   list, an empty one beyond the first few goes back to the pool); if
//   that gives none, the cache takes the central list's first span, or a new
//   one from the pool.
//
//   free(p), p's span s from the page map: s->owner is this cache: check
//   the remote bit, then hobj_span_give, no lock, wherever s is (active,
//   part or full). A full span that gets a free object moves to the part
//   list; a span that empties goes back to the pool, unlinked under the
//   class lock, unless it is the part list's only span and the active span
//   is full (so that a malloc and free in a loop across a span's end do
//   not take and give a span each time) or it is one of the last
//   HOBJ_NKEEP small spans that emptied (settle): the one free of a
//   cache's own objects that takes a lock, once per span. An active span
//   of more than HOBJ_SPARE_MIN bytes that empties becomes the cache's one
//   spare (park, below "Memory"). s is central
//   (owner NULL): the class lock, as without caches. s is another cache's
//   (a free from another thread or CPU): the class lock, then refuse p
//   unless its in-use bit is set and its remote bit clear, set the remote
//   bit, push p on s's remote list, and list s on its owner's rspans[c] if
//   it was not (rlisted). The owner's in-use bits are not touched: the
//   owner writes them with no lock, and a second writer would lose bits.
//   The owner takes the remote list back under the lock (above, or when it
//   flushes): the list spliced onto the free list whole, each entry's
//   in-use and remote bits cleared. A cache whose outbox is open
//   (hobj_outbox_open; the preload's threads) sets the remote bit with no
//   lock and pushes its frees in batches, one hold of the class lock for
//   many (objects.c, "The outbox").
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
//   would take from libatomic. A span changes owner only under its class
//   lock (taken from the central list, given back), so nowned and rspans
//   are the class lock's; the part and full lists are the owner's, and
//   only the owner's own check walks them (objects/check.c).
//
//   Counts. A class's inuse counts its central spans' objects; an owned
//   span's are its own record's (inuse less nremote). A cache counts its
//   lock-free mallocs and frees per class and adds them to the class's
//   whenever it takes the class lock. hobj_stats counts objects in use as
//   those handed out less those freed, the caches' counts added.
//
//   The fast path alone (objects/fast.h). hobj_fast_malloc and
//   hobj_fast_free are the two cases above that take no lock, inlined into
//   a consumer that knows its cache (a thread's, in TLS): they answer NULL
//   or 0 for everything else (a refill, another cache's object, a span
//   with remote objects, a large object, a bad pointer), and the consumer
//   calls hobj_malloc or hobj_free, which find the same cache through
//   ops->cache_enter. A fast free that empties a span or finds it full
//   ends in hobj_cache_settle, the moves below, out of line.
//
//   Memory. A cache holds the spans it allocates from, as a thread's
//   arena does: a span with any object in use stays the cache's until the
//   cache is flushed (a thread's exit, a CPU going down), and an empty one
//   goes back to the pool but for one spare per class. An active span that
//   empties stays active (a malloc and free in a loop take no span) if it
//   is at most HOBJ_SPARE_MIN (two units, 8 KiB: every class up to 1 KiB);
//   a larger one (12 to 52 KiB, for a few objects) becomes the cache's
//   spare, and the spare it replaces, if still empty and active, goes back
//   to the pool: a program whose objects passed through many large classes
//   once (realloc chains) kept an empty span of each, 280 KB of
//   bench/objbench.c mixed's 1.65 MB peak of spans. Not the smaller spans:
//   small objects of many classes freed and allocated in turn (the images'
//   malloc/free pairs) would pass the spare from class to class, each
//   change a span back to the pool and another taken. A flush gives every
//   span back to its class, one class lock per span; an empty one goes to
//   the pool unless it is its class's only listed span, as a central free
//   would leave it.
#include "fast.h" // hobj_cache_settle
#include "internal.h"

void *memset(void *s, int c, size_t n); // from the C library, as in objects.c

void hobj_cache_init(struct hobj_heap *heap, struct hobj_cache *cache, long id)
{
	memset(cache, 0, sizeof *cache);
	cache->id = id;
	cache->self = cache;
	hobj_fast_open(heap, cache);
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
// the free list. Each entry was found in use and its remote bit clear
// when it was freed (hobj_remote_freel, or an outbox: objects.c), and the
// check walks the list; its in-use bit and remote bit are cleared one
// entry at a time, not a word at a time by the remote bits, for an
// object in another cache's outbox has its remote bit set and is not on
// the list yet (counted in nremote, so nremote less the entries stays).
// The owner, class lock held.
static void adoptl(struct hobj_heap *h, struct hobj_span *s)
{
	void **q = s->remote, **last = NULL;
	uintptr_t k = 0;
	unsigned i;

	hobj_assert_locked(h, s->cls, "hobj adopt: class lock not held");
	if (q == NULL)
		return;
	for (; q != NULL; last = q, q = *q, k++) {
		i = hobj_index(s, (uintptr_t)q);
		s->inuse_bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
		hobj_remote_set(s, i, 0);
	}
	*last = s->free;
	s->free = s->remote;
	s->remote = NULL;
	s->inuse = (uint16_t)(s->inuse - k);
	__atomic_fetch_sub(&s->nremote, k, __ATOMIC_RELAXED);
}

// room: does the active span a have a free object?
static int room(const struct hobj_span *a)
{
	return a != NULL && a->inuse < a->nobj;
}

static void releasel(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s,
		     struct hobj_gone *g, int keep);

// A drain keeps at most this many spans it found empty, for the refills
// to come; the rest go back to the pool. One would do for memory, but a
// producer whose objects all come back remotely then takes every later
// span from the pool, zeroed (xthread: 175 instructions a call against
// 162 with four; with the outbox, 96.9 with four, 88.9 with sixteen, its
// peak footprint 1.00x glibc's and 1.08x, medians of seven runs).
#define DRAIN_KEEP 16

// drainl takes back the remote lists of every span on cache's rspans list
// of class c; a span that was full (on the full list) moves to the part
// list, and one that is empty now goes back to the pool beyond DRAIN_KEEP
// of them (a producer whose objects other threads free would otherwise
// keep every span it ever filled). The spans come off the list one at a time:
// the lock is released while the pool takes a span back, and meanwhile
// every span rlisted is on the list (the check holds them to it) and
// another cache's free may list one more. The owner, class lock held.
static void drainl(struct hobj_heap *h, struct hobj_cache *cache, unsigned c)
{
	struct hobj_span *s;
	struct hobj_gone g;
	unsigned empty = 0;
	int full;

	while ((s = cache->rspans[c]) != NULL) {
		cache->rspans[c] = s->rnext;
		s->rnext = NULL;
		s->rlisted = 0;
		full = s->inuse == s->nobj;
		adoptl(h, s);
		if (s == cache->alloc[c])
			continue;
		if (full) {
			hobj_dl_remove(&cache->full[c], s);
			hobj_dl_push(&cache->part[c], s);
		}
		if (s->inuse == 0 && ++empty > DRAIN_KEEP) {
			hobj_dl_remove(&cache->part[c], s);
			g = (struct hobj_gone){0, 0};
			releasel(h, cache, s, &g, 0);
			hobj_unlock(h, c);
			hobj_give_back(h, &g);
			hobj_lock(h, c);
		}
	}
}

// releasel gives s, which cache owns and holds in none of its lists (its
// remote list drained), back to its class: onto the central list if it has
// a free object, unlinked into g for the pool if it is empty and either
// not the class's only listed span or not to be kept (keep 0: the cache
// that gives it back keeps a spare of its own). Class lock held.
static void releasel(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s,
		     struct hobj_gone *g, int keep)
{
	struct hobj_class *k = &h->class[s->cls];

	hobj_assert_locked(h, s->cls, "hobj release: class lock not held");
	if (s->rlisted)
		hobj_fail(h, "hobj: a span released with its remote list undrained");
	__atomic_store_n(&s->owner, NULL, __ATOMIC_RELAXED);
	cache->nowned[s->cls]--;
	k->inuse += s->inuse;
	if (s->inuse == s->nobj)
		return;
	hobj_list_push(k, s);
	if (s->inuse == 0 && (s->next != NULL || !keep))
		hobj_span_releasel(h, s, g);
}

// acquirel makes the first span of class c's central list one of cache's,
// on its part list; nothing if the list is empty. Class lock held.
static void acquirel(struct hobj_heap *h, struct hobj_cache *cache, unsigned c)
{
	struct hobj_class *k = &h->class[c];
	struct hobj_span *s = k->partial;

	if (s == NULL)
		return;
	hobj_list_remove(k, s);
	k->inuse -= s->inuse;
	__atomic_store_n(&s->owner, cache, __ATOMIC_RELAXED);
	cache->nowned[c]++;
	hobj_dl_push(&cache->part[c], s);
}

// shelve puts cache's dry active span of class c (if any) on the full
// list, the spare no more: the class has no active span.
static void shelve(struct hobj_cache *cache, unsigned c)
{
	struct hobj_span *s = cache->alloc[c];

	if (s != NULL) {
		cache->alloc[c] = NULL;
		hobj_dl_push(&cache->full[c], s);
		if (cache->spare == s)
			cache->spare = NULL;
	}
}

// swap makes the first span of cache's part list of class c the active
// one, the dry active span (if any) going on the full list: no lock.
static struct hobj_span *swap(struct hobj_cache *cache, unsigned c)
{
	struct hobj_span *s;

	shelve(cache, c);
	s = cache->part[c];
	hobj_dl_remove(&cache->part[c], s);
	cache->alloc[c] = s;
	return s;
}

// refill answers an object of class c when cache's active span has none.
// The dry span goes on the full list; the next span with a free object
// the cache owns becomes the active one, with no lock. Only when the cache
// has none is the class lock taken: the remote lists of its spans are
// taken back (drainl), else the central list's first span becomes the
// cache's, or a new one, whose record and pages are taken with the class
// lock released (objects.c, "Transit").
static void *refill(struct hobj_heap *h, struct hobj_cache *cache, unsigned c, int *zero)
{
	struct hobj_span *fresh;

	shelve(cache, c);
	if (cache->part[c] == NULL) {
		hobj_outbox_flush(h, cache, c); // the cache's own spans' objects among them
		hobj_lock(h, c);
		foldl(h, cache, c);
		drainl(h, cache, c);
		if (cache->part[c] == NULL && h->class[c].partial == NULL) {
			hobj_unlock(h, c);
			fresh = hobj_span_fresh(h, c);
			hobj_lock(h, c);
			if (fresh != NULL)
				hobj_span_linkl(h, fresh);
		}
		if (cache->part[c] == NULL)
			acquirel(h, cache, c);
		hobj_unlock(h, c);
	}
	if (cache->part[c] == NULL)
		return NULL;
	cache->nalloc[c]++;
	return hobj_span_take(swap(cache, c), zero);
}

// retire gives back s, a span of cache's that has just emptied and is not
// its only span with a free object: off the part list, to the class.
static HEAPLAB_NOINLINE void retire(struct hobj_heap *h, struct hobj_cache *cache,
				    struct hobj_span *s)
{
	struct hobj_gone g = {0, 0};
	unsigned c = s->cls;

	hobj_dl_remove(&cache->part[c], s);
	hobj_lock(h, c);
	foldl(h, cache, c);
	releasel(h, cache, s, &g, 0);
	hobj_unlock(h, c);
	hobj_give_back(h, &g);
}

// keep records s, an empty span of cache's left on its part list, as the
// newest of the HOBJ_NKEEP it keeps so; the oldest goes back to the pool
// if it is still an empty span of cache's off the active place (taken
// since, it is left where it is; one that went back and was made a span
// of cache's again is judged as it stands).
static void keep(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s)
{
	struct hobj_span *o = cache->kept[cache->kept_next];

	cache->kept[cache->kept_next] = s;
	cache->kept_next = (cache->kept_next + 1) % HOBJ_NKEEP;
	if (o != NULL && o != s && hobj_owner(o) == cache && o->inuse == 0 &&
	    cache->alloc[o->cls] != o)
		retire(h, cache, o);
}

// settle moves s, a span of cache's but not its active one, after its
// owner freed an object of it: a span that was full to the part list; a
// span now empty stays on the part list if it is the list's only one and
// the active span is full (so that a malloc and free in a loop across a
// span's end do not take and give a span each time), or if it is one of
// the last HOBJ_NKEEP such spans of at most park_above bytes (keep); else
// it goes back to the pool. Objects of many classes with a few live each
// (the images' malloc/free pairs: about two live objects in each of 28
// classes) empty small spans all the time, and giving each back to the
// pool, zeroed, to take another a few mallocs later cost an eighth of a
// pair (i386: 428 guest instructions against 384 with eight kept); a
// span that emptied beside others of its class was given back at once
// until the mixed workload showed it cost 3.6% of its instructions (91.8
// against 88.5 a call), its peak the same. More kept spans would hold
// memory: a span kept per class cost bench/objbench.c mixed a tenth of
// its peak; eight cost it about as much as four.
static void settle(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s)
{
	unsigned c = s->cls;

	if (s->inuse + 1 == s->nobj) {
		hobj_dl_remove(&cache->full[c], s);
		hobj_dl_push(&cache->part[c], s);
	}
	if (s->inuse != 0)
		return;
	if ((cache->part[c] != s || s->next != NULL) && s->bytes > h->park_above)
		retire(h, cache, s);
	else if (cache->part[c] != s || s->next != NULL)
		keep(h, cache, s);
	else if (room(cache->alloc[c]) && s->bytes > h->park_above)
		retire(h, cache, s);
	else if (room(cache->alloc[c]))
		keep(h, cache, s);
}

// park makes s, cache's active span of its class, just emptied and more
// than HOBJ_SPARE_MIN bytes, the cache's spare; the spare before it goes back to the
// pool if it is still an empty active span (taken from since, it is left
// where it is). An empty span has no remote objects: nothing to drain.
static HEAPLAB_NOINLINE void park(struct hobj_heap *h, struct hobj_cache *cache,
				  struct hobj_span *s)
{
	struct hobj_span *old = cache->spare;
	struct hobj_gone g = {0, 0};
	unsigned c;

	cache->spare = s;
	if (old == NULL || old == s || old->inuse != 0)
		return;
	c = old->cls;
	cache->alloc[c] = NULL;
	hobj_lock(h, c);
	foldl(h, cache, c);
	releasel(h, cache, old, &g, 0);
	hobj_unlock(h, c);
	hobj_give_back(h, &g);
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
	if (err != HOBJ_OK)
		return err;
	cache->nfree[s->cls]++;
	hobj_cache_settle(h, cache, s); // out of line: hobj_cache_give stays small
	return HOBJ_OK;
}

void *hobj_cache_malloc(struct hobj_heap *h, struct hobj_cache *cache, size_t n)
{
	int zero;

	return hobj_cache_obj(h, cache, hobj_class_of(n), &zero);
}

// hobj_cache_settle moves s, a span of cache's, after its owner freed an
// object of it: settle, or park an active span that emptied.
void hobj_cache_settle(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s)
{
	if (s != cache->alloc[s->cls])
		settle(h, cache, s);
	else if (s->inuse == 0 && s->bytes > h->park_above)
		park(h, cache, s);
}

int hobj_remote_freel(struct hobj_heap *h, struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	struct hobj_cache *owner = hobj_owner(s);
	unsigned i;
	int err = hobj_span_find(s, p, &i, f);

	hobj_assert_locked(h, s->cls, "hobj remote free: class lock not held");
	if (err == HOBJ_OK && hobj_remote_test(s, i))
		err = hobj_fault(f, HOBJ_EFREE, p, s->base, s->cls, s->bytes);
	if (err != HOBJ_OK)
		return err;
	hobj_remote_set(s, i, 1);
	__atomic_fetch_add(&s->nremote, 1, __ATOMIC_RELAXED);
	hobj_remote_pushl(s, owner, p);
	h->class[s->cls].nfree++;
	return HOBJ_OK;
}

void hobj_remote_pushl(struct hobj_span *s, struct hobj_cache *owner, uintptr_t p)
{
	*(void **)p = s->remote;
	s->remote = (void *)p;
	if (!s->rlisted) { // the owner finds it when it runs out of spans
		s->rnext = owner->rspans[s->cls];
		owner->rspans[s->cls] = s;
		s->rlisted = 1;
	}
}

// hobj_cache_flush: the active span joins the lists, then one span at a
// time goes back, its class lock taken for it (a span that empties is
// given to the pool with no lock held, and only one is in hand at a time).
void hobj_cache_flush(struct hobj_heap *heap, struct hobj_cache *cache)
{
	struct hobj_gone g;
	struct hobj_span *s;
	unsigned c;

	cache->spare = NULL;
	memset(cache->kept, 0, sizeof cache->kept);
	for (c = 1; c < HOBJ_NCLASS; c++)
		hobj_outbox_flush(heap, cache, c);
	for (c = 1; c < HOBJ_NCLASS; c++) {
		s = cache->alloc[c];
		if (s != NULL) {
			cache->alloc[c] = NULL;
			hobj_dl_push(s->inuse == s->nobj ? &cache->full[c] : &cache->part[c], s);
		}
		if (cache->part[c] == NULL && cache->full[c] == NULL && cache->nalloc[c] == 0 &&
		    cache->nfree[c] == 0)
			continue;
		for (;;) {
			g = (struct hobj_gone){0, 0};
			hobj_lock(heap, c);
			foldl(heap, cache, c);
			drainl(heap, cache, c);
			s = cache->part[c] != NULL ? cache->part[c] : cache->full[c];
			if (s != NULL) {
				hobj_dl_remove(
				    s == cache->part[c] ? &cache->part[c] : &cache->full[c], s);
				releasel(heap, cache, s, &g, 1);
			}
			hobj_unlock(heap, c);
			hobj_give_back(heap, &g);
			if (s == NULL)
				break;
		}
	}
}

void hobj_outbox_open(struct hobj_heap *heap, struct hobj_cache *cache)
{
	uintptr_t n;
	unsigned c;

	(void)heap;
	for (c = 1; c < HOBJ_NCLASS; c++) {
		n = HOBJ_OUTBOX_BYTES / hobj_class_size[c];
		if (n > HOBJ_OUTBOX_MAX)
			n = HOBJ_OUTBOX_MAX;
		cache->outbox_cap[c] = (uint8_t)(n < 2 ? 0 : n); // not batched: one at a time
	}
}

void hobj_cache_fini(struct hobj_heap *heap, struct hobj_cache *cache)
{
	struct hobj_cache **pp;

	hobj_fast_close(cache); // it leaves the heap: its outbox with its fast paths
	hobj_cache_flush(heap, cache);
	hobj_lock(heap, HOBJ_LOCK_STORE);
	for (pp = &heap->caches; *pp != NULL && *pp != cache; pp = &(*pp)->next)
		;
	if (*pp == cache)
		*pp = cache->next;
	hobj_unlock(heap, HOBJ_LOCK_STORE);
	cache->next = NULL;
}

// bury_span takes s, a span of class c whose owner is gone: to its class
// if it holds together (its remote list taken back first), as a flush
// releases it (releasel: the owner's count of it goes with the owner),
// else heir's. Class lock held.
static void bury_span(struct hobj_heap *h, struct hobj_span *s, struct hobj_cache *heir)
{
	unsigned c = s->cls;
	struct hobj_gone g = {0, 0};

	s->rnext = NULL; // its owner's rspans list goes with its owner
	if (!hobj_span_whole(s)) {
		if (heir == NULL)
			hobj_fail(h,
				  "hobj: a dead cache's span was caught mid-change, and no heir");
		__atomic_store_n(&s->owner, heir, __ATOMIC_RELAXED);
		heir->nowned[c]++;
		if (s->rlisted) {
			s->rnext = heir->rspans[c];
			heir->rspans[c] = s;
		}
		return;
	}
	if (s->rlisted) {
		adoptl(h, s);
		s->rlisted = 0;
	}
	s->next = s->prev = NULL; // off its owner's part or full list
	releasel(h, s->owner, s, &g, 1);
	if (g.bytes != 0) { // an empty span beside another on the class's list
		hobj_unlock(h, c);
		hobj_give_back(h, &g);
		hobj_lock(h, c);
	}
}

void hobj_cache_bury(struct hobj_heap *heap, struct hobj_cache *keep, struct hobj_cache *heir)
{
	struct hobj_cache **pp, *dead = NULL, *q;
	struct hobj_span *s, *next;
	unsigned c;

	// Off the heap's list, onto one of their own (through next)
	hobj_lock(heap, HOBJ_LOCK_STORE);
	for (pp = &heap->caches; *pp != NULL;) {
		q = *pp;
		if (q == keep || q == heir) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		q->next = dead;
		dead = q;
	}
	hobj_unlock(heap, HOBJ_LOCK_STORE);
	// An owner that is neither keep nor heir is a dead cache's now. Their
	// counts go to the classes, each a whole word: a thread stops between
	// two instructions. The caller is alone: the next span is still there
	// after a give back.
	for (c = 1; c < HOBJ_NCLASS; c++) {
		hobj_lock(heap, c);
		for (q = dead; q != NULL; q = q->next)
			foldl(heap, q, c);
		for (s = heap->class[c].spans; s != NULL; s = next) {
			next = s->cnext;
			if (s->owner != NULL && s->owner != keep && s->owner != heir)
				bury_span(heap, s, heir);
		}
		hobj_unlock(heap, c);
	}
	for (; dead != NULL; dead = q) {
		q = dead->next;
		dead->next = NULL;
	}
}
