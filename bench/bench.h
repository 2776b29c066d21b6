// SPDX-License-Identifier: BSD-3-Clause
// heaplab benchmark: the allocator interface every backend supplies and the
// trace the driver replays. Each build/bench/bench-NAME links one backend.
#ifndef HEAPLAB_BENCH_H
#define HEAPLAB_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifndef BENCH_PAGE
#define BENCH_PAGE 4096u // the granule; bench/small.py's builds use 64
#endif
#define BENCH_ARENA (1u << 30) // simulated heap for heaplab and nano

// An allocator under test. Like heaplab's, every block is page-aligned and
// zeroed, and free is told the size that alloc was asked for.
struct bench_alloc {
	const char *name;
	const char *foot_kind;		 // what footprint() counts: "break", "mapped", ...
	int (*init)(void);		 // a fresh allocator; -1 if it cannot be had
	void *(*alloc)(size_t n);	 // n zeroed page-aligned bytes, or NULL
	void (*free)(void *p, size_t n); // give back what alloc(n) answered
	size_t (*footprint)(void);	 // bytes held from the system now
};

extern const struct bench_alloc bench_alloc; // the one backend linked in

// One operation of a loaded trace: an alloc into a slot or a free of one.
struct bench_op {
	uint32_t slot;
	uint32_t is_alloc;
	size_t size; // alloc: bytes asked; free: what the slot's alloc asked
};

struct bench_trace {
	struct bench_op *ops;
	size_t nops;
	size_t nslots; // slot numbers run from 0 to nslots-1
};

// bench_load reads a trace in the replay format (alloc ID SIZE, free ID)
// whose IDs are decimal numbers; 0, or -1 with a message on stderr.
int bench_load(const char *path, struct bench_trace *t);

// The measured calls (driver.c): under callgrind only these are counted.
void *bench_do_alloc(size_t n);
void bench_do_free(void *p, size_t n);
void bench_do_memset(void *p, size_t n);

// Driver helpers: a monotonic clock in ns, a fatal error, and the use a
// program makes of a fresh block (checks it is aligned and zeroed, then
// writes into it).
uint64_t bench_now(void);
void bench_die(const char *msg) __attribute__((noreturn));
unsigned char *bench_use(void *p, size_t n);

// The two experiments of scale.c.
void bench_scale(size_t k, size_t m, int rounds);
void bench_big(int rounds);

#endif
