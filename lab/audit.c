// SPDX-License-Identifier: BSD-3-Clause
// The lab replay's audit (mk/lab.mk links it into $(LAB_B)/replay alone):
// what a replay's printed answers cannot show. Each allocation must be
// zero, inside no free block and overlapping no live allocation; the
// replay then writes a pattern into it, as a program would, and reads it
// back when it is freed; a freed range must then be on the free list, not
// lost from it (and so from the tree). The first breach ends the run:
// `corrupted: WHAT: ...` on stderr, exit LAB_CORRUPT (under --check, after
// the replay's own check of that operation, whose failure keeps its error
// line and exit status 3), which the grader names (tools/grade.py, the
// memory part). It runs in the student's
// process, so a run can silence it: the grader trusts only its
// comparisons, and counts this as evidence of harm, never of health.
#include "labrt.h"

#include "../arch/host/host.h"
#include "../mem/internal.h"

#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if LAB_OP == LAB_OP_FREE
#define SWALLOWED "a merge that swallowed it?"
#else
#define SWALLOWED "handed out while its block stayed on the list?"
#endif

struct live {
	uintptr_t a, n; // [a, a+n), rounded to the granule
};

static struct live *lives;
static size_t nlive, cap;

static unsigned char pattern(uintptr_t a)
{
	return (unsigned char)(0x5a ^ (a >> 4));
}

static uintptr_t off(const struct heaplab_pool *pool, uintptr_t a)
{
	return a - pool->start;
}

static char pending[480]; // the first breach, not yet said

// say writes the breach found on stderr, after what the replay printed.
static void say(void)
{
	if (pending[0] != '\0') {
		fflush(stdout);
		fputs(pending, stderr);
		pending[0] = '\0';
	}
}

// breach records the first corruption found; the run ends before the next
// operation (or at its end), so that the replay's own check of this one
// (--check), which runs first, still says what it finds: its error line
// and exit status, as the labs quote them, then this.
static void breach(const char *what, const char *msg)
{
	if (pending[0] == '\0')
		snprintf(pending, sizeof pending, LAB_CORRUPT_MSG "%s: %s; " LAB_BLAME "\n", what,
			 msg);
}

// reported ends the run if a breach is pending, before the next operation.
static void reported(void)
{
	if (pending[0] != '\0') {
		say();
		_exit(LAB_CORRUPT);
	}
}

#define BREACH(what, ...)                                                                          \
	do {                                                                                       \
		char msg_[300];                                                                    \
		snprintf(msg_, sizeof msg_, __VA_ARGS__);                                          \
		breach(what, msg_);                                                                \
	} while (0)

// walkable: is b a header the walk may read (a corrupt list may point
// anywhere: the heap check names that; the audit only stops there)?
static int walkable(const struct heaplab_pool *pool, const struct heaplab_hdr *b)
{
	uintptr_t a = (uintptr_t)b;

	return b != NULL && a >= pool->start && a + sizeof *b <= heap_break &&
	       a % sizeof(uintptr_t) == 0;
}

static uintptr_t rounded(const struct heaplab_pool *pool, uintptr_t n)
{
	return (n + pool->granule - 1) & ~(pool->granule - 1);
}

static void after_alloc(struct heaplab_pool *pool, uintptr_t n, uintptr_t p)
{
	const struct heaplab_hdr *b;
	uintptr_t len = rounded(pool, n), i, steps = 0;

	if (p == 0 || n == 0)
		return;
	for (b = pool->freelist; walkable(pool, b) && ++steps < (1u << 24); b = b->next)
		if ((uintptr_t)b < p + len && p < (uintptr_t)b + b->size)
			BREACH("overlap",
			       "heaplab_alloc answered [0x%lx, 0x%lx), which overlaps the free "
			       "block [0x%lx, 0x%lx) still on the list",
			       (unsigned long)off(pool, p), (unsigned long)off(pool, p + len),
			       (unsigned long)off(pool, (uintptr_t)b),
			       (unsigned long)off(pool, (uintptr_t)b + b->size));
	for (i = 0; i < nlive; i++)
		if (lives[i].a < p + len && p < lives[i].a + lives[i].n)
			BREACH("overlap",
			       "heaplab_alloc answered [0x%lx, 0x%lx), which overlaps the live "
			       "allocation [0x%lx, 0x%lx)",
			       (unsigned long)off(pool, p), (unsigned long)off(pool, p + len),
			       (unsigned long)off(pool, lives[i].a),
			       (unsigned long)off(pool, lives[i].a + lives[i].n));
	for (i = 0; i < len; i++)
		if (((unsigned char *)p)[i] != 0)
			BREACH("not zero",
			       "heaplab_alloc answered [0x%lx, 0x%lx), whose byte 0x%lx is 0x%lx, "
			       "not 0 (a free that left it dirty, or an alloc that did not clear a "
			       "header)",
			       (unsigned long)off(pool, p), (unsigned long)off(pool, p + len),
			       (unsigned long)off(pool, p + i),
			       (unsigned long)((unsigned char *)p)[i]);
	for (i = 0; i < len && pending[0] == '\0'; i++)	  // what a program does with it
		((unsigned char *)p)[i] = pattern(p + i); // (not over a free block's header)
	if (nlive == cap) {
		cap = cap ? 2 * cap : 64;
		lives = realloc(lives, cap * sizeof *lives);
		if (lives == NULL)
			abort();
	}
	lives[nlive].a = p;
	lives[nlive++].n = len;
}

