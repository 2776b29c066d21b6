// The part checks `make grade` runs on your mem_freel (lab 3): each case
// builds a heap from a picture, frees one range with your code and checks
// one rule: address order, coalescing, zeroing, or refusals and counters.
//
// A picture has one character per page from the heap's start: 'x' a page
// in use (filled with a pattern), '.' a free page. Each run of '.' is one
// free block, its header written here by hand, so a case never depends on
// your free to set itself up. Each case runs in a child process, so that
// a crash or a loop fails that case only.
//
// usage: grade_free [PART...]   PART: order coalesce zero refuse (default all)
// Prints `PART/CASE: ok` or `PART/CASE: what went wrong` per case, then
// `N passed, M failed`; exits 1 if any failed.
#include "../arch/host/host.h"
#include "labrt.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG	   4096u
#define HDR	   sizeof(struct mem_hdr)
#define CASE_HEAP  (64u * PG)	   // the arena of each case
#define CASE_SECS  2		   // a case running longer than this has looped
#define FREE_NULL  ((uintptr_t)-1) // off meaning: free NULL
#define BELOW_HEAP ((uintptr_t)-2) // off meaning: one page below the heap

struct grade_case {
	const char *part, *name;
	const char *before;  // the heap before the free
	uintptr_t off, size; // what to free, in bytes from the heap's start
	int err;	     // what mem_free must answer
	const char *after;   // the heap after (NULL: as before)
	int realloc;	     // zero part: then allocate size again; it must be zeroed
};

// clang-format off: one case a line reads best as a table
static const struct grade_case cases[] = {
    // Address order: the block lands in the list where its address says,
    // touching nothing else. No neighbour is free, so nothing merges.
    {"order", "into-empty-list", "xxxx", 1 * PG, PG, MEM_OK, "x.xx", 0},
    {"order", "new-head", "xx.x", 0, PG, MEM_OK, ".x.x", 0},
    {"order", "new-tail", ".xxx", 2 * PG, PG, MEM_OK, ".x.x", 0},
    {"order", "between", ".xxx.x", 2 * PG, PG, MEM_OK, ".x.x.x", 0},
    {"order", "between-many", ".x.x.xxx.x.x", 6 * PG, PG, MEM_OK, ".x.x.x.x.x.x", 0},
    {"order", "two-pages", ".xxxx.x", 2 * PG, 2 * PG, MEM_OK, ".x..x.x", 0},
    {"order", "size-rounded-up", ".xxxx", 2 * PG, PG + 1, MEM_OK, ".x..x", 0},
    {"order", "last-page", ".xx", 2 * PG, PG, MEM_OK, ".x.", 0},
    // Coalescing: the block merges with the free block just above it, just
    // below it, or both, and the list stays linked past the merge.
    {"coalesce", "with-next", "xx..x", 1 * PG, PG, MEM_OK, "x...x", 0},
    {"coalesce", "with-previous", "x..xx", 3 * PG, PG, MEM_OK, "x...x", 0},
    {"coalesce", "with-both", "x.x.x", 2 * PG, PG, MEM_OK, "x...x", 0},
    {"coalesce", "with-next-at-head", "x..x", 0, PG, MEM_OK, "...x", 0},
    {"coalesce", "with-previous-at-tail", ".x..x", 4 * PG, PG, MEM_OK, ".x...", 0},
    {"coalesce", "with-both-two-pages", "..xx...x", 2 * PG, 2 * PG, MEM_OK, ".......x", 0},
    {"coalesce", "with-next-keeps-rest", "x..x.x", 0, PG, MEM_OK, "...x.x", 0},
    {"coalesce", "with-previous-keeps-rest", ".xx.x", 1 * PG, PG, MEM_OK, "..x.x", 0},
    {"coalesce", "with-both-mid-list", ".x.x.x..x.x", 5 * PG, PG, MEM_OK, ".x.x....x.x", 0},
    // Zeroing: every free byte past a header is zero, including a header
    // that a merge swallowed, so that alloc can hand memory out zeroed.
    {"zero", "one-page", "xxx", 1 * PG, PG, MEM_OK, "x.x", 0},
    {"zero", "two-pages", "xxxx", 1 * PG, 2 * PG, MEM_OK, "x..x", 0},
    {"zero", "size-rounded-up", "xxxx", 1 * PG, PG + 100, MEM_OK, "x..x", 0},
    {"zero", "merged-next-header", "xx.x", 1 * PG, PG, MEM_OK, "x..x", 0},
    {"zero", "merged-own-header", "x.xx", 2 * PG, PG, MEM_OK, "x..x", 0},
    {"zero", "merged-both", "x.x.x", 2 * PG, PG, MEM_OK, "x...x", 0},
    {"zero", "alloc-after-free", "xxx", 1 * PG, PG, MEM_OK, "x.x", 1},
    // Refusals: a bad free answers its error and changes nothing; a good
    // one takes its bytes off pool->inuse.
    {"refuse", "free-null", "x.x", FREE_NULL, PG, MEM_OK, NULL, 0},
    {"refuse", "size-zero", "xx.x", 0, 0, MEM_EZERO, NULL, 0},
    {"refuse", "misaligned", "xxx", PG + 16, PG, MEM_EALIGN, NULL, 0},
    {"refuse", "past-the-break", "x.x", 3 * PG, PG, MEM_ERANGE, NULL, 0},
    {"refuse", "across-the-break", "x.x", 2 * PG, 2 * PG, MEM_ERANGE, NULL, 0},
    {"refuse", "below-the-heap", "x.x", BELOW_HEAP, PG, MEM_ERANGE, NULL, 0},
    {"refuse", "double-free", "x.x", 1 * PG, PG, MEM_EDOUBLE, NULL, 0},
    {"refuse", "inside-a-free-block", "x...x", 2 * PG, PG, MEM_EDOUBLE, NULL, 0},
    {"refuse", "overlaps-block-below", "x..xx", 2 * PG, 2 * PG, MEM_EOVERLAP, NULL, 0},
    {"refuse", "overlaps-block-above", "xx..x", 1 * PG, 2 * PG, MEM_EOVERLAP, NULL, 0},
    {"refuse", "covers-a-free-block", "x.x", 0, 3 * PG, MEM_EOVERLAP, NULL, 0},
    {"refuse", "inuse-counts-down", ".xxxx", 2 * PG, PG + 1, MEM_OK, ".x..x", 0},
};
// clang-format on

