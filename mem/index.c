// The placement index: the seed's first fit in O(log n). The free blocks
// are kept twice, in the seed's address-sorted list and in an AVL tree by
// address, and both always hold the same blocks in the same order.
//
// Theory of operation
//
//   A free block in an indexed pool starts with its header and then its
//   node; the rest of it is zero, as in the list mode:
//
//     block                                        block + size
//     | next | size | left right parent height max | 0 0 0 ... 0 |
//     +--mem_hdr----+--mem_node (avl_node + max)---+-------------+
//
//   Each node's max is the largest size in its subtree, so the first fit,
//   the lowest-addressed block with size >= n, is one descent from the
//   root: go left while the left subtree has such a block, else take this
//   node if it fits, else go right. The answer is the seed's, address for
//   address: both pick the lowest block that fits.
//
//            [0x5000 1p max 4p]        alloc(3 pages): left max 2p < 3p,
//             /               \        0x5000 is 1p < 3p, so go right:
//   [0x1000 2p max 2p]  [0x9000 4p max 4p]   0x9000 fits.
//
//   alloc: an exact fit leaves both structures (its list predecessor is its
//   in-order predecessor); a larger block keeps its address and shrinks, so
//   only the maxima on its path change, those that were its old size.
//   free: one descent finds the blocks just below and above the range,
//   which decide refusal and merging as the list walk's prev and next do;
//   the new block takes its place in the tree between them, and a merged
//   one raises the maxima on its path.
//
//   The index costs no memory beyond the free blocks: a pool uses it when
//   its granule holds a header and a node (mem_index_fits: 32 bytes on a
//   32-bit machine, 64 on a 64-bit one), the list walk below that.
//   Lock rule: as for the list, everything here runs under the pool's lock
//   (mem_allocl and mem_freel, which call it, assert that).
#include "internal.h"
#include "avl_augment.h"

#include <string.h>

#define HDR  ((uintptr_t)sizeof(struct mem_hdr))
#define NODE ((uintptr_t)sizeof(struct mem_node))

// node_of and mem_index_block convert between a block and its node.
static struct mem_node *node_of(const struct mem_hdr *b)
{
	return (struct mem_node *)((uintptr_t)b + HDR);
}

struct mem_hdr *mem_index_block(const struct mem_node *x)
{
	return (struct mem_hdr *)((uintptr_t)x - HDR);
}

static struct mem_node *mnode(const struct avl_node *a)
{
	return (struct mem_node *)a; // avl is the node's first member
}

static uintptr_t max_of(const struct avl_node *a)
{
	return a != NULL ? mnode(a)->max : 0;
}

// augment recomputes a node's max from its block and its children's.
static int augment(struct avl_node *a)
{
	struct mem_node *x = mnode(a);
	uintptr_t m = mem_index_block(x)->size;

	if (max_of(a->left) > m)
		m = max_of(a->left);
	if (max_of(a->right) > m)
		m = max_of(a->right);
	if (x->max == m)
		return 0;
	x->max = m;
	return 1;
}

// max_raise folds a block of size sz into the maxima from a up: they can
// only grow, and stop at the first that is big enough already.
static void max_raise(struct avl_node *a, uintptr_t sz)
{
	for (; a != NULL && mnode(a)->max < sz; a = a->parent)
		mnode(a)->max = sz;
}

// max_lower recomputes the maxima from a up after a block in a's subtree
// shrank from was: a maximum other than was stays, and so do those above.
static void max_lower(struct avl_node *a, uintptr_t was)
{
	while (a != NULL && mnode(a)->max == was && augment(a))
		a = a->parent;
}

int mem_index_fits(uintptr_t granule)
{
	return granule >= HDR + NODE;
}

int mem_set_index(struct mem_pool *pool, int on)
{
	if (pool->freelist == NULL)
		pool->index = MEM_INDEX && on && mem_index_fits(pool->granule);
	return pool->index;
}

// mem_meta answers how many bytes at the start of a free block are ours
// (header, and node if indexed): alloc clears them, the check skips them.
uintptr_t mem_meta(const struct mem_pool *pool)
{
	return pool->index ? HDR + NODE : HDR;
}

