// Augmented AVL tree: the balancing half of the placement index, generic
// and apart from the allocator (as Linux keeps lib/rbtree.c apart from its
// users). Nodes are embedded in the objects they index; nothing allocates
// and nothing recurses.
#ifndef HEAPLAB_AVL_H
#define HEAPLAB_AVL_H

// One node. height is 1 for a leaf, 1 + the taller child's otherwise; an
// empty subtree has height 0. AVL rule: the children's heights differ by at
// most one.
struct heaplab_avl_node {
	struct heaplab_avl_node *left, *right, *parent;
	long height;
};

// aug recomputes the user's augmented value of n from n itself and its
// children (which are already up to date), and answers nonzero if the
// value changed. The tree calls it on the nodes a rotation moves and on
// the way up from a removal; an insertion's new value is the caller's to
// fold in (avl_link).
typedef int (*avl_augment_fn)(struct heaplab_avl_node *n);

// Where the tree hangs: the root pointer, NULL for an empty tree.
struct heaplab_avl_root {
	struct heaplab_avl_node *node;
};

// Changing the tree: avl_link, avl_erase, avl_replace and avl_propagate,
// inline in avl_augment.h.

// In-order neighbours; NULL past either end.
struct heaplab_avl_node *avl_first(const struct heaplab_avl_root *root);
struct heaplab_avl_node *avl_next(const struct heaplab_avl_node *n);
struct heaplab_avl_node *avl_prev(const struct heaplab_avl_node *n);

#endif
