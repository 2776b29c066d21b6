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
//   heap, so that no byte of the heap changes. The two bits are a symbol:
//
//     0  nothing: a free granule, or inside an allocation past its digits
//     1  an allocation starts here
//     2  a digit 0 of the length of the allocation that starts before
//     3  a digit 1 of it
//
//   An allocation of n granules at i has 1 at i, then the digits of n - 1
//   in binary, lowest first, up to its highest 1 (none for n = 1), and 0
//   in every granule after them. The digits fit: n - 1 has at most n - 1
//   of them. So its length is read from its start alone, and the digits
//   end at the first granule that is not a digit (0, the next
//   allocation's 1, or the record's end):
//
//     granule   0  1  2  3  4  5  6  7  8  9 10 11   alloc a 6 granules
//     symbol    1  3  2  3  0  0  1  1  3  1  2  3   (5: 101), b 1, c 2
//                                                    (1), d 3 (2: 10,
//                                                    lowest first 0 1)
//
//   A free of [a, a+k) is exactly one allocation when a holds 1 and the
//   length read there is k: accepted at once. Else it is refused with
//   HEAPLAB_EMISMATCH before anything changes if it lies wholly in
//   allocated memory; one touching memory that is not allocated (a free
//   block, another client's bytes, past the pool's top) is left to
//   mem_freel, which refuses it in the seed's words (a double free, an
//   overlap, a range outside the heap). Which memory is allocated the pool
//   says already, and in O(log n) with the index: whatever lies in one of
//   its regions and in no free block (a pending free counts as allocated,
//   as its record is forgotten after mem_freel). The record need not say
//   it again.
//
//   Cost, under the pool's lock: an alloc writes 1 and the digits, a free
//   reads and clears them, at most a word's bits of digits (14 for a
//   64 MiB run of 4 KiB pages, none for one page) whatever the size: the
//   interrupts-off stretch no longer grows with the block
//   (bench/irqoff.py). Two bits a granule, "allocated" and "starts here",
//   as the record was first kept, made a free check, and alloc and free
//   set and clear, every granule of the range: 4 KiB of record for 64 MiB,
//   with interrupts off. Setting and clearing those bits outside the
//   lock, the range pending as free's zeroing is, would still leave the
//   check inside (it must come before anything changes), and a free of a
//   neighbour meanwhile would read half-written bits.
//
//   The record is exact as long as every free it lets through is one
//   mem_freel is right to accept (mem/free.c's): a free that is not
//   exactly one allocation yet is done clears every granule of its range,
//   as many as there are, so that no stale start remains. heaplab_check
//   verifies all of it against the pool (mem_track_checkl, below); the
//   automatic check after each operation leaves it out, as its walk is as
//   long as the heap.
//
//   Lock rule: the record is the pool's, guarded by its lock like every
//   other field; heaplab_alloc and heaplab_free keep it (so a lab's
//   mem_allocl and mem_freel need not know it).
#include "internal.h"

// The symbols (see above).
enum { SYM_NONE = 0, SYM_START = 1, SYM_DIGIT = 2 };

// MAX_DIGITS bounds a length's digits: n - 1 < 2^(bits of a word).
#define MAX_DIGITS (8 * sizeof(uintptr_t))

// shift_of answers log2 of the granule, a power of two, by a loop: a
// division by a variable, or a count of trailing zeros, would need
// libgcc's routine on some targets (arm's __aeabi_uidiv, riscv64's
// __ctzdi2), which a kernel may not link.
static unsigned shift_of(const struct heaplab_pool *pool)
{
	unsigned sh = 0;
	uintptr_t g;

	for (g = pool->granule; g > 1; g >>= 1)
		sh++;
	return sh;
}

// first_granule answers the address granule 0 of the record stands for.
static uintptr_t first_granule(const struct heaplab_pool *pool)
{
	return pool->start & ~(pool->granule - 1);
}

// granules answers how many granules the record covers: all of [start, end).
static uintptr_t granules(const struct heaplab_pool *pool, unsigned sh)
{
	uintptr_t lo = first_granule(pool);

	return ((pool->end - lo) >> sh) + (((pool->end - lo) & (pool->granule - 1)) != 0);
}

uintptr_t heaplab_track_bytes(const struct heaplab_pool *pool)
{
	return (granules(pool, shift_of(pool)) + 3) / 4;
}

static void set_sym(unsigned char *t, uintptr_t i, unsigned v)
{
	unsigned shift = (unsigned)(i % 4 * 2);

	t[i / 4] = (unsigned char)((t[i / 4] & ~(3u << shift)) | (v << shift));
}

