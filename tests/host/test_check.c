// SPDX-License-Identifier: BSD-3-Clause
// cmocka tests of mem/'s check, lock rules and sys_* layer: each kind of
// corruption planted by hand must be named by mem_checkl with its code;
// the lock-held helpers and a refused sys_free must panic.
#include "testutil.h"
#include "../../mem/internal.h" // the lock-held helpers, tested directly

#include <stdio.h>
#include <string.h>

// The heap every corruption is planted in: three free blocks, 1, 2 and 3
// pages long, the last one ending just below an allocated page.
#define CHECK_PIC "x.x..x...x"

static struct heaplab_hdr *block(uintptr_t page)
{
	return at(page * PG);
}

// Each plant_* corrupts the CHECK_PIC heap one way; it answers the block
// the check must blame.
static struct heaplab_hdr *plant_loop(void)
{
	block(6)->next = block(1);
	return block(6);
}

static struct heaplab_hdr *plant_self_loop(void)
{
	block(3)->next = block(3);
	return block(3);
}

static struct heaplab_hdr *plant_unsorted(void)
{
	mempool.freelist = block(3);
	block(3)->next = block(1);
	block(1)->next = block(6);
	return block(3);
}

static struct heaplab_hdr *plant_overlapping(void)
{
	block(3)->size = 4 * PG; // runs into the block at page 6
	return block(3);
}

static struct heaplab_hdr *plant_touching(void)
{
	block(3)->size = 3 * PG; // ends where the block at page 6 starts
	return block(3);
}

static struct heaplab_hdr *plant_past_break(void)
{
	block(6)->size = 8 * PG;
	return block(6);
}

static struct heaplab_hdr *plant_beyond_break(void)
{
	struct heaplab_hdr *b = block(12);

	b->next = NULL;
	b->size = PG;
	block(6)->next = b;
	return b;
}

static struct heaplab_hdr *plant_wild_next(void)
{
	struct heaplab_hdr *wild = (struct heaplab_hdr *)(UINTPTR_MAX & ~(uintptr_t)(PG - 1));

	block(6)->next = wild; // ascending, but nowhere near the heap
	return wild;
}

static struct heaplab_hdr *plant_region_gap(void)
{
	mempool.region[0].end = mempool.start + 4 * PG; // page 4 is not the pool's
	mempool.region[1] = (struct heaplab_region){mempool.start + 5 * PG, mempool.bloc};
	mempool.nregion = 2;
	mempool.taken -= PG; // the records agree: only the free block is wrong
	return block(3);     // [3, 5) runs across the gap
}

static struct heaplab_hdr *plant_size_zero(void)
{
	block(1)->size = 0;
	return block(1);
}

static struct heaplab_hdr *plant_size_odd(void)
{
	block(3)->size = PG + PG / 2;
	return block(3);
}

static struct heaplab_hdr *plant_misaligned(void)
{
	struct heaplab_hdr *b = (struct heaplab_hdr *)((uintptr_t)block(3) + 16);

	*b = *block(3);
	b->size = PG;
	block(1)->next = b;
	return b;
}

static struct heaplab_hdr *plant_dirty_first(void)
{
	((unsigned char *)block(1))[heaplab_meta(&mempool)] = 0x01; // past header and node
	return block(1);
}

static struct heaplab_hdr *plant_dirty_middle(void)
{
	((unsigned char *)block(3))[PG + 123] = 0x80;
	return block(3);
}

static struct heaplab_hdr *plant_dirty_last(void)
{
	((unsigned char *)block(6))[3 * PG - 1] = 0xff; // the seed never looked here
	return block(6);
}

static struct heaplab_hdr *plant_inuse_high(void)
{
	mempool.inuse += PG;
	return NULL;
}

static struct heaplab_hdr *plant_taken_low(void)
{
	// The regions hold a page more; f.block is what they hold.
	mempool.taken -= PG;
	return (struct heaplab_hdr *)(mempool.bloc - mempool.start);
}

// The pool's own records, checked before the walk trusts them. Each
// answers what the fault's block must be (not a block here: a region's
// start, bloc, or the regions' sum, as heaplab_fault_format names them).
static struct heaplab_hdr *plant_nregion_high(void)
{
	mempool.nregion = HEAPLAB_NREGION + 1; // would read past region[]
	return NULL;
}

