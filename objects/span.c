// SPDX-License-Identifier: BSD-3-Clause
// One span's objects: take one, find one, give one back. The caller holds
// the span's class lock; nothing here knows about lists, classes or pages.
// Lab 8 asks the student for these three functions (lab/span.c).
//
//   take  the free list's head if there is one (freed before: not zero),
//         else object `fresh`, never handed out (zero since the pool gave
//         the span); set its in-use bit; count it.
//   find  which object p falls in (a multiply, no division); refuse p past
//         the last object, inside an object, or at an object not in use.
//   give  find, then clear the bit and push p: the list's link lives in
//         the freed object's first word, as heaplab's free list lives in
//         its free blocks.
#define HOBJ_CLASS_TABLES
#include "objects.h"

static int refuse(struct hobj_fault *f, enum hobj_err err, uintptr_t ptr, uintptr_t span,
		  uintptr_t a, uintptr_t b)
{
	if (f != NULL)
		*f = (struct hobj_fault){err, ptr, span, a, b};
	return err;
}

static uint64_t *bit_word(struct hobj_span *s, unsigned i, uint64_t *mask)
{
	*mask = (uint64_t)1 << (i & 63);
	return &s->inuse_bits[i >> 6];
}

void *hobj_span_take(struct hobj_span *s, int *zero)
{
	uint64_t m, *w;
	unsigned i;
	void *p;

	if (s->free != NULL) {
		p = s->free;
		s->free = *(void **)p;
		i = (unsigned)(((uint64_t)((uintptr_t)p - s->base) * hobj_class_divmul[s->cls]) >>
			       32);
		*zero = 0;
	} else {
		i = s->fresh++;
		p = (void *)(s->base + (uintptr_t)i * hobj_class_size[s->cls]);
		*zero = 1;
	}
	w = bit_word(s, i, &m);
	*w |= m;
	s->inuse++;
	return p;
}

int hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i, struct hobj_fault *f)
{
	unsigned c = s->cls;
	uintptr_t obj;

	*i = (unsigned)(((uint64_t)(p - s->base) * hobj_class_divmul[c]) >> 32);
	obj = s->base + (uintptr_t)*i * hobj_class_size[c];
	if (*i >= s->nobj || obj != p) // past the last object, or inside one
		return refuse(f, HOBJ_EINTERIOR, p, s->base, obj, c);
	if (!((s->inuse_bits[*i >> 6] >> (*i & 63)) & 1))
		return refuse(f, HOBJ_EFREE, p, s->base, c, s->bytes);
	return HOBJ_OK;
}

int hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	uint64_t m, *w;
	unsigned i;
	int err = hobj_span_find(s, p, &i, f);

	if (err != HOBJ_OK)
		return err;
	w = bit_word(s, i, &m);
	*w &= ~m;
	*(void **)p = s->free;
	s->free = (void *)p;
	s->inuse--;
	return HOBJ_OK;
}
