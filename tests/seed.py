"""The seed's allocator, transliterated line by line from Go's
runtime/mem_plan9.go (Feb 2015, the seed document) into Python, over a
simulated break: an independent oracle for placement. Headers live in a dict
keyed by address, as the seed keeps them in the free blocks themselves.

Only valid traces are its business: the seed's own latent bugs (size 0,
double and overlapping frees) are where heaplab deliberately differs."""


class Seed:
    def __init__(self, heap=64 << 20, page=4096):
        self.page = page
        self.heap = heap
        self.bloc = 0  # offsets from the arena start
        self.hdr = {}  # address -> [next, size]; next None ends the list
        self.freelist = None

    def round(self, n):
        return (n + self.page - 1) & ~(self.page - 1)

    def sbrk(self, n):
        bl = self.bloc
        n = self.round(n)
        if bl + n > self.heap:  # brk_ refuses
            return None
        self.bloc += n
        return bl

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
    """Replays trace lines (alloc/free only) and answers the expected output lines."""
    s, ids, out = Seed(heap, page), {}, []
    for line in lines:
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
    out += [f"free {a:#x} {n:#x}" for a, n in s.free_list()]
    out.append(f"brk {s.bloc:#x}")
    return out


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