static struct heaplab_hdr *plant_nregion_negative(void)
{
	mempool.nregion = -1;
	return NULL;
}

static struct heaplab_hdr *plant_nregion_wild(void)
{
	mempool.nregion = 0x40000000; // the seed's check would walk far past the pool
	return NULL;
}

static struct heaplab_hdr *plant_granule_zero(void)
{
	mempool.granule = 0; // the walk's bound divides by it
	return NULL;
}

static struct heaplab_hdr *plant_region_empty(void)
{
	mempool.region[0].end = mempool.region[0].start;
	return (struct heaplab_hdr *)mempool.region[0].start;
}

static struct heaplab_hdr *plant_region_past_end(void)
{
	mempool.region[0].end = mempool.end + PG; // outside the arena
	return (struct heaplab_hdr *)mempool.region[0].start;
}

static struct heaplab_hdr *plant_region_below_start(void)
{
	mempool.region[0].start = mempool.start - PG;
	return (struct heaplab_hdr *)mempool.region[0].start;
}

static struct heaplab_hdr *plant_region_misaligned(void)
{
	mempool.region[0].end -= 8; // and bloc and taken with it: only the alignment is wrong
	mempool.bloc -= 8;
	mempool.taken -= 8;
	return (struct heaplab_hdr *)mempool.region[0].start;
}

// split_regions makes region 0 two regions with a gap of a page between
// them (page 4 is another client's), its records all agreeing: answers
// region 1.
static struct heaplab_region *split_regions(void)
{
	mempool.region[1] = (struct heaplab_region){mempool.start + 5 * PG, mempool.bloc};
	mempool.region[0].end = mempool.start + 4 * PG;
	mempool.nregion = 2;
	mempool.taken -= PG;
	return &mempool.region[1];
}

static struct heaplab_hdr *plant_regions_unsorted(void)
{
	struct heaplab_region *r = split_regions(), t = r[-1];

	r[-1] = r[0]; // region 1 below region 0; bloc no longer its end either
	r[0] = t;
	return (struct heaplab_hdr *)r->start;
}

static struct heaplab_hdr *plant_regions_overlap(void)
{
	struct heaplab_region *r = split_regions();

	r->start -= 2 * PG; // runs into region 0 by a page
	mempool.taken += 2 * PG;
	return (struct heaplab_hdr *)r->start;
}

static struct heaplab_hdr *plant_bloc_wrong(void)
{
	mempool.bloc += PG; // a page the pool does not hold
	return (struct heaplab_hdr *)mempool.bloc;
}

static struct heaplab_hdr *plant_bloc_no_region(void)
{
	mempool.nregion = 0; // and taken says nothing either: only bloc is left
	mempool.taken = 0;
	return (struct heaplab_hdr *)mempool.bloc;
}

// The placement index of the CHECK_PIC heap: three nodes, so block 3 is
// the root with block 1 on its left and block 6 on its right.
static struct heaplab_node *node(uintptr_t page)
{
	return (struct heaplab_node *)((uintptr_t)block(page) + sizeof(struct heaplab_hdr));
}

static struct heaplab_hdr *plant_tree_max_low(void)
{
	node(1)->max = 0; // its block has a page
	return block(1);
}

static struct heaplab_hdr *plant_tree_max_high(void)
{
	node(3)->max = 4 * PG; // no block below is that large
	return block(3);
}

static struct heaplab_hdr *plant_tree_parent(void)
{
	node(1)->avl.parent = &node(6)->avl; // its parent is block 3's node
	return block(3);
}

static struct heaplab_hdr *plant_tree_wild_child(void)
{
	node(3)->avl.right = (struct heaplab_avl_node *)(UINTPTR_MAX - 64); // far outside the heap
	return block(3);
}

static struct heaplab_hdr *plant_tree_height(void)
{
	node(3)->avl.height = 3; // its children are leaves: it is 2
	return block(3);
}

// plant_tree_unbalanced rebuilds the tree as a chain 1 -> 3 -> 6, with every
// link, height and maximum right: only the AVL rule is broken, at block 1.
static struct heaplab_hdr *plant_tree_unbalanced(void)
{
	struct heaplab_avl_node *a = &node(1)->avl, *b = &node(3)->avl, *c = &node(6)->avl;

