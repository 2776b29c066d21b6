// SPDX-License-Identifier: BSD-3-Clause
// The labs' part-check harness (see gradelib.h): pictures, the free list
// as text, one child process per case for a student's own runs, and the
// grader's --record and --judge modes.
#include "gradelib.h"
#include "labrt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char why[400]; // what the failing check found
volatile unsigned long lab_touched;

int lab_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return -1;
}

void *lab_page(uintptr_t i)
{
	return (void *)(mempool.start + i * PG);
}

// lab_pattern is what an in-use page holds: never zero, different per page.
unsigned char lab_pattern(uintptr_t i)
{
	return (unsigned char)(0xa0 + i % 16);
}

static int report_fd = -1; // the child's end of the pipe to the parent

// report hands why to the parent and ends the child with status.
static void report(int status)
{
	if (status != 0 && write(report_fd, why, strlen(why)) < 0)
		status = 3;
	exit(status);
}

static void grade_panic(const char *msg)
{
	lab_fail("the allocator panicked: %s", msg);
	report(1);
}

static void grade_panic_judge(const char *msg)
{
	lab_judge_end(1, "wrong answer: the allocator panicked: %s", msg);
}

void lab_heap(size_t npages, uintptr_t heap)
{
	void *p = NULL;

	host_map_at = LAB_HEAP_AT;
	if (host_heap_init(&mempool, heap ? heap : CASE_HEAP, PG) == 0) {
		heaplab_lock(&mempool);
		p = npages ? mem_sbrkl(&mempool, npages * PG) : lab_page(0);
		heaplab_unlock(&mempool);
	}
	if (p != lab_page(0)) {
		printf("grade: cannot set up a heap of %zu pages\n", npages);
		exit(2);
	}
	mempool.checking = 0;
	mempool.inuse = npages * PG;
}

void lab_build(const char *pic, uintptr_t heap)
{
	struct heaplab_hdr **link = &mempool.freelist;
	size_t n = strlen(pic), i, j;

	lab_heap(n, heap);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && pic[j] == pic[i]; j++)
			;
		if (pic[i] == 'x') {
			for (; i < j; i++)
				memset(lab_page(i), lab_pattern(i), PG);
			continue;
		}
		mempool.inuse -= (j - i) * PG;
		*link = lab_page(i);
		(*link)->size = (j - i) * PG;
		link = &(*link)->next;
	}
	*link = NULL;
}

const char *lab_list_str(char *buf, size_t len)
{
	const struct heaplab_hdr *b = mempool.freelist;
	size_t n = 0, steps = 0;

	buf[0] = '\0';
	for (; b != NULL && n + 40 < len; b = b->next) {
		if (++steps > CASE_HEAP / PG) {
			snprintf(buf + n, len - n, "... (loops)");
			return buf;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s0x%lx+0x%lx", n ? " " : "",
				      (unsigned long)((uintptr_t)b - mempool.start),
				      (unsigned long)b->size);
	}
	return n ? buf : "empty";
}

const char *lab_pic_list(const char *pic, char *buf, size_t len)
{
	size_t n = 0, i, j, np = strlen(pic);

	buf[0] = '\0';
	for (i = 0; i < np; i = j) {
		for (j = i; j < np && pic[j] == pic[i]; j++)
			;
		if (pic[i] == '.')
			n += (size_t)snprintf(buf + n, len - n, "%s0x%lx+0x%lx", n ? " " : "",
					      (unsigned long)(i * PG),
					      (unsigned long)((j - i) * PG));
	}
	return n ? buf : "empty";
}

int lab_check_list(const char *pic)
{
	char hbuf[200], wbuf[200];
	const char *have = lab_list_str(hbuf, sizeof hbuf);
	const char *want = lab_pic_list(pic, wbuf, sizeof wbuf);

	if (strcmp(have, want) != 0)
		return lab_fail("free list is %s, want %s", have, want);
	return 0;
}

int lab_check_live(const char *pic)
{
	size_t i, k;

	for (i = 0; pic[i] != '\0'; i++)
		for (k = 0; pic[i] == 'x' && k < PG; k++)
			if (((unsigned char *)lab_page(i))[k] != lab_pattern(i))
				return lab_fail("byte %#zx of a page in use changed (to %#x)",
						i * PG + k, ((unsigned char *)lab_page(i))[k]);
	return 0;
}

// is_header: does the byte at offset o lie in the header of a block that
// is on the free list now?
static int is_header(uintptr_t o)
{
	const struct heaplab_hdr *b = mempool.freelist;
	size_t steps = 0;

	for (; b != NULL && ++steps <= CASE_HEAP / PG; b = b->next)
		if (o - ((uintptr_t)b - mempool.start) < HDR)
			return 1;
	return 0;
}

