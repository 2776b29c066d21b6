#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench: runs the benchmark and prints its tables (markdown), also
written to build/bench.md.

Per allocator (heaplab-index and heaplab-list: the same mem/ finding its first
fits through the placement index or by the seed's list walk; glibc,
jemalloc, nano) and workload (bench/gen.c):
instructions per operation under callgrind, ns per operation natively
(median of several runs), peak footprint and overhead (peak footprint over
peak live bytes). Then the cost of alloc and free as the free list grows,
1 MiB alloc/free next to memset, the small-object workloads and real
programs (bench/objects.py), and the QEMU figures (bench/qemu.py).
Standard library only."""
import argparse
import concurrent.futures
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import irqoff
import objects
import qemu
import small
import smp

REPO = Path(__file__).resolve().parents[1]
ALLOCS = ["heaplab-index", "heaplab-list", "heaplab-exact", "glibc", "jemalloc", "nano"]
HEAPLABS = ALLOCS[:3]
HL = "heaplab-index"  # the default build, whose ratios the tables give
PEERS = ALLOCS[3:]
SCALE_K = [10, 100, 1000, 10000, 100000]
# nano-malloc keeps its own sorted free list: setting up 100,000 holes costs
# it O(k^2) under callgrind, so it stops at 10,000.
SCALE_MAX = {"nano": 10000}


def scaled(a, k):
    return k <= SCALE_MAX.get(a, k)
SCALE_CG_OPS = 50  # allocs (and frees) per round under callgrind
SCALE_OPS = 200    # and timed natively
BIG_ROUNDS = 21
# callgrind counts each iteration of `rep stosb` as one instruction, which
# would make zeroing look like one instruction per byte: under callgrind,
# glibc's memset uses its vector loop instead.
CG_ENV = {"GLIBC_TUNABLES": "glibc.cpu.x86_rep_stosb_threshold=0x7fffffffffff"}


def sh(argv, env=None, timeout=600):
    """Runs argv, answers its stdout; stops the benchmark if it fails."""
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=timeout)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, argv))} failed ({r.returncode}):\n"
                 f"{r.stdout[-800:]}{r.stderr[-800:]}")
    return r.stdout


def fields(line):
    """The key=value pairs of one driver line, numbers as floats."""
    return {k: float(v) if re.fullmatch(r"[0-9.]+", v) else v
            for k, v in re.findall(r"(\w+)=(\S+)", line)}


def lines(out, tag):
    return [fields(l) for l in out.splitlines() if l.startswith(tag + " ")]


# --- callgrind -----------------------------------------------------------------

def cg_dump(path):
    """Total Ir of one callgrind dump, and the part spent in memset (its
    self cost: what zeroing took)."""
    names, fn, total, zero, skip = {}, "", 0, 0, False
    for l in path.read_text().splitlines():
        m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?$", l)
        if m:
            if m[3]:
                names[m[2]] = m[3]
            if not m[1]:
                fn = names.get(m[2], "")
            continue
        if l.startswith("calls="):
            skip = True  # the next cost line is the call's inclusive cost
        elif l and (l[0].isdigit() or l[0] in "+-*"):
            if not skip and "memset" in fn:
                zero += int(l.split()[1])
            skip = False
        elif l.startswith("totals:"):
            total = int(l.split()[1])
    return total, zero


def callgrind(out_dir, name, argv):
    """Runs argv under callgrind, counting only the driver's bench_do_*
    calls. Answers the driver's stdout and, per dump label, the last
    dump's (total Ir, memset Ir)."""
    base = out_dir / f"{name}.out"
    for old in out_dir.glob(f"{name}.out*"):
        old.unlink()
    out = sh(["valgrind", "--tool=callgrind", "--collect-atstart=no",
              "--toggle-collect=bench_do_*", f"--callgrind-out-file={base}"] + argv,
             env=CG_ENV, timeout=900)
    dumps = {}
    for p in sorted(out_dir.glob(f"{name}.out.*"), key=lambda p: int(p.suffix[1:])):
        m = re.search(r"^desc: Trigger: Client Request: (\S+)", p.read_text(), re.M)
        if m:
            dumps[m[1]] = cg_dump(p)
    return out, dumps