// mem_index_takel answers n bytes (already rounded) carved from the first
// free block that fits, as the list walk would, or NULL if none does.
void *mem_index_takel(struct mem_pool *pool, uintptr_t n)
{
	const struct avl_node *pa;
	struct mem_hdr *p = mem_index_fit(pool, n, &pa), *prev;

	if (p == NULL)
		return NULL;
	if (p->size > n) { // the top n bytes: zero already, past the node
		p->size -= n;
		max_lower(&node_of(p)->avl, p->size + n);
		return (void *)((uintptr_t)p + p->size);
	}
	if (node_of(p)->avl.left != NULL)
		pa = avl_prev(&node_of(p)->avl);
	prev = pa != NULL ? mem_index_block(mnode(pa)) : NULL;
	if (prev != NULL)
		prev->next = p->next;
	else
		pool->freelist = p->next;
	avl_erase(&pool->tree, &node_of(p)->avl, augment);
	memset(p, 0, HDR + NODE);
	return p;
}

// around finds the free blocks just below a (*prev) and at or above it
// (*next), NULL where there is none: the list walk's answer, by descent.
static void around(const struct mem_pool *pool, uintptr_t a, struct mem_hdr **prev,
		   struct mem_hdr **next)
{
	const struct avl_node *x = pool->tree.node;
	struct mem_hdr *b;

	*prev = *next = NULL;
	while (x != NULL) {
		b = mem_index_block(mnode(x));
		if ((uintptr_t)b < a) {
			*prev = b;
			x = x->right;
		} else {
			*next = b;
			x = x->left;
		}
	}
}

// insert_between links bp into the tree between its neighbours: one of
// them always has a free child slot on bp's side.
static void insert_between(struct mem_pool *pool, struct mem_hdr *bp, struct mem_hdr *prev,
			   struct mem_hdr *next)
{
	struct avl_node *parent = NULL, **link = &pool->tree.node;

	if (prev != NULL && node_of(prev)->avl.right == NULL) {
		parent = &node_of(prev)->avl;
		link = &parent->right;
	} else if (next != NULL) {
		parent = &node_of(next)->avl;
		link = &parent->left;
	}
	node_of(bp)->max = bp->size;
	max_raise(parent, bp->size);
	avl_link(&pool->tree, &node_of(bp)->avl, parent, link, augment);
}

// mem_index_freel is mem_freel for an indexed pool, past the argument
// checks: the same refusals, the same list, the tree kept in step.
int mem_index_freel(struct mem_pool *pool, uintptr_t a, uintptr_t n)
{
	struct mem_hdr *bp = (struct mem_hdr *)a, *prev, *next;
	uintptr_t sz;
	int with_next, with_prev, err;

	around(pool, a, &prev, &next);
	err = mem_free_refusedl(pool, prev, next, a, n);
	if (err != MEM_OK)
		return err;
	with_next = next != NULL && a + n == (uintptr_t)next;
	with_prev = prev != NULL && (uintptr_t)prev + prev->size == a;

	memset(bp, 0, n);
	if (with_prev) { // prev grows over it (and over next): bp gets no header
		sz = prev->size + n;
		if (with_next) {
			sz += next->size;
			prev->next = next->next;
			avl_erase(&pool->tree, &node_of(next)->avl, augment);
			memset(next, 0, HDR + NODE);
		}
		prev->size = sz; // the tree is right again: raise prev's path
		max_raise(&node_of(prev)->avl, sz);
	} else {
		bp->size = n;
		bp->next = next;
		if (prev != NULL)
			prev->next = bp;
		else
			pool->freelist = bp;
		if (with_next) { // bp takes next's place in the tree
			bp->size += next->size;
			bp->next = next->next;
			avl_replace(&pool->tree, &node_of(next)->avl, &node_of(bp)->avl);
			node_of(bp)->max = node_of(next)->max;
			max_raise(&node_of(bp)->avl, bp->size);
			memset(next, 0, HDR + NODE);
		} else {
			insert_between(pool, bp, prev, next);
		}
	}
	pool->inuse -= n;
	return MEM_OK;
}

