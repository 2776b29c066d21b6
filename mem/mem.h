// heaplab allocator core: the free-list allocator of Go's Plan 9 port
// (runtime/mem_plan9.go, 2015), in portable C. Built into the image and into
// host test programs alike; the platform comes in through struct heaplab_ops.
#ifndef HEAPLAB_MEM_H
#define HEAPLAB_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "avl.h"

// Build-time switch for the full invariant walk after every operation
// (the seed's memDebug). The run-time switch is heaplab_pool.checking.
#ifndef HEAPLAB_DEBUG
#define HEAPLAB_DEBUG 1
#endif

// Build-time switch for the placement index (mem/index.c): 1 lets a pool
// use it when its granule can hold a node, 0 keeps every pool on the list
// walk (the lab builds, where a student's mem_freel keeps only the list).
#ifndef HEAPLAB_INDEX
#define HEAPLAB_INDEX 1
#endif

#define HEAPLAB_PAGE     4096u	     // default granule
#define HEAPLAB_BRK_FAIL ((uintptr_t)-1) // what a brk or an sbrk answers on refusal
#define HEAPLAB_NREGION  16		     // regions a pool records (see mem_sbrkl)

// The header of a free block, stored in the block's own first bytes.
struct heaplab_hdr {
	struct heaplab_hdr *next; // next free block, higher address; NULL ends
	uintptr_t size;	      // bytes in this block, a multiple of the granule
};

// A free block's place in the placement index, stored right after its
// header when the pool uses the index: an address-ordered AVL tree whose
// nodes also record the largest block in their subtree.
struct heaplab_node {
	struct heaplab_avl_node avl; // left, right, parent, height
	uintptr_t max;	     // the largest block size in this subtree
};

struct heaplab_pool;

// What the platform supplies (Plan 9's Pool takes the same kind of hooks).
struct heaplab_ops {
	// The break's owner (the kernel's kbrk_sbrk, the host's host_sbrk):
	// take n bytes at the break, rounded up to align first, if they lie
	// inside [lo, hi), atomically against every other client of the break;
	// answer where they start, or HEAPLAB_BRK_FAIL with the break unchanged.
	uintptr_t (*sbrk)(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
	void (*lock)(struct heaplab_pool *pool);
	void (*unlock)(struct heaplab_pool *pool);
	int (*holding)(struct heaplab_pool *pool);		 // does this CPU hold the lock?
	void (*stat_add)(uint64_t *stat, int64_t delta); // atomic add
	void (*panic)(const char *msg) __attribute__((noreturn));
};

// A stretch of memory a pool obtained through sbrk: [start, end), both
// multiples of the granule. Between two regions lie bytes of another
// client of the break (newlib's malloc, another pool): never the pool's.
struct heaplab_region {
	uintptr_t start, end;
};

// One allocator. Lock rule: every field but the constants set by heaplab_init
// (ops, lockarg, granule, start, end, name) is guarded by the pool's lock.
struct heaplab_pool {
	const char *name;
	struct heaplab_hdr *freelist; // sorted by address, ascending
	struct heaplab_avl_root tree;	  // the same blocks, by address (if index)
	int index;		  // 1: placement through the tree, 0: list walk
	uintptr_t granule;	  // power of two >= sizeof(struct heaplab_hdr)
	uintptr_t start, end;	  // the arena: sbrk stays inside [start, end)
	uintptr_t bloc;		  // the pool's top: its last region's end (0: none)
	uintptr_t taken;	  // bytes this pool obtained through sbrk
	uintptr_t inuse;	  // bytes handed out and not yet freed
	int checking;		  // run-time switch for the full check
	const struct heaplab_ops *ops;
	void *lockarg; // the platform's lock object
	int nregion;   // regions in use: what sbrk gave the pool, ascending
	struct heaplab_region region[HEAPLAB_NREGION];
};

// Why a free was refused, or which invariant a check found broken.
enum heaplab_err {
	HEAPLAB_OK = 0,
	HEAPLAB_EZERO,     // free with size 0
	HEAPLAB_EALIGN,    // pointer not aligned to the granule
	HEAPLAB_ERANGE,    // range outside [start, break) or wrapping
	HEAPLAB_EDOUBLE,   // range lies inside a free block: a double free
	HEAPLAB_EOVERLAP,  // range partly overlaps a free block
	HEAPLAB_ENOTOWN,   // range not inside one region the pool obtained
	HEAPLAB_ELOOP,     // check: the walk did not end (a cycle)
	HEAPLAB_EORDER,    // check: blocks not strictly ascending
	HEAPLAB_EOVERLAPS, // check: a block runs into the next
	HEAPLAB_ETOUCH,    // check: two free blocks touch (should have merged)
	HEAPLAB_EBOUNDS,   // check: block outside [start, break)
	HEAPLAB_EREGION,   // check: block not inside one region of the pool
	HEAPLAB_ESIZE,     // check: size zero or not a multiple of the granule
	HEAPLAB_EDIRTY,    // check: a free byte past the header is not zero
	HEAPLAB_EBALANCE,  // check: free + in use != taken
	HEAPLAB_ETORDER,   // check: the tree's in-order walk is not the list
	HEAPLAB_ETLINK,    // check: a child's parent link is not its parent
	HEAPLAB_ETHEIGHT,  // check: a height is wrong or breaks the AVL rule
	HEAPLAB_ETMAX,     // check: a subtree maximum is not its largest block
	HEAPLAB_NERR
};

// What a failed check found: the invariant, the block and the values.
struct heaplab_fault {
	enum heaplab_err err;
	uintptr_t block;   // the block at fault
	uintptr_t a, b, c; // values, meaning per err (see heaplab_fault_format)
};

void heaplab_init(struct heaplab_pool *pool, const struct heaplab_ops *ops, void *lockarg, uintptr_t start,
	      uintptr_t end, uintptr_t granule);
uintptr_t heaplab_round(const struct heaplab_pool *pool, uintptr_t n);
const char *heaplab_strerror(int err);

// Lock-held entry points (Plan 9's trailing l): the caller holds pool's
// lock, which each asserts on entry. The pieces they are built from, which
// the lab's files use too, are in mem/internal.h.
void *mem_allocl(struct heaplab_pool *pool, uintptr_t n);
int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n);
void *mem_sbrkl(struct heaplab_pool *pool, uintptr_t n);
int mem_checkl(struct heaplab_pool *pool, struct heaplab_fault *fault);

