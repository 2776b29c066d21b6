#!/usr/bin/python3
# The graders of the allocator labs (docs/lab), in the manner of 6.1810's
# grade scripts: builds the host programs with the student's file in place
# of one of mem/'s, runs them, and prints a score per part, then the total.
"""The labs, their parts, and what scores them (--lab NAME)

free (lab 3): the student's mem_freel, in place of mem/free.c
  free: address order, coalescing, zeroing, refusals and accounting
      lab/grade_free.c: one case per rule, each from a hand-built heap, so
      that a free that forgets to merge loses the coalescing points and one
      that forgets to zero loses the zeroing points, and no others here.
  unit tests          tests/host/test_mem.c (cmocka), every test
  differential test   tests/host/test_diff.c: random operations against a
                      model, the full check after each
  sample traces       each TRACES/NAME.trace through the replay with --check
                      must print exactly NAME.expected

alloc (lab 6): the student's mem_allocl (the list walk), in place of mem/alloc.c
  alloc: first fit, exact fit, carving, sbrk, zeroing, nil on exhaustion
      lab/grade_alloc.c: one case per rule, from hand-built heaps
  unit tests, differential test, sample traces: as for free
  random traces       seeded random traces (written to BUILD/random/), each
                      through the replay with --check, must print what the
                      reference (mem/ as it is, BUILD/replay-ref) prints

index (lab 7): the student's mem_index_fit, in place of mem/fit.c
  index: first fit, the list predecessor, nodes visited per search
      lab/grade_index.c: trees built by the reference free, searched for
      every size; with 10,000 free blocks a search may visit at most
      2*height+2 nodes, counted (the pages it reads), not timed
  sample traces, random traces, differential test: as above, through the
      placement index (the lab's programs use it, as every build but the
      free and alloc labs' does)

A part scores its points times the fraction of its cases that pass; the
points add up to 100, and the score is always out of 100. A part whose
program does not build, or that cannot run (no sample traces), scores 0.
Each part has a timeout of its own, in seconds; and each lab program stops
itself when one heaplab_alloc or heaplab_free takes more than a second of CPU time
(lab/labrt.c), so a loop fails its part in seconds, with a `looped:` line.
Exit status: 0 for full marks, 1 otherwise, 2 for bad arguments (an
unknown lab, a missing file)."""

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAP_ARGS = {"oom-106": ["--heap", "4194304"]}  # as its .expected was made
SHOW = 5  # failures shown per part
LOOPED = 99  # the exit status of a lab program stopped for looping (lab/labrt.h)
LOOP_MSG = "looped: "  # how its message starts


class Part:
    """A part of a lab: its name, points, timeout, the programs it needs
    built, and how to run it (run(grader, secs) -> passed, total, failures)."""

    def __init__(self, name, points, secs, programs, run):
        self.name, self.points, self.secs = name, points, secs
        self.programs, self.run = programs.split(), run


def run(cmd, timeout, merge=True):
    """Runs cmd; answers (status or None on timeout, stdout, stderr), with
    stderr in stdout if merge. Leak reports are off: the programs' own
    small leaks at exit are not the student's."""
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    timeout = max(timeout, 1)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, errors="replace", env=env,
                           stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr or ""
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        return None, out or "", ""


def looped(status, out):
    """The program's own `looped:` line, if it stopped itself for looping."""
    m = re.search(rf"^.*{LOOP_MSG}.*$", out, re.M)
    if m:
        return m[0][m[0].index(LOOP_MSG):].strip()
    return f"{LOOP_MSG}stopped for looping" if status == LOOPED else None


def stopped(status, out, secs):
    """Why a program stopped early: it looped, or its part timed out."""
    if status is None:
        return f"timed out: the part's {secs} s are up"
    return looped(status, out) or f"stopped: {last_line(out)}"


def cases(program, part):
    """A part of a part-check program (lab/grade_*.c): (passed, total, failures)."""
    def go(g, secs):
        status, out, _ = run([str(g.bin(program)), part], secs)
        found = re.findall(r"^(\w+/\S+): (.*)$", out, re.M)
        bad = [f"{c}: {why}" for c, why in found if why != "ok"]
        done = re.search(r"^\d+ passed, \d+ failed$", out, re.M)
        if not done:
            bad.append(stopped(status, out, secs))
        return len(found) - len(bad) + (not done), len(found) + (not done), bad
    return go


