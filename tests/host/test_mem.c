// SPDX-License-Identifier: BSD-3-Clause
// cmocka unit tests of mem/'s placement and of every free it must refuse.
// Heaps are drawn as pictures, one character per granule from the arena
// start to the break: 'x' allocated, '.' free (see testutil.h).
#include "testutil.h"

#include <stdio.h>
#include <string.h>

// all_zero answers 1 if the n bytes at p are all zero.
static int all_zero(const void *p, uintptr_t n)
{
	const unsigned char *c = p;
	uintptr_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

// Placement: first fit from the low end, carved from the top.

static void test_first_fit_lowest(void **state)
{
	(void)state;
	layout("x.x...x..x....x");
	assert_int_equal(off(must_alloc(2 * PG)), 4 * PG);
	assert_string_equal(heap_picture(), "x.x.xxx..x....x");
}

static void test_carve_top_keeps_address(void **state)
{
	(void)state;
	layout("x....x");
	assert_int_equal(off(must_alloc(PG)), 4 * PG);
	assert_string_equal(free_list_str(), "0x1000+0x3000");
	assert_int_equal(off(must_alloc(2 * PG)), 2 * PG);
	assert_string_equal(free_list_str(), "0x1000+0x1000");
}

static void test_exact_fit_unlinks_head(void **state)
{
	(void)state;
	layout("x..x...x");
	assert_int_equal(off(must_alloc(2 * PG)), 1 * PG);
	assert_string_equal(free_list_str(), "0x4000+0x3000");
}

static void test_exact_fit_unlinks_middle(void **state)
{
	(void)state;
	layout("x.x..x.x");
	assert_int_equal(off(must_alloc(2 * PG)), 3 * PG);
	assert_string_equal(free_list_str(), "0x1000+0x1000 0x6000+0x1000");
}

static void test_exact_fit_unlinks_tail(void **state)
{
	(void)state;
	layout("x.x.x..x");
	assert_int_equal(off(must_alloc(2 * PG)), 5 * PG);
	assert_string_equal(free_list_str(), "0x1000+0x1000 0x3000+0x1000");
}

static void test_sbrk_when_nothing_fits(void **state)
{
	(void)state;
	layout("x.x..x");
	assert_int_equal(off(must_alloc(3 * PG)), 6 * PG);
	assert_int_equal(brk_off(), 9 * PG);
	assert_int_equal(mempool.taken, 9 * PG);
	assert_string_equal(heap_picture(), "x.x..xxxx");
}

// Free: insert in address order, merge with either neighbour.

static void test_merge_with_next(void **state)
{
	(void)state;
	layout("xxxx");
	must_free(at(2 * PG), PG);
	must_free(at(1 * PG), PG);
	assert_string_equal(free_list_str(), "0x1000+0x2000");
}

static void test_merge_with_previous(void **state)
{
	(void)state;
	layout("xxxx");
	must_free(at(1 * PG), PG);
	must_free(at(2 * PG), PG);
	assert_string_equal(free_list_str(), "0x1000+0x2000");
}

static void test_merge_with_both(void **state)
{
	(void)state;
	layout("x.x..x");
	must_free(at(2 * PG), PG);
	assert_string_equal(free_list_str(), "0x1000+0x4000");
}

static void test_insert_without_merge(void **state)
{
	(void)state;
	layout("xxxxxxxxxxx");
	must_free(at(5 * PG), PG); // into the empty list
	must_free(at(1 * PG), PG); // at the head
	must_free(at(9 * PG), PG); // at the tail
	must_free(at(3 * PG), PG); // in the middle
	assert_string_equal(free_list_str(),
			    "0x1000+0x1000 0x3000+0x1000 0x5000+0x1000 0x9000+0x1000");
	assert_string_equal(heap_picture(), "x.x.x.xxx.x");
}

// Zeroes: allocations come back zeroed, free memory past a header is zero.

static void test_alloc_zeroed(void **state)
{
	unsigned char *p;

	(void)state;
	layout("xxxxx");
	fill_allocated(0xa5);
	must_free(at(1 * PG), 3 * PG);
	p = must_alloc(PG); // carved from the top of the block
	assert_int_equal(off(p), 3 * PG);
	assert_true(all_zero(p, PG));
	p = must_alloc(2 * PG); // the rest, header and all
	assert_int_equal(off(p), 1 * PG);
	assert_true(all_zero(p, 2 * PG));
	must_free(at(2 * PG), PG);
	must_free(at(1 * PG), PG); // merges: the header at 0x2000 goes
	p = must_alloc(2 * PG);
	assert_true(all_zero(p, 2 * PG));
}

static void test_free_zeroes_past_headers(void **state)
{
	const struct heaplab_hdr *b;

	(void)state;
	layout("xxxxxxxxx");
	fill_allocated(0xff);
	must_free(at(1 * PG), 2 * PG);
	must_free(at(4 * PG), PG);
	must_free(at(5 * PG), PG);
	must_free(at(7 * PG), PG);
	assert_string_equal(free_list_str(), "0x1000+0x2000 0x4000+0x2000 0x7000+0x1000");
	for (b = mempool.freelist; b != NULL; b = b->next)
		assert_true(
		    all_zero((const char *)b + heaplab_meta(&mempool), b->size - heaplab_meta(&mempool)));
}

// The placement index: used where the granule holds a node, switchable
// only while the pool has no free blocks, and its node cleared on alloc.
static void test_index_mode_rules(void **state)
{
	void *p, *q;

	(void)state;
	assert_int_equal(heaplab_index_fits(16), 0);
	assert_int_equal(heaplab_index_fits(64), 1);
	assert_int_equal(heaplab_index_fits(sizeof(struct heaplab_hdr) + sizeof(struct heaplab_node)), 1);
	assert_int_equal(heaplab_index_fits(sizeof(struct heaplab_hdr) + sizeof(struct heaplab_node) - 1), 0);
	assert_int_equal(heaplab_set_index(&mempool, 0), 0);
	assert_int_equal(heaplab_set_index(&mempool, 1), HEAPLAB_INDEX);
	p = must_alloc(PG);
	q = must_alloc(PG);
	must_alloc(PG);
	must_free(p, PG);
	assert_int_equal(heaplab_set_index(&mempool, !HEAPLAB_INDEX), HEAPLAB_INDEX); // a free block: no
	assert_true(mempool.tree.node != NULL || !HEAPLAB_INDEX);
	must_free(q, PG);
	p = must_alloc(2 * PG); // takes the whole merged block, node and all
	assert_true(all_zero(p, 2 * PG));
	assert_null(mempool.tree.node);
	heap_reinit(TEST_HEAP, 16);
	assert_int_equal(heaplab_set_index(&mempool, 1), 0);
}

// Granules.

static void test_granule_rounding(void **state)
{
	void *p;

	(void)state;
	assert_int_equal(heaplab_round(&mempool, 1), PG);
	assert_int_equal(heaplab_round(&mempool, PG), PG);
	assert_int_equal(heaplab_round(&mempool, PG + 1), 2 * PG);
	assert_int_equal(heaplab_round(&mempool, UINTPTR_MAX), 0);
	assert_int_equal(off(must_alloc(1)), 0);
	assert_int_equal(off(must_alloc(PG)), PG);
	p = must_alloc(PG + 1);
	assert_int_equal(off(p), 2 * PG);
	assert_int_equal(brk_off(), 4 * PG);
	assert_int_equal(mempool.inuse, 4 * PG);
	must_free(p, PG + 1); // frees both pages
	assert_string_equal(free_list_str(), "0x2000+0x2000");
	must_free(at(0), 1);
	assert_string_equal(free_list_str(), "0x0+0x1000 0x2000+0x2000");
}

static void test_granule_8192(void **state)
{
	(void)state;
	heap_reinit(TEST_HEAP, 8192);
	assert_int_equal(mempool.start % 8192, 0);
	assert_int_equal(off(must_alloc(100)), 0);
	assert_int_equal(off(must_alloc(8193)), 0x2000);
	assert_int_equal(off(must_alloc(4096)), 0x6000);
	assert_int_equal(brk_off(), 0x8000);
	must_free(at(0x2000), 8193);
	assert_int_equal(off(must_alloc(1)), 0x4000);
	assert_string_equal(free_list_str(), "0x2000+0x2000");
}

static void test_granule_16(void **state)
{
	(void)state;
	heap_reinit(TEST_HEAP, 16);
	layout("x..x");
	assert_int_equal(off(must_alloc(1)), 0x20);	   // from the top of 0x10+0x20
	assert_string_equal(free_list_str(), "0x10+0x10"); // all header
	assert_int_equal(off(must_alloc(17)), 0x40);
	assert_int_equal(brk_off(), 0x60);
}

static void test_granule_must_hold_header(void **state)
{
	struct heaplab_pool scratch;

	(void)state;
	assert_int_equal(host_heap_init(&scratch, TEST_HEAP, 8), -1);
	assert_int_equal(host_heap_init(&scratch, TEST_HEAP, 24), -1);
	expect_panic(heaplab_init(&scratch, &host_ops, NULL, mempool.start, mempool.end, 24),
		     "granule");
	expect_panic(heaplab_init(&scratch, &host_ops, NULL, mempool.start, mempool.end, 8), "granule");
}

// Out of memory: NULL, nothing changed.

static void test_oom_at_arena_end(void **state)
{
	struct mem_snap s;

	(void)state;
	heap_reinit(4 * PG, PG);
	assert_int_equal(off(must_alloc(3 * PG)), 0);
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, 2 * PG));
	assert_unchanged(&s);
	assert_int_equal(off(must_alloc(PG)), 3 * PG); // exactly to the end
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, 1));
	assert_unchanged(&s);
	must_free(at(PG), PG);
	assert_int_equal(off(must_alloc(1)), PG);
}

