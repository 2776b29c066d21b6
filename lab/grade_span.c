// SPDX-License-Identifier: BSD-3-Clause
// The part checks `make grade LAB=span` runs on your hobj_span_take,
// hobj_span_find and hobj_span_give (lab 8, docs/lab/8-spans.md). Each
// case names the rule it checks:
//   take      LIFO reuse (the free list's head before any fresh object),
//             fresh objects in order and zero, the in-use bit, s->inuse;
//   find      interior pointers, pointers past the last object (in the
//             span's tail) and objects not in use refused, nothing changed;
//   give      the freed object pushed on the list through its first word,
//             its bit cleared, refusals changing nothing;
//   life      a full span and an emptied span, through objects/objects.c
//             (hobj_objalloc and hobj_objfree), and hobj_check green after
//             a random workload;
//   workload  the C API (hobj_malloc, calloc, realloc, free) on random
//             workloads, hobj_check after every operation;
//   memory    the same workloads watched for memory corruption: no object
//             handed out twice, none overlapping a live one, what is
//             written to an object kept until its free, calloc's zeros,
//             bad frees harmless.
//
// The take, find and give cases build a span by hand from a picture, one
// character an object: 'x' in use (each filled with its own pattern), '.'
// on the free list (in the order the case gives), and every object past
// the picture's end never handed out (zero). So a case never depends on
// your code to set itself up. Each case runs in a child process, so that
// a crash or a loop fails that case only (lab/gradelib.c).
//
// usage: grade_span [PART or PART/CASE...]   PART: take find give life workload memory
// (default all); --list lists the cases. Prints `PART/CASE: ok` or
// `PART/CASE: what went wrong` per case, then `N passed, M failed`.
#include "gradelib.h"

#define HOBJ_CLASS_TABLES
#include "../objects/objects.h"

#include "labrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPAN_HEAP (4u << 20) // the arena of a case
#define MAXLIVE	  256	     // objects a workload keeps live at most
#define NOLIST	  (-1)

static struct hobj_heap heap;
static int held[HOBJ_NLOCK];

// One thread: each lock a flag, misuse a panic, as the host pool's lock.
static void g_lock(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	if (lk >= HOBJ_NLOCK || held[lk])
		host_ops.panic("grade lock: recursive acquire");
	held[lk] = 1;
}

static void g_unlock(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	if (lk >= HOBJ_NLOCK || !held[lk])
		host_ops.panic("grade lock: release of a lock not held");
	held[lk] = 0;
}

static int g_holding(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	return lk < HOBJ_NLOCK && held[lk];
}

static __attribute__((noreturn)) void g_panic(const char *msg)
{
	host_ops.panic(msg);
}

// No caches (cache_enter NULL): every call goes through the central lists,
// where the span functions under test are called.
static const struct hobj_ops g_ops = {g_lock, g_unlock, g_holding, g_panic, NULL, NULL};

// setup maps the case's arena and puts an objects heap on it, its own
// check switched off: a case checks its rule by hand.
static void setup(void)
{
	lab_heap(0, SPAN_HEAP);
	if (hobj_init(&heap, &mempool, &g_ops, NULL) != HOBJ_OK) {
		printf("grade: cannot set up an objects heap\n");
		exit(2);
	}
	heap.checking = 0;
}

// at names p as an offset from the heap's start, as every line here does
// (four at a time), or NULL.
static const char *at(const void *p)
{
	static char buf[4][24];
	static unsigned k;

	if (p == NULL)
		return "NULL";
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%#lx", (unsigned long)((uintptr_t)p - mempool.start));
	return buf[k];
}

// --- spans by hand -----------------------------------------------------------

enum { TAKE, FIND, GIVE, GIVE_TAKE };

struct span_case {
	struct lab_case id;
	unsigned cls;	 // the span's class
	const char *pic; // 'x' in use, '.' free; past its end never handed out
	int list[6];	 // the free list, head first, NOLIST-ended
	int what;	 // TAKE, FIND, GIVE, GIVE_TAKE
	int obj;	 // FIND, GIVE: the object (an index; may be >= nobj)
	int off;	 // and bytes past its start
	int err;	 // what find or give must answer
	int obj2;	 // GIVE_TAKE: the second object given back
};