# --- the measurements ------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.dir = Path(args.dir).resolve()
        self.runs = args.runs
        self.jobs = os.cpu_count() or 1
        self.cg = self.dir / "cg"
        self.cg.mkdir(parents=True, exist_ok=True)
        (self.dir / "traces").mkdir(exist_ok=True)

    def bin(self, alloc):
        return str(self.dir / f"bench-{alloc}")

    def trace(self, w):
        return str(self.dir / "traces" / f"{w}.trace")

    def gen(self):
        """Writes the traces; answers [(name, description, ops)]."""
        ws = []
        for l in sh([str(self.dir / "gen"), "--list"]).splitlines():
            name, what = l.split("\t")
            text = sh([str(self.dir / "gen"), name])
            Path(self.trace(name)).write_text(text)
            ops = sum(1 for l in text.splitlines() if l and l[0] != "#")
            ws.append((name, what, ops))
        return ws

    def check_traces(self, ws):
        """Each trace must replay cleanly through build/host/replay (the
        checked build) in both modes alike, and both bench-heaplab builds must end
        at the break it reports."""
        for name, _, _ in ws:
            out = sh([str(REPO / "build/host/replay"), "--heap", str(1 << 30), self.trace(name)])
            if sh([str(REPO / "build/host/replay"), "--list", "--heap", str(1 << 30),
                   self.trace(name)]) != out:
                sys.exit(f"bench: {name}: replay --list differs from the index's replay")
            brk = int(re.search(r"^brk (0x[0-9a-f]+)$", out, re.M)[1], 16)
            for a in HEAPLABS:
                peak = lines(sh([self.bin(a), "foot", self.trace(name)]), "foot")[0]
                if int(peak["peak"]) != brk:
                    sys.exit(f"bench: {name}: bench-{a} peaks at {peak['peak']:.0f}, "
                             f"build/host/replay ends at brk {brk:#x}")

    def parallel(self, jobs):
        """Runs (key, fn) pairs on every core; answers {key: result}."""
        with concurrent.futures.ThreadPoolExecutor(self.jobs) as ex:
            futs = {k: ex.submit(f) for k, f in jobs}
            return {k: f.result() for k, f in futs.items()}

    def counts(self, ws):
        """Instructions under callgrind: per workload, per scale K, 1 MiB."""
        jobs = []
        for a in ALLOCS:
            for w, _, _ in ws:
                jobs.append(((a, w), lambda a=a, w=w: callgrind(
                    self.cg, f"{a}-{w}", [self.bin(a), "replay", self.trace(w)])))
            for k in filter(lambda k: scaled(a, k), SCALE_K):
                jobs.append(((a, "scale", k), lambda a=a, k=k: callgrind(
                    self.cg, f"{a}-scale{k}", [self.bin(a), "scale", str(k), str(SCALE_CG_OPS), "1"])))
            jobs.append(((a, "big"), lambda a=a: callgrind(
                self.cg, f"{a}-big", [self.bin(a), "big", "1"])))
        return self.parallel(jobs)

    def times(self, ws):
        """Native ns per operation: the median of self.runs processes, the
        allocators taking turns so that noise spreads over all of them."""
        ns = {}
        for _ in range(self.runs):
            for w, _, _ in ws:
                for a in ALLOCS:
                    r = lines(sh([self.bin(a), "replay", self.trace(w)]), "replay")[0]
                    ns.setdefault((a, w), []).append(r["ns"] / r["ops"])
        return {k: statistics.median(v) for k, v in ns.items()}

    def feet(self, ws):
        return {(a, w): lines(sh([self.bin(a), "foot", self.trace(w)]), "foot")[0]
                for a in ALLOCS for w, _, _ in ws}

    def scale_times(self):
        """Median ns per alloc and per free over rounds, per allocator and K."""
        res = {}
        for a in ALLOCS:
            for k in filter(lambda k: scaled(a, k), SCALE_K):
                argv = [self.bin(a), "scale", str(k), str(SCALE_OPS), str(2 * self.runs + 1)]
                rs = lines(sh(argv), "scale")
                res[(a, k)] = (statistics.median(r["alloc_ns"] for r in rs),
                               statistics.median(r["free_ns"] for r in rs))
        return res

    def big_times(self):
        res = {}
        for a in ALLOCS:
            rs = lines(sh([self.bin(a), "big", str(BIG_ROUNDS)]), "big")
            res[a] = {k: statistics.median(r[k] for r in rs)
                      for k in ("alloc_ns", "free_ns", "memset_ns")}
        return res


