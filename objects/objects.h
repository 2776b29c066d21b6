// SPDX-License-Identifier: BSD-3-Clause
// heaplab's objects layer: small objects in size classes on heaplab pages,
// the Go runtime's mcentral and mspan in miniature, and the C allocation
// API over it. Every name it exports starts with hobj_ or HOBJ_.
//
// What it is. A heap (struct hobj_heap) sits on one heaplab pool and takes
// pages only through include/heaplab.h. A request of up to 32 KiB rounds up
// to one of 58 size classes (objects/sizeclasses.h, Go's table without its
// 8- and 24-byte classes, its spans in 4 KiB units); each class is served
// from spans, runs of pages holding objects of that size. A larger request is a page run straight
// from the pool. A page map, one word per page of the pool, finds the span
// of any pointer in O(1), so free needs no size.
//
// What it needs. C99, <stddef.h> and <stdint.h>, memset and memcpy, and the
// pool. No division (arm's libgcc call): object indices come from a
// multiply, as Go's divMagic. objects/malloc.c, the C API, also takes errno
// from the C library it stands in for.
//
// Locking. Each class has its own lock, large objects one, the store of
// span records one: HOBJ_NLOCK locks, taken through struct hobj_ops. A
// consumer supplies them as it supplies the pool's (heaplab_ops). The lock
// order is class, large, store, then the pool's own lock.
//
// Caches (objects/cache.c, Go's mcache). A consumer may also supply a
// cache per CPU or per thread (struct hobj_cache, its memory the
// consumer's): ops->cache_enter answers the caller's. A cache owns every
// span it took from its class until the span empties or the cache is
// flushed; it takes objects from its active span and gives back objects
// of any span it owns with no lock; the class lock is taken only to change
// spans. An object freed by another cache than its span's owner goes on
// the span's remote list, under the class lock, until the owner takes it
// back.
//
// Bad pointers. A free (or a realloc, or malloc_usable_size) of a pointer
// the heap never handed out, of an interior pointer, or of an object
// already free is refused before anything changes: always, in O(1) (the
// page map, the object's offset in its span, and the span's in-use bits
// answer all three). The C API stops in hobj_fail with a line naming the
// pointer and its span. The full check (hobj_check) runs after every
// operation in a checked build (HOBJ_DEBUG 1, the default) when the run-time
// switch heap->checking is set.
#ifndef HEAPLAB_OBJECTS_H
#define HEAPLAB_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "../include/heaplab.h"
#include "sizeclasses.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef HOBJ_DEBUG
#define HOBJ_DEBUG 1
#endif

#define HOBJ_ALIGN	16		  // every object is aligned for max_align_t
#define HOBJ_LOCK_LARGE 0		  // the lock of large objects
#define HOBJ_LOCK_STORE HOBJ_NCLASS	  // the lock of the span records' store
#define HOBJ_NLOCK	(HOBJ_NCLASS + 1) // class c's lock is lock c (1..HOBJ_NCLASS-1)
// The heap's own pages are sized alike on every machine, so that a trace
// replays to the same offsets on 32 and 64 bits (README.md, "Traces"): the
// page map takes HOBJ_PM_WORD bytes a page, a page of the store holds as
// many span records as HOBJ_RECORD_BYTES fit (room for a 64-bit record).
#define HOBJ_PM_WORD	  8
#define HOBJ_RECORD_BYTES 256

