// SPDX-License-Identifier: BSD-3-Clause
// The component's interface as a consumer sees it (include/heaplab.h): the
// fixed-arena mode with and without hooks, its placement against the break
// mode's, the diagnostics, the version, and the fault lines heaplab writes
// without stdio, against snprintf's.
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARENA (64 * PG)

static unsigned char arena_mem[ARENA + PG] __attribute__((aligned(4096)));

// A seeded sequence of allocs and frees, run on any pool: the offsets of
// what it got, from base, go into got[] (UINTPTR_MAX for NULL).
#define NOPS 400
static void run_ops(struct heaplab_pool *pool, uintptr_t base, uintptr_t *got)
{
	void *p[32] = {0};
	uintptr_t n[32] = {0};
	unsigned seed = 12345;
	int i, k;

	for (i = 0; i < NOPS; i++) {
		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 16) % 32);
		if (p[k] != NULL) {
			assert_int_equal(heaplab_free(pool, p[k], n[k]), HEAPLAB_OK);
			p[k] = NULL;
			got[i] = 0;
			continue;
		}
		n[k] = 1 + (seed >> 8) % (5 * PG);
		p[k] = heaplab_alloc(pool, n[k]);
		got[i] = p[k] != NULL ? (uintptr_t)p[k] - base : UINTPTR_MAX;
	}
	assert_int_equal(heaplab_check(pool, NULL), HEAPLAB_OK);
}

// The arena mode places every block where the break mode does, given the
// same room: it is the seed's placement with the pool as the break's owner.
static void test_arena_places_as_the_break_mode(void **state)
{
	static uintptr_t a[NOPS], b[NOPS];
	struct heaplab_pool pool;

	(void)state;
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem, ARENA, PG), HEAPLAB_OK);
	run_ops(&pool, pool.start, a);
	heap_reinit(ARENA, PG);
	run_ops(&mempool, mempool.start, b);
	assert_memory_equal(a, b, sizeof a);
}

// No hooks at all: the arena needs neither sbrk nor a lock; its bytes come
// back zeroed though they were not zero at init, and the arena's end is a
// hard limit counted in refused.
static void test_arena_without_hooks(void **state)
{
	struct heaplab_pool pool;
	struct heaplab_diag d;
	unsigned char *p, *q;
	uintptr_t i;

	(void)state;
	memset(arena_mem, 0xa5, sizeof arena_mem);
	// base not aligned: trimmed to whole granules at both ends
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem + 1, 4 * PG, PG),
			 HEAPLAB_OK);
	assert_int_equal(pool.start, (uintptr_t)arena_mem + PG);
	assert_int_equal(pool.end, (uintptr_t)arena_mem + 4 * PG);
	p = heaplab_alloc(&pool, 2 * PG);
	assert_non_null(p);
	for (i = 0; i < 2 * PG; i++)
		assert_int_equal(p[i], 0);
	q = heaplab_alloc(&pool, PG);
	assert_non_null(q);
	assert_null(heaplab_alloc(&pool, PG)); // three granules is all there is
	assert_null(heaplab_alloc(&pool, 0));  // not counted as refused
	heaplab_diagnose(&pool, &d);
	assert_int_equal(d.capacity, 3 * PG);
	assert_int_equal(d.taken, 3 * PG);
	assert_int_equal(d.inuse, 3 * PG);
	assert_int_equal(d.peak_inuse, 3 * PG);
	assert_int_equal(d.peak_request, 2 * PG);
	assert_int_equal(d.refused, 1);
	assert_int_equal(d.nregion, 1);
	assert_int_equal(heaplab_free(&pool, p, 2 * PG), HEAPLAB_OK);
	assert_int_equal(heaplab_free(&pool, p, 2 * PG), HEAPLAB_EDOUBLE);
	assert_int_equal(heaplab_free(&pool, arena_mem, PG), HEAPLAB_ERANGE);
	heaplab_diagnose(&pool, &d);
	assert_int_equal(d.inuse, PG);
	assert_int_equal(d.peak_inuse, 3 * PG);
	assert_int_equal(heaplab_check(&pool, NULL), HEAPLAB_OK);
}