static void test_oom_unaligned_end(void **state)
{
	struct mem_snap s;

	(void)state;
	heap_reinit(2 * PG + 100, PG);
	assert_int_equal(off(must_alloc(2 * PG)), 0);
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, 100));
	assert_unchanged(&s);
}

static void test_oom_sbrk_would_wrap(void **state)
{
	struct mem_snap s;

	(void)state;
	layout("x.x");
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, UINTPTR_MAX - PG + 1)); // rounds fine, sbrk wraps
	assert_null(heaplab_alloc(&mempool, UINTPTR_MAX / 2));
	assert_unchanged(&s);
}

// Allocations that must answer NULL and change nothing.

static void test_alloc_zero(void **state)
{
	struct mem_snap s;

	(void)state;
	layout("x..x.xx");
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, 0));
	assert_unchanged(&s);
}

static void test_alloc_rounding_wraps(void **state)
{
	struct mem_snap s;

	(void)state;
	layout("x..x");
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, UINTPTR_MAX));
	assert_null(heaplab_alloc(&mempool, UINTPTR_MAX - PG + 2));
	assert_unchanged(&s);
}

// Frees that must be refused with their code, changing nothing. Every
// test draws the same heap, its allocated pages filled, and snapshots it.

#define REFUSE_PIC "xx..x.xxx"

