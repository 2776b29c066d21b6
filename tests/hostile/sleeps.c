// SPDX-License-Identifier: BSD-3-Clause
// A working free (mem/free.c's) that, given two pages or more, sleeps for
// ever: no CPU time, so only a wall-clock limit stops it.
#define mem_freel ref_freel
#include "free.c" // mem/free.c, through -Imem
#undef mem_freel

#include <unistd.h>

int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	if (n >= 2 * pool->granule)
		for (;;)
			pause();
	return ref_freel(pool, p, n);
}
