#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench's small-object part (also alone: make bench-objects): heaplab's
objects layer, as programs run it (build/host/libheaplab.so, LD_PRELOAD),
against glibc, jemalloc, mimalloc, tcmalloc (each preloaded too) and newlib's
nano-malloc (build/bench/objbench-nano) on the workloads of
bench/objbench.c; then real programs (tests/realprogs.py) on heaplab and on
glibc. Prints markdown with the goals' lines. Standard library only."""
import argparse
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import realprogs  # noqa: E402 (the programs tests/test_objects.py runs)

ALLOCS = ["heaplab", "glibc", "jemalloc", "mimalloc", "tcmalloc", "nano"]
# what each preloads: heaplab's library, or a Debian package's (tools/deps.sh bench)
SONAMES = {"jemalloc": "libjemalloc.so.2", "mimalloc": "libmimalloc.so.2",
           "tcmalloc": "libtcmalloc_minimal.so.4"}
OPS = 1_000_000  # allocator calls per workload
# callgrind counts each iteration of `rep stosb` as one instruction: under
# callgrind, glibc's memset uses its vector loop instead (as bench/run.py).
CG_ENV = {"GLIBC_TUNABLES": "glibc.cpu.x86_rep_stosb_threshold=0x7fffffffffff"}
LINE = re.compile(r"^objbench workload=(\S+) build=\S+ ops=(\d+) ns=(\d+) rss_base=(\d+) "
                  r"rss_peak=(\d+) live_peak=(\d+) sum=([0-9a-f]+)$", re.M)
# The goals (issue 23), as make bench judges them.
GOAL_IR_GLIBC = 1.0
GOAL_GEOMEAN_MIMALLOC = 1.25
GOAL_FOOT_GLIBC = 1.25
GOAL_PROGRAMS = 1.1
PROGRAM_RUNS = 3  # at most: the six programs take a few seconds each


def fail(msg):
    sys.exit(f"bench: {msg}")


