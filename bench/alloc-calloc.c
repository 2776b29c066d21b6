// SPDX-License-Identifier: BSD-3-Clause
// glibc's calloc under test (bench/small.py): zeroed blocks with the
// alignment malloc gives (16 bytes, BENCH_PAGE in this build), what a C
// program asks of it; heaplab at granule 64 gives zeroed blocks too.
#include "bench.h"

#include <stdlib.h>

extern const char libc_name[], libc_foot_kind[];
size_t libc_footprint(void);

static int calloc_init(void)
{
	return 0;
}

static void *calloc_alloc(size_t n)
{
	return calloc(1, n);
}

static void calloc_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

const struct bench_alloc bench_alloc = {
    .name = "glibc-calloc",
    .foot_kind = libc_foot_kind,
    .init = calloc_init,
    .alloc = calloc_alloc,
    .free = calloc_free,
    .footprint = libc_footprint,
};
