// SPDX-License-Identifier: BSD-3-Clause
// heaplab over a static array: the fixed-arena mode with no hooks (one
// CPU, no interrupt handler that allocates), as a bare-metal program with
// one heap would use it. A host program here so that it runs anywhere;
// only main's printing needs a C library. docs/porting.md walks through it.
#include "heaplab.h"

#include <stdio.h>

// The memory the pool owns. init trims it to whole granules; aligned, it
// loses nothing (a kernel aligns its arena in its linker script).
static unsigned char arena[64 * 1024] __attribute__((aligned(1024)));
static struct heaplab_pool pool; // never inside the arena

int main(void)
{
	struct heaplab_diag d;
	void *a, *b;
	int err;

	err = heaplab_init_arena(&pool, NULL, NULL, arena, sizeof arena, 1024);
	if (err != HEAPLAB_OK) {
		printf("init: %s\n", heaplab_strerror(err));
		return 1;
	}
	a = heaplab_alloc(&pool, 3000); // 3 granules of 1024, zeroed
	b = heaplab_alloc(&pool, 100);	// 1 granule
	printf("a at arena+%ld, b at arena+%ld\n", (long)((unsigned char *)a - arena),
	       (long)((unsigned char *)b - arena));
	err = heaplab_free(&pool, b, 4096); // the wrong size: refused, nothing changes
	printf("free(b, 4096): %s\n", heaplab_strerror(err));
	heaplab_free(&pool, b, 100);
	heaplab_free(&pool, a, 3000);
	if (heaplab_alloc(&pool, sizeof arena + 1) == NULL)
		printf("alloc(%lu): NULL, counted as refused\n", (unsigned long)sizeof arena + 1);
	heaplab_diagnose(&pool, &d);
	printf("capacity %lu, in use %lu, peak %lu, largest request %lu, refused %lu\n",
	       (unsigned long)d.capacity, (unsigned long)d.inuse, (unsigned long)d.peak_inuse,
	       (unsigned long)d.peak_request, (unsigned long)d.refused);
	err = heaplab_check(&pool, NULL);
	printf("check: %s; heaplab %lu.%lu.%lu\n", heaplab_strerror(err),
	       (unsigned long)(heaplab_version() >> 16),
	       (unsigned long)((heaplab_version() >> 8) & 255),
	       (unsigned long)(heaplab_version() & 255));
	return err != HEAPLAB_OK;
}
