// SPDX-License-Identifier: BSD-3-Clause
// A consumer of heaplab that knows nothing of its tree: a small trace
// replay written against heaplab.h alone (tests/test_component.py builds
// it from the installed files and from the amalgamation, and compares its
// output with build/host/replay's on the sample traces).
//
//	replay [--heap BYTES] [--arena] TRACE
//
// The heap is a buffer of this program. By default the pool is of the
// break mode over a simulated break (brk below), which the trace's `sbrk`
// lines move too, as another client of the break would; --arena gives the
// pool the buffer as a fixed arena instead, and refuses `sbrk` lines (an
// arena has no other client). Placement is the same either way. Only the
// grammar the sample traces use is here (alloc, free, freeat, sbrk, check,
// comments); the trace's limits are the real tool's business.
#include "heaplab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXID 64

struct slot {
	char id[MAXID];
	uintptr_t addr, size;
	int live;
};

static uintptr_t heap_lo, heap_hi, heap_break;

// brk is the platform's system call, simulated: brk(0) answers the break,
// anything else moves it inside the buffer, zeroing what it grows by.
static uintptr_t brk(uintptr_t addr)
{
	if (addr == 0)
		return heap_break;
	if (addr < heap_lo || addr > heap_hi)
		return HEAPLAB_BRK_FAIL;
	if (addr > heap_break)
		memset((void *)heap_break, 0, addr - heap_break);
	heap_break = addr;
	return heap_break;
}

// sbrk owns the break: the pool and the trace's `sbrk` lines take bytes here.
static uintptr_t sbrk_hook(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	return heaplab_brk_sbrk(brk, n, align, lo, hi);
}

static HEAPLAB_NORETURN void die(const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "panic: %s\n", msg);
	exit(3);
}

static const struct heaplab_ops break_ops = {sbrk_hook, NULL, NULL, NULL, NULL, die};
static const struct heaplab_ops arena_ops = {NULL, NULL, NULL, NULL, NULL, die};

static struct heaplab_pool pool;
static struct slot *slots;
static size_t nslot;

// find answers id's slot; a new one if add is set, else NULL if none.
static struct slot *find(const char *id, int add)
{
	size_t i;

	for (i = 0; i < nslot; i++)
		if (strcmp(slots[i].id, id) == 0)
			return &slots[i];
	if (!add)
		return NULL;
	slots = realloc(slots, (nslot + 1) * sizeof *slots);
	if (slots == NULL)
		die("out of memory");
	memset(&slots[nslot], 0, sizeof *slots);
	strcpy(slots[nslot].id, id);
	return &slots[nslot++];
}

// op runs one line's operation; it answers 1 if it was refused, after
// printing the line the real tool prints.
static int op(unsigned long ln, int nf, char f[3][MAXID])
{
	uintptr_t base = pool.start, off = 0, n = 0;
	struct slot *s;
	int err = HEAPLAB_OK;

	if (strcmp(f[0], "alloc") == 0 && nf == 3) {
		s = find(f[1], 1);
		s->size = (uintptr_t)strtoull(f[2], NULL, 0);
		s->addr = (uintptr_t)heaplab_alloc(&pool, s->size);
		s->live = 1;
		if (s->addr == 0)
			printf("%s nil\n", f[1]);
		else
			printf("%s 0x%lx\n", f[1], (unsigned long)(s->addr - base));
	} else if (strcmp(f[0], "free") == 0 && nf == 2) {
		if ((s = find(f[1], 0)) == NULL || !s->live) {
			printf("error line %lu: free %s: %s\n", ln, f[1],
			       s ? "double free (the id was freed already)" : "unknown id");
			return 1;
		}
		if ((err = heaplab_free(&pool, (void *)s->addr, s->size)) != HEAPLAB_OK) {
			printf("error line %lu: free %s: %s\n", ln, f[1], heaplab_strerror(err));
			return 1;
		}
		s->live = 0;
	} else if (strcmp(f[0], "freeat") == 0 && nf == 3) {
		off = (uintptr_t)strtoull(f[1], NULL, 0);
		n = (uintptr_t)strtoull(f[2], NULL, 0);
		if ((err = heaplab_free(&pool, (void *)(base + off), n)) != HEAPLAB_OK) {
			printf("error line %lu: freeat %s %s: %s\n", ln, f[1], f[2],
			       heaplab_strerror(err));
			return 1;
		}
	} else if (strcmp(f[0], "sbrk") == 0 && nf == 2) {
		n = (uintptr_t)strtoull(f[1], NULL, 0);
		if (pool.arena) {
			printf("error line %lu: sbrk %s: no other client of the break here\n", ln,
			       f[1]);
			return 1;
		}
		off = sbrk_hook(n, 1, base, pool.end);
		if (off == HEAPLAB_BRK_FAIL)
			printf("sbrk nil 0x%lx\n", (unsigned long)n);
		else
			printf("sbrk 0x%lx 0x%lx\n", (unsigned long)(off - base), (unsigned long)n);
	} else if (strcmp(f[0], "check") == 0 && nf == 1) {
		heaplab_check_or_fail(&pool);
	} else {
		fprintf(stderr, "replay: line %lu: not an operation this replay knows\n", ln);
		exit(2);
	}
	return 0;
}

// finish prints the free list and the pool's top, as the real tool does.
static void finish(void)
{
	struct heaplab_hdr *b;

	heaplab_check_or_fail(&pool);
	for (b = pool.freelist; b != NULL; b = b->next)
		printf("free 0x%lx 0x%lx\n", (unsigned long)((uintptr_t)b - pool.start),
		       (unsigned long)b->size);
	printf("brk 0x%lx\n", (unsigned long)((pool.bloc ? pool.bloc : pool.start) - pool.start));
}

int main(int argc, char **argv)
{
	uintptr_t heap = (uintptr_t)64 << 20;
	char line[256], f[3][MAXID], *mem;
	int i, arena = 0, nf, status = 0;
	unsigned long ln = 0;
	FILE *in;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--heap") == 0)
			heap = (uintptr_t)strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--arena") == 0)
			arena = 1;
		else
			break;
	if (i + 1 != argc || (in = fopen(argv[i], "r")) == NULL) {
		fprintf(stderr, "usage: replay [--heap BYTES] [--arena] TRACE\n");
		return 2;
	}
	if ((mem = malloc(heap + HEAPLAB_PAGE)) == NULL)
		die("cannot allocate the heap");
	heap_lo = heap_break = ((uintptr_t)mem + HEAPLAB_PAGE - 1) & ~(uintptr_t)(HEAPLAB_PAGE - 1);
	heap_hi = heap_lo + heap;
	if (arena)
		i = heaplab_init_arena(&pool, &arena_ops, NULL, (void *)heap_lo, heap,
				       HEAPLAB_PAGE);
	else
		heaplab_init(&pool, &break_ops, NULL, heap_lo, heap_hi, HEAPLAB_PAGE);
	if (arena && i != HEAPLAB_OK)
		die(heaplab_strerror(i));
	pool.checking = 0; // the full check after every operation: once at the end here
	while (fgets(line, sizeof line, in) != NULL) {
		char *c = strchr(line, '#');
		ln++;
		if (c != NULL)
			*c = '\0';
		nf = sscanf(line, "%63s %63s %63s", f[0], f[1], f[2]);
		if (nf > 0)
			status |= op(ln, nf, f);
	}
	fclose(in);
	finish();
	free(slots);
	free(mem);
	return status;
}
