// SPDX-License-Identifier: BSD-3-Clause
// The host platform for the allocator core: a simulated break over an
// arena from mmap, a flag lock that catches misuse, and a panic hook.
#ifndef HEAPLAB_HOST_H
#define HEAPLAB_HOST_H

#include "../../include/heaplab.h"
#include "../../runtime/sys.h"

// Status a host program exits with when the allocator panics (a failed
// check, a refused sys_free, a misused lock).
#define HOST_PANIC_STATUS 3

extern const struct heaplab_ops host_ops;
extern uintptr_t heap_break; // the simulated break, byte-exact

// host_brk is the simulated brk system call (brk(0) answers the break);
// host_sbrk, the break's owner, moves it through host_brk_hook, which is
// host_brk unless a test puts a faulty one there (tests/host/test_fault.c).
uintptr_t host_brk(uintptr_t addr);
uintptr_t host_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
extern uintptr_t (*host_brk_hook)(uintptr_t addr);

// host_heap_init maps a fresh zeroed arena of heap bytes aligned to granule,
// sets the break to its start and mem_inits pool over it. Answers 0, or -1
// if the arena cannot be had or granule is not a power of two >= the header.
int host_heap_init(struct heaplab_pool *pool, uintptr_t heap, uintptr_t granule);
// host_map_at, if not 0, is where host_heap_init maps the arena (and it
// fails if that is taken): the labs' graders put a case's heap at the same
// address in the program that runs a student's code and in the one that
// judges what it left (lab/gradelib.c).
extern uintptr_t host_map_at;
void host_heap_fini(struct heaplab_pool *pool);

// Called instead of exiting when a test wants to catch panics (cmocka).
extern void (*host_panic_hook)(const char *msg);

#endif
