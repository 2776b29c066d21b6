// SPDX-License-Identifier: BSD-3-Clause
// heaplab: the free-list allocator of Go's Plan 9 port (runtime/mem_plan9.go,
// 2015) as a component for any freestanding program. This header is the
// whole interface: every name it exports starts with heaplab_ or HEAPLAB_.
//
// What it is. A pool hands out runs of granules (pages, by default 4096
// bytes): first fit from the lowest address, the allocation carved from the
// top of a larger free block, an exact fit unlinked, the pool grown when
// nothing fits. Free zeroes the run and merges it with both neighbours, so
// every allocation comes back zeroed. Allocated runs carry no header: the
// caller gives the size back to heaplab_free. An augmented AVL tree inside
// the free blocks finds the same block as the list walk in O(log n).
//
// What it needs. C99, <stddef.h> and <stdint.h>, and from the C library
// only memset and memcpy (a kernel's string.c has both); it includes
// <stdarg.h> too, which every freestanding compiler has. No floating point,
// no global state: everything lives in the struct heaplab_pool the caller
// passes. The platform comes in through struct heaplab_ops, each hook
// optional but sbrk in the break mode (heaplab_init).
//
// Two ways to give it memory.
//   - A fixed arena (heaplab_init_arena): the pool owns [base, base+size),
//     a range of memory nobody else touches (xv6's [end, PHYSTOP)), and
//     needs no sbrk: it keeps the arena's break itself.
//   - A shared break (heaplab_init): the pool takes memory through the
//     platform's sbrk, which other clients (a C library's malloc) may share;
//     the pool records what it got in regions and never hands out the rest.
// Either way placement is the same, address for address.
//
// Locking. heaplab_alloc, heaplab_free, heaplab_check and heaplab_diagnose
// take the pool's lock through ops->lock and ops->unlock and are safe from
// any CPU. No stretch under the lock grows with a block's size: a free is
// zeroed with the lock released (the range is listed
// as pending meanwhile, so a concurrent free of it is refused), a growth is
// zeroed after the lock is released, and the automatic check scans a
// bounded number of free bytes. With interrupts: a caller that allocates from an interrupt
// handler must supply a lock that masks interrupts (as heaplab's own kernel
// does), or the handler can deadlock on a lock its CPU holds. Nothing in
// heaplab sleeps or calls back into the caller except through ops.
//
// Bad input. Every bad free (a pointer the pool never handed out, a
// misaligned pointer, a double free, a partial overlap, size 0) is refused
// with its own error before anything changes. In a checked build
// (HEAPLAB_DEBUG 1, the default) the full invariant check runs after every
// operation and a broken invariant stops in heaplab_fail.
#ifndef HEAPLAB_H
#define HEAPLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEAPLAB_VERSION_MAJOR  1
#define HEAPLAB_VERSION_MINOR  0
#define HEAPLAB_VERSION_PATCH  0
#define HEAPLAB_VERSION_STRING "1.0.0"
// (major << 16) | (minor << 8) | patch, as heaplab_version answers it.
#define HEAPLAB_VERSION                                                                  \
	(((uint32_t)HEAPLAB_VERSION_MAJOR << 16) | ((uint32_t)HEAPLAB_VERSION_MINOR << 8) | \
	 (uint32_t)HEAPLAB_VERSION_PATCH)

// Build-time switch for the full invariant check after every operation (the
// seed's memDebug); the run-time switch is heaplab_pool.checking. Defining
// it to 0 leaves the check callable (heaplab_check) but never automatic.
#ifndef HEAPLAB_DEBUG
#define HEAPLAB_DEBUG 1
#endif

// Build-time switch for the placement index: 1 lets a pool use it when its
// granule can hold a node (heaplab_index_fits), 0 keeps every pool on the
// list walk. Placement is the same either way.
#ifndef HEAPLAB_INDEX
#define HEAPLAB_INDEX 1
#endif

