// newlib's nano-malloc under test: nano-mallocr.c as Debian's newlib-source
// ships it, built for the host (bench/nano-shim.h), its sbrk moving the same
// simulated break as heaplab's; its footprint is how far that break moved.
#include "bench.h"

#include <string.h>

#include "../arch/host/host.h"

// nano-mallocr.c's entry points and state, as the shim renames them.
struct malloc_chunk;
void *nano_host_memalign(size_t align, size_t n);
void nano_host_free(void *p);
extern struct malloc_chunk *__malloc_free_list;
extern char *__malloc_sbrk_start;

static struct heaplab_pool nano_arena; // only for host_heap_init's arena
static uintptr_t nano_base;

// _sbrk_r is what nano calls for memory: incr more bytes at the break
// from its owner (nano never gives any back), answering where they start,
// or (void *)-1.
void *_sbrk_r(ptrdiff_t incr)
{
	uintptr_t at = incr < 0 ? HEAPLAB_BRK_FAIL : host_sbrk((uintptr_t)incr, 1, 0, UINTPTR_MAX);

	return at == HEAPLAB_BRK_FAIL ? (void *)-1 : (void *)at;
}

static int nano_init(void)
{
	if (host_heap_init(&nano_arena, BENCH_ARENA, BENCH_PAGE) < 0)
		return -1;
	__malloc_free_list = NULL;
	__malloc_sbrk_start = NULL;
	nano_base = heap_break;
	return 0;
}

static void *nano_alloc(size_t n)
{
	void *p = nano_host_memalign(BENCH_PAGE, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

static void nano_free(void *p, size_t n)
{
	(void)n;
	nano_host_free(p);
}

static size_t nano_footprint(void)
{
	return heap_break - nano_base;
}

const struct bench_alloc bench_alloc = {
	.name = "nano",
	.foot_kind = "break",
	.init = nano_init,
	.alloc = nano_alloc,
	.free = nano_free,
	.footprint = nano_footprint,
};