	*a = (struct heaplab_avl_node){NULL, b, NULL, 3};
	*b = (struct heaplab_avl_node){NULL, c, a, 2};
	*c = (struct heaplab_avl_node){NULL, NULL, b, 1};
	node(1)->max = node(3)->max = 3 * PG;
	mempool.tree.node = a;
	return block(1);
}

static struct heaplab_hdr *plant_tree_swapped(void)
{
	struct heaplab_avl_node *r = &node(3)->avl, *l = r->left;

	r->left = r->right; // in order 6, 3, 1: not the list's 1, 3, 6
	r->right = l;
	return block(6);
}

static struct heaplab_hdr *plant_tree_missing(void)
{
	node(3)->avl.right = NULL; // block 6 is listed but no longer indexed
	node(3)->max = 2 * PG;	   // and the maximum agrees
	return NULL;
}

struct corruption {
	const char *name;
	struct heaplab_hdr *(*plant)(void);
	enum heaplab_err want;
	int index; // 1: only for a pool with the placement index
};

// clang-format off
static const struct corruption corruptions[] = {
	{"check_loop", plant_loop, HEAPLAB_ELOOP, 0},
	{"check_self_loop", plant_self_loop, HEAPLAB_ELOOP, 0},
	{"check_unsorted", plant_unsorted, HEAPLAB_EORDER, 0},
	{"check_overlapping", plant_overlapping, HEAPLAB_EOVERLAPS, 0},
	{"check_touching", plant_touching, HEAPLAB_ETOUCH, 0},
	{"check_past_break", plant_past_break, HEAPLAB_EBOUNDS, 0},
	{"check_beyond_break", plant_beyond_break, HEAPLAB_EBOUNDS, 0},
	{"check_wild_next", plant_wild_next, HEAPLAB_EBOUNDS, 0},
	{"check_region_gap", plant_region_gap, HEAPLAB_EREGION, 0},
	{"check_size_zero", plant_size_zero, HEAPLAB_ESIZE, 0},
	{"check_size_not_granule", plant_size_odd, HEAPLAB_ESIZE, 0},
	{"check_block_misaligned", plant_misaligned, HEAPLAB_ESIZE, 0},
	{"check_dirty_first_block", plant_dirty_first, HEAPLAB_EDIRTY, 0},
	{"check_dirty_middle_block", plant_dirty_middle, HEAPLAB_EDIRTY, 0},
	{"check_dirty_last_block", plant_dirty_last, HEAPLAB_EDIRTY, 0},
	{"check_inuse_unbalanced", plant_inuse_high, HEAPLAB_EBALANCE, 0},
	{"check_taken_wrong", plant_taken_low, HEAPLAB_ETAKEN, 0},
	{"check_nregion_high", plant_nregion_high, HEAPLAB_ENREGION, 0},
	{"check_nregion_negative", plant_nregion_negative, HEAPLAB_ENREGION, 0},
	{"check_nregion_wild", plant_nregion_wild, HEAPLAB_ENREGION, 0},
	{"check_granule_zero", plant_granule_zero, HEAPLAB_EPOOL, 0},
	{"check_region_empty", plant_region_empty, HEAPLAB_ERBOUNDS, 0},
	{"check_region_past_end", plant_region_past_end, HEAPLAB_ERBOUNDS, 0},
	{"check_region_below_start", plant_region_below_start, HEAPLAB_ERBOUNDS, 0},
	{"check_region_misaligned", plant_region_misaligned, HEAPLAB_ERALIGN, 0},
	{"check_regions_unsorted", plant_regions_unsorted, HEAPLAB_ERORDER, 0},
	{"check_regions_overlap", plant_regions_overlap, HEAPLAB_EROVERLAP, 0},
	{"check_bloc_wrong", plant_bloc_wrong, HEAPLAB_EBLOC, 0},
	{"check_bloc_without_region", plant_bloc_no_region, HEAPLAB_EBLOC, 0},
	{"tree_max_too_low", plant_tree_max_low, HEAPLAB_ETMAX, 1},
	{"tree_max_too_high", plant_tree_max_high, HEAPLAB_ETMAX, 1},
	{"tree_parent_link", plant_tree_parent, HEAPLAB_ETLINK, 1},
	{"tree_child_outside_heap", plant_tree_wild_child, HEAPLAB_ETLINK, 1},
	{"tree_height_wrong", plant_tree_height, HEAPLAB_ETHEIGHT, 1},
	{"tree_unbalanced", plant_tree_unbalanced, HEAPLAB_ETHEIGHT, 1},
	{"tree_out_of_order", plant_tree_swapped, HEAPLAB_ETORDER, 1},
	{"tree_missing_block", plant_tree_missing, HEAPLAB_ETORDER, 1},
};
// clang-format on

