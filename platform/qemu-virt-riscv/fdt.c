// SPDX-License-Identifier: BSD-3-Clause
// Reading the device tree QEMU hands the kernel (a1 at reset): the
// command line and the trace (-append and -initrd, in /chosen), how many
// harts there are and the timer's frequency (/cpus), and the end of RAM
// (/memory).
//
// The flattened tree (devicetree.org's specification, chapter 5): a
// header, then a block of big-endian 32-bit tokens, each node a BEGIN_NODE
// with its name, its properties and its children, then an END_NODE;
// property names are offsets into a strings block. One pass over the
// tokens finds everything: the walker keeps only the depth and which
// top-level node it is in.
#include <string.h>

#include "virt.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_MAX	       (1u << 20) // QEMU's trees are a few KiB

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings;
};

// The top-level nodes the walker reads.
enum fdt_node { NODE_OTHER, NODE_CHOSEN, NODE_CPUS, NODE_MEMORY };

struct fdt_walk {
	struct virt_boot *b;
	enum fdt_node in; // the top-level node the walk is in
	int depth;	  // 0 outside the root, 1 in it, 2 in a top-level node, ...
	uint32_t address_cells, size_cells; // the root's, for /memory's reg
	uint64_t initrd_end;
};

static uint32_t fdt_u32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return __builtin_bswap32(v);
}

// fdt_cells reads a number of n 32-bit cells (1 or 2) at p.
static uint64_t fdt_cells(const void *p, uint32_t n)
{
	const char *c = p;

	return n == 2 ? (uint64_t)fdt_u32(c) << 32 | fdt_u32(c + 4) : fdt_u32(c);
}

// fdt_words answers how many 32-bit words a name or value of n bytes takes.
static uint32_t fdt_words(uint32_t n)
{
	return (n + 3) / 4;
}

// fdt_node_named answers which top-level node a node called name is.
static enum fdt_node fdt_node_named(const char *name)
{
	if (strcmp(name, "chosen") == 0)
		return NODE_CHOSEN;
	if (strcmp(name, "cpus") == 0)
		return NODE_CPUS;
	if (strcmp(name, "memory") == 0 || strncmp(name, "memory@", 7) == 0)
		return NODE_MEMORY;
	return NODE_OTHER;
}

// fdt_begin enters the node called name.
static void fdt_begin(struct fdt_walk *w, const char *name)
{
	w->depth++;
	if (w->depth == 2)
		w->in = fdt_node_named(name);
	if (w->depth == 3 && w->in == NODE_CPUS && strncmp(name, "cpu@", 4) == 0)
		w->b->ncpu++;
}

// fdt_number reads a property of one or two cells into *v; -1 if it is
// neither.
static int fdt_number(const char *v, uint32_t len, uint64_t *n)
{
	if (len != 4 && len != 8)
		return -1;
	*n = fdt_cells(v, len / 4);
	return 0;
}

// fdt_chosen reads one property of /chosen.
static void fdt_chosen(struct fdt_walk *w, const char *name, const char *v, uint32_t len)
{
	uint64_t n;

	if (strcmp(name, "bootargs") == 0 && len > 0 && v[len - 1] == '\0')
		w->b->cmdline = v;
	else if (strcmp(name, "linux,initrd-start") == 0 && fdt_number(v, len, &n) == 0)
		w->b->initrd = (const char *)(uintptr_t)n;
	else if (strcmp(name, "linux,initrd-end") == 0)
		fdt_number(v, len, &w->initrd_end);
}

// fdt_prop reads one property, called name, of len bytes at v.
static void fdt_prop(struct fdt_walk *w, const char *name, const char *v, uint32_t len)
{
	uint32_t ac = w->address_cells, sc = w->size_cells;

	if (w->depth == 1 && strcmp(name, "#address-cells") == 0 && len == 4)
		w->address_cells = fdt_u32(v);
	if (w->depth == 1 && strcmp(name, "#size-cells") == 0 && len == 4)
		w->size_cells = fdt_u32(v);
	if (w->depth != 2)
		return;
	if (w->in == NODE_CHOSEN)
		fdt_chosen(w, name, v, len);
	if (w->in == NODE_CPUS && strcmp(name, "timebase-frequency") == 0)
		fdt_number(v, len, &w->b->timebase);
	if (w->in == NODE_MEMORY && strcmp(name, "reg") == 0 && w->b->ram_end == 0 &&
	    (ac == 1 || ac == 2) && (sc == 1 || sc == 2) && len >= 4 * (ac + sc))
		w->b->ram_end = fdt_cells(v, ac) + fdt_cells(v + 4 * ac, sc);
}

// virt_fdt_read: see virt.h.
int virt_fdt_read(const void *fdt, struct virt_boot *b)
{
	const struct fdt_header *h = fdt;
	struct fdt_walk w = {b, NODE_OTHER, 0, 2, 1, 0};
	const char *p, *end, *strings;

	*b = (struct virt_boot){"", NULL, 0, 0, 10000000, 0};
	if (fdt == NULL || fdt_u32(&h->magic) != FDT_MAGIC || fdt_u32(&h->totalsize) > FDT_MAX) {
		b->ncpu = 1;
		return -1;
	}
	p = (const char *)fdt + fdt_u32(&h->off_dt_struct);
	end = (const char *)fdt + fdt_u32(&h->totalsize);
	strings = (const char *)fdt + fdt_u32(&h->off_dt_strings);
	while (p < end) {
		uint32_t tok = fdt_u32(p), len;

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			fdt_begin(&w, p);
			p += 4 * fdt_words((uint32_t)strlen(p) + 1);
		} else if (tok == FDT_END_NODE) {
			w.depth--;
		} else if (tok == FDT_PROP) {
			len = fdt_u32(p);
			fdt_prop(&w, strings + fdt_u32(p + 4), p + 8, len);
			p += 8 + 4 * fdt_words(len);
		} else if (tok != FDT_NOP) {
			break; // FDT_END, or a token this walker does not know
		}
	}
	if (b->initrd != NULL && w.initrd_end >= (uintptr_t)b->initrd)
		b->initrd_len = (size_t)(w.initrd_end - (uintptr_t)b->initrd);
	if (b->ncpu == 0)
		b->ncpu = 1;
	return 0;
}
