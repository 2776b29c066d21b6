// SPDX-License-Identifier: BSD-3-Clause
// Frees in flight (include/heaplab.h, pool->pending): heaplab_free zeroes a
// range with the lock released, the range listed as pending meanwhile. A
// pool of the break mode of its own here, over a static arena, its lock a
// pthread mutex: a free of the same range or of an overlapping one made in
// that window (from the unlock hook, and from other threads) is refused,
// a refused free zeroes nothing, the check accounts for pending ranges and
// catches broken ones, and concurrent double frees from four threads leave
// exactly one free per range done.
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../include/heaplab.h"

#define PG	4096u
#define ARENA	(16u << 20)
#define NTHREAD 4
#define NRANGE	24
#define NROUND	20

static unsigned char arena[ARENA] __attribute__((aligned(4096)));
static uintptr_t brk_at; // the break, guarded by brk_mu
static pthread_mutex_t brk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t owner;
static int owned;
static struct heaplab_pool pool;

// The window hook: run once, with the lock released, the first time the
// pool unlocks with a free pending.
static void (*window)(void);

static uintptr_t test_brk(uintptr_t addr)
{
	uintptr_t lo = (uintptr_t)arena, hi = lo + ARENA;

	if (brk_at == 0)
		brk_at = lo;
	if (addr == 0)
		return brk_at;
	if (addr < lo || addr > hi)
		return HEAPLAB_BRK_FAIL;
	return brk_at = addr;
}

// test_sbrk writes garbage over what it hands out: heaplab must zero it.
static uintptr_t test_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	uintptr_t at;

	pthread_mutex_lock(&brk_mu);
	at = heaplab_brk_sbrk(test_brk, n, align, lo, hi);
	pthread_mutex_unlock(&brk_mu);
	if (at != HEAPLAB_BRK_FAIL)
		memset((void *)at, 0xa5, n);
	return at;
}

static void test_lock(struct heaplab_pool *p)
{
	pthread_mutex_lock(p->lockarg);
	owner = pthread_self();
	owned = 1;
}

static void test_unlock(struct heaplab_pool *p)
{
	void (*w)(void) = p->pending != NULL ? window : NULL;

	owned = 0;
	pthread_mutex_unlock(p->lockarg);
	if (w != NULL) {
		window = NULL;
		w();
	}
}

static int test_holding(struct heaplab_pool *p)
{
	(void)p;
	return owned && pthread_equal(owner, pthread_self());
}

static __attribute__((noreturn)) void test_panic(const char *msg)
{
	fprintf(stderr, "heaplab panic: %s\n", msg);
	abort();
}

static const struct heaplab_ops ops = {.sbrk = test_sbrk,
				       .lock = test_lock,
				       .unlock = test_unlock,
				       .holding = test_holding,
				       .panic = test_panic};

static int setup(void **state)
{
	(void)state;
	brk_at = 0;
	window = NULL;
	heaplab_init(&pool, &ops, &pool_mu, (uintptr_t)arena, (uintptr_t)arena + ARENA, PG);
	return 0;
}

static int all_zero(const unsigned char *p, uintptr_t n)
{
	for (; n > 0; n--, p++)
		if (*p != 0)
			return 0;
	return 1;
}

// The window test's state: b below a, both allocated, a being freed.
static unsigned char *wa, *wb;
static int werr[4];
static uintptr_t wpending, winuse;

static void in_window(void)
{
	struct heaplab_fault f;

	wpending = pool.npending;
	winuse = pool.inuse;
	werr[0] = heaplab_free(&pool, wa, 4 * PG);	// the same range
	werr[1] = heaplab_free(&pool, wa + PG, PG);	// inside it
	werr[2] = heaplab_free(&pool, wa - PG, 2 * PG); // b's last page and a's first
	werr[3] = heaplab_check(&pool, &f);		// pending accounted for
}

