// SPDX-License-Identifier: BSD-3-Clause
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
//     +--heaplab_hdr----+--heaplab_node (heaplab_avl_node + max)---+-------------+
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
//   alloc: the lowest block is the list's head, so when it fits it is the
//   first fit, found without a descent. An exact fit leaves both
//   structures (its list predecessor is its in-order predecessor); a
//   larger block keeps its address and shrinks, so only the maxima on its
//   path can change, and only those that were its old size. free: one
//   descent finds the block just below the range, and its list next is
//   the block above (no descent when the range lies below the head, or
//   between the head and the block after it); they decide refusal and
//   merging as the list walk's prev and next do. Merged, the range lives
//   on in prev's node or in next's (merged with both, next's node leaves),
//   and only the maxima on that node's path rise, those that were smaller;
//   else it becomes a new leaf between the two.
//
//   The index costs no memory beyond the free blocks: a pool uses it when
//   its granule holds a header and a node (heaplab_index_fits: 32 bytes on a
//   32-bit machine, 64 on a 64-bit one), the list walk below that.
//   Lock rule: as for the list, everything here runs under the pool's lock
//   (mem_allocl and mem_freel, which call it, assert that).
#include "internal.h"
#include "avl_augment.h"

#define HDR  ((uintptr_t)sizeof(struct heaplab_hdr))
#define NODE ((uintptr_t)sizeof(struct heaplab_node))

// node_of and mem_index_block (mem/internal.h) convert between a block
// and its node.
static struct heaplab_node *node_of(const struct heaplab_hdr *b)
{
	return (struct heaplab_node *)((uintptr_t)b + HDR);
}

// The index walked from outside, in address order (heaplab.h).
const struct heaplab_avl_node *heaplab_tree_first(const struct heaplab_pool *pool)
{
	return avl_first(&pool->tree);
}

const struct heaplab_avl_node *heaplab_tree_next(const struct heaplab_avl_node *n)
{
	return avl_next(n);
}

struct heaplab_hdr *heaplab_node_block(const struct heaplab_avl_node *n)
{
	return mem_index_block((const struct heaplab_node *)n);
}

static struct heaplab_node *mnode(const struct heaplab_avl_node *a)
{
	return (struct heaplab_node *)a; // avl is the node's first member
}

static uintptr_t max_of(const struct heaplab_avl_node *a)
{
	return a != NULL ? mnode(a)->max : 0;
}