int lab_check_zero(const char *pic)
{
	size_t i, k;
	unsigned char c;

	for (i = 0; pic[i] != '\0'; i++) {
		for (k = 0; pic[i] == '.' && k < PG; k++) {
			c = ((unsigned char *)lab_page(i))[k];
			if (c != 0 && !is_header(i * PG + k))
				return lab_fail("free byte %#zx is %#x, want 0", i * PG + k, c);
		}
	}
	return 0;
}

unsigned long lab_checksum(void)
{
	const unsigned char *p = (const unsigned char *)mempool.start;
	unsigned long s = 0, n = heap_break - mempool.start, i;

	for (i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static const struct lab_case *case_at(const struct lab_suite *s, size_t i)
{
	return (const struct lab_case *)((const char *)s->cases + i * s->size);
}

// child runs one case in the child process, and reports.
static void child(const struct lab_suite *s, const struct lab_case *c, int fd)
{
	struct rlimit cpu = {CASE_SECS, CASE_SECS + 1};

	report_fd = fd;
	setrlimit(RLIMIT_CPU, &cpu); // SIGXCPU: CPU time, whatever the load
	alarm(CASE_WALL_SECS);	     // SIGALRM: stuck, not running
	host_panic_hook = grade_panic;
	report(s->run(c) == 0 ? 0 : 1);
}

// verdict says what the child's status and report mean, in why.
static int verdict(const struct lab_suite *s, int st, const char *got)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (got[0] != '\0')
		return lab_fail("wrong answer: %s", got);
	if (WIFEXITED(st) && WEXITSTATUS(st) == LAB_LOOPED)
		return lab_fail(LAB_LOOP_MSG "%s did not return after " LAB_OP_SECS_STR
					     " s of CPU time (its line above says where to look)",
				s->op);
	if (WIFEXITED(st) && WEXITSTATUS(st) == LAB_CRASHED)
		return lab_fail("crashed: the sanitizer's report above says where (its first "
				"frame in your file is the line to read)");
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
		return lab_fail(LAB_LOOP_MSG "did not finish in %d s of CPU time", CASE_SECS);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		return lab_fail("timed out: did not finish in %d s (waiting, not running)",
				CASE_WALL_SECS);
	if (WIFSIGNALED(st))
		return lab_fail("crashed: signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	return lab_fail("crashed: exit status %d", WEXITSTATUS(st));
}

// spawn runs case c in a child process and prints its line; answers 0 if
// it passed.
static int spawn(const struct lab_suite *s, const struct lab_case *c)
{
	char got[sizeof why] = "";
	int fd[2], st = 0, err;
	ssize_t n = 0;
	pid_t pid;

	fflush(stdout);
	if (pipe(fd) < 0 || (pid = fork()) < 0) {
		perror(s->prog);
		exit(2);
	}
	if (pid == 0) {
		close(fd[0]);
		child(s, c, fd[1]);
	}
	close(fd[1]);
	n = read(fd[0], got, sizeof got - 1);
	got[n > 0 ? n : 0] = '\0';
	close(fd[0]);
	waitpid(pid, &st, 0);
	err = verdict(s, st, got);
	printf("%s/%s: %s\n", c->part, c->name, err == 0 ? "ok" : why);
	return err;
}

// is_case: does arg name c, as PART/CASE?
static int is_case(const struct lab_case *c, const char *arg)
{
	size_t n = strlen(c->part);

	return strncmp(arg, c->part, n) == 0 && arg[n] == '/' && strcmp(arg + n + 1, c->name) == 0;
}

// wanted: is c's part, or c itself, named on the command line (or is
// nothing named)?
static int wanted(const struct lab_case *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], c->part) == 0 || is_case(c, argv[i]))
			return 1;
	return argc == 1;
}

// known: does arg name a part or a case?
static int known(const struct lab_suite *s, const char *arg)
{
	size_t i;

	for (i = 0; i < s->ncases; i++)
		if (strcmp(arg, case_at(s, i)->part) == 0 || is_case(case_at(s, i), arg))
			return 1;
	return 0;
}

// part_index answers the first case of the part called name, or ncases.
static size_t part_index(const struct lab_suite *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncases && strcmp(name, case_at(s, i)->part) != 0; i++)
		;
	return i;
}

