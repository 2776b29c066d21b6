// SPDX-License-Identifier: BSD-3-Clause
// jemalloc's footprint for the benchmark: stats.resident, the pages it holds
// for data, dirty unused pages and its own metadata (read after an epoch
// refresh, as jemalloc's stats are cached).
#include <stdint.h>
#include <jemalloc/jemalloc.h>

const char libc_name[] = "jemalloc", libc_foot_kind[] = "resident";

size_t libc_footprint(void)
{
	uint64_t epoch = 1;
	size_t v = 0, len = sizeof epoch;

	mallctl("epoch", &epoch, &len, &epoch, len);
	len = sizeof v;
	mallctl("stats.resident", &v, &len, NULL, 0);
	return v;
}