static void refuse_setup(struct mem_snap *s)
{
	layout(REFUSE_PIC);
	fill_allocated(0x5a);
	snap_take(s);
}

#define assert_refused(p, n, err, s)                                                               \
	do {                                                                                       \
		assert_int_equal(heaplab_free(&mempool, (p), (n)), (err));                             \
		assert_unchanged(s);                                                               \
	} while (0)

static void test_free_null(void **state)
{
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(NULL, PG, HEAPLAB_OK, &s);
	assert_refused(NULL, 0, HEAPLAB_OK, &s);
}

static void test_free_size_zero(void **state)
{
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(PG), 0, HEAPLAB_EZERO, &s);
	assert_refused(at(2 * PG), 0, HEAPLAB_EZERO, &s);
}

static void test_free_misaligned(void **state)
{
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(PG + 1), PG, HEAPLAB_EALIGN, &s);
	assert_refused(at(PG + 16), PG, HEAPLAB_EALIGN, &s);
	assert_refused(at(PG + PG / 2), PG, HEAPLAB_EALIGN, &s);
	assert_refused(at(2 * PG - 1), 1, HEAPLAB_EALIGN, &s);
}

static void test_free_out_of_range(void **state)
{
	uintptr_t top = strlen(REFUSE_PIC) * PG;
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(-(uintptr_t)PG), PG, HEAPLAB_ERANGE, &s);	      // below the start
	assert_refused(at(top), PG, HEAPLAB_ERANGE, &s);		      // at the break
	assert_refused(at(top + 4 * PG), PG, HEAPLAB_ERANGE, &s);	      // past it
	assert_refused(at(TEST_HEAP), PG, HEAPLAB_ERANGE, &s);	      // past the arena
	assert_refused(at(top - PG), 2 * PG, HEAPLAB_ERANGE, &s);	      // across the break
	assert_refused(at(PG), UINTPTR_MAX, HEAPLAB_ERANGE, &s);	      // rounding wraps
	assert_refused(at(PG), UINTPTR_MAX - PG + 1, HEAPLAB_ERANGE, &s); // end wraps
	assert_refused((void *)(UINTPTR_MAX - PG + 1), PG, HEAPLAB_ERANGE, &s);
}

static void test_free_double(void **state)
{
	struct mem_snap s;
	void *p;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(2 * PG), 2 * PG, HEAPLAB_EDOUBLE, &s);
	assert_refused(at(5 * PG), 1, HEAPLAB_EDOUBLE, &s);
	p = must_alloc(3 * PG);
	must_free(p, 3 * PG);
	snap_take(&s);
	assert_refused(p, 3 * PG, HEAPLAB_EDOUBLE, &s);
}

static void test_free_inside_free_block(void **state)
{
	struct mem_snap s;

	(void)state;
	layout("xx....x");
	snap_take(&s);
	assert_refused(at(2 * PG), PG, HEAPLAB_EDOUBLE, &s); // its first page
	assert_refused(at(3 * PG), PG, HEAPLAB_EDOUBLE, &s); // a middle one
	assert_refused(at(5 * PG), PG, HEAPLAB_EDOUBLE, &s); // its last
	assert_refused(at(3 * PG), 3 * PG, HEAPLAB_EDOUBLE, &s);
}

static void test_free_overlap_before(void **state)
{
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(PG), 2 * PG, HEAPLAB_EOVERLAP, &s); // x. of "xx..x"
	assert_refused(at(4 * PG), 2 * PG, HEAPLAB_EOVERLAP, &s);
}

static void test_free_overlap_after(void **state)
{
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(3 * PG), 2 * PG, HEAPLAB_EOVERLAP, &s); // .x of "..x"
	assert_refused(at(5 * PG), 2 * PG, HEAPLAB_EOVERLAP, &s);
	assert_refused(at(2 * PG), 3 * PG, HEAPLAB_EOVERLAP, &s); // the block and more
}

