// SPDX-License-Identifier: BSD-3-Clause
// The objects layer (objects/) and its C API on a host pool: the size
// class table, alignment, spans going back to the pool, realloc's cases,
// refused pointers (nothing changed, the message naming pointer and span),
// the zero promise, and the check finding each kind of damage. The full
// check runs after every operation (heap.checking), the pool's too.
#include "testutil.h"

#include "../../objects/fast.h" // the class tables too

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define OBJ_HEAP (16u << 20)

static struct hobj_heap heap;
static int held[HOBJ_NLOCK];
static unsigned ntaken;		 // locks taken, all of them
static unsigned nheld, mostheld; // held now, the most held at once

// One thread: each lock a flag, misuse a panic, as arch/host's pool lock.
static void t_lock(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	if (lk >= HOBJ_NLOCK || held[lk])
		host_ops.panic("test lock: recursive acquire");
	held[lk] = 1;
	ntaken++;
	if (++nheld > mostheld)
		mostheld = nheld;
}

static void t_unlock(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	if (lk >= HOBJ_NLOCK || !held[lk])
		host_ops.panic("test lock: release of a lock not held");
	held[lk] = 0;
	nheld--;
}

static int t_holding(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	return lk < HOBJ_NLOCK && held[lk];
}

static __attribute__((noreturn)) void t_panic(const char *msg)
{
	host_ops.panic(msg);
}

// The caller's cache: a test plays several threads by setting cur.
static struct hobj_cache *cur;

static struct hobj_cache *t_cache(struct hobj_heap *h)
{
	(void)h;
	return cur;
}

static const struct hobj_ops t_ops = {t_lock, t_unlock, t_holding, t_panic, t_cache, NULL};

static void obj_reinit(uintptr_t size, uintptr_t granule)
{
	heap_reinit(size, granule);
	memset(held, 0, sizeof held);
	nheld = 0;
	cur = NULL;
	assert_int_equal(hobj_init(&heap, &mempool, &t_ops, NULL), HOBJ_OK);
	heap.checking = 1;
}

static int obj_setup(void **state)
{
	heap_setup(state);
	obj_reinit(OBJ_HEAP, PG);
	return 0;
}

static void check_ok(void)
{
	struct hobj_fault f;
	char msg[200];

	if (hobj_check(&heap, &f) != HOBJ_OK) {
		hobj_fault_format(&f, msg, sizeof msg);
		fail_msg("check: %s", msg);
	}
}

// check_classes_ok runs the class-by-class check of every class, which
// must pass wherever the full check does, one lock held at a time.
static void check_classes_ok(void)
{
	struct hobj_fault f;
	char msg[200];
	unsigned c;

	for (c = 1; c < HOBJ_NCLASS; c++) {
		mostheld = 0;
		if (hobj_check_class(&heap, c, &f) != HOBJ_OK) {
			hobj_fault_format(&f, msg, sizeof msg);
			fail_msg("class %u check: %s", c, msg);
		}
		assert_int_equal(mostheld, 1);
		assert_int_equal(nheld, 0);
	}
}

// The table: 16-byte steps to 256, ascending multiples of 16 to 32 KiB,
// no span losing more than 12.5% to its tail, the lookup answering the
// smallest class that fits, and the multiply dividing exactly.
static void test_class_table(void **state)
{
	unsigned c, n;
	uintptr_t span, off;

	(void)state;
	assert_int_equal(hobj_class_size[HOBJ_NCLASS - 1], HOBJ_MAX_SMALL);
	for (c = 1; c < HOBJ_NCLASS; c++) {
		unsigned size = hobj_class_size[c], prev = hobj_class_size[c - 1];

		span = (uintptr_t)hobj_class_npages[c] * HOBJ_UNIT;
		assert_true(size > prev);
		assert_int_equal(size % HOBJ_ALIGN, 0);
		if (size <= 256)
			assert_int_equal(size - prev, 16);
		assert_int_equal(hobj_class_nobj[c], span / size);
		assert_true(hobj_class_nobj[c] <= HOBJ_MAXOBJ);
		assert_true((span % size) * 8 <= span); // the tail: at most 12.5%
		for (off = 0; off < span; off++)
			if (((off * hobj_class_divmul[c]) >> 32) != off / size)
				fail_msg("class %u: divmul wrong at offset %lu", c,
					 (unsigned long)off);
	}
	for (n = 0; n <= HOBJ_MAX_SMALL; n++) {
		c = hobj_class_of(n);
		assert_true(hobj_class_size[c] >= n);
		assert_true(c == 1 || hobj_class_size[c - 1] < n);
	}
}

// Every size from 0 to past the largest class comes back aligned for
// max_align_t with at least its bytes usable, writable to the last one.
static void test_alignment_and_usable_size(void **state)
{
	static void *p[1200];
	size_t n, u, k = 0;

	(void)state;
	heap.checking = 0;
	for (n = 0; n <= 40000; n += n < 600 ? 1 : 97) {
		p[k] = hobj_malloc(&heap, n);
		assert_non_null(p[k]);
		assert_int_equal((uintptr_t)p[k] % 16, 0);
		u = hobj_malloc_usable_size(&heap, p[k]);
		assert_true(u >= n);
		if (n <= HOBJ_MAX_SMALL)
			assert_int_equal(u, hobj_class_size[hobj_class_of(n)]);
		memset(p[k], 0xab, u);
		k++;
	}
	check_ok();
	while (k > 0)
		hobj_free(&heap, p[--k]);
	check_ok();
}

// A seeded mix of every call, each object holding a pattern that must
// survive until it is freed; the check runs after every operation.
static struct hobj_cache *mix_caches[2]; // test_cache_random_mix's

static void test_random_mix(void **state)
{
	enum { N = 64 };
	void *p[N] = {0};
	size_t n[N] = {0};
	unsigned seed = 7, i, k, op;
	size_t j, sz;
	unsigned char *q;

	(void)state;
	for (i = 0; i < 3000; i++) {
		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % N;
		op = (seed >> 20) % 6;
		sz = (seed >> 4) % 3 == 0 ? 1 + (seed >> 6) % 70000 : (seed >> 6) % 600;
		cur = mix_caches[(seed >> 28) & 1];
		if (p[k] != NULL) {
			for (q = p[k], j = 0; j < n[k]; j++)
				if (q[j] != (unsigned char)(k + j))
					fail_msg("object %u byte %zu lost", k, j);
			if (op < 3) {
				hobj_free(&heap, p[k]);
				p[k] = NULL;
				continue;
			}
			q = hobj_realloc(&heap, p[k], sz ? sz : 1);
			assert_non_null(q);
			for (j = 0; j < (n[k] < sz ? n[k] : sz); j++)
				assert_int_equal(q[j], (unsigned char)(k + j));
		} else if (op == 0) {
			q = hobj_calloc(&heap, 1, sz);
			for (j = 0; q != NULL && j < sz; j++)
				assert_int_equal(q[j], 0);
		} else if (op == 1) {
			q = hobj_memalign(&heap, (size_t)16 << (seed % 14), sz);
			assert_int_equal((uintptr_t)q % ((size_t)16 << (seed % 14)), 0);
		} else {
			q = hobj_malloc(&heap, sz);
		}
		assert_non_null(q);
		p[k] = q;
		n[k] = sz ? sz : 1;
		for (j = 0; j < n[k]; j++)
			q[j] = (unsigned char)(k + j);
		if (i % 64 == 0)
			check_classes_ok();
	}
	for (k = 0; k < N; k++)
		hobj_free(&heap, p[k]);
	for (k = 0; k < 2; k++)
		if (mix_caches[k] != NULL)
			hobj_cache_flush(&heap, mix_caches[k]);
	// every span but one per class went back, every large object
	for (k = 1; k < HOBJ_NCLASS; k++)
		assert_true(heap.class[k].nspan <= 1);
	assert_int_equal(heap.large_bytes, 0);
}

// Filling spans of a class and freeing them all gives every span back to
// the pool but the one the class keeps.
static void test_spans_go_back(void **state)
{
	enum { M = 1000 };
	static void *p[M];
	unsigned c = hobj_class_of(100), k;
	uintptr_t base;

	(void)state;
	heap.checking = 0;
	base = mempool.inuse - heap.store_bytes;
	for (k = 0; k < M; k++)
		p[k] = hobj_malloc(&heap, 100);
	assert_int_equal(heap.class[c].nspan, (M + hobj_class_nobj[c] - 1) / hobj_class_nobj[c]);
	check_ok();
	for (k = 0; k < M; k++)
		hobj_free(&heap, p[k]);
	check_ok();
	assert_int_equal(heap.class[c].nspan, 1);
	assert_int_equal(mempool.inuse - heap.store_bytes - base, hobj_class_npages[c] * HOBJ_UNIT);
}

