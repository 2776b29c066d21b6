// build/host/replay: replays an allocation trace through the real mem/ code
// over a fresh simulated heap, printing what the image's trace mode prints.
#include "../arch/host/host.h"
#include "../mem/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: replay [--heap BYTES] [--page BYTES] [--check] [--list] [--steps] [TRACE]\n"
    "  Replays TRACE (stdin if none) through heaplab's allocator over a fresh\n"
    "  heap of --heap bytes (default 64 MiB) with granule --page (default 4096).\n"
    "  --check runs the full check after every operation.\n"
    "  --list finds the first fit by walking the free list, as the seed does,\n"
    "  instead of through the placement index (used when the granule holds\n"
    "  a tree node: 64 bytes here, 32 on a 32-bit machine); same placement.\n"
    "  --steps prints, first, `# steps granule 0xG heap 0xH`, and after every\n"
    "  operation N of trace line L (and its own output line, if any):\n"
    "    step N line L brk 0xOFF free K\n"
    "      0xOFF 0xSIZE 0xNEXT          one line per free block; NEXT nil at the end\n"
    "  then, when the pool uses the placement index, its nodes in order:\n"
    "    tree root 0xOFF nodes M        ROOT nil when empty\n"
    "      0xOFF left 0xOFF right 0xOFF max 0xMAX height H     nil for no child\n"
    "  Exit: 0 ok, 1 an operation was refused, 2 usage or malformed trace,\n"
    "  3 the allocator's check failed.\n";

static void out(void *arg, const char *s, size_t n)
{
	fwrite(s, 1, n, arg);
}

// read_all reads a whole stream into a malloc'd buffer.
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap), *nb;

	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			nb = realloc(buf, cap *= 2);
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

static int bytes_arg(const char *flag, const char *s, uintptr_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0 || x == 0 ||
	    x > UINTPTR_MAX) {
		fprintf(stderr, "replay: %s wants a positive number of bytes, not '%s'\n", flag, s);
		return -1;
	}
	*v = (uintptr_t)x;
	return 0;
}

struct opts {
	uintptr_t heap, page;
	int check, list, steps;
	const char *path;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (strcmp(a, "--check") == 0) {
			o->check = 1;
		} else if (strcmp(a, "--list") == 0) {
			o->list = 1;
		} else if (strcmp(a, "--steps") == 0) {
			o->steps = 1;
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
	if (o->page < sizeof(struct mem_hdr) || (o->page & (o->page - 1)) != 0) {
		fprintf(stderr, "replay: --page must be a power of two >= %zu\n",
			sizeof(struct mem_hdr));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {64u << 20, MEM_PAGE, 0, 0, 0, NULL};
	struct replay r = {0};
	char err[160], *text;
	FILE *f = stdin;
	size_t len;
	long nalloc;
	int status;

	if (parse_args(argc, argv, &o) < 0)
		return REPLAY_USAGE;
	if (o.path != NULL && strcmp(o.path, "-") != 0 && (f = fopen(o.path, "r")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", o.path, strerror(errno));
		return REPLAY_USAGE;
	}
	text = read_all(f, &len);
	if (text == NULL) {
		fprintf(stderr, "replay: cannot read %s\n", o.path ? o.path : "stdin");
		return REPLAY_USAGE;
	}
	nalloc = replay_scan(text, len, err, sizeof err);
	if (nalloc < 0) {
		fprintf(stderr, "replay: %s: %s\n", o.path ? o.path : "stdin", err);
		return REPLAY_USAGE;
	}
	if (host_heap_init(&mempool, o.heap, o.page) < 0) {
		fprintf(stderr, "replay: cannot map a heap of %lu bytes\n", (unsigned long)o.heap);
		return REPLAY_USAGE;
	}
	mem_set_index(&mempool, !o.list);
	r.pool = &mempool;
	r.base = mempool.start;
	r.check_each = o.check;
	r.steps = o.steps;
	r.nslots = replay_slots(nalloc);
	r.slots = calloc(r.nslots, sizeof *r.slots);
	r.write = out;
	r.arg = stdout;
	if (r.slots == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		return REPLAY_USAGE;
	}
	if (o.steps)
		printf("# steps granule 0x%lx heap 0x%lx\n", (unsigned long)o.page,
		       (unsigned long)o.heap);
	status = replay_run(&r, text, len);
	fflush(stdout);
	return status;
}