static void test_free_overlap_around(void **state)
{
	struct mem_snap s;

	(void)state;
	refuse_setup(&s);
	assert_refused(at(PG), 4 * PG, HEAPLAB_EOVERLAP, &s);
	assert_refused(at(0), 9 * PG, HEAPLAB_EOVERLAP, &s);
}

// Another client of the break (newlib's malloc, in the image) takes pages
// at it between two of the pool's sbrks: the pool starts a new region above
// them and refuses to free them, or any range that runs into them, with
// HEAPLAB_ENOTOWN, nothing changed, in either placement mode.

// other_client takes n bytes at the break, as newlib's _sbrk does.
static uintptr_t other_client(uintptr_t n)
{
	uintptr_t at = host_sbrk(n, 1, 0, UINTPTR_MAX);

	assert_int_not_equal(at, HEAPLAB_BRK_FAIL);
	return at - mempool.start;
}

static void test_free_not_owned(void **state)
{
	struct mem_snap s;
	void *a, *b;

	(void)state;
	a = must_alloc(PG);
	assert_int_equal(other_client(2 * PG), PG);
	b = must_alloc(PG);
	assert_int_equal(off(b), 3 * PG); // above the other client's pages
	assert_int_equal(mempool.nregion, 2);
	fill_allocated(0x5a);
	snap_take(&s);
	assert_refused(at(PG), 2 * PG, HEAPLAB_ENOTOWN, &s);
	assert_refused(at(2 * PG), PG, HEAPLAB_ENOTOWN, &s);
	assert_refused(at(0), 2 * PG, HEAPLAB_ENOTOWN, &s);	     // a and the first page
	assert_refused(at(2 * PG), 2 * PG, HEAPLAB_ENOTOWN, &s); // the last page and b
	assert_refused(at(0), 4 * PG, HEAPLAB_ENOTOWN, &s);
	assert_refused(at(4 * PG), PG, HEAPLAB_ERANGE, &s); // above the pool's top
	must_free(a, PG);
	must_free(b, PG);
	assert_string_equal(free_list_str(), "0x0+0x1000 0x3000+0x1000"); // never merged
	snap_take(&s);
	assert_refused(at(PG), PG, HEAPLAB_ENOTOWN, &s); // next to a free block: still not ours
	assert_refused(at(PG), 2 * PG, HEAPLAB_ENOTOWN, &s);
	assert_int_equal(off(must_alloc(2 * PG)), 4 * PG); // no block fits: region 1 grows
	assert_int_equal(mempool.nregion, 2);
	assert_int_equal(off(must_alloc(PG)), 0); // first fit: a's page
}

// A pool records HEAPLAB_NREGION regions; with all in use only the last may
// grow, and once the break has moved past it alloc answers NULL, changing
// nothing.
static void test_regions_full(void **state)
{
	struct mem_snap s;
	void *p[HEAPLAB_NREGION];
	int i;

	(void)state;
	for (i = 0; i < HEAPLAB_NREGION; i++) {
		p[i] = must_alloc(PG);
		other_client(i == HEAPLAB_NREGION - 1 ? 0 : 1); // 0: takes nothing
	}
	assert_int_equal(mempool.nregion, HEAPLAB_NREGION);
	assert_int_equal(off(must_alloc(PG)), off(p[HEAPLAB_NREGION - 1]) + PG); // the last grows
	assert_int_equal(mempool.nregion, HEAPLAB_NREGION);
	other_client(1);
	snap_take(&s);
	assert_null(heaplab_alloc(&mempool, PG));
	assert_unchanged(&s);
	assert_int_equal(mempool.nregion, HEAPLAB_NREGION);
	must_free(p[3], PG);
	assert_ptr_equal(must_alloc(PG), p[3]); // the free list still serves
}

// The two worked examples (the seed's own placement).

static void test_example_1(void **state)
{
	void *a, *b, *c, *d, *e;

	(void)state;
	a = must_alloc(100);
	b = must_alloc(5000);
	c = must_alloc(4096);
	assert_int_equal(off(a), 0x0);
	assert_int_equal(off(b), 0x1000);
	assert_int_equal(off(c), 0x3000);
	must_free(b, 5000);
	d = must_alloc(10);
	assert_int_equal(off(d), 0x2000);
	must_free(a, 100);
	e = must_alloc(4096);
	assert_int_equal(off(e), 0x1000);
	must_free(c, 4096);
	must_free(d, 10);
	must_free(e, 4096);
	assert_string_equal(free_list_str(), "0x0+0x4000");
	assert_int_equal(brk_off(), 0x4000);
}

static void test_example_2(void **state)
{
	void *a, *b, *c, *d, *e;

	(void)state;
	a = must_alloc(8192);
	b = must_alloc(4096);
	c = must_alloc(12288);
	must_free(a, 8192);
	must_free(c, 12288);
	d = must_alloc(4096);
	e = must_alloc(8192);
	must_free(b, 4096);
	assert_int_equal(off(a), 0x0);
	assert_int_equal(off(b), 0x2000);
	assert_int_equal(off(c), 0x3000);
	assert_int_equal(off(d), 0x1000);
	assert_int_equal(off(e), 0x4000);
	assert_string_equal(free_list_str(), "0x0+0x1000 0x2000+0x2000");
	assert_int_equal(brk_off(), 0x6000);
}