// The zero promise: a fresh object is zero and calloc leaves it; a reused
// one is dirty, and calloc clears it.
static void test_calloc_zero(void **state)
{
	unsigned char *p, *q;
	int zero, k;

	(void)state;
	p = hobj_objalloc(&heap, 200, 0, &zero);
	assert_int_equal(zero, 1);
	memset(p, 0x5a, 200);
	hobj_free(&heap, p);
	q = hobj_objalloc(&heap, 200, 0, &zero);
	assert_ptr_equal(q, p); // the free list's head
	assert_int_equal(zero, 0);
	hobj_free(&heap, q);
	q = hobj_calloc(&heap, 10, 20);
	assert_ptr_equal(q, p);
	for (k = 0; k < 200; k++)
		assert_int_equal(q[k], 0);
	hobj_free(&heap, q);
}

static void test_calloc_overflow(void **state)
{
	(void)state;
	errno = 0;
	assert_null(hobj_calloc(&heap, SIZE_MAX / 2, 3));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(hobj_calloc(&heap, (size_t)1 << 40, (size_t)1 << 40));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(hobj_malloc(&heap, SIZE_MAX - 10));
	assert_int_equal(errno, ENOMEM);
}

static void test_realloc_cases(void **state)
{
	struct hobj_stats a, b;
	char *p, *q;

	(void)state;
	p = hobj_realloc(&heap, NULL, 40); // malloc
	assert_non_null(p);
	strcpy(p, "forty bytes at most");
	assert_ptr_equal(hobj_realloc(&heap, p, 48), p); // the same class
	q = hobj_realloc(&heap, p, 49);			 // the next: moves
	assert_ptr_not_equal(q, p);
	assert_string_equal(q, "forty bytes at most");
	hobj_stats(&heap, &a);
	assert_null(hobj_realloc(&heap, q, 0)); // frees, as glibc does
	hobj_stats(&heap, &b);
	assert_int_equal(b.nfree, a.nfree + 1);
	assert_int_equal(b.inuse, a.inuse - 1);
	// large: shrinking gives pages back in place, growing moves
	p = hobj_malloc(&heap, 100000);
	p[0] = 'x';
	p[70000] = 'y';
	assert_ptr_equal(hobj_realloc(&heap, p, 80000), p);
	assert_int_equal(hobj_malloc_usable_size(&heap, p), 80 * 1024);
	assert_int_equal(heap.large_bytes, 80 * 1024);
	q = hobj_realloc(&heap, p, 200000);
	assert_ptr_not_equal(q, p);
	assert_int_equal(q[0], 'x');
	assert_int_equal(q[70000], 'y');
	p = hobj_realloc(&heap, q, 1000); // large to small: moves
	assert_int_equal(p[0], 'x');
	assert_int_equal(hobj_malloc_usable_size(&heap, p), 1024);
	hobj_free(&heap, p);
	// no room: NULL, ENOMEM, p as it was
	p = hobj_malloc(&heap, 64);
	errno = 0;
	assert_null(hobj_realloc(&heap, p, OBJ_HEAP * 2));
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(hobj_malloc_usable_size(&heap, p), 64);
	hobj_free(&heap, p);
}

static void test_aligned(void **state)
{
	size_t al, n;
	void *p;

	(void)state;
	heap.checking = 0;
	for (al = 1; al <= ((size_t)1 << 21); al <<= 1)
		for (n = 1; n < 100000; n = n * 3 + 5) {
			p = hobj_aligned_alloc(&heap, al, n);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % al, 0);
			assert_true(hobj_malloc_usable_size(&heap, p) >= n);
			memset(p, 1, n);
			hobj_free(&heap, p);
		}
	check_ok();
	assert_int_equal(hobj_posix_memalign(&heap, &p, 3, 10), EINVAL);
	assert_int_equal(hobj_posix_memalign(&heap, &p, 0, 10), EINVAL);
	assert_int_equal(hobj_posix_memalign(&heap, &p, sizeof(void *) / 2, 10), EINVAL);
	assert_int_equal(hobj_posix_memalign(&heap, &p, 1u << 16, 10), 0);
	assert_int_equal((uintptr_t)p % (1u << 16), 0);
	hobj_free(&heap, p);
	errno = 0;
	assert_null(hobj_aligned_alloc(&heap, 48, 10));
	assert_int_equal(errno, EINVAL);
	p = hobj_memalign(&heap, 48, 10); // memalign rounds it up, as glibc's does
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 64, 0);
	hobj_free(&heap, p);
	p = hobj_memalign(&heap, 0, 10);
	assert_non_null(p);
	hobj_free(&heap, p);
	p = hobj_memalign(&heap, 3000, 10);
	assert_int_equal((uintptr_t)p % 4096, 0);
	hobj_free(&heap, p);
	errno = 0;
	assert_null(hobj_memalign(&heap, SIZE_MAX / 2 + 2, 10)); // past the largest power of two
	assert_int_equal(errno, EINVAL);
	p = hobj_valloc(&heap, 10);
	assert_int_equal((uintptr_t)p % PG, 0);
	hobj_free(&heap, p);
	p = hobj_pvalloc(&heap, PG + 1);
	assert_int_equal(hobj_malloc_usable_size(&heap, p), 2 * PG);
	hobj_free(&heap, p);
}

// A snapshot of what a refused free must leave as it was.
struct obj_snap {
	struct hobj_stats st;
	uintptr_t pool_inuse;
	uint64_t sum;
};

static void obj_snap(struct obj_snap *s)
{
	const unsigned char *b = (const unsigned char *)mempool.start;
	uintptr_t k;

	hobj_stats(&heap, &s->st);
	s->pool_inuse = mempool.inuse;
	s->sum = 0;
	for (k = 0; k < mempool.bloc - mempool.start; k++)
		s->sum = s->sum * 31 + b[k];
}

// expect_refused frees p, which must stop with a line holding each needle,
// and leave the heap unchanged.
static void expect_refused(void *p, const char *n1, const char *n2)
{
	struct obj_snap a, b;

	obj_snap(&a);
	expect_panic(hobj_free(&heap, p), "free(): invalid pointer");
	if (strstr(panic_msg, n1) == NULL || strstr(panic_msg, n2) == NULL)
		fail_msg("\"%s\" does not say \"%s\" and \"%s\"", panic_msg, n1, n2);
	memset(held, 0, sizeof held); // the panic left the class's lock
	obj_snap(&b);
	assert_memory_equal(&a, &b, sizeof a);
	if (heap.checking) // not while an outbox holds objects back (test_outbox)
		check_ok();
}

static void test_bad_frees_refused(void **state)
{
	char *p = hobj_malloc(&heap, 80), *big = hobj_malloc(&heap, 50000), *q, ptr[40], span[40];
	int x;

	(void)state;
	q = hobj_malloc(&heap, 80);
	snprintf(ptr, sizeof ptr, "pointer %p", (void *)(p + 8));
	snprintf(span, sizeof span, "span %p (class 5, 80-byte objects)",
		 (void *)((uintptr_t)p & ~(uintptr_t)(PG - 1)));
	expect_refused(p + 8, ptr, span); // interior
	expect_refused(&x, "outside the heap", "pointer 0x");
	expect_refused((char *)heap.pagemap + 16, "holds no object",
		       "pointer 0x"); // the heap's own
	snprintf(ptr, sizeof ptr, "pointer %p", (void *)(big + PG));
	expect_refused(big + PG, ptr, "inside an object");
	hobj_free(&heap, p);
	snprintf(ptr, sizeof ptr, "pointer %p", (void *)p);
	expect_refused(p, ptr, span); // double free
	expect_refused(p, "not in use", "80-byte");
	// never handed out: the next object of q's span
	expect_refused(q + 80, "not in use", span);
	hobj_free(&heap, big);
	expect_refused(big, "holds no object", "pointer 0x"); // a large double free
	hobj_free(&heap, q);
	expect_panic(hobj_malloc_usable_size(&heap, q), "malloc_usable_size(): invalid pointer");
	memset(held, 0, sizeof held);
	expect_panic(hobj_realloc(&heap, q, 10), "realloc(): invalid pointer");
	memset(held, 0, sizeof held);
}