// One run of a corruption: in a list pool or in an indexed one.
struct corruption_run {
	const struct corruption *c;
	int index;
	char name[48];
};

// test_corruption plants one corruption (the test's initial state) in a
// pool of the run's mode and wants mem_checkl and heaplab_fault_format to name
// it and its block.
static void test_corruption(void **state)
{
	const struct corruption_run *r = *state;
	const struct corruption *c = r->c;
	struct heaplab_hdr *bad;
	struct heaplab_fault f = {HEAPLAB_OK, 0, 0, 0, 0};
	char msg[200], hex[24];
	int err;

	assert_int_equal(heaplab_set_index(&mempool, r->index), r->index);
	layout(CHECK_PIC);
	pool_lock();
	assert_int_equal(mem_checkl(&mempool, NULL), HEAPLAB_OK);
	bad = c->plant();
	err = mem_checkl(&mempool, &f);
	assert_int_equal(mem_checkl(&mempool, NULL), err);
	pool_unlock();
	assert_string_equal(heaplab_strerror(err), heaplab_strerror(c->want));
	assert_int_equal(f.err, err);
	if (bad != NULL)
		assert_int_equal(f.block, (uintptr_t)bad);
	heaplab_fault_format(&mempool, &f, msg, sizeof msg);
	print_message("%s: %s\n", c->name, msg);
	assert_non_null(strstr(msg, heaplab_strerror(c->want)));
	snprintf(hex, sizeof hex, "0x%lx", (unsigned long)f.block);
	assert_non_null(strstr(msg, hex));
	if (err == HEAPLAB_EDIRTY) { // f.a: the offset of the first nonzero byte past the metadata
		const unsigned char *b = (const unsigned char *)f.block;
		uintptr_t i;

		assert_true(f.a >= heaplab_meta(&mempool) && b[f.a] != 0 && f.b == b[f.a]);
		for (i = heaplab_meta(&mempool); i < f.a; i++)
			assert_int_equal(b[i], 0);
	}
}

// alloc_free_pages runs n pairs of heaplab_alloc and heaplab_free of a page,
// which leave the free blocks as they were.
static void alloc_free_pages(int n)
{
	void *p;

	while (n-- > 0) {
		p = heaplab_alloc(&mempool, PG);
		heaplab_free(&mempool, p, PG);
	}
}

// The check runs inside heaplab_alloc and heaplab_free when the pool is
// checking, and ends in a panic; the run-time switch turns it off. Its scan
// for nonzero free bytes covers HEAPLAB_CHECK_SCAN of them per operation,
// going on where the last stopped: the last byte of CHECK_PIC's 6 free
// pages is reached within 6 * PG / HEAPLAB_CHECK_SCAN + 1 operations.
static void test_checked_alloc_panics(void **state)
{
	(void)state;
	layout(CHECK_PIC);
	plant_dirty_last();
	expect_panic(alloc_free_pages((int)(6 * PG / HEAPLAB_CHECK_SCAN + 1)), "free memory not zero");
}

static void test_checked_free_panics(void **state)
{
	(void)state;
	layout(CHECK_PIC);
	plant_touching();
	expect_panic(heaplab_free(&mempool, at(0), PG), "touch");
}

static void test_checking_off(void **state)
{
	struct heaplab_fault f;

	(void)state;
	layout(CHECK_PIC);
	plant_dirty_middle();
	mempool.checking = 0;
	assert_int_equal(off(must_alloc(3 * PG)), 6 * PG);
	assert_int_equal(heaplab_check(&mempool, &f), HEAPLAB_EDIRTY);
}

static void test_strerror_names_every_code(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < HEAPLAB_NERR; i++) {
		assert_string_not_equal(heaplab_strerror(i), "unknown error");
		for (j = 0; j < i; j++)
			assert_string_not_equal(heaplab_strerror(i), heaplab_strerror(j));
	}
	assert_string_equal(heaplab_strerror(HEAPLAB_NERR), "unknown error");
	assert_string_equal(heaplab_strerror(-1), "unknown error");
}