// usage lists the parts, each once, in the table's order.
static int usage(const struct lab_suite *s)
{
	const char *sep = "[";
	size_t i;

	fprintf(stderr, "usage: %s ", s->prog);
	for (i = 0; i < s->ncases; i++) {
		if (part_index(s, case_at(s, i)->part) == i) {
			fprintf(stderr, "%s%s", sep, case_at(s, i)->part);
			sep = "|";
		}
	}
	fprintf(stderr, "|PART/CASE]... (--list lists the cases)\n");
	return 2;
}

static const struct lab_case *judged; // the case a --judge run decides

void lab_judge_end(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	printf("%s/%s: %s\n", judged->part, judged->name, why);
	exit(status);
}

static int rec_fd = 3; // where --record writes

static void put(const void *p, size_t n)
{
	const char *b = p;
	ssize_t k;

	for (; n > 0; b += k, n -= (size_t)k) {
		k = write(rec_fd, b, n);
		if (k < 0 && errno == EINTR)
			k = 0;
		else if (k <= 0)
			_exit(5); // the grader stopped reading: nothing left to do
	}
}

// record writes one call of the student's operation (lab_op_hook).
static void record(int op, struct heaplab_pool *pool, uintptr_t a0, uintptr_t a1, uintptr_t ret,
		   const struct heaplab_avl_node *pred)
{
	struct lab_rec r;

	if (op != LAB_OP)
		return;
	memset(&r, 0, sizeof r);
	r.magic = LAB_REC_MAGIC;
	r.op = (uint32_t)op;
	r.a0 = a0;
	r.a1 = a1;
	r.ret = ret;
	r.pred = (uintptr_t)pred;
	r.touched = lab_touched;
	r.brk = heap_break;
	if (op != LAB_OP_FIT && pool == &mempool && heap_break >= mempool.start &&
	    heap_break <= mempool.end) {
		r.pool = mempool;
		r.len = heap_break - mempool.start;
	}
	put(&r, sizeof r);
	put((const void *)mempool.start, r.len);
}

static void record_panic(const char *msg)
{
	fprintf(stderr, "the allocator panicked: %s\n", msg);
	exit(HOST_PANIC_STATUS);
}

static const struct lab_case *find(const struct lab_suite *s, const char *name)
{
	char buf[200];
	size_t i;

	for (i = 0; i < s->ncases; i++) {
		snprintf(buf, sizeof buf, "%s/%s", case_at(s, i)->part, case_at(s, i)->name);
		if (strcmp(buf, name) == 0)
			return case_at(s, i);
	}
	fprintf(stderr, "%s: no case %s (--list lists them)\n", s->prog, name);
	exit(2);
}

// grader_mode runs --list, --record CASE or --judge CASE (gradelib.h).
static int grader_mode(const struct lab_suite *s, const char *mode, const char *name)
{
	struct rlimit cpu = {CASE_SECS, CASE_SECS + 1};
	static char found[sizeof why];
	const struct lab_case *c;
	size_t i;

	if (strcmp(mode, "--list") == 0) {
		for (i = 0; i < s->ncases; i++)
			printf("%s/%s\n", case_at(s, i)->part, case_at(s, i)->name);
		return 0;
	}
	c = find(s, name);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "--record") == 0) {
		if (fcntl(rec_fd, F_GETFD) < 0) {
			fprintf(stderr, "%s: --record writes to fd 3, which is not open\n",
				s->prog);
			return 2;
		}
		setrlimit(RLIMIT_CPU, &cpu); // the grader's own limits are the ones that hold
		host_panic_hook = record_panic;
		lab_op_hook = record;
		s->run(c); // its own verdict: the judge decides
		return 0;
	}
	judged = c;
	host_panic_hook = grade_panic_judge;
	if (s->run(c) == 0)
		lab_judge_end(0, "ok");
	snprintf(found, sizeof found, "%s", why); // lab_judge_end writes why
	lab_judge_end(1, "wrong answer: %s", found);
}

int lab_main(const struct lab_suite *s, int argc, char **argv)
{
	unsigned passed = 0, failed = 0;
	size_t i;
	int a;

	if (argc == 2 && strcmp(argv[1], "--list") == 0)
		return grader_mode(s, argv[1], NULL);
	if (argc == 3 && (strcmp(argv[1], "--record") == 0 || strcmp(argv[1], "--judge") == 0))
		return grader_mode(s, argv[1], argv[2]);
	for (a = 1; a < argc; a++)
		if (!known(s, argv[a]))
			return usage(s);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < s->ncases; i++) {
		if (!wanted(case_at(s, i), argc, argv))
			continue;
		if (spawn(s, case_at(s, i)) == 0)
			passed++;
		else
			failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
