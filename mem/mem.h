// heaplab allocator core: the free-list allocator of Go's Plan 9 port
// (runtime/mem_plan9.go, 2015), in portable C. Built into the image and into
// host test programs alike; the platform comes in through struct mem_ops.
#ifndef HEAPLAB_MEM_H
#define HEAPLAB_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "avl.h"

// Build-time switch for the full invariant walk after every operation
// (the seed's memDebug). The run-time switch is mem_pool.checking.
#ifndef MEM_DEBUG
#define MEM_DEBUG 1
#endif

// Build-time switch for the placement index (mem/index.c): 1 lets a pool
// use it when its granule can hold a node, 0 keeps every pool on the list
// walk (the lab builds, where a student's mem_freel keeps only the list).
#ifndef MEM_INDEX
#define MEM_INDEX 1
#endif

#define MEM_PAGE     4096u	     // default granule
#define MEM_BRK_FAIL ((uintptr_t)-1) // what a brk or an sbrk answers on refusal
#define MEM_NREGION  16		     // regions a pool records (see mem_sbrkl)

// The header of a free block, stored in the block's own first bytes.
struct mem_hdr {
	struct mem_hdr *next; // next free block, higher address; NULL ends
	uintptr_t size;	      // bytes in this block, a multiple of the granule
};

// A free block's place in the placement index, stored right after its
// header when the pool uses the index: an address-ordered AVL tree whose
// nodes also record the largest block in their subtree.
struct mem_node {
	struct avl_node avl; // left, right, parent, height
	uintptr_t max;	     // the largest block size in this subtree
};

struct mem_pool;

