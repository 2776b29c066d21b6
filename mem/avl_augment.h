// Augmented AVL tree, the rebalancing half (see avl.h): insertion,
// removal and rebalancing with parent pointers, no recursion, and a user
// callback that keeps a value per node computed from its subtree. Like
// Linux's rbtree_augmented.h these are inline, so that the user's callback
// is compiled into them: include this only where a tree is changed.
//
// Theory of operation
//
//   Every change to the tree's shape happens at one spot (a new leaf, a
//   node taken out); above it the augmented values and the heights may
//   change, and two climbs fix them, each stopping at the first node that
//   comes out unchanged (nothing above it depends on anything else):
//   - the values first. A removal recomputes them from the spot up
//     (avl_propagate). An insertion leaves them to the caller, who knows
//     how a new node's value folds into its ancestors' (a maximum only
//     rises, and stops rising at the first ancestor big enough).
//   - then the heights. Where a node's children's heights come to differ
//     by two, the climb rotates (once, or twice for a zig-zag) to bring
//     the subtree back within the rule; the rotated nodes' heights follow
//     from those already known, and their values are recomputed bottom-up
//     from their new children, the subtree as a whole holding the same
//     nodes as before. An insertion needs one such rotation at most.
//
//        x                c            lift(x, c): c, x's right child,
//       / \              / \           becomes the subtree's root; c's
//      a   c    --->    x   e          left subtree m moves under x.
//         / \          / \             In-order a x m c e is kept.
//        m   e        a   m
#ifndef HEAPLAB_AVL_AUGMENT_H
#define HEAPLAB_AVL_AUGMENT_H

#include <stddef.h>

#include "avl.h"

static inline long avl_height_of(const struct heaplab_avl_node *n)
{
	return n != NULL ? n->height : 0;
}

static inline long avl_taller(long a, long b)
{
	return a > b ? a : b;
}

// set_child makes n take old's place under parent (or at the root).
static inline void avl_set_child(struct heaplab_avl_root *root, struct heaplab_avl_node *parent,
				 struct heaplab_avl_node *old, struct heaplab_avl_node *n)
{
	if (parent == NULL)
		root->node = n;
	else if (parent->left == old)
		parent->left = n;
	else
		parent->right = n;
}

// lift makes c, a child of x, the root of x's subtree, with x its child on
// the other side (a single rotation; see the drawing). Heights and values
// are the caller's to fix.
static inline void avl_lift(struct heaplab_avl_root *root, struct heaplab_avl_node *x, struct heaplab_avl_node *c)
{
	struct heaplab_avl_node *m;

	if (x->left == c) {
		m = c->right;
		x->left = m;
		c->right = x;
	} else {
		m = c->left;
		x->right = m;
		c->left = x;
	}
	if (m != NULL)
		m->parent = x;
	c->parent = x->parent;
	avl_set_child(root, x->parent, x, c);
	x->parent = c;
}

// rebalance brings x's subtree back within the AVL rule when x's
// children's heights differ by two, and answers its new root; every value
// must be right before. With c x's taller child, o and i c's children on
// the outer and the inner side, and s x's other child (c's height - 2):
// if o is as tall as i, c is lifted over x, which keeps i and s; else i
// is lifted over c and then over x, which share its children and come out
// as tall as it was.
static inline struct heaplab_avl_node *avl_rebalance(struct heaplab_avl_root *root, struct heaplab_avl_node *x,
					     avl_augment_fn aug)
{
	struct heaplab_avl_node *c, *o, *i;
	long ho, hi;

	if (avl_height_of(x->left) > avl_height_of(x->right)) {
		c = x->left;
		o = c->left;
		i = c->right;
	} else {
		c = x->right;
		o = c->right;
		i = c->left;
	}
	ho = avl_height_of(o);
	hi = avl_height_of(i);
	if (ho >= hi) {
		avl_lift(root, x, c);
		x->height = 1 + hi; // i is as tall as s or one taller
		c->height = 1 + avl_taller(ho, x->height);
		aug(x);
		aug(c);
		return c;
	}
	avl_lift(root, c, i);
	avl_lift(root, x, i);
	c->height = x->height = hi; // o and s are hi - 1, i's children at most that
	i->height = hi + 1;
	aug(c);
	aug(x);
	aug(i);
	return i;
}

