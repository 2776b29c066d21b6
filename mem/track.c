// SPDX-License-Identifier: BSD-3-Clause
// The exact-free record (heaplab_track): where each live allocation starts
// and how long it is, so that a free of anything else is refused.
//
// Theory of operation
//
//   heaplab_free takes the size from its caller, and an allocated run
//   carries no header: the pool alone cannot tell a free of one allocation
//   from a free of part of one or of two neighbours at once, and accepts
//   all three (the seed's contract). A tracked pool keeps two bits per
//   granule of [start, end) in memory its caller supplies, outside the
//   heap, so that no byte of the heap changes:
//
//     bit 0  the granule is allocated
//     bit 1  an allocation starts at it
//
//     granule   0    1    2    3    4    5
//     alloc     1    1    1    0    1    1      alloc a 3 granules,
//     start     1    0    0    0    1    1      then b 1 and c 1
//
//   A free of [a, a+n) lying wholly in allocated granules must be exactly
//   one allocation: a start at a, none inside, and the granule past its
//   end not the rest of the same allocation; else it is refused with
//   HEAPLAB_EMISMATCH before anything changes. A free touching a granule
//   that is not allocated is left to mem_freel, which refuses it with the
//   seed's own words (a double free, an overlap, a range outside the heap).
//
//   Lock rule: the record is the pool's, guarded by its lock like every
//   other field; heaplab_alloc and heaplab_free keep it (so a lab's
//   mem_allocl and mem_freel need not know it).
#include "internal.h"

// first_granule answers the address granule 0 of the record stands for.
static uintptr_t first_granule(const struct heaplab_pool *pool)
{
	return pool->start & ~(pool->granule - 1);
}

// in_granules answers x / granule by shifts: the granule is a power of two,
// and a division by a variable would need libgcc's routine on some targets
// (arm's __aeabi_uidiv), which a kernel may not link.
static uintptr_t in_granules(const struct heaplab_pool *pool, uintptr_t x)
{
	uintptr_t g;

	for (g = pool->granule; g > 1; g >>= 1)
		x >>= 1;
	return x;
}

// granules answers how many granules the record covers: all of [start, end).
static uintptr_t granules(const struct heaplab_pool *pool)
{
	uintptr_t lo = first_granule(pool);

	return in_granules(pool, pool->end - lo) + (((pool->end - lo) & (pool->granule - 1)) != 0);
}

uintptr_t heaplab_track_bytes(const struct heaplab_pool *pool)
{
	return (granules(pool) + 3) / 4;
}

static unsigned bits_of(const unsigned char *t, uintptr_t i)
{
	return (t[i / 4] >> (i % 4 * 2)) & 3u;
}

static void set_bits(unsigned char *t, uintptr_t i, unsigned v)
{
	unsigned shift = (unsigned)(i % 4 * 2);

	t[i / 4] = (unsigned char)((t[i / 4] & ~(3u << shift)) | (v << shift));
}

// PAT[v] is a byte whose four granules all hold v (0 or 1: allocated, not
// a start). fill and all_are work on whole bytes, a word at a time where
// they can, so that a 64 MiB allocation's 16384 granules cost about as
// many instructions as 4 KiB of memset, under the pool's lock, rather than
// a read-modify-write per granule (bench/irqoff.py measures the stretch).
static const unsigned char PAT[2] = {0x00, 0x55};

// The record's bytes read a word at a time: may_alias, as they are bytes.
typedef uintptr_t __attribute__((may_alias)) word_alias;

// fill sets the k granules from i to v.
static void fill(unsigned char *t, uintptr_t i, uintptr_t k, unsigned v)
{
	for (; k > 0 && i % 4 != 0; i++, k--)
		set_bits(t, i, v);
	if (k >= 4)
		memset(t + i / 4, PAT[v], k / 4);
	i += k & ~(uintptr_t)3;
	for (k &= 3; k > 0; i++, k--)
		set_bits(t, i, v);
}

