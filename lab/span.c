// SPDX-License-Identifier: BSD-3-Clause
// Lab 8 (docs/lab/8-spans.md): one span's objects, your hobj_span_take,
// hobj_span_find and hobj_span_give. `make lab LAB=span` builds the grader
// with this file in place of objects/span.c; `make grade LAB=span` grades
// it; OBJ_SPAN=lab/span.c builds the host programs and the images with it.
// The caller (objects/objects.c) holds the span's class lock and has made
// sure p lies in s's bytes; nothing here knows about lists of spans,
// classes or pages. The span (objects/objects.h, struct hobj_span):
//
//   s->base                                              s->base + s->bytes
//   | obj 0 | obj 1 | obj 2 | ... | obj fresh | ... obj nobj-1 | tail |
//
// Object i is at s->base + i * hobj_class_size[s->cls]. It is in exactly
// one of: in use (bit i of s->inuse_bits set, counted in s->inuse); on
// the free list (s->free, threaded through the first word of each free
// object, i < s->fresh); or never handed out (i >= s->fresh, all zero).
#define HOBJ_CLASS_TABLES
#include "../objects/objects.h"

// hobj_span_take hands out one object of s, which has one (s->inuse <
// s->nobj): the head of the free list if there is one, else object
// s->fresh, never handed out. It sets the object's in-use bit, counts it in
// s->inuse, and says in *zero whether the object is known to be zero (only
// a never-handed-out one is: a freed one holds its link, at least).
void *hobj_span_take(struct hobj_span *s, int *zero)
{
	// Step 1. If s->free is not NULL, pop it: the next free object's
	// address is the first word of the head (*(void **)p). Else take
	// object s->fresh and move s->fresh on.
	//
	// Step 2. Set the object's bit: bit (i & 63) of s->inuse_bits[i >> 6],
	// as a uint64_t. Count it in s->inuse. Say what *zero is.
	(void)s;
	*zero = 0;
	return NULL;
}

// hobj_span_find refuses p unless it is the start of an object of s that
// is in use: HOBJ_EINTERIOR for a pointer inside an object or past the
// last one (in the span's tail), HOBJ_EFREE for an object not in use (free,
// or never handed out), each described in *f if f is not NULL (at least
// f->err and f->ptr = p; see objects/span.c's refuse for the rest). Else
// it answers HOBJ_OK with the object's index in *i. It changes nothing.
int hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i, struct hobj_fault *f)
{
	// Step 3. The index: no division (arm has none in hardware); i is
	// ((uint64_t)(p - s->base) * hobj_class_divmul[s->cls]) >> 32, exact
	// for every offset in a span. Then refuse, in this order: i past the
	// last object, or p not object i's start; object i not in use.
	(void)s;
	(void)p;
	*i = 0;
	if (f != NULL)
		*f = (struct hobj_fault){HOBJ_EFREE, p, 0, 0, 0};
	return HOBJ_EFREE;
}

// hobj_span_give takes back object p of s: refused as hobj_span_find
// refuses it, with nothing changed; else its bit cleared, p pushed on the
// free list (its first word the old head), s->inuse one less.
int hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	unsigned i;
	int err = hobj_span_find(s, p, &i, f);

	if (err != HOBJ_OK)
		return err;
	// Step 4. Clear the bit, push p, count it out.
	return HOBJ_OK;
}
