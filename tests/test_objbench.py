# SPDX-License-Identifier: BSD-3-Clause
"""make bench's small-object driver (bench/objbench.c) and its reader
(bench/objects.py), small and untimed, so that the benchmark cannot rot
unseen: every workload runs on glibc and on heaplab's preload malloc, makes
the same calls on both, frees all it allocated, and prints figures that
make sense; bad arguments get the usage and exit status 2."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import objects  # noqa: E402 (bench/objects.py)

BENCH = os.path.join(ROOT, "build", "bench")
# The preload library is built by tests/test_objects.py's worker too: one
# worker for both (python3-pytest-xdist's --dist loadgroup).
pytestmark = pytest.mark.xdist_group("objects")
OPS = 20000


@pytest.fixture(scope="module")
def bench():
    subprocess.run(["make", "--no-print-directory", "-s", "build/bench/objbench",
                    "build/host/libheaplab.so"], cwd=ROOT, check=True, timeout=300)
    # glibc and heaplab only: the peers' packages are make bench's (tools/deps.sh bench)
    return objects.Objects(BENCH, 1, OPS, allocs=["glibc", "heaplab"])


def test_lists_three_workloads():
    subprocess.run(["make", "--no-print-directory", "-s", "build/bench/objbench"], cwd=ROOT,
                   check=True, timeout=300)
    out = subprocess.run([os.path.join(BENCH, "objbench"), "--list"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert [l.split("\t")[0] for l in out.splitlines()] == ["mixed", "tree", "xthread"]


@pytest.mark.parametrize("workload", ["mixed", "tree", "xthread"])
def test_same_calls_on_glibc_and_heaplab(bench, workload):
    g = bench.run("glibc", workload)
    h = bench.run("heaplab", workload)
    assert g["sum"] == h["sum"] and g["ops"] == h["ops"]
    assert OPS <= g["ops"] < 2 * OPS
    for r in (g, h):
        assert r["ns"] > 0 and 0 < r["base"] <= r["hwm"]
        assert 16 * 16 < r["live"] < OPS * 4096
        # at least the live bytes came into the resident set
        assert r["hwm"] - r["base"] >= r["live"] // 2
    bench.proven("heaplab", workload)  # the calls reached heaplab's library


def test_a_second_run_makes_the_same_calls(bench):
    assert bench.run("glibc", "mixed")["sum"] == bench.run("glibc", "mixed")["sum"]


@pytest.mark.parametrize("args", [[], ["nope"], ["mixed", "12x"], ["mixed", "10"],
                                  ["mixed", "1000", "9"]])
def test_bad_arguments(args):
    subprocess.run(["make", "--no-print-directory", "-s", "build/bench/objbench"], cwd=ROOT,
                   check=True, timeout=300)
    r = subprocess.run([os.path.join(BENCH, "objbench")] + args, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("usage: objbench WORKLOAD [OPS]")


def test_goal_lines_judge_the_figures():
    """The goals' lines say met only when the figures meet them."""
    ws = ["a", "b"]
    res = {(al, w): {"ir": ir, "peak": 100.0}
           for w in ws for al, ir in (("heaplab", 100), ("glibc", 120), ("mimalloc", 90))}
    lines = objects.goals(ws, res, {"p": (1.0, 1.05, True)})
    assert all(l.endswith("**met**") for l in lines), lines
    res[("heaplab", "b")] = {"ir": 121, "peak": 126.0}
    lines = objects.goals(ws, res, {"p": (1.0, 1.2, False)})
    assert ["**NOT met**" in l for l in lines] == [True, False, True, True, True], lines
    assert "b 121 vs 120" in lines[0] and "b 1.26x" in lines[2] and "p 1.20x" in lines[4]
    # with the CPU times measured, a line beside the wall-time goal says them,
    # and decides nothing
    lines = objects.goals(ws, res, {"p": (1.0, 1.2, True, 0.5, 0.52)})
    assert len(lines) == 6 and "p 1.04x" in lines[5] and "met" not in lines[5], lines


def test_real_programs_run_in_pairs_taking_turns(bench, tmp_path):
    """bench/objects.py's timing of a real program: pairs of runs, glibc and
    heaplab taking turns to go first, the medians of each side's figures
    (wall, CPU, page faults), the output compared on every run; more pairs
    while the budget lasts, never more than the most; a program that fails
    stops the benchmark, naming it."""
    (tmp_path / "in").write_text("from stdin\n")
    prog, order = bench.time_program(["sh", "-c", "echo hi; cat"], {}, tmp_path / "in", tmp_path,
                                     pairs=2, budget=0, max_pairs=9)
    assert order == ["glibc", "heaplab", "heaplab", "glibc"]
    assert prog.pairs == 2 and prog.same
    assert (tmp_path / "run.out").read_text() == "hi\nfrom stdin\n"
    assert prog.glibc > 0 and prog.heaplab > 0 and prog.glibc_cpu >= 0
    assert prog.glibc_faults > 10 and prog.heaplab_faults > 10
    prog, order = bench.time_program(["sh", "-c", "echo ${LD_PRELOAD:-none}"], {}, None,
                                     tmp_path, pairs=1, budget=1e9, max_pairs=3)
    assert prog.pairs == 3 and len(order) == 6 and not prog.same
    with pytest.raises(SystemExit, match=r"\(glibc\) exited 3: 'oops"):
        bench.time_program(["sh", "-c", "echo oops >&2; exit 3"], {}, None, tmp_path)