// The exact-free record (heaplab_track, issue 25): off by default, so that
// the seed's contract holds; on, a free that is not exactly one live
// allocation is refused with HEAPLAB_EMISMATCH and changes nothing.

static unsigned char track_bits[TEST_HEAP / 16 / 4]; // room for the smallest granule

static void track_on(void)
{
	assert_int_equal(heaplab_track(&mempool, track_bits, sizeof track_bits), HEAPLAB_OK);
	assert_ptr_equal(mempool.track, track_bits);
}

static void test_track_off_by_default(void **state)
{
	char *a;

	(void)state;
	assert_null(mempool.track);
	a = must_alloc(PG);
	must_alloc(PG);
	must_free(a, 2 * PG); // a and b at once: the seed accepts it
	assert_string_equal(free_list_str(), "0x0+0x2000");
}

static void test_track_start_and_stop(void **state)
{
	struct mem_snap s;
	char *a;

	(void)state;
	assert_int_equal(heaplab_track_bytes(&mempool), TEST_HEAP / PG / 4); // 2 bits a granule
	assert_int_equal(heaplab_track(&mempool, track_bits, TEST_HEAP / PG / 4 - 1),
			 HEAPLAB_ERANGE); // too short
	assert_null(mempool.track);
	track_on();
	assert_int_equal(heaplab_track(&mempool, NULL, 0), HEAPLAB_OK); // stops it
	assert_null(mempool.track);
	a = must_alloc(PG);
	snap_take(&s);
	assert_int_equal(heaplab_track(&mempool, track_bits, sizeof track_bits),
			 HEAPLAB_ERANGE); // a's start would be unknown
	assert_null(mempool.track);
	assert_unchanged(&s);
	must_free(a, PG);
}

static void test_track_refuses_wrong_size(void **state)
{
	struct mem_snap s;
	char *a, *b, *c;

	(void)state;
	track_on();
	a = must_alloc(PG);
	b = must_alloc(PG);
	c = must_alloc(2 * PG);
	must_alloc(PG);
	snap_take(&s);
	assert_int_equal(heaplab_free(&mempool, a, 2 * PG), HEAPLAB_EMISMATCH);	 // a and b
	assert_int_equal(heaplab_free(&mempool, c, PG), HEAPLAB_EMISMATCH);	 // part of c
	assert_int_equal(heaplab_free(&mempool, c + PG, PG), HEAPLAB_EMISMATCH); // inside c
	assert_int_equal(heaplab_free(&mempool, b, 3 * PG), HEAPLAB_EMISMATCH);	 // b and c
	assert_int_equal(heaplab_free(&mempool, c, 3 * PG), HEAPLAB_EMISMATCH);	 // c and the next
	assert_unchanged(&s);
	must_free(b, PG);
	must_free(c, 2 * PG - 1); // rounded to the granule: c's own size
	must_free(a, PG);
	assert_string_equal(free_list_str(), "0x0+0x4000");
}

static void test_track_keeps_the_seeds_errors(void **state)
{
	struct mem_snap s;
	char *a, *b;

	(void)state;
	track_on();
	a = must_alloc(PG);
	b = must_alloc(PG);
	must_alloc(PG);
	must_free(b, PG);
	snap_take(&s);
	assert_int_equal(heaplab_free(&mempool, b, PG), HEAPLAB_EDOUBLE);
	assert_int_equal(heaplab_free(&mempool, a, 2 * PG), HEAPLAB_EOVERLAP); // a and free b
	assert_int_equal(heaplab_free(&mempool, a + 16, PG), HEAPLAB_EALIGN);
	assert_int_equal(heaplab_free(&mempool, a, 0), HEAPLAB_EZERO);
	assert_int_equal(heaplab_free(&mempool, at(3 * PG), PG), HEAPLAB_ERANGE);    // past the top
	assert_int_equal(heaplab_free(&mempool, at(TEST_HEAP), PG), HEAPLAB_ERANGE); // past the end
	assert_unchanged(&s);
}

static void test_track_follows_reuse(void **state)
{
	char *a, *b, *c;

	(void)state;
	track_on();
	a = must_alloc(3 * PG);
	must_alloc(PG);
	must_free(a, 3 * PG);
	b = must_alloc(PG);	// the top of a's old block
	c = must_alloc(2 * PG); // the rest: a's start, now c's
	assert_int_equal(off(b), 2 * PG);
	assert_ptr_equal(c, a);
	assert_int_equal(heaplab_free(&mempool, a, 3 * PG), HEAPLAB_EMISMATCH); // a's old size
	must_free(c, 2 * PG);
	must_free(b, PG);
}