// The placement index (mem/index.c). heaplab_index_fits says whether a granule
// can hold a block's header and node; heaplab_set_index switches a pool with no
// free blocks to the index (on=1, if it fits) or the list walk (on=0) and
// answers the mode in force. heaplab_meta answers how many bytes at the start
// of a free block the pool uses (its header, and its node with the index);
// mem_index_block answers the free block a tree node sits in.
int heaplab_index_fits(uintptr_t granule);
int heaplab_set_index(struct heaplab_pool *pool, int on);
uintptr_t heaplab_meta(const struct heaplab_pool *pool);
struct heaplab_hdr *mem_index_block(const struct heaplab_node *x);

// The step every owner of a break runs for heaplab_ops.sbrk, under its own
// lock, over the platform's brk (brk(0) answers the break, brk(addr) moves
// it and answers the new break; it may refuse, not move, or move part way).
uintptr_t heaplab_brk_sbrk(uintptr_t (*brk)(uintptr_t addr), uintptr_t n, uintptr_t align, uintptr_t lo,
		       uintptr_t hi);

// Locked entry points: take the lock, run the check in checked builds.
void *heaplab_alloc(struct heaplab_pool *pool, uintptr_t n);
int heaplab_free(struct heaplab_pool *pool, void *p, uintptr_t n);
int heaplab_check(struct heaplab_pool *pool, struct heaplab_fault *fault);
void heaplab_check_or_fail(struct heaplab_pool *pool);
int heaplab_fault_format(const struct heaplab_pool *pool, const struct heaplab_fault *f, char *buf, size_t len);

// Where every failed check and refused sys_free ends: break here in gdb.
void heaplab_fail(struct heaplab_pool *pool, const char *msg) __attribute__((noreturn, noinline));

// The seed's runtime interface, over the one system pool.
extern struct heaplab_pool mempool;
void *sys_alloc(uintptr_t n, uint64_t *stat);
void sys_free(void *p, uintptr_t n, uint64_t *stat);
void *sys_reserve(uintptr_t n);

#endif