// A span: a run of pages serving one class. Its record lives apart from its
// pages (in the store, pages of their own), so the objects fill the span.
//
//   base                                                  base + bytes
//   | obj 0 | obj 1 | obj 2 | ... | obj fresh | ...  obj nobj-1 | tail |
//     in use  free ---> next      '-- never handed out: zero ---'
//
// Object i is in exactly one of: in use (bit i of inuse_bits set); on the
// free list (a list threaded through the first word of free objects, in no
// order, i < fresh); on the remote list (freed by another cache than the
// span's owner: bit i set in both inuse_bits and remote_bits, counted in
// inuse and in nremote); or never handed out (i >= fresh, all zero, as the
// pool handed out the span).
//
// Lock rule. base, bytes and cls are constant while the span lives. A
// central span (owner NULL): every other field is guarded by the class's
// lock. An owned span (a cache's: objects/cache.c): free, fresh, inuse,
// inuse_bits, next and prev (its place in the cache's lists) belong to the
// owner alone, written with no lock; owner, remote, nremote, remote_bits,
// rnext and rlisted are guarded by the class lock (the owner takes it too
// to change them). Anyone may read owner with no lock: it equals a cache
// only while that cache owns the span, and only that cache's owner sets or
// clears it. A record in the store: the store's lock.
#define HOBJ_RBITS (8 * sizeof(uintptr_t)) // bits in a remote_bits word
struct hobj_span {
	uintptr_t base;		       // the first page
	uintptr_t bytes;	       // npages * HOBJ_UNIT
	struct hobj_span *next, *prev; // in the class's partial list, or the store's
	void *free;		       // the free list; NULL: empty
	uint16_t cls;		       // size class
	uint16_t nobj;		       // objects the span holds
	uint16_t inuse;		       // objects handed out and not freed
	uint16_t fresh;		       // objects [fresh, nobj) never handed out
	uint32_t size, divmul;	       // the class's object size and divmul (objects/fast.h)
	uint64_t inuse_bits[HOBJ_MAXOBJ / 64];
	struct hobj_cache *owner; // the cache that owns it; NULL: central
	void *remote;		  // objects freed by another cache, threaded as free is
	uintptr_t nremote;	  // their number
	uintptr_t remote_bits[HOBJ_MAXOBJ / HOBJ_RBITS]; // word-sized: no 64-bit atomics
	struct hobj_span *rnext;			 // in its owner's rspans list, if rlisted
	uintptr_t rlisted; // 1: on its owner's rspans list (exactly when nremote != 0)

	// In its class's list of every span (struct hobj_class, spans), from
	// the link to the release, class lock held: after the fast paths'
	// fields, which keep their places.
	struct hobj_span *cnext, *cprev;
};

// hobj_index answers the index of the object at p, an address inside s:
// (p - base) / size, as one multiply by the record's divmul (objects/fast.h).
static inline unsigned hobj_index(const struct hobj_span *s, uintptr_t p)
{
	return (unsigned)(((uint64_t)(p - s->base) * s->divmul) >> 32);
}

// A cache (Go's mcache, mimalloc's heap): one per CPU or thread, in the
// consumer's memory, set up by hobj_cache_init. Per class c it owns every
// span it took (objects/cache.c): alloc[c], its active span (or NULL),
// which it allocates from; part[c], a list (next, prev) of its other spans
// that have a free object; full[c], a list of its spans that have none.
// Those three belong to the owner alone (no lock). rspans[c] lists (rnext)
// its spans with objects on their remote lists, and nowned[c] counts its
// spans of class c: both guarded by class c's lock (another cache's free
// pushes onto rspans). nalloc and nfree count what the cache did with no
// lock since it last took the class lock, when they are added to the
// class's counts. spare is the one active span of more than HOBJ_SPARE_MIN
// bytes that the cache keeps while it is empty (objects/cache.c, "Memory"), or NULL:
// the owner's. kept remembers the last HOBJ_NKEEP spans that emptied off
// the active place and stayed on their part lists (cache.c, settle). next
// links the heap's caches (HOBJ_LOCK_STORE); id names
// the cache in gdb (a CPU, a thread).
#define HOBJ_SPARE_MIN (2 * HOBJ_UNIT) // an active span of more bytes is parked once empty
#define HOBJ_NKEEP     8 // empty spans of other classes a cache keeps (objects/cache.c)
struct hobj_cache {
	struct hobj_span *alloc[HOBJ_NCLASS];
	struct hobj_span *part[HOBJ_NCLASS], *full[HOBJ_NCLASS];
	struct hobj_span *rspans[HOBJ_NCLASS];
	uintptr_t nowned[HOBJ_NCLASS];
	uint64_t nalloc[HOBJ_NCLASS], nfree[HOBJ_NCLASS];
	struct hobj_span *spare;	    // the last large active span that emptied
	struct hobj_span *kept[HOBJ_NKEEP]; // empty spans kept on part lists, oldest next
	uintptr_t kept_next;
	struct hobj_cache *next;
	long id;
	// The fast paths' view (objects/fast.h): the heap's range while they
	// are open (fast_len 0: closed, every fast free declines), and the
	// cache's own address, so that a consumer holding the cache in TLS
	// compares a span's owner with one load.
	uintptr_t fast_lo, fast_len;
	struct hobj_cache *self;
	// The outbox (objects.c, "The outbox"), the owner's alone: per class,
	// objects of other caches' spans that this cache freed and that wait
	// for one hold of the class lock to reach their spans' remote lists,
	// threaded through their first words; noutbox counts them, and at
	// outbox_cap of them they go (0: closed, every remote free takes the
	// class lock at once; so from hobj_cache_init until hobj_outbox_open).
	void *outbox[HOBJ_NCLASS];
	uint16_t noutbox[HOBJ_NCLASS];
	uint8_t outbox_cap[HOBJ_NCLASS];
};
#define HOBJ_OUTBOX_MAX	  32   // objects an outbox holds per class, at most
#define HOBJ_OUTBOX_BYTES 8192 // and bytes: classes above half of it are not batched