static void test_track_granule_16(void **state)
{
	char *a;

	(void)state;
	heap_reinit(TEST_HEAP, 16);
	assert_int_equal(heaplab_track_bytes(&mempool), sizeof track_bits);
	track_on();
	a = must_alloc(48);
	must_alloc(16);
	assert_int_equal(heaplab_free(&mempool, a, 64), HEAPLAB_EMISMATCH);
	assert_int_equal(heaplab_free(&mempool, a + 16, 32), HEAPLAB_EMISMATCH);
	must_free(a, 33); // rounded: a's 48 bytes
}

// The record's bytes (mem/track.c draws them): per allocation a start
// (symbol 1), then the digits of its length - 1, lowest first up to the
// highest 1 (2 for a 0, 3 for a 1), and nothing (0) in the rest of its
// granules.
static void test_track_encoding(void **state)
{
	(void)state;
	track_on();
	must_alloc(6 * PG); // 1, then 5: 3 2 3, then 0 0
	must_alloc(PG);	    // 1
	must_alloc(2 * PG); // 1, then 1: 3
	must_alloc(3 * PG); // 1, then 2: 2 3
	assert_int_equal(track_bits[0], 1 | 3 << 2 | 2 << 4 | 3 << 6);
	assert_int_equal(track_bits[1], 0 | 0 << 2 | 1 << 4 | 1 << 6);
	assert_int_equal(track_bits[2], 3 | 1 << 2 | 2 << 4 | 3 << 6);
	assert_true(all_zero(track_bits + 3, heaplab_track_bytes(&mempool) - 3));
	must_alloc(200 * PG); // 1, then 199 (11000111): 3 3 3 2 2 2 3 3
	assert_int_equal(track_bits[3], 1 | 3 << 2 | 3 << 4 | 3 << 6);
	assert_int_equal(track_bits[4], 2 | 2 << 2 | 2 << 4 | 3 << 6);
	assert_int_equal(track_bits[5], 3);
	assert_true(all_zero(track_bits + 6, heaplab_track_bytes(&mempool) - 6));
}

// track_refusals starts a fresh tracked heap of granule g, allocates x,
// a of n bytes and y, in that order at the break, and checks every free
// that is not exactly a: part of it, from inside it, with a neighbour,
// across all three, each refused with HEAPLAB_EMISMATCH, nothing changed
// (the heap nor the record); then a free of all of a, and the seed's
// refusals of a free touching it.
static void track_refusals(uintptr_t g, uintptr_t n)
{
	unsigned char bits[sizeof track_bits];
	struct mem_snap s;
	uintptr_t r, nb;
	char *x, *a, *y;

	heap_reinit(TEST_HEAP, g);
	track_on();
	r = heaplab_round(&mempool, n);
	nb = heaplab_track_bytes(&mempool);
	x = must_alloc(g);
	a = must_alloc(n);
	y = must_alloc(g);
	assert_ptr_equal(a, x + g);
	assert_ptr_equal(y, a + r);
	assert_int_equal(heaplab_check(&mempool, NULL), HEAPLAB_OK); // the record too
	snap_take(&s);
	memcpy(bits, track_bits, nb);
	if (r > g) {
		assert_int_equal(heaplab_free(&mempool, a, r - g), HEAPLAB_EMISMATCH); // a's head
		assert_int_equal(heaplab_free(&mempool, a + g, r - g), HEAPLAB_EMISMATCH); // tail
		assert_int_equal(heaplab_free(&mempool, a + r - g, g), HEAPLAB_EMISMATCH); // last
		assert_int_equal(heaplab_free(&mempool, a + g, r), HEAPLAB_EMISMATCH);	   // into y
	}
	assert_int_equal(heaplab_free(&mempool, a, r + g), HEAPLAB_EMISMATCH);	   // a and y
	assert_int_equal(heaplab_free(&mempool, x, r + g), HEAPLAB_EMISMATCH);	   // x and a
	assert_int_equal(heaplab_free(&mempool, x, r + 2 * g), HEAPLAB_EMISMATCH); // all three
	assert_int_equal(heaplab_free(&mempool, x, 2 * g), HEAPLAB_EMISMATCH);	   // x, a's first
	assert_unchanged(&s);
	assert_memory_equal(bits, track_bits, nb);
	must_free(a, n);
	assert_int_equal(heaplab_free(&mempool, a, n), HEAPLAB_EDOUBLE);
	assert_int_equal(heaplab_free(&mempool, x, r + g), HEAPLAB_EOVERLAP); // x and free a
	assert_int_equal(heaplab_free(&mempool, a, r + g), HEAPLAB_EOVERLAP); // free a and y
	assert_int_equal(heaplab_check(&mempool, NULL), HEAPLAB_OK);
	must_free(x, g);
	must_free(y, g);
	assert_true(all_zero(track_bits, nb)); // nothing stale left behind
}

// Every length the test heap holds, of 4 KiB pages: one granule (no
// digits), two (a digit fills all of it but the start), and every length
// around a new digit.
static void test_track_every_length(void **state)
{
	uintptr_t n;

	(void)state;
	for (n = 1; n <= TEST_HEAP / PG - 2; n++)
		track_refusals(PG, n * PG);
}

