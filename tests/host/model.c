// The page-bitmap model of mem/'s policy (see model.h): first fit from the
// low end, carved from the top of the run, growing the break when nothing
// fits. Written for obviousness, not speed.
#include "model.h"

#include <stdlib.h>

int model_init(struct model *m, uintptr_t heap, uintptr_t granule)
{
	m->granule = granule;
	m->npages = heap / granule;
	m->brk = 0;
	m->used = calloc(m->npages + 1, 1);
	return m->used == NULL ? -1 : 0;
}

void model_fini(struct model *m)
{
	free(m->used);
	m->used = NULL;
}

// model_pages answers n bytes in pages, rounded up; 0 if n is 0 or the
// rounding would wrap.
static uintptr_t model_pages(const struct model *m, uintptr_t n)
{
	if (n == 0 || n > UINTPTR_MAX - (m->granule - 1))
		return 0;
	return n / m->granule + (n % m->granule != 0);
}

static void model_mark(struct model *m, size_t page, size_t len, unsigned char used)
{
	size_t i;

	for (i = page; i < page + len; i++)
		m->used[i] = used;
}

uintptr_t model_alloc(struct model *m, uintptr_t n)
{
	uintptr_t pages = model_pages(m, n);
	size_t page = 0, len;

	if (pages == 0)
		return MODEL_NIL;
	for (; model_next_run(m, &page, &len); page += len) {
		if (len >= pages) {
			model_mark(m, page + len - pages, pages, 1);
			return (page + len - pages) * m->granule;
		}
	}
	if (pages > m->npages - m->brk)
		return MODEL_NIL;
	model_mark(m, m->brk, pages, 1);
	m->brk += pages;
	return (m->brk - pages) * m->granule;
}

int model_free_error(const struct model *m, uintptr_t off, uintptr_t n)
{
	uintptr_t pages, top = m->brk * m->granule, i, nfree = 0;

	if (n == 0)
		return HEAPLAB_EZERO;
	if (off % m->granule != 0)
		return HEAPLAB_EALIGN;
	pages = model_pages(m, n);
	if (pages == 0 || off > top || pages * m->granule > top - off)
		return HEAPLAB_ERANGE;
	for (i = off / m->granule; i < off / m->granule + pages; i++)
		nfree += !m->used[i];
	if (nfree == pages)
		return HEAPLAB_EDOUBLE;
	return nfree != 0 ? HEAPLAB_EOVERLAP : HEAPLAB_OK;
}

int model_free(struct model *m, uintptr_t off, uintptr_t n)
{
	int err = model_free_error(m, off, n);

	if (err == HEAPLAB_OK)
		model_mark(m, off / m->granule, model_pages(m, n), 0);
	return err;
}

int model_next_run(const struct model *m, size_t *page, size_t *len)
{
	size_t i = *page;

	while (i < m->brk && m->used[i])
		i++;
	if (i >= m->brk)
		return 0;
	*page = i;
	while (i < m->brk && !m->used[i])
		i++;
	*len = i - *page;
	return 1;
}