// clang-format off: one case a line reads best as a table
static const struct span_case span_cases[] = {
    // take: the free list's head first (LIFO: the last freed is the first
    // reused, its memory likely still in the cache); else object fresh.
    {{"take", "fresh-from-an-empty-span"}, 22, "", {NOLIST}, TAKE, 0, 0, 0, 0},
    {{"take", "fresh-in-order"}, 22, "xxx", {NOLIST}, TAKE, 0, 0, 0, 0},
    {{"take", "fresh-the-last-object"}, 22, "xxxxxxx", {NOLIST}, TAKE, 0, 0, 0, 0},
    {{"take", "list-head-before-fresh"}, 22, "x.", {1, NOLIST}, TAKE, 0, 0, 0, 0},
    {{"take", "list-head-is-lifo"}, 22, "....x", {2, 0, 3, 1, NOLIST}, TAKE, 0, 0, 0, 0},
    {{"take", "list-head-unlinked"}, 22, "x.x.x", {3, 1, NOLIST}, TAKE, 0, 0, 0, 0},
    {{"take", "bit-in-the-second-word"},
     1,
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     {NOLIST},
     TAKE,
     0,
     0,
     0,
     0},
    {{"take", "after-two-gives-lifo"}, 22, "xxxx", {NOLIST}, GIVE_TAKE, 1, 0, HOBJ_OK, 3},
    // find: the object's index by a multiply; refused, nothing changed: a
    // pointer inside an object or in the span's tail, an object not in use.
    {{"find", "the-first-object"}, 22, "xx", {NOLIST}, FIND, 0, 0, HOBJ_OK, 0},
    {{"find", "an-object-by-its-index"},
     5,
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     {NOLIST},
     FIND,
     37,
     0,
     HOBJ_OK,
     0},
    {{"find", "the-last-object"}, 22, "xxxxxxxx", {NOLIST}, FIND, 7, 0, HOBJ_OK, 0},
    {{"find", "interior-pointer"}, 22, "xxx", {NOLIST}, FIND, 1, 16, HOBJ_EINTERIOR, 0},
    {{"find", "interior-last-byte"}, 5, "xxx", {NOLIST}, FIND, 1, 79, HOBJ_EINTERIOR, 0},
    {{"find", "past-the-last-object"},
     3,
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     {NOLIST},
     FIND,
     85,
     0,
     HOBJ_EINTERIOR,
     0},
    {{"find", "in-the-tail"}, 3, "x", {NOLIST}, FIND, 85, 8, HOBJ_EINTERIOR, 0},
    {{"find", "free-object"}, 22, "x.x", {1, NOLIST}, FIND, 1, 0, HOBJ_EFREE, 0},
    {{"find", "never-handed-out"}, 22, "xx", {NOLIST}, FIND, 5, 0, HOBJ_EFREE, 0},
    // give: the bit cleared, p pushed through its first word, counted out;
    // refused as find refuses, nothing changed.
    {{"give", "into-an-empty-list"}, 22, "xxx", {NOLIST}, GIVE, 1, 0, HOBJ_OK, 0},
    {{"give", "pushed-on-the-head"}, 22, "x.xx", {1, NOLIST}, GIVE, 3, 0, HOBJ_OK, 0},
    {{"give", "clears-only-its-bit"},
     1,
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     {NOLIST},
     GIVE,
     64,
     0,
     HOBJ_OK,
     0},
    {{"give", "the-last-object"}, 22, "xxxxxxxx", {NOLIST}, GIVE, 7, 0, HOBJ_OK, 0},
    {{"give", "double-free-refused"}, 22, "x.x", {1, NOLIST}, GIVE, 1, 0, HOBJ_EFREE, 0},
    {{"give", "never-handed-out-refused"}, 22, "xx", {NOLIST}, GIVE, 4, 0, HOBJ_EFREE, 0},
    {{"give", "interior-pointer-refused"}, 22, "xxx", {NOLIST}, GIVE, 1, 8, HOBJ_EINTERIOR, 0},
    {{"give", "past-the-last-object-refused"}, 3, "x", {NOLIST}, GIVE, 85, 0, HOBJ_EINTERIOR, 0},
};
// clang-format on

// What a span should hold: built from a picture, then changed by the case
// as the contract says.
struct want {
	unsigned cls, nobj, fresh, inuse, size;
	unsigned pic_n; // objects the picture drew (patterned); past them zero
	uint64_t bits[HOBJ_MAXOBJ / 64];
	int list[HOBJ_MAXOBJ + 1]; // head first, NOLIST-ended
	int nlist;
	uint64_t
	    taken[HOBJ_MAXOBJ / 64]; // objects taken: their first word take may leave as it likes
};

static unsigned char pattern(unsigned i, unsigned k)
{
	return (unsigned char)(0xa0 + (i * 7 + k) % 64);
}

static int bit(const uint64_t *bits, unsigned i)
{
	return (int)((bits[i >> 6] >> (i & 63)) & 1);
}

static const char *errname(int err)
{
	return err == HOBJ_OK	       ? "HOBJ_OK"
	       : err == HOBJ_EINTERIOR ? "HOBJ_EINTERIOR"
	       : err == HOBJ_EFREE     ? "HOBJ_EFREE"
				       : hobj_strerror(err);
}

