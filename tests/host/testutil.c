// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by the cmocka tests of mem/ (see testutil.h).
#include "testutil.h"

#include <stdio.h>
#include <string.h>

jmp_buf panic_jmp;
int panic_armed;
char panic_msg[256];

// test_panic is the host's panic hook: back to expect_panic if it waits
// for one, else the test fails with the message.
static void test_panic(const char *msg)
{
	snprintf(panic_msg, sizeof panic_msg, "%s", msg);
	if (panic_armed) {
		panic_armed = 0;
		longjmp(panic_jmp, 1);
	}
	fail_msg("unexpected panic: %s", msg);
}

int test_index = 1;

void heap_reinit(uintptr_t heap, uintptr_t granule)
{
	assert_int_equal(host_heap_init(&mempool, heap, granule), 0);
	mempool.checking = 1;
	heaplab_set_index(&mempool, test_index);
}

int heap_setup(void **state)
{
	(void)state;
	host_panic_hook = test_panic;
	panic_armed = 0;
	panic_msg[0] = '\0';
	heap_reinit(TEST_HEAP, PG);
	return 0;
}

int heap_teardown(void **state)
{
	(void)state;
	host_heap_fini(&mempool);
	host_panic_hook = NULL;
	return 0;
}

uintptr_t off(const void *p)
{
	return (uintptr_t)p - mempool.start;
}

void *at(uintptr_t off)
{
	return (void *)(mempool.start + off);
}

uintptr_t brk_off(void)
{
	return heap_break - mempool.start;
}

void *must_alloc(uintptr_t n)
{
	void *p = heaplab_alloc(&mempool, n);

	assert_non_null(p);
	return p;
}

void must_free(void *p, uintptr_t n)
{
	assert_int_equal(heaplab_free(&mempool, p, n), HEAPLAB_OK);
}

void pool_lock(void)
{
	heaplab_lock(&mempool);
}

void pool_unlock(void)
{
	heaplab_unlock(&mempool);
}

void layout(const char *pic)
{
	uintptr_t g = mempool.granule;
	size_t i, n;

	for (i = 0; pic[i] != '\0'; i += n) {
		n = pic[i] == '.' ? strspn(pic + i, ".") : 1;
		assert_int_equal(off(must_alloc(n * g)), i * g);
	}
	for (i = 0; pic[i] != '\0'; i += n) {
		n = pic[i] == '.' ? strspn(pic + i, ".") : 1;
		if (pic[i] == '.')
			must_free(at(i * g), n * g);
	}
	assert_string_equal(heap_picture(), pic);
}

void fill_allocated(unsigned char c)
{
	const char *pic = heap_picture();
	uintptr_t g = mempool.granule, i;

	for (i = 0; pic[i] != '\0'; i++)
		if (pic[i] == 'x')
			memset(at(i * g), c, g);
}

const char *heap_picture(void)
{
	static char pic[512];
	const struct heaplab_hdr *b;
	uintptr_t g = mempool.granule, n = brk_off() / g, i;

	assert_true(n < sizeof pic);
	memset(pic, 'x', n);
	pic[n] = '\0';
	for (b = mempool.freelist; b != NULL; b = b->next)
		for (i = 0; i < b->size / g; i++)
			pic[off(b) / g + i] = '.';
	return pic;
}

const char *free_list_str(void)
{
	static char s[1024];
	const struct heaplab_hdr *b;
	size_t n = 0;

	s[0] = '\0';
	for (b = mempool.freelist; b != NULL && n < sizeof s - 40; b = b->next)
		n += (size_t)snprintf(s + n, sizeof s - n, "%s0x%lx+0x%lx", n ? " " : "",
				      (unsigned long)off(b), (unsigned long)b->size);
	return n ? s : "empty";
}

void snap_take(struct mem_snap *s)
{
	const unsigned char *p = at(0);
	uintptr_t i;

	snprintf(s->list, sizeof s->list, "%s", free_list_str());
	s->inuse = mempool.inuse;
	s->taken = mempool.taken;
	s->brk = brk_off();
	s->sum = 14695981039346656037ull; // FNV-1a over the bytes below the break
	for (i = 0; i < s->brk; i++)
		s->sum = (s->sum ^ p[i]) * 1099511628211ull;
}

void assert_unchanged_at(const struct mem_snap *before, const char *file, int line)
{
	struct mem_snap now;

	snap_take(&now);
	_assert_string_equal(now.list, before->list, file, line);
	_assert_int_equal(now.inuse, before->inuse, file, line);
	_assert_int_equal(now.taken, before->taken, file, line);
	_assert_int_equal(now.brk, before->brk, file, line);
	_assert_int_equal(now.sum, before->sum, file, line);
}