// clear sets the k symbols from i to SYM_NONE, whole bytes by memset.
static void clear(unsigned char *t, uintptr_t i, uintptr_t k)
{
	for (; k > 0 && i % 4 != 0; i++, k--)
		set_sym(t, i, SYM_NONE);
	if (k >= 4)
		memset(t + i / 4, 0, k / 4);
	i += k & ~(uintptr_t)3;
	for (k &= 3; k > 0; i++, k--)
		set_sym(t, i, SYM_NONE);
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

// A range's place in the record: its first granule, its granules, and
// how many the record covers.
struct span {
	uintptr_t i, k, total;
};

// span finds the granules of [a, a + n) (n not yet rounded) in the record:
// it answers 1 and fills *s if the range is aligned, nonempty and inside
// it; 0 if not (mem_freel's to refuse).
static int span(const struct heaplab_pool *pool, uintptr_t a, uintptr_t n, struct span *s)
{
	uintptr_t lo = first_granule(pool);
	unsigned sh = shift_of(pool);

	n = mem_round(pool, n);
	if (n == 0 || a < lo || (a & (pool->granule - 1)) != 0)
		return 0;
	s->total = granules(pool, sh);
	s->i = (a - lo) >> sh;
	s->k = n >> sh;
	return s->i < s->total && s->k <= s->total - s->i;
}

// length_at answers the length in granules of the allocation that starts
// at granule i, or 0 if none does, and in *nsym the symbols it takes (its
// start and digits). It reads at most MAX_DIGITS + 1 symbols, whatever the
// length, a byte of the record at a time.
static uintptr_t length_at(const unsigned char *t, uintptr_t i, uintptr_t total, uintptr_t *nsym)
{
	uintptr_t m = 0, j, end = total - i > MAX_DIGITS + 1 ? i + MAX_DIGITS + 1 : total;
	unsigned byte = t[i / 4] >> (i % 4 * 2);

	*nsym = 0;
	if ((byte & 3u) != SYM_START)
		return 0;
	for (j = i + 1; j < end; j++) {
		if (j % 4 == 0)
			byte = t[j / 4];
		else
			byte >>= 2;
		if ((byte & SYM_DIGIT) == 0)
			break;
		m |= (uintptr_t)(byte & 1u) << (j - i - 1);
	}
	*nsym = j - i;
	return m + 1;
}

// mem_track_allocl records the allocation of n bytes at a: its start and
// the digits of its length, a byte of the record at a time.
void mem_track_allocl(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	unsigned char *t = pool->track;
	unsigned acc, mask, sh;
	struct span s;
	uintptr_t m;

	if (!span(pool, a, n, &s))
		heaplab_fail(pool, "heaplab_track: an allocation outside the record");
	t += s.i / 4;
	sh = (unsigned)(s.i % 4 * 2);
	acc = (unsigned)SYM_START << sh;
	mask = 3u << sh;
	for (m = s.k - 1; m != 0; m >>= 1) {
		if ((sh += 2) == 8) {
			*t = (unsigned char)((*t & ~mask) | acc);
			t++;
			sh = acc = mask = 0;
		}
		acc |= (SYM_DIGIT | (unsigned)(m & 1)) << sh;
		mask |= 3u << sh;
	}
	*t = (unsigned char)((*t & ~mask) | acc);
}

// mem_track_freel answers HEAPLAB_EMISMATCH if [a, a + n) lies wholly in
// allocated memory but is not exactly one allocation; else HEAPLAB_OK,
// and mem_freel decides. Changes nothing.
int mem_track_freel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	const struct heaplab_hdr *prev;
	struct span s;
	uintptr_t nsym;

	if (a == 0 || !span(pool, a, n, &s) || length_at(pool->track, s.i, s.total, &nsym) == s.k)
		return HEAPLAB_OK; // not the record's, or exactly one allocation
	// Allocated memory is whatever is in one of the pool's regions and in
	// no free block: exactly what mem_free_refusedl lets through.
	prev = mem_free_belowl(pool, a);
	if (mem_free_refusedl(pool, prev, prev != NULL ? prev->next : pool->freelist, a,
			      s.k << shift_of(pool)) != HEAPLAB_OK)
		return HEAPLAB_OK; // free memory, or not the pool's: mem_freel's
	return HEAPLAB_EMISMATCH;
}

// mem_track_releasel forgets the n bytes at a, freed: the start and digits
// of the one allocation there, or (a free mem_freel should have refused)
// every granule of the range.
void mem_track_releasel(struct heaplab_pool *pool, uintptr_t a, uintptr_t n)
{
	struct span s;
	uintptr_t nsym;

	if (a == 0 || !span(pool, a, n, &s))
		return;
	if (length_at(pool->track, s.i, s.total, &nsym) == s.k)
		clear(pool->track, s.i, nsym);
	else
		clear(pool->track, s.i, s.k);
}

// mem_track_checkl walks the whole record beside the free list (which the
// check has found ascending and inside the pool before it comes here):
// every symbol is part of an allocation's start and digits; each
// recorded allocation lies in one region of the pool and in no free
// block, holds nothing past its digits (so no other allocation starts
// inside it), and together they hold exactly the bytes in use (pending
// frees among them, still recorded). Then a free the record accepts is
// one the pool handed out, and one it refuses is not.
int mem_track_checkl(struct heaplab_pool *pool, struct heaplab_fault *f)
{
	const unsigned char *t = pool->track;
	const struct heaplab_hdr *b = pool->freelist;
	uintptr_t lo = first_granule(pool), j, k, len, nsym, a, n, used = 0, total;
	unsigned sh = shift_of(pool);

	mem_assert_locked(pool, "mem_track_checkl: lock not held");
	total = granules(pool, sh);
	for (j = 0; j < total; j++) {
		a = lo + (j << sh);
		if ((t[j / 4] >> (j % 4 * 2) & 3u) == SYM_NONE)
			continue;
		len = length_at(t, j, total, &nsym);
		if (len == 0)
			return mem_fault_set(f, HEAPLAB_ETRACK, a, 0, 0, 0);
		n = len << sh;
		while (b != NULL && (uintptr_t)b + b->size <= a)
			b = b->next;
		if (len > total - j || nsym > len || mem_regionl(pool, a, n) == NULL ||
		    (b != NULL && (uintptr_t)b < a + n))
			return mem_fault_set(f, HEAPLAB_ETRACK, a, n, 0, 1);
		for (k = j + nsym; k < j + len; k++)
			if ((t[k / 4] >> (k % 4 * 2) & 3u) != SYM_NONE)
				return mem_fault_set(f, HEAPLAB_ETRACK, a, n, lo + (k << sh), 2);
		used += n;
		j += len - 1;
	}
	if (used != pool->inuse)
		return mem_fault_set(f, HEAPLAB_ETRACK, used, pool->inuse, 0, 3);
	return HEAPLAB_OK;
}