// The lock-held helpers refuse to run without the lock.

static void test_allocl_needs_lock(void **state)
{
	(void)state;
	expect_panic(mem_allocl(&mempool, PG), "mem_allocl");
	assert_non_null(strstr(panic_msg, "lock not held"));
}

static void test_freel_needs_lock(void **state)
{
	void *p = must_alloc(PG);

	(void)state;
	expect_panic(mem_freel(&mempool, p, PG), "mem_freel");
	assert_non_null(strstr(panic_msg, "lock not held"));
}

static void test_sbrkl_needs_lock(void **state)
{
	(void)state;
	expect_panic(mem_sbrkl(&mempool, PG), "mem_sbrkl");
	assert_non_null(strstr(panic_msg, "lock not held"));
}

static void test_checkl_needs_lock(void **state)
{
	(void)state;
	expect_panic(mem_checkl(&mempool, NULL), "mem_checkl");
	assert_non_null(strstr(panic_msg, "lock not held"));
}

// sys_alloc, sys_free, sys_reserve: counters, and a refused free stops.

static void test_sys_stat_counter(void **state)
{
	uint64_t stat = 7;
	void *p, *q;

	(void)state;
	p = sys_alloc(100, &stat);
	assert_non_null(p);
	assert_int_equal(stat, 107);
	q = sys_alloc(5000, &stat);
	assert_int_equal(off(q), PG);
	assert_int_equal(stat, 5107);
	assert_null(sys_alloc(UINTPTR_MAX, &stat));
	assert_null(sys_alloc(0, &stat));
	assert_null(sys_alloc(2 * TEST_HEAP, &stat));
	assert_int_equal(stat, 5107);
	sys_free(p, 100, &stat);
	assert_int_equal(stat, 5007);
	sys_free(NULL, 100, &stat);
	assert_int_equal(stat, 5007);
	sys_free(q, 5000, &stat);
	assert_int_equal(stat, 7);
	assert_string_equal(free_list_str(), "0x0+0x3000");
	assert_int_equal(mempool.inuse, 0);
}

static void test_sys_reserve(void **state)
{
	unsigned char *p;

	(void)state;
	p = sys_reserve(3 * PG);
	assert_non_null(p);
	assert_int_equal(off(p), 0);
	assert_int_equal(mempool.inuse, 3 * PG);
	assert_int_equal(p[0] | p[3 * PG - 1], 0);
}

// A cache in front of the pool (the kernel's per-CPU page caches): a
// reserve asks it first, as an allocation does, and the pool only when it
// answers NULL (sys_reserve went to the pool every time).
static unsigned char cached_run[PG];
static int cache_asked;

static void *one_run(uintptr_t n)
{
	return ++cache_asked == 1 && n <= PG ? cached_run : NULL;
}

static int keep_none(void *p, uintptr_t n)
{
	(void)p, (void)n;
	return 0;
}

static void test_sys_reserve_asks_the_cache(void **state)
{
	static const struct sys_cache one = {.alloc = one_run, .free = keep_none};
	void *p, *q;

	(void)state;
	cache_asked = 0;
	sys_cache = &one;
	p = sys_reserve(PG);
	q = sys_reserve(PG);
	sys_cache = NULL;
	assert_ptr_equal(p, cached_run);
	assert_int_equal(cache_asked, 2);
	assert_int_equal(off(q), 0); // the second from the pool
	assert_int_equal(mempool.inuse, PG);
}

static void test_sys_free_double_panics(void **state)
{
	uint64_t stat = 0;
	void *p = sys_alloc(100, &stat);
	char want[64];

	(void)state;
	sys_free(p, 100, &stat);
	snprintf(want, sizeof want, "sys_free(%p, 0x64)", p);
	expect_panic(sys_free(p, 100, &stat), want);
	assert_non_null(strstr(panic_msg, heaplab_strerror(HEAPLAB_EDOUBLE)));
	assert_int_equal(stat, 0);
}

static void test_sys_free_misaligned_panics(void **state)
{
	uint64_t stat = 0;
	char *p = sys_alloc(PG, &stat);

	(void)state;
	expect_panic(sys_free(p + 8, PG, &stat), heaplab_strerror(HEAPLAB_EALIGN));
	assert_int_equal(stat, PG);
}

