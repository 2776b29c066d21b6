// SPDX-License-Identifier: BSD-3-Clause
// The part checks `make grade LAB=alloc` runs on your mem_allocl (lab 6):
// each case builds a heap from a picture, allocates once with your code
// and checks one rule: which block first fit takes, an exact fit unlinked,
// a larger block carved from its top, sbrk when nothing fits, the memory
// handed out zeroed, or nil with nothing changed when there is no room.
//
// Pictures as in lab/gradelib.h: 'x' a page in use, '.' a free page; the
// heap is built by hand, so a case never depends on your alloc to set
// itself up. `after` is the heap the allocation must leave ('x' for its
// pages too; longer than `before` when the break grew).
//
// usage: grade_alloc [PART or PART/CASE...]   PART: fit exact carve grow zero nil (default all);
// PART/CASE runs one case (--list lists them: `order/new-head`, ...)
// Prints `PART/CASE: ok` or `PART/CASE: what went wrong` per case, then
// `N passed, M failed`; exits 1 if any failed.
#include "gradelib.h"

#include <stdio.h>
#include <string.h>

#define NIL ((uintptr_t)-1) // at meaning: heaplab_alloc must answer NULL

struct alloc_case {
	struct lab_case id; // part, name
	const char *before; // the heap before the alloc
	uintptr_t heap;	    // the arena, in pages (0: CASE_HEAP)
	uintptr_t n;	    // what to allocate, in bytes
	uintptr_t at;	    // the offset it must answer, or NIL
	const char *after;  // the heap after (nil part: NULL, as before)
};