// heaplab_alloc_bulk places as the single calls do: two arenas with the
// same history, one refilled by bulk calls and one by heaplab_alloc, hand
// out the same offsets, zeroed; a bulk call stops at the first that
// fails (counted in refused); bad counts change nothing.
static void test_alloc_bulk_places_as_single_calls(void **state)
{
	static unsigned char other[ARENA + PG] __attribute__((aligned(4096)));
	struct heaplab_pool a, b;
	struct heaplab_diag da, db;
	void *pa[HEAPLAB_ALLOC_BULK_MAX + 1], *pb[HEAPLAB_ALLOC_BULK_MAX];
	uintptr_t i, k, got;
	unsigned char *q;

	(void)state;
	assert_int_equal(heaplab_init_arena(&a, NULL, NULL, arena_mem, ARENA, PG), HEAPLAB_OK);
	assert_int_equal(heaplab_init_arena(&b, NULL, NULL, other, ARENA, PG), HEAPLAB_OK);
	// holes of several sizes first, so that placement has choices
	for (i = 0; i < 8; i++) {
		pa[i] = heaplab_alloc(&a, (1 + i % 3) * PG);
		pb[i] = heaplab_alloc(&b, (1 + i % 3) * PG);
	}
	for (i = 0; i < 8; i += 2) {
		assert_int_equal(heaplab_free(&a, pa[i], (1 + i % 3) * PG), HEAPLAB_OK);
		assert_int_equal(heaplab_free(&b, pb[i], (1 + i % 3) * PG), HEAPLAB_OK);
	}
	for (k = 1; k <= 3; k++) {
		got = heaplab_alloc_bulk(&a, k * PG, pa, 4);
		assert_int_equal(got, 4);
		for (i = 0; i < got; i++) {
			pb[i] = heaplab_alloc(&b, k * PG);
			assert_non_null(pb[i]);
			assert_int_equal((uintptr_t)pa[i] - a.start, (uintptr_t)pb[i] - b.start);
			for (q = pa[i]; q < (unsigned char *)pa[i] + k * PG; q++)
				assert_int_equal(*q, 0);
		}
	}
	// the arena runs out inside a bulk call: the ones before it, the
	// failure counted once
	heaplab_diagnose(&a, &da);
	got = heaplab_alloc_bulk(&a, 8 * PG, pa, HEAPLAB_ALLOC_BULK_MAX);
	heaplab_diagnose(&b, &db);
	for (i = 0; (pb[0] = heaplab_alloc(&b, 8 * PG)) != NULL; i++)
		;
	assert_int_equal(got, i);
	assert_true(got < HEAPLAB_ALLOC_BULK_MAX);
	heaplab_diagnose(&a, &da);
	heaplab_diagnose(&b, &db);
	assert_int_equal(da.refused, 1);
	assert_int_equal(da.inuse, db.inuse);
	// bad counts and sizes: 0, nothing changed
	assert_int_equal(heaplab_alloc_bulk(&a, PG, pa, 0), 0);
	assert_int_equal(heaplab_alloc_bulk(&a, PG, pa, HEAPLAB_ALLOC_BULK_MAX + 1), 0);
	assert_int_equal(heaplab_alloc_bulk(&a, 0, pa, 4), 0);
	heaplab_diagnose(&b, &db);
	heaplab_diagnose(&a, &da);
	assert_int_equal(da.refused, 1);
	assert_int_equal(da.inuse, db.inuse);
	assert_int_equal(heaplab_check(&a, NULL), HEAPLAB_OK);
}

static void test_arena_refuses_bad_arguments(void **state)
{
	struct heaplab_pool pool;

	(void)state;
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem, ARENA, 3000),
			 HEAPLAB_EALIGN);
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem, ARENA, 8), HEAPLAB_EALIGN);
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem + 1, PG, PG),
			 HEAPLAB_ERANGE); // no whole granule inside
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, (void *)(UINTPTR_MAX - PG), 2 * PG, PG),
			 HEAPLAB_ERANGE); // wraps
}

// The break mode's own limit counts too, and the peak survives frees.
static void test_diagnostics_in_the_break_mode(void **state)
{
	struct heaplab_diag d;
	void *p;

	(void)state;
	p = must_alloc(5000);
	assert_null(heaplab_alloc(&mempool, 2 * TEST_HEAP));
	must_free(p, 5000);
	heaplab_diagnose(&mempool, &d);
	assert_int_equal(d.capacity, TEST_HEAP);
	assert_int_equal(d.inuse, 0);
	assert_int_equal(d.peak_inuse, 2 * PG);
	assert_int_equal(d.peak_request, 2 * TEST_HEAP);
	assert_int_equal(d.refused, 1);
	assert_int_equal(d.taken, 2 * PG);
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(heaplab_version(), HEAPLAB_VERSION);
	assert_int_equal(HEAPLAB_VERSION >> 16, HEAPLAB_VERSION_MAJOR);
	assert_int_equal((HEAPLAB_VERSION >> 8) & 0xff, HEAPLAB_VERSION_MINOR);
	assert_int_equal(HEAPLAB_VERSION & 0xff, HEAPLAB_VERSION_PATCH);
}

