#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench's small-object part (also alone: make bench-objects): heaplab's
objects layer, as programs run it (build/host/libheaplab.so, LD_PRELOAD),
against glibc, jemalloc, mimalloc, tcmalloc (each preloaded too) and newlib's
nano-malloc (build/bench/objbench-nano) on the workloads of
bench/objbench.c; then real programs (tests/realprogs.py) on heaplab and on
glibc. Prints markdown with the goals' lines. Standard library only."""
import argparse
import collections
import math
import os
import re
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
# Each real program runs in pairs, one run on glibc and one on heaplab,
# the first of a pair alternating (glibc first, then heaplab first): at
# least PROGRAM_PAIRS pairs, more while its runs have taken less than
# PROGRAM_BUDGET seconds, at most PROGRAM_MAX_PAIRS; one pair before them
# is not counted (the files and libraries come into the page cache). On a
# machine shared with other work a run's wall time swings by a fifth and
# more: the median of many runs, the two allocators' runs side by side in
# time, is what a load that comes and goes leaves least touched.
PROGRAM_PAIRS = 11
PROGRAM_BUDGET = 4.0
PROGRAM_MAX_PAIRS = 41
# A program's figures: median wall seconds on glibc and on heaplab, the
# same output on both (every run), median CPU seconds (user and system),
# median minor page faults, and the pairs run. Positions 0-4 as before.
Prog = collections.namedtuple("Prog", "glibc heaplab same glibc_cpu heaplab_cpu glibc_faults "
                              "heaplab_faults pairs", defaults=(None,) * 5)


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

    def run_program(self, alloc, argv, env, stdin, work):
        """One run of a real program: (wall s, user s, system s, minor faults,
        stdout). Its input and output are files, and its own resource use
        comes from wait4, so that nothing of this process is timed but the
        start and the wait."""
        out, err = work / "run.out", work / "run.err"
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as i, \
                open(out, "wb") as o, open(err, "wb") as e:
            t0 = time.monotonic()
            p = subprocess.Popen(argv, stdin=i, stdout=o, stderr=e, cwd=work,
                                 env=self.env(alloc, dict(env, LC_ALL="C")))
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        if p.returncode != 0:
            fail(f"{' '.join(argv)} ({alloc}) exited {p.returncode}: "
                 f"{err.read_text(errors='replace')[-400:]!r}")
        return wall, ru.ru_utime, ru.ru_stime, ru.ru_minflt, out.read_bytes()

    def time_program(self, argv, env, stdin, work, pairs=PROGRAM_PAIRS, budget=PROGRAM_BUDGET,
                     max_pairs=PROGRAM_MAX_PAIRS):
        """Runs argv in pairs (PROGRAM_PAIRS), glibc and heaplab taking turns
        to go first: a Prog of the medians, and the order the runs went in."""
        runs = {"glibc": [], "heaplab": []}
        outs, order = set(), []
        self.run_program("glibc", argv, env, stdin, work)  # not counted
        self.run_program("heaplab", argv, env, stdin, work)
        while len(runs["glibc"]) < max_pairs and (
                len(runs["glibc"]) < pairs or
                sum(r[0] for rs in runs.values() for r in rs) < budget):
            first = ("glibc", "heaplab") if len(runs["glibc"]) % 2 == 0 else ("heaplab", "glibc")
            for a in first:
                r = self.run_program(a, argv, env, stdin, work)
                runs[a].append(r[:4])
                outs.add((a, r[4]))
                order.append(a)

        def med(a, k):
            return statistics.median(r[k] for r in runs[a])

        same = len({o for _, o in outs}) == 1
        return Prog(med("glibc", 0), med("heaplab", 0), same,
                    med("glibc", 1) + med("glibc", 2), med("heaplab", 1) + med("heaplab", 2),
                    med("glibc", 3), med("heaplab", 3), len(runs["glibc"])), order

    def programs(self, stage):
        """Real programs, plainly and on heaplab, in pairs (time_program):
        {name: Prog}. CPU: the child's user and system time, which a loaded
        machine's waits for a core leave out and wall time keeps."""
        work = self.dir / "programs"
        work.mkdir(exist_ok=True)
        res = {}
        for name, argv, env, stdin in realprogs.programs(REPO, work):
            inp = None
            if stdin is not None:
                inp = work / "stdin"
                inp.write_bytes(stdin)
            res[name], _ = self.time_program(argv, env, inp, work)
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
        rows = [[n, str(p.pairs), f"{p.glibc:.3f} s", f"{p.heaplab:.3f} s",
                 f"{p.heaplab / p.glibc:.2f}", f"{p.glibc_cpu:.3f} s", f"{p.heaplab_cpu:.3f} s",
                 f"{p.heaplab_cpu / p.glibc_cpu:.2f}" if p.glibc_cpu > 0 else "-",
                 f"{p.glibc_faults:,.0f}", f"{p.heaplab_faults:,.0f}", "yes" if p.same else "NO"]
                for n, p in progs.items()]
        parts.append("### Real programs\n\nThe programs tests/test_objects.py runs (their "
                     "inputs in tests/realprogs.py), plainly and with "
                     "LD_PRELOAD=build/host/libheaplab.so, in pairs of runs, glibc and "
                     "heaplab taking turns to go first: at least "
                     f"{PROGRAM_PAIRS} pairs, more for a short program (until its runs "
                     f"have taken {PROGRAM_BUDGET:.0f} s, at most {PROGRAM_MAX_PAIRS} pairs), "
                     "after one pair not counted. Each figure is the median of its runs: wall "
                     "time of the process, its CPU time (user and system: on a loaded "
                     "machine, wall time also counts the waits for a core) and its minor "
                     "page faults (getrusage of the child).\n\n"
                     + table(["program", "pairs", "glibc", "heaplab", "heaplab ÷ glibc",
                              "glibc CPU", "heaplab CPU", "CPU ÷", "glibc faults",
                              "heaplab faults", "same output"], rows))
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
