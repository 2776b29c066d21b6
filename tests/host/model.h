// A deliberately simple model of mem/'s placement policy, for the
// differential test and the fuzzer: one byte per page of the arena, no
// lists, no headers. It shares no code with mem/ but the error codes.
#ifndef HEAPLAB_MODEL_H
#define HEAPLAB_MODEL_H

#include "../../mem/mem.h"

#define MODEL_NIL ((uintptr_t)-1) // what model_alloc answers for nil

// Pages [0, brk) lie below the break; used[i] says page i is allocated.
// A free run is a maximal stretch of free pages below the break.
struct model {
	unsigned char *used;
	uintptr_t granule;
	size_t npages; // pages the arena holds: the break never passes it
	size_t brk;    // pages below the break
};

int model_init(struct model *m, uintptr_t heap, uintptr_t granule);
void model_fini(struct model *m);

// model_alloc: the lowest free run of at least n bytes (rounded to the
// granule) gives up its top pages; else the break grows. Answers the byte
// offset from the arena start, or MODEL_NIL (n == 0, or no room).
uintptr_t model_alloc(struct model *m, uintptr_t n);

// model_free_error: the MEM_* code mem/ must answer for freeing n bytes at
// byte offset off (off may wrap below the start); HEAPLAB_OK if it may.
int model_free_error(const struct model *m, uintptr_t off, uintptr_t n);

// model_free frees what model_free_error allows; answers the same code.
int model_free(struct model *m, uintptr_t off, uintptr_t n);

// model_next_run finds the first free run at or after page *page: answers 1
// and sets *page and *len (pages), or 0 if there is none.
int model_next_run(const struct model *m, size_t *page, size_t *len);

#endif