// augment recomputes a node's max from its block and its children's.
static int augment(struct heaplab_avl_node *a)
{
	struct heaplab_node *x = mnode(a);
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
static void max_raise(struct heaplab_avl_node *a, uintptr_t sz)
{
	for (; a != NULL && mnode(a)->max < sz; a = a->parent)
		mnode(a)->max = sz;
}

// max_lower recomputes the maxima from a up after a block in a's subtree
// shrank from was: a maximum other than was stays, and so do those above.
static void max_lower(struct heaplab_avl_node *a, uintptr_t was)
{
	while (a != NULL && mnode(a)->max == was && augment(a))
		a = a->parent;
}

int heaplab_index_fits(uintptr_t granule)
{
	return granule >= HDR + NODE;
}

int heaplab_set_index(struct heaplab_pool *pool, int on)
{
	if (pool->freelist == NULL)
		pool->index = HEAPLAB_INDEX && on && heaplab_index_fits(pool->granule);
	return pool->index;
}

// heaplab_meta answers how many bytes at the start of a free block are ours
// (header, and node if indexed): alloc clears them, the check skips them.
uintptr_t heaplab_meta(const struct heaplab_pool *pool)
{
	return pool->index ? HDR + NODE : HDR;
}

// tree_erase takes free block b out of the tree, clears its header and
// node and answers b. Out of line: the common paths of alloc and free
// need none of it.
static __attribute__((noinline)) void *tree_erase(struct heaplab_pool *pool, struct heaplab_hdr *b)
{
	avl_erase(&pool->tree, &node_of(b)->avl, augment);
	return memset(b, 0, HDR + NODE);
}

// take_exact unlinks p, the first fit and of exactly the size asked, from
// the list and the tree; pa is what mem_index_fit answered in *pred.
static __attribute__((noinline)) void *take_exact(struct heaplab_pool *pool, struct heaplab_hdr *p,
						  const struct heaplab_avl_node *pa)
{
	struct heaplab_hdr *prev;

	if (node_of(p)->avl.left != NULL)
		pa = avl_prev(&node_of(p)->avl);
	prev = pa != NULL ? mem_index_block(mnode(pa)) : NULL;
	if (prev != NULL)
		prev->next = p->next;
	else
		pool->freelist = p->next;
	return tree_erase(pool, p);
}

// mem_index_takel answers n bytes (already rounded) carved from the first
// free block that fits, as the list walk would, or NULL if none does.
void *mem_index_takel(struct heaplab_pool *pool, uintptr_t n)
{
	const struct heaplab_avl_node *pa = NULL;
	struct heaplab_hdr *p = pool->freelist;

	if (p == NULL || p->size < n) // else the lowest block fits: no descent
		p = mem_index_fit(pool, n, &pa);
	if (p == NULL)
		return NULL;
	if (p->size == n)
		return take_exact(pool, p, pa);
	p->size -= n; // the top n bytes: zero already, past the node
	max_lower(&node_of(p)->avl, p->size + n);
	return (void *)((uintptr_t)p + p->size);
}

// below answers the free block just below a (the highest that starts
// lower), or NULL: the list walk's prev, from the list's head when it can
// be, else by descent. Its list next is then the walk's next. Nodes
// compare as their blocks do (a is aligned to the granule, so a + HDR does
// not wrap).
static struct heaplab_hdr *below(const struct heaplab_pool *pool, uintptr_t a)
{
	const struct heaplab_avl_node *x = pool->tree.node, *p = NULL;
	struct heaplab_hdr *h = pool->freelist;
	uintptr_t key = a + HDR;
	int lower;

	if (h == NULL || (uintptr_t)h >= a) // no free block below a
		return NULL;
	if (h->next == NULL || (uintptr_t)h->next >= a) // the lowest one is it
		return h;
	while (x != NULL) {
		lower = (uintptr_t)x < key;
		p = lower ? x : p;
		x = lower ? x->right : x->left;
	}
	return p != NULL ? mem_index_block(mnode(p)) : NULL;
}

struct heaplab_hdr *mem_index_below(const struct heaplab_pool *pool, uintptr_t a)
{
	return below(pool, a);
}

// insert_between links bp into the tree between its neighbours: one of
// them always has a free child slot on bp's side. Out of line, as
// tree_erase.
static __attribute__((noinline)) int insert_between(struct heaplab_pool *pool, struct heaplab_hdr *bp,
						    struct heaplab_hdr *prev, struct heaplab_hdr *next)
{
	struct heaplab_avl_node *parent = NULL, **link = &pool->tree.node;

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
	return HEAPLAB_OK;
}

// link_freed puts bp, n bytes just freed and zeroed, into the list after
// prev and into the tree, merging it with the free blocks on either side;
// it answers HEAPLAB_OK.
static int link_freed(struct heaplab_pool *pool, struct heaplab_hdr *prev, struct heaplab_hdr *bp, uintptr_t n)
{
	struct heaplab_hdr *next = prev != NULL ? prev->next : pool->freelist;
	int with_next = next != NULL && (uintptr_t)bp + n == (uintptr_t)next;

	if (prev != NULL && (uintptr_t)prev + prev->size == (uintptr_t)bp) {
		// prev grows over bp (and over next): bp gets no header
		n += prev->size;
		if (with_next) {
			n += next->size;
			prev->next = next->next;
			tree_erase(pool, next);
		}
		prev->size = n;
		max_raise(&node_of(prev)->avl, n);
		return HEAPLAB_OK;
	}
	bp->size = n;
	bp->next = next;
	if (prev != NULL)
		prev->next = bp;
	else
		pool->freelist = bp;
	if (!with_next)
		return insert_between(pool, bp, prev, next);
	bp->size += next->size; // bp takes next's place in the tree
	bp->next = next->next;
	avl_replace(&pool->tree, &node_of(next)->avl, &node_of(bp)->avl);
	node_of(bp)->max = node_of(next)->max;
	max_raise(&node_of(bp)->avl, bp->size);
	memset(next, 0, HDR + NODE);
	return HEAPLAB_OK;
}

// mem_index_freel is mem_freel for an indexed pool, past the argument
// checks: the same refusals, the same list, the tree kept in step.
int mem_index_freel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	struct heaplab_hdr *prev = below(pool, a);
	int err = mem_free_refusedl(pool, prev, prev != NULL ? prev->next : pool->freelist, a, n);

	if (err != HEAPLAB_OK)
		return err;
	mem_zero_freedl(pool, a, n);
	pool->inuse -= n;
	return link_freed(pool, prev, (struct heaplab_hdr *)a, n);
}