// hand_span builds the span a case's picture shows: its record and its
// pages from the pool (the reference's), every field written here.
static struct hobj_span *hand_span(const struct span_case *c, struct want *w)
{
	struct hobj_span *s = heaplab_alloc(&mempool, sizeof *s);
	unsigned size = hobj_class_size[c->cls], i, k, n = (unsigned)strlen(c->pic);
	uintptr_t bytes = (uintptr_t)hobj_class_npages[c->cls] * HOBJ_UNIT;
	int j;

	memset(w, 0, sizeof *w);
	w->cls = c->cls;
	w->nobj = hobj_class_nobj[c->cls];
	w->size = size;
	w->fresh = n;
	w->pic_n = n;
	if (s == NULL || (s->base = (uintptr_t)heaplab_alloc(&mempool, bytes)) == 0) {
		printf("grade: cannot set up a span\n");
		exit(2);
	}
	s->bytes = bytes;
	s->cls = (uint16_t)c->cls;
	s->nobj = (uint16_t)w->nobj;
	s->fresh = (uint16_t)n;
	for (i = 0; i < n; i++) {
		for (k = 0; k < size; k++)
			((unsigned char *)s->base)[i * size + k] = pattern(i, k);
		if (c->pic[i] == 'x') {
			s->inuse_bits[i >> 6] |= (uint64_t)1 << (i & 63);
			s->inuse++;
		}
	}
	for (j = 0; c->list[j] != NOLIST; j++) {
		void *o = (void *)(s->base + (uintptr_t)c->list[j] * size);

		*(void **)o = c->list[j + 1] == NOLIST
				  ? NULL
				  : (void *)(s->base + (uintptr_t)c->list[j + 1] * size);
		w->list[j] = c->list[j];
	}
	w->nlist = j;
	w->list[j] = NOLIST;
	s->free = j ? (void *)(s->base + (uintptr_t)c->list[0] * size) : NULL;
	memcpy(w->bits, s->inuse_bits, sizeof w->bits);
	w->inuse = s->inuse;
	return s;
}

static uintptr_t obj_at(const struct hobj_span *s, const struct want *w, int i)
{
	return s->base + (uintptr_t)i * w->size;
}

// check_span holds s against w: the record, the free list through the
// objects' first words, the in-use objects' bytes, the zeros of the
// never-handed-out ones. The first difference is the case's verdict.
static int check_span(const struct hobj_span *s, const struct want *w, uintptr_t base,
		      uintptr_t bytes)
{
	const unsigned char *m = (const unsigned char *)base;
	const void *q = s->free;
	unsigned i, k;
	int j;

	if (s->base != base || s->bytes != bytes || s->cls != w->cls || s->nobj != w->nobj ||
	    s->next != NULL || s->prev != NULL)
		return lab_fail("the span's base, bytes, cls, nobj, next or prev changed: they "
				"are not the span functions' to change");
	for (j = 0; j <= w->nlist; j++, q = *(void *const *)q) {
		int at = (int)(((uintptr_t)q - base) / w->size);

		if (j == w->nlist && q == NULL)
			break;
		if (j == w->nlist)
			return lab_fail("the free list goes on past its end (object %d of %d "
					"listed is %#lx, want the list to end)",
					j + 1, w->nlist, (unsigned long)((uintptr_t)q - base));
		if (q == NULL)
			return lab_fail("the free list ends after %d objects, want %d (next: "
					"object %d)",
					j, w->nlist, w->list[j]);
		if ((uintptr_t)q - base >= bytes || (uintptr_t)q != obj_at(s, w, at) ||
		    at != w->list[j])
			return lab_fail("free list entry %d is offset %#lx, want object %d (offset "
					"%#lx)%s",
					j + 1, (unsigned long)((uintptr_t)q - base), w->list[j],
					(unsigned long)((uintptr_t)w->list[j] * w->size),
					j == 0 ? ": the list's head is the last object freed" : "");
	}
	if (s->fresh != w->fresh)
		return lab_fail("s->fresh is %u, want %u%s", s->fresh, w->fresh,
				s->fresh < w->fresh ? ": a fresh object taken moves fresh on"
						    : ": only a fresh object taken moves it");
	for (i = 0; i < HOBJ_MAXOBJ; i++)
		if (bit(s->inuse_bits, i) != bit(w->bits, i))
			return lab_fail("the in-use bit of object %u is %s, want %s", i,
					bit(s->inuse_bits, i) ? "set" : "clear",
					bit(w->bits, i) ? "set" : "clear");
	if (s->inuse != w->inuse)
		return lab_fail("s->inuse is %u, want %u: it counts the objects in use", s->inuse,
				w->inuse);
	for (i = 0; i < w->nobj; i++) {
		for (k = 0; k < w->size; k++) {
			unsigned char b = m[i * w->size + k];

			if (bit(w->taken, i) && k < sizeof(void *))
				continue; // take may leave a link, or clear it
			if (i < w->pic_n && bit(w->bits, i) && b != pattern(i, k))
				return lab_fail("byte %u of object %u, in use, changed (%#x, "
						"want %#x)",
						k, i, b, pattern(i, k));
			if (i >= w->pic_n && b != 0)
				return lab_fail(
				    "byte %u of object %u, %s, is %#x, want 0", k, i,
				    i >= w->fresh ? "never handed out" : "fresh when taken", b);
		}
	}
	for (k = w->nobj * w->size; k < bytes; k++)
		if (m[k] != 0)
			return lab_fail("byte %#x, in the span's tail past the last object, is "
					"%#x, want 0",
					k, m[k]);
	return 0;
}