// Long runs of 16-byte granules, up to 16 digits, on either side of each
// power of two; and sizes not a multiple of the granule.
static void test_track_long_lengths(void **state)
{
	uintptr_t p;

	(void)state;
	for (p = 2; p <= (TEST_HEAP / 16) / 2; p <<= 1) {
		track_refusals(16, (p - 1) * 16);
		track_refusals(16, p * 16 - 5);
		track_refusals(16, (p + 1) * 16);
	}
}

// Merges and splits: the granules that held one allocation's start and
// digits hold another's start, digits or nothing once it is freed and the
// block reused in other sizes; exact frees still pass, others are refused,
// and the record is empty when the heap is.
static void test_track_reuse_in_pieces(void **state)
{
	char *a, *b, *c, *d, *y;

	(void)state;
	track_on();
	a = must_alloc(9 * PG); // 8: digits 3 2 2 2 in pages 1 to 4
	y = must_alloc(PG);
	must_free(a, 9 * PG);
	b = must_alloc(7 * PG); // the top of a's block: starts on a's digit
	c = must_alloc(2 * PG); // the rest: a's start, its digit on a's
	assert_int_equal(off(b), 2 * PG);
	assert_ptr_equal(c, a);
	assert_int_equal(heaplab_free(&mempool, a, 9 * PG), HEAPLAB_EMISMATCH); // a's old size
	assert_int_equal(heaplab_free(&mempool, c, 9 * PG), HEAPLAB_EMISMATCH); // c and b
	assert_int_equal(heaplab_free(&mempool, c + PG, 8 * PG), HEAPLAB_EMISMATCH);
	must_free(c, 2 * PG);
	must_free(b, 7 * PG); // merged with c's block: a's again
	assert_string_equal(free_list_str(), "0x0+0x9000");
	b = must_alloc(3 * PG);
	c = must_alloc(3 * PG);
	d = must_alloc(3 * PG);
	assert_int_equal(off(b), 6 * PG);
	assert_int_equal(off(c), 3 * PG);
	assert_int_equal(off(d), 0);
	assert_int_equal(heaplab_free(&mempool, d, 6 * PG), HEAPLAB_EMISMATCH); // d and c
	assert_int_equal(heaplab_free(&mempool, d, 9 * PG), HEAPLAB_EMISMATCH); // all three
	must_free(c, 3 * PG);
	must_free(d, 3 * PG);
	assert_int_equal(heaplab_free(&mempool, d, 9 * PG), HEAPLAB_EOVERLAP); // and free pages
	a = must_alloc(6 * PG); // the merged block, exactly
	assert_int_equal(off(a), 0);
	must_free(b, 3 * PG);
	must_free(a, 6 * PG);
	must_free(y, PG);
	assert_true(all_zero(track_bits, heaplab_track_bytes(&mempool)));
}

// The record covers all of [start, end) from the first call: what the
// heap grows into later, a region above another client's bytes among it,
// is recorded as the rest; a free that runs into the other client's bytes
// is the seed's to refuse (HEAPLAB_ENOTOWN), not a mismatch.
static void test_track_after_growth(void **state)
{
	char *a, *b, *c;

	(void)state;
	track_on();
	a = must_alloc(PG);
	assert_int_equal(other_client(2 * PG), PG);
	b = must_alloc(5 * PG);
	c = must_alloc(PG);
	assert_int_equal(off(b), 3 * PG); // region 1
	assert_int_equal(mempool.nregion, 2);
	assert_int_equal(heaplab_free(&mempool, a, 3 * PG), HEAPLAB_ENOTOWN);
	assert_int_equal(heaplab_free(&mempool, at(2 * PG), 2 * PG), HEAPLAB_ENOTOWN);
	assert_int_equal(heaplab_free(&mempool, b, 6 * PG), HEAPLAB_EMISMATCH); // b and c
	assert_int_equal(heaplab_free(&mempool, b, 7 * PG), HEAPLAB_ERANGE);	// past the top
	assert_int_equal(heaplab_free(&mempool, c, 2 * PG), HEAPLAB_ERANGE);
	must_free(b, 5 * PG);
	must_free(c, PG);
	must_free(a, PG);
	assert_true(all_zero(track_bits, heaplab_track_bytes(&mempool)));
}

// put_sym writes symbol v for granule i into the record, as a fault would.
static void put_sym(uintptr_t i, unsigned v)
{
	unsigned sh = (unsigned)(i % 4 * 2);

	track_bits[i / 4] = (unsigned char)((track_bits[i / 4] & ~(3u << sh)) | v << sh);
}

// track_fault runs the full check and answers its line; the check must
// fail with HEAPLAB_ETRACK, reason c.
static const char *track_fault(uintptr_t c)
{
	static char msg[200];
	struct heaplab_fault f;

	assert_int_equal(heaplab_check(&mempool, &f), HEAPLAB_ETRACK);
	assert_int_equal(f.c, c);
	heaplab_fault_format(&mempool, &f, msg, sizeof msg);
	return msg;
}

