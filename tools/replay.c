// SPDX-License-Identifier: BSD-3-Clause
// build/host/replay: replays an allocation trace through the real mem/ code
// over a fresh simulated heap, printing what the image's trace mode prints.
#include "../arch/host/host.h"
#include "../replay/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: replay [--heap BYTES] [--page BYTES] [--check] [--list] [--exact-free] [--steps]\n"
    "              [--base] [--ops] [--stats] [TRACE]\n"
    "  Replays TRACE (stdin if none) through heaplab's allocator over a fresh\n"
    "  heap of --heap bytes (default 64 MiB) with granule --page (default 4096).\n"
    "  BYTES is decimal or 0x-hex; the page a power of two from 16 to 1048576,\n"
    "  the heap a whole number of pages. --check runs the full check after\n"
    "  every operation. A trace has at most 67108864 bytes, 131072 alloc lines\n"
    "  and 128 bytes in an ID or a number; an ID holds no control byte\n"
    "  (0x00-0x1f, 0x7f).\n"
    "  --list finds the first fit by walking the free list, as the seed does,\n"
    "  instead of through the placement index (used when the granule holds\n"
    "  a tree node: 64 bytes here, 32 on a 32-bit machine); same placement.\n"
    "  --exact-free keeps a record of where each allocation starts and how\n"
    "  long it is (heaplab_track), and refuses a free or freeat that is not\n"
    "  exactly one live allocation: `not the start and size of one live\n"
    "  allocation`. Without it a free of part of an allocation, or of two\n"
    "  neighbours at once, is done as asked, as the seed does.\n"
    "  --steps prints, first, `# steps granule 0xG heap 0xH`, and after every\n"
    "  operation N of trace line L (and its own output line, if any):\n"
    "    step N line L brk 0xOFF free K\n"
    "      0xOFF 0xSIZE 0xNEXT          one line per free block; NEXT nil at the end\n"
    "  then, when the pool uses the placement index, its nodes in order:\n"
    "    tree root 0xOFF nodes M        ROOT nil when empty\n"
    "      0xOFF left 0xOFF right 0xOFF max 0xMAX height H     nil for no child\n"
    "  then, once a trace's objects heap is set up (malloc lines), its spans\n"
    "  and large objects in address order:\n"
    "    objects spans S large L pagemap 0xOFF 0xBYTES\n"
    "      span 0xOFF class C size Z bytes 0xB nobj N inuse U fresh F used 0xBITS\n"
    "      large 0xOFF bytes 0xB\n"
    "  and after a failed check's line, the step of the operation that broke it\n"
    "  (its list's walk bounded by the heap, its tree left out).\n"
    "  --base prints `# base 0xADDR`, the heap's address, as the image's trace\n"
    "  mode does (after the steps line): a failed check's message quotes\n"
    "  addresses, and tools/heapmap.py turns them into offsets with it.\n"
    "  --ops prints the trace's operations as the replay reads them, one a\n"
    "  line, and runs nothing (for tools that read traces):\n"
    "    alloc LINE IDHEX SIZE | free LINE IDHEX | freeat LINE OFF SIZE |\n"
    "    sbrk LINE SIZE | check LINE | malloc LINE IDHEX SIZE | mfree LINE IDHEX |\n"
    "    realloc LINE IDHEX SIZE\n"
    "  LINE the trace line, IDHEX the ID's bytes in hex, numbers in decimal.\n"
    "  --stats prints, on stderr at the end, how many ID lookups the run made\n"
    "  and how many slots of its ID table they looked at.\n"
    "  Exit: 0 ok, 1 an operation was refused, 2 usage or malformed trace,\n"
    "  3 the allocator's check failed, 4 the output could not be written.\n";

// The trace's object lines run on replay/objects.c, which build/host/replay
// links in; a program that links this file without it (the lab's replay,
// over a student's page layer alone) finds it NULL: they are refused.
extern const struct replay_objects replay_objects __attribute__((weak));

// Sanitizer builds (make host SAN=1): a report exits 99, a status the tool
// never uses itself. Without a sanitizer nothing calls these; weak, so that
// a program linking the tool with its own options (lab/labrt.c) keeps them.
__attribute__((weak)) const char *__asan_default_options(void);
__attribute__((weak)) const char *__ubsan_default_options(void);
__attribute__((weak)) const char *__asan_default_options(void)
{
	return "exitcode=99";
}
__attribute__((weak)) const char *__ubsan_default_options(void)
{
	return "exitcode=99:print_stacktrace=1";
}

