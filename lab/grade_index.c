// SPDX-License-Identifier: BSD-3-Clause
// The part checks `make grade LAB=index` runs on your mem_index_fit (lab
// 7): trees of free blocks built by the reference free, searched with your
// code for every size, and the nodes one search visits counted.
//
//   fit    the answer is the lowest-addressed block of at least n bytes
//          (NULL if none), for every n from one page to one past the largest
//   pred   *pred is the block's list predecessor when it has no left subtree
//   bound  with 10,000 free blocks, one search visits at most 2*height+2
//          nodes. Counted, not timed: every page of the heap is made
//          unreadable before the search and each one it reads is counted
//          (and made readable) as it faults; a block's header and node
//          share its first page, so pages read are nodes visited.
//
// usage: grade_index [PART or PART/CASE...]   PART: fit pred bound (default all);
// PART/CASE runs one case (--list lists them: `order/new-head`, ...)
// Prints `PART/CASE: ok` or `PART/CASE: what went wrong` per case, then
// `N passed, M failed`; exits 1 if any failed.
#include "gradelib.h"
#include "../mem/internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAXPIC	   1600	 // pages in a generated picture, at most
#define BOUND_N	   10000 // free blocks in the bound part's heap
#define BOUND_BIG  8	 // of which these are bigger: 2..9 pages, spread out
#define BOUND_HEAP ((2 * BOUND_N + 64) * PG)

enum order { ASCENDING, DESCENDING, SHUFFLED }; // the frees that build the tree

struct index_case {
	struct lab_case id; // part, name
	const char *pic;    // the heap; NULL: generated from seed, blocks
	unsigned seed, blocks;
	enum order order;
	uintptr_t n; // bound part: the size searched for, in pages
};

// The trees of the fit and pred parts.
#define TREES(part)                                                                                \
	{{part, "one-block"}, "x...x", 0, 0, ASCENDING, 0},                                        \
	    {{part, "three-blocks"}, ".x..x...x", 0, 0, ASCENDING, 0},                             \
	    {{part, "biggest-first"}, "....x.x..x.x", 0, 0, ASCENDING, 0},                         \
	    {{part, "biggest-last"}, ".x..x.x...x....", 0, 0, DESCENDING, 0},                      \
	    {{part, "random-40"}, NULL, 1, 40, ASCENDING, 0},                                      \
	    {{part, "random-40-backwards"}, NULL, 1, 40, DESCENDING, 0},                           \
	    {{part, "random-40-shuffled"}, NULL, 1, 40, SHUFFLED, 0},                              \
	{                                                                                          \
		{part, "random-300"}, NULL, 2, 300, SHUFFLED, 0                                    \
	}

// clang-format off: one case a line reads best as a table
static const struct index_case cases[] = {
    TREES("fit"),
    TREES("pred"),
    // 10,000 one-page blocks; the k-th big one (k+1 pages) is the first
    // fit of k+1 pages, and lies k/8 of the way along.
    {{"bound", "one-page"}, NULL, 0, 0, ASCENDING, 1},
    {{"bound", "two-pages"}, NULL, 0, 0, ASCENDING, 2},
    {{"bound", "three-pages"}, NULL, 0, 0, ASCENDING, 3},
    {{"bound", "four-pages"}, NULL, 0, 0, ASCENDING, 4},
    {{"bound", "five-pages"}, NULL, 0, 0, ASCENDING, 5},
    {{"bound", "six-pages"}, NULL, 0, 0, ASCENDING, 6},
    {{"bound", "seven-pages"}, NULL, 0, 0, ASCENDING, 7},
    {{"bound", "eight-pages"}, NULL, 0, 0, ASCENDING, 8},
    {{"bound", "nine-pages"}, NULL, 0, 0, ASCENDING, 9},
    {{"bound", "none-fits"}, NULL, 0, 0, ASCENDING, 10},
};
// clang-format on

static char pic[2 * BOUND_N + 64]; // the case's heap