LEGEND = """Each allocator gets page-aligned requests and gives zeroed memory, as
heaplab does: glibc and jemalloc posix_memalign + memset, nano memalign +
memset (heaplab zeroes on free). heaplab is mem/ built with MEM_DEBUG=0,
three times: heaplab-index finds each first fit through the placement index (the
default), heaplab-list by the seed's list walk, heaplab-exact as
heaplab-index with the exact-free record on (heaplab_track: a free that is
not one live allocation refused); all place every block at the same address. heaplab and nano run over the same simulated break
(arch/host).

- Ir/op: instructions per operation (the trace's mix of allocs and frees)
  counted by callgrind inside the alloc and free calls only; "of it
  zeroing" is the part spent in memset. Under callgrind glibc's memset runs
  its vector loop, not `rep stosb` (which callgrind counts per byte).
- ns/op: wall time of one replay over its operations, median of {runs}
  processes; page faults included.
- peak footprint: heaplab (either) and nano: the highest break (bytes taken from the
  arena; it never shrinks); glibc: mallinfo2 arena + hblkhd (bytes it got
  through brk and mmap) and jemalloc: stats.resident, both sampled after
  every operation.
- overhead: peak footprint over peak live bytes (the bytes asked for).
- heaplab ÷ it: heaplab-index's figure over this allocator's; below 1,
  heaplab-index needs less."""


# --- the tables ------------------------------------------------------------------

def num(x, digits=0):
    return f"{x:,.{digits}f}"


def mib(b):
    return f"{b / (1 << 20):,.1f} MiB"


def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def workload_table(w, what, ops, cg, ns, foot, runs):
    """One workload: a row per allocator and heaplab's ratio to each."""
    ir = {a: cg[(a, w)][1]["replay"][0] / ops for a in ALLOCS}
    zero = {a: cg[(a, w)][1]["replay"][1] / ops for a in ALLOCS}
    peak = {a: foot[(a, w)]["peak"] for a in ALLOCS}
    rows = []
    for a in ALLOCS:
        f = foot[(a, w)]
        rows.append([a, num(ir[a]), num(zero[a]), num(ns[(a, w)]),
                     f"{mib(peak[a])} ({f['kind']})", f"{peak[a] / f['live']:.2f}",
                     ratio(ir[HL], ir[a]), ratio(ns[(HL, w)], ns[(a, w)]),
                     ratio(peak[HL], peak[a])])
    head = ["allocator", "Ir/op", "of it zeroing", f"ns/op (median of {runs})",
            "peak footprint", "overhead", "heaplab ÷ it: Ir", "ns", "peak"]
    live = foot[(HL, w)]["live"]
    ex = "heaplab-exact"
    cost = (f"\n\nThe exact-free record costs {ir[ex] - ir[HL]:,.0f} instructions per "
            f"operation here ({ratio(ir[ex], ir[HL])}x heaplab-index's Ir, "
            f"{ratio(ns[(ex, w)], ns[(HL, w)])}x its ns).")
    return (f"### {w}: {what}\n\n{ops:,} operations, peak live {mib(live)}.\n\n"
            + table(head, rows) + cost)


