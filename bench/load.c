// SPDX-License-Identifier: BSD-3-Clause
// Trace loading for the benchmark: turns a replay-format trace into an
// array of operations, once, before anything is measured.
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// load_grow makes room for one more operation; -1 if out of memory.
static int load_grow(struct bench_trace *t, size_t *cap)
{
	struct bench_op *ops;

	if (t->nops < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 4096;
	ops = realloc(t->ops, *cap * sizeof *ops);
	if (ops == NULL)
		return -1;
	t->ops = ops;
	return 0;
}

// load_slot makes sure the size table has an entry for id; -1 if it cannot.
static int load_slot(size_t **sizes, size_t *nsizes, unsigned long id)
{
	size_t n = *nsizes, *s;

	if (id >= UINT32_MAX)
		return -1;
	if (id < n)
		return 0;
	while (n <= id)
		n = n ? 2 * n : 1024;
	s = realloc(*sizes, n * sizeof *s);
	if (s == NULL)
		return -1;
	memset(s + *nsizes, 0, (n - *nsizes) * sizeof *s);
	*sizes = s;
	*nsizes = n;
	return 0;
}

// load_line parses one line into op; 1 for an operation, 0 for a blank or
// comment line, -1 if malformed. sizes[id] holds each live slot's size.
static int load_line(char *line, struct bench_op *op, size_t **sizes, size_t *nsizes)
{
	unsigned long id, size;
	char word[8];
	int n;

	line[strcspn(line, "#\n")] = '\0';
	n = sscanf(line, "%7s %lu %lu", word, &id, &size);
	if (n <= 0)
		return 0;
	if (n < 2 || load_slot(sizes, nsizes, id) < 0)
		return -1;
	op->slot = (uint32_t)id;
	if (strcmp(word, "alloc") == 0 && n == 3 && size > 0 && (*sizes)[id] == 0) {
		op->is_alloc = 1;
		op->size = (*sizes)[id] = size;
		return 1;
	}
	if (strcmp(word, "free") == 0 && n == 2 && (*sizes)[id] != 0) {
		op->is_alloc = 0;
		op->size = (*sizes)[id];
		(*sizes)[id] = 0;
		return 1;
	}
	return -1;
}

int bench_load(const char *path, struct bench_trace *t)
{
	size_t cap = 0, *sizes = NULL, nsizes = 0;
	unsigned long lineno = 0;
	char line[256];
	FILE *f = fopen(path, "r");
	int r = 0;

	memset(t, 0, sizeof *t);
	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (r >= 0 && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (load_grow(t, &cap) < 0 ||
		    (r = load_line(line, &t->ops[t->nops], &sizes, &nsizes)) < 0) {
			fprintf(stderr,
				"%s:%lu: want 'alloc N SIZE' or 'free N' "
				"(N a number, live once)\n",
				path, lineno);
			r = -1;
			break;
		}
		t->nops += (size_t)r;
	}
	fclose(f);
	free(sizes);
	t->nslots = nsizes;
	return r < 0 ? -1 : 0;
}