// expect_take changes w as a right take does, answering its object.
static int expect_take(struct want *w, int *zero)
{
	int i;

	if (w->nlist > 0) {
		i = w->list[0];
		memmove(w->list, w->list + 1, sizeof w->list[0] * (size_t)w->nlist);
		w->nlist--;
		*zero = 0;
	} else {
		i = (int)w->fresh++;
		*zero = 1;
	}
	w->bits[i >> 6] |= (uint64_t)1 << (i & 63);
	w->inuse++;
	w->taken[i >> 6] |= (uint64_t)1 << (i & 63);
	return i;
}

static void expect_give(struct want *w, int i)
{
	memmove(w->list + 1, w->list, sizeof w->list[0] * (size_t)(w->nlist + 1));
	w->list[0] = i;
	w->nlist++;
	w->bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
	w->inuse--;
}

static int do_take(struct hobj_span *s, struct want *w)
{
	unsigned fresh = w->fresh;
	int zero = -1, wz, i = expect_take(w, &wz);
	uintptr_t p = (uintptr_t)hobj_span_take(s, &zero), off = p - s->base;
	unsigned long got = (unsigned long)(off / w->size);

	if (p != obj_at(s, w, i)) {
		if (p == 0)
			return lab_fail("take answered NULL, want object %d (the span has %u "
					"objects free)",
					i, w->nobj - w->inuse + 1);
		if (off >= s->bytes || off % w->size != 0)
			return lab_fail("take answered %s, not an object of the span at %s, want "
					"object %d",
					at((void *)p), at((void *)s->base), i);
		if (wz == 0 && got >= fresh)
			return lab_fail("take answered object %lu, never handed out, while the "
					"free list holds object %d: take hands out the list's "
					"head first (LIFO reuse)",
					got, i);
		if (wz == 0)
			return lab_fail("take answered object %lu, want object %d, the free "
					"list's head (LIFO: the last freed is the first reused)",
					got, i);
		return lab_fail("take answered object %lu, want object %d: with the free list "
				"empty, fresh objects go in order (object s->fresh)",
				got, i);
	}
	if (zero != wz)
		return lab_fail("take said *zero = %d for object %d, want %d: %s", zero, i, wz,
				wz ? "an object never handed out is zero (calloc skips its memset)"
				   : "an object off the free list holds its link: not zero");
	return 0;
}

static int run_span(const void *v)
{
	const struct span_case *c = v;
	struct hobj_fault f = {HOBJ_ENERR, 0, 0, 0, 0};
	struct want w;
	struct hobj_span *s;
	uintptr_t base, bytes, p;
	unsigned i = 12345;
	int err;

	setup();
	s = hand_span(c, &w);
	base = s->base;
	bytes = s->bytes;
	p = base + (uintptr_t)c->obj * w.size + (uintptr_t)c->off;
	switch (c->what) {
	case TAKE:
		if (do_take(s, &w) < 0)
			return -1;
		break;
	case FIND:
		err = hobj_span_find(s, p, &i, &f);
		if (err != c->err)
			return lab_fail("find of %#lx (object %d%s) answered %s, want %s",
					(unsigned long)(p - base), c->obj,
					c->off ? ", inside it" : "", errname(err), errname(c->err));
		if (err == HOBJ_OK && i != (unsigned)c->obj)
			return lab_fail("find of object %d said *i = %u", c->obj, i);
		if (err != HOBJ_OK && (f.err != (enum hobj_err)err || f.ptr != p))
			return lab_fail("find refused %s with %s, but *f says %s of %s: *f "
					"names the error and the pointer",
					at((void *)p), errname(err), errname(f.err),
					at((void *)f.ptr));
		break;
	case GIVE:
	case GIVE_TAKE:
		err = hobj_span_give(s, p, &f);
		if (err != c->err)
			return lab_fail("give of %#lx (object %d%s) answered %s, want %s",
					(unsigned long)(p - base), c->obj,
					c->off ? ", inside it" : "", errname(err), errname(c->err));
		if (err != HOBJ_OK && (f.err != (enum hobj_err)err || f.ptr != p))
			return lab_fail("give refused %s with %s, but *f says %s of %s: *f "
					"names the error and the pointer",
					at((void *)p), errname(err), errname(f.err),
					at((void *)f.ptr));
		if (err == HOBJ_OK)
			expect_give(&w, c->obj);
		if (c->what == GIVE_TAKE) {
			if (hobj_span_give(s, base + (uintptr_t)c->obj2 * w.size, &f) != HOBJ_OK)
				return lab_fail("give of object %d refused", c->obj2);
			expect_give(&w, c->obj2);
			if (check_span(s, &w, base, bytes) < 0 || do_take(s, &w) < 0)
				return -1;
			if (check_span(s, &w, base, bytes) < 0 || do_take(s, &w) < 0)
				return -1;
		}
		break;
	}
	return check_span(s, &w, base, bytes);
}