def unit_tests(g, secs):
    status, out, _ = run([str(g.bin("test_mem"))], secs)
    m = re.search(r"Running (\d+) test", out)
    total = int(m.group(1)) if m else 1
    passed, bad, test, why = 0, [], None, None
    for s in out.splitlines():
        m = re.match(r"\[\s*(RUN|OK|FAILED|ERROR)\s*\] (\w+)$", s)
        if m and m.group(1) == "RUN":
            test, why = m.group(2), None
        elif m and m.group(2) == test:
            passed += m.group(1) == "OK"
            if m.group(1) != "OK":
                bad.append(f"{test}: {why or 'failed'}")
            test = None
        elif test is not None and why is None and not s.startswith("["):
            why = s.strip()[:160]
    if passed + len(bad) < total:
        where = f" in {test}" if test else ""
        bad.append(f"stopped after {passed + len(bad)} of {total} tests{where}: "
                   f"{stopped(status, out, secs)}")
    return passed, total, bad


def diff_test(g, secs):
    status, out, _ = run([str(g.bin("test_diff"))], secs)
    ok = re.findall(r"^ok ", out, re.M)
    bad = re.findall(r"^FAIL (.*)$", out, re.M)
    m = re.search(r"^(\d+) passed, (\d+) failed$", out, re.M)
    if m:
        return int(m.group(1)), int(m.group(1)) + int(m.group(2)), bad
    return len(ok), len(ok) + len(bad) + 1, bad + [stopped(status, out, secs)]


def replays(g, secs, runs, want):
    """Each (name, trace, args) of runs through the student's replay with
    --check; want(name, trace, args) is the output it must print. The first
    that loops or runs out of the part's time ends the part (the rest count
    as failed)."""
    names = [name for name, _, _ in runs]
    bad, end = [], time.monotonic() + secs
    for i, (name, trace, args) in enumerate(runs):
        status, out, err = run([str(g.bin("replay")), "--check"] + args + [str(trace)],
                               end - time.monotonic(), merge=False)
        why = (stopped(status, err, secs) if status is None or looped(status, err) else
               compare(out, want(name, trace, args), status))
        if why:
            bad.append(f"{name}: {why}" + (f" (stderr: {last_line(err)})"
                                           if err and LOOP_MSG not in why else ""))
        if status is None or looped(status, err):
            bad += [f"{rest}: not run" for rest in names[i + 1:]]
            break
    return len(names) - len(bad), len(names), bad


def traces(g, secs):
    """Each sample trace must print its NAME.expected."""
    names = sorted(p.stem for p in g.traces.glob("*.trace")
                   if p.with_suffix(".expected").exists())
    runs = [(name, g.traces / f"{name}.trace", HEAP_ARGS.get(name, [])) for name in names]
    return replays(g, secs, runs, lambda name, trace, args:
                   (g.traces / f"{name}.expected").read_text())


# The random traces: name, seed, operations, replay arguments, and a size
# mix (seeded random, page = the granule) answering an allocation's size.
RANDOM = [
    ("random-pages", 1, 1500, [], lambda r, page: page * r.randint(1, 8)),
    ("random-bytes", 2, 1500, [], lambda r, page: r.randint(1, 6 * page)),
    ("random-edges", 3, 1500, [], lambda r, page: page * r.randint(1, 4) + r.randint(-1, 1)),
    ("random-bigsmall", 4, 1500, [], lambda r, page: page * (r.randint(16, 64) if
                                                             r.random() < 0.05 else 1)),
    ("random-oom", 5, 1500, ["--heap", "262144"], lambda r, page: page * r.randint(1, 8)),
    ("random-page64", 6, 2000, ["--page", "64", "--heap", "1048576"],
     lambda r, page: r.randint(1, 6 * page)),
    ("random-fragment", 7, 2500, [], None),
]


def random_trace(seed, ops, page, mix):
    """A random trace: allocations from mix and frees of live IDs, at most
    60 live at once; mix None fragments the heap first (300 one-page
    blocks, every other freed) and then allocates 1 to 3 pages."""
    r, live, lines, k = random.Random(seed), [], [], 0
    if mix is None:
        lines = [f"alloc f{i} {page}" for i in range(300)]
        lines += [f"free f{i}" for i in range(0, 300, 2)]
        mix = lambda r, page: page * r.randint(1, 3)  # noqa: E731
    while len(lines) < ops:
        if live and (len(live) >= 60 or r.random() < 0.45):
            lines.append(f"free {live.pop(r.randrange(len(live)))}")
        else:
            k += 1
            live.append(f"r{k}")
            lines.append(f"alloc r{k} {max(1, mix(r, page))}")
    return "".join(s + "\n" for s in lines)


