// SPDX-License-Identifier: BSD-3-Clause
// The image's self-test: a table of named cases, each run over a scratch
// pool at the current break (given back at the end of the case), then a
// leak check, then one verdict line `N passed, M failed`.
#include "kmem.h"
#include "selftest.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define HOBJ_CLASS_TABLES
#include "../objects/objects.h"

#ifndef NEWLIB_MALLOC
#define NEWLIB_MALLOC 0
#endif

#define PG PAGE_SIZE

extern uintptr_t newlib_sbrk_bytes;
void *_sbrk(ptrdiff_t incr); // newlib's porting layer (kernel/newlib.c)

// A scratch pool: its own lock, its arena starting at the break.
struct scratch {
	struct heaplab_pool p;
	struct spinlock lk;
	uintptr_t s; // arena start
};

static const char *why, *whyfile; // what the failing case found, and where
static int whyline;

int selftest_fail(const char *file, int line, const char *what)
{
	why = what;
	whyfile = file;
	whyline = line;
	return 1;
}

#define OFF(sc, v) ((uintptr_t)(v) - (sc)->s)

// scratch_begin makes a pool over [break, break + limit) (limit 0: up to
// the heap's end).
static void scratch_begin(struct scratch *sc, uintptr_t limit)
{
	uintptr_t b = kbrk_now(), e = (uintptr_t)_heap_end;

	spin_init(&sc->lk, "scratch");
	sc->s = b;
	kmem_pool_init(&sc->p, &sc->lk, b, limit && limit < e - b ? b + limit : e, PG);
}

// scratch_end requires that everything was freed and merged back into one
// block ending at the break, and gives those pages back to brk.
static int scratch_end(struct scratch *sc)
{
	struct heaplab_hdr *f = sc->p.freelist;

	T(heaplab_check(&sc->p, NULL) == HEAPLAB_OK);
	T(sc->p.inuse == 0);
	T(f == NULL || ((uintptr_t)f == sc->s && f->next == NULL));
	T(f == NULL || sc->s + f->size == kbrk_now());
	if (f != NULL)
		memset(f, 0, sizeof *f);
	T(kbrk_give(sc->s, kbrk_now()) == 0);
	return 0;
}

static void *ta(struct scratch *sc, uintptr_t n)
{
	return heaplab_alloc(&sc->p, n);
}

static int tf(struct scratch *sc, void *v, uintptr_t n)
{
	return heaplab_free(&sc->p, v, n);
}

