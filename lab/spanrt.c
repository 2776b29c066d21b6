// SPDX-License-Identifier: BSD-3-Clause
// Lab 8's runtime (lab/spanrec.h), linked into the programs built with the
// student's span.c (mk/lab.mk wraps hobj_span_take, _find and _give with
// it): a call that runs LAB_OP_USECS of CPU time has looped, and the
// program stops saying which; under --record (lab/gradelib.c sets
// lab_op_hook) each call is written to fd 3 for the judge.
#include "gradelib.h"
#include "labrt.h"
#include "spanrec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_hobj_span_take(struct hobj_span *s, int *zero);
int __real_hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i,
			  struct hobj_fault *f);
int __real_hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f);

static const char take_looped[] =
    LAB_LOOP_MSG "hobj_span_take did not return after " LAB_OP_SECS_STR " s of CPU time: "
		 "take is O(1), no loop: pop the free list's head, or take object s->fresh\n";
static const char find_looped[] =
    LAB_LOOP_MSG "hobj_span_find did not return after " LAB_OP_SECS_STR " s of CPU time: "
		 "find is O(1), no loop: the index is (p - s->base) times the class's divmul\n";
static const char give_looped[] =
    LAB_LOOP_MSG "hobj_span_give did not return after " LAB_OP_SECS_STR " s of CPU time: "
		 "give is O(1): find, clear the bit, push p; does it walk a looping list?\n";

static void put(const void *p, size_t n)
{
	const char *b = p;
	ssize_t k;

	for (; n > 0; b += k, n -= (size_t)k) {
		k = write(3, b, n);
		if (k < 0 && errno == EINTR)
			k = 0;
		else if (k <= 0)
			_exit(5); // the grader stopped reading: nothing left to do
	}
}

// The heap as it was when the call began: a record sends what the call
// changed (the judge ran the same code up to the call, so its heap is that).
static unsigned char *shadow;

// before brings the shadow up to the heap as it is, before a call.
static void before(void)
{
	const unsigned char *m = (const unsigned char *)mempool.start;
	uintptr_t n = heap_break - mempool.start, at, top;

	if (lab_op_hook == NULL)
		return;
	if (shadow == NULL && (shadow = calloc(1, mempool.end - mempool.start)) == NULL)
		_exit(5);
	for (at = 0; at < n; at += 4096) {
		top = at + 4096 < n ? at + 4096 : n;
		if (memcmp(m + at, shadow + at, top - at) != 0)
			memcpy(shadow + at, m + at, top - at);
	}
}

static void put_range(uintptr_t off, uintptr_t len)
{
	struct lab_span_range r = {off, len};

	put(&r, sizeof r);
	put((const void *)(mempool.start + off), len);
	memcpy(shadow + off, (const void *)(mempool.start + off), len);
}

// put_diff sends the bytes of [start, break) that differ from the shadow,
// a range per run of differing words (4 KiB at a time compared whole
// first: most of the heap is as it was).
static void put_diff(void)
{
	const unsigned char *m = (const unsigned char *)mempool.start;
	uintptr_t n = heap_break - mempool.start, at, w, from = 0, run = 0;
	static const struct lab_span_range end;

	for (at = 0; at < n; at += 4096) {
		uintptr_t top = at + 4096 < n ? at + 4096 : n;

		if (memcmp(m + at, shadow + at, top - at) == 0)
			continue;
		for (w = at; w < top; w += 8) {
			uintptr_t k = top - w < 8 ? top - w : 8;

			if (memcmp(m + w, shadow + w, k) == 0)
				continue;
			if (run != 0 && w > from + run + 16) {
				put_range(from, run);
				run = 0;
			}
			if (run == 0)
				from = w;
			run = w + k - from;
		}
	}
	if (run != 0)
		put_range(from, run);
	put(&end, sizeof end);
}

static void record(const struct lab_span_rec *r)
{
	struct lab_span_rec c = *r;

	c.magic = LAB_SPAN_MAGIC;
	c.brk = heap_break;
	put(&c, sizeof c);
	put_diff();
}

void *__wrap_hobj_span_take(struct hobj_span *s, int *zero)
{
	void *p;

	before();
	lab_guard(take_looped);
	p = __real_hobj_span_take(s, zero);
	lab_guard(NULL);
	if (lab_op_hook != NULL)
		record(&(struct lab_span_rec){
		    .op = LAB_SPAN_TAKE, .s = (uintptr_t)s, .ret = (uintptr_t)p, .zero = *zero});
	return p;
}

int __wrap_hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i, struct hobj_fault *f)
{
	int err;

	before();
	lab_guard(find_looped);
	err = __real_hobj_span_find(s, p, i, f);
	lab_guard(NULL);
	if (lab_op_hook != NULL)
		record(&(struct lab_span_rec){.op = LAB_SPAN_FIND,
					      .s = (uintptr_t)s,
					      .p = p,
					      .ret = (uint64_t)(int64_t)err,
					      .i = *i,
					      .has_f = f != NULL,
					      .f = f != NULL ? *f : (struct hobj_fault){0}});
	return err;
}

int __wrap_hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	int err;

	before();
	lab_guard(give_looped);
	err = __real_hobj_span_give(s, p, f);
	lab_guard(NULL);
	if (lab_op_hook != NULL)
		record(&(struct lab_span_rec){.op = LAB_SPAN_GIVE,
					      .s = (uintptr_t)s,
					      .p = p,
					      .ret = (uint64_t)(int64_t)err,
					      .has_f = f != NULL,
					      .f = f != NULL ? *f : (struct hobj_fault){0}});
	return err;
}