// --- through objects/objects.c -----------------------------------------------

struct life_case {
	struct lab_case id;
	int how;
};

enum { FULL_LEAVES, FULL_REJOINS, EMPTIED_RELEASED, LAST_KEPT, CHECK_RANDOM };

static const struct life_case life_cases[] = {
    {{"life", "a-full-span-leaves-the-list"}, FULL_LEAVES},
    {{"life", "a-full-span-rejoins-on-a-free"}, FULL_REJOINS},
    {{"life", "an-emptied-span-goes-back"}, EMPTIED_RELEASED},
    {{"life", "the-last-span-is-kept"}, LAST_KEPT},
    {{"life", "check-after-a-random-workload"}, CHECK_RANDOM},
};

static int check_heap(const char *when)
{
	struct hobj_fault f;
	char line[200];

	if (hobj_check(&heap, &f) == HOBJ_OK)
		return 0;
	hobj_fault_format(&f, line, sizeof line);
	return lab_fail("hobj_check failed %s: %s (the heap starts at %#lx)", when, line,
			(unsigned long)mempool.start);
}

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static int run_life(const void *v)
{
	const struct life_case *c = v;
	const unsigned cls = 22, size = hobj_class_size[22], nobj = hobj_class_nobj[22];
	struct hobj_class *k = &heap.class[cls];
	void *o[2 * HOBJ_MAXOBJ], *extra;
	uintptr_t inuse;
	unsigned i, j;
	int err;

	setup();
	if (c->how == CHECK_RANDOM) {
		unsigned n = 0;

		rng_state = 0x5eed1a8;
		for (i = 0; i < 3000; i++) {
			if (n > 0 && (n >= 200 || rnd(100) < 45)) {
				j = rnd(n);
				err = hobj_objfree(&heap, o[j], NULL);
				if (err != HOBJ_OK)
					return lab_fail("op %u: the free of %s was refused (%s)", i,
							at(o[j]), hobj_strerror(err));
				o[j] = o[--n];
			} else if ((o[n] = hobj_objalloc(&heap, 1 + rnd(2048), 0, NULL)) != NULL) {
				n++;
			}
		}
		return check_heap("after 3000 random allocations and frees");
	}
	for (i = 0; i < nobj; i++) {
		o[i] = hobj_objalloc(&heap, size, 0, NULL);
		if (o[i] == NULL)
			return lab_fail("allocation %u of %u bytes answered NULL, want object %u "
					"of the class's span",
					i + 1, size, i);
		if ((uintptr_t)o[i] != (uintptr_t)o[0] + i * size)
			return lab_fail("allocation %u of %u bytes answered %s, want the span's "
					"object %u (%s + %#x)",
					i + 1, size, at(o[i]), i, at(o[0]), i * size);
	}
	if (c->how == FULL_LEAVES) {
		if (k->partial != NULL)
			return lab_fail("the class's list still holds its span after all %u "
					"objects were taken (s->inuse == s->nobj makes it full)",
					nobj);
		extra = hobj_objalloc(&heap, size, 0, NULL);
		if (extra == NULL ||
		    (uintptr_t)extra - (uintptr_t)o[0] < HOBJ_UNIT * hobj_class_npages[cls] ||
		    k->nspan != 2)
			return lab_fail("allocation %u answered %s with %lu spans, want a new "
					"span's first object",
					nobj + 1, at(extra), (unsigned long)k->nspan);
		return check_heap("with one full span and one new");
	}
	if (c->how == FULL_REJOINS) {
		if (hobj_objfree(&heap, o[3], NULL) != HOBJ_OK)
			return lab_fail("the free of object 3 of a full span was refused");
		if (k->partial == NULL)
			return lab_fail("a full span with an object freed is not on the class's "
					"list");
		extra = hobj_objalloc(&heap, size, 0, NULL);
		if (extra != o[3])
			return lab_fail("the next allocation answered %s, want %s, the object "
					"just freed",
					at(extra), at(o[3]));
		return check_heap("after a full span's free and alloc");
	}
	if (c->how == LAST_KEPT) {
		for (i = 0; i < nobj; i++)
			if (hobj_objfree(&heap, o[i], NULL) != HOBJ_OK)
				return lab_fail("the free of object %u was refused", i);
		if (k->nspan != 1 || k->partial == NULL || k->partial->inuse != 0)
			return lab_fail("the class's only span, emptied, was not kept on its list "
					"(nspan %lu)",
					(unsigned long)k->nspan);
		extra = hobj_objalloc(&heap, size, 0, NULL);
		if (extra != o[nobj - 1])
			return lab_fail("an allocation after emptying the span answered %s, want "
					"%s, the object freed last",
					at(extra), at(o[nobj - 1]));
		return check_heap("after emptying the only span");
	}
	// EMPTIED_RELEASED: a second span, then the first one emptied
	for (i = nobj; i < nobj + 2; i++)
		o[i] = hobj_objalloc(&heap, size, 0, NULL);
	inuse = mempool.inuse;
	for (i = 0; i < nobj; i++)
		if ((err = hobj_objfree(&heap, o[i], NULL)) != HOBJ_OK)
			return lab_fail("the free of object %u was refused (%s)", i,
					hobj_strerror(err));
	if (k->nspan != 1 || mempool.inuse != inuse - HOBJ_UNIT * hobj_class_npages[cls])
		return lab_fail("the emptied span did not go back to the pool (the class has %lu "
				"spans, the pool %#lx bytes in use, want 1 and %#lx): s->inuse "
				"reaching 0 says it is empty",
				(unsigned long)k->nspan, (unsigned long)mempool.inuse,
				(unsigned long)(inuse - HOBJ_UNIT * hobj_class_npages[cls]));
	return check_heap("after a span went back to the pool");
}