static int write_failed; // some output was lost: the exit status says so

static void out(void *arg, const char *s, size_t n)
{
	if (fwrite(s, 1, n, arg) != n)
		write_failed = 1;
}

// read_all reads a whole stream into a malloc'd buffer, but never more
// than REPLAY_TRACE_MAX + 1 bytes: past that *len is REPLAY_TRACE_MAX + 1
// and the caller refuses the trace. NULL with errno set if the stream
// cannot be read.
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap), *nb;

	while (buf != NULL && n <= REPLAY_TRACE_MAX && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap && n <= REPLAY_TRACE_MAX) {
			cap = cap * 2 > REPLAY_TRACE_MAX + 1 ? REPLAY_TRACE_MAX + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (nb == NULL)
				free(buf);
			buf = nb;
		}
	}
	if (buf != NULL && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	*len = n;
	return buf;
}

static int finish_output(int status, const char *fault);

// bytes_arg reads a --heap or --page value, as the trace writes numbers.
static int bytes_arg(const char *flag, const char *s, uintptr_t *v)
{
	const char *why;
	uint64_t x;

	why = replay_number(s, strlen(s), &x);
	if (why == NULL && x > UINTPTR_MAX)
		why = "number too large";
	if (why != NULL) {
		fprintf(stderr, "replay: %s '%s': %s\n", flag, s, why);
		return -1;
	}
	*v = (uintptr_t)x;
	return 0;
}

struct opts {
	uintptr_t heap, page;
	int check, list, steps, base, ops, stats, exact;
	const char *path;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	char err[160];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			exit(finish_output(REPLAY_OK, ""));
		} else if (strcmp(a, "--ops") == 0) {
			o->ops = 1;
		} else if (strcmp(a, "--stats") == 0) {
			o->stats = 1;
		} else if (strcmp(a, "--check") == 0) {
			o->check = 1;
		} else if (strcmp(a, "--list") == 0) {
			o->list = 1;
		} else if (strcmp(a, "--exact-free") == 0) {
			o->exact = 1;
		} else if (strcmp(a, "--steps") == 0) {
			o->steps = 1;
		} else if (strcmp(a, "--base") == 0) {
			o->base = 1;
		} else if ((strcmp(a, "--heap") == 0 || strcmp(a, "--page") == 0) && i + 1 < argc) {
			if (bytes_arg(a, argv[++i], a[2] == 'h' ? &o->heap : &o->page) < 0)
				return -1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "replay: unknown or incomplete flag '%s'\n%s", a, usage);
			return -1;
		} else if (o->path == NULL) {
			o->path = a;
		} else {
			fprintf(stderr, "replay: more than one trace file\n%s", usage);
			return -1;
		}
	}
	if (replay_opts(o->heap, o->page, err, sizeof err) != NULL) {
		fprintf(stderr, "replay: %s\n", err);
		return -1;
	}
	return 0;
}

