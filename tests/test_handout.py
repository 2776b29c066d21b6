# SPDX-License-Identifier: BSD-3-Clause
# Tests of `make handout` (tools/handout.py): a student's copy of the tree
# holds no line of the lab's reference body that is found nowhere else in
# the repository, has no history, and builds. Run with
# /usr/bin/python3 -m pytest tests/test_handout.py.
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LABS = {"free": ("mem/free.c", "lab/free.c", "mem_freel"),
        "alloc": ("mem/alloc.c", "lab/alloc.c", "mem_allocl"),
        "index": ("mem/fit.c", "lab/fit.c", "mem_index_fit"),
        "span": ("objects/span.c", "lab/span.c", "hobj_span_take hobj_span_find hobj_span_give")}
NUMBER = {"free": 3, "alloc": 6, "index": 7, "span": 8}
sys.path.insert(0, str(REPO / "tools"))
# The course's own files, never handed out: they may hold a solution
# (tests/test_grade.py plants bugs in one).
from handout import TEACHER  # noqa: E402


def body(text, func):
    """The body of func's definition in text."""
    m = re.search(rf"\b{func}\([^;{{]*\)\s*\{{", text)
    assert m, f"no definition of {func}"
    i = m.end() - 1
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    raise AssertionError(f"no end to {func}")


def tracked():
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True,
                         check=True).stdout.decode()
    return [n for n in out.split("\0") if n and (REPO / n).is_file()]


def distinctive(lab):
    """The lines of the lab's reference bodies (18 characters or more, no
    comment) that no other file of the repository handed out holds: the
    solution."""
    ref, stub, funcs = LABS[lab]
    lines = {s.strip() for func in funcs.split()
             for s in body((REPO / ref).read_text(), func).splitlines()}
    lines = {s for s in lines if len(s) >= 18 and not s.startswith("//")}
    for name in tracked():
        if any(name == t or (t.endswith("/") and name.startswith(t)) for t in TEACHER):
            continue
        if name != ref and lines:
            text = (REPO / name).read_text(errors="replace")
            lines = {s for s in lines if s not in text}
    return lines


def handout(*args):
    return subprocess.run(["make", "-s", "--no-print-directory", "handout", *map(str, args)],
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)


@pytest.mark.parametrize("lab", sorted(LABS))
def test_a_handout_holds_no_solution(tmp_path, lab):
    solution = distinctive(lab)
    assert solution, f"{LABS[lab][0]}: no line of its body is its own"
    # the repository itself does hold them: the check can fail
    assert any(s in (REPO / LABS[lab][0]).read_text() for s in solution)
    out = tmp_path / "ho"
    p = handout(f"DIR={out}", f"LAB={lab}", "GIT=1")
    assert p.returncode == 0, p.stdout
    for f in out.rglob("*"):
        if f.is_file() and ".git" not in f.relative_to(out).parts:
            text = f.read_text(errors="replace")
            assert not [s for s in solution if s in text], f"{f} holds the solution"
    assert (out / LABS[lab][0]).read_text() == (REPO / LABS[lab][1]).read_text()
    assert not (out / "tests" / "test_grade.py").exists()
    assert not (out / "tests" / "test_grade_labs.py").exists()
    log = subprocess.run(["git", "-C", str(out), "log", "--format=%s"], capture_output=True,
                         text=True, check=True).stdout
    assert log == f"heaplab: lab {NUMBER[lab]} handout\n", log


def test_a_handout_builds(tmp_path):
    out = tmp_path / "ho"
    assert handout(f"DIR={out}", "LAB=alloc").returncode == 0
    assert not (out / ".git").exists()
    p = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(out),
                        "build/host/replay"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stdout
    run = subprocess.run([str(out / "build" / "host" / "replay"), "lab/demo.trace"], cwd=out,
                         capture_output=True, text=True, timeout=60)
    assert run.stdout.startswith("a "), run.stdout  # the stub's answers: it runs


def test_a_span_handout_builds_and_its_grader_runs(tmp_path):
    """Lab 8's handout: objects/span.c is the stub, the lab's programs
    build there, and its part checks run (and fail: nothing is in yet)."""
    out = tmp_path / "ho"
    assert handout(f"DIR={out}", "LAB=span").returncode == 0
    assert "objects/span.c is lab/span.c" in (out / "HANDOUT").read_text()
    p = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(out), "lab",
                        "LAB=span"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout
    run = subprocess.run([str(out / "build" / "lab-span" / "grade_span"), "take"], cwd=out,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "0 passed, 8 failed" in run.stdout, run.stdout


@pytest.mark.parametrize("args,words", [
    ([], "usage: make handout DIR=dir"),
    (["DIR=build/inside"], "is inside the repository"),
    (["DIR=/tmp", "LAB=alloc"], "exists and is not an empty folder"),
    (["DIR=/nonexistent-x/ho", "LAB=nope"], "make: unknown LAB=nope"),
])
def test_handout_refuses_bad_arguments(args, words):
    p = handout(*args)
    assert p.returncode == 2 and words in p.stdout, p.stdout