// heaplab_free zeroes a free of at most this many bytes under the lock, and
// a larger one with the lock released (pool->pending). 256, the default:
// zeroing that much costs less than the round trip (the range listed as
// pending, the lock released and taken again, the free decided twice),
// and a page or more, up to 64 MiB, is zeroed outside the lock, so the
// stretch under the lock is the same for a page as for 64 MiB; 0 sends
// every free the long way.
#ifndef HEAPLAB_ZERO_LOCKED
#define HEAPLAB_ZERO_LOCKED 256u
#endif

// The automatic check (pool->checking) scans at most this many free bytes
// for a nonzero one after each operation, resuming where the last scan
// stopped, so that its cost under the lock does not grow with the heap:
// a byte written into free memory is found within (free bytes /
// HEAPLAB_CHECK_SCAN) operations. heaplab_check always scans them all.
#ifndef HEAPLAB_CHECK_SCAN
#define HEAPLAB_CHECK_SCAN 4096u
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HEAPLAB_NORETURN __attribute__((noreturn))
#define HEAPLAB_NOINLINE __attribute__((noinline))
#else
#define HEAPLAB_NORETURN
#define HEAPLAB_NOINLINE
#endif

#define HEAPLAB_PAGE	 4096u		 // the usual granule
#define HEAPLAB_BRK_FAIL ((uintptr_t)-1) // what a brk or an sbrk answers on refusal
#define HEAPLAB_NREGION	 16		 // regions a pool records (the break mode)

// The header of a free block, in the block's own first bytes.
struct heaplab_hdr {
	struct heaplab_hdr *next; // next free block, higher address; NULL ends
	uintptr_t size;		  // bytes in this block, a multiple of the granule
};

// A node of the placement index: an address-ordered AVL tree, its nodes
// inside the free blocks. height is 1 for a leaf; the AVL rule keeps the
// children's heights within one of each other.
struct heaplab_avl_node {
	struct heaplab_avl_node *left, *right, *parent;
	long height;
};
struct heaplab_avl_root {
	struct heaplab_avl_node *node; // NULL: an empty tree
};

// A free block's place in the index, stored right after its header when
// the pool uses the index: the node, and the largest block in its subtree.
struct heaplab_node {
	struct heaplab_avl_node avl; // first member: a node is its heaplab_node
	uintptr_t max;
};

struct heaplab_pool;