def shared_lib(soname):
    """The path ld.so would load soname from (ldconfig's cache), or None."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    m = re.search(rf"^\s*{re.escape(soname)} \(libc6,x86-64[^)]*\) => (\S+)$", out, re.M)
    return m[1] if m else None


class Objects:
    def __init__(self, bench_dir, runs, ops=OPS, allocs=ALLOCS):
        self.dir = Path(bench_dir).resolve()
        self.runs, self.ops, self.allocs = runs, ops, list(allocs)
        self.cg = self.dir / "cg"
        self.cg.mkdir(parents=True, exist_ok=True)
        self.lib = REPO / "build" / "host" / "libheaplab.so"
        self.preload = {"heaplab": str(self.lib), "glibc": None, "nano": None}
        for a, so in SONAMES.items():
            if a in self.allocs:
                self.preload[a] = shared_lib(so)
                if self.preload[a] is None:
                    fail(f"no {so} for {a} (tools/deps.sh bench installs it)")
        need = [self.dir / "objbench"] + [self.lib] * ("heaplab" in self.allocs) \
            + [self.dir / "objbench-nano"] * ("nano" in self.allocs)
        for p in need:
            if not p.exists():
                fail(f"no {p} (make bench-build)")
        self.workloads = [tuple(l.split("\t")) for l in
                          self.run_raw(["--list"], None).splitlines()]

    def argv(self, alloc, workload):
        prog = "objbench-nano" if alloc == "nano" else "objbench"
        return [str(self.dir / prog), workload, str(self.ops)]

    def env(self, alloc, extra=None):
        e = dict(os.environ, **(extra or {}))
        e.pop("LD_PRELOAD", None)
        if self.preload[alloc]:
            e["LD_PRELOAD"] = self.preload[alloc]
        return e

    def run_raw(self, args, alloc, prefix=(), extra=None):
        argv = list(prefix) + [str(self.dir / "objbench")] + args if alloc is None \
            else list(prefix) + args
        r = subprocess.run(argv, capture_output=True, text=True, timeout=1800,
                           env=self.env(alloc or "glibc", extra))
        if r.returncode != 0:
            fail(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout[-800:]}{r.stderr[-800:]}")
        return r.stdout

    def run(self, alloc, workload, prefix=(), extra=None):
        """One run: {ops, ns, base, hwm (RSS bytes at main, highest), live, sum}."""
        out = self.run_raw(self.argv(alloc, workload), alloc, prefix, extra)
        m = LINE.search(out)
        if m is None or m[1] != workload:
            fail(f"objbench {workload} ({alloc}) printed no result line:\n{out[-800:]}")
        return {"ops": int(m[2]), "ns": int(m[3]), "base": int(m[4]), "hwm": int(m[5]),
                "live": int(m[6]), "sum": m[7]}

    def proven(self, alloc, workload):
        """For heaplab, one run with HEAPLAB_STATS: the library's count line
        shows that the calls reached it (a preload that did not load cannot
        pass for heaplab)."""
        if alloc != "heaplab":
            return
        stats = self.cg / "heaplab-stats"
        stats.unlink(missing_ok=True)
        r = self.run(alloc, workload, extra={"HEAPLAB_STATS": str(stats)})
        m = re.search(r"^heaplab: pid \d+: (\d+) allocations, (\d+) frees, ",
                      stats.read_text() if stats.exists() else "", re.M)
        if m is None or int(m[1]) + int(m[2]) < r["ops"] // 2:
            fail(f"objbench {workload} under {self.lib}: no heaplab count line, or too few calls")

    def callgrind(self, alloc, workload):
        """Instructions inside ob_malloc, ob_realloc and ob_free, per call."""
        out = self.cg / f"obj-{alloc}-{workload}.out"
        r = self.run(alloc, workload, prefix=[
            "valgrind", "--tool=callgrind", "--collect-atstart=no",
            "--toggle-collect=ob_*", f"--callgrind-out-file={out}"], extra=CG_ENV)
        m = re.search(r"^totals: (\d+)", out.read_text(), re.M)
        if m is None:
            fail(f"{out}: no totals line")
        return int(m[1]) / r["ops"]

    def measure(self, parallel, stage):
        """{(alloc, workload): {ir, ns, peak, live, sum, ops}}: callgrind's
        count, then the median ns/op and peak RSS of self.runs native runs,
        the allocators taking turns so that noise spreads over all of them."""
        ws = [w for w, _ in self.workloads]
        for a in self.allocs:
            for w in ws:
                self.proven(a, w)
        # the slowest first (nano on mixed: its free list is long), so that
        # the others fill the other CPUs meanwhile
        order = sorted(self.allocs, key=lambda a: a != "nano")
        ir = parallel([((a, w), lambda a=a, w=w: self.callgrind(a, w))
                       for a in order for w in ws])
        stage("small-object workloads: callgrind runs done")
        runs = {}
        for _ in range(self.runs):
            for w in ws:
                for a in self.allocs:
                    runs.setdefault((a, w), []).append(self.run(a, w))
        stage("small-object workloads timed")
        res = {}
        for (a, w), rs in runs.items():
            if len({(r["sum"], r["ops"]) for r in rs + runs[("glibc", w)]}) != 1:
                fail(f"objbench {w}: {a} made other calls than glibc (sum= or ops= differ)")
            # the program's own pages: its RSS at main with no malloc preloaded
            own = statistics.median(r["base"] for r in runs[("nano" if a == "nano" else "glibc", w)])
            res[(a, w)] = {"ir": ir[(a, w)], "ops": rs[0]["ops"],
                           "ns": statistics.median(r["ns"] / r["ops"] for r in rs),
                           "peak": statistics.median(r["hwm"] for r in rs) - own,
                           "init": statistics.median(r["base"] for r in rs) - own,
                           "live": statistics.median(r["live"] for r in rs)}
        return res

    def programs(self, stage):
        """Real programs, plainly and on heaplab, taking turns: {name:
        (median s plain, median s heaplab, same output, median CPU s plain,
        median CPU s heaplab)}. CPU: the child's user and system time, which
        a loaded machine's waits for a core leave out and wall time keeps."""
        work = self.dir / "programs"
        work.mkdir(exist_ok=True)
        res = {}
        for name, argv, env, stdin in realprogs.programs(REPO, work):
            t = {"glibc": [], "heaplab": []}
            cpu = {"glibc": [], "heaplab": []}
            outs = {}
            for _ in range(min(self.runs, PROGRAM_RUNS)):
                for a in t:
                    u0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
                    r = subprocess.run(argv, input=stdin, capture_output=True, cwd=work,
                                       timeout=600, env=self.env(a, dict(env, LC_ALL="C")))
                    t[a].append(time.monotonic() - t0)
                    u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu[a].append(u1.ru_utime - u0.ru_utime + u1.ru_stime - u0.ru_stime)
                    if r.returncode != 0:
                        fail(f"{name} ({a}) exited {r.returncode}: {r.stderr[-400:]!r}")
                    outs.setdefault(a, set()).add(r.stdout)
            res[name] = (statistics.median(t["glibc"]), statistics.median(t["heaplab"]),
                         outs["glibc"] == outs["heaplab"] and len(outs["glibc"]) == 1,
                         statistics.median(cpu["glibc"]), statistics.median(cpu["heaplab"]))
        stage("real programs timed")
        return res


