// SPDX-License-Identifier: BSD-3-Clause
// Trace replay engine, shared by build/host/replay and the image.
//
// A trace is lines of
//	alloc ID SIZE		SIZE decimal or 0x-hex
//	free ID			frees what ID got, with the size it asked for
//	freeat OFF SIZE		frees [base+OFF, +SIZE) as given
//	sbrk SIZE		another client of the break takes SIZE bytes there
//	check			runs the full check now
//	malloc ID SIZE		an object of SIZE bytes from the objects layer
//	mfree ID		frees ID's object
//	realloc ID SIZE		resizes ID's object (SIZE not 0)
// plus comments (`#` to the end of the line) and blank lines. The output is
// `ID 0xOFF` or `ID nil` per alloc, malloc and realloc, `sbrk 0xOFF
// 0xSIZE` or `sbrk nil 0xSIZE` per sbrk, an `error line N: ...` line per
// refused operation, then
// `free 0xOFF 0xSIZE` per free block and `brk 0xOFF`.
// The trace is scanned whole before anything runs, so a malformed trace
// changes nothing; the scan also enforces the limits of replay.h (trace
// size, field length, alloc lines), so no output line is ever cut short.
// A trace works one layer: pages (alloc, free, freeat) or objects
// (malloc, mfree, realloc), never both (replay_scan says why).
#include "replay.h"

#include <stdio.h>
#include <string.h>

enum op {
	OP_NONE,
	OP_ALLOC,
	OP_FREE,
	OP_FREEAT,
	OP_SBRK,
	OP_CHECK,
	OP_MALLOC,
	OP_MFREE,
	OP_REALLOC
};

struct tok {
	const char *s;
	size_t n;
};

struct line {
	enum op op;
	struct tok arg[2];
	uint64_t num[2]; // parsed numbers (SIZE, or OFF and SIZE)
	int big[2];	 // the number does not fit a uintptr_t
};

volatile unsigned long replay_opno;

void replay_done(void)
{
	__asm__ volatile("" ::: "memory");
}

static int tokeq(struct tok t, const char *s)
{
	return t.n == strlen(s) && memcmp(t.s, s, t.n) == 0;
}

// split cuts a line into at most 4 tokens, stopping at a comment; it
// answers the count, or 5 if there were more.
static int split(const char *s, const char *e, struct tok *t)
{
	int n = 0;

	for (;;) {
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s == e || *s == '#')
			return n;
		if (n == 4)
			return 5;
		t[n].s = s;
		while (s < e && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		t[n].n = (size_t)(s - t[n].s);
		n++;
	}
}

#define STR_(x) #x
#define STR(x)	STR_(x)

// What the scan says of a field beyond the limit.
static const char field_too_long[] =
    "a field longer than " STR(REPLAY_WORD_MAX) " bytes (the limit for an ID or a number)";

// What the scan says of an ID holding a control byte: IDs are printed, and
// a raw ESC or OSC would reach the terminal (retitle it, say).
static const char control_in_id[] =
    "a control byte (0x00-0x1f or 0x7f) in an ID (the replay prints IDs: they must not reach "
    "a terminal raw)";

const char *replay_number(const char *s, size_t n, uint64_t *v)
{
	unsigned base = 10, d;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return "not a number (want decimal or 0x-hex)";
	for (*v = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return "not a number (want decimal or 0x-hex)";
		if (*v > (UINT64_MAX - d) / base)
			return "number too large (the most is 2^64-1)";
		*v = *v * base + d;
	}
	return NULL;
}

const char *replay_opts(uint64_t heap, uint64_t page, char *err, size_t errlen)
{
	if (page < REPLAY_PAGE_MIN || page > REPLAY_PAGE_MAX || (page & (page - 1)) != 0)
		snprintf(err, errlen, "page %llu is not a power of two from %u to %u",
			 (unsigned long long)page, REPLAY_PAGE_MIN, REPLAY_PAGE_MAX);
	else if (heap == 0 || heap % page != 0)
		snprintf(err, errlen, "heap %llu is not a whole number of pages (of %llu bytes)",
			 (unsigned long long)heap, (unsigned long long)page);
	else
		return NULL;
	return err;
}

