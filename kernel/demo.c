// A short demo for a newcomer: a few allocations and frees over a scratch
// pool, printing the free list after each step, so that the split from
// the top of a block and the merges can be watched on the console.
#include "kmem.h"

static struct spinlock demo_lock = SPINLOCK_INIT("demo");

static void show(struct heaplab_pool *p, uintptr_t base, const char *what)
{
	kprintf("  %s\n", what);
	kmem_print_list(p, base);
}

void demo_run(void)
{
	struct heaplab_pool p;
	uintptr_t s = kbrk_now();
	char *a, *b, *c, *d;

	kmem_pool_init(&p, &demo_lock, s, (uintptr_t)_heap_end, PAGE_SIZE);
	kprintf("\ndemo: offsets from the break at %#lx; pages are %#x bytes\n", (unsigned long)s,
		PAGE_SIZE);
	a = heaplab_alloc(&p, 3 * PAGE_SIZE);
	b = heaplab_alloc(&p, PAGE_SIZE);
	c = heaplab_alloc(&p, 2 * PAGE_SIZE);
	show(&p, s,
	     "a = alloc(3 pages) at 0x0, b = alloc(1) at 0x3000, c = alloc(2) at 0x4000:"
	     " the list is empty, the break moved");
	heaplab_free(&p, a, 3 * PAGE_SIZE);
	show(&p, s, "free(a): one free block of 3 pages");
	d = heaplab_alloc(&p, PAGE_SIZE);
	kprintf("  d = alloc(1 page) -> %#lx: carved from the TOP of a's block\n",
		(unsigned long)((uintptr_t)d - s));
	kmem_print_list(&p, s);
	heaplab_free(&p, c, 2 * PAGE_SIZE);
	show(&p, s, "free(c): not next to any free block, inserted in address order");
	heaplab_free(&p, b, PAGE_SIZE);
	show(&p, s, "free(b): merges with the next block (c's)");
	heaplab_free(&p, d, PAGE_SIZE);
	show(&p, s, "free(d): merges with both neighbours: one block again");
	p.freelist->size = 0; // give the pages back to brk, clearing the header
	p.freelist->next = NULL;
	kbrk_give(s, p.bloc);
	kprintf("demo: done\n");
}