#ifndef __cplusplus
_Static_assert(sizeof(uintptr_t) <= HOBJ_PM_WORD, "a page map entry fits its word");
_Static_assert(sizeof(struct hobj_span) <= HOBJ_RECORD_BYTES, "a span record fits its room");
#endif

// A class's central list: the spans with a free object, most recently
// partial first. A full span is in no central list (the page map finds it
// on free). At most one span on the list is empty: a span that empties goes
// back to the pool unless it is the list's only span, so that one malloc
// and free in a loop does not take and give a span each time. spans lists
// (cnext, cprev) every span of the class, nspan of them, central, full or
// a cache's: hobj_check_class walks it instead of the whole page map.
struct hobj_class {
	struct hobj_span *partial;
	// every span of the class (cnext), newest first
	struct hobj_span *spans;
	uintptr_t nspan;	// spans of this class, listed, full or in a cache
	uintptr_t inuse;	// objects in use in central spans (a cache's: its span's)
	uint64_t nalloc, nfree; // objects handed out, and freed, ever (less caches' counts)
};

// Page map entries, one per granule of [pool->start, pool->end): 0, a page
// no span or large object holds; a span's record (its pages all point at
// it); or, with bit 0 set, a large object's page: the first page holds
// (npages << 2) | 1, each later one (pages back to the first << 2) | 3.
#define HOBJ_PM_LARGE 1u
#define HOBJ_PM_TAIL  2u

struct hobj_heap;

// What the consumer supplies. lock and unlock NULL: no locking (one CPU);
// holding NULL: not asserted; panic NULL: hobj_fail traps. cache_enter
// NULL, or answering NULL: no cache, every object through the class locks.
// Else it answers the caller's cache (set up by hobj_cache_init) and keeps
// it the caller's alone until cache_leave (if not NULL) is called with it:
// a kernel turns interrupts off on its CPU between the two; a thread's
// cache is its own anyway. Each small malloc, free, and size asks once.
struct hobj_ops {
	void (*lock)(struct hobj_heap *heap, unsigned lk); // lk < HOBJ_NLOCK
	void (*unlock)(struct hobj_heap *heap, unsigned lk);
	int (*holding)(struct hobj_heap *heap, unsigned lk);
	void (*panic)(const char *msg) HEAPLAB_NORETURN;
	struct hobj_cache *(*cache_enter)(struct hobj_heap *heap);
	void (*cache_leave)(struct hobj_heap *heap, struct hobj_cache *cache);
};

