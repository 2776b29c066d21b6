// SPDX-License-Identifier: BSD-3-Clause
// The judge's runtime (lab/judge_*, `--judge CASE`, lab/gradelib.h): linked
// in place of lab/labrt.c into a part-check program built from mem/'s own
// files, with no student file. Each call of the lab's student operation
// (LAB_OP) is not run here: it takes the answer, and the pool and heap the
// call left, from the next record a --record run of the same case wrote
// (stdin). Every other operation is mem/'s own, run here on that heap.
// So the case's checks judge what the student's code did, in a process
// their code never ran in.
#include "gradelib.h"
#include "labrt.h"

#include "../mem/internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

// Set by gradelib's --record, which a judge never runs.
void (*lab_op_hook)(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1, uintptr_t ret,
		    const struct heaplab_avl_node *pred);
void (*lab_pre_hook)(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1);

static const char *const names[] = {"", "heaplab_free", "heaplab_alloc", "mem_index_fit"};

int lab_take(void *p, size_t n)
{
	char *b = p;
	ssize_t k;

	for (; n > 0; b += k, n -= (size_t)k) {
		k = read(0, b, n);
		if (k < 0 && errno == EINTR)
			k = 0;
		else if (k <= 0)
			return -1;
	}
	return 0;
}

// next reads the record of this call of op, and the heap it left into
// place; the pool's own pointers (name, ops, lock) stay the judge's.
static void next(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1, struct lab_rec *r)
{
	const char *name = names[op];
	struct heaplab_pool keep = mempool;

	if (lab_take(r, sizeof *r) < 0)
		lab_judge_end(3, "the run stopped before %s returned", name);
	if (r->magic != LAB_REC_MAGIC || r->op != (uint32_t)op || r->a0 != a0 || r->a1 != a1 ||
	    pool != &mempool)
		lab_judge_end(4,
			      "the record of %s is not the call this case made: the run "
			      "wrote its own",
			      name);
	if (op == LAB_OP_FIT)
		return;
	if (r->pool.start != keep.start || r->pool.end != keep.end || r->brk < keep.start ||
	    r->brk > keep.end || r->len != r->brk - keep.start || r->pool.nregion < 0 ||
	    r->pool.nregion > HEAPLAB_NREGION || r->pool.granule != keep.granule ||
	    r->pool.index != keep.index)
		lab_judge_end(4,
			      "the record of %s has a pool no call could leave: the run "
			      "wrote its own",
			      name);
	if (lab_take((void *)keep.start, r->len) < 0)
		lab_judge_end(3, "the run stopped before %s returned", name);
	mempool = r->pool;
	mempool.name = keep.name;
	mempool.ops = keep.ops;
	mempool.lockarg = keep.lockarg;
	heap_break = r->brk;
}

void *__wrap_heaplab_alloc(struct heaplab_pool *pool, uintptr_t n)
{
	struct lab_rec r;

	if (LAB_OP != LAB_OP_ALLOC)
		return __real_heaplab_alloc(pool, n);
	next(LAB_OP_ALLOC, pool, n, 0, &r);
	return (void *)(uintptr_t)r.ret;
}

int __wrap_heaplab_free(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	struct lab_rec r;

	if (LAB_OP != LAB_OP_FREE)
		return __real_heaplab_free(pool, p, n);
	next(LAB_OP_FREE, pool, (uintptr_t)p, n, &r);
	return (int)r.ret;
}

struct heaplab_hdr *__wrap_mem_index_fit(const struct heaplab_pool *pool, uintptr_t n,
				     const struct heaplab_avl_node **pred)
{
	struct lab_rec r;

	if (LAB_OP != LAB_OP_FIT)
		return __real_mem_index_fit(pool, n, pred);
	next(LAB_OP_FIT, (struct heaplab_pool *)pool, n, 0, &r);
	*pred = (const struct heaplab_avl_node *)(uintptr_t)r.pred;
	lab_touched = r.touched;
	return (struct heaplab_hdr *)(uintptr_t)r.ret;
}
