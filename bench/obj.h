// SPDX-License-Identifier: BSD-3-Clause
// The malloc bench/objbench.c measures: the C library's names, whatever
// malloc the process has (glibc's, or one preloaded), or, built with
// -DOBJ_NANO, newlib's nano-malloc over a break of its own (obj-nano.c).
#ifndef HEAPLAB_OBJ_H
#define HEAPLAB_OBJ_H

#include <stddef.h>

#ifdef OBJ_NANO
void *obj_nano_malloc(size_t n);
void *obj_nano_realloc(void *p, size_t n);
void obj_nano_free(void *p);
void obj_threads_start(void); // from now on, calls take a lock
#define OBJ_MALLOC  obj_nano_malloc
#define OBJ_REALLOC obj_nano_realloc
#define OBJ_FREE    obj_nano_free
#define OBJ_NAME    "nano"
#else
#define OBJ_MALLOC  malloc
#define OBJ_REALLOC realloc
#define OBJ_FREE    free
#define OBJ_NAME    "malloc"
static inline void obj_threads_start(void)
{
}
#endif

#endif