// What the platform supplies. Any hook may be NULL, but sbrk for a pool of
// the break mode (heaplab_init), which cannot grow without it:
//   lock, unlock NULL: no locking (one CPU, no interrupt handler allocates);
//   holding NULL: the lock-held helpers do not assert it (they ask only
//     in a checked build, HEAPLAB_DEBUG 1);
//   stat_add NULL: plain additions (the pool itself never calls it);
//   panic NULL: heaplab_fail traps (__builtin_trap on gcc and clang).
struct heaplab_ops {
	// The break's owner: take n bytes at the break, rounded up to align
	// first, if they lie inside [lo, hi), atomically against every other
	// client of the break; answer where they start, or HEAPLAB_BRK_FAIL with
	// the break unchanged (heaplab_brk_sbrk builds one from a brk). Called
	// with the pool's lock held, at most once per heaplab_alloc, and only
	// when no free block fits. The bytes need not be zero: heaplab_alloc
	// zeroes them once it has released the lock (they are the caller's),
	// unless the consumer has said they come zero (pool->fresh_zero).
	uintptr_t (*sbrk)(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
	// Take and release the pool's lock (its object: pool->lockarg). Called
	// once each per locked call. In a kernel, lock masks interrupts on this
	// CPU and spins; unlock restores them.
	void (*lock)(struct heaplab_pool *pool);
	void (*unlock)(struct heaplab_pool *pool);
	// Does this CPU hold the pool's lock? The lock-held helpers assert it
	// in a checked build (HEAPLAB_DEBUG 1); an unchecked one never asks.
	int (*holding)(struct heaplab_pool *pool);
	// Atomically add delta to *stat: for counters a consumer keeps outside
	// the lock (heaplab's runtime layer counts sys_alloc's bytes with it).
	void (*stat_add)(uint64_t *stat, int64_t delta);
	// Stop the machine with msg; must not return. heaplab calls it only
	// through heaplab_fail: a failed check, a misused lock, a bad init.
	void (*panic)(const char *msg) HEAPLAB_NORETURN;
};

// A stretch of memory the pool obtained: [start, end), granule multiples.
struct heaplab_region {
	uintptr_t start, end;
};

// One allocator. Lay it out anywhere (static, on a stack that outlives it,
// inside the arena it manages is not allowed) and set it up with
// heaplab_init or heaplab_init_arena; the fields are public so that a
// debugger and heaplab's own tools can walk the heap, but only the
// functions below change them. Lock rule: every field but the constants
// set at init (name, ops, lockarg, granule, start, end, arena, and
// fresh_zero, which a consumer sets before the first call) is guarded by
// the pool's lock.
struct heaplab_pool {
	const char *name;
	struct heaplab_hdr *freelist; // sorted by address, ascending
	struct heaplab_avl_root tree; // the same blocks, by address (if index)
	int index;		      // 1: placement through the tree, 0: list walk
	uintptr_t granule;	      // power of two >= sizeof(struct heaplab_hdr)
	uintptr_t start, end;	      // the arena: the pool stays inside [start, end)
	uintptr_t bloc;		      // the pool's top: its last region's end (0: none)
	uintptr_t taken;	      // bytes this pool obtained
	uintptr_t inuse;	      // bytes handed out and not yet freed
	int checking;		      // run-time switch for the full check
	int arena;		      // 1: a fixed arena, the pool keeps its own break
	// 1: every byte the pool grows by is zero already, and never handed
	// out before (fresh anonymous memory from mmap, a break that only
	// grows): heaplab_alloc does not zero a growth again. 0 after init;
	// a consumer that knows sets it before the first heaplab_alloc.
	int fresh_zero;
	const struct heaplab_ops *ops;
	void *lockarg; // the platform's lock object
	int nregion;   // regions in use: what the pool obtained, ascending
	struct heaplab_region region[HEAPLAB_NREGION];
	// Diagnostics (heaplab_diagnose), kept by heaplab_alloc/heaplab_free.
	uintptr_t peak_inuse;	// the most inuse has been
	uintptr_t peak_request; // the largest size ever asked of heaplab_alloc
	uintptr_t refused;	// allocations answered NULL for want of memory
	// The exact-free record (heaplab_track), or NULL: off.
	unsigned char *track;
	// Frees in flight. heaplab_free zeroes a range (of more than
	// HEAPLAB_ZERO_LOCKED bytes) outside the lock: it validates the free and lists the range here
	// (a struct heaplab_hdr in the range's own first bytes, next and size),
	// releases the lock, zeroes, and retakes the lock to merge it. A free
	// that overlaps a listed range is refused (HEAPLAB_EDOUBLE or
	// HEAPLAB_EOVERLAP), so no range is zeroed or merged twice; alloc never
	// sees one (it is not free). Its bytes stay in inuse until the merge.
	struct heaplab_hdr *pending;
	uintptr_t npending; // bytes in the ranges listed in pending
	// Where the automatic check's scan for nonzero free bytes resumes, as an
	// offset into the free bytes in address order (HEAPLAB_CHECK_SCAN).
	uintptr_t scan;
	// The range heaplab_free has zeroed already, past its header (0: none),
	// and the range the last growth took (heaplab_alloc zeroes it, once the
	// lock is released, if it answers it).
	uintptr_t prezeroed;
	uintptr_t fresh, fresh_n;
	// Does mem_freel zero through the pool's hook (1), or not, a lab's
	// file (-1: every free zeroes under the lock), or not yet known (0:
	// the first free done tells)?
	int zerohook;
};

// Why a free was refused, or which invariant a check found broken.
enum heaplab_err {
	HEAPLAB_OK = 0,
	HEAPLAB_EZERO,	   // free with size 0
	HEAPLAB_EALIGN,	   // pointer not aligned to the granule
	HEAPLAB_ERANGE,	   // range outside [start, break) or wrapping
	HEAPLAB_EDOUBLE,   // range lies inside a free block: a double free
	HEAPLAB_EOVERLAP,  // range partly overlaps a free block
	HEAPLAB_ENOTOWN,   // range not inside one region the pool obtained
	HEAPLAB_ELOOP,	   // check: the walk did not end (a cycle)
	HEAPLAB_EORDER,	   // check: blocks not strictly ascending
	HEAPLAB_EOVERLAPS, // check: a block runs into the next
	HEAPLAB_ETOUCH,	   // check: two free blocks touch (should have merged)
	HEAPLAB_EBOUNDS,   // check: block outside [start, break)
	HEAPLAB_EREGION,   // check: block not inside one region of the pool
	HEAPLAB_ESIZE,	   // check: size zero or not a multiple of the granule
	HEAPLAB_EDIRTY,	   // check: a free byte past the header is not zero
	HEAPLAB_EBALANCE,  // check: free + in use != taken
	HEAPLAB_ETORDER,   // check: the tree's in-order walk is not the list
	HEAPLAB_ETLINK,	   // check: a child's parent link is not its parent
	HEAPLAB_ETHEIGHT,  // check: a height is wrong or breaks the AVL rule
	HEAPLAB_ETMAX,	   // check: a subtree maximum is not its largest block
	HEAPLAB_EPOOL,	   // check: granule not a power of two >= a header, or start > end
	HEAPLAB_ENREGION,  // check: nregion outside [0, HEAPLAB_NREGION]
	HEAPLAB_ERBOUNDS,  // check: a region empty or not inside [start, end)
	HEAPLAB_ERALIGN,   // check: a region's bounds not multiples of the granule
	HEAPLAB_ERORDER,   // check: regions not in ascending order
	HEAPLAB_EROVERLAP, // check: two regions overlap
	HEAPLAB_EBLOC,	   // check: bloc not the last region's end (0: no region)
	HEAPLAB_ETAKEN,	   // check: the regions' sizes do not add up to taken
	HEAPLAB_EMISMATCH, // free: not the start and size of one live allocation (heaplab_track)
	HEAPLAB_EPENDING,  // check: a pending free outside the pool, overlapping, or miscounted
	HEAPLAB_ETRACK,	   // check: the exact-free record out of step with the pool (heaplab_track)
	HEAPLAB_NERR
};

// What a failed check found: the invariant, the block and the values.
struct heaplab_fault {
	enum heaplab_err err;
	uintptr_t block;   // the block at fault
	uintptr_t a, b, c; // values, meaning per err (see heaplab_fault_format)
};

// What heaplab_diagnose reports, as o1heap's diagnostics do.
struct heaplab_diag {
	uintptr_t capacity;	// the most the pool can ever hold: end - start
	uintptr_t taken;	// bytes obtained so far (sbrk, or the arena's break)
	uintptr_t inuse;	// bytes handed out and not freed (granule multiples)
	uintptr_t peak_inuse;	// the most inuse has been
	uintptr_t peak_request; // the largest size asked of heaplab_alloc, as asked
	uintptr_t refused;	// allocations answered NULL for want of memory
	int nregion;		// regions the pool holds
};

// heaplab_version answers HEAPLAB_VERSION of the compiled library, so that a
// consumer can tell a header from a library of another release.
uint32_t heaplab_version(void);

// heaplab_init sets up an empty pool of the break mode over [start, end):
// it grows through ops->sbrk, never outside that range, with runs of
// granule bytes (a power of two >= 2 * sizeof(void *); HEAPLAB_PAGE is the
// usual). lockarg is the lock object ops->lock finds in pool->lockarg.
// A bad granule, or ops without sbrk, stops in heaplab_fail. O(1).
void heaplab_init(struct heaplab_pool *pool, const struct heaplab_ops *ops, void *lockarg,
		  uintptr_t start, uintptr_t end, uintptr_t granule);

// heaplab_init_arena sets up an empty pool that owns the fixed arena
// [base, base + size): it keeps the arena's break itself, so ops needs no
// sbrk and may be NULL (no lock, no hooks: one CPU). The arena is trimmed
// to whole granules; its bytes are zeroed as the pool first reaches them,
// so they need not be zero at init. Answers HEAPLAB_OK, HEAPLAB_EALIGN if
// granule is not a power of two that holds a header, or HEAPLAB_ERANGE if
// the arena holds no whole granule or wraps; then the pool is unusable.
// O(1).
int heaplab_init_arena(struct heaplab_pool *pool, const struct heaplab_ops *ops, void *lockarg,
		       void *base, uintptr_t size, uintptr_t granule);

// heaplab_alloc answers n bytes, rounded up to the granule, zeroed and
// aligned to the granule; NULL if n is 0 (not counted as refused) or if
// the pool cannot grow that far (counted in refused). Nothing changes when
// it answers NULL. Takes the lock; O(log n) in the free blocks with the
// index (O(n) without), plus at most one ops->sbrk; checked builds then
// run the check, O(free blocks) plus at most HEAPLAB_CHECK_SCAN bytes
// scanned. Memory the pool grew by is zeroed after the lock is released.
void *heaplab_alloc(struct heaplab_pool *pool, uintptr_t n);

// heaplab_alloc_bulk is count calls of heaplab_alloc(pool, n) in a row
// under one hold of the lock: out[0..] get what they would have answered,
// in the same places and order (the pool's placement is that of the single
// calls), and it answers how many it got, stopping at the first that
// fails (counted in refused, as heaplab_alloc counts it). For a per-CPU
// cache's refill: one acquire of the lock instead of count. A count of 0
// or more than HEAPLAB_ALLOC_BULK_MAX, or an n of 0, answers 0 and
// changes nothing. Checked builds run the check once, after the last.
#define HEAPLAB_ALLOC_BULK_MAX 16
uintptr_t heaplab_alloc_bulk(struct heaplab_pool *pool, uintptr_t n, void **out, uintptr_t count);

// heaplab_free gives back the n bytes at p that heaplab_alloc(pool, n) (or
// any run of whole allocations, or any part of one, in whole granules)
// answered: it zeroes them and merges them with their free neighbours.
// Freeing NULL does nothing. A free that is not of memory the pool handed
// out is refused before anything changes: HEAPLAB_EZERO, HEAPLAB_EALIGN,
// HEAPLAB_ERANGE, HEAPLAB_ENOTOWN, HEAPLAB_EDOUBLE or HEAPLAB_EOVERLAP;
// HEAPLAB_OK when done. The pool cannot tell a live allocation from a
// size mismatch inside its own used memory: the size is the caller's
// word, unless the pool keeps the exact-free record (heaplab_track): then
// a free that is not exactly one live allocation is HEAPLAB_EMISMATCH.
// Takes the lock; O(log n) with the index. Zeroing is O(n bytes), done
// with the lock released between two holds of it (under the lock for a
// range of at most HEAPLAB_ZERO_LOCKED bytes). Meanwhile the range is pending (pool->pending): a free that
// overlaps it is refused as a double free or an overlap, and the check
// accounts for it. With a lab's mem_freel the unlocked zeroing stays, but
// mem_freel decides every refusal but that one.
int heaplab_free(struct heaplab_pool *pool, void *p, uintptr_t n);

// The exact-free record, off unless asked for: with it, heaplab_free
// refuses with HEAPLAB_EMISMATCH, before anything changes, a free of part
// of a live allocation, of two at once, or from inside one (the pool's
// other refusals, a double free among them, keep their own errors). The
// record is two bits per granule of [start, end), kept outside the heap in
// memory the caller supplies: heaplab_track_bytes(pool) bytes, any
// alignment. heaplab_track(pool, bits, nbytes) starts it on a pool with
// nothing in use (the starts of earlier allocations are unknown) and
// answers HEAPLAB_OK, or HEAPLAB_ERANGE with nothing changed if nbytes is
// short or something is in use; bits NULL stops it. Takes the lock;
// O(nbytes). While on, heaplab_alloc and heaplab_free also write or read
// an allocation's start and the binary digits of its length (at most a
// word's bits of them, whatever its size), and a refused free finds the
// free blocks around it as free does; while off, one test of pool->track.
// The bits must outlive the pool's use of them, and nothing else may
// write them.
uintptr_t heaplab_track_bytes(const struct heaplab_pool *pool);
int heaplab_track(struct heaplab_pool *pool, void *bits, uintptr_t nbytes);

// heaplab_check runs the full invariant check (every free block in order,
// inside the pool's regions, merged, zero past its header; the index in
// step with the list; free + in use == taken) and answers HEAPLAB_OK or
// the first broken invariant, described in *fault if fault is not NULL.
// Takes the lock; O(free bytes). Changes nothing.
int heaplab_check(struct heaplab_pool *pool, struct heaplab_fault *fault);

// heaplab_check_or_fail runs the check under the lock, whatever the
// switches say, and stops in heaplab_fail with its words on a failure.
void heaplab_check_or_fail(struct heaplab_pool *pool);

// heaplab_fault_format writes a line naming fault into buf (len bytes, cut
// and NUL-ended), with addresses as the pool sees them; answers what
// snprintf would. heaplab_strerror names an enum heaplab_err (never NULL).
int heaplab_fault_format(const struct heaplab_pool *pool, const struct heaplab_fault *fault,
			 char *buf, size_t len);
const char *heaplab_strerror(int err);

// heaplab_diagnose fills *d. Takes the lock; O(1).
void heaplab_diagnose(struct heaplab_pool *pool, struct heaplab_diag *d);

// heaplab_fail stops the machine with msg through ops->panic. Every failed
// check ends here: `break heaplab_fail` in a debugger catches them all.
void heaplab_fail(struct heaplab_pool *pool, const char *msg) HEAPLAB_NORETURN HEAPLAB_NOINLINE;

// heaplab_round answers n rounded up to the pool's granule, 0 if that
// would wrap. No lock.
uintptr_t heaplab_round(const struct heaplab_pool *pool, uintptr_t n);

// The placement index. heaplab_index_fits says whether a granule can hold
// a block's header and node; heaplab_set_index switches a pool with no free
// blocks to the index (on = 1, if it fits) or the list walk (on = 0), and
// answers the mode in force (placement is the same). heaplab_meta answers
// how many bytes at the start of a free block are the pool's (the header,
// and the node with the index). Call heaplab_set_index with the lock held
// or before the pool is shared.
int heaplab_index_fits(uintptr_t granule);
int heaplab_set_index(struct heaplab_pool *pool, int on);
uintptr_t heaplab_meta(const struct heaplab_pool *pool);

// Walking the pool from outside, with its lock held (heaplab_lock and
// heaplab_unlock take and release it through ops): the free list is
// pool->freelist and each block's next; the index is walked in address
// order by heaplab_tree_first and heaplab_tree_next (NULL past the end),
// and heaplab_node_block answers the free block a node sits in.
void heaplab_lock(struct heaplab_pool *pool);
void heaplab_unlock(struct heaplab_pool *pool);
const struct heaplab_avl_node *heaplab_tree_first(const struct heaplab_pool *pool);
const struct heaplab_avl_node *heaplab_tree_next(const struct heaplab_avl_node *n);
struct heaplab_hdr *heaplab_node_block(const struct heaplab_avl_node *n);

// heaplab_brk_sbrk is the step every owner of a break runs for
// heaplab_ops.sbrk, under its own lock, over the platform's brk (brk(0)
// answers the break, brk(addr) moves it and answers the new break; it may
// refuse, not move, or move part way): n bytes at the break rounded up to
// align, if inside [lo, hi), or HEAPLAB_BRK_FAIL with the break put back.
uintptr_t heaplab_brk_sbrk(uintptr_t (*brk)(uintptr_t addr), uintptr_t n, uintptr_t align,
			   uintptr_t lo, uintptr_t hi);

#ifdef __cplusplus
}
#endif

#endif
