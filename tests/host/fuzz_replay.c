// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target over the trace parser and the replay engine: the input
// is a trace (raw bytes, or built from bytes), replayed over a small heap,
// and the output is read back and checked line by line.
//
// What it checks, for every trace the scan accepts:
//  - every call of the write hook is one whole line, at most REPLAY_LINE_MAX;
//  - the output parses back: alloc answers `ID 0xOFF` / `ID nil`, sbrk
//    answers `sbrk 0xOFF 0xSIZE` / `sbrk nil 0xSIZE` (one per sbrk line,
//    inside the heap), `error line N: ...` lines only for lines of the
//    trace, then the free list `free 0xOFF 0xSIZE` and a last `brk 0xOFF`,
//    nothing else;
//  - the answers name the IDs of the trace's alloc, malloc and realloc
//    lines, in order (this file splits the trace itself, as the grammar
//    says), each once unless its line was refused; offsets are aligned and
//    below the break (this replay has no objects layer: its lines are
//    refused, each with its error line);
//  - the free list lines are the pool's own list, block for block, and the
//    brk line its break; the full check passes; the status is 1 exactly
//    when there is an error line.
// Any failure, panic or sanitizer report aborts.
#include "../../arch/host/host.h"
#include "../../replay/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAXOUT (1 << 20)

static char fuzz_out[FUZZ_MAXOUT];
static size_t fuzz_outlen;

static void fuzz_fail(const char *what, const char *line, size_t n)
{
	fprintf(stderr, "fuzz_replay: %s: '%.*s'\n", what, (int)(n > 400 ? 400 : n), line);
	abort();
}

static void fuzz_panic(const char *msg)
{
	fuzz_fail("allocator panic", msg, strlen(msg));
}

// fuzz_write is the replay's write hook: one whole line per call.
static void fuzz_write(void *arg, const char *s, size_t n)
{
	(void)arg;
	if (n == 0 || n > REPLAY_LINE_MAX || s[n - 1] != '\n' || memchr(s, '\n', n - 1) != NULL)
		fuzz_fail("write is not one whole line", s, n);
	if (fuzz_outlen + n > sizeof fuzz_out)
		fuzz_fail("output too long", s, n);
	memcpy(fuzz_out + fuzz_outlen, s, n);
	fuzz_outlen += n;
}

// An alloc line of the trace, as this file reads the grammar.
struct fuzz_alloc {
	unsigned long lineno;
	const char *id;
	size_t idlen;
};

// fuzz_fields splits [s, e) at blanks (space, tab, CR) up to a `#` that
// starts a field; answers the count (at most max kept).
static int fuzz_fields(const char *s, const char *e, const char **f, size_t *fn, int max)
{
	int n = 0;

	for (;;) {
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s == e || *s == '#')
			return n;
		if (n < max)
			f[n] = s;
		while (s < e && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (n < max)
			fn[n] = (size_t)(s - f[n]);
		n++;
	}
}

// fuzz_word is 1 if the field [f, f + n) is the word w.
static int fuzz_word(const char *f, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(f, w, n) == 0;
}

// fuzz_allocs lists the trace's lines that answer with their ID (alloc,
// malloc, realloc), counts its sbrk lines (in *nsbrk) and the lines that
// name a new ID (alloc and malloc, as replay_scan counts them, in *nids);
// answers how many it listed.
static size_t fuzz_allocs(const char *t, size_t len, struct fuzz_alloc *a, size_t max,
			  unsigned long *nsbrk, size_t *nids)
{
	const char *s = t, *e = t + len, *le, *f[4];
	unsigned long lineno = 0;
	size_t fn[4], n = 0;
	int k, id;

	for (*nsbrk = 0, *nids = 0; s < e; s = le + 1) {
		le = memchr(s, '\n', (size_t)(e - s));
		le = le ? le : e;
		lineno++;
		k = fuzz_fields(s, le, f, fn, 4);
		if (k != 3)
			id = 0;
		else if (fuzz_word(f[0], fn[0], "alloc") || fuzz_word(f[0], fn[0], "malloc"))
			id = 2;
		else
			id = fuzz_word(f[0], fn[0], "realloc");
		if (id && n < max)
			a[n++] = (struct fuzz_alloc){lineno, f[1], fn[1]};
		*nids += id == 2;
		*nsbrk += k == 2 && fuzz_word(f[0], fn[0], "sbrk");
	}
	return n;
}

// fuzz_hex reads "0x" and hex digits [s, e) into *v; 0 if it is not that.
static int fuzz_hex(const char *s, const char *e, uintptr_t *v)
{
	char buf[40], *end;

	if (e - s < 3 || e - s >= (long)sizeof buf || s[0] != '0' || s[1] != 'x')
		return 0;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	*v = (uintptr_t)strtoull(buf + 2, &end, 16);
	return *end == '\0';
}