// child_ok checks that c, a child of x (x NULL: c is the root), can be
// read (it lies where the node of a free block in the heap would be) and
// that it names x its parent.
static int child_ok(const struct heaplab_pool *pool, const struct heaplab_avl_node *x, const struct heaplab_avl_node *c,
		    uintptr_t brk, struct heaplab_fault *f)
{
	uintptr_t b = (uintptr_t)c - HDR, xb = x != NULL ? (uintptr_t)mem_index_block(mnode(x)) : 0;

	if (c == NULL)
		return HEAPLAB_OK;
	if ((uintptr_t)c < pool->start + HDR || brk < HDR + NODE || b > brk - HDR - NODE ||
	    (b & (pool->granule - 1)) != 0)
		return mem_fault_set(f, HEAPLAB_ETLINK, xb, (uintptr_t)c, 0, 1);
	if (c->parent != x)
		return mem_fault_set(f, HEAPLAB_ETLINK, xb, (uintptr_t)c, (uintptr_t)c->parent, 0);
	return HEAPLAB_OK;
}

// check_node checks x's children's links, x's height and the AVL rule,
// and x's max.
static int check_node(const struct heaplab_pool *pool, const struct heaplab_avl_node *x, uintptr_t brk,
		      struct heaplab_fault *f)
{
	uintptr_t blk = (uintptr_t)mem_index_block(mnode(x)), want;
	long hl, hr;
	int err;

	if ((err = child_ok(pool, x, x->left, brk, f)) != HEAPLAB_OK ||
	    (err = child_ok(pool, x, x->right, brk, f)) != HEAPLAB_OK)
		return err;
	hl = x->left != NULL ? x->left->height : 0;
	hr = x->right != NULL ? x->right->height : 0;
	if (x->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1)
		return mem_fault_set(f, HEAPLAB_ETHEIGHT, blk, (uintptr_t)x->height, (uintptr_t)hl,
				     (uintptr_t)hr);
	want = mem_index_block(mnode(x))->size;
	if (max_of(x->left) > want)
		want = max_of(x->left);
	if (max_of(x->right) > want)
		want = max_of(x->right);
	if (mnode(x)->max != want)
		return mem_fault_set(f, HEAPLAB_ETMAX, blk, mnode(x)->max, want, 0);
	return HEAPLAB_OK;
}

// mem_index_checkl walks the tree in order beside the list (which the
// caller has checked: ascending, inside [start, brk)) and answers HEAPLAB_OK or
// the first node that breaks a rule. Every link is checked before it is
// followed, and each node visited must be the list's next block, so a
// broken tree can neither lead the walk outside the heap nor around a loop.
int mem_index_checkl(struct heaplab_pool *pool, uintptr_t brk, struct heaplab_fault *f)
{
	const struct heaplab_avl_node *x = pool->tree.node, *up;
	const struct heaplab_hdr *expect = pool->freelist;
	int err, down = 1;

	if ((err = child_ok(pool, NULL, x, brk, f)) != HEAPLAB_OK)
		return err;
	while (x != NULL) {
		for (; down && x->left != NULL; x = x->left)
			if ((err = child_ok(pool, x, x->left, brk, f)) != HEAPLAB_OK)
				return err;
		if ((uintptr_t)mem_index_block(mnode(x)) != (uintptr_t)expect)
			return mem_fault_set(f, HEAPLAB_ETORDER, (uintptr_t)mem_index_block(mnode(x)),
					     (uintptr_t)expect, expect == NULL, 0);
		if ((err = check_node(pool, x, brk, f)) != HEAPLAB_OK)
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
		return mem_fault_set(f, HEAPLAB_ETORDER, (uintptr_t)expect, 0, 2, 0);
	return HEAPLAB_OK;
}