// has_id answers whether op's first field is an ID.
static int has_id(enum op op)
{
	return op == OP_ALLOC || op == OP_FREE || op == OP_MALLOC || op == OP_MFREE ||
	       op == OP_REALLOC;
}

// layer answers the layer op works: 1 pages, 2 objects, 0 either (sbrk,
// check, a blank line).
static int layer(enum op op)
{
	if (op == OP_ALLOC || op == OP_FREE || op == OP_FREEAT)
		return 1;
	return op == OP_MALLOC || op == OP_MFREE || op == OP_REALLOC ? 2 : 0;
}

// What the scan says of a line of the other layer than the trace's first
// (other_layer[that first layer]): the objects layer's check holds the
// pool's bytes in use against its own, so that a page alloc beside the
// objects would be a leak to it.
static const char *const other_layer[] = {
    NULL,
    "a trace of the page layer (alloc, free, freeat) may not use malloc, mfree or realloc: the "
    "objects heap must be its pool's only client",
    "a trace of objects (malloc, mfree, realloc) may not use the page layer's alloc, free or "
    "freeat: the objects heap must be its pool's only client",
};

// parse reads one line into l; it answers NULL or what is wrong with it.
static const char *parse(const char *s, const char *e, struct line *l)
{
	struct tok t[4];
	int n = split(s, e, t), i, nnum = 0, first = 1;

	memset(l, 0, sizeof *l);
	if (n == 0)
		return NULL;
	if (tokeq(t[0], "alloc") && n == 3)
		l->op = OP_ALLOC, nnum = 1, first = 2;
	else if (tokeq(t[0], "free") && n == 2)
		l->op = OP_FREE;
	else if (tokeq(t[0], "freeat") && n == 3)
		l->op = OP_FREEAT, nnum = 2;
	else if (tokeq(t[0], "sbrk") && n == 2)
		l->op = OP_SBRK, nnum = 1;
	else if (tokeq(t[0], "check") && n == 1)
		l->op = OP_CHECK;
	else if (tokeq(t[0], "malloc") && n == 3)
		l->op = OP_MALLOC, nnum = 1, first = 2;
	else if (tokeq(t[0], "mfree") && n == 2)
		l->op = OP_MFREE;
	else if (tokeq(t[0], "realloc") && n == 3)
		l->op = OP_REALLOC, nnum = 1, first = 2;
	else if (tokeq(t[0], "alloc") || tokeq(t[0], "free") || tokeq(t[0], "freeat") ||
		 tokeq(t[0], "sbrk") || tokeq(t[0], "check") || tokeq(t[0], "malloc") ||
		 tokeq(t[0], "mfree") || tokeq(t[0], "realloc"))
		return "wrong number of fields";
	else
		return "unknown operation (want alloc, free, freeat, sbrk, check, malloc, mfree or "
		       "realloc)";
	l->arg[0] = n > 1 ? t[1] : t[0];
	l->arg[1] = n > 2 ? t[2] : t[0];
	for (i = 1; i < n; i++)
		if (t[i].n > REPLAY_WORD_MAX)
			return field_too_long;
	if (has_id(l->op))
		for (i = 0; (size_t)i < t[1].n; i++)
			if ((unsigned char)t[1].s[i] < 0x20 || t[1].s[i] == 0x7f)
				return control_in_id;
	for (i = 0; i < nnum; i++) {
		const char *why = replay_number(t[first + i].s, t[first + i].n, &l->num[i]);
		if (why != NULL)
			return why;
		l->big[i] = l->num[i] > UINTPTR_MAX;
	}
	if (l->op == OP_REALLOC && l->num[0] == 0)
		return "realloc to size 0 (C23 leaves it undefined, glibc frees: write mfree ID)";
	return NULL;
}

// lines iterates: it finds the end of the line at *s and answers it.
static const char *line_end(const char *s, const char *e)
{
	const char *nl = memchr(s, '\n', (size_t)(e - s));

	return nl ? nl : e;
}

