#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs pytest suites several times, as make test runs them (xdist workers,
--dist loadgroup), and lists every test whose verdict was not the same each
time: a test that fails by chance blocks correct work. `make test-repeat
N=5` runs the QEMU and gdb suites through it.

Exit status: 0 every test had one verdict and none failed; 1 some verdict
changed, or some test failed every time (both listed); 2 usage error or a
round that did not run (pytest could not start, no report)."""
import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

PYTEST = ["/usr/bin/python3", "-m", "pytest"]


def verdicts(report):
    """{test id: passed|failed|error|skipped} from a JUnit XML report."""
    out = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = [c.tag for c in case]
        if "error" in kinds:
            v = "error"
        elif "failure" in kinds:
            v = "failed"
        elif "skipped" in kinds:
            v = "skipped"
        else:
            v = "passed"
        # A test that passed and then errored in teardown is reported twice.
        out[name] = v if out.get(name, "passed") == "passed" else out[name]
    return out


def run_round(k, args, out_dir):
    report = out_dir / f"round-{k}.xml"
    report.unlink(missing_ok=True)
    argv = PYTEST + ["-q", "-n", str(args.jobs), "--dist", "loadgroup", "-p", "no:cacheprovider",
                     f"--junitxml={report}", *args.suites]
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    (out_dir / f"round-{k}.log").write_text(p.stdout)
    tail = [l for l in p.stdout.splitlines() if l.strip()][-1:] or ["(no output)"]
    print(f"test-repeat: round {k}/{args.rounds}: {tail[0].strip('= ')} "
          f"({time.monotonic() - t0:.0f} s, pytest status {p.returncode}; "
          f"log {out_dir / f'round-{k}.log'})", flush=True)
    if not report.exists():
        sys.exit(f"test-repeat: round {k} wrote no report (pytest status {p.returncode}); "
                 f"see {out_dir / f'round-{k}.log'}")
    return verdicts(report)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="how many times (default 5)")
    ap.add_argument("--jobs", type=int, default=2, help="xdist workers (make test's TEST_JOBS)")
    ap.add_argument("--out", default="build/test-repeat", help="where reports and logs go")
    ap.add_argument("suites", nargs="+", help="test files or node ids, as pytest takes them")
    args = ap.parse_args()
    if args.rounds < 1 or args.jobs < 1:
        ap.error("--rounds and --jobs want a positive count")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    rounds = [run_round(k, args, out_dir) for k in range(1, args.rounds + 1)]
    names = sorted(set().union(*rounds))
    changed = [n for n in names if len({r.get(n, "not run") for r in rounds}) > 1]
    failing = [n for n in names if n not in changed and rounds[0][n] in ("failed", "error")]
    for n in changed:
        print(f"test-repeat: CHANGED {n}: " + ", ".join(r.get(n, "not run") for r in rounds))
    for n in failing:
        print(f"test-repeat: FAILED every round {n}")
    print(f"test-repeat: {len(names)} tests, {args.rounds} rounds on {args.jobs} workers: "
          f"{len(changed)} changed verdict, {len(failing)} failed every round")
    return 1 if changed or failing else 0


if __name__ == "__main__":
    sys.exit(main())
