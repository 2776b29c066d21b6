// SPDX-License-Identifier: BSD-3-Clause
// Trace mode: replay a trace handed to the image through the system pool,
// printing exactly what build/host/replay prints, with offsets from the
// break where the replay starts. During the replay nothing but the
// allocator and the trace's own `sbrk` lines (another client of the
// break, through its owner, kbrk_sbrk, as newlib's _sbrk) touches the
// break: output goes straight to the console.
#include "kmem.h"

#include "../replay/replay.h"

// Room for the ids of a trace of up to REPLAY_ALLOCS_MAX allocs, the most
// replay_scan lets through, in .bss: the replay gets the whole heap.
#define TRACE_SLOTS (1u << 18)
_Static_assert(TRACE_SLOTS >= 2 * REPLAY_ALLOCS_MAX, "trace_slots holds every id a trace may have");
static struct replay_slot trace_slots[TRACE_SLOTS];

static void trace_write(void *arg, const char *s, size_t n)
{
	(void)arg;
	platform_console_write(s, n);
}

// trace_base answers the break aligned up to page: where a replay's heap
// starts (the linker scripts align the heap's start to REPLAY_PAGE_MAX).
static uintptr_t trace_base(uintptr_t page)
{
	return (kbrk_now() + page - 1) & ~(page - 1);
}

// trace_pool sets up the system pool, fresh, over [break, +heap) with the
// break first aligned to page (or up to the linker's heap end, if that
// comes first) and answers its start: the base offsets are printed from.
// 0 if the break cannot be aligned.
uintptr_t trace_pool(uintptr_t heap, uintptr_t page)
{
	uintptr_t base = trace_base(page), hend = (uintptr_t)_heap_end;
	uintptr_t end;

	if (base > hend || kbrk_sbrk(0, page, 0, hend) != base) {
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

// trace_room answers whether the image can give a replay heap bytes at
// page, all of it, as the host tool does; if not it says so.
static int trace_room(uintptr_t heap, uintptr_t page)
{
	uintptr_t base = trace_base(page), hend = (uintptr_t)_heap_end;

	if (base <= hend && heap <= hend - base)
		return 1;
	kprintf("# replay: heap %lu is more than the %lu bytes this image has (its heap is "
		"linked in: HEAP_SIZE=BYTES ./run-qemu.sh ... links a bigger one)\n",
		(unsigned long)heap, (unsigned long)(base <= hend ? hend - base : 0));
	return 0;
}

// trace_track finds room for the exact-free record (heaplab_track) of a
// replay's pool of heap bytes at page, outside the replay's heap: the
// slot table's tail past the nslots entries the replay uses (a 64 MiB heap
// at the smallest page needs 1 MiB), or else bytes from the break, below
// the replay's heap. It answers the record and its size in *n, or NULL
// after saying why.
static void *trace_track(uintptr_t heap, uintptr_t page, size_t nslots, uintptr_t *n)
{
	uintptr_t at;

	*n = (heap / page + 3) / 4; // two bits a granule: heaplab_track_bytes's count
	if (*n <= (TRACE_SLOTS - nslots) * sizeof trace_slots[0])
		return &trace_slots[nslots];
	at = kbrk_sbrk(*n, sizeof(uintptr_t), 0, (uintptr_t)_heap_end);
	if (at != HEAPLAB_BRK_FAIL)
		return (void *)at;
	kprintf("# replay: no room for exactfree's record of %lu bytes\n", (unsigned long)*n);
	return NULL;
}

// trace_run replays trace over a fresh pool of heap bytes and answers the
// replay's status; a trace or a heap beyond the limits changes nothing.
// exact: the pool keeps the exact-free record (exactfree, --exact-free).
int trace_run(const char *trace, size_t len, uintptr_t heap, uintptr_t page, int check, int exact)
{
	void *bits = NULL;
	uintptr_t nbits = 0;
	struct replay r = {0};
	uintptr_t base;
	char err[160];
	long nalloc;
	uint64_t t0 = arch_ticks();
	int status;

	nalloc = replay_scan(trace, len, err, sizeof err);
	if (nalloc < 0) {
		kprintf("# replay: trace: %s\n", err);
		return REPLAY_USAGE;
	}
	r.nslots = replay_slots(nalloc);
	if (exact && (bits = trace_track(heap, page, r.nslots, &nbits)) == NULL)
		return REPLAY_USAGE;
	if (!trace_room(heap, page) || (base = trace_pool(heap, page)) == 0)
		return REPLAY_USAGE;
	// The ID table's key, new every run (replay.h says why): the free-running
	// counter when the replay starts and after the scan, whose low bits no
	// trace can know in advance (QEMU derives them from the host's clock;
	// under -icount, which only make bench's runs use, they repeat).
	r.key[0] = t0;
	r.key[1] = arch_ticks() ^ ((uint64_t)base << 17);
	if (exact && heaplab_track(&mempool, bits, nbits) != HEAPLAB_OK) {
		kprintf("# replay: exactfree's record of %lu bytes is short of %lu\n",
			(unsigned long)nbits, (unsigned long)heaplab_track_bytes(&mempool));
		return REPLAY_USAGE;
	}
	r.slots = trace_slots;
	r.pool = &mempool;
	r.base = base;
	r.check_each = check;
	r.write = trace_write;
	r.sbrk = kbrk_sbrk;	     // `sbrk` lines: another client, through the same trap
	r.objects = &replay_objects; // `malloc` lines: an objects heap on mempool
	kprintf("# base %#lx\n", (unsigned long)base);
	status = replay_run(&r, trace, len);
	if (r.fault[0] != '\0') // after replay_done: stop where every failed check does
		heaplab_fail(&mempool, r.fault);
	return status;
}