// heaplab writes its fault lines without stdio: each must read as snprintf
// would write it, cut the same way into a short buffer.
static void test_fault_lines_match_snprintf(void **state)
{
	static const struct {
		enum heaplab_err err;
		uintptr_t block, a, b, c;
		const char *fmt; // snprintf's words for the same fault
	} cases[] = {
	    {HEAPLAB_ELOOP, 0x5000, 0x1000, 0, 3, "mem: free list loops: block 0x5000 links back to 0x1000"},
	    {HEAPLAB_EDIRTY, 0x7000, 0x18, 0xff, 0,
	     "mem: free memory not zero: byte 0xff at offset 0x18 in block 0x7000"},
	    {HEAPLAB_ETHEIGHT, 0x3000, 1234567, (uintptr_t)-5, 0,
	     "mem: index height wrong or unbalanced: node of block 0x3000 has height 1234567, "
	     "children -5 and 0"},
	    {HEAPLAB_EBALANCE, 0, UINTPTR_MAX, 0x10, 0, NULL},
	    {HEAPLAB_OK, 0, 0, 0, 0, "mem: ok"},
	};
	char buf[300], want[300], small[12];
	unsigned i;
	int n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct heaplab_fault f = {cases[i].err, cases[i].block, cases[i].a, cases[i].b,
					  cases[i].c};

		if (cases[i].fmt != NULL)
			snprintf(want, sizeof want, "%s", cases[i].fmt);
		else
			snprintf(want, sizeof want,
				 "mem: free + in use != taken: free 0x0 + in use 0x%lx != taken 0x10",
				 (unsigned long)UINTPTR_MAX);
		n = heaplab_fault_format(&mempool, &f, buf, sizeof buf);
		assert_string_equal(buf, want);
		assert_int_equal(n, (int)strlen(want));
		assert_int_equal(heaplab_fault_format(&mempool, &f, small, sizeof small), n);
		assert_int_equal(strlen(small), n < (int)sizeof small ? n : (int)sizeof small - 1);
		assert_memory_equal(small, want, strlen(small));
		assert_int_equal(heaplab_fault_format(&mempool, &f, NULL, 0), n);
	}
}

// heaplab_fail with no panic hook stops the program: it never returns.
static void test_fail_without_panic_hook_traps(void **state)
{
	struct heaplab_pool pool;
	int st;
	pid_t pid;

	(void)state;
	assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem, ARENA, PG), HEAPLAB_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGILL, SIG_DFL);
		signal(SIGTRAP, SIG_DFL);
		heaplab_fail(&pool, "test");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
}

// fresh_zero: a consumer whose growth comes zero says so, and heaplab_alloc
// leaves the grown bytes as they came (here, marked: the consumer's word
// was not true, which shows no memset ran); without it they come back
// zeroed. A reused free block is zero either way (free zeroes it).
static void test_fresh_zero_skips_zeroing_the_growth(void **state)
{
	struct heaplab_pool pool;
	unsigned char *p, *q;
	int fz;

	(void)state;
	for (fz = 0; fz <= 1; fz++) {
		memset(arena_mem, 0xa5, sizeof arena_mem);
		assert_int_equal(heaplab_init_arena(&pool, NULL, NULL, arena_mem, 4 * PG, PG),
				 HEAPLAB_OK);
		assert_int_equal(pool.fresh_zero, 0); // off after init
		pool.fresh_zero = fz;
		pool.checking = 0; // the marked bytes would fail the zero scan
		p = heaplab_alloc(&pool, 2 * PG);
		assert_non_null(p);
		assert_int_equal(p[0], fz ? 0xa5 : 0);
		assert_int_equal(p[2 * PG - 1], fz ? 0xa5 : 0);
		memset(p, 0x5a, 2 * PG);
		assert_int_equal(heaplab_free(&pool, p, 2 * PG), HEAPLAB_OK);
		q = heaplab_alloc(&pool, PG); // from the freed block: zeroed by free
		assert_ptr_equal(q, p + PG);
		assert_int_equal(q[0], 0);
		assert_int_equal(q[PG - 1], 0);
	}
}

// The break mode needs an sbrk: without one, init stops in heaplab_fail.
static void test_break_mode_needs_sbrk(void **state)
{
	struct heaplab_ops ops = host_ops;
	struct heaplab_pool pool;

	(void)state;
	ops.sbrk = NULL;
	expect_panic(heaplab_init(&pool, &ops, NULL, 0, TEST_HEAP, PG), "needs ops->sbrk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_arena_places_as_the_break_mode, heap_setup,
					    heap_teardown),
	    cmocka_unit_test(test_arena_without_hooks),
	    cmocka_unit_test(test_arena_refuses_bad_arguments),
	    cmocka_unit_test_setup_teardown(test_diagnostics_in_the_break_mode, heap_setup,
					    heap_teardown),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_alloc_bulk_places_as_single_calls),
	    cmocka_unit_test_setup_teardown(test_fault_lines_match_snprintf, heap_setup,
					    heap_teardown),
	    cmocka_unit_test(test_fail_without_panic_hook_traps),
	    cmocka_unit_test(test_fresh_zero_skips_zeroing_the_growth),
	    cmocka_unit_test_setup_teardown(test_break_mode_needs_sbrk, heap_setup, heap_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