// A free of the range being zeroed, of part of it, or across its start,
// made while it is pending, is refused; the refusals touch nothing (b's
// bytes stay), and the check passes in the window.
static void test_window_refuses(void **state)
{
	struct heaplab_diag d;

	(void)state;
	wb = heaplab_alloc(&pool, PG); // the first free tells the pool that
	assert_int_equal(heaplab_free(&pool, wb, PG), HEAPLAB_OK); // mem_freel zeroes through
	assert_int_equal(pool.zerohook, 1);			   // mem_zero_freedl
	wb = heaplab_alloc(&pool, 2 * PG);
	wa = heaplab_alloc(&pool, 4 * PG);
	assert_non_null(wb);
	assert_ptr_equal(wa, wb + 2 * PG); // the break mode grows upward
	assert_true(all_zero(wa, 4 * PG)); // test_sbrk's garbage was zeroed
	memset(wb, 0x11, 2 * PG);
	memset(wa, 0x22, 4 * PG);
	window = in_window;
	assert_int_equal(heaplab_free(&pool, wa, 4 * PG), HEAPLAB_OK);
	assert_null(window); // the window came
	assert_int_equal(wpending, 4 * PG);
	assert_int_equal(winuse, 6 * PG);
	assert_int_equal(werr[0], HEAPLAB_EDOUBLE);
	assert_int_equal(werr[1], HEAPLAB_EDOUBLE);
	assert_int_equal(werr[2], HEAPLAB_EOVERLAP);
	assert_int_equal(werr[3], HEAPLAB_OK);
	assert_int_equal(wb[2 * PG - 1], 0x11); // the refused free zeroed nothing
	assert_null(pool.pending);
	assert_int_equal(pool.npending, 0);
	heaplab_diagnose(&pool, &d);
	assert_int_equal(d.inuse, 2 * PG);
	assert_int_equal(heaplab_check(&pool, NULL), HEAPLAB_OK);
	assert_int_equal(heaplab_free(&pool, wa, 4 * PG), HEAPLAB_EDOUBLE); // and after it
	assert_int_equal(heaplab_free(&pool, wb, 2 * PG), HEAPLAB_OK);
	assert_int_equal(heaplab_check(&pool, NULL), HEAPLAB_OK);
}

// The same window in a pool that keeps the exact-free record: the range
// is still recorded as one allocation while it is pending (its record is
// forgotten after mem_freel), so a free of all of it is refused as a
// double free, and a free of part of it or across its start, which lies
// in allocated memory, as a mismatch; the refusals change nothing.
static unsigned char track_bits[ARENA / PG / 4];

static void in_tracked_window(void)
{
	unsigned char bits[sizeof track_bits];

	memcpy(bits, track_bits, sizeof bits);
	werr[0] = heaplab_free(&pool, wa, 4 * PG);
	werr[1] = heaplab_free(&pool, wa + PG, PG);
	werr[2] = heaplab_free(&pool, wa - PG, 2 * PG);
	werr[3] = memcmp(bits, track_bits, sizeof bits) != 0;
}

static void test_tracked_window(void **state)
{
	(void)state;
	assert_int_equal(heaplab_track(&pool, track_bits, sizeof track_bits), HEAPLAB_OK);
	wb = heaplab_alloc(&pool, PG);
	assert_int_equal(heaplab_free(&pool, wb, PG), HEAPLAB_OK); // mem_freel zeroes through
	wb = heaplab_alloc(&pool, 2 * PG);			   // mem_zero_freedl
	wa = heaplab_alloc(&pool, 4 * PG);
	assert_ptr_equal(wa, wb + 2 * PG);
	memset(wb, 0x11, 2 * PG);
	window = in_tracked_window;
	assert_int_equal(heaplab_free(&pool, wa, 4 * PG), HEAPLAB_OK);
	assert_null(window); // the window came
	assert_int_equal(werr[0], HEAPLAB_EDOUBLE);
	assert_int_equal(werr[1], HEAPLAB_EMISMATCH);
	assert_int_equal(werr[2], HEAPLAB_EMISMATCH);
	assert_int_equal(werr[3], 0); // the record unchanged
	assert_int_equal(wb[2 * PG - 1], 0x11);
	assert_int_equal(heaplab_free(&pool, wa, 4 * PG), HEAPLAB_EDOUBLE); // and after it
	assert_int_equal(heaplab_free(&pool, wb, 2 * PG), HEAPLAB_OK);
	assert_int_equal(heaplab_check(&pool, NULL), HEAPLAB_OK);
	assert_int_equal(heaplab_track(&pool, NULL, 0), HEAPLAB_OK);
}

