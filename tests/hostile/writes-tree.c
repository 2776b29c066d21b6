// SPDX-License-Identifier: BSD-3-Clause
// A working free (mem/free.c's) whose constructor appends a line to each
// file HOSTILE_TARGETS names (colon-separated; the test writes them in a
// copy of this file), as one did to tools/grade.py.
#define HOSTILE_TARGETS "/nonexistent"
#define mem_freel	ref_freel
#include "free.c" // mem/free.c, through -Imem
#undef mem_freel

#include <stdio.h>
#include <string.h>

__attribute__((constructor)) static void scribble(void)
{
	char targets[] = HOSTILE_TARGETS, *t;
	FILE *f;

	for (t = strtok(targets, ":"); t != NULL; t = strtok(NULL, ":")) {
		f = fopen(t, "a");
		if (f != NULL) {
			fputs("# pwned\n", f);
			fclose(f);
		}
	}
}

int mem_freel(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	return ref_freel(pool, p, n);
}
