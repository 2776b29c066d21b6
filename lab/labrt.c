// SPDX-License-Identifier: BSD-3-Clause
// Linked into every lab program (mk/lab.mk wraps heaplab_alloc and heaplab_free
// with it): an operation that runs LAB_OP_USECS of CPU time has looped, so
// the program stops at once and says so; and no leak report at exit.
#include "labrt.h"

#include "../mem/internal.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

void (*lab_op_hook)(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1, uintptr_t ret,
		    const struct heaplab_avl_node *pred);
void (*lab_pre_hook)(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1);

// What a loop's line says to look at: the function that is the student's
// in this lab (LAB_OP), never one they did not write.
#if LAB_OP == LAB_OP_FIT
#define ALLOC_HINT "in this lab it searches with your mem_index_fit: does the descent move down a level each step?"
#define FREE_HINT "mem_freel is the reference here: did your mem_index_fit answer a block that is not free?"
#elif LAB_OP == LAB_OP_SPAN
#define ALLOC_HINT "heaplab_alloc is the reference here, and your span functions never call it: did they write outside the span?"
#define FREE_HINT "heaplab_free is the reference here, and your span functions never call it: did they write outside the span?"
#elif LAB_OP == LAB_OP_ALLOC
#define ALLOC_HINT "your mem_allocl loops, or the free list does (does the walk move on to p->next? does a carve or an unlink leave a block pointing at itself?)"
#define FREE_HINT "mem_freel is the reference here: did your mem_allocl leave the free list looping, or hand out a block still on it?"
#else
#define ALLOC_HINT "mem_allocl is the reference here: did your mem_freel link a block to itself, or leave the list looping?"
#define FREE_HINT "your mem_freel loops (does its walk move on to next->next? does a merge link a block to itself?)"
#endif

static const char alloc_looped[] = LAB_LOOP_MSG "heaplab_alloc did not return after " LAB_OP_SECS_STR
						" s of CPU time: " ALLOC_HINT "\n";
static const char fit_looped[] =
    LAB_LOOP_MSG "mem_index_fit did not return after " LAB_OP_SECS_STR " s of CPU time: "
		 "does the descent move down a level each step?\n";
static const char free_looped[] = LAB_LOOP_MSG "heaplab_free did not return after " LAB_OP_SECS_STR
					       " s of CPU time: " FREE_HINT "\n";
static const char *volatile op_msg; // the operation running, for looped()

// looped runs when an operation's CPU time is up: it names the operation
// and exits LAB_LOOPED (only async-signal-safe calls here).
static void looped(int sig)
{
	ssize_t n;

	(void)sig;
	n = write(2, op_msg, strlen(op_msg));
	(void)n;
	_exit(LAB_LOOPED);
}

void lab_guard(const char *msg)
{
	struct itimerval t = {{0, 0}, {0, msg != NULL ? LAB_OP_USECS : 0}};

	op_msg = msg;
	if (msg != NULL)
		signal(SIGPROF, looped);
	setitimer(ITIMER_PROF, &t, NULL);
}

void *__wrap_heaplab_alloc(struct heaplab_pool *pool, uintptr_t n)
{
	void *p;

	if (lab_pre_hook != NULL)
		lab_pre_hook(LAB_OP_ALLOC, pool, n, 0);
	lab_guard(alloc_looped);
	p = __real_heaplab_alloc(pool, n);
	lab_guard(NULL);
	if (lab_op_hook != NULL)
		lab_op_hook(LAB_OP_ALLOC, pool, n, 0, (uintptr_t)p, NULL);
	return p;
}

int __wrap_heaplab_free(struct heaplab_pool *pool, void *p, uintptr_t n)
{
	int err;

	if (lab_pre_hook != NULL)
		lab_pre_hook(LAB_OP_FREE, pool, (uintptr_t)p, n);
	lab_guard(free_looped);
	err = __real_heaplab_free(pool, p, n);
	lab_guard(NULL);
	if (lab_op_hook != NULL)
		lab_op_hook(LAB_OP_FREE, pool, (uintptr_t)p, n, (uintptr_t)err, NULL);
	return err;
}

struct heaplab_hdr *__wrap_mem_index_fit(const struct heaplab_pool *pool, uintptr_t n,
				     const struct heaplab_avl_node **pred)
{
	const char *outer = op_msg; // heaplab_alloc's, when it searches the index
	struct heaplab_hdr *b;

	lab_guard(fit_looped);
	b = __real_mem_index_fit(pool, n, pred);
	lab_guard(outer);
	if (lab_op_hook != NULL)
		lab_op_hook(LAB_OP_FIT, (struct heaplab_pool *)pool, n, 0, (uintptr_t)b, *pred);
	return b;
}

// The host programs' own buffers, left for exit to free, are not the
// student's: LeakSanitizer would report them as if they were.
// A report exits LAB_CRASHED, from either sanitizer, and says where.
const char *__asan_default_options(void)
{
	return "detect_leaks=0:exitcode=99";
}

const char *__ubsan_default_options(void)
{
	return "exitcode=99:print_stacktrace=1";
}
