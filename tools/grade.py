#!/usr/bin/python3
# The grader of lab 3 (docs/lab/3-free.md), in the manner of 6.1810's grade
# scripts: builds the host programs with the student's mem_freel in place of
# mem/free.c, runs them, and prints a score per part, then the total.
"""Parts, and what scores them

  free: address order, coalescing, zeroing, refusals and accounting
      lab/grade_free.c: one case per rule, each from a hand-built heap, so
      that a free that forgets to merge loses the coalescing points and one
      that forgets to zero loses the zeroing points, and no others here.
  unit tests          tests/host/test_mem.c (cmocka), every test
  differential test   tests/host/test_diff.c: random operations against a
                      model, the full check after each
  sample traces       each TRACES/NAME.trace through the replay with --check
                      must print exactly NAME.expected

A part scores its points times the fraction of its cases that pass; the
points add up to 100, and the score is always out of 100. A part whose
program does not build, or that cannot run (no sample traces), scores 0.
Each part has a timeout of its own, in seconds; and each lab program stops
itself when one mem_alloc or mem_free takes more than a second of CPU time
(lab/labrt.c), so a free that loops fails its part in seconds, with a
`looped:` line. Exit status: 0 for full marks, 1 otherwise, 2 for bad
arguments."""

import argparse
import os
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
    def __init__(self, name, points, secs, program, run):
        self.name, self.points, self.secs = name, points, secs
        self.program, self.run = program, run


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


def free_cases(part):
    """A part of lab/grade_free: (passed, total, failures)."""
    def go(g, secs):
        status, out, _ = run([str(g.bin("grade_free")), part], secs)
        cases = re.findall(r"^(\w+/\S+): (.*)$", out, re.M)
        bad = [f"{c}: {why}" for c, why in cases if why != "ok"]
        done = re.search(r"^\d+ passed, \d+ failed$", out, re.M)
        if not done:
            bad.append(stopped(status, out, secs))
        return len(cases) - len(bad) + (not done), len(cases) + (not done), bad
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


def traces(g, secs):
    """Each sample trace through replay --check; the first that loops or
    runs out of the part's time ends the part (the rest count as failed)."""
    names = sorted(p.stem for p in g.traces.glob("*.trace")
                   if p.with_suffix(".expected").exists())
    bad, end = [], time.monotonic() + secs
    for i, name in enumerate(names):
        trace = g.traces / f"{name}.trace"
        status, out, err = run([str(g.bin("replay")), "--check"] + HEAP_ARGS.get(name, []) +
                               [str(trace)], end - time.monotonic(), merge=False)
        why = (stopped(status, err, secs) if status is None or looped(status, err) else
               compare(out, (g.traces / f"{name}.expected").read_text(), status))
        if why:
            bad.append(f"{name}: {why}" + (f" (stderr: {last_line(err)})"
                                           if err and LOOP_MSG not in why else ""))
        if status is None or looped(status, err):
            bad += [f"{rest}: not run" for rest in names[i + 1:]]
            break
    return len(names) - len(bad), len(names), bad


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


# name, points, timeout in seconds (a few times what a correct free takes
# on a loaded 2-core machine), program, how to run it.
PARTS = [
    Part("free: address order", 15, 40, "grade_free", free_cases("order")),
    Part("free: coalescing", 20, 40, "grade_free", free_cases("coalesce")),
    Part("free: zeroing", 15, 40, "grade_free", free_cases("zero")),
    Part("free: refusals and accounting", 10, 40, "grade_free", free_cases("refuse")),
    Part("unit tests (tests/host/test_mem.c)", 15, 30, "test_mem", unit_tests),
    Part("differential test (tests/host/test_diff.c)", 15, 120, "test_diff", diff_test),
    Part("sample traces (replay --check)", 10, 30, "replay", traces),
]
TOTAL = 100
assert sum(p.points for p in PARTS) == TOTAL


class Grader:
    def __init__(self, args):
        self.free = Path(args.free).resolve()
        self.build = Path(args.build) if Path(args.build).is_absolute() else REPO / args.build
        self.traces = Path(args.traces) if Path(args.traces).is_absolute() else \
            REPO / args.traces
        self.make = os.environ.get("MAKE", "make")
        self.built = {}  # program -> did it build
        self.verbose = args.verbose

    def bin(self, program):
        return self.build / program

    def build_all(self):
        """Builds every program with the student's free; prints the errors
        of the first that fails to build."""
        shown = False
        for program in dict.fromkeys(p.program for p in PARTS):
            status, out, _ = run([self.make, "-C", str(REPO), "-s", "--no-print-directory",
                                  f"LAB_FREE={self.free}", f"LAB_B={self.build}",
                                  str(self.bin(program))], 600)
            self.built[program] = status == 0
            if status != 0 and not shown:
                print(f"build of {self.bin(program)} failed:")
                print("\n".join("    " + s for s in out.splitlines()[:25]))
                shown = True

    def grade(self, part):
        """Runs one part; prints its line; answers the points it scored."""
        t0 = time.monotonic()
        print(f"== Test {part.name} == ", end="", flush=True)
        if part.program == "replay" and not any(self.traces.glob("*.trace")):
            print(f"FAIL (0/{part.points}): no sample traces in {self.traces}")
            return 0
        if not self.built[part.program]:
            print(f"FAIL (0/{part.points}): {part.program} does not build")
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
    ap = argparse.ArgumentParser(prog="grade.py", description="Grade lab 3: the student's "
                                 "mem_freel, built in place of mem/free.c.")
    ap.add_argument("--free", default="lab/free.c", help="the student's file (lab/free.c)")
    ap.add_argument("--build", default="build/lab", help="where to build (build/lab)")
    ap.add_argument("--traces", default="traces",
                    help="NAME.trace and NAME.expected files (traces)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show every failure")
    args = ap.parse_args(argv)
    if not Path(args.free).is_file():
        print(f"grade: {args.free}: no such file", file=sys.stderr)
        return 2
    g = Grader(args)
    print(f"grading {args.free} (built into {g.build})")
    g.build_all()
    total = sum(g.grade(p) for p in PARTS)
    print(f"Score: {total}/{TOTAL}")
    return 0 if total == TOTAL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
