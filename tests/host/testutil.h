// Helpers shared by the cmocka tests of mem/ (test_mem, test_check): a fresh
// heap per test, pictures and snapshots of the allocator's state, and a way
// to catch the allocator's panics.
#ifndef HEAPLAB_TESTUTIL_H
#define HEAPLAB_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/host/host.h"

#define PG	  4096u	     // the default granule
#define TEST_HEAP (1u << 20) // the arena heap_setup maps

// Fixtures: a fresh heap of TEST_HEAP bytes, granule PG, checking on, the
// panic hook armed; every test uses the system pool `mempool`.
// test_index: 1 (the default) lets each fresh pool use the placement index
// where its granule holds a node, 0 keeps it on the list walk.
extern int test_index;
int heap_setup(void **state);
int heap_teardown(void **state);
void heap_reinit(uintptr_t heap, uintptr_t granule); // another arena or granule

// Offsets from the arena start, and back.
uintptr_t off(const void *p);
void *at(uintptr_t off);
uintptr_t brk_off(void);

void *must_alloc(uintptr_t n); // heaplab_alloc that must succeed
void must_free(void *p, uintptr_t n);
void pool_lock(void);
void pool_unlock(void);

// layout builds the heap from a picture, one character per granule from
// the start: 'x' allocated (one allocation per page), '.' free. Each run of
// '.' is allocated as one block and freed, so it becomes one free block.
void layout(const char *pic);

// fill_allocated sets every byte of every allocated page to c.
void fill_allocated(unsigned char c);

// heap_picture draws the heap up to the break the same way; free_list_str
// spells the free list as "0xOFF+0xSIZE ..." ("empty" if it is). Both
// answer a static buffer.
const char *heap_picture(void);
const char *free_list_str(void);

// What a refused call must leave as it was: the free list, the counters,
// the break and every byte below it.
struct mem_snap {
	char list[1024];
	uintptr_t inuse, taken, brk;
	uint64_t sum;
};

void snap_take(struct mem_snap *s);
void assert_unchanged_at(const struct mem_snap *before, const char *file, int line);
#define assert_unchanged(s) assert_unchanged_at((s), __FILE__, __LINE__)

// expect_panic runs stmt, which must make the allocator panic with a
// message containing needle; panic_msg holds the message afterwards.
extern jmp_buf panic_jmp;
extern int panic_armed;
extern char panic_msg[256];
#define expect_panic(stmt, needle)                                                                 \
	do {                                                                                       \
		panic_armed = 1;                                                                   \
		if (setjmp(panic_jmp) == 0) {                                                      \
			stmt;                                                                      \
			panic_armed = 0;                                                           \
			fail_msg("no panic from %s", #stmt);                                       \
		}                                                                                  \
		if (strstr(panic_msg, (needle)) == NULL)                                           \
			fail_msg("panic \"%s\" does not say \"%s\"", panic_msg, (needle));         \
	} while (0)

#endif
