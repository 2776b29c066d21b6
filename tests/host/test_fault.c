// Fault injection: the allocator over a brk that refuses at random points,
// or answers less than it was asked (Linux's brk answers the old break;
// a platform may also grow part of the way), under the break's owner
// (heaplab_brk_sbrk, as host_sbrk and the kernel's kbrk_sbrk run it). Every
// alloc answers a whole zeroed block or NULL, the break is back where it
// was after a refusal, the full check passes after every operation, live
// blocks stay intact, and not a byte is lost from the accounting.
#include "testutil.h"

#include <stdint.h>

enum { FAULT_NONE, FAULT_FAIL, FAULT_OLD, FAULT_PART, FAULT_RANDOM };

static int fault_mode;	     // FAULT_*: what a grow of the break meets
static unsigned fault_rate;  // FAULT_RANDOM: a grow fails 1 in fault_rate
static uint64_t fault_seed;  // the PRNG's state
static unsigned long faults; // grows refused or cut short so far

static unsigned fault_rand(void)
{
	fault_seed = fault_seed * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(fault_seed >> 33);
}

// fault_brk is host_brk with faults on every grow the mode picks.
static uintptr_t fault_brk(uintptr_t addr)
{
	uintptr_t cur = host_brk(0);
	int mode = fault_mode;

	if (addr <= cur || mode == FAULT_NONE)
		return host_brk(addr);
	if (mode == FAULT_RANDOM)
		mode = fault_rand() % fault_rate != 0 ? FAULT_NONE : FAULT_FAIL + fault_rand() % 3;
	if (mode == FAULT_NONE)
		return host_brk(addr);
	faults++;
	if (mode == FAULT_FAIL)
		return HEAPLAB_BRK_FAIL;
	if (mode == FAULT_OLD)
		return cur;			     // Linux: the break did not move
	return host_brk(cur + (addr - cur) / 2 + 1); // part of the way, not to a page
}

static int fault_setup(void **state)
{
	heap_setup(state);
	host_brk_hook = fault_brk;
	fault_mode = FAULT_NONE;
	faults = 0;
	return 0;
}

static int fault_teardown(void **state)
{
	host_brk_hook = host_brk;
	return heap_teardown(state);
}

// free_bytes sums the free list.
static uintptr_t free_bytes(void)
{
	const struct heaplab_hdr *b;
	uintptr_t n = 0;

	for (b = mempool.freelist; b != NULL; b = b->next)
		n += b->size;
	return n;
}

// assert_clean runs the full check and the accounting: in use is what the
// live blocks hold, and free + in use is every byte taken through sbrk.
static void assert_clean(uintptr_t live_bytes)
{
	struct heaplab_fault f;
	char msg[200];

	if (heaplab_check(&mempool, &f) != HEAPLAB_OK) {
		heaplab_fault_format(&mempool, &f, msg, sizeof msg);
		fail_msg("check: %s", msg);
	}
	assert_int_equal(mempool.inuse, live_bytes);
	assert_int_equal(free_bytes() + mempool.inuse, mempool.taken);
}

// Each way a grow can fail: alloc answers NULL and the pool is unchanged;
// once the break moves again, alloc succeeds.
static void test_refused_grow_is_nil(void **state)
{
	static const int modes[] = {FAULT_FAIL, FAULT_OLD, FAULT_PART};
	struct mem_snap s;
	void *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		heap_reinit(TEST_HEAP, PG);
		p = must_alloc(PG);
		fault_mode = modes[i];
		snap_take(&s);
		assert_null(heaplab_alloc(&mempool, 3 * PG));
		assert_unchanged(&s); // the break too: a part-way grow was put back
		assert_clean(mempool.inuse);
		fault_mode = FAULT_NONE;
		must_free(p, PG);
		p = must_alloc(3 * PG);
		assert_clean(3 * PG);
		must_free(p, 3 * PG);
		assert_clean(0);
	}
	assert_int_equal(faults, 3);
}

struct fault_block {
	unsigned char *p;
	uintptr_t n;
	unsigned char tag;
};