// child_ok checks that c, a child of x (x NULL: c is the root), can be
// read (it lies where the node of a free block in the heap would be) and
// that it names x its parent.
static int child_ok(const struct mem_pool *pool, const struct avl_node *x, const struct avl_node *c,
		    uintptr_t brk, struct mem_fault *f)
{
	uintptr_t b = (uintptr_t)c - HDR, xb = x != NULL ? (uintptr_t)mem_index_block(mnode(x)) : 0;

	if (c == NULL)
		return MEM_OK;
	if ((uintptr_t)c < pool->start + HDR || brk < HDR + NODE || b > brk - HDR - NODE ||
	    (b & (pool->granule - 1)) != 0)
		return mem_fault_set(f, MEM_ETLINK, xb, (uintptr_t)c, 0, 1);
	if (c->parent != x)
		return mem_fault_set(f, MEM_ETLINK, xb, (uintptr_t)c, (uintptr_t)c->parent, 0);
	return MEM_OK;
}

// check_node checks x's children's links, x's height and the AVL rule,
// and x's max.
static int check_node(const struct mem_pool *pool, const struct avl_node *x, uintptr_t brk,
		      struct mem_fault *f)
{
	uintptr_t blk = (uintptr_t)mem_index_block(mnode(x)), want;
	long hl, hr;
	int err;

	if ((err = child_ok(pool, x, x->left, brk, f)) != MEM_OK ||
	    (err = child_ok(pool, x, x->right, brk, f)) != MEM_OK)
		return err;
	hl = x->left != NULL ? x->left->height : 0;
	hr = x->right != NULL ? x->right->height : 0;
	if (x->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1)
		return mem_fault_set(f, MEM_ETHEIGHT, blk, (uintptr_t)x->height, (uintptr_t)hl,
				     (uintptr_t)hr);
	want = mem_index_block(mnode(x))->size;
	if (max_of(x->left) > want)
		want = max_of(x->left);
	if (max_of(x->right) > want)
		want = max_of(x->right);
	if (mnode(x)->max != want)
		return mem_fault_set(f, MEM_ETMAX, blk, mnode(x)->max, want, 0);
	return MEM_OK;
}

// mem_index_checkl walks the tree in order beside the list (which the
// caller has checked: ascending, inside [start, brk)) and answers MEM_OK or
// the first node that breaks a rule. Every link is checked before it is
// followed, and each node visited must be the list's next block, so a
// broken tree can neither lead the walk outside the heap nor around a loop.
int mem_index_checkl(struct mem_pool *pool, uintptr_t brk, struct mem_fault *f)
{
	const struct avl_node *x = pool->tree.node, *up;
	const struct mem_hdr *expect = pool->freelist;
	int err, down = 1;

	if ((err = child_ok(pool, NULL, x, brk, f)) != MEM_OK)
		return err;
	while (x != NULL) {
		for (; down && x->left != NULL; x = x->left)
			if ((err = child_ok(pool, x, x->left, brk, f)) != MEM_OK)
				return err;
		if ((uintptr_t)mem_index_block(mnode(x)) != (uintptr_t)expect)
			return mem_fault_set(f, MEM_ETORDER, (uintptr_t)mem_index_block(mnode(x)),
					     (uintptr_t)expect, expect == NULL, 0);
		if ((err = check_node(pool, x, brk, f)) != MEM_OK)
			return err;
		expect = expect->next;
		down = x->right != NULL;
		if (down) {
			x = x->right;
			continue;
		}
		for (up = x->parent; up != NULL && x == up->right; up = x->parent)
			x = up; // links checked on the way down
		x = up;		// its left subtree is done: visit it next
	}
	if (expect != NULL) // a block on the list that the tree does not hold
		return mem_fault_set(f, MEM_ETORDER, (uintptr_t)expect, 0, 2, 0);
	return MEM_OK;
}