// --- workloads ---------------------------------------------------------------

struct work_case {
	struct lab_case id;
	uint64_t seed;
	unsigned ops, maxsize;
	unsigned realloc, calloc, bad; // percent of operations
	unsigned watch;		       // the rules held (W_*)
};

// The rules a workload holds. The workload part holds them all, with
// hobj_check after every operation; each memory case holds one kind of
// corruption and nothing else, so that a free refused (a leak) or a check
// failed (counts) costs no memory points.
#define W_TWICE	  1u  // no object handed out while it is in use
#define W_OVERLAP 2u  // no object overlapping a live one
#define W_KEPT	  4u  // what was written to an object stays until its free
#define W_CALLOC  8u  // calloc answers zeros
#define W_REFUSE  16u // a bad free is refused
#define W_ALL	  31u
#define W_CHECK	  32u // hobj_check after every operation; every free and malloc succeeds

// clang-format off
static const struct work_case work_cases[] = {
    {{"workload", "small-objects"}, 11, 2000, 256, 0, 0, 0, W_ALL | W_CHECK},
    {{"workload", "one-class-churn"}, 12, 2000, 48, 0, 0, 0, W_ALL | W_CHECK},
    {{"workload", "every-class"}, 13, 1000, 32768, 0, 0, 0, W_ALL | W_CHECK},
    {{"workload", "realloc-chains"}, 14, 2000, 2048, 40, 0, 0, W_ALL | W_CHECK},
    {{"workload", "calloc-and-malloc"}, 15, 2000, 1024, 0, 40, 0, W_ALL | W_CHECK},
    {{"memory", "no-object-handed-out-twice"}, 21, 3000, 512, 10, 10, 0, W_TWICE},
    {{"memory", "no-overlap-with-a-live-object"}, 22, 3000, 1024, 10, 10, 0, W_TWICE | W_OVERLAP},
    {{"memory", "contents-kept-until-free"}, 23, 3000, 512, 10, 10, 0, W_KEPT},
    {{"memory", "calloc-answers-zeros"}, 24, 3000, 512, 0, 50, 0, W_CALLOC},
    {{"memory", "bad-frees-harmless"}, 25, 3000, 512, 0, 10, 15,
     W_TWICE | W_OVERLAP | W_KEPT | W_REFUSE},
};
// clang-format on

// A live object of a workload: where, how many bytes, and the tag its
// bytes hold.
struct live {
	unsigned char *p;
	size_t n;
	unsigned tag;
};