// all_are answers whether the k granules from i all hold v.
static int all_are(const unsigned char *t, uintptr_t i, uintptr_t k, unsigned v)
{
	uintptr_t w = 0, b;
	const unsigned char *q;

	for (; k > 0 && i % 4 != 0; i++, k--)
		if (bits_of(t, i) != v)
			return 0;
	q = t + i / 4;
	memset(&w, PAT[v], sizeof w);
	for (b = k / 4; b > 0 && (uintptr_t)q % sizeof w != 0; b--, q++)
		if (*q != PAT[v])
			return 0;
	for (; b >= sizeof w; b -= sizeof w, q += sizeof w)
		if (*(const word_alias *)(const void *)q != w) // aligned above
			return 0;
	for (; b > 0; b--, q++)
		if (*q != PAT[v])
			return 0;
	i += k & ~(uintptr_t)3;
	for (k &= 3; k > 0; i++, k--)
		if (bits_of(t, i) != v)
			return 0;
	return 1;
}

int heaplab_track(struct heaplab_pool *pool, void *bits, uintptr_t nbytes)
{
	int err = HEAPLAB_OK;

	heaplab_lock(pool);
	if (bits == NULL)
		pool->track = NULL;
	else if (nbytes < heaplab_track_bytes(pool) || pool->inuse != 0)
		err = HEAPLAB_ERANGE;
	else
		pool->track = memset(bits, 0, heaplab_track_bytes(pool));
	heaplab_unlock(pool);
	return err;
}

// span finds the granules of [a, a + n) (n not yet rounded) in the record:
// it answers 1 and sets *i and *k (first granule, count) if the range is
// aligned, nonempty and inside it; 0 if not (mem_freel's to refuse).
static int span(const struct heaplab_pool *pool, uintptr_t a, uintptr_t n, uintptr_t *i,
		uintptr_t *k)
{
	uintptr_t lo = first_granule(pool), total = granules(pool);

	n = heaplab_round(pool, n);
	if (n == 0 || a < lo || (a & (pool->granule - 1)) != 0)
		return 0;
	*i = in_granules(pool, a - lo);
	*k = in_granules(pool, n);
	return *i < total && *k <= total - *i;
}

// mem_track_allocl records the allocation of n bytes at a.
void mem_track_allocl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	uintptr_t i, k;

	if (!span(pool, a, n, &i, &k))
		heaplab_fail(pool, "heaplab_track: an allocation outside the record");
	set_bits(pool->track, i, 3);
	fill(pool->track, i + 1, k - 1, 1);
}

// mem_track_freel answers HEAPLAB_EMISMATCH if [a, a + n) lies wholly in
// allocated granules but is not exactly one allocation; else HEAPLAB_OK,
// and mem_freel decides. Changes nothing.
int mem_track_freel(const struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	uintptr_t i, k, j;
	int exact;

	if (a == 0 || !span(pool, a, n, &i, &k))
		return HEAPLAB_OK;
	// The common case first, a word at a time: exactly one allocation.
	if (bits_of(pool->track, i) == 3 && all_are(pool->track, i + 1, k - 1, 1) &&
	    (i + k >= granules(pool) || bits_of(pool->track, i + k) != 1))
		return HEAPLAB_OK;
	// Else a granule at a time, to tell a bad free (refused here) from
	// memory that is not allocated (mem_freel's to refuse).
	for (j = 0; j < k; j++)
		if ((bits_of(pool->track, i + j) & 1) == 0)
			return HEAPLAB_OK; // free memory, or not the pool's: mem_freel's
	exact = bits_of(pool->track, i) == 3;
	for (j = 1; exact && j < k; j++)
		exact = bits_of(pool->track, i + j) == 1;
	if (exact && i + k < granules(pool)) // the allocation must end with the range
		exact = bits_of(pool->track, i + k) != 1;
	return exact ? HEAPLAB_OK : HEAPLAB_EMISMATCH;
}

// mem_track_releasel forgets the n bytes at a, freed.
void mem_track_releasel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	uintptr_t i, k;

	if (a == 0 || !span(pool, a, n, &i, &k))
		return;
	fill(pool->track, i, k, 0);
}