// What the platform supplies (Plan 9's Pool takes the same kind of hooks).
struct mem_ops {
	// The break's owner (the kernel's kbrk_sbrk, the host's host_sbrk):
	// take n bytes at the break, rounded up to align first, if they lie
	// inside [lo, hi), atomically against every other client of the break;
	// answer where they start, or MEM_BRK_FAIL with the break unchanged.
	uintptr_t (*sbrk)(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
	void (*lock)(struct mem_pool *pool);
	void (*unlock)(struct mem_pool *pool);
	int (*holding)(struct mem_pool *pool);		 // does this CPU hold the lock?
	void (*stat_add)(uint64_t *stat, int64_t delta); // atomic add
	void (*panic)(const char *msg) __attribute__((noreturn));
};

// A stretch of memory a pool obtained through sbrk: [start, end), both
// multiples of the granule. Between two regions lie bytes of another
// client of the break (newlib's malloc, another pool): never the pool's.
struct mem_region {
	uintptr_t start, end;
};

// One allocator. Lock rule: every field but the constants set by mem_init
// (ops, lockarg, granule, start, end, name) is guarded by the pool's lock.
struct mem_pool {
	const char *name;
	struct mem_hdr *freelist; // sorted by address, ascending
	struct avl_root tree;	  // the same blocks, by address (if index)
	int index;		  // 1: placement through the tree, 0: list walk
	uintptr_t granule;	  // power of two >= sizeof(struct mem_hdr)
	uintptr_t start, end;	  // the arena: sbrk stays inside [start, end)
	uintptr_t bloc;		  // the pool's top: its last region's end (0: none)
	uintptr_t taken;	  // bytes this pool obtained through sbrk
	uintptr_t inuse;	  // bytes handed out and not yet freed
	int checking;		  // run-time switch for the full check
	const struct mem_ops *ops;
	void *lockarg; // the platform's lock object
	int nregion;   // regions in use: what sbrk gave the pool, ascending
	struct mem_region region[MEM_NREGION];
};

// Why a free was refused, or which invariant a check found broken.
enum mem_err {
	MEM_OK = 0,
	MEM_EZERO,     // free with size 0
	MEM_EALIGN,    // pointer not aligned to the granule
	MEM_ERANGE,    // range outside [start, break) or wrapping
	MEM_EDOUBLE,   // range lies inside a free block: a double free
	MEM_EOVERLAP,  // range partly overlaps a free block
	MEM_ENOTOWN,   // range not inside one region the pool obtained
	MEM_ELOOP,     // check: the walk did not end (a cycle)
	MEM_EORDER,    // check: blocks not strictly ascending
	MEM_EOVERLAPS, // check: a block runs into the next
	MEM_ETOUCH,    // check: two free blocks touch (should have merged)
	MEM_EBOUNDS,   // check: block outside [start, break)
	MEM_EREGION,   // check: block not inside one region of the pool
	MEM_ESIZE,     // check: size zero or not a multiple of the granule
	MEM_EDIRTY,    // check: a free byte past the header is not zero
	MEM_EBALANCE,  // check: free + in use != taken
	MEM_ETORDER,   // check: the tree's in-order walk is not the list
	MEM_ETLINK,    // check: a child's parent link is not its parent
	MEM_ETHEIGHT,  // check: a height is wrong or breaks the AVL rule
	MEM_ETMAX,     // check: a subtree maximum is not its largest block
	MEM_NERR
};

// What a failed check found: the invariant, the block and the values.
struct mem_fault {
	enum mem_err err;
	uintptr_t block;   // the block at fault
	uintptr_t a, b, c; // values, meaning per err (see mem_fault_format)
};

void mem_init(struct mem_pool *pool, const struct mem_ops *ops, void *lockarg, uintptr_t start,
	      uintptr_t end, uintptr_t granule);
uintptr_t mem_round(const struct mem_pool *pool, uintptr_t n);
const char *mem_strerror(int err);

// Lock-held entry points (Plan 9's trailing l): the caller holds pool's
// lock, which each asserts on entry. The pieces they are built from, which
// the lab's files use too, are in mem/internal.h.
void *mem_allocl(struct mem_pool *pool, uintptr_t n);
int mem_freel(struct mem_pool *pool, void *p, uintptr_t n);
void *mem_sbrkl(struct mem_pool *pool, uintptr_t n);
int mem_checkl(struct mem_pool *pool, struct mem_fault *fault);

// The placement index (mem/index.c). mem_index_fits says whether a granule
// can hold a block's header and node; mem_set_index switches a pool with no
// free blocks to the index (on=1, if it fits) or the list walk (on=0) and
// answers the mode in force. mem_meta answers how many bytes at the start
// of a free block the pool uses (its header, and its node with the index);
// mem_index_block answers the free block a tree node sits in.
int mem_index_fits(uintptr_t granule);
int mem_set_index(struct mem_pool *pool, int on);
uintptr_t mem_meta(const struct mem_pool *pool);
struct mem_hdr *mem_index_block(const struct mem_node *x);

// The step every owner of a break runs for mem_ops.sbrk, under its own
// lock, over the platform's brk (brk(0) answers the break, brk(addr) moves
// it and answers the new break; it may refuse, not move, or move part way).
uintptr_t mem_brk_sbrk(uintptr_t (*brk)(uintptr_t addr), uintptr_t n, uintptr_t align, uintptr_t lo,
		       uintptr_t hi);

// Locked entry points: take the lock, run the check in checked builds.
void *mem_alloc(struct mem_pool *pool, uintptr_t n);
int mem_free(struct mem_pool *pool, void *p, uintptr_t n);
int mem_check(struct mem_pool *pool, struct mem_fault *fault);
void mem_check_or_fail(struct mem_pool *pool);
int mem_fault_format(const struct mem_pool *pool, const struct mem_fault *f, char *buf, size_t len);

// Where every failed check and refused sys_free ends: break here in gdb.
void mem_fail(struct mem_pool *pool, const char *msg) __attribute__((noreturn, noinline));

// The seed's runtime interface, over the one system pool.
extern struct mem_pool mempool;
void *sys_alloc(uintptr_t n, uint64_t *stat);
void sys_free(void *p, uintptr_t n, uint64_t *stat);
void *sys_reserve(uintptr_t n);

#endif