def random_traces(g, secs):
    """Each random trace must print what the reference prints."""
    folder = g.build / "random"
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for name, seed, ops, args, mix in RANDOM:
        page = int(args[args.index("--page") + 1]) if "--page" in args else 4096
        trace = folder / f"{name}.trace"
        trace.write_text(random_trace(seed, ops, page, mix))
        runs.append((name, trace, args))

    def want(name, trace, args):
        status, out, err = run([str(g.bin("replay-ref")), "--check"] + args + [str(trace)],
                               secs, merge=False)
        return out if status in (0, 1) else f"(the reference failed: {last_line(err)})"
    passed, total, bad = replays(g, secs, runs, want)
    if bad:
        bad.insert(0, f"the traces are in {folder}: replay one with {g.bin('replay')} --check")
    return passed, total, bad


def compare(got, want, status):
    """Says how a replay's output differs from the expected one, or None."""
    g, w = got.splitlines(), want.splitlines()
    g, w = g + ["(end)"] * (len(w) - len(g)), w + ["(end)"] * (len(g) - len(w))
    for i, (a, b) in enumerate(zip(g, w), 1):
        if a != b:
            return f"line {i}: got '{a}', want '{b}'"
    return None


def last_line(out):
    lines = [s for s in out.splitlines() if s.strip()]
    return lines[-1][:160] if lines else "no output"


# Each lab's parts: name, points, timeout in seconds (a few times what the
# reference takes on a loaded 2-core machine), programs, how to run it.
UNIT = Part("unit tests (tests/host/test_mem.c)", 15, 30, "test_mem", unit_tests)
DIFF = ("differential test (tests/host/test_diff.c)", 240, "test_diff", diff_test)
TRACES = ("sample traces (replay --check)", 30, "replay", traces)
RANDOMS = ("random traces against the reference", 90, "replay replay-ref", random_traces)


def part(spec, points):
    name, secs, programs, how = spec
    return Part(name, points, secs, programs, how)


class Lab:
    """A lab: its name, the function the student writes, the file of mem/
    it replaces, the student's file by default, the make variable that
    names it, and its parts."""

    def __init__(self, name, what, ref, default, var, parts):
        self.name, self.what, self.ref, self.default, self.var = name, what, ref, default, var
        self.parts = parts
        assert sum(p.points for p in parts) == TOTAL, name


TOTAL = 100
LABS = {
    "free": Lab("free", "mem_freel (lab 3)", "mem/free.c", "lab/free.c", "LAB_FREE", [
        Part("free: address order", 15, 40, "grade_free", cases("grade_free", "order")),
        Part("free: coalescing", 20, 40, "grade_free", cases("grade_free", "coalesce")),
        Part("free: zeroing", 15, 40, "grade_free", cases("grade_free", "zero")),
        Part("free: refusals and accounting", 10, 40, "grade_free",
             cases("grade_free", "refuse")),
        UNIT, part(DIFF, 15), part(TRACES, 10)]),
    "alloc": Lab("alloc", "mem_allocl (lab 6)", "mem/alloc.c", "lab/alloc.c", "LAB_ALLOC", [
        Part("alloc: first fit from the lowest address", 15, 40, "grade_alloc",
             cases("grade_alloc", "fit")),
        Part("alloc: exact fit unlinked", 10, 40, "grade_alloc", cases("grade_alloc", "exact")),
        Part("alloc: carved from the top", 10, 40, "grade_alloc", cases("grade_alloc", "carve")),
        Part("alloc: sbrk when nothing fits", 5, 40, "grade_alloc", cases("grade_alloc", "grow")),
        Part("alloc: zeroed memory", 10, 40, "grade_alloc", cases("grade_alloc", "zero")),
        Part("alloc: nil on exhaustion, nothing changed", 10, 40, "grade_alloc",
             cases("grade_alloc", "nil")),
        Part(UNIT.name, 10, UNIT.secs, "test_mem", unit_tests),
        part(DIFF, 10), part(TRACES, 10), part(RANDOMS, 10)]),
    "index": Lab("index", "mem_index_fit (lab 7)", "mem/fit.c", "lab/fit.c", "LAB_FIT", [
        Part("index: first fit on given trees", 20, 40, "grade_index",
             cases("grade_index", "fit")),
        Part("index: the list predecessor", 10, 40, "grade_index", cases("grade_index", "pred")),
        Part("index: nodes visited per search (10,000 free blocks)", 25, 120, "grade_index",
             cases("grade_index", "bound")),
        part(DIFF, 15), part(TRACES, 15), part(RANDOMS, 15)]),
}