// clang-format off: one case a line reads best as a table
static const struct alloc_case cases[] = {
    // First fit: the lowest-addressed free block that is big enough, not
    // the best fitting and not the break, whatever part of it is taken.
    {{"fit", "only-block"}, "x..x", 0, PG, 2 * PG, "x.xx"},
    {{"fit", "lowest-of-two"}, "x..x..x", 0, PG, 2 * PG, "x.xx..x"},
    {{"fit", "skips-too-small"}, "x.x...x", 0, 2 * PG, 4 * PG, "x.x.xxx"},
    {{"fit", "skips-many"}, "x.x.x.x...x", 0, 2 * PG, 8 * PG, "x.x.x.x.xxx"},
    {{"fit", "lowest-not-best"}, "x.....x..x", 0, 2 * PG, 4 * PG, "x...xxx..x"},
    {{"fit", "last-block"}, ".x.x.x....", 0, 3 * PG, 7 * PG, ".x.x.x.xxx"},
    {{"fit", "size-rounded-up"}, "x.x..x", 0, PG + 1, 3 * PG, "x.xxxx"},
    // Exact fit: the block leaves the list; the blocks around it are linked.
    {{"exact", "head"}, "..x..x", 0, 2 * PG, 0, "xxx..x"},
    {{"exact", "middle"}, "x.x..x.x", 0, 2 * PG, 3 * PG, "x.xxxx.x"},
    {{"exact", "tail"}, "x.x.x..x", 0, 2 * PG, 5 * PG, "x.x.xxxx"},
    {{"exact", "only-block"}, "x..x", 0, 2 * PG, PG, "xxxx"},
    {{"exact", "skips-smaller"}, "x.x..x", 0, 2 * PG, 3 * PG, "x.xxxx"},
    {{"exact", "size-rounded-up"}, "x..x", 0, PG + 1, PG, "xxxx"},
    // Carving: a larger block keeps its address and its place in the list
    // and shrinks; the allocation is its top.
    {{"carve", "one-page-of-two"}, "x..x", 0, PG, 2 * PG, "x.xx"},
    {{"carve", "keeps-address"}, "...x", 0, 2 * PG, PG, ".xxx"},
    {{"carve", "head-keeps-next"}, "..x..x", 0, PG, PG, ".xx..x"},
    {{"carve", "middle"}, "x.x...x.x", 0, 2 * PG, 4 * PG, "x.x.xxx.x"},
    {{"carve", "tail"}, "x.x....", 0, 2 * PG, 5 * PG, "x.x..xx"},
    {{"carve", "size-rounded-up"}, "x...x", 0, PG + 1, 2 * PG, "x.xxx"},
    // Growing: when no block fits, the allocation is the old break and the
    // break moves past it; the free list stays as it was.
    {{"grow", "empty-heap"}, "", 0, PG, 0, "x"},
    {{"grow", "nothing-free"}, "xx", 0, 2 * PG, 2 * PG, "xxxx"},
    {{"grow", "all-too-small"}, ".x.x", 0, 2 * PG, 4 * PG, ".x.xxx"},
    {{"grow", "size-rounded-up"}, "x", 0, 1, PG, "xx"},
    {{"grow", "to-the-arena-end"}, "x.x", 5, 2 * PG, 3 * PG, "x.xxx"},
    // Zeroing: every byte handed out is zero, the header an exact fit had
    // included.
    {{"zero", "exact-fit-head"}, ".x.x", 0, PG, 0, "xx.x"},
    {{"zero", "exact-fit-middle"}, ".x..x.x", 0, 2 * PG, 2 * PG, ".xxxx.x"},
    {{"zero", "exact-fit-tail"}, ".x..", 0, 2 * PG, 2 * PG, ".xxx"},
    {{"zero", "exact-fit-rounded-up"}, "x..x", 0, PG + 1, PG, "xxxx"},
    {{"zero", "carved-top"}, "...x", 0, PG, 2 * PG, "..xx"},
    {{"zero", "from-sbrk"}, "x", 0, PG, PG, "xx"},
    // No room: nil, and the list, the break, the counters and every byte
    // as they were. A success counts its rounded size in pool->inuse.
    {{"nil", "no-block-no-room"}, "x.x", 3, 2 * PG, NIL, NULL},
    {{"nil", "empty-list-no-room"}, "xxx", 3, PG, NIL, NULL},
    {{"nil", "bigger-than-the-arena"}, "...", 0, 65 * PG, NIL, NULL},
    {{"nil", "size-zero"}, ".x", 0, 0, NIL, NULL},
    {{"nil", "size-wraps"}, ".x", 0, UINTPTR_MAX, NIL, NULL},
    {{"nil", "break-would-wrap"}, ".x", 0, UINTPTR_MAX - 2 * PG + 1, NIL, NULL},
    {{"nil", "inuse-counts-exact-fit"}, "x..x", 0, 2 * PG, PG, "xxxx"},
    {{"nil", "inuse-counts-carve"}, "x...x", 0, PG + 1, 2 * PG, "x.xxx"},
    {{"nil", "inuse-counts-sbrk"}, "x", 0, 3 * PG - 1, PG, "xxxx"},
};
// clang-format on

// What an alloc that answers nil must leave as it was.
struct alloc_snap {
	char list[200];
	uintptr_t bloc, brk, inuse, taken;
	unsigned long sum;
};

static void snap_take(struct alloc_snap *s)
{
	char buf[sizeof s->list];

	snprintf(s->list, sizeof s->list, "%s", lab_list_str(buf, sizeof buf));
	s->bloc = mempool.bloc;
	s->brk = heap_break;
	s->inuse = mempool.inuse;
	s->taken = mempool.taken;
	s->sum = lab_checksum();
}

static unsigned long off_of(const void *p)
{
	return (unsigned long)((uintptr_t)p - mempool.start);
}

static int check_unchanged(const struct alloc_snap *s)
{
	struct alloc_snap now;

	snap_take(&now);
	if (strcmp(now.list, s->list) != 0)
		return lab_fail("the free list changed from %s to %s", s->list, now.list);
	if (now.bloc != s->bloc || now.brk != s->brk)
		return lab_fail("the break moved from 0x%lx to 0x%lx", off_of((void *)s->brk),
				off_of((void *)now.brk));
	if (now.inuse != s->inuse || now.taken != s->taken)
		return lab_fail("pool->inuse/taken changed from 0x%lx/0x%lx to 0x%lx/0x%lx",
				(unsigned long)s->inuse, (unsigned long)s->taken,
				(unsigned long)now.inuse, (unsigned long)now.taken);
	if (now.sum != s->sum)
		return lab_fail("the heap's bytes changed");
	return 0;
}