// The check finds each kind of damage, and names it.
static void expect_found(enum hobj_err err, const char *needle)
{
	struct hobj_fault f;
	char msg[200];

	assert_int_equal(hobj_check(&heap, &f), err);
	hobj_fault_format(&f, msg, sizeof msg);
	if (strstr(msg, needle) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", msg, needle);
}

// big_class answers the first class whose span is more than one page.
static unsigned big_class(void)
{
	unsigned c = 1;

	while ((uintptr_t)hobj_class_npages[c] * HOBJ_UNIT <= PG)
		c++;
	return c;
}

static void test_check_finds_damage(void **state)
{
	char *p = hobj_malloc(&heap, 80), *q = hobj_malloc(&heap, 80), *r = hobj_malloc(&heap, 80);
	struct hobj_span *s = (struct hobj_span *)heap.pagemap[(off(p)) / PG];
	unsigned big = big_class(); // a class whose span is more than one page
	char *t;
	void *link;
	uintptr_t e;

	(void)state;
	t = hobj_malloc(&heap, hobj_class_size[big]);
	heap.checking = 0;
	hobj_free(&heap, q);
	hobj_free(&heap, p);
	check_ok();
	link = *(void **)p; // use after free: the link overwritten
	*(void **)p = p + 3;
	expect_found(HOBJ_EFREELIST, "free list entry wrong");
	*(void **)p = p; // a loop
	expect_found(HOBJ_EFREELIST, "free list entry wrong");
	*(void **)p = link;
	check_ok();
	r[80 * 2] = 1; // past r: never handed out, must be zero
	expect_found(HOBJ_EDIRTY, "not zero");
	r[80 * 2] = 0;
	s->inuse_bits[0] ^= 1u << 1; // q marked in use while listed free
	expect_found(HOBJ_EFREELIST, "free list entry wrong");
	s->inuse_bits[0] ^= 1u << 1;
	s->inuse++;
	expect_found(HOBJ_ECOUNT, "counts disagree");
	s->inuse--;
	e = heap.pagemap[off(t) / PG + 1];
	heap.pagemap[off(t) / PG + 1] = 0; // a span's second page lost
	expect_found(HOBJ_EPAGEMAP, "page map entry wrong");
	heap.pagemap[off(t) / PG + 1] = e;
	heap.class[s->cls].partial = NULL;
	expect_found(HOBJ_EPARTIAL, "partial list wrong");
	heap.class[s->cls].partial = s;
	s->divmul++; // the copy objects/fast.h trusts
	expect_found(HOBJ_ESPAN, "span record disagrees");
	s->divmul--;
	s->size = 96;
	expect_found(HOBJ_ESPAN, "span record disagrees");
	s->size = 80;
	check_ok();
	hobj_free(&heap, r);
	hobj_free(&heap, t);
}

// The span of an object.
static struct hobj_span *span_of(const void *p)
{
	return (struct hobj_span *)heap.pagemap[off(p) / PG];
}

// Through a cache: objects come from the cache's own span of their class,
// with no lock; the check (after every operation) walks it; stats count
// it. A span that runs dry stays the cache's, on its full list, and the
// cache takes another; frees into the first span then take no lock either
// (they took the class lock before spans were owned): it moves to the part
// list, and once empty stays there, one of the cache's HOBJ_NKEEP kept
// spans (a span of more than park_above bytes goes back to the pool
// unless it is the list's only span: test_cache_keeps_few_empty_spans). A flush gives
// every span back and leaves one span per class, as without caches.
static void test_cache_alloc_free(void **state)
{
	enum { M = 600, N = 1200 };
	static void *p[N]; // [0, M) in order, then from N down: the extra ones
	static struct hobj_cache a;
	unsigned c = hobj_class_of(100), k, n = N, taken;
	struct hobj_stats st;
	struct hobj_span *first, *last;

	(void)state;
	hobj_cache_init(&heap, &a, 1);
	cur = &a;
	for (k = 0; k < M; k++) {
		p[k] = hobj_malloc(&heap, 100);
		assert_non_null(p[k]);
		memset(p[k], 0x5a, 100);
	}
	first = span_of(p[0]);
	last = span_of(p[M - 1]);
	assert_true(M > 2 * hobj_class_nobj[c]); // three spans at least
	assert_ptr_equal(first->owner, &a);	 // ran dry: still the cache's, full
	assert_ptr_equal(a.full[c]->owner, &a);
	assert_ptr_equal(a.part[c], NULL);
	assert_ptr_equal(a.alloc[c], last);
	assert_ptr_equal(last->owner, &a);
	assert_int_equal(a.nowned[c], (M + hobj_class_nobj[c] - 1) / hobj_class_nobj[c]);
	assert_true(a.nalloc[c] > 0); // counted by the cache, not yet by the class
	hobj_stats(&heap, &st);
	assert_int_equal(st.inuse, M);
	assert_int_equal(st.nalloc, M);
	assert_int_equal(st.ncached, a.nowned[c]);
	heap.checking = 0; // the check takes every lock: count free's own
	taken = ntaken;
	hobj_free(&heap, p[0]); // a full span of the cache's: to its part list
	assert_int_equal(ntaken, taken);
	assert_ptr_equal(a.part[c], first);
	for (k = 1; k + 1 < hobj_class_nobj[c]; k++)
		hobj_free(&heap, p[k]);
	assert_int_equal(ntaken, taken);
	hobj_free(&heap, p[k++]); // emptied, the part list's only span: kept, no lock
	assert_int_equal(ntaken, taken);
	assert_ptr_equal(a.part[c], first);
	assert_int_equal(first->inuse, 0);
	assert_ptr_equal(a.kept[(a.kept_next + HOBJ_NKEEP - 1) % HOBJ_NKEEP], first);
	for (; k < 2 * hobj_class_nobj[c]; k++) // the second empties beside it: kept too
		hobj_free(&heap, p[k]);
	assert_int_equal(ntaken, taken);
	assert_ptr_equal(a.part[c], span_of(p[k - 1]));
	assert_ptr_equal(a.part[c]->next, first);
	assert_ptr_equal(a.kept[(a.kept_next + HOBJ_NKEEP - 1) % HOBJ_NKEEP], a.part[c]);
	assert_int_equal(a.part[c]->inuse, 0);
	heap.checking = 1;
	check_ok();
	for (; k < M; k++)
		hobj_free(&heap, p[k]);
	for (k = n; k < N; k++)
		hobj_free(&heap, p[k]);
	hobj_stats(&heap, &st);
	assert_int_equal(st.inuse, 0);
	assert_int_equal(st.nfree, M + N - n);
	hobj_cache_flush(&heap, &a);
	assert_ptr_equal(a.alloc[c], NULL);
	assert_ptr_equal(a.part[c], NULL);
	assert_ptr_equal(a.full[c], NULL);
	assert_int_equal(a.nowned[c], 0);
	hobj_stats(&heap, &st);
	assert_int_equal(st.ncached, 0);
	assert_int_equal(heap.class[c].nalloc, M + N - n); // the cache's counts are the class's now
	assert_int_equal(heap.class[c].nspan, 1);
	check_ok();
	hobj_cache_fini(&heap, &a);
	assert_ptr_equal(heap.caches, NULL);
	cur = NULL;
}

// expect_free_refused frees p through cache c, which must stop with
// "not in use" and leave everything as it was, the check green.
static void expect_free_refused(struct hobj_cache *c, void *p)
{
	cur = c;
	expect_refused(p, "not in use", "pointer 0x");
}

// A free from another cache: onto the span's remote list, under the class
// lock; the owner's bits untouched. A second free of that object is
// refused from every cache and from none; the owner takes the list back
// when its span runs dry, and the object is handed out again.
static void test_cache_cross_free(void **state)
{
	static struct hobj_cache a, b;
	unsigned c = hobj_class_of(48), k;
	struct hobj_span *s;
	struct hobj_stats st;
	void *p, *q, *r;

	(void)state;
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	cur = &a;
	p = hobj_malloc(&heap, 48);
	q = hobj_malloc(&heap, 48);
	s = span_of(p);
	assert_ptr_equal(s->owner, &a);
	cur = &b;
	hobj_free(&heap, p); // b frees a's object
	assert_int_equal(s->nremote, 1);
	assert_ptr_equal(s->remote, p);
	assert_int_equal(s->inuse, 2); // the owner's count, untouched
	hobj_stats(&heap, &st);
	assert_int_equal(st.inuse, 1);
	check_ok(); // b's view: a's span where the lock holds it
	cur = &a;
	check_ok(); // a's view: all of it
	cur = NULL;
	check_ok();
	expect_free_refused(&b, p);   // the same cache again
	expect_free_refused(&a, p);   // the owner: its remote bit
	expect_free_refused(NULL, p); // no cache: the class lock
	cur = &a;
	hobj_free(&heap, q);	    // the owner's own: no lock
	expect_free_refused(&b, q); // then another cache: its in-use bit is clear
	cur = &a;
	r = hobj_malloc(&heap, 48); // q, off the free list
	assert_ptr_equal(r, q);
	for (k = 2; k < hobj_class_nobj[c]; k++) // the rest of a's span
		assert_ptr_equal(span_of(hobj_malloc(&heap, 48)), s);
	r = hobj_malloc(&heap, 48); // dry: the remote list taken back, p with it
	assert_ptr_equal(r, p);
	assert_int_equal(s->nremote, 0);
	assert_ptr_equal(s->remote, NULL);
	assert_ptr_equal(a.alloc[c], s);
	hobj_cache_flush(&heap, &a);
	check_ok();
	hobj_cache_fini(&heap, &b);
	hobj_cache_fini(&heap, &a);
	cur = NULL;
}

// The outbox (objects.c): another cache's free claims the object with no
// lock and holds it back; a second free of it is refused from every
// cache and from none meanwhile, as is an interior pointer and the
// owner's own object; outbox_cap[c] frees send them to the span's remote
// list under one hold of the lock; one whose span went central since
// (its owner flushed) is freed there; the owner takes the rest back.
static void test_outbox(void **state)
{
	static struct hobj_cache a, b;
	unsigned c = hobj_class_of(48), k, cap;
	struct hobj_span *s;
	struct hobj_stats st;
	void *p[HOBJ_OUTBOX_MAX + 2];

	(void)state;
	heap.checking = 0; // the check after each free would find nremote ahead of the list
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	hobj_outbox_open(&heap, &b);
	cap = b.outbox_cap[c];
	assert_true(cap >= 2 && cap <= HOBJ_OUTBOX_MAX);
	assert_int_equal(b.outbox_cap[HOBJ_NCLASS - 1], 0); // 32 KiB: not batched
	assert_int_equal(a.outbox_cap[c], 0);		    // a's is closed
	cur = &a;
	for (k = 0; k < cap + 2; k++)
		p[k] = hobj_malloc(&heap, 48);
	s = span_of(p[0]);
	assert_ptr_equal(span_of(p[cap + 1]), s);
	cur = &a;
	assert_true(hobj_fast_kept(&a, s)); // a's, nothing remote: a's own frees take no lock
	assert_false(hobj_fast_kept(&b, s));
	assert_int_equal(hobj_fast_remote(&heap, &a, p[0]), 0); // the owner's own
	cur = &b;
	assert_int_equal(hobj_fast_remote(&heap, &b, (char *)p[0] + 8), 0); // interior
	assert_int_equal(hobj_fast_remote(&heap, &b, p[0]), 1);
	assert_int_equal(b.noutbox[c], 1);
	assert_int_equal(s->nremote, 1);
	assert_ptr_equal(s->remote, NULL);   // held back
	assert_false(hobj_fast_kept(&a, s)); // (the preload's realloc asks after its malloc)
	assert_int_equal(hobj_fast_free(&heap, &a, p[1]), 0); // the owner's takes the whole
	assert_int_equal(s->inuse, cap + 2);		      // path: nothing changed
	hobj_stats(&heap, &st);
	assert_int_equal(st.inuse, cap + 1);
	assert_int_equal(hobj_fast_remote(&heap, &b, p[0]), 0); // a double free declines,
	expect_free_refused(&b, p[0]);				// and is refused
	expect_free_refused(&a, p[0]);				// by the owner too
	expect_free_refused(NULL, p[0]);
	assert_int_equal(b.noutbox[c], 1);
	cur = &b;
	for (k = 1; k < cap; k++) // the cap-th sends them all
		assert_int_equal(hobj_fast_remote(&heap, &b, p[k]), 1);
	assert_int_equal(b.noutbox[c], 0);
	assert_ptr_equal(b.outbox[c], NULL);
	assert_int_equal(s->nremote, cap);
	assert_int_equal(s->rlisted, 1);
	check_ok(); // nremote is the remote list again
	cur = &a;
	check_ok();
	cur = &b; // one more held back, then a's span goes central
	assert_int_equal(hobj_fast_remote(&heap, &b, p[cap]), 1);
	cur = &a;
	hobj_cache_flush(&heap, &a); // the remote list taken back: cap objects free
	assert_ptr_equal(s->owner, NULL);
	assert_int_equal(s->nremote, 1);
	expect_free_refused(NULL, p[cap]); // central: its remote bit refuses it
	cur = &b;
	hobj_outbox_flush(&heap, &b, c); // freed there
	assert_int_equal(s->nremote, 0);
	assert_int_equal(s->inuse, 1);
	hobj_stats(&heap, &st);
	assert_int_equal(st.inuse, 1);
	cur = NULL;
	check_ok();
	cur = &b; // and the last one waits in b's outbox until b goes
	assert_int_equal(hobj_fast_remote(&heap, &b, p[cap + 1]), 0); // central: no outbox
	hobj_free(&heap, p[cap + 1]);
	hobj_stats(&heap, &st);
	assert_int_equal(st.inuse, 0);
	hobj_cache_fini(&heap, &b);
	hobj_cache_fini(&heap, &a);
	cur = NULL;
	check_ok();
	heap.checking = 1;
}

// A flush takes the remote list back first: the span central, its
// objects free, a double free still refused; an empty span stays listed
// if it is its class's only one, else goes back to the pool.
static void test_cache_flush_remote(void **state)
{
	static struct hobj_cache a, b;
	unsigned c = hobj_class_of(200);
	struct hobj_span *s;
	uintptr_t inuse0;
	void *p, *q;

	(void)state;
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	cur = &b; // b takes a span of class c first: it stays the class's
	q = hobj_malloc(&heap, 200);
	cur = &a;
	p = hobj_malloc(&heap, 200);
	s = span_of(p);
	assert_ptr_not_equal(s, span_of(q));
	inuse0 = mempool.inuse;
	cur = &b;
	hobj_free(&heap, p);
	hobj_cache_flush(&heap, &a); // s empty once p is back, and the only listed
	assert_ptr_equal(a.alloc[c], NULL);
	assert_ptr_equal(s->owner, NULL);
	assert_ptr_equal(heap.class[c].partial, s);
	assert_int_equal(s->inuse, 0);
	assert_int_equal(mempool.inuse, inuse0);
	expect_free_refused(&b, p);
	cur = &b;
	hobj_free(&heap, q);
	hobj_cache_fini(&heap, &b); // q's span empty, s listed: q's to the pool
	assert_int_equal(heap.class[c].nspan, 1);
	assert_ptr_equal(heap.class[c].partial, s);
	assert_int_equal(mempool.inuse, inuse0 - hobj_class_npages[c] * HOBJ_UNIT);
	check_ok();
	hobj_cache_fini(&heap, &a);
	cur = NULL;
}

// A cache whose owner vanished (a forked child's other threads) is
// buried, not flushed: b owns three spans of class c, one full (its
// objects still in use, one of them freed remotely by a, not yet taken
// back), one half used and its active span caught halfway through a free
// (the in-use bit cleared, the object not yet on the free list, inuse not
// yet lowered). Buried: b leaves the heap's caches; the two that hold
// together go to the class (the remote list taken back first); the one
// caught mid-change is the heir's, with nothing of it changed; every
// check passes; a takes the rest of b's objects back through the class
// and a free into the heir's span goes onto its remote list; b's counts
// are the classes' (objects in use: the one caught halfway).
static void test_cache_bury(void **state)
{
	static struct hobj_cache a, b, heir;
	unsigned c = hobj_class_of(100), n = hobj_class_nobj[c], k, i;
	struct hobj_stats st;
	struct hobj_span *full, *half, *mid;
	struct hobj_cache *q;
	void **objs = calloc(3 * n, sizeof *objs);
	uint64_t bits;
	uint16_t inuse;
	void *p;

	(void)state;
	assert_non_null(objs);
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	hobj_cache_init(&heap, &heir, -1);
	hobj_fast_close(&heir);
	cur = &b;
	for (k = 0; k < 2 * n + 2; k++)
		objs[k] = hobj_malloc(&heap, 100);
	full = span_of(objs[0]);
	half = span_of(objs[n]);
	mid = span_of(objs[2 * n]);
	assert_ptr_not_equal(full, half);
	assert_ptr_not_equal(half, mid);
	assert_ptr_equal(b.alloc[c], mid);
	for (k = n; k < n + n / 2; k++) // half: half of it back
		hobj_free(&heap, objs[k]);
	cur = &a;
	hobj_free(&heap, objs[1]); // a remote free into full
	assert_int_equal(full->nremote, 1);
	// mid, halfway through b's free of objs[2n + 1]: its bit cleared, no more
	i = hobj_index(mid, (uintptr_t)objs[2 * n + 1]);
	mid->inuse_bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
	bits = mid->inuse_bits[i >> 6];
	inuse = mid->inuse;
	cur = NULL;
	hobj_cache_bury(&heap, &a, &heir);
	for (q = heap.caches; q != NULL; q = q->next)
		assert_ptr_not_equal(q, &b);
	assert_ptr_equal(full->owner, NULL);
	assert_int_equal(full->nremote, 0); // objs[1] free again
	assert_int_equal(full->inuse, n - 1);
	assert_ptr_equal(half->owner, NULL);
	assert_ptr_equal(mid->owner, &heir);
	assert_int_equal(heir.nowned[c], 1);
	assert_int_equal(mid->inuse, inuse);
	assert_true(mid->inuse_bits[i >> 6] == bits);
	check_ok();
	check_classes_ok();
	cur = &a; // the rest of full's and half's objects, through the class
	for (k = 0; k < 2 * n; k++)
		if (k != 1 && (k < n || k >= n + n / 2))
			hobj_free(&heap, objs[k]);
	hobj_free(&heap, objs[2 * n]); // into the heir's span: onto its remote list
	assert_int_equal(mid->nremote, 1);
	assert_ptr_equal(heir.rspans[c], mid);
	check_ok();
	p = hobj_malloc(&heap, 100);
	assert_non_null(p);
	hobj_free(&heap, p);
	check_ok();
	hobj_stats(&heap, &st); // b's counts folded: objs[2n + 1] alone in use
	assert_int_equal(st.inuse, 1);
	hobj_cache_fini(&heap, &a);
	cur = NULL;
	check_ok();
	free(objs);
}

// With park_above UINTPTR_MAX (the image's choice, kernel/kobj.c) nothing
// is parked: each class's emptied active span stays active, the pool's
// bytes in use do not move, and a malloc of either class takes no span.
static void test_cache_no_parking(void **state)
{
	static struct hobj_cache a;
	unsigned c1 = 1, c2;
	uintptr_t inuse0;
	void *p, *q;

	(void)state;
	while (hobj_class_npages[c1] * HOBJ_UNIT <= HOBJ_SPARE_MIN)
		c1++;
	for (c2 = c1 + 1; hobj_class_npages[c2] * HOBJ_UNIT <= HOBJ_SPARE_MIN; c2++)
		;
	heap.park_above = UINTPTR_MAX;
	hobj_cache_init(&heap, &a, 1);
	cur = &a;
	heap.checking = 1;
	p = hobj_malloc(&heap, hobj_class_size[c1]);
	q = hobj_malloc(&heap, hobj_class_size[c2]);
	hobj_free(&heap, p);
	inuse0 = mempool.inuse;
	hobj_free(&heap, q);
	assert_ptr_equal(a.spare, NULL);
	assert_ptr_not_equal(a.alloc[c1], NULL);
	assert_ptr_not_equal(a.alloc[c2], NULL);
	assert_int_equal(mempool.inuse, inuse0);
	assert_ptr_equal(hobj_malloc(&heap, hobj_class_size[c1]), p);
	hobj_free(&heap, p);
	check_ok();
	hobj_cache_flush(&heap, &a);
	hobj_cache_fini(&heap, &a);
	cur = NULL;
	heap.park_above = HOBJ_SPARE_MIN;
}

// An active span of more than HOBJ_SPARE_MIN bytes that empties becomes
// the cache's spare; the spare before it, still empty and active, goes back to the
// pool: a cache whose objects passed through many large classes once
// keeps one empty span, not one per class. A smaller span stays active.
// Through hobj_free and through the fast path alike.
static void test_cache_spare(void **state)
{
	static struct hobj_cache a;
	unsigned c1 = 1, c2, c3 = hobj_class_of(16);
	uintptr_t inuse0;
	void *p, *q, *r;
	int fast;

	(void)state;
	while (hobj_class_npages[c1] * HOBJ_UNIT <= HOBJ_SPARE_MIN)
		c1++;
	for (c2 = c1 + 1; hobj_class_npages[c2] * HOBJ_UNIT <= HOBJ_SPARE_MIN; c2++)
		;
	hobj_cache_init(&heap, &a, 1);
	cur = &a;
	for (fast = 0; fast < 2; fast++) {
		heap.checking = !fast;
		p = hobj_malloc(&heap, hobj_class_size[c1]);
		q = hobj_malloc(&heap, hobj_class_size[c2]);
		r = hobj_malloc(&heap, 16);
		if (fast) { // the span that empties parks from the fast path too
			assert_true(hobj_fast_free(&heap, &a, r));
			assert_true(hobj_fast_free(&heap, &a, p));
		} else {
			hobj_free(&heap, r);
			hobj_free(&heap, p);
		}
		assert_ptr_equal(a.spare, a.alloc[c1]);
		assert_ptr_not_equal(a.alloc[c3], NULL); // a unit's span stays active
		inuse0 = mempool.inuse;
		hobj_free(&heap, q); // c2's span the spare, c1's to the pool
		assert_ptr_equal(a.spare, a.alloc[c2]);
		assert_ptr_equal(a.alloc[c1], NULL);
		assert_int_equal(heap.class[c1].nspan, 0);
		assert_int_equal(mempool.inuse, inuse0 - hobj_class_npages[c1] * HOBJ_UNIT);
		p = hobj_malloc(&heap, hobj_class_size[c2]); // the spare taken from again
		assert_ptr_equal(p, q);
		if (fast) // the spare empties in the fast path: a malloc and free in a loop
			assert_true(hobj_fast_free(&heap, &a, p));
		else
			hobj_free(&heap, p);
		assert_ptr_equal(a.spare, a.alloc[c2]);
		check_ok();
		hobj_cache_flush(&heap, &a);
		assert_ptr_equal(a.spare, NULL);
	}
	hobj_cache_fini(&heap, &a);
	cur = NULL;
}

// A cache keeps the last HOBJ_NKEEP spans that emptied on their part lists
// (of at most HOBJ_SPARE_MIN bytes, the active span having room); the one
// before them goes back to the pool when the next is kept.
static void test_cache_keeps_few_empty_spans(void **state)
{
	static struct hobj_cache a;
	static void *p[HOBJ_MAXOBJ + 1];
	unsigned cls[HOBJ_NKEEP + 1], c, i, k, n = 0;

	(void)state;
	hobj_cache_init(&heap, &a, 1);
	cur = &a;
	heap.checking = 0;
	for (c = 1; n < HOBJ_NKEEP + 1; c++) {
		if (hobj_class_npages[c] * HOBJ_UNIT > HOBJ_SPARE_MIN)
			continue;
		cls[n++] = c;
		for (i = 0; i <= hobj_class_nobj[c]; i++) // a full span and one object more
			p[i] = hobj_malloc(&heap, hobj_class_size[c]);
		for (i = 0; i < hobj_class_nobj[c]; i++) // the first span empties: kept
			hobj_free(&heap, p[i]);
		assert_ptr_equal(a.part[c], span_of(p[0]));
		assert_int_equal(heap.class[c].nspan, 2);
	}
	assert_ptr_equal(a.part[cls[0]], NULL); // the oldest went back to the pool
	assert_int_equal(heap.class[cls[0]].nspan, 1);
	for (k = 1; k <= HOBJ_NKEEP; k++)
		assert_non_null(a.part[cls[k]]);
	heap.checking = 1;
	check_ok();
	hobj_cache_fini(&heap, &a);
	cur = NULL;
}

// A producer's spans emptied by another cache's frees go back to the pool
// when the producer takes their remote lists back, but for sixteen (the
// next refills'): a thread whose objects others free does not keep every
// span it filled.
static void test_cache_drain_gives_back(void **state)
{
	enum { KEEP = 16, FULL = KEEP + 2 }; // objects/cache.c's DRAIN_KEEP; two spans more
	static struct hobj_cache a, b;
	unsigned c = hobj_class_of(512), k, nobj = hobj_class_nobj[hobj_class_of(512)];
	static void *p[(FULL + 2) * HOBJ_MAXOBJ];
	uintptr_t inuse0;

	(void)state;
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	cur = &a;
	for (k = 0; k < FULL * nobj + 1; k++) // FULL spans full, one more active
		p[k] = hobj_malloc(&heap, 512);
	assert_int_equal(a.nowned[c], FULL + 1);
	inuse0 = mempool.inuse;
	cur = &b;
	for (k = 0; k < FULL * nobj; k++) // the full spans emptied, remotely
		hobj_free(&heap, p[k]);
	assert_non_null(a.rspans[c]);
	cur = &a;
	while (a.alloc[c]->inuse < a.alloc[c]->nobj) // the active span dry
		p[k++] = hobj_malloc(&heap, 512);
	p[k++] = hobj_malloc(&heap, 512); // the refill drains: KEEP spans kept, two back
	assert_ptr_equal(a.rspans[c], NULL);
	assert_int_equal(a.nowned[c], KEEP + 1);
	assert_int_equal(mempool.inuse, inuse0 - 2 * hobj_class_npages[c] * HOBJ_UNIT);
	check_ok();
	while (k > FULL * nobj)
		hobj_free(&heap, p[--k]);
	hobj_cache_fini(&heap, &a);
	hobj_cache_fini(&heap, &b);
	check_ok();
	cur = NULL;
}

// The fast path alone: it serves the cache's own span and declines, with
// nothing changed, whatever needs a lock or a refusal; hobj_malloc and
// hobj_free then do it.
static void test_cache_fast_path(void **state)
{
	static struct hobj_cache a, b;
	struct obj_snap s0, s1;
	void *p, *q, *big;
	int x;

	(void)state;
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	heap.checking = 0; // the consumer's rule: no fast path while checking
	cur = &a;
	assert_null(hobj_fast_malloc(&heap, &a, 64)); // no active span yet: a refill
	p = hobj_cache_malloc(&heap, &a, 64);	      // the refill
	assert_non_null(p);
	hobj_fast_close(&a);
	obj_snap(&s0);
	assert_int_equal(hobj_fast_free(&heap, &a, p), 0); // a's own, but closed: declined
	assert_int_equal(hobj_fast_size(&heap, &a, p), 0);
	obj_snap(&s1);
	assert_memory_equal(&s0, &s1, sizeof s0);
	hobj_fast_open(&heap, &a);
	assert_ptr_equal(a.alloc[hobj_class_of(64)], span_of(p));
	{ // hobj_fast_alloc says which objects are zero: only a never-handed-out one
		int zero = -1;
		void *r = hobj_fast_alloc(&a, 64, &zero);

		assert_int_equal(zero, 1);
		*(long *)r = 5;
		hobj_free(&heap, r);
		assert_ptr_equal(hobj_fast_alloc(&a, 64, &zero), r);
		assert_int_equal(zero, 0);
		hobj_free(&heap, r);
	}
	q = hobj_fast_malloc(&heap, &a, 64);
	assert_ptr_equal(span_of(q), span_of(p));
	assert_null(hobj_fast_malloc(&heap, &a, HOBJ_MAX_SMALL + 1));
	big = hobj_malloc(&heap, HOBJ_MAX_SMALL + 1);
	obj_snap(&s0);
	assert_int_equal(hobj_fast_free(&heap, &b, p), 0);	       // another cache's object
	assert_int_equal(hobj_fast_free(&heap, &a, big), 0);	       // a large object
	assert_int_equal(hobj_fast_free(&heap, &a, (char *)p + 8), 0); // interior
	assert_int_equal(hobj_fast_free(&heap, &a, &x), 0);	       // outside
	obj_snap(&s1);
	assert_memory_equal(&s0, &s1, sizeof s0);
	// hobj_fast_size: the size of a's own object in use; 0 for the rest
	assert_int_equal(hobj_fast_size(&heap, &a, p), hobj_class_size[hobj_class_of(64)]);
	assert_int_equal(hobj_fast_size(&heap, &b, p), 0); // another cache's object
	assert_int_equal(hobj_fast_size(&heap, &a, big), 0);
	assert_int_equal(hobj_fast_size(&heap, &a, (char *)p + 8), 0);
	assert_int_equal(hobj_fast_size(&heap, &a, &x), 0);
	obj_snap(&s1);
	assert_memory_equal(&s0, &s1, sizeof s0);
	assert_int_equal(hobj_fast_free(&heap, &a, p), 1);
	assert_int_equal(hobj_fast_size(&heap, &a, p), 0); // freed
	assert_int_equal(hobj_fast_free(&heap, &a, p), 0); // a double free: declined
	heap.checking = 1;
	expect_refused(p, "not in use", "pointer 0x"); // and refused by hobj_free
	heap.checking = 0;
	hobj_free(&heap, q);
	hobj_free(&heap, big);
	// the active span dry, the fast path declines; the refill makes the
	// next span of the part list active, no lock taken
	{
		static void *o[2 * HOBJ_MAXOBJ];
		unsigned c = hobj_class_of(64), k, n = 2 * hobj_class_nobj[c], taken;
		struct hobj_span *s2;

		for (k = 0; k < n; k++)
			o[k] = hobj_malloc(&heap, 64);
		s2 = span_of(o[0]) == a.alloc[c] ? span_of(o[n - 1]) : span_of(o[0]);
		hobj_free(&heap, o[k = (span_of(o[0]) == s2 ? 0 : n - 1)]); // a hole in s2
		while (a.alloc[c]->inuse < a.alloc[c]->nobj)
			assert_non_null(hobj_fast_malloc(&heap, &a, 64));
		assert_ptr_equal(a.part[c], s2);
		taken = ntaken;
		assert_null(hobj_fast_malloc(&heap, &a, 64));
		assert_ptr_equal(hobj_cache_malloc(&heap, &a, 64), o[k]);
		assert_int_equal(ntaken, taken);
		assert_ptr_equal(a.alloc[c], s2);
	}
	hobj_cache_fini(&heap, &a);
	hobj_cache_fini(&heap, &b);
	heap.checking = 1;
	check_ok();
	cur = NULL;
}

// objects/fast.h's index and start test, for every class and every offset
// of its span: (off * divmul) >> 32 is off / size, and the product's low
// 32 bits are below divmul exactly at an object's start; the index is
// within the in-use bitmap, and an index past the last object (the tail)
// is at most nobj, whose bit stays clear. A span's record carries its
// class's size and divmul.
static void test_fast_divmul(void **state)
{
	unsigned c, i, bytes, off, size;
	uint64_t q;
	void *p;

	(void)state;
	for (c = 1; c < HOBJ_NCLASS; c++) {
		size = hobj_class_size[c];
		bytes = hobj_class_npages[c] * HOBJ_UNIT;
		for (off = 0; off < bytes; off++) {
			q = (uint64_t)off * hobj_class_divmul[c];
			i = (unsigned)(q >> 32);
			assert_int_equal(i, off / size);
			assert_int_equal((uint32_t)q < hobj_class_divmul[c], off % size == 0);
			assert_true(i < HOBJ_MAXOBJ);
			assert_true(i <= hobj_class_nobj[c]);
		}
		p = hobj_malloc(&heap, size);
		assert_int_equal(span_of(p)->size, size);
		assert_int_equal(span_of(p)->divmul, hobj_class_divmul[c]);
		hobj_free(&heap, p);
	}
}

// The fast free's refusals, which the whole path then makes: a pointer into
// a span's tail, an object on its remote list freed again (its in-use bit
// still set); nothing changed by the fast path. hobj_cache_free puts
// another cache's object on the remote list and refuses what hobj_free
// refuses, nothing changed. And its moves, made as
// hobj_free makes them (hobj_cache_settle): a full span's first free moves
// it to the part list; its last leaves it empty there, kept; counted.
static void test_fast_free_refusals_and_moves(void **state)
{
	static struct hobj_cache a, b;
	static void *o[HOBJ_MAXOBJ + 1];
	unsigned c = hobj_class_of(384), k, n = hobj_class_nobj[c];
	struct obj_snap s0, s1;
	struct hobj_stats st0, st1;
	struct hobj_span *s;
	char *tail;
	void *r;

	(void)state;
	assert_true(hobj_class_npages[c] * HOBJ_UNIT > n * hobj_class_size[c]); // a tail
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	heap.checking = 0;
	cur = &a;
	for (k = 0; k < n + 1; k++) // a full span, and one object of the next
		assert_non_null(o[k] = hobj_cache_malloc(&heap, &a, 384));
	s = span_of(o[0]);
	assert_ptr_equal(a.full[c], s);
	tail = (char *)s->base + n * hobj_class_size[c];
	obj_snap(&s0);
	assert_int_equal(hobj_fast_free(&heap, &a, tail), 0);
	assert_int_equal(hobj_fast_size(&heap, &a, tail), 0);
	obj_snap(&s1);
	assert_memory_equal(&s0, &s1, sizeof s0);
	heap.checking = 1;
	expect_refused(tail, "pointer 0x", "span 0x"); // the whole path names it
	heap.checking = 0;
	// what a consumer with HOBJ_FAST_SETTLE 0 (the image) leaves to the
	// whole path: a free into a full span, or one that would empty a span
	// off the active place; not the active span's, which stays
	assert_true(hobj_fast_moves(&heap, &a, s));
	assert_ptr_equal(a.alloc[c], span_of(o[n]));
	assert_true(a.alloc[c]->inuse == 1 && a.alloc[c]->bytes <= heap.park_above);
	assert_false(hobj_fast_moves(&heap, &a, a.alloc[c]));
	hobj_stats(&heap, &st0);
	assert_int_equal(hobj_fast_free(&heap, &a, o[0]), 1);
	assert_ptr_equal(a.part[c], s); // was full
	assert_ptr_equal(a.full[c], NULL);
	assert_false(hobj_fast_moves(&heap, &a, s)); // n - 1 in use: neither full nor emptying
	for (k = 1; k < n; k++) {
		assert_int_equal(hobj_fast_moves(&heap, &a, s), k == n - 1);
		assert_int_equal(hobj_fast_free(&heap, &a, o[k]), 1);
	}
	assert_int_equal(s->inuse, 0);
	assert_ptr_equal(a.part[c], s); // empty, kept for the refills to come
	hobj_stats(&heap, &st1);
	assert_int_equal(st1.nfree - st0.nfree, n);
	assert_int_equal(st1.inuse, st0.inuse - n);
	heap.checking = 1;
	check_ok();
	heap.checking = 0;
	// an object of a's freed by b goes on the remote list; a's fast free of
	// it again declines, and the whole path refuses it
	r = hobj_cache_malloc(&heap, &a, 384);
	cur = &b;
	obj_snap(&s0);
	assert_int_equal(hobj_cache_free(&heap, &b, tail), 0); // refused: nothing changed
	assert_int_equal(hobj_cache_free(&heap, &b, &s0), 0);
	obj_snap(&s1);
	assert_memory_equal(&s0, &s1, sizeof s0);
	assert_int_equal(hobj_cache_free(&heap, &b, r), 1); // onto the remote list
	assert_int_equal(s->nremote + span_of(r)->nremote, 1);
	assert_int_equal(hobj_cache_free(&heap, &b, r), 0); // again: refused
	cur = &a;
	obj_snap(&s0);
	assert_int_equal(hobj_fast_free(&heap, &a, r), 0);
	assert_int_equal(hobj_fast_size(&heap, &a, r), 0);
	obj_snap(&s1);
	assert_memory_equal(&s0, &s1, sizeof s0);
	heap.checking = 1;
	expect_refused(r, "not in use", "pointer 0x");
	hobj_free(&heap, o[n]);
	hobj_cache_fini(&heap, &a);
	hobj_cache_fini(&heap, &b);
	check_ok();
	cur = NULL;
}

// The check finds a cache's span broken: a remote list entry not in use,
// or a cache's span that names another owner.
static void test_cache_check_finds_damage(void **state)
{
	static struct hobj_cache a, b;
	struct hobj_span *s;
	void *p, *q;

	(void)state;
	heap.checking = 0;
	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	cur = &a;
	p = hobj_malloc(&heap, 64);
	q = hobj_malloc(&heap, 64);
	s = span_of(p);
	cur = &b;
	hobj_free(&heap, p);
	check_ok();
	s->inuse_bits[0] ^= 1u; // p on the remote list but not in use
	expect_found(HOBJ_EFREELIST, "free list entry wrong");
	s->inuse_bits[0] ^= 1u;
	s->nremote++;
	expect_found(HOBJ_ECOUNT, "counts disagree");
	s->nremote--;
	s->owner = &b; // b does not hold it
	expect_found(HOBJ_ECACHE, "a cache and its spans disagree");
	s->owner = &a;
	s->rlisted = 0; // remote objects, but not on a's rspans list
	expect_found(HOBJ_ECOUNT, "counts disagree");
	s->rlisted = 1;
	a.rspans[s->cls] = NULL; // rlisted, but on no list
	expect_found(HOBJ_ECACHE, "a cache and its spans disagree");
	a.rspans[s->cls] = s;
	a.nowned[s->cls]++; // a owns one span, not two
	expect_found(HOBJ_ECACHE, "a cache and its spans disagree");
	a.nowned[s->cls]--;
	cur = &a;
	a.alloc[s->cls] = NULL; // s on a's full list, with free objects
	a.full[s->cls] = s;
	expect_found(HOBJ_ECACHE, "a cache and its spans disagree");
	a.full[s->cls] = NULL;
	a.part[s->cls] = s; // on the part list: as good as active
	check_ok();
	a.part[s->cls] = NULL;
	a.alloc[s->cls] = s;
	s->inuse++; // the owner's count: its own check sees it
	expect_found(HOBJ_ECOUNT, "counts disagree");
	cur = &b;
	check_ok(); // another cache's check does not read it
	s->inuse--;
	cur = &a;
	hobj_free(&heap, q);
	hobj_cache_fini(&heap, &a);
	hobj_cache_fini(&heap, &b);
	check_ok();
	cur = NULL;
}

// The random mix of every call through two caches, the objects of one
// freed by the other half the time; the check after every operation.
static void test_cache_random_mix(void **state)
{
	static struct hobj_cache a, b;

	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	mix_caches[0] = &a;
	mix_caches[1] = &b;
	test_random_mix(state);
	mix_caches[0] = mix_caches[1] = NULL;
	hobj_cache_fini(&heap, &a);
	hobj_cache_fini(&heap, &b);
	check_ok();
	cur = NULL;
}

// No class lock and no large lock is held while the pool works (objects.c,
// "Transit"): under --smp 4 a CPU that wanted a class or the large lock
// waited out another's pool call, zeroing included. The pool's lock hook
// counts each time it is taken under one of them (the check, which holds
// them all, aside); the random mix runs on the central paths, then on two
// caches.
static const struct heaplab_ops *watched;
static unsigned pool_under_lock;

static void watch_lock(struct heaplab_pool *pool)
{
	unsigned lk, n = 0;

	for (lk = 1; lk < HOBJ_NCLASS; lk++)
		n += held[lk];
	if (n != HOBJ_NCLASS - 1 && (n != 0 || held[HOBJ_LOCK_LARGE]))
		pool_under_lock++;
	if (watched->lock != NULL)
		watched->lock(pool);
}

static void test_pool_unlocked(void **state)
{
	static struct heaplab_ops ops;

	watched = mempool.ops;
	ops = *watched;
	ops.lock = watch_lock;
	mempool.ops = &ops;
	pool_under_lock = 0;
	test_random_mix(state);
	test_cache_random_mix(state);
	mempool.ops = watched;
	assert_int_equal(pool_under_lock, 0);
	check_ok();
}

// The check walks the spans, most of its time, under the class locks
// alone (objects/check.c): it takes the pool's lock once before that walk,
// for the pool's top, with every class lock held and the large lock free,
// and once after it, the large lock held too. Under --smp 4 the whole
// walk held the large lock and the pool's, and large objects waited.
static unsigned check_pool_takes[2]; // by whether the large lock was held

static void watch_check_lock(struct heaplab_pool *pool)
{
	unsigned lk, n = 0;

	for (lk = 1; lk < HOBJ_NCLASS; lk++)
		n += held[lk];
	if (n == HOBJ_NCLASS - 1)
		check_pool_takes[held[HOBJ_LOCK_LARGE]]++;
	if (watched->lock != NULL)
		watched->lock(pool);
}

static void test_check_spans_without_large_lock(void **state)
{
	static struct heaplab_ops ops;
	void *p = hobj_malloc(&heap, 100), *big = hobj_malloc(&heap, 100000);

	(void)state;
	assert_non_null(p);
	assert_non_null(big);
	watched = mempool.ops;
	ops = *watched;
	ops.lock = watch_check_lock;
	mempool.ops = &ops;
	memset(check_pool_takes, 0, sizeof check_pool_takes);
	check_ok();
	mempool.ops = watched;
	assert_int_equal(check_pool_takes[0], 1);
	assert_int_equal(check_pool_takes[1], 1);
	hobj_free(&heap, p);
	hobj_free(&heap, big);
	check_ok();
}

// The caller's cache's spans are checked before any lock is taken (only
// their owner changes their objects): damage in one is found with no lock
// taken; in a span of the central list, under its class lock.
static void test_check_mine_unlocked(void **state)
{
	static struct hobj_cache a;
	struct hobj_fault f;
	unsigned char *p, *q;

	(void)state;
	heap.checking = 0;
	q = hobj_malloc(&heap, 48); // central
	hobj_cache_init(&heap, &a, 1);
	cur = &a;
	p = hobj_malloc(&heap, 64);
	assert_non_null(p);
	assert_non_null(q);
	p[64 + 3] = 1; // the next object, never handed out
	ntaken = 0;
	assert_int_equal(hobj_check(&heap, &f), HOBJ_EDIRTY);
	assert_int_equal(f.ptr, (uintptr_t)p + 64 + 3);
	assert_int_equal(ntaken, 0);
	p[64 + 3] = 0;
	q[48 + 5] = 1;
	ntaken = 0;
	assert_int_equal(hobj_check(&heap, &f), HOBJ_EDIRTY);
	assert_int_equal(f.ptr, (uintptr_t)q + 48 + 5);
	assert_true(ntaken > 0);
	q[48 + 5] = 0;
	hobj_free(&heap, p);
	hobj_cache_fini(&heap, &a);
	cur = NULL;
	hobj_free(&heap, q);
	check_ok();
}

// expect_class_found: the check of class c alone finds err, naming
// needle, holding one lock at most; every other class's check passes.
static void expect_class_found(unsigned c, enum hobj_err err, const char *needle)
{
	struct hobj_fault f;
	char msg[200];
	unsigned k;

	mostheld = 0;
	assert_int_equal(hobj_check_class(&heap, c, &f), err);
	assert_true(mostheld <= 1);
	assert_int_equal(nheld, 0);
	hobj_fault_format(&f, msg, sizeof msg);
	if (strstr(msg, needle) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", msg, needle);
	for (k = 1; k < HOBJ_NCLASS; k++)
		if (k != c && hobj_check_class(&heap, k, &f) != HOBJ_OK)
			fail_msg("class %u: a fault planted in class %u found there", k, c);
}

// The class-by-class check (hobj_check_class) finds damage planted in a
// class, under that class's lock alone: in a central span's objects, its
// pages, the class's list and counts; in the caller's cache's spans with
// no lock, its counts of the class under the lock (a span of another
// cache's that names the caller's). A class out of range stops the
// machine.
static void test_check_class(void **state)
{
	static struct hobj_cache a, b;
	unsigned c = hobj_class_of(80), big = big_class(), cm = hobj_class_of(64);
	char *p = hobj_malloc(&heap, 80), *q = hobj_malloc(&heap, 80), *t, *m, *n;
	struct hobj_span *s = span_of(p), *ms, *ns;
	struct hobj_fault f;
	void *link;
	uintptr_t e;

	(void)state;
	t = hobj_malloc(&heap, hobj_class_size[big]);
	heap.checking = 0;
	hobj_free(&heap, q);
	check_classes_ok();
	link = *(void **)q; // use after free: the link overwritten
	*(void **)q = q + 3;
	expect_class_found(c, HOBJ_EFREELIST, "free list entry wrong");
	*(void **)q = link;
	q[80 * 2] = 1; // past p: never handed out, must be zero
	expect_class_found(c, HOBJ_EDIRTY, "not zero");
	q[80 * 2] = 0;
	s->inuse++;
	expect_class_found(c, HOBJ_ECOUNT, "counts disagree");
	s->inuse--;
	heap.class[c].nspan++;
	expect_class_found(c, HOBJ_ECOUNT, "counts disagree");
	heap.class[c].nspan--;
	heap.class[c].partial = NULL;
	expect_class_found(c, HOBJ_EPARTIAL, "partial list wrong");
	heap.class[c].partial = s;
	e = heap.pagemap[off(t) / PG + 1];
	heap.pagemap[off(t) / PG + 1] = 0; // a span's second page lost
	expect_class_found(big, HOBJ_EPAGEMAP, "page map entry wrong");
	heap.pagemap[off(t) / PG + 1] = e;
	check_classes_ok();

	hobj_cache_init(&heap, &a, 1);
	hobj_cache_init(&heap, &b, 2);
	cur = &a;
	m = hobj_malloc(&heap, 64);
	ms = span_of(m);
	assert_ptr_equal(ms->owner, &a);
	check_classes_ok();
	m[64 + 3] = 1; // the cache's span: found with no lock taken
	ntaken = 0;
	assert_int_equal(hobj_check_class(&heap, cm, &f), HOBJ_EDIRTY);
	assert_int_equal(f.ptr, (uintptr_t)m + 64 + 3);
	assert_int_equal(ntaken, 0);
	m[64 + 3] = 0;
	a.alloc[cm] = NULL; // the active span lost: nowned says one more
	expect_class_found(cm, HOBJ_ECACHE, "a cache and its spans disagree");
	a.alloc[cm] = ms;
	a.rspans[cm] = ms; // listed as holding remote objects, but it holds none
	expect_class_found(cm, HOBJ_ECACHE, "a cache and its spans disagree");
	a.rspans[cm] = NULL;
	check_classes_ok();
	cur = &b;
	n = hobj_malloc(&heap, 64); // b's span, which a's walk of the class meets
	ns = span_of(n);
	assert_ptr_equal(ns->owner, &b);
	cur = &a;
	check_classes_ok();
	ns->owner = &a; // a's, says the span: a's lists and nowned say not
	expect_class_found(cm, HOBJ_ECACHE, "a cache and its spans disagree");
	ns->owner = &b;
	cur = &b;
	hobj_free(&heap, n);
	hobj_cache_fini(&heap, &b);
	cur = &a;
	hobj_free(&heap, m);
	hobj_cache_fini(&heap, &a);
	cur = NULL;
	expect_panic(hobj_check_class(&heap, 0, &f), "no such class");
	expect_panic(hobj_check_class(&heap, HOBJ_NCLASS, &f), "no such class");
	hobj_free(&heap, p);
	hobj_free(&heap, t);
	check_ok();
	check_classes_ok();
}

// Each class lists every span of its class (struct hobj_class, spans),
// linked and unlinked with it: the full check holds the lists against the
// page map (every span listed once, on its class's list, nothing else),
// and the class check walks the list instead of the page map, so it finds
// a list that loops back or names another class's span. A span on no
// list only the full check finds.
static void test_span_lists(void **state)
{
	static char *o[HOBJ_MAXOBJ + 1];
	unsigned c = hobj_class_of(80), big = big_class(), k,
		 n = hobj_class_nobj[hobj_class_of(80)] + 1;
	struct hobj_span *s1, *s2, *t, *keep;
	char *tp;

	(void)state;
	for (k = 0; k < n; k++) // one span more than a span holds: two spans
		o[k] = hobj_malloc(&heap, 80);
	tp = hobj_malloc(&heap, hobj_class_size[big]);
	t = span_of(tp);
	s2 = heap.class[c].spans; // newest first
	s1 = s2->cnext;
	assert_ptr_equal(s2, span_of(o[n - 1]));
	assert_ptr_equal(s1, span_of(o[0]));
	assert_null(s1->cnext);
	assert_ptr_equal(heap.class[big].spans, t);
	heap.checking = 0;
	check_ok();
	check_classes_ok();

	s1->cnext = s1; // s1 listed twice: the list loops
	expect_found(HOBJ_ESPANS, "a class's list of every span wrong");
	expect_class_found(c, HOBJ_ESPANS, "a class's list of every span wrong");
	s1->cnext = NULL;
	s1->cprev = NULL; // linked, but not back to the span before it
	expect_found(HOBJ_ESPANS, "a class's list of every span wrong");
	expect_class_found(c, HOBJ_ESPANS, "a class's list of every span wrong");
	s1->cprev = s2;
	s1->cnext = t; // another class's span on c's list
	expect_found(HOBJ_ESPANS, "a class's list of every span wrong");
	expect_class_found(c, HOBJ_ESPANS, "a class's list of every span wrong");
	s1->cnext = NULL;
	keep = heap.class[big].spans; // t on no list, nspan agreeing
	heap.class[big].spans = NULL;
	heap.class[big].nspan--;
	expect_found(HOBJ_ESPANS, "a class's list of every span wrong");
	heap.class[big].spans = keep;
	heap.class[big].nspan++;
	check_ok();
	check_classes_ok();

	for (k = 0; k < n; k++) // s2 goes back to the pool: unlinked
		hobj_free(&heap, o[k]);
	hobj_free(&heap, tp);
	assert_int_equal(heap.class[c].nspan, 1);
	assert_non_null(heap.class[c].spans);
	assert_null(heap.class[c].spans->cnext);
	assert_null(heap.class[c].spans->cprev);
	check_ok();
	check_classes_ok();
}

// A pool that runs out: NULL and ENOMEM, nothing changed.
static void test_out_of_memory(void **state)
{
	void *p;
	int k = 0;

	(void)state;
	obj_reinit(1u << 20, PG);
	heap.checking = 0;
	while ((p = hobj_malloc(&heap, 3000)) != NULL)
		k++;
	assert_int_equal(errno, ENOMEM);
	assert_true(k > 100);
	check_ok();
	assert_null(hobj_malloc(&heap, 1u << 20));
	check_ok();
}

// A granule of HOBJ_UNIT, the largest (and bad ones refused).
static void test_granules(void **state)
{
	struct hobj_heap h2;
	void *p;

	(void)state;
	obj_reinit(OBJ_HEAP, HOBJ_UNIT);
	p = hobj_malloc(&heap, 20000);
	hobj_free(&heap, hobj_malloc(&heap, 9000));
	hobj_free(&heap, p);
	p = hobj_aligned_alloc(&heap, 16384, 100);
	assert_int_equal((uintptr_t)p % 16384, 0);
	hobj_free(&heap, p);
	heap_reinit(OBJ_HEAP, 2 * HOBJ_UNIT);
	assert_int_equal(hobj_init(&h2, &mempool, &t_ops, NULL), HOBJ_EGRANULE);
	heap_reinit(OBJ_HEAP, 32);
	assert_int_equal(hobj_init(&h2, &mempool, &t_ops, NULL), HOBJ_EGRANULE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_class_table),
	    cmocka_unit_test_setup_teardown(test_alignment_and_usable_size, obj_setup,
					    heap_teardown),
	    cmocka_unit_test_setup_teardown(test_random_mix, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_spans_go_back, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_calloc_zero, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_calloc_overflow, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_realloc_cases, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_aligned, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_frees_refused, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_check_finds_damage, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_span_lists, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_alloc_free, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_cross_free, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_outbox, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_flush_remote, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_bury, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_drain_gives_back, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_spare, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_no_parking, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_keeps_few_empty_spans, obj_setup,
					    heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_fast_path, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_fast_divmul, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_fast_free_refusals_and_moves, obj_setup,
					    heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_check_finds_damage, obj_setup,
					    heap_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_random_mix, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_pool_unlocked, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_check_spans_without_large_lock, obj_setup,
					    heap_teardown),
	    cmocka_unit_test_setup_teardown(test_check_mine_unlocked, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_check_class, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_memory, obj_setup, heap_teardown),
	    cmocka_unit_test_setup_teardown(test_granules, obj_setup, heap_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
