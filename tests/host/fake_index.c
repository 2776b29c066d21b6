// A pool with a placement index, laid out as mem/ lays one out (struct
// mem_pool with root and index; a struct mem_node after each free block's
// header), so that tests/test_heapview.py can test `heap dump`'s tree.
#include <stdint.h>

struct mem_hdr {
	struct mem_hdr *next;
	uintptr_t size;
};

struct mem_node {
	struct mem_node *left, *right, *parent;
	uintptr_t max; // the largest size in this subtree
	int height;
};

struct mem_pool {
	const char *name;
	struct mem_hdr *freelist;
	uintptr_t granule, start, end, bloc, brkseen, taken, inuse;
	int checking;
	const void *ops;
	void *lockarg;
	struct mem_node *root;
	int index;
};

#define PAGE 4096u

struct mem_pool mempool;
uintptr_t heap_break;
static _Alignas(PAGE) char heap[16 * PAGE];

// ready is where the test stops, once the pool is built.
void __attribute__((noinline)) ready(void)
{
	__asm__ volatile("" ::: "memory");
}

static struct mem_node *block(int page, uintptr_t pages, struct mem_hdr *next)
{
	struct mem_hdr *h = (struct mem_hdr *)(heap + page * PAGE);

	h->next = next;
	h->size = pages * PAGE;
	return (struct mem_node *)(h + 1);
}

// Free blocks at pages 0 (1 page), 4 (2 pages) and 9 (3 pages), the one
// at page 4 the tree's root; pages 1-3, 6-8 and 12 are in use.
int main(void)
{
	struct mem_node *c = block(9, 3, 0), *b, *a;

	b = block(4, 2, (struct mem_hdr *)c - 1);
	a = block(0, 1, (struct mem_hdr *)b - 1);
	*a = (struct mem_node){0, 0, b, PAGE, 1};
	*c = (struct mem_node){0, 0, b, 3 * PAGE, 1};
	*b = (struct mem_node){a, c, 0, 3 * PAGE, 2};
	mempool = (struct mem_pool){"mem",
				    (struct mem_hdr *)heap,
				    PAGE,
				    (uintptr_t)heap,
				    (uintptr_t)heap + sizeof heap,
				    0,
				    0,
				    13 * PAGE,
				    7 * PAGE,
				    1,
				    0,
				    0,
				    b,
				    1};
	heap_break = mempool.bloc = mempool.brkseen = (uintptr_t)heap + 13 * PAGE;
	ready();
	return 0;
}
