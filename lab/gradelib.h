// SPDX-License-Identifier: BSD-3-Clause
// What the labs' part checks share (lab/grade_free.c, grade_alloc.c,
// grade_index.c): heaps drawn as pictures, the free list spelled out, and
// each case run in a child process of its own, so that a crash or a loop
// fails that case only.
//
// A picture has one character per page from the heap's start: 'x' a page
// in use (filled with a pattern), '.' a free page. Each run of '.' is one
// free block.
#ifndef HEAPLAB_GRADELIB_H
#define HEAPLAB_GRADELIB_H

#include "../arch/host/host.h"
#include "../mem/internal.h" // the graders drive the lock-held pieces directly

#include <stddef.h>
#include <stdint.h>

#define PG	       4096u // the granule of every case
#define HDR	       sizeof(struct heaplab_hdr)
#define CASE_HEAP      (64u * PG) // the arena of a case, unless it asks for less
#define CASE_SECS      2	  // a case taking more CPU seconds than this has looped
#define CASE_WALL_SECS 30	  // and one taking this long in all is stuck

// Every table of cases is an array of structs that start with this.
struct lab_case {
	const char *part, *name;
};

// A grader: its cases, and how to run one (in the child, after alarm):
// run answers 0, or -1 with the reason set by lab_fail.
struct lab_suite {
	const char *prog; // the program's name, for its usage line
	const char *op;	  // what a case calls: "heaplab_free", for a looping case's line
	const void *cases;
	size_t ncases, size; // entries in the table, and the size of one
	int (*run)(const void *c);
};

// lab_main runs the cases of the parts named on the command line (all if
// none), printing `PART/CASE: ok` or `PART/CASE: what went wrong` per case,
// then `N passed, M failed`; answers the exit status (1 if any failed, 2
// for an unknown part). That is a student's own check, run inside their
// program, which their code can make say anything. The grader (tools/
// grade.py) uses the other modes instead, each case in a process of its
// own:
//   --list         the cases, `PART/CASE` a line;
//   --record CASE  runs the case (in the sandbox, with the student's code)
//                  and writes to fd 3 a record of each call of the
//                  student's operation: its arguments, its answer and the
//                  pool and heap it left (struct lab_rec, then the heap);
//   --judge CASE   in lab/judge_*, the same case built with mem/'s own
//                  code and no student file: each call of the student's
//                  operation takes its answer and the heap it left from
//                  those records on stdin (lab/labplay.c), and the case's
//                  checks run here, on that heap. Prints the one line
//                  `PART/CASE: ok` or `PART/CASE: why` and exits 0 or 1;
//                  3 when the records end before the call returned (the
//                  run stopped), 4 when they are not what the call made.
// So a verdict is decided by code the student's file is not linked into,
// from the heap their code left: a run that exits early, prints or fakes
// anything else has no say in it.
int lab_main(const struct lab_suite *s, int argc, char **argv);

// One call of the student's operation, as --record writes it: the call,
// its answer, and (but for mem_index_fit, which changes nothing) the pool
// and then the len bytes of the heap from pool.start to the break.
#define LAB_REC_MAGIC 0x4c616252u // "RbaL"
struct lab_rec {
	uint32_t magic, op;
	uint64_t a0, a1;  // heaplab_free: p, n; heaplab_alloc, mem_index_fit: n
	uint64_t ret;	  // its answer (an address, or heaplab_free's error)
	uint64_t pred;	  // mem_index_fit's *pred
	uint64_t touched; // lab_touched after the call
	uint64_t brk, len;
	struct heaplab_pool pool;
};

// lab_judge_end ends a --judge run: prints the case's line with the reason
// and exits with status (lab/labplay.c, when the records give out).
void lab_judge_end(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

// Pages the index lab's bound part counted the search reading; recorded
// with the search's answer.
extern volatile unsigned long lab_touched;

// Where every case's heap is mapped, in the runner and in the judge alike.
#define LAB_HEAP_AT 0x4c0000000000ul

int lab_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *lab_page(uintptr_t i);
unsigned char lab_pattern(uintptr_t i);

// lab_heap maps a fresh arena of heap bytes (0: CASE_HEAP) and takes its
// first npages pages through sbrk, all in use, with checking off (a case
// checks its one rule by hand); the student's code is not called.
void lab_heap(size_t npages, uintptr_t heap);

// lab_build makes the heap a picture shows, by hand (lab_heap, then the
// free blocks' headers written here), for a pool that walks the list.
void lab_build(const char *pic, uintptr_t heap);

// lab_list_str spells the free list as "0xOFF+0xSIZE ...", or "empty" (a
// walk longer than the heap has pages ends in "... (loops)"); lab_pic_list
// spells the list a picture shows the same way.
const char *lab_list_str(char *buf, size_t len);
const char *lab_pic_list(const char *pic, char *buf, size_t len);

// Checks against a picture, each 0 or lab_fail's -1: the free list, the
// pattern of every page in use, and the zeros of every free page past the
// headers of the blocks on the list.
int lab_check_list(const char *pic);
int lab_check_live(const char *pic);
int lab_check_zero(const char *pic);

// lab_checksum sums every byte below the break.
unsigned long lab_checksum(void);

#endif