def scale_tables(cg, st):
    head = ["free blocks"] + [f"{a} {op}" for a in ALLOCS for op in ("alloc", "free")]
    ir_rows, ns_rows = [], []
    for k in SCALE_K:
        ir_rows.append([num(k)] + [num(cg[(a, "scale", k)][1][op][0] / SCALE_CG_OPS)
                                   if scaled(a, k) else "-"
                                   for a in ALLOCS for op in ("alloc", "free")])
        ns_rows.append([num(k)] + [num(st[(a, k)][i]) if scaled(a, k) else "-"
                                   for a in ALLOCS for i in (0, 1)])

    def both(a, k):  # alloc + free instructions, per pair
        d = cg[(a, "scale", k)][1]
        return (d["alloc"][0] + d["free"][0]) / SCALE_CG_OPS
    flat = both(HL, 10000) / both(HL, 100)
    vs_list = both("heaplab-list", 10000) / both(HL, 10000)
    summary = (f"\n\nheaplab-index, alloc + free with 10,000 free blocks over the same with "
               f"100: {flat:.2f}x (target: at most 1.5x); the list walk over the index at "
               f"10,000: {vs_list:,.1f}x (target: at least 20x).")
    return (f"### Free-list length\n\nk one-page holes between live pages, then rounds of "
            f"{SCALE_OPS} allocs of 2 pages (fitting no hole) and their frees, oldest first. "
            f"Zeroing 8 KiB is in every figure: the peers zero at alloc, heaplab at free. "
            f"nano stops at 10,000 (its setup is quadratic under callgrind).\n\n"
            f"Instructions per operation (callgrind, a round of {SCALE_CG_OPS} after a warm-up "
            f"round):\n\n"
            + table(head, ir_rows)
            + "\n\nns per operation (median of rounds):\n\n" + table(head, ns_rows) + summary)


def big_table(cg, bt):
    rows = [["memset 1 MiB (no allocator)", num(cg[(HL, "big")][1]["memset"][0]),
             num(bt[HL]["memset_ns"])]]
    for a in ALLOCS:
        for op in ("alloc", "free"):
            what = "alloc 1 MiB" + (" + memset" if a not in HEAPLABS else "")
            rows.append([f"{a} {what if op == 'alloc' else 'free 1 MiB'}",
                         num(cg[(a, "big")][1][op][0]), num(bt[a][op + "_ns"])])
    return ("### 1 MiB\n\nOne 1 MiB block allocated and freed again and again (after a "
            "warm-up round). heaplab zeroes on free, the peers zero after alloc.\n\n"
            + table(["operation", "Ir", f"ns (median of {BIG_ROUNDS})"], rows))


def machine():
    def first(argv, pat=None):
        try:
            out = subprocess.run(argv, capture_output=True, text=True).stdout
        except OSError:
            return "?"
        m = re.search(pat, out, re.M) if pat else None
        return (m[1] if m else out.splitlines()[0] if out else "?").strip()
    cpu = first(["lscpu"], r"^Model name:\s*(.*)$")
    return (f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}; "
            f"{first(['gcc', '--version'])}; glibc {platform.libc_ver()[1]}; "
            f"jemalloc {first(['dpkg-query', '-W', '-f=${Version}', 'libjemalloc2'])}; "
            f"newlib 3.3.0 nano-mallocr.c; {first(['valgrind', '--version'])}")


def stage(t0, what):
    print(f"bench: {time.time() - t0:4.0f} s  {what}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", default="build/bench")
    ap.add_argument("--md", default="build/bench.md")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    ap.add_argument("--no-qemu", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    b = Bench(args)
    ws = b.gen()
    b.check_traces(ws)
    stage(t0, "traces written and checked")
    cg = b.counts(ws)
    stage(t0, "callgrind runs done")
    ns, foot = b.times(ws), b.feet(ws)
    stage(t0, "workloads timed")
    st, bt = b.scale_times(), b.big_times()
    stage(t0, "free-list and 1 MiB experiments timed")
    parts = ["## heaplab benchmark", f"Machine: {machine()}.", LEGEND.format(runs=b.runs)]
    parts += [workload_table(w, what, ops, cg, ns, foot, b.runs) for w, what, ops in ws]
    parts += [scale_tables(cg, st), big_table(cg, bt)]
    parts.append(small.section(b.dir, callgrind, table, b.parallel))
    parts.append(objects.report(b.dir, b.runs, b.parallel, lambda what: stage(t0, what)))
    if not args.no_qemu:
        parts.append(qemu.section(REPO, b.dir, b.trace("random-pages"), table))
        parts.append(irqoff.section(REPO, table))
        parts.append(smp.section(table))
    parts.append(f"Run took {time.time() - t0:.0f} s.")
    md = "\n\n".join(parts) + "\n"
    Path(args.md).write_text(md)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