static struct live lv[MAXLIVE];
static unsigned nlive;
static unsigned asked, answered; // a workload's allocations, and the ones not NULL

static unsigned long off_of(const void *p)
{
	return (unsigned long)((uintptr_t)p - mempool.start);
}

static unsigned char tag_byte(unsigned tag, size_t k)
{
	return (unsigned char)((tag * 31 + k * 7) | 1); // never zero
}

static void fill(struct live *l)
{
	size_t k;

	for (k = 0; k < l->n; k++)
		l->p[k] = tag_byte(l->tag, k);
}

// kept: do the first n bytes at p still hold tag?
static int kept(const unsigned char *p, size_t n, unsigned tag, unsigned op, const char *when)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (p[k] != tag_byte(tag, k))
			return lab_fail(
			    "memory corrupted at op %u: byte %zu of the object at %#lx "
			    "is %#x %s, want %#x, what was written to it: something "
			    "wrote into an object in use (a free's link pushed into it, "
			    "or it was handed out again)",
			    op, k, off_of(p), p[k], when, tag_byte(tag, k));
	return 0;
}

// vet holds a new object of n bytes at p against the live ones: inside
// the heap, not one of them, overlapping none.
static int vet(const unsigned char *p, size_t n, unsigned op, unsigned watch, const char *call)
{
	unsigned j;

	if ((uintptr_t)p < mempool.start || (uintptr_t)p + n > mempool.end)
		return lab_fail("op %u: %s answered %s, outside the heap", op, call, at(p));
	for (j = 0; j < nlive; j++) {
		const struct live *l = &lv[j];

		if (p == l->p && (watch & W_TWICE))
			return lab_fail("memory corrupted at op %u: %s handed out %#lx, which is "
					"in use (handed out before and not freed): an object "
					"handed out twice",
					op, call, off_of(p));
		if (p < l->p + l->n && l->p < p + n && (watch & W_OVERLAP))
			return lab_fail("memory corrupted at op %u: %s handed out [%#lx, +%zu), "
					"which overlaps the live object [%#lx, +%zu)",
					op, call, off_of(p), n, off_of(l->p), l->n);
	}
	return 0;
}

static size_t draw_size(const struct work_case *c)
{
	unsigned r = rnd(100);

	if (c->maxsize > 2048)
		return 1 + rnd(r < 15 ? c->maxsize : 512);
	return 1 + rnd(c->maxsize);
}

// bad_free throws a pointer the heap must refuse: inside a live object
// (an interior pointer), or the object freed last (a double free).
static int bad_free(unsigned op, unsigned char *last_freed, unsigned watch)
{
	const struct live *l;
	unsigned char *p;
	unsigned j;
	int err;

	if (nlive == 0)
		return 0;
	l = &lv[rnd(nlive)];
	p = last_freed != NULL && rnd(2) ? last_freed : l->n > 16 ? l->p + 16 : NULL;
	for (j = 0; j < nlive && p == last_freed; j++)
		if (lv[j].p == p) // handed out again since: not a double free
			p = NULL;
	if (p == NULL)
		return 0;
	err = hobj_objfree(&heap, p, NULL);
	if (err == HOBJ_OK && (watch & W_REFUSE))
		return lab_fail("op %u: the free of %#lx (%s) was taken, want it refused: "
				"whatever comes of it later is memory corruption",
				op, off_of(p),
				p == last_freed ? "freed already: a double free"
						: "inside a live object: an interior pointer");
	return 0;
}

// do_realloc moves or resizes live object l to a drawn size; a pointer the
// heap would refuse (hobj_objsize asks find) is left alone unless the case
// checks everything, where realloc stops the run naming it.
static int do_realloc(const struct work_case *c, struct live *l, unsigned op)
{
	struct live old = *l;
	size_t n = draw_size(c), had;
	char call[64];
	unsigned char *q;

	if (!(c->watch & W_CHECK) && hobj_objsize(&heap, old.p, &had, NULL) != HOBJ_OK)
		return 0;
	snprintf(call, sizeof call, "realloc(%#lx, %zu)", off_of(old.p), n);
	q = hobj_realloc(&heap, old.p, n);
	if (q == NULL)
		return c->watch & W_CHECK ? lab_fail("op %u: %s answered NULL", op, call) : 0;
	*l = lv[--nlive]; // the old object is no longer live
	if (q != old.p && vet(q, n, op, c->watch, call) < 0)
		return -1;
	if ((c->watch & W_KEPT) && kept(q, n < old.n ? n : old.n, old.tag, op, "after realloc") < 0)
		return -1;
	lv[nlive] = (struct live){q, n, old.tag + 100000};
	fill(&lv[nlive++]);
	return 0;
}