// load reads and scans the trace; it answers the number of its allocs, or
// -1 after saying why on stderr.
static long load(const char *path, char **text, size_t *len)
{
	const char *name = path ? path : "stdin";
	FILE *f = stdin;
	struct stat st;
	char err[160];
	long nalloc;

	if (path != NULL && strcmp(path, "-") != 0 && (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", name, strerror(errno));
		return -1;
	}
	// A file that says it is too big is refused unread, with its size.
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > REPLAY_TRACE_MAX) {
		fprintf(stderr,
			"replay: %s: %llu bytes, more than the limit of %lu (64 MiB) a "
			"trace may have\n",
			name, (unsigned long long)st.st_size, (unsigned long)REPLAY_TRACE_MAX);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	errno = 0;
	*text = read_all(f, len);
	if (*text == NULL)
		fprintf(stderr, "replay: cannot read %s: %s\n", name,
			errno ? strerror(errno) : "out of memory");
	if (f != stdin)
		fclose(f);
	if (*text == NULL)
		return -1;
	if (*len > REPLAY_TRACE_MAX) { // a stream: how much more it holds is not read
		fprintf(stderr,
			"replay: %s: at least %lu bytes, more than the limit of %lu "
			"(64 MiB) a trace may have\n",
			name, (unsigned long)REPLAY_TRACE_MAX + 1, (unsigned long)REPLAY_TRACE_MAX);
		return -1;
	}
	nalloc = replay_scan(*text, *len, err, sizeof err);
	if (nalloc < 0)
		fprintf(stderr, "replay: %s: %s\n", name, err);
	return nalloc;
}

// write_lost says on stderr that some output was lost.
static void write_lost(void)
{
	fprintf(stderr, "replay: write error on stdout: %s (output lost)\n",
		errno ? strerror(errno) : "unknown error");
}

// finish_output flushes stdout and answers status, or REPLAY_OUTPUT with a
// message if any of the output was lost. A failed check (fault, its
// words, not empty) then stops in heaplab_fail, as every failed check
// does: `panic: WORDS` on stderr, exit REPLAY_CHECK (HOST_PANIC_STATUS).
// A lost output is said first and its status wins, the check's words
// following it on stderr: the error line on stdout may be what was lost.
static int finish_output(int status, const char *fault)
{
	int lost = write_failed || fflush(stdout) != 0 || ferror(stdout);

	if (lost) {
		write_lost();
		if (fault[0] != '\0')
			fprintf(stderr, "replay: and the check failed: %s\n", fault);
		fclose(stdout);
		return REPLAY_OUTPUT;
	}
	if (fault[0] != '\0')
		heaplab_fail(&mempool, fault); // stdout is flushed: nothing is lost
	if (fclose(stdout) != 0) {
		write_lost();
		return REPLAY_OUTPUT;
	}
	return status;
}

// start_track gives the fresh system pool its exact-free record (--exact-free)
// in *track, malloc'd: 0, or -1 after saying why.
static int start_track(void **track)
{
	uintptr_t n = heaplab_track_bytes(&mempool);

	*track = malloc(n != 0 ? n : 1);
	if (*track == NULL || heaplab_track(&mempool, *track, n) != HEAPLAB_OK) {
		free(*track);
		fprintf(stderr, "replay: cannot keep --exact-free's record of %lu bytes\n",
			(unsigned long)n);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {64u << 20, HEAPLAB_PAGE, 0, 0, 0, 0, 0, 0, 0, NULL};
	struct replay r = {0};
	void *track = NULL;
	char *text = NULL;
	size_t len;
	long nalloc;
	int status;

	if (parse_args(argc, argv, &o) < 0)
		return REPLAY_USAGE;
	if ((nalloc = load(o.path, &text, &len)) < 0) {
		free(text);
		return REPLAY_USAGE;
	}
	if (o.ops) {
		replay_ops(text, len, out, stdout);
		free(text);
		return finish_output(REPLAY_OK, "");
	}
	// The ID table's key, new every run (replay.h says why).
	if (getrandom(r.key, sizeof r.key, 0) != (ssize_t)sizeof r.key) {
		fprintf(stderr, "replay: getrandom: %s\n", strerror(errno));
		free(text);
		return REPLAY_USAGE;
	}
	r.nslots = replay_slots(nalloc);
	r.slots = calloc(r.nslots, sizeof *r.slots);
	if (r.slots == NULL || host_heap_init(&mempool, o.heap, o.page) < 0) {
		fprintf(stderr, "replay: cannot map a heap of %lu bytes\n", (unsigned long)o.heap);
		free(text);
		free(r.slots);
		return REPLAY_USAGE;
	}
	heaplab_set_index(&mempool, !o.list);
	if (o.exact && start_track(&track) < 0) {
		host_heap_fini(&mempool);
		free(text);
		free(r.slots);
		return REPLAY_USAGE;
	}
	r.pool = &mempool;
	r.base = mempool.start;
	r.check_each = o.check;
	r.steps = o.steps;
	r.write = out;
	r.arg = stdout;
	r.sbrk = host_sbrk;	     // `sbrk` lines: another client of the simulated break
	r.objects = &replay_objects; // NULL where replay/objects.c is not linked in
	// The viewer's steps go out line by line: a run that a sanitizer or the
	// lab's loop guard stops (_exit, no flush) still leaves every step
	// before the operation it stopped in.
	if (o.steps)
		setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.steps)
		printf("# steps granule 0x%lx heap 0x%lx\n", (unsigned long)o.page,
		       (unsigned long)o.heap);
	if (o.base)
		printf("# base 0x%lx\n", (unsigned long)mempool.start);
	status = replay_run(&r, text, len);
	if (o.stats)
		fprintf(stderr, "replay: stats: %lu ID lookups looked at %lu slots of %lu\n",
			r.lookups, r.probes, (unsigned long)r.nslots);
	status = finish_output(status, r.fault);
	host_heap_fini(&mempool);
	free(track);
	free(r.slots);
	free(text);
	return status;
}