// One heap. The fields are public for debuggers and tests; only the
// functions below change them. pool, ops, lockarg, pagemap, shift, start,
// end are constants after hobj_init; the classes are guarded by their
// locks, the large_* fields by HOBJ_LOCK_LARGE, the store by HOBJ_LOCK_STORE.
struct hobj_heap {
	struct heaplab_pool *pool;
	const struct hobj_ops *ops;
	void *lockarg;	    // the consumer's lock objects
	uintptr_t *pagemap; // from the pool: (end - start) >> shift words
	uintptr_t pagemap_bytes;
	unsigned shift;	      // log2(pool->granule)
	uintptr_t start, end; // the pool's range
	int checking;	      // run-time switch for the full check (HOBJ_DEBUG)
	// park_above: a cache's active span of more bytes that empties is
	// parked as its spare (objects/cache.c, "Memory"); HOBJ_SPARE_MIN from
	// hobj_init, for a program's footprint. A consumer whose caches serve
	// every class in turn on many CPUs (the image's SMP stress) sets
	// UINTPTR_MAX, so that a class keeps its emptied span: parking passes
	// the one spare from class to class, each change a span given back to
	// the pool under its lock and another taken.
	uintptr_t park_above;
	struct hobj_class class[HOBJ_NCLASS];
	uintptr_t large_bytes, nlarge; // large objects in use
	uint64_t large_nalloc, large_nfree;
	struct hobj_span *store;	// unused span records
	uintptr_t store_bytes, nrecord; // pages the store took; records carved
	struct hobj_cache *caches;	// the caches set up (HOBJ_LOCK_STORE)
	// Between the pool and the page map (objects.c, "Transit"): bytes the
	// pool counts in use that no span or large object holds yet or any
	// more, and span records out of the store and not yet a span. Word-sized
	// relaxed atomics.
	uintptr_t transit_bytes, transit_records;
};

// Why a pointer was refused, or which invariant a check found broken.
enum hobj_err {
	HOBJ_OK = 0,
	HOBJ_EMOVE,	// resize: not in place; allocate, copy, free
	HOBJ_ENOMEM,	// init: no room for the page map
	HOBJ_EGRANULE,	// init: granule not a power of two in [64, HOBJ_UNIT]
	HOBJ_EOUTSIDE,	// pointer outside the pool
	HOBJ_EUNUSED,	// pointer into a page no object holds
	HOBJ_EINTERIOR, // pointer inside an object, not at its start
	HOBJ_EFREE,	// object already free (a double free), or never handed out
	HOBJ_ESPAN,	// check: a span record disagrees with its class or pages
	HOBJ_EFREELIST, // check: a free list entry outside its span, in use, or twice
	HOBJ_ECOUNT,	// check: counts disagree with the objects
	HOBJ_EDIRTY,	// check: a never-handed-out object is not zero
	HOBJ_EPARTIAL,	// check: a class's partial list is wrong
	HOBJ_EPAGEMAP,	// check: a page map entry is wrong
	HOBJ_EPOOL,	// check: a span lies in pages the pool holds free
	HOBJ_ECACHE,	// check: a cache and its spans disagree
	HOBJ_ESPANS,	// check: a class's list of every span is wrong
	HOBJ_ENERR
};

// What a refusal or a failed check found: the error, the pointer or span
// at fault, and values (see hobj_fault_format).
struct hobj_fault {
	enum hobj_err err;
	uintptr_t ptr;	// the pointer, or the object at fault
	uintptr_t span; // its span's base (0: none)
	uintptr_t a, b; // values, meaning per err
};

// hobj_init sets up a heap on pool (set up by heaplab_init or
// heaplab_init_arena, its granule a power of two from 64 to HOBJ_UNIT) and
// takes the page map from it. Answers HOBJ_OK, HOBJ_EGRANULE or HOBJ_ENOMEM.
// heap->checking starts as HOBJ_DEBUG.
int hobj_init(struct hobj_heap *heap, struct heaplab_pool *pool, const struct hobj_ops *ops,
	      void *lockarg);

// hobj_objalloc answers n bytes (0 counts as 1) aligned to align (a power
// of two; 0 or anything up to HOBJ_ALIGN means HOBJ_ALIGN), or NULL if the
// pool cannot give the pages. *zero (if zero is not NULL) says whether the
// bytes are known to be zero. Takes the class's lock, or the large lock;
// O(1) but when a span must be taken (one heaplab_alloc).
void *hobj_objalloc(struct hobj_heap *heap, size_t n, size_t align, int *zero);

// hobj_objfree gives back an object hobj_objalloc answered: HOBJ_OK, or
// why it is refused (nothing changed), described in *f if f is not NULL.
// NULL is HOBJ_OK. O(1), but a span that empties goes back to the pool
// (heaplab_free, which zeroes it) and a large object does.
int hobj_objfree(struct hobj_heap *heap, void *p, struct hobj_fault *f);

// hobj_objsize answers in *size the usable bytes of the object at p: its
// class's size, or its pages. Refuses a bad p as hobj_objfree does.
int hobj_objsize(struct hobj_heap *heap, const void *p, size_t *size, struct hobj_fault *f);