static int do_free(const struct work_case *c, struct live *l, unsigned op,
		   unsigned char **last_freed)
{
	struct hobj_fault f;
	char line[200];
	int err;

	if ((c->watch & W_KEPT) && kept(l->p, l->n, l->tag, op, "at its free") < 0)
		return -1;
	err = hobj_objfree(&heap, l->p, &f);
	if (err != HOBJ_OK && (c->watch & W_CHECK)) {
		hobj_fault_format(&f, line, sizeof line);
		return lab_fail("op %u: the free of %#lx, in use, was refused: %s", op,
				off_of(l->p), line);
	}
	if (err == HOBJ_OK) { // (a refused one stays live)
		*last_freed = l->p;
		*l = lv[--nlive];
	}
	return 0;
}

static int do_alloc(const struct work_case *c, unsigned op, unsigned *tag)
{
	size_t n = draw_size(c), k;
	int cz = c->calloc && rnd(100) < c->calloc;
	char call[64];
	unsigned char *p;

	snprintf(call, sizeof call, cz ? "calloc(1, %zu)" : "malloc(%zu)", n);
	p = cz ? hobj_calloc(&heap, 1, n) : hobj_malloc(&heap, n);
	asked++;
	answered += p != NULL;
	if (p == NULL)
		return c->watch & W_CHECK ? lab_fail("op %u: %s answered NULL with %#lx bytes of "
						     "the heap in use",
						     op, call, (unsigned long)mempool.inuse)
					  : 0;
	if (vet(p, n, op, c->watch, call) < 0)
		return -1;
	for (k = 0; cz && (c->watch & W_CALLOC) && k < n; k++)
		if (p[k] != 0)
			return lab_fail("op %u: %s answered %#lx whose byte %zu is %#x, want 0: "
					"did take say *zero = 1 for an object that had been in "
					"use?",
					op, call, off_of(p), k, p[k]);
	lv[nlive] = (struct live){p, n, ++*tag};
	fill(&lv[nlive++]);
	return 0;
}

// run_work runs a seeded random workload through the C API. In a --record
// run the checks are left out (they only read: the judge runs them).
static int run_work(const void *v)
{
	const struct work_case *c = v;
	const int judging = lab_op_hook == NULL;
	unsigned char *last_freed = NULL;
	unsigned op, tag = 0, r;
	char when[40];
	int err = 0;

	setup();
	nlive = asked = answered = 0;
	rng_state = c->seed * 0x9e3779b97f4a7c15ull + 1;
	for (op = 1; op <= c->ops && err == 0; op++) {
		r = rnd(100);
		if (r < c->bad)
			err = bad_free(op, last_freed, c->watch);
		else if (nlive > 0 && (nlive >= MAXLIVE || r % 2 == 0)) {
			struct live *l = &lv[rnd(nlive)];

			if (rnd(100) < c->realloc)
				err = do_realloc(c, l, op);
			else
				err = do_free(c, l, op, &last_freed);
		} else {
			err = do_alloc(c, op, &tag);
		}
		if (err == 0 && (c->watch & W_CHECK) && judging) {
			snprintf(when, sizeof when, "after op %u", op);
			err = check_heap(when);
		}
	}
	// A heap that hands out nothing corrupts nothing: such a run vouches
	// for nothing either, as the replays of labs 3, 6 and 7 do not.
	if (err == 0 && 2 * answered < asked)
		return lab_fail("shows nothing: %u of %u allocations were answered, NULL the "
				"rest: a heap that hands out nothing corrupts nothing",
				answered, asked);
	return err;
}

// --- the suite ---------------------------------------------------------------

struct any_case {
	struct lab_case id;
	int (*run)(const void *c);
	const void *c;
};

#define NSPAN (sizeof span_cases / sizeof span_cases[0])
#define NLIFE (sizeof life_cases / sizeof life_cases[0])
#define NWORK (sizeof work_cases / sizeof work_cases[0])

static struct any_case all[NSPAN + NLIFE + NWORK];

static int run_any(const void *v)
{
	const struct any_case *a = v;

	return a->run(a->c);
}

int main(int argc, char **argv)
{
	static struct lab_suite suite = {"grade_span",	"hobj_span_take",
					 all,		sizeof all / sizeof all[0],
					 sizeof all[0], run_any};
	size_t i, n = 0;

	for (i = 0; i < NSPAN; i++)
		all[n++] = (struct any_case){span_cases[i].id, run_span, &span_cases[i]};
	for (i = 0; i < NLIFE; i++)
		all[n++] = (struct any_case){life_cases[i].id, run_life, &life_cases[i]};
	for (i = 0; i < NWORK; i++)
		all[n++] = (struct any_case){work_cases[i].id, run_work, &work_cases[i]};
	return lab_main(&suite, argc, argv);
}