// xorshift64*: small, seedable, the same on every machine.
static uint64_t rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

// generate draws blocks free blocks of 1 to 6 pages (now and then 8 to
// 15), each after one page in use, into pic.
static void generate(unsigned seed, unsigned blocks)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t n = 0, k, len;

	while (blocks-- > 0 && n + 17 < MAXPIC) {
		pic[n++] = 'x';
		len = rng(&s) % 10 == 0 ? 8 + rng(&s) % 8 : 1 + rng(&s) % 6;
		for (k = 0; k < len; k++)
			pic[n++] = '.';
	}
	pic[n++] = 'x';
	pic[n] = '\0';
}

// generate_bound draws the bound part's heap into pic.
static void generate_bound(void)
{
	size_t n = 0, i, k, len;

	for (i = 0; i < BOUND_N; i++) {
		pic[n++] = 'x';
		len =
		    (i + 1) % (BOUND_N / BOUND_BIG) == 0 ? 1 + (i + 1) / (BOUND_N / BOUND_BIG) : 1;
		for (k = 0; k < len; k++)
			pic[n++] = '.';
	}
	pic[n] = '\0';
}

// build makes the heap pic shows and frees its blocks in the given order
// through the reference free, which builds the tree.
static void build(enum order order, uintptr_t heap)
{
	static size_t runs[BOUND_N + 8][2];
	size_t n = strlen(pic), nr = 0, i, j, t;
	uint64_t s = 7;

	lab_heap(n, heap);
	if (!mempool.index) {
		printf("grade_index: the pool does not use the placement index\n");
		exit(2);
	}
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && pic[j] == pic[i]; j++)
			;
		if (pic[i] == '.') {
			runs[nr][0] = i;
			runs[nr++][1] = j - i;
		}
	}
	for (i = 0; order == SHUFFLED && i + 1 < nr; i++) {
		j = i + rng(&s) % (nr - i);
		for (t = 0; t < 2; t++) {
			size_t v = runs[i][t];
			runs[i][t] = runs[j][t];
			runs[j][t] = v;
		}
	}
	for (i = 0; i < nr; i++) {
		t = order == DESCENDING ? nr - 1 - i : i;
		if (heaplab_free(&mempool, lab_page(runs[t][0]), runs[t][1] * PG) != HEAPLAB_OK) {
			printf("grade_index: the reference free refused a block\n");
			exit(2);
		}
	}
}

// first_fit answers the lowest block of at least n bytes, by the list,
// and in *prev the block before it (NULL if it is the head).
static struct heaplab_hdr *first_fit(uintptr_t n, struct heaplab_hdr **prev)
{
	struct heaplab_hdr *b;

	*prev = NULL;
	for (b = mempool.freelist; b != NULL && b->size < n; b = b->next)
		*prev = b;
	return b;
}

static unsigned long off_of(const void *p)
{
	return (unsigned long)((uintptr_t)p - mempool.start);
}

static const char *block_str(char *buf, size_t len, const struct heaplab_hdr *b)
{
	if (b == NULL)
		return "NULL";
	snprintf(buf, len, "the block at 0x%lx", off_of(b));
	return buf;
}

static const struct heaplab_avl_node *node_of(const struct heaplab_hdr *b)
{
	return (const struct heaplab_avl_node *)((uintptr_t)b + HDR);
}

static const char *node_str(char *buf, size_t len, const struct heaplab_avl_node *x)
{
	const struct heaplab_hdr *b;

	if (x == NULL)
		return "NULL";
	for (b = mempool.freelist; b != NULL && node_of(b) != x; b = b->next)
		;
	if (b == NULL)
		snprintf(buf, len, "%p, not the node of a free block", (const void *)x);
	else
		snprintf(buf, len, "the node of the block at 0x%lx", off_of(b));
	return buf;
}

// search runs your fit under the pool's lock.
static struct heaplab_hdr *search(uintptr_t n, const struct heaplab_avl_node **pred)
{
	struct heaplab_hdr *b;