// hobj_objresize makes the object at p n bytes (n > 0) where it is:
// HOBJ_OK if n rounds to its class, or if both are large objects and n
// takes no more pages (the tail pages go back to the pool); HOBJ_EMOVE if
// it must move; or the refusal of a bad p. Nothing changes but on HOBJ_OK.
// Unless p is refused, *had (if not NULL) gets its usable bytes before the
// call, as hobj_objsize answers them: a realloc that must move copies that
// many without asking again.
int hobj_objresize(struct hobj_heap *heap, void *p, size_t n, size_t *had, struct hobj_fault *f);

// hobj_check walks every level: the page map over the pool's pages, every
// span's objects (each in use, free, on its remote list, or never handed
// out, exactly once; never-handed-out ones zero), every class's lists
// (every span on its class's list of spans once) and counts, the caches
// and their spans, the large objects, and the pool's free blocks (no span
// in them), with the byte count: spans + large objects + page map + store
// == the pool's in use. The spans of other
// caches than the caller's (ops->cache_enter) are walked only where the
// class lock holds them still: their records, page map entries and remote
// lists, not their free lists or counts, which their owners change with no
// lock (objects/check.c). Answers HOBJ_OK or the first broken rule, in *f.
// Takes every lock, in order; O(pages + objects + the pool's check).
// Changes nothing.
int hobj_check(struct hobj_heap *heap, struct hobj_fault *f);

// hobj_check_class checks class c (1 to HOBJ_NCLASS - 1; any other stops
// in hobj_fail) holding one lock at a time, for a caller that checks
// often while others allocate: the caller's cache's spans of class c with
// no lock, then under c's lock alone every span on c's list of its spans
// (record, pages, remote list, a central one's objects), c's central list
// and counts, and the caller's cache's nowned and rspans of c. The page
// map whole, large objects, the store, the pool, and the other caches'
// records are hobj_check's alone (objects/check.c says exactly). Answers
// HOBJ_OK or the first broken rule, in *f. Changes nothing.
int hobj_check_class(struct hobj_heap *heap, unsigned c, struct hobj_fault *f);

// hobj_fault_format writes a line naming f into buf (len bytes, cut and
// NUL-ended); answers the line's whole length. hobj_strerror names an
// enum hobj_err (never NULL).
int hobj_fault_format(const struct hobj_fault *f, char *buf, size_t len);
const char *hobj_strerror(int err);

// hobj_fail stops the machine with msg through ops->panic: every refused
// pointer of the C API and every failed check ends here.
void hobj_fail(struct hobj_heap *heap, const char *msg) HEAPLAB_NORETURN HEAPLAB_NOINLINE;

// One span's objects (objects/span.c, the part lab 8 asks for). The
// caller holds what guards s: its class's lock, or, for the free list and
// counts of a span a cache owns, the cache itself (the fast path, no
// lock). The remote list is no business of these three: a remote-freed
// object still has its in-use bit. hobj_span_take hands out
// one object of s, which must have one (s->inuse < s->nobj): the head of
// its free list, else its next never-handed-out object; it sets the
// object's in-use bit and counts it in s->inuse, and says in *zero whether
// the object is known to be zero (only a never-handed-out one is).
// hobj_span_find refuses p unless it is the start of an object of s that is
// in use (HOBJ_EINTERIOR, HOBJ_EFREE, in *f), answering its index in *i;
// it changes nothing. hobj_span_give takes back object p of s: refused as
// hobj_span_find refuses it, nothing changed; else its bit cleared, p
// pushed on the free list, s->inuse one less. All O(1).
void *hobj_span_take(struct hobj_span *s, int *zero);
int hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i, struct hobj_fault *f);
int hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f);

// hobj_class_of answers the class of an n-byte request (n <=
// HOBJ_MAX_SMALL; 0 is the smallest class).
unsigned hobj_class_of(size_t n);

