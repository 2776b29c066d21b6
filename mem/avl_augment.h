// Augmented AVL tree, the rebalancing half (see avl.h): insertion,
// removal and rebalancing with parent pointers, no recursion, and a user
// callback that keeps a value per node computed from its subtree. Like
// Linux's rbtree_augmented.h these are inline, so that the user's callback
// is compiled into them: include this only where a tree is changed.
//
// Theory of operation
//
//   Every change to the tree's shape happens at one spot (a new leaf, a
//   node taken out); avl_fixup then climbs from that spot to the root. At
//   each node it recomputes the height; if the children's heights now
//   differ by two it rotates (once, or twice for a zig-zag), which brings
//   the subtree back within the rule. The rotated nodes get their heights
//   and augmented values recomputed bottom-up. The climb stops early at
//   the first node whose height and augmented value both came out
//   unchanged: nothing above it depends on anything else.
//
//        x                y            rotate_left(x): y, x's right child,
//       / \              / \           becomes the subtree's root; y's
//      a   y    --->    x   c          left subtree b moves under x.
//         / \          / \             In-order a x b y c is kept.
//        b   c        a   b
#ifndef HEAPLAB_AVL_AUGMENT_H
#define HEAPLAB_AVL_AUGMENT_H

#include <stddef.h>

#include "avl.h"

static inline long avl_height_of(const struct avl_node *n)
{
	return n != NULL ? n->height : 0;
}

static inline long avl_taller(long a, long b)
{
	return a > b ? a : b;
}

// set_child makes n take old's place under parent (or at the root).
static inline void avl_set_child(struct avl_root *root, struct avl_node *parent,
				 struct avl_node *old, struct avl_node *n)
{
	if (parent == NULL)
		root->node = n;
	else if (parent->left == old)
		parent->left = n;
	else
		parent->right = n;
}

// refresh recomputes n's height and augmented value from its children.
static inline void avl_refresh(struct avl_node *n, avl_augment_fn aug)
{
	n->height = 1 + avl_taller(avl_height_of(n->left), avl_height_of(n->right));
	aug(n);
}

// rotate_left lifts x's right child y above x and answers y.
static inline struct avl_node *avl_rotate_left(struct avl_root *root, struct avl_node *x,
					       avl_augment_fn aug)
{
	struct avl_node *y = x->right;

	x->right = y->left;
	if (y->left != NULL)
		y->left->parent = x;
	y->parent = x->parent;
	avl_set_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	avl_refresh(x, aug);
	avl_refresh(y, aug);
	return y;
}

// rotate_right lifts x's left child y above x and answers y.
static inline struct avl_node *avl_rotate_right(struct avl_root *root, struct avl_node *x,
						avl_augment_fn aug)
{
	struct avl_node *y = x->left;

	x->left = y->right;
	if (y->right != NULL)
		y->right->parent = x;
	y->parent = x->parent;
	avl_set_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	avl_refresh(x, aug);
	avl_refresh(y, aug);
	return y;
}

// rebalance rotates n's subtree back within the AVL rule if its children's
// heights differ by two, and answers the subtree's root (n if no rotation).
static inline struct avl_node *avl_rebalance(struct avl_root *root, struct avl_node *n,
					     avl_augment_fn aug)
{
	long d = avl_height_of(n->left) - avl_height_of(n->right);

	if (d > 1) {
		if (avl_height_of(n->left->left) < avl_height_of(n->left->right))
			avl_rotate_left(root, n->left, aug);
		return avl_rotate_right(root, n, aug);
	}
	if (d < -1) {
		if (avl_height_of(n->right->right) < avl_height_of(n->right->left))
			avl_rotate_right(root, n->right, aug);
		return avl_rotate_left(root, n, aug);
	}
	return n;
}

// avl_fixup restores heights, balance and augmented values from n up. With
// moved set, n has just taken another node's place, so its parent must be
// recomputed whatever n's own values come to.
static inline void avl_fixup(struct avl_root *root, struct avl_node *n, avl_augment_fn aug,
			     int moved)
{
	long hl, hr, old;
	int changed;

	while (n != NULL) {
		hl = avl_height_of(n->left);
		hr = avl_height_of(n->right);
		if (hl - hr > 1 || hr - hl > 1) {
			// the subtree gets a new root: its parent must look
			n = avl_rebalance(root, n, aug)->parent;
			moved = 0;
			continue;
		}
		old = n->height;
		n->height = 1 + avl_taller(hl, hr);
		changed = aug(n) | (n->height != old);
		if (!changed && !moved)
			return;
		moved = 0;
		n = n->parent;
	}
}

// avl_link puts n, a fresh leaf, at *link, which is parent's left or right
// pointer (or the root's), then restores heights, balance and augmented
// values up to the root. The caller found link by its own descent.
static inline void avl_link(struct avl_root *root, struct avl_node *n, struct avl_node *parent,
			    struct avl_node **link, avl_augment_fn aug)
{
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	aug(n);
	avl_fixup(root, parent, aug, 0);
}

// avl_erase takes n out of the tree and rebalances.
static inline void avl_erase(struct avl_root *root, struct avl_node *n, avl_augment_fn aug)
{
	struct avl_node *child, *s, *fix;

	if (n->left == NULL || n->right == NULL) {
		child = n->left != NULL ? n->left : n->right;
		fix = n->parent;
		if (child != NULL)
			child->parent = fix;
		avl_set_child(root, fix, n, child);
		avl_fixup(root, fix, aug, 0);
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
	if (fix != s) // s's old spot; that climb may stop below s
		avl_fixup(root, fix, aug, 0);
	avl_fixup(root, s, aug, 1);
}

// avl_propagate recomputes the augmented values from n up to the root,
// after something n's value depends on changed (the shape did not).
static inline void avl_propagate(struct avl_node *n, avl_augment_fn aug)
{
	while (n != NULL && aug(n))
		n = n->parent;
}

// avl_replace puts n where old is (same links, same height) and
// propagates n's augmented value; n must sort where old did.
static inline void avl_replace(struct avl_root *root, struct avl_node *old, struct avl_node *n,
			       avl_augment_fn aug)
{
	*n = *old;
	if (n->left != NULL)
		n->left->parent = n;
	if (n->right != NULL)
		n->right->parent = n;
	avl_set_child(root, n->parent, old, n);
	aug(n); // n's own value is new, whatever it held: its parent must look
	avl_propagate(n->parent, aug);
}

#endif
