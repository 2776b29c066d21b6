// Runs mem/ and the model (model.h) side by side over one fresh arena and
// compares them after every operation; used by test_diff and fuzz_mem.
#ifndef HEAPLAB_LOCKSTEP_H
#define HEAPLAB_LOCKSTEP_H

#include "model.h"

// One live allocation: its offset and the size it asked for.
struct lockstep_block {
	uintptr_t off, size;
	unsigned char tag; // every byte of it holds tag while it is live
};

struct lockstep {
	struct heaplab_pool *pool;
	struct model model;
	struct lockstep_block *live;
	size_t nlive, maxlive;
	struct lockstep_block freed; // the last block freed
	unsigned long ops;	     // operations done
	unsigned long nbad;	     // of which refused frees
	unsigned long nnil;	     // allocations both sides answered nil
	unsigned char tag;	     // the next allocation's fill byte
	char why[320];		     // what differed, when a call answers -1
	uint64_t *trail;	     // if set: a digest of the state per operation
	size_t ntrail, maxtrail;
	uintptr_t last; // the last alloc's answer (an offset, or nil)
};

// lockstep_init maps a fresh heap of heap bytes with granule for pool and a
// model beside it; at most maxlive allocations live at once. 0 or -1.
int lockstep_init(struct lockstep *ls, struct heaplab_pool *pool, uintptr_t heap, uintptr_t granule,
		  size_t maxlive);
void lockstep_fini(struct lockstep *ls);

// Each operation runs on both sides, then checks mem/ (heaplab_check) and
// compares it with the model. Each answers 0, or -1 with ls->why set.
int lockstep_alloc(struct lockstep *ls, uintptr_t n); // no-op when the table is full
int lockstep_free(struct lockstep *ls, size_t i);     // frees live[i]

// lockstep_badfree frees n bytes at offset off (off may wrap below the
// start) only if the model says it must be refused; mem/ must refuse it with
// the same code and change nothing. Answers 0 (also when it skipped), or -1.
int lockstep_badfree(struct lockstep *ls, uintptr_t off, uintptr_t n);

// lockstep_badfree_pick makes up a bad free of one kind (0: inside or
// across free memory, 1: across a live block's edge, 2: misaligned, 3: out
// of range, 4: size 0, 5: the last block freed, again) from two random
// numbers, and runs it through lockstep_badfree.
int lockstep_badfree_pick(struct lockstep *ls, unsigned kind, uint32_t r1, uint32_t r2);

// lockstep_verify runs the full check and compares the free list, break,
// and counters with the model; 0 or -1. With a trail it also records a
// digest of the last answer, the free list and the break, so that two runs
// of the same operations (list walk and index) can be compared op by op.
int lockstep_verify(struct lockstep *ls);

// lockstep_trail answers the first operation at which two trails differ,
// or -1 if they are the same.
long lockstep_trail_diff(const struct lockstep *a, const struct lockstep *b);

#endif