// heaplab_check verifies all of the record against the pool: a digit no
// start precedes, an allocation over free memory or past the pool's top,
// a symbol inside an allocation past its digits (another start: a free
// from inside it would pass), a length that runs into the next one, and
// an allocation the record forgot, each named with its addresses.
static void test_track_check(void **state)
{
	char want[200];
	char *a, *b;

	(void)state;
	track_on();
	a = must_alloc(4 * PG); // 1, then 3: 3 3, then 0
	b = must_alloc(PG);
	must_alloc(PG);
	must_free(b, PG);
	assert_int_equal(heaplab_check(&mempool, NULL), HEAPLAB_OK);
	put_sym(4, 2); // b's old granule, free: a digit alone
	snprintf(want, sizeof want,
		 "mem: exact-free record out of step with the pool: a digit at %p with no start "
		 "before it",
		 (void *)b);
	assert_string_equal(track_fault(0), want);
	put_sym(4, 1); // a start in a free block
	snprintf(want, sizeof want,
		 "mem: exact-free record out of step with the pool: allocation %p size 0x1000 is "
		 "not allocated memory",
		 (void *)b);
	assert_string_equal(track_fault(1), want);
	put_sym(4, 0);
	put_sym(7, 1); // past the pool's top
	track_fault(1);
	put_sym(7, 0);
	put_sym(3, 1); // inside a, past its digits
	snprintf(
	    want, sizeof want,
	    "mem: exact-free record out of step with the pool: allocation %p size 0x4000 has a "
	    "symbol at %p past its digits",
	    (void *)a, (void *)(a + 3 * PG));
	assert_string_equal(track_fault(2), want);
	assert_int_equal(heaplab_free(&mempool, a + 3 * PG, PG), HEAPLAB_OK); // what it lets by
	assert_int_equal(heaplab_check(&mempool, NULL), HEAPLAB_ETRACK);      // and a's stays wrong
	heap_reinit(TEST_HEAP, PG);
	track_on();
	a = must_alloc(4 * PG);
	must_alloc(PG);
	put_sym(3, 3); // 3 3 3: a length of 8, over the next allocation
	track_fault(1);
	put_sym(3, 0);
	put_sym(0, 0); // a forgotten
	put_sym(1, 0);
	put_sym(2, 0);
	snprintf(want, sizeof want,
		 "mem: exact-free record out of step with the pool: the recorded allocations hold "
		 "0x1000 bytes, in use 0x5000");
	assert_string_equal(track_fault(3), want);
	put_sym(0, 1);
	put_sym(1, 3);
	put_sym(2, 3);
	assert_int_equal(heaplab_check(&mempool, NULL), HEAPLAB_OK);
}

#define T(f) cmocka_unit_test_setup_teardown(f, heap_setup, heap_teardown)

int main(void)
{
	// clang-format off
	static const struct CMUnitTest tests[] = {
		T(test_first_fit_lowest),
		T(test_carve_top_keeps_address),
		T(test_exact_fit_unlinks_head),
		T(test_exact_fit_unlinks_middle),
		T(test_exact_fit_unlinks_tail),
		T(test_sbrk_when_nothing_fits),
		T(test_merge_with_next),
		T(test_merge_with_previous),
		T(test_merge_with_both),
		T(test_insert_without_merge),
		T(test_alloc_zeroed),
		T(test_free_zeroes_past_headers),
		T(test_index_mode_rules),
		T(test_granule_rounding),
		T(test_granule_8192),
		T(test_granule_16),
		T(test_granule_must_hold_header),
		T(test_oom_at_arena_end),
		T(test_oom_unaligned_end),
		T(test_oom_sbrk_would_wrap),
		T(test_alloc_zero),
		T(test_alloc_rounding_wraps),
		T(test_free_null),
		T(test_free_size_zero),
		T(test_free_misaligned),
		T(test_free_out_of_range),
		T(test_free_double),
		T(test_free_inside_free_block),
		T(test_free_overlap_before),
		T(test_free_overlap_after),
		T(test_free_overlap_around),
		T(test_free_not_owned),
		T(test_regions_full),
		T(test_example_1),
		T(test_example_2),
		T(test_track_off_by_default),
		T(test_track_start_and_stop),
		T(test_track_refuses_wrong_size),
		T(test_track_keeps_the_seeds_errors),
		T(test_track_follows_reuse),
		T(test_track_granule_16),
		T(test_track_encoding),
		T(test_track_every_length),
		T(test_track_long_lengths),
		T(test_track_reuse_in_pieces),
		T(test_track_after_growth),
		T(test_track_check),
	};
	// clang-format on

	int failed;

	// Every test with the list walk, then (where it is built in) the index.
	test_index = 0;
	failed = cmocka_run_group_tests_name("mem/list", tests, NULL, NULL);
	test_index = 1;
	if (HEAPLAB_INDEX)
		failed += cmocka_run_group_tests_name("mem/index", tests, NULL, NULL);
	return failed;
}
