// The lockstep harness (see lockstep.h). Every live allocation is filled
// with its own tag byte, so a refused free that zeroed memory, or two
// allocations sharing bytes, shows up when the block is freed.
#include "lockstep.h"
#include "../../arch/host/host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// lockstep_fail says in ls->why what differed, and answers -1.
static int __attribute__((format(printf, 2, 3)))
lockstep_fail(struct lockstep *ls, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ls->why, sizeof ls->why, "op %lu: ", ls->ops);

	va_start(ap, fmt);
	vsnprintf(ls->why + n, sizeof ls->why - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int lockstep_init(struct lockstep *ls, struct heaplab_pool *pool, uintptr_t heap, uintptr_t granule,
		  size_t maxlive)
{
	memset(ls, 0, sizeof *ls);
	ls->pool = pool;
	ls->maxlive = maxlive;
	ls->live = calloc(maxlive, sizeof *ls->live);
	if (ls->live == NULL || host_heap_init(pool, heap, granule) < 0 ||
	    model_init(&ls->model, heap, granule) < 0) {
		lockstep_fini(ls);
		return -1;
	}
	pool->checking = 0; // lockstep_verify checks, and says what it found
	return 0;
}

void lockstep_fini(struct lockstep *ls)
{
	host_heap_fini(ls->pool);
	model_fini(&ls->model);
	free(ls->live);
	ls->live = NULL;
}

// first_other answers the offset of the first byte in [p, p+n) that is not
// c, or n if there is none: one memcmp of the range against itself a byte
// on says "all c", and only a range that is not is walked.
static uintptr_t first_other(const unsigned char *p, uintptr_t n, unsigned char c)
{
	uintptr_t i;

	if (n != 0 && p[0] == c && memcmp(p, p + 1, n - 1) == 0)
		return n;
	for (i = 0; i < n && p[i] == c; i++)
		;
	return i;
}

int lockstep_alloc(struct lockstep *ls, uintptr_t n)
{
	unsigned char *p;
	uintptr_t want, got, bad;

	if (ls->nlive == ls->maxlive)
		return 0;
	ls->ops++;
	p = heaplab_alloc(ls->pool, n);
	want = model_alloc(&ls->model, n);
	got = p == NULL ? MODEL_NIL : (uintptr_t)p - ls->pool->start;
	ls->last = got;
	if (got != want)
		return lockstep_fail(ls, "alloc 0x%lx: mem/ answered 0x%lx, the model 0x%lx",
				     (unsigned long)n, (unsigned long)got, (unsigned long)want);
	if (p == NULL) {
		ls->nnil++;
		return lockstep_verify(ls);
	}
	n = heaplab_round(ls->pool, n);
	bad = first_other(p, n, 0);
	if (bad != n)
		return lockstep_fail(ls, "alloc 0x%lx at 0x%lx: byte 0x%lx is 0x%x, not zero",
				     (unsigned long)n, (unsigned long)got, (unsigned long)bad,
				     p[bad]);
	ls->tag = ls->tag == 0xff ? 1 : ls->tag + 1;
	memset(p, ls->tag, n);
	ls->live[ls->nlive++] = (struct lockstep_block){got, n, ls->tag};
	return lockstep_verify(ls);
}

int lockstep_free(struct lockstep *ls, size_t i)
{
	struct lockstep_block b = ls->live[i];
	unsigned char *p = (unsigned char *)(ls->pool->start + b.off);
	uintptr_t bad = first_other(p, b.size, b.tag);
	int err, want;

	ls->ops++;
	if (bad != b.size)
		return lockstep_fail(ls, "block 0x%lx: byte 0x%lx is 0x%x, not its tag 0x%x",
				     (unsigned long)b.off, (unsigned long)bad, p[bad], b.tag);
	ls->live[i] = ls->live[--ls->nlive];
	ls->freed = b;
	err = heaplab_free(ls->pool, p, b.size);
	want = model_free(&ls->model, b.off, b.size);
	if (err != want)
		return lockstep_fail(ls, "free 0x%lx 0x%lx: mem/ answered %d (%s), the model %d",
				     (unsigned long)b.off, (unsigned long)b.size, err,
				     heaplab_strerror(err), want);
	return lockstep_verify(ls);
}

int lockstep_badfree(struct lockstep *ls, uintptr_t off, uintptr_t n)
{
	int want = model_free_error(&ls->model, off, n), err;

	if (want == HEAPLAB_OK)
		return 0;
	ls->ops++;
	ls->nbad++;
	err = heaplab_free(ls->pool, (void *)(ls->pool->start + off), n);
	if (err != want)
		return lockstep_fail(ls, "bad free 0x%lx 0x%lx: mem/ answered %d (%s), not %d (%s)",
				     (unsigned long)off, (unsigned long)n, err, heaplab_strerror(err),
				     want, heaplab_strerror(want));
	return lockstep_verify(ls);
}

// compare_lists walks mem/'s free list (already checked) beside the
// model's free runs.
static int compare_lists(struct lockstep *ls)
{
	const struct heaplab_hdr *b = ls->pool->freelist;
	uintptr_t g = ls->model.granule, off;
	size_t page = 0, len;

	for (; model_next_run(&ls->model, &page, &len); page += len, b = b->next) {
		if (b == NULL)
			return lockstep_fail(ls, "model has free run 0x%lx+0x%lx, mem/ no more",
					     (unsigned long)(page * g), (unsigned long)(len * g));
		off = (uintptr_t)b - ls->pool->start;
		if (off != page * g || b->size != len * g)
			return lockstep_fail(ls, "mem/ has free 0x%lx+0x%lx, the model 0x%lx+0x%lx",
					     (unsigned long)off, (unsigned long)b->size,
					     (unsigned long)(page * g), (unsigned long)(len * g));
	}
	if (b != NULL)
		return lockstep_fail(ls, "mem/ has free 0x%lx+0x%lx, the model no more",
				     (unsigned long)((uintptr_t)b - ls->pool->start),
				     (unsigned long)b->size);
	return 0;
}

// compare_counts compares the break and the byte counters.
static int compare_counts(struct lockstep *ls)
{
	const struct model *m = &ls->model;
	uintptr_t brk = heap_break - ls->pool->start, nused = 0, i;

	for (i = 0; i < m->brk; i++)
		nused += m->used[i];
	if (brk != m->brk * m->granule)
		return lockstep_fail(ls, "mem/ break 0x%lx, the model 0x%lx", (unsigned long)brk,
				     (unsigned long)(m->brk * m->granule));
	if (ls->pool->taken != brk || ls->pool->inuse != nused * m->granule)
		return lockstep_fail(ls, "mem/ taken 0x%lx inuse 0x%lx, the model 0x%lx 0x%lx",
				     (unsigned long)ls->pool->taken, (unsigned long)ls->pool->inuse,
				     (unsigned long)brk, (unsigned long)(nused * m->granule));
	return 0;
}

static uint64_t fnv(uint64_t h, uintptr_t x)
{
	return (h ^ x) * 1099511628211ull;
}

// record appends a digest (FNV-1a over words) of the last answer, the
// break and the free list (offsets and sizes) to the trail.
static void record(struct lockstep *ls)
{
	const struct heaplab_hdr *b;
	uint64_t h = 14695981039346656037ull;

	if (ls->trail == NULL || ls->ntrail == ls->maxtrail)
		return;
	h = fnv(h, ls->last);
	h = fnv(h, heap_break - ls->pool->start);
	for (b = ls->pool->freelist; b != NULL; b = b->next)
		h = fnv(fnv(h, (uintptr_t)b - ls->pool->start), b->size);
	ls->trail[ls->ntrail++] = h;
}

long lockstep_trail_diff(const struct lockstep *a, const struct lockstep *b)
{
	size_t i;

	for (i = 0; i < a->ntrail && i < b->ntrail; i++)
		if (a->trail[i] != b->trail[i])
			return (long)i;
	return a->ntrail == b->ntrail ? -1 : (long)i;
}

int lockstep_verify(struct lockstep *ls)
{
	struct heaplab_fault f;
	char msg[200];

	if (heaplab_check(ls->pool, &f) != HEAPLAB_OK) {
		heaplab_fault_format(ls->pool, &f, msg, sizeof msg);
		return lockstep_fail(ls, "check: %s", msg);
	}
	if (compare_lists(ls) < 0)
		return -1;
	record(ls);
	return compare_counts(ls);
}

// out_of_range makes up a free that lies past the break, below the start,
// across the break, or whose size wraps.
static int out_of_range(struct lockstep *ls, uint32_t r1, uint32_t r2)
{
	uintptr_t g = ls->model.granule, top = ls->model.brk * g;

	switch (r2 % 4) {
	case 0:
		return lockstep_badfree(ls, top + (r1 % 4) * g, g);
	case 1:
		return lockstep_badfree(ls, -(uintptr_t)(1 + r1 % 4) * g, g);
	case 2:
		return lockstep_badfree(ls, top > g ? top - g : 0, (2 + r1 % 4) * g);
	default:
		return lockstep_badfree(ls, 0, UINTPTR_MAX - r1 % g);
	}
}

int lockstep_badfree_pick(struct lockstep *ls, unsigned kind, uint32_t r1, uint32_t r2)
{
	uintptr_t g = ls->model.granule, pages = ls->model.brk + 1;
	struct lockstep_block b = {0, g, 0};

	if (ls->nlive != 0)
		b = ls->live[r1 % ls->nlive];
	switch (kind % 6) {
	case 0:
		return lockstep_badfree(ls, (r1 % pages) * g, (1 + r2 % 4) * g);
	case 1:
		if (r2 % 2)
			return lockstep_badfree(ls, b.off - g, b.size + g);
		return lockstep_badfree(ls, b.off + b.size - g, 2 * g);
	case 2:
		return lockstep_badfree(ls, (r1 % pages) * g + 1 + r2 % (g - 1), g);
	case 3:
		return out_of_range(ls, r1, r2);
	case 4:
		return lockstep_badfree(ls, b.off, 0);
	default:
		return lockstep_badfree(ls, ls->freed.off, ls->freed.size);
	}
}