# --- the report ----------------------------------------------------------------

def met(ok):
    return "met" if ok else "NOT met"


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def mib(b):
    return "-" if b is None else f"{b / (1 << 20):,.2f} MiB"


def workload_rows(w, res):
    rows = []
    g = res[("glibc", w)]
    for a in ALLOCS:
        r = res[(a, w)]
        rows.append([a, f"{r['ir']:,.0f}", f"{r['ns']:,.1f}", mib(r["peak"]), mib(r["init"]),
                     f"{r['peak'] / r['live']:.2f}" if r["peak"] else "-",
                     f"{r['ir'] / g['ir']:.2f}", f"{r['ns'] / g['ns']:.2f}",
                     f"{r['peak'] / g['peak']:.2f}" if r["peak"] and g["peak"] else "-"])
    return rows


def goals(ws, res, progs):
    """The goals' lines: what was measured and whether each is met."""
    hl = {w: res[("heaplab", w)] for w in ws}
    gl = {w: res[("glibc", w)] for w in ws}
    ir = [f"{w} {hl[w]['ir']:,.0f} vs {gl[w]['ir']:,.0f}" for w in ws]
    ir_ok = all(hl[w]["ir"] <= GOAL_IR_GLIBC * gl[w]["ir"] for w in ws)
    gh = geomean([hl[w]["ir"] for w in ws])
    gm = geomean([res[("mimalloc", w)]["ir"] for w in ws])
    foot = [(w, hl[w]["peak"] / gl[w]["peak"]) if hl[w]["peak"] and gl[w]["peak"] else (w, None)
            for w in ws]
    foot_ok = all(f is not None and f <= GOAL_FOOT_GLIBC for _, f in foot)
    lines = [
        f"- instr/op at most glibc's on every small-object workload: {'; '.join(ir)}: "
        f"**{met(ir_ok)}**",
        f"- instr/op geometric mean within {GOAL_GEOMEAN_MIMALLOC}x of mimalloc's: heaplab "
        f"{gh:,.0f}, mimalloc {gm:,.0f}, {gh / gm:.2f}x: "
        f"**{met(gh <= GOAL_GEOMEAN_MIMALLOC * gm)}**",
        f"- peak footprint (RSS) at most {GOAL_FOOT_GLIBC}x glibc's on every workload: "
        + "; ".join(f"{w} {f:.2f}x" if f is not None else f"{w} not measured" for w, f in foot)
        + f": **{met(foot_ok)}**",
    ]
    if progs:
        same = all(p[2] for p in progs.values())
        slow = {n: p[1] / p[0] for n, p in progs.items()}
        lines += [
            f"- real programs under LD_PRELOAD print the same as on glibc: "
            f"**{met(same)}**" + ("" if same else " (differ: " + ", ".join(
                n for n, p in progs.items() if not p[2]) + ")"),
            f"- real programs' wall time within {GOAL_PROGRAMS}x of glibc's: "
            + "; ".join(f"{n} {r:.2f}x" for n, r in slow.items())
            + f": **{met(all(r <= GOAL_PROGRAMS for r in slow.values()))}**",
        ]
        cpu = {n: p[4] / p[3] for n, p in progs.items() if len(p) > 4 and p[3] > 0}
        if cpu:
            lines.append("  (their CPU time, which leaves out the waits for a core: "
                         + "; ".join(f"{n} {r:.2f}x" for n, r in cpu.items()) + ")")
    return lines


def versions():
    def pkg(p):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                           text=True)
        return r.stdout.strip() or "?"
    return (f"jemalloc {pkg('libjemalloc2')}, mimalloc {pkg('libmimalloc2.0')}, "
            f"tcmalloc {pkg('libtcmalloc-minimal4')}, newlib 3.3.0 nano-mallocr.c")


