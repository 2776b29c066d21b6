// SPDX-License-Identifier: BSD-3-Clause
// Runs examples/xv6/kalloc.c, xv6's page allocator over heaplab, on the
// host: this file is the rest of xv6 that kalloc.c calls (initlock,
// acquire, release, holding, panic, memset), its RAM an array (`end`, up
// to PHYSTOP: host/memlayout.h). tests/test_component.py builds it with
// the amalgamation and -Dmemset=xv6_memset (xv6's memset takes a uint, the
// C library's a size_t) and runs it; it prints each check and exits 0 if
// all passed, 1 if not.
#include "types.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "heaplab.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// What defs.h declares of kalloc.c and what kalloc.c calls (defs.h itself
// would clash here with the C library's printf and memset).
void kinit(void);
void *kalloc(void);
void kfree(void *);
void panic(char *s) __attribute__((noreturn));
void initlock(struct spinlock *lk, char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
void *xv6_memset(void *dst, int c, uint n);

char end[XV6_RAM] __attribute__((aligned(64))); // kalloc.c's RAM: [end, PHYSTOP)

// kalloc.c's kmem, as it lays it out (it has no type name there).
extern struct {
	struct spinlock lock;
	struct heaplab_pool pool;
} kmem;

static int failed, intr_off, acquires, fills;
static jmp_buf on_panic;
static const char *panicked; // the last panic's message
static int expect_panic;

static void ok(int cond, const char *what)
{
	printf("%s: %s\n", cond ? "ok" : "FAILED", what);
	failed |= !cond;
}

void *xv6_memset(void *dst, int c, uint n)
{
	if (c == 5 && n == PGSIZE)
		fills++; // kalloc's junk fill
	return memset(dst, c, n);
}

void panic(char *s)
{
	if (!expect_panic) {
		printf("FAILED: unexpected panic: %s\n", s);
		exit(1);
	}
	panicked = s;
	kmem.lock.locked = 0; // a panic inside the lock would leave it held
	intr_off = 0;
	longjmp(on_panic, 1);
}

void initlock(struct spinlock *lk, char *name)
{
	lk->name = name;
	lk->locked = 0;
	lk->cpu = 0;
}

// One CPU: holding means locked; xv6's acquire panics on a lock its CPU
// holds, and turns interrupts off, which the harness notes.
int holding(struct spinlock *lk)
{
	return lk->locked;
}

void acquire(struct spinlock *lk)
{
	if (holding(lk))
		panic("acquire");
	intr_off = 1;
	lk->locked = 1;
	acquires++;
}

void release(struct spinlock *lk)
{
	if (!holding(lk))
		panic("release");
	lk->locked = 0;
	intr_off = 0;
}

// bad_kfree answers whether kfree(pa) panicked with "kfree", leaving the
// pool as it was (same bytes in use, the check passes).
static int bad_kfree(void *pa)
{
	uintptr_t inuse = kmem.pool.inuse;

	panicked = NULL;
	expect_panic = 1;
	if (setjmp(on_panic) == 0)
		kfree(pa);
	expect_panic = 0;
	return panicked != NULL && strcmp(panicked, "kfree") == 0 && kmem.pool.inuse == inuse &&
	       heaplab_check(&kmem.pool, NULL) == HEAPLAB_OK;
}

static int all_bytes(const char *p, int c, uintptr_t from, uintptr_t to)
{
	for (; from < to; from++)
		if (p[from] != c)
			return 0;
	return 1;
}

static int cmp_addr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	uint64 first = PGROUNDUP((uint64)end), want = (PHYSTOP - first) / PGSIZE, n = 0, i;
	uintptr_t *pages = calloc(want + 1, sizeof *pages), meta;
	int ordered = 1, junk = 1, zero = 1, j;
	char *p;

	memset(end, 0x77, sizeof end); // RAM need not be zero at kinit
	kinit();
	meta = heaplab_meta(&kmem.pool);
	acquires = 0;
	while (n <= want && (p = kalloc()) != 0) {
		pages[n++] = (uintptr_t)p;
		junk &= all_bytes(p, 5, 0, PGSIZE);
	}
	printf("%lu pages in [end, PHYSTOP), kalloc gave %lu\n", (unsigned long)want,
	       (unsigned long)n);
	ok(n == want, "kalloc hands out every whole page of [end, PHYSTOP), as xv6's freerange");
	ok(kalloc() == 0 && kalloc() == 0, "then kalloc answers 0");
	ok(junk && fills == (int)n, "every page kalloc answers is filled with junk (5)");
	qsort(pages, n, sizeof *pages, cmp_addr);
	for (i = 0; i < n; i++)
		ordered &= pages[i] == first + i * PGSIZE;
	ok(ordered, "each page once, page-aligned, none outside [end, PHYSTOP)");
	ok(acquires == (int)n + 3 && !kmem.lock.locked && !intr_off,
	   "every call takes kmem.lock once (interrupts off) and releases it");

	for (i = 0; i < n; i += 2) // every other page: nothing merges yet
		kfree((void *)pages[i]);
	for (i = 0; i < n; i += 2)
		zero &= all_bytes((char *)pages[i], 0, meta, PGSIZE);
	ok(zero, "kfree zeroes the page (past heaplab's header): no junk on free");
	p = (char *)pages[2];
	p[100] = 1; // a write through a dangling pointer
	j = heaplab_check(&kmem.pool, NULL);
	printf("a write into a freed page: heaplab_check says %s\n", heaplab_strerror(j));
	ok(j == HEAPLAB_EDIRTY, "heaplab_check catches a write into a freed page");
	p[100] = 0;

	ok(bad_kfree((void *)pages[0]), "kfree of a free page (a double free) panics \"kfree\"");
	ok(bad_kfree((char *)pages[1] + 8), "kfree of a misaligned address panics \"kfree\"");
	ok(bad_kfree(0), "kfree(0) panics \"kfree\"");
	ok(bad_kfree((void *)(first - PGSIZE)), "kfree below end panics \"kfree\"");
	ok(bad_kfree((void *)PGROUNDUP(PHYSTOP)), "kfree at PHYSTOP panics \"kfree\"");

	for (i = 1; i < n; i += 2)
		kfree((void *)pages[i]);
	ok(heaplab_check(&kmem.pool, NULL) == HEAPLAB_OK && kmem.pool.inuse == 0 &&
	       kmem.pool.freelist != NULL && kmem.pool.freelist->next == NULL,
	   "all freed: one free block, the check passes");
	kinit(); // a fresh pool: nothing handed out, nothing reached
	p = kalloc();
	ok(bad_kfree(p + PGSIZE), "kfree of a page kalloc never handed out panics \"kfree\"");
	kfree(p);
	ok(kalloc() == p, "kalloc answers the lowest free page again");
	free(pages);
	printf("xv6 harness: %s\n", failed ? "FAILED" : "all passed");
	return failed;
}