// Caches (objects/cache.c). hobj_cache_init sets up cache (the consumer's
// memory, id naming it) empty and adds it to the heap's caches; it takes
// HOBJ_LOCK_STORE. hobj_cache_flush gives every span the cache owns (its
// active span, its part and full lists) back to its class's central list
// (an empty one to the pool unless it is its class's only span), the
// remote lists taken back first, and adds the
// cache's counts to the classes': after it the cache owns nothing and may
// go on being used. hobj_cache_fini flushes and removes the cache from the
// heap; its memory is the consumer's again. Each takes a class lock per
// span; the cache must be the caller's (no one else uses it meanwhile).
//
// The lock-free cases alone, inlined into a consumer that holds its cache
// (hobj_fast_malloc, hobj_fast_free, hobj_fast_size), are in objects/fast.h.
void hobj_cache_init(struct hobj_heap *heap, struct hobj_cache *cache, long id);
void hobj_cache_flush(struct hobj_heap *heap, struct hobj_cache *cache);
void hobj_cache_fini(struct hobj_heap *heap, struct hobj_cache *cache);

// hobj_cache_bury: every cache of the heap but keep and heir (either may be
// NULL) has lost its owner wherever it was, perhaps halfway through a
// change of its spans or lists (a forked child's, whose other threads did
// not come along), and the caller is alone in the heap. Their lists are
// not walked, nor flushed as hobj_cache_fini would (half changed, a flush
// could give a span back twice): each class's list of every span is. A
// span of theirs whose objects and remote list hold together goes to its
// class as a flush gives it; one caught mid-change becomes heir's, its
// objects left as they are (in use for ever, as a glibc child's other
// threads' tcache chunks are), and with no heir the heap fails. Objects
// waiting in their outboxes stay in use. The caches leave the heap's list
// (their memory may be a new thread's next): they are the consumer's
// again. heir: a cache set up by hobj_cache_init whose fast paths are
// closed and which is never entered, so nothing ever changes its spans.
void hobj_cache_bury(struct hobj_heap *heap, struct hobj_cache *keep, struct hobj_cache *heir);

// hobj_outbox_open lets cache's owner free objects of other caches' spans
// with no lock (objects/fast.h, hobj_fast_remote; objects.c, "The
// outbox"). Not while the heap checks: its checks hold each span's count
// of remote objects to its remote list, and an outbox holds some back.
// hobj_cache_fini closes it and sends what it holds.
void hobj_outbox_open(struct hobj_heap *heap, struct hobj_cache *cache);

// Totals, as a consumer prints them. Takes each lock in turn. The caches'
// counts are read as they stand (their owners may be changing them).
struct hobj_stats {
	uint64_t nalloc, nfree; // objects and large objects, ever
	uintptr_t inuse;	// objects and large objects in use
	uintptr_t nspan;	// spans
	uintptr_t large_bytes;	// bytes in large objects
	uintptr_t ncached;	// of the spans, those a cache owns
};
void hobj_stats(struct hobj_heap *heap, struct hobj_stats *st);

// The C allocation API (objects/malloc.c), as C11 and POSIX specify it,
// over one heap: hobj_X(heap, ...) is X(...). On failure errno is ENOMEM
// (EINVAL for a bad alignment; posix_memalign answers it instead). A bad
// pointer stops in hobj_fail with "free(): invalid pointer 0x...: why, span
// ...". Choices where C leaves them to the implementation, as glibc does:
// malloc(0) answers a unique 16-byte object; realloc(p, 0) frees p and
// answers NULL; realloc(NULL, n) is malloc(n). memalign rounds an
// alignment that is not a power of two up to the next, as glibc's and
// newlib's do; aligned_alloc refuses it (EINVAL), as C2x asks. Both take
// any size. valloc and pvalloc align to the pool's granule.
void *hobj_malloc(struct hobj_heap *heap, size_t n);
void hobj_free(struct hobj_heap *heap, void *p);
void *hobj_calloc(struct hobj_heap *heap, size_t nmemb, size_t size);
void *hobj_realloc(struct hobj_heap *heap, void *p, size_t n);
void *hobj_memalign(struct hobj_heap *heap, size_t align, size_t n);
int hobj_posix_memalign(struct hobj_heap *heap, void **pp, size_t align, size_t n);
void *hobj_aligned_alloc(struct hobj_heap *heap, size_t align, size_t n);
void *hobj_valloc(struct hobj_heap *heap, size_t n);
void *hobj_pvalloc(struct hobj_heap *heap, size_t n);
size_t hobj_malloc_usable_size(struct hobj_heap *heap, void *p);

#ifdef __cplusplus
}
#endif

#endif
