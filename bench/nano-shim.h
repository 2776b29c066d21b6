// SPDX-License-Identifier: BSD-3-Clause
// Put in front of newlib's nano-mallocr.c (gcc -include) to build it for
// the host: glibc's headers first, then nano's entry points renamed so that
// they do not take over glibc's malloc, and its sbrk declared.
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define malloc		   nano_host_malloc
#define free		   nano_host_free
#define memalign	   nano_host_memalign
#define realloc		   nano_host_realloc
#define malloc_usable_size nano_host_malloc_usable_size

void *_sbrk_r(ptrdiff_t incr); // alloc-nano.c, obj-nano.c: over a break of their own
