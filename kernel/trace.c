// Trace mode: replay a trace handed to the image through the system pool,
// printing exactly what build/host/replay prints, with offsets from the
// break where the replay starts. During the replay nothing but the
// allocator touches the break: output goes straight to the console.
#include "kmem.h"

#include <stdlib.h>

#include "../mem/replay.h"

// Room for the ids of a trace of up to TRACE_SLOTS/2 allocs; a longer
// trace takes its table from newlib's malloc, below the replay's heap.
#define TRACE_SLOTS (1u << 18)
static struct replay_slot trace_slots[TRACE_SLOTS];

static void trace_write(void *arg, const char *s, size_t n)
{
	(void)arg;
	arch_console_write(s, n);
}

// trace_pool sets up the system pool, fresh, over [break, +heap) with the
// break first aligned to page (or up to the linker's heap end, if that
// comes first) and answers its start: the base offsets are printed from.
// 0 if the break cannot be aligned.
uintptr_t trace_pool(uintptr_t heap, uintptr_t page)
{
	uintptr_t base = (brk_trap(0) + page - 1) & ~(page - 1), hend = (uintptr_t)_heap_end;
	uintptr_t end;

	if (brk_trap(base) != base) {
		kprintf("# replay: cannot align the break to %#lx\n", (unsigned long)page);
		return 0;
	}
	end = heap < hend - base ? base + heap : hend;
	if (end - base < heap)
		kprintf("# replay: heap cut to %#lx bytes (the image has no more)\n",
			(unsigned long)(end - base));
	kmem_pool_init(&mempool, &mem_lock, base, end, page);
	return base;
}

// trace_run replays trace over a fresh pool of heap bytes (or what is left
// of the linker's heap, if less) and answers the replay's status.
int trace_run(const char *trace, size_t len, uintptr_t heap, uintptr_t page, int check)
{
	struct replay r = {0};
	uintptr_t base;
	char err[160];
	long nalloc;
	int status;

	nalloc = replay_scan(trace, len, err, sizeof err);
	if (nalloc < 0) {
		kprintf("# replay: trace: %s\n", err);
		return REPLAY_USAGE;
	}
	r.nslots = replay_slots(nalloc);
	r.slots = trace_slots; // in .bss, so that the replay gets the whole heap
	if (r.nslots > TRACE_SLOTS)
		r.slots = calloc(r.nslots, sizeof *r.slots); // before the base is taken
	if (r.slots == NULL) {
		kprintf("# replay: no memory for %lu trace ids\n", (unsigned long)nalloc);
		return REPLAY_USAGE;
	}
	base = trace_pool(heap, page);
	if (base == 0)
		return REPLAY_USAGE;
	r.pool = &mempool;
	r.base = base;
	r.check_each = check;
	r.write = trace_write;
	kprintf("# base %#lx\n", (unsigned long)base);
	status = replay_run(&r, trace, len);
	return status;
}
