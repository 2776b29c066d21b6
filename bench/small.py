#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench-small (and a part of make bench): the page layer on small
blocks. mem/ at granule 64, built with HEAPLAB_DEBUG=0, replays workloads
shaped like the traces of real programs (mixed small sizes; binary-tree,
random and realloc-chain lifetimes), and glibc replays the same twice:
with calloc (zeroed blocks, as heaplab's are, at the 16-byte alignment a C
program needs) and asked for all that heaplab gives, blocks aligned to the
granule too (posix_memalign(64, n) + memset). Instructions per operation
under callgrind, counted inside the alloc and free calls only; then the
goal's line: heaplab at most 1.2x glibc's calloc on every workload (the
stricter of the two: glibc's aligned path costs it more). Before any figure, each
trace must replay through build/host/replay (--page 64) with the index
and with the list walk alike, and bench-heaplab-g64 must end at the break
the replay reports: the placement is the seed's. Standard library only."""
import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRANULE = 64
HEAP = 1 << 30  # BENCH_ARENA
GOAL = 1.2
ALLOCS = ["heaplab-g64", "glibc-calloc", "glibc-g64"]
PEER = "glibc-calloc"  # the goal's reference
MASK = (1 << 64) - 1


class Gen:
    """A workload's trace: allocs and frees of numbered blocks, from a
    fixed-seed splitmix64 (the same bytes on every machine)."""

    def __init__(self, seed):
        self.rng, self.next_id, self.out = seed, 0, []

    def rand(self):
        self.rng = (self.rng + 0x9e3779b97f4a7c15) & MASK
        z = self.rng
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.rand() % n

    def size(self):
        """Mixed small sizes, as C programs ask: to 64 bytes 50%, to 256
        35%, to 1 KiB 12%, to 8 KiB 3%."""
        r = self.below(100)
        lo, hi = (1, 64) if r < 50 else (65, 256) if r < 85 else (257, 1024) if r < 97 else (1025, 8192)
        return lo + self.below(hi - lo + 1)

    def alloc(self, n):
        i = self.next_id
        self.next_id += 1
        self.out.append(f"alloc {i} {n}")
        return i

    def free(self, i):
        self.out.append(f"free {i}")


def random_lifetimes(g):
    """Random allocs and frees around 1000 live blocks."""
    live = []
    while len(g.out) < 40000:
        if not live or g.below(100) < (75 if len(live) < 1000 else 25):
            live.append(g.alloc(g.size()))
        else:
            g.free(live.pop(g.below(len(live))))
    return live


def binary_trees(g):
    """The binary-trees pattern: a long-lived tree, then trees of depth
    4, 6, 8, 10 built and freed whole (children before their parent) many
    times over; each node a mixed small size."""
    def build(d):
        node = g.alloc(g.size())
        kids = [build(d - 1), build(d - 1)] if d > 0 else []
        return node, kids

    def free(t):
        for k in t[1]:
            free(k)
        g.free(t[0])

    def nodes(t):
        return [t[0]] + [n for k in t[1] for n in nodes(k)]
    long_lived = build(10)
    for depth in (4, 6, 8, 10):
        for _ in range(2 ** (12 - depth)):
            free(build(depth))
    return nodes(long_lived)


def realloc_chains(g):
    """Growing buffers (strings, vectors): each step grows one of ~200
    live chains by half again, as a realloc that moves does (the new block,
    then the old one freed), or ends it (freed) and starts another."""
    chains = []
    while len(g.out) < 40000:
        if len(chains) < 200 or g.below(100) < 30:
            n = 8 + g.below(57)
            chains.append([g.alloc(n), n])
            continue
        c = chains[g.below(len(chains))]
        if c[1] >= 4096 or g.below(100) < 15:
            g.free(c[0])
            chains.remove(c)
            continue
        c[1] += c[1] // 2 + g.below(16)
        old, c[0] = c[0], g.alloc(c[1])
        g.free(old)
    return [c[0] for c in chains]


WORKLOADS = [
    ("small-random", random_lifetimes, "mixed small sizes, random lifetimes, ~1000 live"),
    ("small-binary", binary_trees, "mixed small sizes, binary-tree lifetimes"),
    ("small-realloc", realloc_chains, "realloc chains: blocks grown by half again, moved"),
]


def write_traces(d):
    """Writes each workload's trace (drained at the end, oldest first);
    answers [(name, description, path, ops)]."""
    ws = []
    for k, (name, fn, what) in enumerate(WORKLOADS):
        g = Gen(0x736d616c6c + k)  # "small", one stream per workload
        for i in sorted(fn(g)):
            g.free(i)
        p = d / f"{name}.trace"
        p.write_text(f"# heaplab bench workload {name}: {what}\n" + "\n".join(g.out) + "\n")
        ws.append((name, what, p, len(g.out)))
    return ws


def sh(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"bench-small: {' '.join(map(str, argv))} failed ({r.returncode}):\n"
                 f"{r.stdout[-800:]}{r.stderr[-800:]}")
    return r.stdout


def check_trace(bench_dir, path):
    """The placement check: the index and the list walk print the same
    replay, and bench-heaplab-g64 peaks at the break it ends at."""
    replay = [str(REPO / "build/host/replay"), "--heap", str(HEAP), "--page", str(GRANULE)]
    out = sh(replay + [str(path)])
    if sh(replay + ["--list", str(path)]) != out:
        sys.exit(f"bench-small: {path.name}: replay --list differs from the index's replay")
    brk = int(re.search(r"^brk (0x[0-9a-f]+)$", out, re.M)[1], 16)
    foot = sh([str(bench_dir / "bench-heaplab-g64"), "foot", str(path)])
    peak = int(re.search(r"peak=(\d+)", foot)[1])
    if peak != brk:
        sys.exit(f"bench-small: {path.name}: bench-heaplab-g64 peaks at {peak}, "
                 f"build/host/replay ends at brk {brk:#x}")


def section(bench_dir, callgrind, table, parallel=None):
    """The report, as markdown. callgrind(out_dir, name, argv) and table are
    bench/run.py's; parallel(jobs) runs (key, fn) pairs at once."""
    tdir = bench_dir / "traces"
    tdir.mkdir(parents=True, exist_ok=True)
    ws = write_traces(tdir)
    for _, _, p, _ in ws:
        check_trace(bench_dir, p)
    jobs = [((a, w), lambda a=a, p=p: callgrind(bench_dir / "cg", f"{a}-{p.stem}",
                                                [str(bench_dir / f"bench-{a}"), "replay", str(p)]))
            for a in ALLOCS for w, _, p, _ in ws]
    got = parallel(jobs) if parallel else {k: f() for k, f in jobs}
    rows, met = [], []
    for w, what, _, ops in ws:
        ir = {a: got[(a, w)][1]["replay"][0] / ops for a in ALLOCS}
        x = ir["heaplab-g64"] / ir[PEER]
        met.append(x <= GOAL)
        rows.append([w, what, f"{ops:,}", f"{ir['heaplab-g64']:,.0f}", f"{ir[PEER]:,.0f}",
                     f"{x:.2f}", f"{ir['glibc-g64']:,.0f}",
                     f"{ir['heaplab-g64'] / ir['glibc-g64']:.2f}"])
    goal = (f"Goal: heaplab at most {GOAL}x glibc's instructions per operation (calloc) on "
            f"every small-block workload: {'met' if all(met) else 'NOT met'}"
            + ("" if all(met) else " (" + ", ".join(w for (w, _, _, _), m in zip(ws, met)
                                                    if not m) + ")") + ".")
    return ("### Small blocks at granule 64\n\n"
            "mem/ with a 64-byte granule (HEAPLAB_DEBUG=0, the placement index) and glibc on "
            "the same traces: glibc's calloc (zeroed blocks, 16-byte aligned), and glibc "
            "asked for blocks aligned to 64 bytes and zeroed, as heaplab's are "
            "(posix_memalign + memset; heaplab zeroes on free). A realloc that moves is "
            "an alloc of the new size and a free of the old, as a page layer without "
            "realloc does it (the copy is the caller's and not counted). Ir/op: instructions "
            "per operation under callgrind, inside the alloc and free calls.\n\n"
            + table(["workload", "what", "operations", "heaplab Ir/op", "glibc calloc Ir/op",
                     "heaplab ÷ calloc", "glibc aligned Ir/op", "heaplab ÷ aligned"], rows) + "\n\n" + goal)


def main():
    sys.path.insert(0, str(Path(__file__).parent))
    import run  # noqa: E402  (bench/run.py: callgrind and the table's format)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", default="build/bench")
    args = ap.parse_args()
    d = Path(args.dir).resolve()
    (d / "cg").mkdir(parents=True, exist_ok=True)
    b = run.Bench(argparse.Namespace(dir=str(d), runs=1))
    sys.stdout.write(section(d, run.callgrind, run.table, b.parallel) + "\n")


if __name__ == "__main__":
    main()
