// SPDX-License-Identifier: BSD-3-Clause
// Lab 8's judge runtime (lab/spanrec.h): linked into lab/judge_span, built
// from objects/'s own files and no student file. Each call of
// hobj_span_take, _find or _give is not run here: it takes its answers,
// and the bytes of the heap the call's run changed, from the next record
// on stdin. Everything else (objects/objects.c, the pool, the case's
// checks) runs here, on that heap.
#include "gradelib.h"
#include "labrt.h"
#include "spanrec.h"

static const char *const names[] = {"", "hobj_span_take", "hobj_span_find", "hobj_span_give"};

// next reads the record of this call and writes the bytes it carries into
// the heap; a record that is not this call, or that writes outside the
// heap, is not one a run of this case wrote.
static void next(int op, const struct hobj_span *s, uintptr_t p, struct lab_span_rec *r)
{
	const char *name = names[op];
	struct lab_span_range g;
	uintptr_t n = heap_break - mempool.start;

	if (lab_take(r, sizeof *r) < 0)
		lab_judge_end(3, "the run stopped before %s returned", name);
	if (r->magic != LAB_SPAN_MAGIC || r->op != (uint32_t)op || r->s != (uintptr_t)s ||
	    r->p != p || r->brk != heap_break)
		lab_judge_end(4,
			      "the record of %s is not the call this case made: the run "
			      "wrote its own",
			      name);
	for (;;) {
		if (lab_take(&g, sizeof g) < 0)
			lab_judge_end(3, "the run stopped before %s returned", name);
		if (g.len == 0)
			return;
		if (g.off > n || g.len > n - g.off)
			lab_judge_end(4,
				      "the record of %s writes outside the heap: the run "
				      "wrote its own",
				      name);
		if (lab_take((void *)(mempool.start + g.off), g.len) < 0)
			lab_judge_end(3, "the run stopped before %s returned", name);
	}
}

void *__wrap_hobj_span_take(struct hobj_span *s, int *zero)
{
	struct lab_span_rec r;

	next(LAB_SPAN_TAKE, s, 0, &r);
	*zero = (int)r.zero;
	return (void *)(uintptr_t)r.ret;
}

int __wrap_hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i, struct hobj_fault *f)
{
	struct lab_span_rec r;

	next(LAB_SPAN_FIND, s, p, &r);
	*i = (unsigned)r.i;
	if (f != NULL && r.has_f)
		*f = r.f;
	return (int)(int64_t)r.ret;
}

int __wrap_hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	struct lab_span_rec r;

	next(LAB_SPAN_GIVE, s, p, &r);
	if (f != NULL && r.has_f)
		*f = r.f;
	return (int)(int64_t)r.ret;
}
