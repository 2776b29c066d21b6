// SPDX-License-Identifier: BSD-3-Clause
// Lab 8's records (docs/lab/8-spans.md): how a --record run of
// lab/grade_span hands each call of the student's span functions to the
// judge (lab/judge_span), as struct lab_rec does for the page labs
// (lab/gradelib.h). The student's functions change memory only inside the
// heap, so a record carries the call and its answers, then the bytes of
// the heap (pool start to the break) that changed since the last record,
// as ranges: {off, len} and len bytes, ended by {0, 0}. The judge writes
// them into its own heap, mapped at the same address, and goes on from
// there with objects/'s own code (lab/spanplay.c).
#ifndef HEAPLAB_SPANREC_H
#define HEAPLAB_SPANREC_H

#include "../objects/objects.h"

#include <stdint.h>

#define LAB_SPAN_MAGIC 0x4c61624e // "NbaL"
enum { LAB_SPAN_TAKE = 1, LAB_SPAN_FIND, LAB_SPAN_GIVE };

struct lab_span_rec {
	uint32_t magic, op;
	uint64_t s, p;	     // the span; find's and give's pointer
	uint64_t ret;	     // take's object; find's and give's answer
	uint64_t i;	     // find's *i
	int64_t zero;	     // take's *zero
	uint64_t has_f;	     // find's and give's f was not NULL
	struct hobj_fault f; // and what the call left in it
	uint64_t brk;	     // the break after the call
};

struct lab_span_range {
	uint64_t off, len; // from the pool's start; {0, 0} ends a record
};

#endif