long replay_scan(const char *text, size_t len, char *err, size_t errlen)
{
	const char *s = text, *e = text + len, *le, *why;
	unsigned long lineno = 0;
	long nalloc = 0;
	int layers = 0; // the layer of the trace's first alloc, free, ... line
	struct line l;

	if (len > REPLAY_TRACE_MAX) {
		snprintf(err, errlen,
			 "%lu bytes, more than the limit of %lu (64 MiB) a trace may have",
			 (unsigned long)len, (unsigned long)REPLAY_TRACE_MAX);
		return -1;
	}
	for (; s < e; s = le + 1) {
		le = line_end(s, e);
		lineno++;
		if (memchr(s, '\0', (size_t)(le - s)) != NULL)
			why = "NUL byte in the line";
		else
			why = parse(s, le, &l);
		if (why == NULL && layer(l.op) != 0 && layers != 0 && layer(l.op) != layers)
			why = other_layer[layers];
		if (why != NULL) {
			snprintf(err, errlen, "line %lu: %s", lineno, why);
			return -1;
		}
		if (layers == 0)
			layers = layer(l.op);
		nalloc += l.op == OP_ALLOC || l.op == OP_MALLOC; // the IDs a trace names
		if (nalloc > REPLAY_ALLOCS_MAX) {
			snprintf(err, errlen, "line %lu: more than %d %s lines (the limit)", lineno,
				 REPLAY_ALLOCS_MAX, l.op == OP_MALLOC ? "malloc" : "alloc");
			return -1;
		}
	}
	return nalloc;
}

size_t replay_slots(long nalloc)
{
	size_t n = 16;

	while (n < 2 * (size_t)nalloc)
		n *= 2;
	return n;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                          \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                             \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                             \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                          \
	} while (0)

