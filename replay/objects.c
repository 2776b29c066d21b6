// SPDX-License-Identifier: BSD-3-Clause
// The objects side of a trace replay (replay.h, struct replay_objects): the
// trace's `malloc`, `mfree` and `realloc` lines run through the C API of
// objects/ (hobj_malloc, hobj_free, hobj_realloc) over one heap on the
// replay's pool. The same code runs in build/host/replay and the image.
//
// One heap, single-threaded: no locks and no per-CPU cache, so an object's
// place depends on the trace alone, and the heap's own pages (page map,
// span records) are sized alike on 32 and 64 bits (objects.h): the offsets
// are the same on every platform. The heap is set up at the trace's first
// object line, its page map the pool's first allocation after the trace's
// own sbrk lines.
#include "replay.h"

#include <stdio.h>

#define HOBJ_CLASS_TABLES // hobj_class_size: a span line names its object size
#include "../objects/objects.h"

// The one heap a process replays over: a replay runs at a time, and
// objready (zero in every fresh struct replay) says whether it is set up.
static struct hobj_heap heap;

static int start(struct replay *r, char *why, size_t n)
{
	int err;

	if (r->objready)
		return 0;
	// A pool that keeps the exact-free record refuses the part of a large
	// object's pages a shrinking realloc gives back: the heap would stop.
	if (r->pool->track != NULL) {
		snprintf(why, n,
			 "the objects layer gives back part of a large object's pages, which "
			 "--exact-free refuses: replay objects without it");
		return -1;
	}
	err = hobj_init(&heap, r->pool, NULL, NULL);
	if (err != HOBJ_OK) {
		snprintf(why, n, "no objects heap on this pool: %s", hobj_strerror(err));
		return -1;
	}
	heap.checking = 0; // the replay checks itself (`check`, --check) and reports
	r->objready = 1;
	return 0;
}

static uintptr_t obj_malloc(struct replay *r, uintptr_t n)
{
	(void)r;
	return (uintptr_t)hobj_malloc(&heap, n);
}

static uintptr_t obj_realloc(struct replay *r, uintptr_t p, uintptr_t n)
{
	(void)r;
	return (uintptr_t)hobj_realloc(&heap, (void *)p, n);
}

static void obj_free(struct replay *r, uintptr_t p)
{
	(void)r;
	hobj_free(&heap, (void *)p);
}

static int check(struct replay *r, char *fault, size_t n)
{
	struct hobj_fault f;

	(void)r;
	if (hobj_check(&heap, &f) == HOBJ_OK)
		return 0;
	hobj_fault_format(&f, fault, n);
	return -1;
}

static void emit(struct replay *r, const char *s, int n)
{
	if (n > 0)
		r->write(r->arg, s, (size_t)n);
}

// span_line prints span s: its place, class, object size, and which of
// its objects are in use (used, bit i object i, as one hex number).
static void span_line(struct replay *r, const struct hobj_span *s)
{
	char buf[200 + HOBJ_MAXOBJ / 4];
	int n, w = (s->fresh + 63) / 64, k;

	n = snprintf(buf, sizeof buf,
		     "  span 0x%lx class %u size %u bytes 0x%lx nobj %u inuse %u fresh %u used 0x",
		     (unsigned long)(s->base - r->base), s->cls, hobj_class_size[s->cls],
		     (unsigned long)s->bytes, s->nobj, s->inuse, s->fresh);
	// the top word without its leading zeros, the ones below it whole
	while (w > 1 && s->inuse_bits[w - 1] == 0)
		w--;
	n += snprintf(buf + n, sizeof buf - (size_t)n, "%llx",
		      (unsigned long long)(w > 0 ? s->inuse_bits[w - 1] : 0));
	for (k = w - 2; k >= 0; k--)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%016llx",
			      (unsigned long long)s->inuse_bits[k]);
	n += snprintf(buf + n, sizeof buf - (size_t)n, "\n");
	emit(r, buf, n);
}

// walk goes over the spans and large objects in address order, from the
// page map over the pool's pages below its top (nothing lies above), and
// counts them; with print set it prints their lines.
static void walk(struct replay *r, int print, unsigned long *nspan, unsigned long *nlarge)
{
	uintptr_t top = r->pool->bloc ? r->pool->bloc : r->base;
	uintptr_t npage = (top - heap.start) >> heap.shift, i, e, v;
	char buf[120];
	int n;

	*nspan = *nlarge = 0;
	for (i = 0; i < npage; i += e) {
		v = heap.pagemap[i];
		e = 1;
		if (v == 0)
			continue;
		if (v & HOBJ_PM_LARGE) { // a first page: its tail pages follow it
			e = v >> 2;
			++*nlarge;
			n = snprintf(buf, sizeof buf, "  large 0x%lx bytes 0x%lx\n",
				     (unsigned long)((i << heap.shift) + heap.start - r->base),
				     (unsigned long)(e << heap.shift));
			if (print)
				emit(r, buf, n);
			continue;
		}
		e = ((const struct hobj_span *)v)->bytes >> heap.shift;
		++*nspan;
		if (print)
			span_line(r, (const struct hobj_span *)v);
	}
}

// step prints the heap's line, then its spans' and large objects'.
static void step(struct replay *r)
{
	unsigned long nspan, nlarge;
	char buf[120];
	int n;

	walk(r, 0, &nspan, &nlarge);
	n = snprintf(buf, sizeof buf, "objects spans %lu large %lu pagemap 0x%lx 0x%lx\n", nspan,
		     nlarge, (unsigned long)((uintptr_t)heap.pagemap - r->base),
		     (unsigned long)heap.pagemap_bytes);
	emit(r, buf, n);
	walk(r, 1, &nspan, &nlarge);
}

const struct replay_objects replay_objects = {
    .start = start,
    .malloc = obj_malloc,
    .realloc = obj_realloc,
    .free = obj_free,
    .check = check,
    .step = step,
};
