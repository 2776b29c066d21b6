// SPDX-License-Identifier: BSD-3-Clause
// Trace replay: runs an allocation trace through a pool and prints what
// each operation got. The same code runs in build/host/replay and in the
// image's trace mode, so both print the same lines for the same trace.
#ifndef HEAPLAB_REPLAY_H
#define HEAPLAB_REPLAY_H

#include "../include/heaplab.h"

// Exit statuses of a replay (and of build/host/replay).
enum {
	REPLAY_OK = 0,	     // every operation done
	REPLAY_REJECTED = 1, // some operation was refused (an `error` line)
	REPLAY_USAGE = 2,    // bad flags or a malformed trace: nothing ran
	REPLAY_CHECK = 3,    // the allocator's check failed: the replay stopped
	REPLAY_OUTPUT = 4,   // the output could not be written (host tool only)
};

// The limits every consumer of a trace enforces before anything runs (the
// host tool and each image alike; run-qemu.sh checks the size and the
// options too). A trace beyond one is malformed, options beyond one are a
// usage error, and the message names the limit.
#define REPLAY_TRACE_MAX  0x4000000u // bytes in a trace (64 MiB)
#define REPLAY_WORD_MAX	  128	     // bytes in one field: an ID or a number
#define REPLAY_ALLOCS_MAX 131072     // alloc lines in a trace (the image's ID table)
#define REPLAY_PAGE_MIN	  16	     // --page: a power of two in [MIN, MAX]
#define REPLAY_PAGE_MAX	  0x100000u  // (the linker scripts align the heap to it)

// The longest line a replay prints: two fields and the longest message.
#define REPLAY_LINE_MAX (2 * REPLAY_WORD_MAX + 256)

// One trace ID and what it holds, in an open-addressed table (linear
// probing), placed by a keyed hash of the ID: see struct replay's key.
struct replay_slot {
	const char *id; // points into the trace text; NULL for an empty slot
	size_t idlen;
	uintptr_t addr; // 0 if the alloc answered nil
	uintptr_t size; // the size the alloc asked for
	int live;	// allocated and not yet freed
	int obj;	// an object (malloc, realloc), not pages (alloc)
};

struct replay;

// The objects layer's side of a replay: the trace's `malloc`, `mfree` and
// `realloc` lines run on an objects heap (objects/) over the replay's
// pool. replay/objects.c is it; a consumer that links objects/ (the host
// tool, the image) points struct replay's objects at replay_objects, and
// one that does not (the lab's replay over a student's page layer) leaves
// it NULL: those lines are then refused. The heap is single-threaded (no
// locks, no cache), so the offsets are the same on every platform.
struct replay_objects {
	// start sets up the heap at the replay's first object line (a no-op
	// after): 0, or -1 with why in why[0..n).
	int (*start)(struct replay *r, char *why, size_t n);
	uintptr_t (*malloc)(struct replay *r, uintptr_t n); // 0: nil
	// realloc answers the object's new place, or 0 with p untouched; p
	// 0 mallocs. n is never 0 (replay_scan refuses that).
	uintptr_t (*realloc)(struct replay *r, uintptr_t p, uintptr_t n);
	void (*free)(struct replay *r, uintptr_t p);
	// check runs the objects layer's full check: 0, or -1 with its words
	// in fault[0..n).
	int (*check)(struct replay *r, char *fault, size_t n);
	void (*step)(struct replay *r); // the step lines of the objects (replay_step)
};
extern const struct replay_objects replay_objects; // replay/objects.c

