// Augmented AVL tree (see avl.h): walking it in order. The changes that
// rebalance it are inline, in avl_augment.h.
#include "avl.h"

#include <stddef.h>

struct heaplab_avl_node *avl_first(const struct heaplab_avl_root *root)
{
	struct heaplab_avl_node *n = root->node;

	while (n != NULL && n->left != NULL)
		n = n->left;
	return n;
}

struct heaplab_avl_node *avl_next(const struct heaplab_avl_node *n)
{
	const struct heaplab_avl_node *p;

	if (n->right != NULL) {
		for (n = n->right; n->left != NULL; n = n->left)
			;
		return (struct heaplab_avl_node *)n;
	}
	for (p = n->parent; p != NULL && n == p->right; n = p, p = p->parent)
		;
	return (struct heaplab_avl_node *)p;
}

struct heaplab_avl_node *avl_prev(const struct heaplab_avl_node *n)
{
	const struct heaplab_avl_node *p;

	if (n->left != NULL) {
		for (n = n->left; n->right != NULL; n = n->right)
			;
		return (struct heaplab_avl_node *)n;
	}
	for (p = n->parent; p != NULL && n == p->left; n = p, p = p->parent)
		;
	return (struct heaplab_avl_node *)p;
}