	heaplab_lock(&mempool);
	b = mem_index_fit(&mempool, n, pred);
	heaplab_unlock(&mempool);
	return b;
}

// check_one checks fit's answer (part "fit") or its *pred ("pred") for n.
static int check_one(const char *part, uintptr_t n)
{
	struct heaplab_hdr *prev, *want = first_fit(n, &prev), *got;
	const struct heaplab_avl_node *pred = (const struct heaplab_avl_node *)1, *wpred;
	char g[60], w[60];

	got = search(n, &pred);
	if (got != want)
		return lab_fail("n=0x%lx: answered %s, want %s (the lowest that fits)",
				(unsigned long)n, block_str(g, sizeof g, got),
				block_str(w, sizeof w, want));
	if (strcmp(part, "pred") != 0 || got == NULL || node_of(got)->left != NULL)
		return 0;
	wpred = prev != NULL ? node_of(prev) : NULL;
	if (pred != wpred)
		return lab_fail(
		    "n=0x%lx: the answer at 0x%lx has no left subtree, so *pred must be "
		    "its list predecessor, %s; it is %s",
		    (unsigned long)n, off_of(got), node_str(w, sizeof w, wpred),
		    node_str(g, sizeof g, pred));
	return 0;
}

// Page faults counted while the heap is unreadable (the bound part).


static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr & ~(uintptr_t)(PG - 1);

	(void)sig;
	(void)ctx;
	if (a < mempool.start || a >= heap_break ||
	    mprotect((void *)a, PG, PROT_READ | PROT_WRITE) != 0) {
		signal(SIGSEGV, SIG_DFL); // a real fault: it happens again, and kills
		return;
	}
	lab_touched++;
}

static int bound(uintptr_t n)
{
	uintptr_t len = heap_break - mempool.start;
	long height = mempool.tree.node->height;
	struct heaplab_hdr *prev, *want = first_fit(n, &prev), *got;
	const struct heaplab_avl_node *pred;
	struct sigaction sa;
	char g[40], w[40];

	if (sysconf(_SC_PAGESIZE) != PG)
		return lab_fail("needs %u-byte pages, this machine has %ld", PG,
				sysconf(_SC_PAGESIZE));
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	mprotect((void *)mempool.start, len, PROT_NONE);
	lab_touched = 0;
	got = search(n, &pred);
	mprotect((void *)mempool.start, len, PROT_READ | PROT_WRITE);
	if (got != want)
		return lab_fail("n=0x%lx: answered %s, want %s (the lowest that fits)",
				(unsigned long)n, block_str(g, sizeof g, got),
				block_str(w, sizeof w, want));
	if (lab_touched > (unsigned long)(2 * height + 2))
		return lab_fail("n=0x%lx: visited %lu of %u nodes, more than 2*height+2 = %ld (the "
				"tree's height is %ld)",
				(unsigned long)n, lab_touched, BOUND_N, 2 * height + 2, height);
	return 0;
}

static int run_case(const void *v)
{
	const struct index_case *c = v;
	uintptr_t n, most = 0;
	const struct heaplab_hdr *b;

	if (strcmp(c->id.part, "bound") == 0) {
		generate_bound();
		build(c->order, BOUND_HEAP);
		return bound(c->n * PG);
	}
	if (c->pic != NULL)
		snprintf(pic, sizeof pic, "%s", c->pic);
	else
		generate(c->seed, c->blocks);
	build(c->order, MAXPIC * PG);
	for (b = mempool.freelist; b != NULL; b = b->next)
		most = b->size > most ? b->size : most;
	for (n = PG; n <= most + PG; n += PG)
		if (check_one(c->id.part, n) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct lab_suite suite = {"grade_index",	"mem_index_fit",
					       cases,		sizeof cases / sizeof cases[0],
					       sizeof cases[0], run_case};

	return lab_main(&suite, argc, argv);
}