def section(o, res, progs, runs):
    ws = [w for w, _ in o.workloads]
    head = ["allocator", "Ir/op", f"ns/op (median of {runs})", "peak RSS", "of it before main",
            "over live",
            "÷ glibc: Ir", "ns", "peak"]
    parts = ["## Small objects",
             f"heaplab's objects layer as programs run it: build/host/libheaplab.so "
             f"preloaded (LD_PRELOAD), as are jemalloc, mimalloc and tcmalloc (Debian's "
             f"libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4); glibc is the C library's "
             f"own malloc; nano is newlib's nano-mallocr.c built for the host over a break "
             f"of its own, behind a lock once threads start (bench/obj-nano.c). One program, "
             f"bench/objbench.c, makes the same {o.ops:,} or so seeded calls of malloc, "
             f"realloc and free on each (the runs' digests are compared), touching every page "
             f"of every object and checking a tag in each before it is freed. "
             f"Versions: {versions()}.\n\n"
             f"- Ir/op: instructions per call inside malloc, realloc and free, counted by "
             f"callgrind (--toggle-collect=ob_*; every thread); glibc's memset runs its "
             f"vector loop under callgrind, not `rep stosb`.\n"
             f"- ns/op: wall time of the whole workload (the program's own work on each "
             f"object included, the same for all) over its calls, median of {runs} runs; "
             f"xthread's runs four threads on {os.cpu_count()} CPUs.\n"
             f"- peak RSS: the process's highest resident set (VmHWM, read at the end) less "
             f"the resident set the same program has as main starts with no malloc preloaded "
             f"(glibc's runs; nano's own): every page the allocator touched, its code, its "
             f"setup before main and its metadata included; median of the runs. \"of it "
             f"before main\" is the part already resident as main starts (the allocator's "
             f"code and setup). \"over live\" divides peak RSS by the highest sum of bytes "
             f"asked for and not yet freed."]
    for w, what in o.workloads:
        ops = res[("glibc", w)]["ops"]
        live = res[("glibc", w)]["live"]
        parts.append(f"### {w}: {what}\n\n{ops:,} calls, peak live {mib(live)}.\n\n"
                     + table(head, workload_rows(w, res)))
    if progs:
        rows = [[n, f"{g:.3f} s", f"{h:.3f} s", f"{h / g:.2f}", f"{gc:.3f} s", f"{hc:.3f} s",
                 f"{hc / gc:.2f}" if gc > 0 else "-", "yes" if s else "NO"]
                for n, (g, h, s, gc, hc) in progs.items()]
        parts.append("### Real programs\n\nThe programs tests/test_objects.py runs (their "
                     "inputs in tests/realprogs.py), plainly and with "
                     "LD_PRELOAD=build/host/libheaplab.so, taking turns; wall time of the "
                     f"process, median of {min(runs, PROGRAM_RUNS)} runs each, and its CPU "
                     "time (user and system: on a loaded machine, wall time also counts "
                     "the waits for a core).\n\n"
                     + table(["program", "glibc", "heaplab", "heaplab ÷ glibc", "glibc CPU",
                              "heaplab CPU", "CPU ÷", "same output"], rows))
    parts.append("### Goals (small objects)\n\n" + "\n".join(goals(ws, res, progs)))
    return "\n\n".join(parts)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def report(bench_dir, runs, parallel, stage, ops=OPS, programs=True):
    """Runs it all; answers the markdown."""
    o = Objects(bench_dir, runs, ops)
    res = o.measure(parallel, stage)
    progs = o.programs(stage) if programs else {}
    return section(o, res, progs, runs)


def main():
    import concurrent.futures
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", default="build/bench")
    ap.add_argument("--md", default="build/bench-objects.md")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    ap.add_argument("--ops", type=int, default=OPS, help="allocator calls per workload")
    ap.add_argument("--no-programs", action="store_true", help="skip the real programs")
    args = ap.parse_args()
    t0 = time.time()

    def parallel(jobs):
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as ex:
            futs = {k: ex.submit(f) for k, f in jobs}
            return {k: f.result() for k, f in futs.items()}

    def stage(what):
        print(f"bench: {time.time() - t0:4.0f} s  {what}", file=sys.stderr, flush=True)

    md = report(args.dir, args.runs, parallel, stage, args.ops, not args.no_programs)
    md += f"\n\nRun took {time.time() - t0:.0f} s.\n"
    Path(args.md).write_text(md)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