// check_block: does p lie in the free block of pic that holds offset at
// (first fit's block), or past the break if at is?
static int check_block(const char *pic, uintptr_t at, const void *p)
{
	uintptr_t lo = at / PG, hi = lo + 1, n = strlen(pic), got = off_of(p);

	if (lo >= n)
		return got == at ? 0
				 : lab_fail("heaplab_alloc answered 0x%lx, want 0x%lx", got,
					    (unsigned long)at);
	while (lo > 0 && pic[lo - 1] == '.')
		lo--;
	while (hi < n && pic[hi] == '.')
		hi++;
	if (got >= lo * PG && got < hi * PG)
		return 0;
	return lab_fail("heaplab_alloc answered 0x%lx, not in the first block that fits, 0x%lx+0x%lx",
			got, (unsigned long)(lo * PG), (unsigned long)((hi - lo) * PG));
}

// check_zero: every byte of the n (rounded) bytes at p is zero.
static int check_zero(const unsigned char *p, uintptr_t n)
{
	uintptr_t k;

	for (k = 0; k < heaplab_round(&mempool, n); k++)
		if (p[k] != 0)
			return lab_fail("byte 0x%lx of the allocation (at 0x%lx) is 0x%x, want 0",
					(unsigned long)k, off_of(p), p[k]);
	return 0;
}

// check_placed: p is at `at`, the list and the break are after's, and the
// pages in use before are untouched.
static int check_placed(const struct alloc_case *c, const void *p)
{
	uintptr_t brk = strlen(c->after) * PG;

	if (off_of(p) != c->at)
		return lab_fail("heaplab_alloc answered 0x%lx, want 0x%lx", off_of(p),
				(unsigned long)c->at);
	if (lab_check_list(c->after) < 0 || lab_check_live(c->before) < 0)
		return -1;
	if (mempool.bloc - mempool.start != brk)
		return lab_fail("the break is 0x%lx, want 0x%lx", off_of((void *)mempool.bloc),
				(unsigned long)brk);
	return 0;
}

// check_count: pool->inuse grew by n, rounded.
static int check_count(const struct alloc_snap *s, uintptr_t n)
{
	uintptr_t want = s->inuse + heaplab_round(&mempool, n);

	if (mempool.inuse != want)
		return lab_fail("pool->inuse went from 0x%lx to 0x%lx, want 0x%lx",
				(unsigned long)s->inuse, (unsigned long)mempool.inuse,
				(unsigned long)want);
	return 0;
}

// run_case builds the heap, allocates, and checks the rule of the case's part.
static int run_case(const void *v)
{
	const struct alloc_case *c = v;
	const char *part = c->id.part;
	struct alloc_snap s;
	void *p;

	lab_build(c->before, c->heap * PG);
	snap_take(&s);
	p = heaplab_alloc(&mempool, c->n);
	if (c->at == NIL)
		return p != NULL ? lab_fail("heaplab_alloc answered 0x%lx, want nil", off_of(p))
				 : check_unchanged(&s);
	if (p == NULL)
		return lab_fail("heaplab_alloc answered nil, want 0x%lx", (unsigned long)c->at);
	if (strcmp(part, "fit") == 0)
		return check_block(c->before, c->at, p);
	if (strcmp(part, "zero") == 0)
		return check_zero(p, c->n);
	if (strcmp(part, "nil") == 0) // a success: only the count is this part's
		return check_count(&s, c->n);
	return check_placed(c, p);
}

int main(int argc, char **argv)
{
	static const struct lab_suite suite = {"grade_alloc",	"heaplab_alloc",
					       cases,		sizeof cases / sizeof cases[0],
					       sizeof cases[0], run_case};

	return lab_main(&suite, argc, argv);
}
