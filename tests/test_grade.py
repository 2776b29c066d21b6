# Tests of the lab's grader (tools/grade.py, `make grade`): our own free
# scores full marks, and mutants of it lose the points of the rule they
# break, and only those. Run with /usr/bin/python3 -m pytest tests/test_grade.py.
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_docs  # noqa: E402  (the docs' quoted grader output, checked here)

REPO = Path(__file__).resolve().parents[1]
GRADE = REPO / "tools" / "grade.py"
OURS = REPO / "mem" / "free.c"

ORDER, COALESCE, ZERO, REFUSE = ("free: address order", "free: coalescing", "free: zeroing",
                                 "free: refusals and accounting")
UNIT, DIFF, TRACES = ("unit tests (tests/host/test_mem.c)",
                      "differential test (tests/host/test_diff.c)",
                      "sample traces (replay --check)")

# Each mutant: the edits that make it from mem/free.c (old, new, count).
MUTANTS = {
    # forgets to coalesce: neither merge ever happens
    "no-coalesce": [("if (next != NULL && a + n == (uintptr_t)next) {", "if (0) {", 1),
                    ("} else if ((uintptr_t)prev + prev->size == a) {", "} else if (0) {", 1)],
    # forgets to zero the block it frees (it still clears swallowed headers)
    "no-zero": [("\tmemset(bp, 0, n);\n", "", 1)],
    # does not compile
    "broken": [("int mem_freel(", "int mem_freel(struct nonsense", 1)],
    # its walk never moves on: loops once the list has a block below p
    "loops": [("next = next->next)", "next = pool->freelist)", 1)],
}


def mutant(tmp_path, name):
    src = OURS.read_text()
    for old, new, count in MUTANTS[name]:
        assert src.count(old) == count, f"mem/free.c changed: cannot make mutant {name}"
        src = src.replace(old, new)
    path = tmp_path / f"{name}.c"
    path.write_text(src)
    return path


class Grade:
    """A grader run: its status, its text, and {part: (score, points)}."""

    def __init__(self, proc):
        self.status, self.text = proc.returncode, proc.stdout
        self.parts = {m[1]: (int(m[3]), int(m[4])) for m in re.finditer(
            r"^== Test (.+?) == (OK|FAIL) \((\d+)/(\d+)\)", self.text, re.M)}
        m = re.search(r"^Score: (\d+)/(\d+)$", self.text, re.M)
        assert m, f"no score line in:\n{self.text}"
        self.score, self.most = int(m[1]), int(m[2])

    def full(self, part):
        score, points = self.parts[part]
        return score == points

    def zero(self, part):
        return self.parts[part][0] == 0


def grade(free, build, *args):
    proc = subprocess.run([sys.executable, str(GRADE), "--free", str(free), "--build",
                           str(build), *args], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1500)
    return Grade(proc)


def matches_docs(g, name):
    """The docs' blocks quoting this grader run (doc-test: expect NAME)."""
    quoted = test_docs.doc_blocks(name)
    assert quoted, f"no doc quotes {name}"
    for s in quoted:
        test_docs.check_session(s, g.text)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("grade")


def test_ours_scores_full_marks_through_make(tmp):
    proc = subprocess.run(["make", "-s", "--no-print-directory", "grade",
                           f"LAB_FREE={OURS}", f"LAB_B={tmp / 'ours'}"], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1500)
    g = Grade(proc)
    assert g.status == 0, g.text
    assert (g.score, g.most) == (100, 100), g.text
    assert set(g.parts) == {ORDER, COALESCE, ZERO, REFUSE, UNIT, DIFF, TRACES}
    assert all(g.full(p) for p in g.parts), g.text
    matches_docs(g, "grade-ours")


