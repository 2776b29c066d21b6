// Augmented AVL tree (see avl.h): insertion, removal and rebalancing with
// parent pointers, no recursion, and a user callback that keeps a value
// per node computed from its subtree.
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
#include "avl.h"

#include <stddef.h>

static long height(const struct avl_node *n)
{
	return n != NULL ? n->height : 0;
}

static long taller(long a, long b)
{
	return a > b ? a : b;
}

// set_child makes n take old's place under parent (or at the root).
static void set_child(struct avl_root *root, struct avl_node *parent, struct avl_node *old,
		      struct avl_node *n)
{
	if (parent == NULL)
		root->node = n;
	else if (parent->left == old)
		parent->left = n;
	else
		parent->right = n;
}

// refresh recomputes n's height and augmented value from its children.
static void refresh(struct avl_node *n, avl_augment_fn aug)
{
	n->height = 1 + taller(height(n->left), height(n->right));
	aug(n);
}

// rotate_left lifts x's right child y above x and answers y.
static struct avl_node *rotate_left(struct avl_root *root, struct avl_node *x, avl_augment_fn aug)
{
	struct avl_node *y = x->right;

	x->right = y->left;
	if (y->left != NULL)
		y->left->parent = x;
	y->parent = x->parent;
	set_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	refresh(x, aug);
	refresh(y, aug);
	return y;
}

// rotate_right lifts x's left child y above x and answers y.
static struct avl_node *rotate_right(struct avl_root *root, struct avl_node *x, avl_augment_fn aug)
{
	struct avl_node *y = x->left;

	x->left = y->right;
	if (y->right != NULL)
		y->right->parent = x;
	y->parent = x->parent;
	set_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	refresh(x, aug);
	refresh(y, aug);
	return y;
}

// rebalance rotates n's subtree back within the AVL rule if its children's
// heights differ by two, and answers the subtree's root (n if no rotation).
static struct avl_node *rebalance(struct avl_root *root, struct avl_node *n, avl_augment_fn aug)
{
	long d = height(n->left) - height(n->right);

	if (d > 1) {
		if (height(n->left->left) < height(n->left->right))
			rotate_left(root, n->left, aug);
		return rotate_right(root, n, aug);
	}
	if (d < -1) {
		if (height(n->right->right) < height(n->right->left))
			rotate_right(root, n->right, aug);
		return rotate_left(root, n, aug);
	}
	return n;
}

// avl_fixup restores heights, balance and augmented values from n up. With
// moved set, n has just taken another node's place, so its parent must be
// recomputed whatever n's own values come to.
static void avl_fixup(struct avl_root *root, struct avl_node *n, avl_augment_fn aug, int moved)
{
	struct avl_node *top;
	long old;
	int changed;

	while (n != NULL) {
		old = n->height;
		top = rebalance(root, n, aug);
		if (top == n) {
			n->height = 1 + taller(height(n->left), height(n->right));
			changed = aug(n) | (n->height != old);
		} else {
			changed = 1; // the subtree has a new root: its parent must look
		}
		if (!changed && !moved)
			return;
		moved = 0;
		n = top->parent;
	}
}

void avl_link(struct avl_root *root, struct avl_node *n, struct avl_node *parent,
	      struct avl_node **link, avl_augment_fn aug)
{
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	aug(n);
	avl_fixup(root, parent, aug, 0);
}

void avl_erase(struct avl_root *root, struct avl_node *n, avl_augment_fn aug)
{
	struct avl_node *child, *s, *fix;

	if (n->left == NULL || n->right == NULL) {
		child = n->left != NULL ? n->left : n->right;
		fix = n->parent;
		if (child != NULL)
			child->parent = fix;
		set_child(root, fix, n, child);
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
	set_child(root, n->parent, n, s);
	if (fix != s) // s's old spot; that climb may stop below s
		avl_fixup(root, fix, aug, 0);
	avl_fixup(root, s, aug, 1);
}

void avl_replace(struct avl_root *root, struct avl_node *old, struct avl_node *n,
		 avl_augment_fn aug)
{
	*n = *old;
	if (n->left != NULL)
		n->left->parent = n;
	if (n->right != NULL)
		n->right->parent = n;
	set_child(root, n->parent, old, n);
	aug(n); // n's own value is new, whatever it held: its parent must look
	avl_propagate(n->parent, aug);
}

void avl_propagate(struct avl_node *n, avl_augment_fn aug)
{
	while (n != NULL && aug(n))
		n = n->parent;
}

struct avl_node *avl_first(const struct avl_root *root)
{
	struct avl_node *n = root->node;

	while (n != NULL && n->left != NULL)
		n = n->left;
	return n;
}

struct avl_node *avl_next(const struct avl_node *n)
{
	const struct avl_node *p;

	if (n->right != NULL) {
		for (n = n->right; n->left != NULL; n = n->left)
			;
		return (struct avl_node *)n;
	}
	for (p = n->parent; p != NULL && n == p->right; n = p, p = p->parent)
		;
	return (struct avl_node *)p;
}

struct avl_node *avl_prev(const struct avl_node *n)
{
	const struct avl_node *p;

	if (n->left != NULL) {
		for (n = n->left; n->right != NULL; n = n->right)
			;
		return (struct avl_node *)n;
	}
	for (p = n->parent; p != NULL && n == p->left; n = p, p = p->parent)
		;
	return (struct avl_node *)p;
}