// avl_propagate recomputes the augmented values from n up, stopping at
// the first that comes out unchanged: nothing above it depends on
// anything else that changed.
static inline void avl_propagate(struct heaplab_avl_node *n, avl_augment_fn aug)
{
	while (n != NULL && aug(n))
		n = n->parent;
}

// avl_link puts n, a fresh leaf, at *link, which is parent's left or right
// pointer (or the root's), and restores heights and balance. The caller
// found link by its own descent, and has set n's augmented value and
// folded it into its ancestors' (see the theory of operation).
static inline void avl_link(struct heaplab_avl_root *root, struct heaplab_avl_node *n, struct heaplab_avl_node *parent,
			    struct heaplab_avl_node **link, avl_augment_fn aug)
{
	struct heaplab_avl_node *c = n, *x, *sib;

	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	// c's subtree just grew by one; x grows too only if c is now as tall
	for (x = parent; x != NULL && c->height == x->height; c = x, x = x->parent) {
		sib = x->left == c ? x->right : x->left;
		if (avl_height_of(sib) + 2 == x->height) {
			avl_rebalance(root, x, aug); // back to x's height
			return;
		}
		x->height++;
	}
}

// erase_retrace climbs from x, whose subtree lost a node, restoring
// heights and balance (the values are right already); it stops at the
// first node whose height comes out unchanged.
static inline void avl_erase_retrace(struct heaplab_avl_root *root, struct heaplab_avl_node *x, avl_augment_fn aug)
{
	long hl, hr, h;

	for (; x != NULL; x = x->parent) {
		hl = avl_height_of(x->left);
		hr = avl_height_of(x->right);
		h = x->height;
		if (hl - hr > 1 || hr - hl > 1)
			x = avl_rebalance(root, x, aug); // the subtree's new root
		else
			x->height = 1 + avl_taller(hl, hr);
		if (x->height == h)
			return;
	}
}

// avl_erase takes n out of the tree, recomputes the values that change and
// rebalances.
static inline void avl_erase(struct heaplab_avl_root *root, struct heaplab_avl_node *n, avl_augment_fn aug)
{
	struct heaplab_avl_node *child, *s, *fix;

	if (n->left == NULL || n->right == NULL) {
		child = n->left != NULL ? n->left : n->right;
		fix = n->parent;
		if (child != NULL)
			child->parent = fix;
		avl_set_child(root, fix, n, child);
		avl_propagate(fix, aug);
		avl_erase_retrace(root, fix, aug);
		return;
	}
	// Two children: n's successor s (leftmost on the right) takes its place.
	for (s = n->right; s->left != NULL; s = s->left)
		;
	fix = s;
	if (s->parent != n) {
		fix = s->parent;
		fix->left = s->right;
		if (s->right != NULL)
			s->right->parent = fix;
		s->right = n->right;
		s->right->parent = s;
	}
	s->left = n->left;
	s->left->parent = s;
	s->parent = n->parent;
	s->height = n->height;
	avl_set_child(root, n->parent, n, s);
	// s's old spot up to s lost s, s and above lost n: s's value is new
	// whatever it comes to, so its parent must look
	for (child = fix; child != s && aug(child); child = child->parent)
		;
	aug(s);
	avl_propagate(s->parent, aug);
	avl_erase_retrace(root, fix, aug);
}

// avl_replace puts n where old is (same links, same height); n must sort
// where old did. The caller sets n's augmented value and propagates it.
static inline void avl_replace(struct heaplab_avl_root *root, struct heaplab_avl_node *old, struct heaplab_avl_node *n)
{
	*n = *old;
	if (n->left != NULL)
		n->left->parent = n;
	if (n->right != NULL)
		n->right->parent = n;
	avl_set_child(root, n->parent, old, n);
}

#endif