def test_the_lab_replay_of_a_correct_free_exits_zero(tmp):
    """Lab 3 step 3 with a correct free: the lines of lab 1, status 0, and
    no report on stderr (no leak report a student could take for theirs)."""
    build = tmp / "ours"
    subprocess.run(["make", "-s", "--no-print-directory", f"LAB_FREE={OURS}", f"LAB_B={build}",
                    str(build / "replay")], cwd=REPO, check=True, timeout=600)
    p = subprocess.run([str(build / "replay"), "--check", "lab/demo.trace"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stderr) == (0, ""), p.stderr
    assert p.stdout == "a 0x0\nb 0x3000\nc 0x4000\nd 0x2000\nfree 0x0 0x6000\nbrk 0x6000\n"


def test_a_looping_free_fails_fast_saying_so(tmp):
    t0 = time.monotonic()
    g = grade(mutant(tmp, "loops"), tmp / "loops")
    took = time.monotonic() - t0
    assert g.status == 1 and g.most == 100, g.text
    for part in (ORDER, COALESCE, UNIT, DIFF, TRACES):
        assert not g.full(part), g.text
    assert g.zero(UNIT) and g.zero(TRACES), g.text
    assert "looped: mem_free did not return after 1 s of CPU time" in g.text, g.text
    assert "traces (replay --check) == FAIL (0/10)" in g.text, g.text
    assert "timed out" not in g.text, g.text
    assert took < 240, f"took {took:.0f} s:\n{g.text}"


def test_forgetting_to_coalesce_loses_the_coalescing_points(tmp):
    g = grade(mutant(tmp, "no-coalesce"), tmp / "no-coalesce")
    assert g.status == 1, g.text
    assert g.zero(COALESCE), g.text
    assert g.full(ORDER) and g.full(ZERO) and g.full(REFUSE), g.text
    assert not g.full(UNIT) and not g.full(DIFF), g.text
    assert "coalesce/with-next: free list is 0x1000+0x1000 0x2000+0x2000, want 0x1000+0x3000" \
        in g.text
    matches_docs(g, "grade-no-coalesce")


def test_forgetting_to_zero_loses_the_zeroing_points(tmp):
    g = grade(mutant(tmp, "no-zero"), tmp / "no-zero")
    assert g.status == 1, g.text
    assert g.zero(ZERO), g.text
    assert g.full(ORDER) and g.full(COALESCE) and g.full(REFUSE), g.text
    assert not g.full(UNIT) and not g.full(DIFF), g.text
    assert "zero/one-page: free byte 0x1010 is 0xa1, want 0" in g.text
    matches_docs(g, "grade-no-zero")


def test_the_shipped_stub_scores_little(tmp):
    # and without sample traces, that part is lost: the total stays /100
    (tmp / "no-traces").mkdir()
    g = grade(REPO / "lab" / "free.c", tmp / "stub", "--traces", str(tmp / "no-traces"))
    assert g.status == 1, g.text
    for part in (ORDER, COALESCE, ZERO, UNIT, DIFF, TRACES):
        assert g.zero(part), g.text
    assert f"FAIL (0/10): no sample traces in {tmp / 'no-traces'}" in g.text, g.text
    assert g.score < 10 and g.most == 100, g.text
    matches_docs(g, "grade-stub")


def test_a_file_that_does_not_build_scores_zero(tmp):
    g = grade(mutant(tmp, "broken"), tmp / "broken")
    assert g.status == 1 and g.score == 0, g.text
    assert "does not build" in g.text and "error:" in g.text


def test_make_lab_then_another_file_rebuilds(tmp):
    build = tmp / "switch"
    proc = subprocess.run(["make", "-s", "--no-print-directory", "lab", f"LAB_FREE={OURS}",
                           f"LAB_B={build}"], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout
    for prog in ("grade_free", "replay", "test_diff", "test_mem"):
        assert (build / prog).exists(), proc.stdout
    # the same build dir, now with the no-zero mutant: nothing stale is run
    g = grade(mutant(tmp, "no-zero"), build)
    assert g.zero(ZERO) and g.full(COALESCE), g.text


def test_missing_file_is_a_usage_error(tmp):
    proc = subprocess.run([sys.executable, str(GRADE), "--free", str(tmp / "nope.c")],
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "no such file" in proc.stdout