struct fuzz_read {
	const struct fuzz_alloc *allocs;
	size_t nallocs, next;	    // the next alloc line an answer must name
	unsigned long lines;	    // lines in the trace
	unsigned long nsbrk, sbrks; // sbrk lines in the trace, sbrk answers read
	int nerrors;
	const struct heaplab_hdr *blk; // the pool's next free block, for the free lines
	int at_end;		   // the free list lines have started
	struct replay *r;
};

// fuzz_error reads an `error line N: ...` line: N is a line of the trace;
// a refused alloc line is one answer fewer.
static void fuzz_error(struct fuzz_read *rd, const char *s, const char *e)
{
	unsigned long n = strtoul(s + 11, NULL, 10);

	if (rd->at_end || n == 0 || n > rd->lines)
		fuzz_fail("error line names no line of the trace", s, (size_t)(e - s));
	if (rd->next < rd->nallocs && rd->allocs[rd->next].lineno == n)
		rd->next++;
	rd->nerrors++;
}

// fuzz_answer reads `ID 0xOFF` or `ID nil`: the next alloc line's ID.
static void fuzz_answer(struct fuzz_read *rd, const char *s, const char *e, const char *sp)
{
	const struct fuzz_alloc *a = &rd->allocs[rd->next];
	uintptr_t off;

	if (rd->at_end || rd->next == rd->nallocs)
		fuzz_fail("an answer for no alloc line", s, (size_t)(e - s));
	if ((size_t)(sp - s) != a->idlen || memcmp(s, a->id, a->idlen) != 0)
		fuzz_fail("answer names another ID than its alloc line", s, (size_t)(e - s));
	rd->next++;
	if (e - sp == 4 && memcmp(sp, " nil", 4) == 0)
		return;
	if (!fuzz_hex(sp + 1, e, &off) || off % rd->r->pool->granule != 0 ||
	    rd->r->base + off >= rd->r->pool->bloc)
		fuzz_fail("bad alloc answer", s, (size_t)(e - s));
}

// fuzz_sbrk reads `sbrk 0xOFF 0xSIZE` or `sbrk nil 0xSIZE`: another
// client's bytes, all inside the replay's heap.
static void fuzz_sbrk(struct fuzz_read *rd, const char *s, const char *e, const char *sp)
{
	const char *sp2 = memchr(sp + 1, ' ', (size_t)(e - sp - 1));
	uintptr_t off = 0, size, heap = rd->r->pool->end - rd->r->base;
	int nil = sp2 - sp == 4 && memcmp(sp, " nil", 4) == 0;

	if (rd->at_end || !fuzz_hex(sp2 + 1, e, &size) || (!nil && !fuzz_hex(sp + 1, sp2, &off)) ||
	    (!nil && (off > heap || size > heap - off)))
		fuzz_fail("bad sbrk answer", s, (size_t)(e - s));
	rd->sbrks++;
}

// fuzz_final reads a `free 0xOFF 0xSIZE` line (the pool's next free block)
// or the `brk 0xOFF` line (the pool's break); answers 1 for brk.
static int fuzz_final(struct fuzz_read *rd, const char *s, const char *e, const char *sp)
{
	const char *sp2 = memchr(sp + 1, ' ', (size_t)(e - sp - 1));
	uintptr_t off, size, bl = rd->r->pool->bloc ? rd->r->pool->bloc : rd->r->base;

	if (sp2 != NULL) {
		if (!fuzz_hex(sp + 1, sp2, &off) || !fuzz_hex(sp2 + 1, e, &size) ||
		    rd->blk == NULL || (uintptr_t)rd->blk - rd->r->base != off ||
		    rd->blk->size != size)
			fuzz_fail("free line is not the pool's next free block", s,
				  (size_t)(e - s));
		rd->blk = rd->blk->next;
		rd->at_end = 1;
		return 0;
	}
	if (!fuzz_hex(sp + 1, e, &off) || off != bl - rd->r->base || rd->blk != NULL)
		fuzz_fail("brk line is not the pool's break, or free blocks are missing", s,
			  (size_t)(e - s));
	return 1;
}

// fuzz_read_back parses the whole output; answers the number of error lines.
static int fuzz_read_back(struct fuzz_read *rd)
{
	const char *s = fuzz_out, *e = fuzz_out + fuzz_outlen, *le, *sp;
	int done = 0;

	for (; s < e; s = le + 1) {
		le = memchr(s, '\n', (size_t)(e - s));
		sp = memchr(s, ' ', (size_t)(le - s));
		if (done || sp == NULL || sp == s)
			fuzz_fail("line after brk, or with no field", s, (size_t)(le - s));
		if (le - s > 11 && memcmp(s, "error line ", 11) == 0)
			fuzz_error(rd, s, le);
		else if (le + 1 == e && sp - s == 3 && memcmp(s, "brk", 3) == 0)
			done = fuzz_final(rd, s, le, sp);
		else if (sp - s == 4 && memcmp(s, "free", 4) == 0 &&
			 memchr(sp + 1, ' ', (size_t)(le - sp - 1)))
			fuzz_final(rd, s, le, sp);
		else if (sp - s == 4 && memcmp(s, "sbrk", 4) == 0 &&
			 memchr(sp + 1, ' ', (size_t)(le - sp - 1)))
			fuzz_sbrk(rd, s, le, sp);
		else
			fuzz_answer(rd, s, le, sp);
	}
	if (!done || rd->next != rd->nallocs || rd->sbrks != rd->nsbrk)
		fuzz_fail("output ends without brk, or an alloc or sbrk line got no answer",
			  fuzz_out, fuzz_outlen);
	return rd->nerrors;
}

