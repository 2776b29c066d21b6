// libFuzzer target: decodes bytes into allocator operations, good and bad,
// over a small arena, and runs them through mem/ and the model in lockstep
// (lockstep.h), with the placement index or the list walk as the first
// byte says. Any check failure, difference or panic aborts.
#include "lockstep.h"
#include "../../arch/host/host.h"

#include <stdio.h>
#include <stdlib.h>

static void fuzz_panic(const char *msg)
{
	fprintf(stderr, "fuzz_mem: allocator panic: %s\n", msg);
	abort();
}

// fuzz_size decodes an allocation size: bytes (0 included), pages, sizes
// around the granule, or sizes far too big.
static uintptr_t fuzz_size(unsigned sel, unsigned a, unsigned b, uintptr_t g)
{
	unsigned ab = a << 8 | b;

	switch (sel % 4) {
	case 0:
		return ab % (4 * g);
	case 1:
		return (1 + a % 16) * g;
	case 2:
		return (1 + a % 4) * g + b % 3 - 1;
	default:
		return UINTPTR_MAX - ab;
	}
}

// fuzz_op runs the operation three bytes describe.
static int fuzz_op(struct lockstep *ls, unsigned op, unsigned a, unsigned b)
{
	uintptr_t g = ls->model.granule;

	switch (op % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
		return lockstep_alloc(ls, fuzz_size(op >> 3, a, b, g));
	case 4:
	case 5:
		if (ls->nlive == 0)
			return 0;
		return lockstep_free(ls, (a << 8 | b) % ls->nlive);
	case 6:
		return lockstep_badfree_pick(ls, a, (a << 8 | b) * 2654435761u, b);
	default: // any range at all; lockstep_badfree runs it only if it is bad
		return lockstep_badfree(ls, (a % (ls->model.brk + 2)) * g + (b & 1 ? b % g : 0),
					(b >> 1) % 5 * g);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uintptr_t granules[] = {16, 64, 512, 4096};
	static const uintptr_t npages[] = {4, 16, 48};
	static struct heaplab_pool pool;
	struct lockstep ls;
	uintptr_t g, heap;
	size_t i;

	if (size < 1)
		return 0;
	host_panic_hook = fuzz_panic;
	g = granules[data[0] & 3];
	heap = npages[(data[0] >> 2) % 3] * g + (data[0] & 0x80 ? g / 2 : 0);
	if (lockstep_init(&ls, &pool, heap, g, 32) < 0)
		abort();
	heaplab_set_index(&pool, !(data[0] & 0x40)); // the index where it fits, or the list walk
	for (i = 1; i + 3 <= size; i += 3) {
		if (fuzz_op(&ls, data[i], data[i + 1], data[i + 2]) < 0) {
			fprintf(stderr, "fuzz_mem: granule %lu heap %lu %s: %s\n", (unsigned long)g,
				(unsigned long)heap, pool.index ? "index" : "list", ls.why);
			abort();
		}
	}
	lockstep_fini(&ls);
	return 0;
}