struct replay {
	struct heaplab_pool *pool;
	uintptr_t base;		   // offsets are printed from here
	int check_each;		   // run the full check after every operation
	int steps;		   // print a step record after every operation (replay_step)
	unsigned long nstep;	   // operations run so far
	struct replay_slot *slots; // nslots entries, a power of two, zeroed
	size_t nslots;
	// The ID table's hash is SipHash-1-3 under this key, which the caller
	// sets per run (the host from getrandom, the image from its cycle
	// counter): IDs chosen to collide under a known function would pile
	// into one run of slots and make every lookup walk it (131,072 allocs
	// took 22 s instead of 0.05 s with the unkeyed FNV-1a it replaced).
	// Placement never depends on it: only where an ID sits in the table.
	uint64_t key[2];
	unsigned long lookups, probes;			   // ID lookups and slots they looked at
	void (*write)(void *arg, const char *s, size_t n); // output, one line per call
	void *arg;
	// The owner of the break the pool shares (heaplab_ops.sbrk's kind: the
	// image's kbrk_sbrk, the host's host_sbrk), for `sbrk` lines: another
	// client of the break. NULL: such lines are refused.
	uintptr_t (*sbrk)(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
	// `malloc`, `mfree`, `realloc` lines: &replay_objects, or NULL (they
	// are refused). objready: the objects heap is set up (start ran).
	const struct replay_objects *objects;
	int objready;
	// What a failed check found, in heaplab_fault_format's words; "" if
	// no check failed. replay_run leaves it for its caller (see there).
	char fault[200];
};

// replay_scan checks the syntax of every line of the trace and the limits
// above. It answers the number of alloc lines (size the slot table from
// it), or -1 with a message naming the line (or the limit) in err.
long replay_scan(const char *text, size_t len, char *err, size_t errlen);

// replay_hash answers SipHash-1-3 of s[0..n) under key (the ID table's
// hash; tests/host/test_hash.c checks it against CPython's, the same).
uint64_t replay_hash(const uint64_t key[2], const void *s, size_t n);

// replay_ops prints, one per line through write, the trace's operations as
// the replay reads them (a trace replay_scan accepted), for tools that must
// read traces exactly as the replay does (tools/heapmap.py, heapview.py):
//	alloc LINE IDHEX SIZE	free LINE IDHEX		freeat LINE OFF SIZE
//	sbrk LINE SIZE		check LINE
//	malloc LINE IDHEX SIZE	mfree LINE IDHEX	realloc LINE IDHEX SIZE
// LINE the trace line, IDHEX the ID's bytes in lowercase hex, numbers in
// decimal. Nothing runs.
void replay_ops(const char *text, size_t len, void (*write)(void *arg, const char *s, size_t n),
		void *arg);

// replay_number parses a number as the trace grammar writes it (decimal or
// 0x-hex, no sign, no spaces) from s[0..n): it answers NULL and sets *v, or
// why it is no number ("not a number ..." or "too large ...").
const char *replay_number(const char *s, size_t n, uint64_t *v);

// replay_opts checks the heap size and granule a replay runs with (the
// host's --heap/--page, the image's heap=/page=): NULL if they are good,
// else a message naming the rule, written to err.
const char *replay_opts(uint64_t heap, uint64_t page, char *err, size_t errlen);

// replay_slots answers a power-of-two table size for nalloc IDs.
size_t replay_slots(long nalloc);

// replay_run runs a trace that replay_scan accepted, prints the result
// lines, and answers one of the statuses above. It calls replay_done() at
// the end, whatever happened. A failed check prints its `error line N:
// check: ...` line and stops the replay: the answer is REPLAY_CHECK, and
// r->fault holds the check's words, for the caller to hand to heaplab_fail
// once it has reported what it must (the host tool, a lost output first),
// so that every failed check still ends there.
int replay_run(struct replay *r, const char *text, size_t len);

// replay_step prints, after operation r->nstep (trace line lineno), the
// pool's break and every free block with its header:
//	step N line L brk 0xOFF free K
//	  0xOFF 0xSIZE 0xNEXT		K lines; NEXT is nil at the end
// then, when another client of the break took bytes below the pool's top
// (`sbrk` lines), so that its heap is not all of [base, top), its regions:
//	regions R
//	  0xSTART 0xEND			R lines, ascending
// and, when the pool uses the placement index, its nodes in order:
//	tree root 0xOFF nodes M		ROOT nil if empty
//	  0xOFF left 0xOFF right 0xOFF max 0xMAX height H	M lines; nil for none
// and, once the trace's objects heap is set up, its spans and large
// objects in address order (replay/objects.c):
//	objects spans S large L pagemap 0xOFF 0xBYTES
//	  span 0xOFF class C size Z bytes 0xB nobj N inuse U fresh F used 0xBITS
//	  large 0xOFF bytes 0xB
// (S span lines and L large lines; bit i of BITS: object i is in use; an
// object i < F whose bit is clear is free, one i >= F never handed out).
// replay_run calls it after each operation when r->steps is set, and after
// the one whose check failed (after its `error line L: check:` line): the
// walk then stops before a block outside the pool's [base, top) or past as
// many blocks as the heap has granules (the last block's NEXT says where
// the list went on), and the tree is left out.
void replay_step(struct replay *r, unsigned long lineno);

// One operation of a compiled trace, for benchmarks: an alloc of size
// bytes, or a free of the alloc at index ref (allocs and frees only).
struct replay_op {
	int is_alloc;
	uintptr_t size; // alloc: bytes asked for (UINTPTR_MAX if too big)
	long ref;	// free: index in ops of the alloc it undoes
};

// replay_compile turns a trace that replay_scan accepted into at most max
// ops, resolving each free to its alloc through r's slot table (a free of
// an unknown or dead id is left out). Answers the number of ops.
long replay_compile(struct replay *r, const char *text, size_t len, struct replay_op *ops,
		    long max);

// An empty function called when a replay ends, for debuggers to stop at.
void replay_done(void) __attribute__((noinline));

// The number of the operation replay_run is doing (N of `step N`: 1 for the
// trace's first), 0 outside one: a debugger stops where the trace says with
// `break mem_allocl if replay_opno == 5`, whatever ran before.
extern volatile unsigned long replay_opno;

#endif