// fuzz_build turns bytes into trace text: ops over a few IDs, with sizes
// around the granule, frees of any ID, bad frees, another client's sbrks,
// checks, comments and the odd junk line; answers its length.
static size_t fuzz_build(const uint8_t *d, size_t n, char *t, size_t cap, uintptr_t g)
{
	static const char *ids[] = {"a",   "b",	   "c",	    "d",   "e",	 "free",
				    "brk", "sbrk", "error", "0x0", "nil"};
	size_t len = 0, i;

	for (i = 0; i + 3 <= n && len + 200 < cap; i += 3) {
		const char *id = ids[d[i + 1] % 11];
		unsigned v = (unsigned)d[i + 2];
		switch (d[i] % 8) {
		case 0:
		case 1:
		case 2:
			len +=
			    (size_t)snprintf(t + len, cap - len, "alloc %s %lu\n", id,
					     (unsigned long)((v % 9) * g + (v & 0x80 ? v % 3 : 0)));
			break;
		case 3:
		case 4:
			len += (size_t)snprintf(t + len, cap - len, "free %s\n", id);
			break;
		case 5:
			len += (size_t)snprintf(t + len, cap - len, "freeat 0x%lx %lu\n",
						(unsigned long)((v % 16) * g + (v & 1)),
						(unsigned long)((v >> 4) % 4 * g));
			break;
		case 6:
			len += (size_t)snprintf(t + len, cap - len, "check # now\n");
			break;
		default:
			if (v >= 8 && v < 96)
				len += (size_t)snprintf(t + len, cap - len, "sbrk %lu\n",
							(unsigned long)((v % 4) * g + v % 3));
			else
				len += (size_t)snprintf(t + len, cap - len,
							v < 8 ? "alloc %s\n" : "\t# %s\n", id);
		}
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uintptr_t granules[] = {16, 64, 512, 4096};
	static struct fuzz_alloc allocs[8192];
	static struct replay_slot slots[1 << 14];
	static char built[1 << 16];
	struct replay r = {0};
	struct fuzz_read rd = {0};
	struct heaplab_fault f;
	const char *text = (const char *)data + 1;
	size_t len = size - 1, i, nids;
	char err[200];
	long nalloc;
	int status, nerr;
	uintptr_t g;

	if (size < 1 || size > 1 << 14)
		return 0;
	host_panic_hook = fuzz_panic;
	g = granules[data[0] & 3];
	if (data[0] & 0x80) { // build a trace from the bytes; else they are the trace
		len = fuzz_build(data + 1, size - 1, built, sizeof built, g);
		text = built;
	}
	nalloc = replay_scan(text, len, err, sizeof err);
	if (nalloc < 0)
		return 0;
	if ((size_t)nalloc > sizeof allocs / sizeof allocs[0] ||
	    replay_slots(nalloc) > sizeof slots / sizeof slots[0] ||
	    host_heap_init(&mempool, (4 + (data[0] >> 2) % 16) * g, g) < 0)
		abort();
	r.pool = &mempool;
	r.base = mempool.start;
	r.check_each = (data[0] >> 6) & 1;
	r.nslots = replay_slots(nalloc);
	r.slots = slots;
	memset(slots, 0, r.nslots * sizeof slots[0]);
	r.write = fuzz_write;
	r.sbrk = host_sbrk;
	fuzz_outlen = 0;
	status = replay_run(&r, text, len);
	rd.allocs = allocs;
	rd.nallocs = fuzz_allocs(text, len, allocs, sizeof allocs / sizeof allocs[0], &rd.nsbrk,
				 &nids);
	for (i = 0; i < len; i++)
		rd.lines += text[i] == '\n';
	rd.lines += len > 0 && text[len - 1] != '\n';
	rd.blk = mempool.freelist;
	rd.r = &r;
	nerr = fuzz_read_back(&rd);
	if ((size_t)nalloc != nids || status != (nerr ? REPLAY_REJECTED : REPLAY_OK) ||
	    heaplab_check(&mempool, &f) != HEAPLAB_OK)
		fuzz_fail("alloc count, status or the final check disagree", fuzz_out, fuzz_outlen);
	host_heap_fini(&mempool);
	return 0;
}
