// SPDX-License-Identifier: BSD-3-Clause
// The objects layer's internals that objects.c, cache.c and check.c share:
// the lock calls through ops, the fault record, the class lists, and the
// remote bitmap's bit helpers. Not part of the interface (objects.h is).
#ifndef HEAPLAB_OBJECTS_INTERNAL_H
#define HEAPLAB_OBJECTS_INTERNAL_H

#include "objects.h"

static inline void hobj_lock(struct hobj_heap *h, unsigned lk)
{
	if (h->ops->lock != NULL)
		h->ops->lock(h, lk);
}

static inline void hobj_unlock(struct hobj_heap *h, unsigned lk)
{
	if (h->ops->unlock != NULL)
		h->ops->unlock(h, lk);
}

// hobj_assert_locked stops the machine unless this CPU holds lock lk: every
// lock-held helper (a trailing l) starts with it. It asks only while the
// heap is checking: it is a call through ops on every malloc and free.
static inline void hobj_assert_locked(struct hobj_heap *h, unsigned lk, const char *msg)
{
	if (HOBJ_DEBUG && h->checking && h->ops->holding != NULL && !h->ops->holding(h, lk))
		hobj_fail(h, msg);
}

static inline int hobj_fault(struct hobj_fault *f, enum hobj_err err, uintptr_t ptr, uintptr_t span,
			     uintptr_t a, uintptr_t b)
{
	if (f != NULL)
		*f = (struct hobj_fault){err, ptr, span, a, b};
	return err;
}

// The caller's cache, or NULL, and its release (struct hobj_ops).
static inline struct hobj_cache *hobj_cache_enter(struct hobj_heap *h)
{
	return h->ops->cache_enter != NULL ? h->ops->cache_enter(h) : NULL;
}

static inline void hobj_cache_leave(struct hobj_heap *h, struct hobj_cache *c)
{
	if (c != NULL && h->ops->cache_leave != NULL)
		h->ops->cache_leave(h, c);
}

// A span's owner, read with no lock (objects.h, the span's lock rule): a
// word-sized relaxed load, so that the read is whole on every target.
static inline struct hobj_cache *hobj_owner(const struct hobj_span *s)
{
	return __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
}

// Bit i of s's remote bitmap. The owner reads it with no lock (is the
// object it frees on the remote list?) while another cache may set another
// bit of the same word, under the class lock or, putting an object in its
// outbox, with none: word-sized relaxed atomics make every read whole and
// every change one read-modify-write. Bit i itself is set only by a free
// of object i while it is in use, and cleared only when it comes back
// from the remote list or the outbox, so the owner's read of it is the
// last value a sequenced free wrote.
static inline int hobj_remote_test(const struct hobj_span *s, unsigned i)
{
	return (__atomic_load_n(&s->remote_bits[i / HOBJ_RBITS], __ATOMIC_RELAXED) >>
		(i % HOBJ_RBITS)) &
	       1;
}

static inline void hobj_remote_set(struct hobj_span *s, unsigned i, int on)
{
	uintptr_t *w = &s->remote_bits[i / HOBJ_RBITS], m = (uintptr_t)1 << (i % HOBJ_RBITS);

	// read-modify-write in one: an outbox (objects.c) sets other bits of
	// the word with no lock
	if (on)
		__atomic_fetch_or(w, m, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(w, ~m, __ATOMIC_RELAXED);
}
// Pages unmapped under a lock, to give back to the pool once it is
// released (objects.c, "Transit"); bytes 0: none.
struct hobj_gone {
	uintptr_t base, bytes;
};

// hobj_dl_push and hobj_dl_remove put s on, and take it off, the list of
// spans at *head, linked through next and prev: a class's central list
// (hobj_list_push, its lock held), a cache's part and full lists (cache.c,
// the owner's).
static inline void hobj_dl_push(struct hobj_span **head, struct hobj_span *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head != NULL)
		(*head)->prev = s;
	*head = s;
}

static inline void hobj_dl_remove(struct hobj_span **head, struct hobj_span *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

// objects.c's class lists and spans, for cache.c: the class lock held but
// by hobj_span_fresh (no lock of the layer held: it asks the pool for a
// record and pages of class c, unlinked, NULL if it has none) and
// hobj_give_back (no lock held: g's pages back to the pool).
void hobj_list_push(struct hobj_class *k, struct hobj_span *s);
void hobj_list_remove(struct hobj_class *k, struct hobj_span *s);
struct hobj_span *hobj_span_fresh(struct hobj_heap *h, unsigned c);
void hobj_span_linkl(struct hobj_heap *h, struct hobj_span *s);
void hobj_span_releasel(struct hobj_heap *h, struct hobj_span *s, struct hobj_gone *g);
void hobj_give_back(struct hobj_heap *h, struct hobj_gone *g);

// hobj_span_whole (objects/check.c): do s's objects and its remote list
// hold together (the check's walk of them: in use + free + never handed
// out == nobj, the remote list as long as nremote and the remote bits)?
// Class lock held, and no one changing s.
int hobj_span_whole(const struct hobj_span *s);

// cache.c's halves of objects.c's small-object paths: an object of class c
// from cache (NULL if the pool has no span); free and size of p in span s
// through cache, answering HOBJ_OK or the refusal (-1: s is not cache's,
// take the central path).
void *hobj_cache_obj(struct hobj_heap *h, struct hobj_cache *cache, unsigned c, int *zero);
int hobj_cache_give(struct hobj_heap *h, struct hobj_cache *cache, struct hobj_span *s, uintptr_t p,
		    struct hobj_fault *f);
int hobj_remote_freel(struct hobj_heap *h, struct hobj_span *s, uintptr_t p, struct hobj_fault *f);
#define HOBJ_NOTMINE (-1)

// hobj_remote_pushl puts p, an object of s counted in nremote with its
// remote bit set, on s's remote list, and s on owner's rspans list if it
// was not; class lock held. hobj_outbox_flush empties cache's outbox of
// class c, taking the lock (hobj_outbox_flushl: held; it answers with the
// lock still held, a span to give back in g if one emptied, and the rest
// of the outbox still there: the caller gives g back and flushes again).
void hobj_remote_pushl(struct hobj_span *s, struct hobj_cache *owner, uintptr_t p);
void hobj_outbox_flushl(struct hobj_heap *h, struct hobj_cache *cache, unsigned c,
			struct hobj_gone *g);

// hobj_find_live refuses p unless it is an object of s in use and not on
// its remote list: hobj_span_find, then the remote bit. Changes nothing.
int hobj_find_live(const struct hobj_span *s, uintptr_t p, struct hobj_fault *f);

#endif
