// SPDX-License-Identifier: BSD-3-Clause
// A libc malloc under test, glibc's or jemalloc's (whichever the binary is
// linked with): posix_memalign for page alignment, memset for zeroed memory,
// since neither has an aligned calloc. foot-*.c say how big the heap is.
#include "bench.h"

#include <stdlib.h>
#include <string.h>

extern const char libc_name[], libc_foot_kind[];
size_t libc_footprint(void);

static int libc_init(void)
{
	return 0;
}

static void *libc_alloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, BENCH_PAGE, n) != 0)
		return NULL;
	memset(p, 0, n);
	return p;
}

static void libc_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

const struct bench_alloc bench_alloc = {
	.name = libc_name,
	.foot_kind = libc_foot_kind,
	.init = libc_init,
	.alloc = libc_alloc,
	.free = libc_free,
	.footprint = libc_footprint,
};