static char why[400]; // what the failing check found

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return -1;
}

static void *page(uintptr_t i)
{
	return (void *)(mempool.start + i * PG);
}

// pattern is what an in-use page holds: never zero, different per page.
static unsigned char pattern(uintptr_t i)
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
	fail("the allocator panicked: %s", msg);
	report(1);
}

// build makes the heap the picture shows, by hand: the pages come from
// sbrk, the free blocks' headers are written here.
static void build(const char *pic)
{
	struct mem_hdr **link = &mempool.freelist;
	size_t n = strlen(pic), i, j;

	if (host_heap_init(&mempool, CASE_HEAP, PG) < 0 || mem_alloc(&mempool, n * PG) != page(0)) {
		printf("grade_free: cannot set up a heap of %zu pages\n", n);
		exit(2);
	}
	mempool.checking = 0; // the cases check one rule each, by hand
	mempool.inuse = 0;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && pic[j] == pic[i]; j++)
			;
		if (pic[i] == 'x') {
			mempool.inuse += (j - i) * PG;
			for (; i < j; i++)
				memset(page(i), pattern(i), PG);
			continue;
		}
		*link = page(i);
		(*link)->size = (j - i) * PG;
		link = &(*link)->next;
	}
	*link = NULL;
}

// list_str spells the free list as "0xOFF+0xSIZE ...", or "empty"; a walk
// longer than the heap has pages stops with "... (loops)".
static const char *list_str(char *buf, size_t len)
{
	const struct mem_hdr *b = mempool.freelist;
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

// pic_list spells the free list a picture shows, the way list_str does.
static const char *pic_list(const char *pic, char *buf, size_t len)
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

static int check_list(const char *pic)
{
	char have[200], want[200];

	if (strcmp(list_str(have, sizeof have), pic_list(pic, want, sizeof want)) != 0)
		return fail("free list is %s, want %s", list_str(have, sizeof have),
			    pic_list(pic, want, sizeof want));
	return 0;
}

// check_live: every page the picture shows in use still holds its pattern.
static int check_live(const char *pic)
{
	size_t i, k;

	for (i = 0; pic[i] != '\0'; i++)
		for (k = 0; pic[i] == 'x' && k < PG; k++)
			if (((unsigned char *)page(i))[k] != pattern(i))
				return fail("byte %#zx of a page in use changed (to %#x)",
					    i * PG + k, ((unsigned char *)page(i))[k]);
	return 0;
}

// is_header: does the byte at offset o lie in the header of a block that
// is on the free list now?
static int is_header(uintptr_t o)
{
	const struct mem_hdr *b = mempool.freelist;
	size_t steps = 0;

	for (; b != NULL && ++steps <= CASE_HEAP / PG; b = b->next)
		if (o - ((uintptr_t)b - mempool.start) < HDR)
			return 1;
	return 0;
}

// check_zero: every byte of the pages the picture shows free is zero,
// except the headers of the blocks on the list.
static int check_zero(const char *pic)
{
	size_t i, k;
	unsigned char c;

	for (i = 0; pic[i] != '\0'; i++) {
		for (k = 0; pic[i] == '.' && k < PG; k++) {
			c = ((unsigned char *)page(i))[k];
			if (c != 0 && !is_header(i * PG + k))
				return fail("free byte %#zx is %#x, want 0", i * PG + k, c);
		}
	}
	return 0;
}

static int check_realloc(uintptr_t want, uintptr_t n)
{
	unsigned char *p = mem_alloc(&mempool, n);
	uintptr_t k;

	if ((uintptr_t)p != mempool.start + want)
		return fail("alloc after the free answered %#lx, want %#lx",
			    p ? (unsigned long)((uintptr_t)p - mempool.start) : 0UL,
			    (unsigned long)want);
	for (k = 0; k < n; k++)
		if (p[k] != 0)
			return fail("byte %#lx of the new allocation is %#x, want 0",
				    (unsigned long)k, p[k]);
	return 0;
}

static unsigned long checksum(void)
{
	const unsigned char *p = (const unsigned char *)mempool.start;
	unsigned long s = 0, n = heap_break - mempool.start, i;

	for (i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static void *target(const struct grade_case *c)
{
	if (c->off == FREE_NULL)
		return NULL;
	if (c->off == BELOW_HEAP)
		return (void *)(mempool.start - PG);
	return (void *)(mempool.start + c->off);
}

// run_case builds the heap, frees, and checks the rule of the case's part.
static int run_case(const struct grade_case *c)
{
	const char *after = c->after ? c->after : c->before;
	unsigned long sum;
	uintptr_t used = 0;
	int err;
	size_t i;

	build(c->before);
	sum = checksum();
	err = mem_free(&mempool, target(c), c->size);
	if (err != c->err)
		return fail("mem_free answered \"%s\", want \"%s\"", mem_strerror(err),
			    mem_strerror(c->err));
	if (strcmp(c->part, "order") == 0 || strcmp(c->part, "coalesce") == 0)
		return check_list(after) < 0 || check_live(after) < 0 ? -1 : 0;
	if (strcmp(c->part, "zero") == 0) {
		if (check_zero(after) < 0)
			return -1;
		return c->realloc ? check_realloc(c->off, c->size) : 0;
	}
	for (i = 0; after[i] != '\0'; i++)
		used += after[i] == 'x' ? PG : 0;
	if (mempool.inuse != used)
		return fail("pool->inuse is %#lx, want %#lx", (unsigned long)mempool.inuse,
			    (unsigned long)used);
	if (c->after == NULL && checksum() != sum)
		return fail("the refused free changed the heap's bytes");
	return check_list(after);
}

// child runs one case in the child process, and reports.
static void child(const struct grade_case *c, int fd)
{
	report_fd = fd;
	alarm(CASE_SECS);
	host_panic_hook = grade_panic;
	report(run_case(c) == 0 ? 0 : 1);
}

// verdict says what the child's status and report mean, in why.
static int verdict(int st, const char *got)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (got[0] != '\0')
		return fail("%s", got);
	if (WIFEXITED(st) && WEXITSTATUS(st) == LAB_LOOPED)
		return fail(LAB_LOOP_MSG "mem_free did not return after %d s of CPU time",
			    LAB_OP_SECS);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		return fail(LAB_LOOP_MSG "did not finish in %d s", CASE_SECS);
	if (WIFSIGNALED(st))
		return fail("crashed (signal %d)", WTERMSIG(st));
	return fail("crashed (exit status %d; a sanitizer's report is on stderr)", WEXITSTATUS(st));
}

// spawn runs case c in a child process and prints its line; answers 0 if
// it passed.
static int spawn(const struct grade_case *c)
{
	char got[sizeof why] = "";
	int fd[2], st = 0, err;
	ssize_t n = 0;
	pid_t pid;

	fflush(stdout);
	if (pipe(fd) < 0 || (pid = fork()) < 0) {
		perror("grade_free");
		exit(2);
	}
	if (pid == 0) {
		close(fd[0]);
		child(c, fd[1]);
	}
	close(fd[1]);
	n = read(fd[0], got, sizeof got - 1);
	got[n > 0 ? n : 0] = '\0';
	close(fd[0]);
	waitpid(pid, &st, 0);
	err = verdict(st, got);
	printf("%s/%s: %s\n", c->part, c->name, err == 0 ? "ok" : why);
	return err;
}

// wanted: is part named on the command line (or is none named)?
static int wanted(const char *part, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], part) == 0)
			return 1;
	return argc == 1;
}

// known: is every part named on the command line one that has cases?
static int known(int argc, char **argv)
{
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
			if (strcmp(argv[a], cases[i].part) == 0)
				break;
		if (i == sizeof cases / sizeof cases[0])
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;
	size_t i;

	if (!known(argc, argv)) {
		fprintf(stderr, "usage: grade_free [order|coalesce|zero|refuse]...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!wanted(cases[i].part, argc, argv))
			continue;
		if (spawn(&cases[i]) == 0)
			passed++;
		else
			failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
