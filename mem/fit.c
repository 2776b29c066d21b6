// mem_index_fit: the placement index's first-fit search, one descent of
// the tree (mem/index.c has the theory). Kept in a file of its own so that
// the lab build (docs/lab, the index lab) can swap in a student's version.
#include "internal.h"

// max_of answers the largest block size in a's subtree (0 for none).
static uintptr_t max_of(const struct heaplab_avl_node *a)
{
	return a != NULL ? ((const struct heaplab_node *)a)->max : 0;
}

// mem_index_fit answers the lowest-addressed free block of at least n
// bytes, or NULL, and in *pred the node last passed on the way right: the
// block's list predecessor unless it has a left subtree.
struct heaplab_hdr *mem_index_fit(const struct heaplab_pool *pool, uintptr_t n,
			      const struct heaplab_avl_node **pred)
{
	const struct heaplab_avl_node *a = pool->tree.node;
	struct heaplab_hdr *b;

	*pred = NULL;
	if (max_of(a) < n)
		return NULL;
	for (;;) {
		b = mem_index_block((const struct heaplab_node *)a);
		if (max_of(a->left) >= n) {
			a = a->left;
		} else if (b->size >= n) {
			return b;
		} else {
			*pred = a;
			a = a->right; // its max is >= n, or a's would not be
		}
	}
}
