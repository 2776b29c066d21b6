// SPDX-License-Identifier: BSD-3-Clause
// A freestanding program over heaplab and the SMP example's glue
// (examples/smp/heap.c), for tests/test_component.py to link with
// -nostdlib for each target: what a kernel supplies (memset, memcpy,
// this_cpu, panic, an entry point) is here, and nothing else is linked,
// not even libgcc. It is linked, never run: the link proves that heaplab
// needs no more than that, and its size is reported.
#include "heaplab.h"

#include <stddef.h>

extern struct heaplab_pool kheap;
void kheap_init(void *base, uintptr_t size);

static unsigned char ram[1 << 20]; // the arena: stands for the kernel's free RAM
volatile uintptr_t sink;	   // keeps the calls below from being optimized out

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n-- > 0)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *q = d;
	const unsigned char *p = s;

	while (n-- > 0)
		*q++ = *p++;
	return d;
}

int this_cpu(void)
{
	return 0;
}

HEAPLAB_NORETURN void panic(const char *msg)
{
	sink = (uintptr_t)msg;
	for (;;)
		;
}

void _start(void)
{
	struct heaplab_diag d;
	void *p;

	kheap_init(ram, sizeof ram);
	p = heaplab_alloc(&kheap, 3 * HEAPLAB_PAGE);
	sink = (uintptr_t)heaplab_free(&kheap, p, 3 * HEAPLAB_PAGE);
	heaplab_diagnose(&kheap, &d);
	sink = d.peak_inuse + (uintptr_t)heaplab_check(&kheap, NULL);
	panic("done");
}