// is_zero answers whether n bytes at v are all zero.
static int is_zero(const void *v, uintptr_t n)
{
	const unsigned char *p = v;

	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

// nblocks answers the free list's length; block(i) its i-th block.
static int nblocks(struct scratch *sc)
{
	int n;

	kmem_free_bytes(&sc->p, &n);
	return n;
}

static struct heaplab_hdr *block(struct scratch *sc, int i)
{
	struct heaplab_hdr *b = sc->p.freelist;

	while (b != NULL && i-- > 0)
		b = b->next;
	return b;
}

static int t_round_and_grow(void)
{
	struct scratch sc;
	char *a, *b;

	scratch_begin(&sc, 0);
	a = ta(&sc, 100);
	T(a != NULL && OFF(&sc, a) == 0);
	T(kbrk_now() == sc.s + PG);
	b = ta(&sc, PG + 1);
	T(OFF(&sc, b) == PG && kbrk_now() == sc.s + 3 * PG);
	T(tf(&sc, a, 100) == HEAPLAB_OK && tf(&sc, b, PG + 1) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_zeroed(void)
{
	struct scratch sc;
	char *a, *g;

	scratch_begin(&sc, 0);
	a = ta(&sc, 3 * PG);
	g = ta(&sc, PG);
	T(a != NULL && is_zero(a, 3 * PG));
	memset(a, 0xa5, 3 * PG);
	T(tf(&sc, a, 3 * PG) == HEAPLAB_OK);
	T(is_zero(a + heaplab_meta(&sc.p), 3 * PG - heaplab_meta(&sc.p))); // past header (and node)
	a = ta(&sc, 2 * PG); // carved from the top of the dirty-then-freed block
	T(is_zero(a, 2 * PG));
	T(tf(&sc, a, 2 * PG) == HEAPLAB_OK && tf(&sc, g, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_carve_top(void)
{
	struct scratch sc;
	char *a, *g, *c;

	scratch_begin(&sc, 0);
	a = ta(&sc, 3 * PG);
	g = ta(&sc, PG);
	T(tf(&sc, a, 3 * PG) == HEAPLAB_OK);
	c = ta(&sc, PG);
	T(OFF(&sc, c) == 2 * PG); // the top page of [0, 3 pages)
	T(nblocks(&sc) == 1 && block(&sc, 0) == (void *)a && block(&sc, 0)->size == 2 * PG);
	T(tf(&sc, c, PG) == HEAPLAB_OK && tf(&sc, g, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_exact_fit(void)
{
	struct scratch sc;
	char *a, *g1, *b, *g2, *c;

	scratch_begin(&sc, 0);
	a = ta(&sc, PG), g1 = ta(&sc, PG), b = ta(&sc, 2 * PG), g2 = ta(&sc, PG);
	T(tf(&sc, a, PG) == HEAPLAB_OK && tf(&sc, b, 2 * PG) == HEAPLAB_OK);
	c = ta(&sc, 2 * PG); // first fit skips the 1-page hole, takes b whole
	T(c == b && nblocks(&sc) == 1 && block(&sc, 0) == (void *)a);
	c = ta(&sc, PG); // exact fit at the head
	T(c == a && nblocks(&sc) == 0);
	T(tf(&sc, a, PG) == HEAPLAB_OK && tf(&sc, g1, PG) == HEAPLAB_OK);
	T(tf(&sc, b, 2 * PG) == HEAPLAB_OK && tf(&sc, g2, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

// merge frees three neighbours a b c (guarded above) in the given order
// and requires one block at a's address afterwards.
static int merge(const int order[3])
{
	struct scratch sc;
	char *v[3], *g;
	int i;

	scratch_begin(&sc, 0);
	for (i = 0; i < 3; i++)
		v[i] = ta(&sc, PG);
	g = ta(&sc, PG);
	for (i = 0; i < 3; i++)
		T(tf(&sc, v[order[i]], PG) == HEAPLAB_OK);
	T(nblocks(&sc) == 1 && block(&sc, 0) == (void *)v[0] && block(&sc, 0)->size == 3 * PG);
	T(tf(&sc, g, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_merge_next(void)
{
	static const int o[3] = {2, 1, 0}; // b merges with c (its next), a with b
	return merge(o);
}

static int t_merge_prev(void)
{
	static const int o[3] = {0, 1, 2}; // b merges with a (its previous)
	return merge(o);
}

static int t_merge_both(void)
{
	static const int o[3] = {0, 2, 1}; // b joins a and c at once
	return merge(o);
}

// snapshot of a pool's state, to prove a refused operation changed nothing.
struct snap {
	uintptr_t brk, inuse, taken, sum;
};

static void take_snap(struct scratch *sc, struct snap *s)
{
	struct heaplab_hdr *b;

	s->brk = kbrk_now();
	s->inuse = sc->p.inuse;
	s->taken = sc->p.taken;
	s->sum = 0;
	for (b = sc->p.freelist; b != NULL; b = b->next)
		s->sum = s->sum * 31 + (uintptr_t)b * 7 + b->size;
}

static int same_snap(struct scratch *sc, const struct snap *s0)
{
	struct snap s;

	take_snap(sc, &s);
	return memcmp(&s, s0, sizeof s) == 0 && heaplab_check(&sc->p, NULL) == HEAPLAB_OK;
}

static int t_oom(void)
{
	struct scratch sc;
	struct snap s;
	char *a, *g;
	uintptr_t left = (uintptr_t)_heap_end - kbrk_now();

	scratch_begin(&sc, 0);
	a = ta(&sc, 2 * PG), g = ta(&sc, PG);
	T(tf(&sc, a, 2 * PG) == HEAPLAB_OK);
	take_snap(&sc, &s);
	T(ta(&sc, left) == NULL); // 3 pages short: the brk trap refuses
	T(ta(&sc, UINTPTR_MAX - 10) == NULL);
	T(same_snap(&sc, &s));
	T(tf(&sc, g, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

// t_brk_bounds: the break's owner, through the trap: byte-exact, aligns
// when asked, never passes either bound, gives back only its top.
static int t_brk_bounds(void)
{
	uintptr_t b = kbrk_now(), end = (uintptr_t)_heap_end;

	T(b % PG == 0);
	T(kbrk_sbrk(end - b + 1, 1, 0, UINTPTR_MAX) == HEAPLAB_BRK_FAIL); // the trap refuses
	T(kbrk_sbrk(PG, 1, 0, b + PG - 1) == HEAPLAB_BRK_FAIL);	      // past hi: the owner does
	T(kbrk_give((uintptr_t)_heap_start - PG, b) != 0);	      // below the heap
	T(kbrk_now() == b);
	T(kbrk_sbrk(1, 1, 0, UINTPTR_MAX) == b && kbrk_now() == b + 1);
	T(kbrk_sbrk(0, PG, 0, UINTPTR_MAX) == b + PG && kbrk_now() == b + PG); // aligned
	T(kbrk_give(b, b + 1) != 0 && kbrk_now() == b + PG);		       // not the top
	T(kbrk_give(b, b + PG) == 0 && kbrk_now() == b);
	return 0;
}

static int t_size_zero(void)
{
	struct scratch sc;
	struct snap s;
	char *a, *g;

	scratch_begin(&sc, 0);
	a = ta(&sc, 2 * PG), g = ta(&sc, PG);
	T(tf(&sc, a, 2 * PG) == HEAPLAB_OK);
	take_snap(&sc, &s);
	T(ta(&sc, 0) == NULL);
	T(tf(&sc, a, 0) == HEAPLAB_EZERO);
	T(tf(&sc, NULL, PG) == HEAPLAB_OK);
	T(same_snap(&sc, &s));
	T(tf(&sc, g, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_bad_frees(void)
{
	struct scratch sc;
	struct snap s;
	char *a, *b, *g;

	scratch_begin(&sc, 0);
	a = ta(&sc, 2 * PG), b = ta(&sc, PG), g = ta(&sc, PG);
	T(tf(&sc, a, 2 * PG) == HEAPLAB_OK);
	take_snap(&sc, &s);
	T(tf(&sc, a, 2 * PG) == HEAPLAB_EDOUBLE);	    // double free
	T(tf(&sc, a + PG, PG) == HEAPLAB_EDOUBLE);	    // inside a free block
	T(tf(&sc, a + PG, 2 * PG) == HEAPLAB_EOVERLAP); // half free, half b
	T(tf(&sc, b + 1, PG) == HEAPLAB_EALIGN);
	T(tf(&sc, (char *)kbrk_now(), PG) == HEAPLAB_ERANGE);
	T(tf(&sc, g, 2 * PG) == HEAPLAB_ERANGE); // past the break
	T(tf(&sc, (char *)((uintptr_t)_heap_start - PG), PG) == HEAPLAB_ERANGE);
	T(same_snap(&sc, &s));
	T(tf(&sc, b, PG) == HEAPLAB_OK && tf(&sc, g, PG) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_check_catches(void)
{
	struct scratch sc;
	struct heaplab_fault f;
	char *a, *g, *last;

	scratch_begin(&sc, 0);
	a = ta(&sc, 2 * PG), g = ta(&sc, PG);
	T(tf(&sc, a, 2 * PG) == HEAPLAB_OK && tf(&sc, g, PG) == HEAPLAB_OK);
	last = a + 3 * PG - 1; // the last byte of the last (only) block
	*last = 1;
	T(heaplab_check(&sc.p, &f) == HEAPLAB_EDIRTY && f.block == (uintptr_t)a);
	*last = 0;
	block(&sc, 0)->size += PG; // runs past the break
	T(heaplab_check(&sc.p, &f) == HEAPLAB_EBOUNDS);
	block(&sc, 0)->size -= PG;
	T(heaplab_check(&sc.p, NULL) == HEAPLAB_OK);
	return scratch_end(&sc);
}

static int t_sys_stat(void)
{
	uint64_t stat = 0;
	void *p = sys_alloc(5000, &stat), *q = sys_reserve(PG);

	T(p != NULL && q != NULL && stat == 5000 && is_zero(p, 2 * PG));
	sys_free(p, 5000, &stat);
	sys_free(q, PG, NULL);
	T(stat == 0 && heaplab_check(&mempool, NULL) == HEAPLAB_OK);
	return 0;
}

// overlaps answers whether [a, a+n) meets [b, b+m).
static int overlaps(uintptr_t a, uintptr_t n, uintptr_t b, uintptr_t m)
{
	return a < b + m && b < a + n;
}

static int t_newlib_interleaved(void)
{
	enum { N = 8 };
	unsigned char *nl[N], *hl[N];
	uintptr_t nls[N], hls[N];
	int i, j;

	for (i = 0; i < N; i++) {
		nls[i] = 3000 + 40000 * (uintptr_t)i; // big enough to make newlib sbrk
		hls[i] = PG * (uintptr_t)(1 + i);
		nl[i] = malloc(nls[i]);
		hl[i] = sys_alloc(hls[i], NULL);
		T(nl[i] != NULL && hl[i] != NULL && is_zero(hl[i], hls[i]));
		memset(nl[i], 0x10 + i, nls[i]);
		memset(hl[i], 0x80 + i, hls[i]);
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++)
			T(!overlaps((uintptr_t)nl[i], nls[i], (uintptr_t)hl[j], hls[j]));
	for (i = 0; i < N; i++) {
		for (j = 0; j < (int)nls[i]; j++)
			T(nl[i][j] == 0x10 + i);
		for (j = 0; j < (int)hls[i]; j++)
			T(hl[i][j] == 0x80 + i);
		free(nl[i]);
		sys_free(hl[i], hls[i], NULL);
	}
	T(heaplab_check(&mempool, NULL) == HEAPLAB_OK);
	return 0;
}

// in_pool answers whether [p, p + n) lies in one of pool's regions.
static int in_pool(const struct heaplab_pool *pool, const void *p, uintptr_t n)
{
	uintptr_t a = (uintptr_t)p;
	int i;

	for (i = 0; i < pool->nregion; i++)
		if (a >= pool->region[i].start && a + n <= pool->region[i].end)
			return 1;
	return 0;
}

// The C names of the objects layer: the image's malloc, or (NEWLIB_MALLOC=1,
// where those are newlib's) the layer's functions on the image's heap.
#if NEWLIB_MALLOC
#define OMALLOC(n)	hobj_malloc(&kobj_heap, n)
#define OCALLOC(m, n)	hobj_calloc(&kobj_heap, m, n)
#define OREALLOC(p, n)	hobj_realloc(&kobj_heap, p, n)
#define OMEMALIGN(a, n) hobj_memalign(&kobj_heap, a, n)
#define OFREE(p)	hobj_free(&kobj_heap, p)
#define OUSABLE(p)	hobj_malloc_usable_size(&kobj_heap, p)
#else
#define OMALLOC(n)	malloc(n)
#define OCALLOC(m, n)	calloc(m, n)
#define OREALLOC(p, n)	realloc(p, n)
#define OMEMALIGN(a, n) memalign(a, n)
#define OFREE(p)	free(p)
#define OUSABLE(p)	malloc_usable_size(p)
#endif

// unchecked_pairs makes malloc/free pairs of sizes 1 to 1024 over a window
// of 32 live objects with the layer's check off, the only way malloc and
// free take their fast path (kernel/kobj.c): a checked build checks after
// every operation. Each object's first and last bytes hold its slot;
// answers how many were found changed, or objects not handed out. The
// check runs after, in t_objects. Small sizes: they fit in the spans and
// pages t_objects left, so the break does not grow and the demo's pool
// starts where the docs quote it (docs/gdb.md).
static int unchecked_pairs(void)
{
	static unsigned char *w[32];
	static size_t wn[32];
	uint32_t r = 2463534242u;
	int was = kobj_set_checking(0), bad = 0;
	unsigned i, k;

	for (i = 0; i < 4000 + 32; i++) {
		k = i < 4000 ? (r ^= r << 13, r ^= r >> 17, r ^= r << 5, r % 32) : i - 4000;
		if (w[k] != NULL) {
			bad += w[k][0] != (unsigned char)k || w[k][wn[k] - 1] != (unsigned char)k;
			OFREE(w[k]);
			w[k] = NULL;
		}
		if (i >= 4000)
			continue;
		wn[k] = 1 + (r >> 8) % 1024;
		w[k] = OMALLOC(wn[k]);
		if (w[k] == NULL) {
			bad++;
			continue;
		}
		w[k][0] = w[k][wn[k] - 1] = (unsigned char)k;
	}
	kobj_set_checking(was);
	return bad;
}

// t_objects: an object of every class and a large one from kobj_pool's
// pages, each its class's size, aligned, written whole; calloc zero and
// its overflow refused; realloc in place within a class, moved (bytes
// kept) out of it; memalign beyond the page; pairs with the check off
// (unchecked_pairs); every object back, and the layer's full check.
// malloc itself is the layer's unless NEWLIB_MALLOC=1.
static int t_objects(void)
{
	static volatile size_t huge = SIZE_MAX / 2; // the compiler sees no overflow
	unsigned char *p[HOBJ_NCLASS + 1];
	struct hobj_stats st0, st;
	struct hobj_fault f;
	unsigned char *q, *r;
	unsigned c;
	size_t n;

	hobj_stats(&kobj_heap, &st0);
	for (c = 1; c <= HOBJ_NCLASS; c++) {
		n = c < HOBJ_NCLASS ? hobj_class_size[c] : 3 * HOBJ_MAX_SMALL;
		p[c] = OMALLOC(n);
		T(p[c] != NULL && ((uintptr_t)p[c] & (HOBJ_ALIGN - 1)) == 0);
		T(in_pool(&kobj_pool, p[c], n) && OUSABLE(p[c]) >= n);
		T(c == HOBJ_NCLASS || OUSABLE(p[c]) == n);
		memset(p[c], (int)c, n);
	}
	kobj_mark(); // every class live: where tests/test_gdb.py looks
	q = malloc(40);
	T(in_pool(&kobj_pool, q, 40) == !NEWLIB_MALLOC); // every malloc of the image
	free(q);
	for (c = 1; c <= HOBJ_NCLASS; c++) {
		n = c < HOBJ_NCLASS ? hobj_class_size[c] : 3 * HOBJ_MAX_SMALL;
		T(p[c][0] == (unsigned char)c && p[c][n - 1] == (unsigned char)c);
		OFREE(p[c]);
	}
	q = OCALLOC(1000, 8);
	T(q != NULL && is_zero(q, 8000));
	errno = 0;
	T(OCALLOC(huge, 4) == NULL && errno == ENOMEM); // nmemb * size overflows
	r = OREALLOC(q, 8000 - 100);			// the same class (8192)
	T(r == q);
	memset(r, 0x5a, 7900);
	q = OREALLOC(r, 20000);
	T(q != NULL && q != r && q[0] == 0x5a && q[7899] == 0x5a);
	OFREE(q);
	q = OMEMALIGN((size_t)1 << 16, 100);
	T(q != NULL && ((uintptr_t)q & 0xffff) == 0 && in_pool(&kobj_pool, q, 100));
	OFREE(q);
	T(unchecked_pairs() == 0);
	hobj_stats(&kobj_heap, &st);
	T(st.inuse == st0.inuse && st.large_bytes == st0.large_bytes);
	T(hobj_check(&kobj_heap, &f) == HOBJ_OK);
	return 0;
}

// t_not_owned: another client takes pages through the brk trap (newlib's
// _sbrk, which its own malloc would call) between two of a pool's sbrks; the pool
// starts a new region above them, refuses to free them (or any range that
// runs into them) with nothing changed, and never merges across them.
static int t_not_owned(void)
{
	struct scratch sc;
	struct snap s;
	char *a, *nl, *b;

	scratch_begin(&sc, 0);
	a = ta(&sc, PG);
	nl = _sbrk(2 * PG); // as newlib's malloc (NEWLIB_MALLOC=1) grows its heap
	b = ta(&sc, PG);
	T(nl == a + PG && b == nl + 2 * PG && sc.p.nregion == 2);
	take_snap(&sc, &s);
	T(tf(&sc, nl, 2 * PG) == HEAPLAB_ENOTOWN);
	T(tf(&sc, nl + PG, PG) == HEAPLAB_ENOTOWN);
	T(tf(&sc, a, 2 * PG) == HEAPLAB_ENOTOWN);	    // a and newlib's first page
	T(tf(&sc, nl + PG, 2 * PG) == HEAPLAB_ENOTOWN); // newlib's last page and b
	T(same_snap(&sc, &s));
	T(tf(&sc, a, PG) == HEAPLAB_OK && tf(&sc, b, PG) == HEAPLAB_OK);
	T(nblocks(&sc) == 2 && heaplab_check(&sc.p, NULL) == HEAPLAB_OK); // not merged across
	T(kbrk_give((uintptr_t)b, (uintptr_t)b + PG) == 0);
	T(_sbrk(-2 * (ptrdiff_t)PG) == nl + 2 * PG && kbrk_now() == (uintptr_t)nl);
	T(kbrk_give((uintptr_t)a, (uintptr_t)nl) == 0);
	return 0;
}

// balanced answers whether the check passes, inuse is live bytes and
// free + in use is every byte the pool took.
static int balanced(struct scratch *sc, uintptr_t live)
{
	return heaplab_check(&sc->p, NULL) == HEAPLAB_OK && sc->p.inuse == live &&
	       kmem_free_bytes(&sc->p, NULL) + live == sc->p.taken;
}

// t_brk_faults: every third grow through the trap fails (as -1 or as the
// old break): allocs answer NULL, the rest goes on, nothing is lost.
static int t_brk_faults(void)
{
	void *p[16] = {0};
	uintptr_t n[16] = {0};
	struct scratch sc;
	uintptr_t live = 0;
	unsigned r = 12345, nils = 0, i, k;

	scratch_begin(&sc, 0);
	brk_fault_every = 3;
	for (i = 0; i < 200; i++) {
		r = r * 1103515245u + 12345u;
		k = (r >> 8) % 16;
		if (p[k] == NULL) {
			n[k] = (1 + (r >> 16) % 4) * PG;
			p[k] = ta(&sc, n[k]);
			nils += p[k] == NULL;
			live += p[k] != NULL ? n[k] : 0;
		} else if (tf(&sc, p[k], n[k]) == HEAPLAB_OK) {
			p[k] = NULL;
			live -= n[k];
		}
		if (!balanced(&sc, live))
			break;
	}
	brk_fault_every = 0;
	T(i == 200 && nils > 0);
	for (k = 0; k < 16; k++)
		if (p[k] != NULL && tf(&sc, p[k], n[k]) == HEAPLAB_OK)
			p[k] = NULL, live -= n[k];
	T(live == 0 && balanced(&sc, 0));
	return scratch_end(&sc);
}

// The leak check, as xv6's usertests counts free pages: after the table,
// mem/'s system pool holds free every byte it took, nothing is in use that
// was not before, and every byte the break grew by went to mem/ or to
// newlib (whose malloc keeps its freed memory for reuse) or to the objects
// pool's break (kernel/kobj.c).
struct leak {
	uintptr_t brk, taken, inuse, free, nlsbrk, objtaken;
};

static void leak_snap(struct leak *l)
{
	l->brk = kbrk_now();
	l->taken = mempool.taken;
	l->inuse = mempool.inuse;
	l->free = kmem_free_bytes(&mempool, NULL);
	l->nlsbrk = newlib_sbrk_bytes;
	l->objtaken = kobj_brk_bytes; // kobj_pool's, and the rest of its break's step
}

// Faults the guarded memory must catch (arch/arch.h): each ends the run
// with a panic that names it, so they run only when asked for by name
// (./run-qemu.sh --test NAME); returning at all is a failure.
static int t_null_write(void)
{
	static int *volatile nullp; // the compiler cannot know it is NULL

	*nullp = 1;
	T(!"the write through NULL did not fault");
	return 1;
}

// t_wrong_size_free: a checked build's system pool keeps the exact-free
// record (kmem_init), so freeing half of a two-page allocation is refused
// and stops in heaplab_fail, naming the pointer and the error.
static int t_wrong_size_free(void)
{
	void *p = sys_alloc(2 * PG, NULL);

	T(p != NULL);
	sys_free(p, PG, NULL);
	T(!"the free of half an allocation was not refused");
	return 1;
}

static unsigned long recurse(volatile unsigned long n)
{
	volatile char frame[512];

	frame[0] = (char)n;
	return n == 0 ? 0 : recurse(n - 1) + frame[0];
}

static int t_stack_overflow(void)
{
	static volatile unsigned long depth = 1ul << 30;

	T(recurse(depth) == 0 && !"a billion frames fitted on the stack");
	return 1;
}

// recurse_cpu1 is what CPU 1 runs for t_stack_overflow_cpu1.
static void recurse_cpu1(void)
{
	static volatile unsigned long depth = 1ul << 30;

	recurse(depth);
}

// The guard page below another CPU's stack: CPU 1 overflows its own.
static int t_stack_overflow_cpu1(void)
{
	if (mp_run_cpu1(recurse_cpu1) < 0)
		T(!"no second CPU to run on: give QEMU two (--smp 2)");
	T(!"a billion frames fitted on CPU 1's stack");
	return 1;
}

// The table. name is what --test takes (test=NAME on the kernel command
// line); a case marked alone runs only when named.
static const struct tcase {
	const char *name, *text;
	int (*fn)(void);
	int alone;
} cases[] = {
    {"round_and_grow", "alloc rounds to the page and grows through brk", t_round_and_grow, 0},
    {"zeroed", "allocations and freed memory are zeroed", t_zeroed, 0},
    {"carve_top", "a larger block is carved from its top", t_carve_top, 0},
    {"exact_fit", "first fit; an exact fit is unlinked", t_exact_fit, 0},
    {"merge_next", "free merges with the next block", t_merge_next, 0},
    {"merge_prev", "free merges with the previous block", t_merge_prev, 0},
    {"merge_both", "free merges with both neighbours", t_merge_both, 0},
    {"oom", "out of memory at the heap's end: NULL, list intact", t_oom, 0},
    {"brk_bounds", "the break's owner: byte-exact, bounded, gives back only its top", t_brk_bounds,
     0},
    {"size_zero", "size 0: NULL, free refused, nothing changes", t_size_zero, 0},
    {"bad_frees", "double, overlapping, misaligned, outside frees refused", t_bad_frees, 0},
    {"not_owned", "another client's pages (brk trap) between two regions: free refused, never merged",
     t_not_owned, 0},
    {"check_catches", "check catches a dirty last block and a block past the break",
     t_check_catches, 0},
    {"sys_stat", "sys_alloc/sys_free/sys_reserve count bytes", t_sys_stat, 0},
    {"newlib_interleaved", "malloc and heaplab's system pool interleaved without overlap",
     t_newlib_interleaved, 0},
    {"objects", "malloc: every class and a large object on the objects pool's pages, check ok",
     t_objects, 0},
    {"brk_faults", "brk trap failing every third grow: NULL answers, check and counts exact",
     t_brk_faults, 0},
    {"timer_ticks", "the timer ticks near TICK_HZ on this CPU, interrupts on", t_timer_ticks, 0},
    {"irq_masked", "push_off masks the timer: no tick while off, ticks again after pop_off",
     t_irq_masked, 0},
    {"irq_nesting", "push_off nests: interrupts come back only at the outermost pop_off",
     t_irq_nesting, 0},
    {"lock_masks", "no tick comes while this CPU holds mem_lock (the tick handler takes it)",
     t_lock_masks, 0},
    {"null_write", "a write through NULL panics: NULL dereference", t_null_write, 1},
    {"wrong_size_free", "sys_free of half an allocation panics (a checked build's exact-free record)",
     t_wrong_size_free, 1},
    {"stack_overflow", "a runaway recursion panics: stack overflow on CPU 0", t_stack_overflow, 1},
    {"stack_overflow_cpu1",
     "a runaway recursion on CPU 1 panics: stack overflow on CPU 1 (--smp 2)",
     t_stack_overflow_cpu1, 1},
};

#define NCASES ((int)(sizeof cases / sizeof cases[0]))

static int npassed, nfailed;

int kcase(const char *name, int ok)
{
	kprintf("%s %s\n", ok ? "ok  " : "FAIL", name);
	if (ok)
		npassed++;
	else
		nfailed++;
	return !ok;
}

int kverdict(void)
{
	kprintf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed;
}

// selftest_case runs case i and reports it; answers 1 if it failed.
static int selftest_case(int i)
{
	why = NULL;
	if (cases[i].fn() != 0 || heaplab_check(&mempool, NULL) != HEAPLAB_OK) {
		kcase(cases[i].text, 0);
		if (why != NULL)
			kprintf("     %s:%d: %s\n", whyfile, whyline, why);
		else
			kprintf("     the system pool's check failed\n");
		return 1;
	}
	return kcase(cases[i].text, 1);
}

// selftest_find answers the index of the case called name, or lists the
// names and ends the run with a usage error.
static int selftest_find(const char *name)
{
	int i;

	for (i = 0; i < NCASES; i++)
		if (strcmp(cases[i].name, name) == 0)
			return i;
	kprintf("# heaplab: no self-test case '%s'; the cases are:\n", name);
	for (i = 0; i < NCASES; i++)
		kprintf("#   %-20s %s\n", cases[i].name, cases[i].text);
	kexit(2);
}

// selftest_run runs the table (only the case called only, if not NULL)
// and the leak check; answers the failures.
int selftest_run(const char *only)
{
	int i, failed = 0, one = only != NULL ? selftest_find(only) : -1;
	struct leak a, b;

	leak_snap(&a);
	for (i = 0; i < NCASES; i++)
		if (one == i || (one < 0 && !cases[i].alone))
			failed += selftest_case(i);
	leak_snap(&b);
	if (b.inuse != a.inuse || b.free - a.free != b.taken - a.taken ||
	    b.brk - a.brk != (b.taken - a.taken) + (b.nlsbrk - a.nlsbrk) + (b.objtaken - a.objtaken)) {
		failed += kcase("leak check", 0);
		kprintf("     break +%#lx; mem taken +%#lx, free +%#lx, in use %+ld; newlib sbrk "
			"+%#lx; objects pool's break +%#lx\n",
			(unsigned long)(b.brk - a.brk), (unsigned long)(b.taken - a.taken),
			(unsigned long)(b.free - a.free), (long)(b.inuse - a.inuse),
			(unsigned long)(b.nlsbrk - a.nlsbrk), (unsigned long)(b.objtaken - a.objtaken));
	} else {
		kcase("leak check: every byte the break grew by is accounted for", 1);
	}
	return failed;
}