// SipHash-1-3 (Aumasson and Bernstein; Python's and Rust's table hash):
// one round per 8-byte word, three at the end.
uint64_t replay_hash(const uint64_t key[2], const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, j;

	for (i = 0; i + 8 <= n; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (uint64_t)s[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (j = 0; i + j < n; j++)
		b |= (uint64_t)s[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

// slot finds ID's slot, or the empty slot where it would go. The hash is
// keyed (struct replay's key), so no trace can choose IDs that share a run
// of slots: a lookup looks at about two slots, whatever the IDs.
static struct replay_slot *slot(struct replay *r, struct tok id)
{
	size_t i;

	r->lookups++;
	for (i = (size_t)replay_hash(r->key, id.s, id.n) & (r->nslots - 1);;
	     i = (i + 1) & (r->nslots - 1)) {
		struct replay_slot *sl = &r->slots[i];
		r->probes++;
		if (sl->id == NULL || (sl->idlen == id.n && memcmp(sl->id, id.s, id.n) == 0))
			return sl;
	}
}

static void emit(struct replay *r, const char *line)
{
	r->write(r->arg, line, strlen(line));
}

static void do_alloc(struct replay *r, struct replay_slot *sl, const struct line *l, char *buf,
		     size_t blen)
{
	void *p = l->big[0] ? NULL : heaplab_alloc(r->pool, (uintptr_t)l->num[0]);

	sl->id = l->arg[0].s;
	sl->idlen = l->arg[0].n;
	sl->addr = (uintptr_t)p;
	sl->size = (uintptr_t)l->num[0];
	sl->live = 1;
	if (p == NULL)
		snprintf(buf, blen, "%.*s nil\n", (int)sl->idlen, sl->id);
	else
		snprintf(buf, blen, "%.*s 0x%lx\n", (int)sl->idlen, sl->id,
			 (unsigned long)((uintptr_t)p - r->base));
}

// do_sbrk is another client of the break (newlib's malloc, say) taking n
// bytes at it, unaligned, through the platform's owner of the break: the
// pool's next sbrk must start above them. The bytes stay inside the
// replay's heap, so that every platform answers the same.
static void do_sbrk(struct replay *r, const struct line *l, char *buf, size_t blen)
{
	uintptr_t at = HEAPLAB_BRK_FAIL;

	if (!l->big[0])
		at = r->sbrk((uintptr_t)l->num[0], 1, r->base, r->pool->end);
	if (at == HEAPLAB_BRK_FAIL)
		snprintf(buf, blen, "sbrk nil 0x%llx\n", (unsigned long long)l->num[0]);
	else
		snprintf(buf, blen, "sbrk 0x%lx 0x%llx\n", (unsigned long)(at - r->base),
			 (unsigned long long)l->num[0]);
}

// op_name answers an object line's operation, as the trace writes it.
static const char *op_name(enum op op)
{
	return op == OP_MALLOC ? "malloc" : op == OP_MFREE ? "mfree" : "realloc";
}

// print_answer writes ID's answer: `ID 0xOFF`, or `ID nil` for p == 0.
static void print_answer(struct replay *r, struct tok id, uintptr_t p, char *buf, size_t blen)
{
	if (p == 0)
		snprintf(buf, blen, "%.*s nil\n", (int)id.n, id.s);
	else
		snprintf(buf, blen, "%.*s 0x%lx\n", (int)id.n, id.s, (unsigned long)(p - r->base));
}

// run_obj does a malloc, mfree or realloc line. The ID is checked first,
// so that a refused line changes nothing: an unknown or freed ID never
// reaches the objects layer (whose free would stop the machine on it).
// A malloc or realloc that answers nil prints `ID nil`; a realloc's ID then
// keeps its object, as C's realloc leaves p. An ID whose malloc answered
// nil holds no object: mfree of it frees nothing, realloc of it mallocs.
static int run_obj(struct replay *r, const struct line *l, char *buf, size_t blen)
{
	const char *name = op_name(l->op);
	struct tok id = l->arg[0];
	struct replay_slot *sl;
	uintptr_t p = 0;
	char why[160];

	if (r->objects == NULL) {
		snprintf(buf, blen,
			 "%s %.*s: no objects layer in this replay (it runs the page layer "
			 "alone)",
			 name, (int)id.n, id.s);
		return -1;
	}
	sl = slot(r, id);
	if (l->op == OP_MALLOC && sl->id != NULL && sl->live && sl->addr != 0) {
		snprintf(buf, blen, "malloc %.*s: id still holds memory", (int)id.n, id.s);
		return -1;
	}
	if (l->op != OP_MALLOC && sl->id == NULL) {
		snprintf(buf, blen, "%s %.*s: unknown id", name, (int)id.n, id.s);
		return -1;
	}
	if (l->op != OP_MALLOC && !sl->live) {
		snprintf(buf, blen, "%s %.*s: %s", name, (int)id.n, id.s,
			 l->op == OP_MFREE ? "double free (the id was freed already)"
					   : "the id was freed already (a use after free)");
		return -1;
	}
	if (r->objects->start(r, why, sizeof why) != 0) {
		snprintf(buf, blen, "%s %.*s: %s", name, (int)id.n, id.s, why);
		return -1;
	}
	switch (l->op) {
	case OP_MALLOC:
		p = l->big[0] ? 0 : r->objects->malloc(r, (uintptr_t)l->num[0]);
		*sl = (struct replay_slot){id.s, id.n, p, (uintptr_t)l->num[0], 1, 1};
		print_answer(r, id, p, buf, blen);
		break;
	case OP_MFREE:
		if (sl->addr != 0)
			r->objects->free(r, sl->addr);
		sl->live = 0;
		break;
	default:
		p = l->big[0] ? 0 : r->objects->realloc(r, sl->addr, (uintptr_t)l->num[0]);
		if (p != 0) {
			sl->addr = p;
			sl->size = (uintptr_t)l->num[0];
		}
		print_answer(r, id, p, buf, blen);
		break;
	}
	return HEAPLAB_OK;
}

// run_one does one operation; it answers the error it met, writing the
// line to print in buf (empty if there is nothing to print).
static int run_one(struct replay *r, const struct line *l, char *buf, size_t blen)
{
	struct replay_slot *sl;
	uintptr_t a;
	int err;

	buf[0] = '\0';
	switch (l->op) {
	case OP_ALLOC:
		sl = slot(r, l->arg[0]);
		if (sl->id != NULL && sl->live && sl->addr != 0) {
			snprintf(buf, blen, "alloc %.*s: id still holds memory", (int)sl->idlen,
				 sl->id);
			return -1;
		}
		do_alloc(r, sl, l, buf, blen);
		return HEAPLAB_OK;
	case OP_FREE:
		sl = slot(r, l->arg[0]);
		if (sl->id == NULL) {
			snprintf(buf, blen, "free %.*s: unknown id", (int)l->arg[0].n, l->arg[0].s);
			return -1;
		}
		if (!sl->live) { // the allocator cannot tell: the pages may be another id's now
			snprintf(buf, blen, "free %.*s: double free (the id was freed already)",
				 (int)sl->idlen, sl->id);
			return HEAPLAB_EDOUBLE;
		}
		err = heaplab_free(r->pool, (void *)sl->addr, sl->size);
		if (err == HEAPLAB_OK)
			sl->live = 0;
		else
			snprintf(buf, blen, "free %.*s: %s", (int)sl->idlen, sl->id,
				 heaplab_strerror(err));
		return err;
	case OP_FREEAT:
		a = r->base + (uintptr_t)l->num[0];
		if (l->big[0] || l->big[1] || a < r->base)
			err = HEAPLAB_ERANGE;
		else
			err = heaplab_free(r->pool, (void *)a, (uintptr_t)l->num[1]);
		if (err != HEAPLAB_OK)
			snprintf(buf, blen, "freeat %.*s %.*s: %s", (int)l->arg[0].n, l->arg[0].s,
				 (int)l->arg[1].n, l->arg[1].s, heaplab_strerror(err));
		return err;
	case OP_SBRK:
		if (r->sbrk == NULL) {
			snprintf(buf, blen, "sbrk %.*s: no other client of the break here",
				 (int)l->arg[0].n, l->arg[0].s);
			return -1;
		}
		do_sbrk(r, l, buf, blen);
		return HEAPLAB_OK;
	case OP_MALLOC:
	case OP_MFREE:
	case OP_REALLOC:
		return run_obj(r, l, buf, blen);
	default:
		return HEAPLAB_OK;
	}
}

// check runs the full check, the pool's and then, once the trace's objects
// heap is set up, the objects layer's; on failure it prints why, keeps the words in
// r->fault and answers 1: the replay stops, and its caller ends in
// heaplab_fail after replay_done and its own reports (replay_run).
static int check(struct replay *r, unsigned long lineno)
{
	struct heaplab_fault f;
	char buf[sizeof r->fault + 64];

	if (heaplab_check(r->pool, &f) != HEAPLAB_OK)
		heaplab_fault_format(r->pool, &f, r->fault, sizeof r->fault);
	else if (!r->objready || r->objects->check(r, r->fault, sizeof r->fault) == 0)
		return 0;
	snprintf(buf, sizeof buf, "error line %lu: check: %s\n", lineno, r->fault);
	emit(r, buf);
	return 1;
}

// finish prints the free list and the break as the pool sees it: its top,
// the end of its last region (another client's sbrk may lie above it).
static void finish(struct replay *r)
{
	struct heaplab_hdr *b;
	char buf[80];

	heaplab_lock(r->pool);
	for (b = r->pool->freelist; b != NULL; b = b->next) {
		snprintf(buf, sizeof buf, "free 0x%lx 0x%lx\n",
			 (unsigned long)((uintptr_t)b - r->base), (unsigned long)b->size);
		emit(r, buf);
	}
	snprintf(buf, sizeof buf, "brk 0x%lx\n",
		 (unsigned long)((r->pool->bloc ? r->pool->bloc : r->base) - r->base));
	heaplab_unlock(r->pool);
	emit(r, buf);
}

// offset prints a block's address as an offset from the base, or nil.
static void offset(struct replay *r, const struct heaplab_hdr *b, char *buf, size_t len)
{
	if (b == NULL)
		snprintf(buf, len, "nil");
	else
		snprintf(buf, len, "0x%lx", (unsigned long)((uintptr_t)b - r->base));
}

// node_offset prints the block of tree node n as an offset, or nil.
static void node_offset(struct replay *r, const struct heaplab_avl_node *n, char *buf, size_t len)
{
	offset(r, n ? heaplab_node_block(n) : NULL, buf, len);
}

// step_regions prints the pool's regions, when another client of the
// break has taken bytes below its top: its heap is not all of [base, top).
static void step_regions(struct replay *r)
{
	const struct heaplab_region *g;
	char buf[80];

	snprintf(buf, sizeof buf, "regions %d\n", r->pool->nregion);
	emit(r, buf);
	for (g = r->pool->region; g < r->pool->region + r->pool->nregion; g++) {
		snprintf(buf, sizeof buf, "  0x%lx 0x%lx\n", (unsigned long)(g->start - r->base),
			 (unsigned long)(g->end - r->base));
		emit(r, buf);
	}
}

// step_tree prints the placement index after the free list, in order.
static void step_tree(struct replay *r)
{
	const struct heaplab_avl_node *n;
	unsigned long k = 0;
	char buf[160], at[24], l[24], rt[24];

	for (n = heaplab_tree_first(r->pool); n != NULL; n = heaplab_tree_next(n))
		k++;
	node_offset(r, r->pool->tree.node, at, sizeof at);
	snprintf(buf, sizeof buf, "tree root %s nodes %lu\n", at, k);
	emit(r, buf);
	for (n = heaplab_tree_first(r->pool); n != NULL; n = heaplab_tree_next(n)) {
		node_offset(r, n, at, sizeof at);
		node_offset(r, n->left, l, sizeof l);
		node_offset(r, n->right, rt, sizeof rt);
		snprintf(buf, sizeof buf, "  %s left %s right %s max 0x%lx height %ld\n", at, l, rt,
			 (unsigned long)((const struct heaplab_node *)n)->max, (long)n->height);
		emit(r, buf);
	}
}

// walkable answers whether block b, the k-th of the list (from 0), may be
// read: inside the pool's [base, top), aligned, and no further down the
// list than the heap has granules. A sound list always is; after a failed
// check the step of the operation that broke it is printed too, and its
// list may loop or point anywhere.
static int walkable(struct replay *r, const struct heaplab_hdr *b, unsigned long k)
{
	uintptr_t a = (uintptr_t)b, top = r->pool->bloc ? r->pool->bloc : r->base;

	return b != NULL && a >= r->base && a < top && top - a >= sizeof *b &&
	       a % _Alignof(struct heaplab_hdr) == 0 && k <= (top - r->base) / r->pool->granule;
}

void replay_step(struct replay *r, unsigned long lineno)
{
	const struct heaplab_hdr *b;
	unsigned long n = 0, k;
	char buf[120], at[24], next[24];

	heaplab_lock(r->pool);
	for (b = r->pool->freelist; walkable(r, b, n); b = b->next)
		n++;
	snprintf(buf, sizeof buf, "step %lu line %lu brk 0x%lx free %lu\n", r->nstep, lineno,
		 (unsigned long)((r->pool->bloc ? r->pool->bloc : r->base) - r->base), n);
	emit(r, buf);
	for (b = r->pool->freelist, k = 0; k < n; b = b->next, k++) {
		offset(r, b, at, sizeof at);
		offset(r, b->next, next, sizeof next);
		snprintf(buf, sizeof buf, "  %s 0x%lx %s\n", at, (unsigned long)b->size, next);
		emit(r, buf);
	}
	if (r->pool->nregion > 1 || (r->pool->nregion == 1 && r->pool->region[0].start != r->base))
		step_regions(r);
	if (r->pool->index && r->fault[0] == '\0') // a broken tree may loop
		step_tree(r);
	heaplab_unlock(r->pool);
	if (r->objready)
		r->objects->step(r);
}

long replay_compile(struct replay *r, const char *text, size_t len, struct replay_op *ops, long max)
{
	const char *s = text, *e = text + len, *le;
	struct replay_slot *sl;
	struct line l;
	long n = 0;

	for (; s < e && n < max; s = le + 1) {
		le = line_end(s, e);
		if (parse(s, le, &l) != NULL || (l.op != OP_ALLOC && l.op != OP_FREE))
			continue;
		sl = slot(r, l.arg[0]);
		if (l.op == OP_ALLOC) {
			sl->id = l.arg[0].s;
			sl->idlen = l.arg[0].n;
			sl->addr = (uintptr_t)n; // here: the index of the alloc
			sl->live = 1;
			ops[n].is_alloc = 1;
			ops[n++].size = l.big[0] ? UINTPTR_MAX : (uintptr_t)l.num[0];
		} else if (sl->id != NULL && sl->live) {
			sl->live = 0;
			ops[n].is_alloc = 0;
			ops[n++].ref = (long)sl->addr;
		}
	}
	return n;
}

// hex_id writes id's bytes as lowercase hex into buf (2 * REPLAY_WORD_MAX + 1 bytes).
static void hex_id(struct tok id, char *buf)
{
	static const char digit[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < id.n; i++) {
		buf[2 * i] = digit[(unsigned char)id.s[i] >> 4];
		buf[2 * i + 1] = digit[(unsigned char)id.s[i] & 15];
	}
	buf[2 * id.n] = '\0';
}

void replay_ops(const char *text, size_t len, void (*write)(void *arg, const char *s, size_t n),
		void *arg)
{
	const char *s = text, *e = text + len, *le;
	char hex[2 * REPLAY_WORD_MAX + 1], buf[REPLAY_LINE_MAX];
	unsigned long lineno = 0;
	struct line l;
	int n;

	for (; s < e; s = le + 1) {
		le = line_end(s, e);
		lineno++;
		if (parse(s, le, &l) != NULL || l.op == OP_NONE)
			continue;
		if (has_id(l.op))
			hex_id(l.arg[0], hex);
		if (l.op == OP_ALLOC || l.op == OP_MALLOC || l.op == OP_REALLOC)
			n = snprintf(buf, sizeof buf, "%s %lu %s %llu\n",
				     l.op == OP_ALLOC ? "alloc" : op_name(l.op), lineno, hex,
				     (unsigned long long)l.num[0]);
		else if (l.op == OP_FREE || l.op == OP_MFREE)
			n = snprintf(buf, sizeof buf, "%s %lu %s\n",
				     l.op == OP_FREE ? "free" : "mfree", lineno, hex);
		else if (l.op == OP_FREEAT)
			n = snprintf(buf, sizeof buf, "freeat %lu %llu %llu\n", lineno,
				     (unsigned long long)l.num[0], (unsigned long long)l.num[1]);
		else if (l.op == OP_SBRK)
			n = snprintf(buf, sizeof buf, "sbrk %lu %llu\n", lineno,
				     (unsigned long long)l.num[0]);
		else
			n = snprintf(buf, sizeof buf, "check %lu\n", lineno);
		write(arg, buf, (size_t)n);
	}
}

int replay_run(struct replay *r, const char *text, size_t len)
{
	const char *s = text, *e = text + len, *le;
	unsigned long lineno = 0;
	int status = REPLAY_OK, checking = r->pool->checking, err;
	char buf[REPLAY_LINE_MAX], out[REPLAY_LINE_MAX + 32];
	struct line l;

	r->pool->checking = 0; // the replay checks itself, and reports
	r->fault[0] = '\0';
	for (; s < e && status != REPLAY_CHECK; s = le + 1) {
		le = line_end(s, e);
		lineno++;
		if (parse(s, le, &l) != NULL || l.op == OP_NONE)
			continue;
		replay_opno = r->nstep + 1;
		err = run_one(r, &l, buf, sizeof buf);
		replay_opno = 0;
		if (err == HEAPLAB_OK && buf[0] != '\0') {
			emit(r, buf);
		} else if (err != HEAPLAB_OK) {
			snprintf(out, sizeof out, "error line %lu: %s\n", lineno, buf);
			emit(r, out);
			status = REPLAY_REJECTED;
		}
		if ((l.op == OP_CHECK || r->check_each) && check(r, lineno))
			status = REPLAY_CHECK;
		r->nstep++;
		if (r->steps) // the operation that broke a check too: its heap as it left it
			replay_step(r, lineno);
	}
	if (status != REPLAY_CHECK)
		finish(r);
	r->pool->checking = checking;
	replay_done();
	return status;
}