// other_client_step: another client of the break (newlib's malloc, in the
// image) takes a few bytes or pages at it, through the same faulty brk;
// a free of what it took (or of the page under its first byte) is refused,
// HEAPLAB_ENOTOWN below the pool's top, HEAPLAB_ERANGE above it, nothing changed.
static void other_client_step(unsigned r)
{
	static const uintptr_t sizes[] = {1, 100, PG, PG + 1, 3 * PG};
	uintptr_t n = sizes[r % 5], at = host_sbrk(n, 1, 0, UINTPTR_MAX), a;
	struct mem_snap s;
	int err;

	if (at == HEAPLAB_BRK_FAIL)
		return;
	a = at & ~(uintptr_t)(PG - 1);
	snap_take(&s);
	err = heaplab_free(&mempool, (void *)a, n);
	assert_true(err == HEAPLAB_ENOTOWN || err == HEAPLAB_ERANGE);
	assert_unchanged(&s);
}

// fault_walk runs ops random allocs and frees over a brk that fails one
// grow in rate, with another client of the break taking bytes now and
// then if other is set; answers how many allocs answered NULL.
static unsigned long fault_walk(uint64_t seed, unsigned rate, int ops, int other)
{
	static struct fault_block live[64];
	uintptr_t live_bytes = 0, j;
	unsigned long nils = 0;
	int nlive = 0, i, k;

	fault_seed = seed;
	fault_rate = rate;
	fault_mode = FAULT_RANDOM;
	for (i = 0; i < ops; i++) {
		unsigned r = fault_rand();
		if (other && r % 11 == 0) {
			other_client_step(r / 11);
		} else if (nlive < 64 && (nlive == 0 || r % 3 != 0)) {
			uintptr_t n = (1 + r % 5) * PG - (r & 8 ? r % 100 : 0);
			unsigned char *p = heaplab_alloc(&mempool, n);
			if (p == NULL) {
				nils++;
			} else {
				for (j = 0; j < n; j++)
					assert_int_equal(p[j], 0);
				memset(p, (int)(i & 0xff), n);
				live[nlive++] = (struct fault_block){p, n, (unsigned char)i};
				live_bytes += heaplab_round(&mempool, n);
			}
		} else {
			k = (int)(r % (unsigned)nlive);
			for (j = 0; j < live[k].n; j++)
				assert_int_equal(live[k].p[j], live[k].tag);
			must_free(live[k].p, live[k].n);
			live_bytes -= heaplab_round(&mempool, live[k].n);
			live[k] = live[--nlive];
		}
		assert_clean(live_bytes);
	}
	while (nlive > 0) {
		nlive--;
		must_free(live[nlive].p, live[nlive].n);
	}
	assert_clean(0);
	return nils;
}

// Random faults, many seeds: NULL answers happen, nothing else goes wrong.
static void test_random_faults(void **state)
{
	unsigned long nils = 0;
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 40; seed++) {
		heap_reinit(TEST_HEAP, PG);
		nils += fault_walk(seed, 2 + seed % 4, 400, 0);
	}
	assert_true(faults > 100);
	assert_true(nils > 0);
}

// Faults on top of a heap that runs out: NULL from both causes.
static void test_faults_near_full_heap(void **state)
{
	(void)state;
	heap_reinit(24 * PG, PG);
	assert_true(fault_walk(99, 3, 600, 0) > 0);
}

// Another client of the break between the pool's sbrks, over faults, in
// both placement modes: its bytes are never handed out nor taken back, and
// the accounting stays exact.
static void test_other_client_under_faults(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		heap_reinit(4 * TEST_HEAP, PG);
		heaplab_set_index(&mempool, (int)(seed & 1));
		fault_walk(seed, 3 + seed % 3, 300, 1);
		assert_true(mempool.nregion > 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_refused_grow_is_nil, fault_setup, fault_teardown),
	    cmocka_unit_test_setup_teardown(test_random_faults, fault_setup, fault_teardown),
	    cmocka_unit_test_setup_teardown(test_faults_near_full_heap, fault_setup,
					    fault_teardown),
	    cmocka_unit_test_setup_teardown(test_other_client_under_faults, fault_setup,
					    fault_teardown),
	};

	return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