class Grader:
    def __init__(self, args, parts):
        self.lab, self.parts = LABS[args.lab], parts
        self.file = Path(args.file).resolve()
        self.build = Path(args.build) if Path(args.build).is_absolute() else REPO / args.build
        self.traces = Path(args.traces) if Path(args.traces).is_absolute() else \
            REPO / args.traces
        self.make = os.environ.get("MAKE", "make")
        self.built = {}  # program -> did it build
        self.verbose = args.verbose

    def bin(self, program):
        return self.build / program

    def build_all(self):
        """Builds every program with the student's file; prints the errors
        of the first that fails to build."""
        shown = False
        for program in dict.fromkeys(q for p in self.parts for q in p.programs):
            status, out, _ = run([self.make, "-C", str(REPO), "-s", "--no-print-directory",
                                  f"LAB={self.lab.name}", f"{self.lab.var}={self.file}",
                                  f"LAB_B={self.build}", str(self.bin(program))], 600)
            self.built[program] = status == 0
            if status != 0 and not shown:
                print(f"build of {self.bin(program)} failed:")
                print("\n".join("    " + s for s in out.splitlines()[:25]))
                shown = True

    def grade(self, part):
        """Runs one part; prints its line; answers the points it scored."""
        t0 = time.monotonic()
        print(f"== Test {part.name} == ", end="", flush=True)
        if part.run is traces and not any(self.traces.glob("*.trace")):
            print(f"FAIL (0/{part.points}): no sample traces in {self.traces}")
            return 0
        broken = [q for q in part.programs if not self.built[q]]
        if broken:
            print(f"FAIL (0/{part.points}): {broken[0]} does not build")
            return 0
        passed, total, bad = part.run(self, part.secs)
        score = part.points * passed // total if total else 0
        verdict = "OK" if total and passed == total else "FAIL"
        print(f"{verdict} ({score}/{part.points}) [{passed}/{total} cases, "
              f"{time.monotonic() - t0:.1f}s]")
        shown = bad if self.verbose else bad[:SHOW]
        for why in shown:
            print(f"    {why}")
        if len(bad) > len(shown):
            print(f"    ... and {len(bad) - len(shown)} more (-v shows all)")
        return score


def main(argv):
    ap = argparse.ArgumentParser(prog="grade.py", description="Grade an allocator lab: the "
                                 "student's file, built in place of one of mem/'s.")
    ap.add_argument("--lab", choices=sorted(LABS), default="free",
                    help="free (lab 3, the default), alloc (lab 6) or index (lab 7)")
    ap.add_argument("--file", help="the student's file (lab/free.c, lab/alloc.c, lab/fit.c)")
    ap.add_argument("--free", help="the same as --lab free --file FREE")
    ap.add_argument("--build", help="where to build (build/lab, build/lab-alloc, "
                    "build/lab-index)")
    ap.add_argument("--traces", default="traces",
                    help="NAME.trace and NAME.expected files (traces)")
    ap.add_argument("--part", action="append", metavar="WORDS",
                    help="run only the parts whose name holds WORDS (again for more); "
                    "the score is then out of their points")
    ap.add_argument("-v", "--verbose", action="store_true", help="show every failure")
    args = ap.parse_args(argv)
    if args.free is not None:
        if args.file is not None or args.lab != "free":
            ap.error("--free names the free lab's file: give it alone, or --lab and --file")
        args.file = args.free
    lab = LABS[args.lab]
    args.file = args.file or lab.default
    args.build = args.build or ("build/lab" if lab.name == "free" else f"build/lab-{lab.name}")
    if not Path(args.file).is_file():
        print(f"grade: {args.file}: no such file", file=sys.stderr)
        return 2
    parts = [p for p in lab.parts if not args.part or any(w in p.name for w in args.part)]
    if not parts:
        print(f"grade: no part of lab {lab.name} is named {' or '.join(args.part)} (its parts: "
              f"{'; '.join(p.name for p in lab.parts)})", file=sys.stderr)
        return 2
    g = Grader(args, parts)
    print(f"grading {args.file}: {lab.what}, in place of {lab.ref} (built into {g.build})")
    g.build_all()
    total, most = sum(g.grade(p) for p in parts), sum(p.points for p in parts)
    print(f"Score: {total}/{most}" + (f" ({len(parts)} of {len(lab.parts)} parts; the lab is "
                                      f"out of {TOTAL})" if most != TOTAL else ""))
    return 0 if total == most else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
