"""The seed's allocator, transliterated line by line from Go's
runtime/mem_plan9.go (Feb 2015, the seed document) into Python, over a
simulated break: an independent oracle for placement. Headers live in a dict
keyed by address, as the seed keeps them in the free blocks themselves.

Only valid traces are its business: the seed's own latent bugs (size 0,
double and overlapping frees) are where heaplab deliberately differs. Two
fixes it does model, since traces exercise them: another client of the
break (a trace's `sbrk SIZE`, newlib's malloc in the image), and free's
refusal of what the pool does not own.

The seed's sbrk is Plan 9 libc's: `bl := bloc; brk_(bl+n); bloc += n`. It
never reads the break, so after another client took bytes at the break it
would hand those very bytes out again (its brk_ moves the break back down
over them). Fixed, as heaplab does: the pool takes its n bytes at the break
it shares, rounded up to the page; if they start where its last region
ends, that region grows, else they start a new region (at most NREGION;
when all are used only the last may grow, else sbrk answers nil). The
other client takes its bytes at the break as they are, unaligned. free
refuses a range outside [0, bloc), and one not inside one region."""

NREGION = 16  # mem/mem.h's HEAPLAB_NREGION
E_RANGE = "range outside the heap"
E_NOTOWN = "range not obtained by this pool"


class Seed:
    def __init__(self, heap=64 << 20, page=4096):
        self.page = page
        self.heap = heap
        self.bloc = 0  # the pool's top, an offset from the arena start
        self.brk = 0  # the break the pool shares with other clients, byte-exact
        self.regions = []  # [start, end) of each region the pool obtained
        self.hdr = {}  # address -> [next, size]; next None ends the list
        self.freelist = None

    def round(self, n):
        return (n + self.page - 1) & ~(self.page - 1)

    def sbrk(self, n):
        n = self.round(n)
        last = self.regions[-1] if self.regions else None
        bl = self.round(self.brk)  # the seed: bl = bloc (see above)
        if bl + n > self.heap:  # brk_ refuses
            return None
        if last is not None and bl == last[1]:
            last[1] += n
        elif len(self.regions) == NREGION:  # only the last region may grow
            return None
        else:
            self.regions.append([bl, bl + n])
        self.bloc = self.brk = bl + n
        return bl

    def foreign_sbrk(self, n):
        """Another client of the break takes n bytes at it; answers where, or None."""
        at = self.brk
        if at + n > self.heap:
            return None
        self.brk += n
        return at

    def refused(self, ap, n):
        """Why free(ap, n) is refused for ownership, or None (the fix)."""
        n = self.round(n)
        if ap < 0 or ap > self.bloc or n > self.bloc - ap:
            return E_RANGE
        if not any(a <= ap and ap + n <= b for a, b in self.regions):
            return E_NOTOWN
        return None

    def alloc(self, n):
        n = self.round(n)
        prevp = None
        p = self.freelist
        while p is not None:
            h = self.hdr[p]
            if h[1] >= n:
                if h[1] == n:
                    if prevp is not None:
                        self.hdr[prevp][0] = h[0]
                    else:
                        self.freelist = h[0]
                    del self.hdr[p]
                else:
                    h[1] -= n
                    p = p + h[1]
                return p
            prevp = p
            p = h[0]
        return self.sbrk(n)

    def free(self, ap, n):
        n = self.round(n)
        bp = [None, n]
        self.hdr[ap] = bp
        bpn = ap
        if self.freelist is None:
            self.freelist = ap
            return
        p = self.freelist
        if bpn < p:
            self.freelist = ap
            if bpn + bp[1] == p:
                bp[1] += self.hdr[p][1]
                bp[0] = self.hdr[p][0]
                del self.hdr[p]
            else:
                bp[0] = p
            return
        while self.hdr[p][0] is not None:
            nx = self.hdr[p][0]
            if bpn > p and bpn < nx:
                break
            p = nx
        ph = self.hdr[p]
        if ph[0] is not None and bpn + bp[1] == ph[0]:
            bp[1] += self.hdr[ph[0]][1]
            bp[0] = self.hdr[ph[0]][0]
            del self.hdr[ph[0]]
        else:
            bp[0] = ph[0]
        if p + ph[1] == bpn:
            ph[1] += bp[1]
            ph[0] = bp[0]
            del self.hdr[bpn]
        else:
            ph[0] = bpn

    def free_list(self):
        out, p = [], self.freelist
        while p is not None:
            out.append((p, self.hdr[p][1]))
            p = self.hdr[p][0]
        return out


def replay(lines, heap=64 << 20, page=4096):
    """Replays trace lines (alloc, free, sbrk, freeat of ranges the pool may
    not own, check) and answers the expected output lines."""
    s, ids, out = Seed(heap, page), {}, []
    for lineno, line in enumerate(lines, 1):
        f = line.split("#", 1)[0].split()
        if not f:
            continue
        if f[0] == "alloc":
            n = int(f[2], 0)
            a = s.alloc(n)
            ids[f[1]] = (a, n)
            out.append(f"{f[1]} nil" if a is None else f"{f[1]} {a:#x}")
        elif f[0] == "free":
            a, n = ids.pop(f[1])
            if a is not None:
                s.free(a, n)
        elif f[0] == "sbrk":
            n = int(f[1], 0)
            a = s.foreign_sbrk(n)
            out.append(f"sbrk {'nil' if a is None else f'{a:#x}'} {n:#x}")
        elif f[0] == "freeat":
            a, n = int(f[1], 0), int(f[2], 0)
            why = s.refused(a, n)
            if why is not None:
                out.append(f"error line {lineno}: freeat {f[1]} {f[2]}: {why}")
            else:
                s.free(a, n)
    out += [f"free {a:#x} {n:#x}" for a, n in s.free_list()]
    out.append(f"brk {s.bloc:#x}")
    return out


def foreign_trace(rng, nops, sizes, live_max=64, foreign=0.08):
    """A random trace with another client of the break: allocs, frees of live
    ids, now and then an `sbrk` of a few bytes or pages, and a `freeat` of the
    pages under an earlier one (refused: never the pool's)."""
    model, live, taken, lines, k = Seed(), [], [], [], 0
    for _ in range(nops):
        r = rng.random()
        if r < foreign:
            n = rng.choice([0, 1, 100, 4096, 5000, 3 * 4096])
            lines.append(f"sbrk {n}")
            at = model.foreign_sbrk(n)
            if n:
                taken.append((at & ~4095, max(n, 4096)))
        elif r < 1.5 * foreign and taken:
            lines.append("freeat %#x %d" % rng.choice(taken))
        elif live and (len(live) >= live_max or r < 0.45):
            ident, a, n = live.pop(rng.randrange(len(live)))
            lines.append(f"free {ident}")
            if a is not None:
                model.free(a, n)
        else:
            k += 1
            n = sizes(rng)
            lines.append(f"alloc t{k} {n}")
            live.append((f"t{k}", model.alloc(n), n))
    return lines


def random_trace(rng, nops, sizes, live_max=64):
    """A random valid trace: allocs with sizes drawn from `sizes`, frees of live ids."""
    live, lines, k = [], [], 0
    for _ in range(nops):
        if live and (len(live) >= live_max or rng.random() < 0.45):
            lines.append(f"free {live.pop(rng.randrange(len(live)))}")
        else:
            k += 1
            lines.append(f"alloc t{k} {sizes(rng)}")
            live.append(f"t{k}")
    return lines
