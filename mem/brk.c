// sbrk over a brk: the one step by which the owner of a break (the kernel's
// kernel/brk.c, the host's arch/host/host.c) hands bytes to its clients.
//
//   break (cur)   at = cur rounded up to align        at + n
//   |  padding    |  the n bytes the client gets      |
//   +-------------+-----------------------------------+
//
// A platform's brk may refuse (HEAPLAB_BRK_FAIL), not move and answer the old
// break (Linux), or move only part of the way; each is a refusal here, with
// the break put back where it was. A brk that rounds up past at + n is
// fine: the next client starts above it. The owner runs this under its own
// lock, so that reading the break and moving it is one step for every
// client, whoever else shares the break.
#include "mem.h"

// heaplab_brk_sbrk takes n bytes at the break through brk, rounded up to align
// (a power of two) first, if they lie inside [lo, hi): it answers where
// they start, or HEAPLAB_BRK_FAIL with the break where it was. n = 0 reads the
// break (align 1) or aligns it.
uintptr_t heaplab_brk_sbrk(uintptr_t (*brk)(uintptr_t addr), uintptr_t n, uintptr_t align, uintptr_t lo,
		       uintptr_t hi)
{
	uintptr_t cur = brk(0), at, got;

	if (cur == HEAPLAB_BRK_FAIL || align == 0 || (align & (align - 1)) != 0 ||
	    cur > UINTPTR_MAX - (align - 1))
		return HEAPLAB_BRK_FAIL;
	at = (cur + align - 1) & ~(align - 1);
	if (at < lo || at > hi || n > hi - at)
		return HEAPLAB_BRK_FAIL;
	if (at + n == cur) // nothing to take: n is 0 and the break aligned
		return at;
	got = brk(at + n);
	if (got != HEAPLAB_BRK_FAIL && got >= at + n)
		return at;
	if (got != HEAPLAB_BRK_FAIL && got != cur)
		brk(cur); // part of the way: back to where it was
	return HEAPLAB_BRK_FAIL;
}
