// Augmented AVL tree: the balancing half of the placement index, generic
// and apart from the allocator (as Linux keeps lib/rbtree.c apart from its
// users). Nodes are embedded in the objects they index; nothing allocates
// and nothing recurses.
#ifndef HEAPLAB_AVL_H
#define HEAPLAB_AVL_H

// One node. height is 1 for a leaf, 1 + the taller child's otherwise; an
// empty subtree has height 0. AVL rule: the children's heights differ by at
// most one.
struct avl_node {
	struct avl_node *left, *right, *parent;
	long height;
};

// aug recomputes the user's augmented value of n from n itself and its
// children (which are already up to date), and answers nonzero if the
// value changed. The tree calls it wherever a subtree changes shape.
typedef int (*avl_augment_fn)(struct avl_node *n);

// Where the tree hangs: the root pointer, NULL for an empty tree.
struct avl_root {
	struct avl_node *node;
};

// avl_link puts n, a fresh leaf, at *link, which is parent's left or right
// pointer (or the root's), then restores heights, balance and augmented
// values up to the root. The caller found link by its own descent.
void avl_link(struct avl_root *root, struct avl_node *n, struct avl_node *parent,
	      struct avl_node **link, avl_augment_fn aug);

// avl_erase takes n out of the tree and rebalances.
void avl_erase(struct avl_root *root, struct avl_node *n, avl_augment_fn aug);

// avl_replace puts n where old is (same links, same height) and
// propagates n's augmented value; n must sort where old did.
void avl_replace(struct avl_root *root, struct avl_node *old, struct avl_node *n,
		 avl_augment_fn aug);

// avl_propagate recomputes the augmented values from n up to the root,
// after something n's value depends on changed (the shape did not).
void avl_propagate(struct avl_node *n, avl_augment_fn aug);

// In-order neighbours; NULL past either end.
struct avl_node *avl_first(const struct avl_root *root);
struct avl_node *avl_next(const struct avl_node *n);
struct avl_node *avl_prev(const struct avl_node *n);

#endif