static void test_sys_free_size_zero_panics(void **state)
{
	uint64_t stat = 0;
	void *p = sys_alloc(PG, &stat);

	(void)state;
	expect_panic(sys_free(p, 0, &stat), heaplab_strerror(HEAPLAB_EZERO));
}

// brk_calls counts what the pool asks of the platform's brk.
static unsigned long brk_calls;

static uintptr_t counting_brk(uintptr_t addr)
{
	brk_calls++;
	return host_brk(addr);
}

// The check reads the pool's own records (its top, its regions), never the
// platform's break: no system call inside the critical section.
static void test_check_asks_the_platform_nothing(void **state)
{
	int index;

	(void)state;
	for (index = 0; index <= 1; index++) {
		heap_reinit(TEST_HEAP, PG);
		heaplab_set_index(&mempool, index);
		layout(CHECK_PIC);
		host_sbrk(PG, 1, 0, UINTPTR_MAX); // another client's page above the top
		host_brk_hook = counting_brk;
		brk_calls = 0;
		assert_int_equal(heaplab_check(&mempool, NULL), HEAPLAB_OK);
		mempool.checking = 1;
		must_free(at(0), PG);
		host_brk_hook = host_brk;
		assert_int_equal(brk_calls, 0);
	}
}

// sys_free of another client's page (newlib's, in the image) stops, in both
// placement modes: the pool never obtained it.
static void test_sys_free_not_owned_panics(void **state)
{
	uintptr_t other;
	void *p;
	volatile int index; // kept across expect_panic's longjmp

	(void)state;
	for (index = 0; index <= 1; index++) {
		heap_reinit(TEST_HEAP, PG);
		heaplab_set_index(&mempool, index);
		p = sys_alloc(PG, NULL);
		other = host_sbrk(2 * PG, 1, 0, UINTPTR_MAX);
		assert_int_equal(other, (uintptr_t)p + PG);
		assert_int_equal((uintptr_t)sys_alloc(PG, NULL), other + 2 * PG);
		sys_free(p, PG, NULL);
		expect_panic(sys_free((void *)other, PG, NULL), heaplab_strerror(HEAPLAB_ENOTOWN));
		assert_string_equal(free_list_str(), "0x0+0x1000"); // nothing changed
	}
}

#define T(f)	 cmocka_unit_test_setup_teardown(f, heap_setup, heap_teardown)
#define NCORRUPT (sizeof corruptions / sizeof corruptions[0])

int main(void)
{
	// clang-format off
	static const struct CMUnitTest fixed[] = {
		T(test_checked_alloc_panics),
		T(test_checked_free_panics),
		T(test_checking_off),
		T(test_strerror_names_every_code),
		T(test_allocl_needs_lock),
		T(test_freel_needs_lock),
		T(test_sbrkl_needs_lock),
		T(test_checkl_needs_lock),
		T(test_sys_stat_counter),
		T(test_sys_reserve),
		T(test_sys_reserve_asks_the_cache),
		T(test_sys_free_double_panics),
		T(test_sys_free_misaligned_panics),
		T(test_sys_free_size_zero_panics),
		T(test_check_asks_the_platform_nothing),
		T(test_sys_free_not_owned_panics),
	};
	// clang-format on
	static struct corruption_run runs[2 * NCORRUPT];
	struct CMUnitTest tests[2 * NCORRUPT + sizeof fixed / sizeof fixed[0]];
	size_t i, n = 0;
	int index;

	// Every list corruption is planted in both kinds of pool.
	for (i = 0; i < NCORRUPT; i++) {
		for (index = corruptions[i].index; index <= 1; index++) {
			runs[n].c = &corruptions[i];
			runs[n].index = index;
			snprintf(runs[n].name, sizeof runs[n].name, "%s/%s", corruptions[i].name,
				 index ? "index" : "list");
			tests[n] = (struct CMUnitTest)T(test_corruption);
			tests[n].name = runs[n].name;
			tests[n].initial_state = &runs[n];
			n++;
		}
	}
	memcpy(tests + n, fixed, sizeof fixed);
	n += sizeof fixed / sizeof fixed[0];
	return _cmocka_run_group_tests("check", tests, n, NULL, NULL);
}
