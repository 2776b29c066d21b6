// SPDX-License-Identifier: BSD-3-Clause
// glibc's footprint for the benchmark: the bytes its arenas took through
// brk plus those it mmap'd for big blocks (mallinfo2), i.e. what it holds.
#include <malloc.h>

const char libc_name[] = "glibc", libc_foot_kind[] = "mapped";

size_t libc_footprint(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.arena + mi.hblkhd;
}
