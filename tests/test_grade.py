# Tests of the lab's grader (tools/grade.py, `make grade`): our own free
# scores full marks, and mutants of it lose the points of the rule they
# break, and only those. Run with /usr/bin/python3 -m pytest tests/test_grade.py.
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
        self.skipped = re.findall(r"^== Test (.+?) == SKIP", self.text, re.M)
        m = re.search(r"^Score: (\d+)/(\d+)$", self.text, re.M)
        assert m, f"no score line in:\n{self.text}"
        self.score, self.most = int(m[1]), int(m[2])

    def full(self, part):
        score, points = self.parts[part]
        return score == points

    def zero(self, part):
        return self.parts[part][0] == 0


def grade(free, build):
    proc = subprocess.run([sys.executable, str(GRADE), "--free", str(free), "--build",
                           str(build)], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1500)
    return Grade(proc)


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
    assert g.score == g.most, g.text
    assert set(g.parts) | set(g.skipped) == {ORDER, COALESCE, ZERO, REFUSE, UNIT, DIFF, TRACES}
    assert all(g.full(p) for p in g.parts), g.text
    if (REPO.parent / "shared" / "traces").is_dir():
        assert g.most == 100 and TRACES in g.parts, g.text


def test_forgetting_to_coalesce_loses_the_coalescing_points(tmp):
    g = grade(mutant(tmp, "no-coalesce"), tmp / "no-coalesce")
    assert g.status == 1, g.text
    assert g.zero(COALESCE), g.text
    assert g.full(ORDER) and g.full(ZERO) and g.full(REFUSE), g.text
    assert not g.full(UNIT) and not g.full(DIFF), g.text
    assert "coalesce/with-next: free list is 0x1000+0x1000 0x2000+0x2000, want 0x1000+0x3000" \
        in g.text


def test_forgetting_to_zero_loses_the_zeroing_points(tmp):
    g = grade(mutant(tmp, "no-zero"), tmp / "no-zero")
    assert g.status == 1, g.text
    assert g.zero(ZERO), g.text
    assert g.full(ORDER) and g.full(COALESCE) and g.full(REFUSE), g.text
    assert not g.full(UNIT) and not g.full(DIFF), g.text
    assert "zero/one-page: free byte 0x1010 is 0xa1, want 0" in g.text


def test_the_shipped_stub_scores_little(tmp):
    g = grade(REPO / "lab" / "free.c", tmp / "stub")
    assert g.status == 1, g.text
    for part in (ORDER, COALESCE, ZERO, UNIT, DIFF):
        assert g.zero(part), g.text
    assert g.score < 10, g.text


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
