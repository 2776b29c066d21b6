// SPDX-License-Identifier: BSD-3-Clause
// The C allocation API over one objects heap, as C11 and POSIX specify it
// and glibc behaves where they leave a choice (objects/objects.h lists
// them). A platform's malloc, free, ... call these with its heap.
#include "objects.h"

#include <errno.h>
#include <string.h>

// refuse stops the machine with "call(): invalid pointer ...", the words of
// the fault f: glibc's "free(): invalid pointer", naming the span.
static void refuse(struct hobj_heap *h, const char *call, const struct hobj_fault *f)
{
	char msg[256];
	size_t k = strlen(call);

	if (k > 64)
		k = 64;
	memcpy(msg, call, k);
	memcpy(msg + k, "(): invalid ", 12);
	hobj_fault_format(f, msg + k + 12, sizeof msg - k - 12);
	hobj_fail(h, msg);
}

static int pow2(size_t a)
{
	return a != 0 && (a & (a - 1)) == 0;
}

static void *nomem(void)
{
	errno = ENOMEM;
	return NULL;
}

void *hobj_malloc(struct hobj_heap *heap, size_t n)
{
	void *p = hobj_objalloc(heap, n, 0, NULL);

	return p != NULL ? p : nomem();
}

void hobj_free(struct hobj_heap *heap, void *p)
{
	struct hobj_fault f;

	if (hobj_objfree(heap, p, &f) != HOBJ_OK)
		refuse(heap, "free", &f);
}

// hobj_calloc clears only an object that has been in use: one that was
// never handed out is zero already (objects/objects.c, "Zero").
void *hobj_calloc(struct hobj_heap *heap, size_t nmemb, size_t size)
{
	size_t n;
	int zero;
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return nomem();
	n = nmemb * size;
	p = hobj_objalloc(heap, n, 0, &zero);
	if (p == NULL)
		return nomem();
	if (!zero)
		memset(p, 0, n);
	return p;
}

// hobj_realloc: in place when n rounds to the object's class (or, large,
// takes no more pages); else a new object, the bytes copied, the old freed.
// On failure p is untouched. realloc(NULL, n) is malloc(n); realloc(p, 0)
// frees p and answers NULL, as glibc does.
void *hobj_realloc(struct hobj_heap *heap, void *p, size_t n)
{
	struct hobj_fault f;
	size_t old = 0;
	void *q;
	int err;

	if (p == NULL)
		return hobj_malloc(heap, n);
	if (n == 0) {
		hobj_free(heap, p);
		return NULL;
	}
	err = hobj_objresize(heap, p, n, &old, &f);
	if (err == HOBJ_OK)
		return p;
	if (err != HOBJ_EMOVE)
		refuse(heap, "realloc", &f);
	q = hobj_malloc(heap, n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	hobj_free(heap, p);
	return q;
}

// hobj_memalign takes any alignment, as glibc's and newlib's memalign do:
// one that is not a power of two is rounded up to the next (0 to 1), and
// only one past the largest power of two is refused (EINVAL). Programs
// pass such alignments (sizeof a struct of 24 bytes), and on glibc they
// run: under the preload, memalign(24, n) answered NULL.
void *hobj_memalign(struct hobj_heap *heap, size_t align, size_t n)
{
	size_t a = 1;
	void *p;

	while (a < align && a <= SIZE_MAX / 2)
		a <<= 1;
	if (a < align) {
		errno = EINVAL;
		return NULL;
	}
	p = hobj_objalloc(heap, n, a, NULL);
	return p != NULL ? p : nomem();
}

// hobj_posix_memalign answers EINVAL for an alignment that is not a power
// of two multiple of sizeof(void *), ENOMEM, or 0 with *pp set.
int hobj_posix_memalign(struct hobj_heap *heap, void **pp, size_t align, size_t n)
{
	void *p;

	if (!pow2(align) || align % sizeof(void *) != 0)
		return EINVAL;
	p = hobj_objalloc(heap, n, align, NULL);
	if (p == NULL)
		return ENOMEM;
	*pp = p;
	return 0;
}

// hobj_aligned_alloc refuses an alignment that is not a power of two
// (EINVAL), as C2x asks (C11 left it undefined; glibc from 2.38 refuses it).
void *hobj_aligned_alloc(struct hobj_heap *heap, size_t align, size_t n)
{
	if (!pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return hobj_memalign(heap, align, n);
}

void *hobj_valloc(struct hobj_heap *heap, size_t n)
{
	return hobj_memalign(heap, heap->pool->granule, n);
}

// hobj_pvalloc rounds n up to whole pages (0 to one page).
void *hobj_pvalloc(struct hobj_heap *heap, size_t n)
{
	uintptr_t bytes = heaplab_round(heap->pool, n != 0 ? n : 1);

	if (bytes == 0)
		return nomem();
	return hobj_memalign(heap, heap->pool->granule, bytes);
}

size_t hobj_malloc_usable_size(struct hobj_heap *heap, void *p)
{
	struct hobj_fault f;
	size_t n;

	if (p == NULL)
		return 0;
	if (hobj_objsize(heap, p, &n, &f) != HOBJ_OK)
		refuse(heap, "malloc_usable_size", &f);
	return n;
}