// The check names a pending range it cannot account for.
static void test_check_catches_bad_pending(void **state)
{
	struct heaplab_fault f;
	unsigned char *b, *c;

	(void)state;
	b = heaplab_alloc(&pool, 2 * PG);
	c = heaplab_alloc(&pool, 2 * PG);
	assert_ptr_equal(c, b + 2 * PG);
	assert_int_equal(heaplab_free(&pool, c, 2 * PG), HEAPLAB_OK);
	pool.pending = (struct heaplab_hdr *)b; // b and c's first page: over a free block
	pool.pending->next = NULL;
	pool.pending->size = 3 * PG;
	pool.npending = 3 * PG;
	assert_int_equal(heaplab_check(&pool, &f), HEAPLAB_EPENDING);
	assert_int_equal(f.block, (uintptr_t)b);
	assert_int_equal(f.b, 1);
	pool.pending->size = PG; // inside b, but miscounted
	pool.npending = 2 * PG;
	assert_int_equal(heaplab_check(&pool, &f), HEAPLAB_EPENDING);
	assert_int_equal(f.b, 3);
	pool.npending = PG;
	assert_int_equal(heaplab_check(&pool, &f), HEAPLAB_OK);
	pool.pending = NULL;
	pool.npending = 0;
	memset(b, 0, sizeof(struct heaplab_hdr));
}

// Four threads free the same ranges at once, each in its own order: per
// range exactly one free is done and the others are refused as double
// frees (or overlaps, never anything else), and the pool ends empty,
// zeroed and whole.
static unsigned char *ranges[NRANGE];
static uintptr_t sizes[NRANGE];
static int done[NRANGE];
static int bad;
static pthread_barrier_t start;

static void *freer(void *arg)
{
	long t = (long)arg;
	int i, k, err;

	pthread_barrier_wait(&start);
	for (k = 0; k < NRANGE; k++) {
		i = (int)((k * 7 + t * 5) % NRANGE);
		err = heaplab_free(&pool, ranges[i], sizes[i]);
		if (err == HEAPLAB_OK)
			__atomic_fetch_add(&done[i], 1, __ATOMIC_RELAXED);
		else if (err != HEAPLAB_EDOUBLE && err != HEAPLAB_EOVERLAP)
			__atomic_store_n(&bad, err, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void concurrent_double_frees(void)
{
	pthread_t th[NTHREAD];
	struct heaplab_diag d;
	int round, i;
	long t;

	for (round = 0; round < NROUND; round++) {
		for (i = 0; i < NRANGE; i++) {
			sizes[i] = (uintptr_t)(1 + (i * 37 + round * 11) % 64) * PG;
			ranges[i] = heaplab_alloc(&pool, sizes[i]);
			assert_non_null(ranges[i]);
			assert_true(all_zero(ranges[i], sizes[i]));
			memset(ranges[i], 0x5a, sizes[i]);
			done[i] = 0;
		}
		pthread_barrier_init(&start, NULL, NTHREAD);
		for (t = 0; t < NTHREAD; t++)
			assert_int_equal(pthread_create(&th[t], NULL, freer, (void *)t), 0);
		for (t = 0; t < NTHREAD; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&start);
		assert_int_equal(bad, 0);
		for (i = 0; i < NRANGE; i++)
			assert_int_equal(done[i], 1);
		heaplab_diagnose(&pool, &d);
		assert_int_equal(d.inuse, 0);
		assert_null(pool.pending);
		assert_int_equal(heaplab_check(&pool, NULL), HEAPLAB_OK); // every free byte zero
	}
}

static void test_concurrent_double_frees(void **state)
{
	(void)state;
	concurrent_double_frees();
}

// And with the exact-free record on: every free is of one whole range, so
// the record refuses none of them, and the pool's double frees stay
// HEAPLAB_EDOUBLE (or HEAPLAB_EOVERLAP), never a mismatch; the record is
// empty once the pool is.
static void test_concurrent_double_frees_tracked(void **state)
{
	unsigned i;

	(void)state;
	assert_int_equal(heaplab_track(&pool, track_bits, sizeof track_bits), HEAPLAB_OK);
	concurrent_double_frees();
	for (i = 0; i < sizeof track_bits; i++)
		assert_int_equal(track_bits[i], 0);
	assert_int_equal(heaplab_track(&pool, NULL, 0), HEAPLAB_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_window_refuses, setup),
	    cmocka_unit_test_setup(test_tracked_window, setup),
	    cmocka_unit_test_setup(test_check_catches_bad_pending, setup),
	    cmocka_unit_test_setup(test_concurrent_double_frees, setup),
	    cmocka_unit_test_setup(test_concurrent_double_frees_tracked, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
