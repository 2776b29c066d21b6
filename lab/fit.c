// Lab 7 (docs/lab/7-index.md): your mem_index_fit, the placement index's
// first-fit search. `make lab LAB=index` builds the host tools and tests
// with this file in place of mem/fit.c; `make grade LAB=index` grades it.
// The tree is given (mem/index.c keeps it, mem/avl.h has its nodes).
#include "../mem/internal.h"

// max_of answers the largest block size in a's subtree (0 for none): the
// node's max (struct heaplab_node, which starts with its struct heaplab_avl_node).
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

	*pred = NULL;
	if (max_of(a) < n)
		return NULL; // no block in the tree is big enough

	// Your descent, from a = the root: one path down, O(height) nodes; a
	// walk over every block (the list, or the whole tree) is too slow, and
	// the grader counts the nodes you visit.
	//
	// At each node a: if its left subtree holds a block of at least n
	// bytes (its max says so), the answer is there: go left. Else, if a's
	// own block fits, a is the answer: its header, with its size, is
	// mem_index_block((const struct heaplab_node *)a). Else the answer is in
	// the right subtree: go right, and remember a in *pred, the last node
	// passed on the way right.

	return NULL;
}
