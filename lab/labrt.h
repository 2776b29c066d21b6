// SPDX-License-Identifier: BSD-3-Clause
// The lab programs' runtime (lab/labrt.c): how long one allocator
// operation may run, and how a program stopped for looping says so.
#ifndef HEAPLAB_LABRT_H
#define HEAPLAB_LABRT_H

#include <stddef.h>
#include <stdint.h>

// CPU time one heaplab_alloc, heaplab_free or mem_index_fit may take, in
// microseconds (and in seconds, as text): a right one takes microseconds
// (the index lab's counted search, its page faults included, milliseconds),
// so a loop is stopped soon, and a looping lab graded nearly as fast as a
// right one.
#define LAB_OP_USECS	250000
#define LAB_OP_SECS_STR "0.25"

// The exit status of a program stopped for looping, and how its message
// on stderr starts (tools/grade.py knows both). A sanitizer's report exits
// LAB_CRASHED (lab/labrt.c sets it for both), never LAB_LOOPED: a crash is
// never taken for a loop.
#define LAB_LOOPED   97
#define LAB_LOOP_MSG "looped: "
#define LAB_CRASHED  99
// The exit status of a replay whose audit (lab/audit.c) found the heap
// corrupted, and how its message starts.
#define LAB_CORRUPT	96
#define LAB_CORRUPT_MSG "corrupted: "

// The operations a lab program's wrappers see (mk/lab.mk wraps each), and
// the one that runs the student's code in each lab: LAB_OP, from the
// build (-DLAB_OP=LAB_OP_FREE for the free lab, and so on).
#define LAB_OP_FREE  1 // heaplab_free: mem_freel is the student's (lab 3)
#define LAB_OP_ALLOC 2 // heaplab_alloc: mem_allocl (lab 6)
#define LAB_OP_FIT   3 // mem_index_fit (lab 7)
#define LAB_OP_SPAN  8 // hobj_span_take, _find, _give (lab 8, lab/spanrt.c)

struct heaplab_pool;
struct heaplab_hdr;
struct heaplab_avl_node;

// The wrapped functions themselves (ld --wrap): lab/labrt.c's wrappers, and
// the judges' lab/labplay.c, call them.
void *__real_heaplab_alloc(struct heaplab_pool *pool, uintptr_t n);
int __real_heaplab_free(struct heaplab_pool *pool, void *p, uintptr_t n);
struct heaplab_hdr *__real_mem_index_fit(const struct heaplab_pool *pool, uintptr_t n,
					 const struct heaplab_avl_node **pred);

// lab_guard arms the CPU-time limit for one operation (msg NULL: disarms
// it): past LAB_OP_USECS of CPU time, msg goes to stderr and the program
// exits LAB_LOOPED. lab/spanrt.c's wrappers use it too.
void lab_guard(const char *msg);

// lab_take reads n bytes of a run's records (the judge's stdin) into p;
// answers 0, or -1 at their end. In lab/labplay.c, which every judge links;
// lab/spanplay.c reads through it too.
int lab_take(void *p, size_t n);

// lab_op_hook, if set, is called after each wrapped operation returns,
// with its arguments and its answer (pred: mem_index_fit's *pred, else
// NULL). The part checks' harness records the student's with it
// (lab/gradelib.c).
extern void (*lab_op_hook)(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1, uintptr_t ret,
			   const struct heaplab_avl_node *pred);

// lab_pre_hook, if set, is called before each wrapped heaplab_alloc and
// heaplab_free, with its arguments (lab/audit.c reads back what a freed
// allocation held, and says what the last operation broke).
extern void (*lab_pre_hook)(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1);

// The blame a lab puts on the student's function, by LAB_OP: what a
// corrupted heap's line says to look at (lab/audit.c).
#if LAB_OP == LAB_OP_FIT
#define LAB_BLAME "look at your mem_index_fit's answer"
#elif LAB_OP == LAB_OP_ALLOC
#define LAB_BLAME "look at your mem_allocl"
#elif LAB_OP == LAB_OP_SPAN
#define LAB_BLAME "the pool is the reference here: look at your span functions"
#else
#define LAB_BLAME "look at your mem_freel (alloc is the reference here)"
#endif

#endif