static void before_free(int op, struct heaplab_pool *pool, uintptr_t p, uintptr_t n)
{
	uintptr_t i, k;

	reported();
	if (op == LAB_OP_ALLOC)
		return;
	(void)n;
	for (k = 0; k < nlive && lives[k].a != p; k++)
		;
	if (k == nlive)
		return; // not one of ours (a foreign free, a refused one)
	for (i = 0; i < lives[k].n; i++)
		if (((unsigned char *)p)[i] != pattern(p + i))
			BREACH("overwritten",
			       "byte 0x%lx of the live allocation [0x%lx, 0x%lx) changed to 0x%lx "
			       "while it was live (another allocation or a free block over it)",
			       (unsigned long)off(pool, p + i), (unsigned long)off(pool, p),
			       (unsigned long)off(pool, p + lives[k].n),
			       (unsigned long)((unsigned char *)p)[i]);
}

static void after_free(struct heaplab_pool *pool, uintptr_t p, uintptr_t n, int err)
{
	const struct heaplab_hdr *b;
	uintptr_t len, steps = 0, k;

	for (k = 0; k < nlive && lives[k].a != p; k++)
		;
	if (err != HEAPLAB_OK || k == nlive)
		return;
	len = lives[k].n;
	lives[k] = lives[--nlive];
	(void)n;
	for (b = pool->freelist; walkable(pool, b) && ++steps < (1u << 24); b = b->next)
		if ((uintptr_t)b <= p && p + len <= (uintptr_t)b + b->size)
			return;
	BREACH("lost",
	       "heaplab_free of [0x%lx, 0x%lx) answered ok, but no free block on the list "
	       "holds it",
	       (unsigned long)off(pool, p), (unsigned long)off(pool, p + len));
}

static void audit(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1, uintptr_t ret,
		  const struct heaplab_avl_node *pred)
{
	(void)pred;
	if (op == LAB_OP_ALLOC)
		after_alloc(pool, a0, ret);
	else if (op == LAB_OP_FREE)
		after_free(pool, a0, a1, (int)ret);
}

// audit_panic runs when the heap's own check fails (replay --check): a
// free block over a live allocation (a merge that swallowed it) and free
// memory not zero are corruption, named here (or the breach found before
// the check); anything else the check says itself.
static void audit_panic(const char *msg)
{
	const struct heaplab_pool *pool = &mempool;
	const struct heaplab_hdr *b;
	uintptr_t i, steps = 0;

	for (b = pool->freelist; walkable(pool, b) && ++steps < (1u << 24); b = b->next)
		for (i = 0; i < nlive; i++)
			if ((uintptr_t)b < lives[i].a + lives[i].n &&
			    lives[i].a < (uintptr_t)b + b->size)
				BREACH("overlap",
				       "the free block [0x%lx, 0x%lx) covers the live allocation "
				       "[0x%lx, 0x%lx) (" SWALLOWED ")",
				       (unsigned long)off(pool, (uintptr_t)b),
				       (unsigned long)off(pool, (uintptr_t)b + b->size),
				       (unsigned long)off(pool, lives[i].a),
				       (unsigned long)off(pool, lives[i].a + lives[i].n));
	if (strstr(msg, "not zero") != NULL)
		BREACH("not zero",
		       "a free block holds what was written to it (the heap check: %.160s)", msg);
	say(); // then the check's panic, and its exit status, as ever
}

__attribute__((constructor)) static void audit_on(void)
{
	lab_op_hook = audit;
	lab_pre_hook = before_free;
	host_panic_hook = audit_panic;
	atexit(say);			     // a breach in the last operation, whose check passed
	__sanitizer_set_death_callback(say); // or that the check then crashed on
}
