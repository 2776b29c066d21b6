# SPDX-License-Identifier: BSD-3-Clause
# Tests of the labs' grader (tools/grade.py, `make grade LAB=free|alloc|index`):
# our own free, alloc and fit score full marks, and mutants of them lose the
# points of the rule they break, and only those. Run with
# /usr/bin/python3 -m pytest tests/test_grade.py.
import json
import os
import re
import subprocess
import sys
import tempfile
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
TRACES, RANDOM = "sample traces (replay --check)", "random traces against the reference"
MEMORY = "memory: no overlap, zeroed, nothing lost"
HOSTILE = REPO / "tests" / "hostile"

# Each mutant: the edits that make it from mem/free.c (old, new, count).
MUTANTS = {
    # forgets to coalesce: neither merge ever happens
    "no-coalesce": [("if (next != NULL && a + n == (uintptr_t)next) {", "if (0) {", 1),
                    ("} else if ((uintptr_t)prev + prev->size == a) {", "} else if (0) {", 1)],
    # forgets to zero the block it frees (it still clears swallowed headers)
    "no-zero": [("\tmem_zero_freedl(pool, a, n); // unless heaplab_free zeroed it unlocked\n", "", 1)],
    # does not compile
    "broken": [("int mem_freel(", "int mem_freel(struct nonsense", 1)],
    # its walk never moves on: loops once the list has a block below p
    "loops": [("next = next->next)", "next = pool->freelist)", 1)],
    # merges with the next block one byte early: never merges with it (a
    # placement difference: the heap stays sound)
    "merge-off-by-one": [("a + n == (uintptr_t)next", "a + n + 1 == (uintptr_t)next", 1)],
    # merges with any next block above it, adjacent or not: swallows the
    # live allocations between (memory corruption)
    "merge-swallows": [("a + n == (uintptr_t)next", "a + n <= (uintptr_t)next", 1)],
    # zeroes the block but not the headers a merge swallowed
    "no-clear-headers": [("\t\tmemset(next, 0, HDR);\n", "", 1),
                         ("\t\tmemset(bp, 0, HDR);\n", "", 1)],
    # walks off the end of the list: a NULL dereference once no block is
    # above p (exit 99 from the sanitizer, which the grader took for a loop)
    "crash": [("next != NULL && (uintptr_t)next < a;", "next->size != 0 && (uintptr_t)next < a;",
               1)],
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
        m = re.search(r"^Score: (\d+)/(\d+)(?: \(.*\))?$", self.text, re.M)
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
    """The files and the build directories of this module's tests: one per
    lab (tmp/free, tmp/alloc, tmp/index), which each grader run shares with
    the others of its lab, as a student's build/lab is shared by each file
    they try, so that another file recompiles that file alone (one
    directory per pytest worker: each has its own tmp_path_factory)."""
    return tmp_path_factory.mktemp("grade")


def test_ours_scores_full_marks_through_make(tmp):
    proc = subprocess.run(["make", "-s", "--no-print-directory", "grade",
                           f"LAB_FREE={OURS}", f"LAB_B={tmp / 'free'}"], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1500)
    g = Grade(proc)
    assert g.status == 0, g.text
    assert (g.score, g.most) == (100, 100), g.text
    assert set(g.parts) == {ORDER, COALESCE, ZERO, REFUSE, TRACES, RANDOM, MEMORY}
    assert all(g.full(p) for p in g.parts), g.text
    matches_docs(g, "grade-ours")


def test_the_lab_replay_of_a_correct_free_exits_zero(tmp):
    """Lab 3 step 3 with a correct free: the lines of lab 1, status 0, and
    no report on stderr (no leak report a student could take for theirs)."""
    build = tmp / "free"
    subprocess.run(["make", "-s", "--no-print-directory", "LAB_FREE=mem/free.c", f"LAB_B={build}",
                    str(build / "replay")], cwd=REPO, check=True, timeout=600)
    p = subprocess.run([str(build / "replay"), "--check", "lab/demo.trace"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stderr) == (0, ""), p.stderr
    assert p.stdout == "a 0x0\nb 0x3000\nc 0x4000\nd 0x2000\nfree 0x0 0x6000\nbrk 0x6000\n"


def test_a_looping_free_fails_fast_saying_so(tmp):
    t0 = time.monotonic()
    g = grade(mutant(tmp, "loops"), tmp / "free")
    took = time.monotonic() - t0
    assert g.status == 1 and g.most == 100, g.text
    for part in (ORDER, COALESCE, TRACES, RANDOM):
        assert not g.full(part), g.text
    assert g.zero(TRACES), g.text
    assert "looped: heaplab_free did not return after 0.25 s of CPU time: your mem_freel loops" \
        in g.text, g.text
    assert "traces (replay --check) == FAIL (0/10)" in g.text, g.text
    assert "timed out" not in g.text, g.text
    assert took < 240, f"took {took:.0f} s:\n{g.text}"


def test_forgetting_to_coalesce_loses_the_coalescing_points(tmp):
    g = grade(mutant(tmp, "no-coalesce"), tmp / "free")
    assert g.status == 1, g.text
    assert g.zero(COALESCE), g.text
    assert g.full(ORDER) and g.full(ZERO) and g.full(REFUSE), g.text
    assert not g.full(TRACES) and not g.full(RANDOM), g.text
    assert ("coalesce/with-next: wrong answer: free list is 0x1000+0x1000 0x2000+0x2000, "
            "want 0x1000+0x3000") in g.text
    matches_docs(g, "grade-no-coalesce")


def test_forgetting_to_zero_loses_the_zeroing_points(tmp):
    g = grade(mutant(tmp, "no-zero"), tmp / "free")
    assert g.status == 1, g.text
    assert g.zero(ZERO), g.text
    # and the memory part names it: the replay writes to what it allocates,
    # so what a free leaves is no longer zero by luck (it was: this scored
    # 85, less harmful bugs less); the traces, whose runs it stops, are lost
    only_lost(g, {ZERO, TRACES, RANDOM, MEMORY})
    assert g.zero(MEMORY) and g.score == 35, g.text
    assert re.search(r"memory/zeroed: memory that must be zero was not: in \S+: corrupted: not "
                     r"zero: a free block holds what was written to it", g.text), g.text
    assert "zero/one-page: wrong answer: free byte 0x1010 is 0xa1, want 0" in g.text
    matches_docs(g, "grade-no-zero")


def test_the_shipped_stub_scores_little(tmp):
    # and without sample traces, that part is lost: the total stays /100
    (tmp / "no-traces").mkdir()
    g = grade(REPO / "lab" / "free.c", tmp / "free", "--traces", str(tmp / "no-traces"))
    assert g.status == 1, g.text
    for part in (ORDER, COALESCE, ZERO, TRACES, RANDOM):
        assert g.zero(part), g.text
    assert f"FAIL (0/10): no sample traces in {tmp / 'no-traces'}" in g.text, g.text
    assert g.score < 10 and g.most == 100, g.text
    matches_docs(g, "grade-stub")


def test_a_file_that_does_not_build_scores_zero(tmp):
    g = grade(mutant(tmp, "broken"), tmp / "free")
    assert g.status == 1 and g.score == 0, g.text
    assert "does not build" in g.text and "error:" in g.text


def test_make_lab_then_another_file_rebuilds(tmp):
    build = tmp / "switch"
    proc = subprocess.run(["make", "-s", "--no-print-directory", "lab", "LAB_FREE=mem/free.c",
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


# --- the alloc lab (lab 6) and the index lab (lab 7) ---------------------------

ALLOC_OURS = REPO / "mem" / "alloc.c"
FIT_OURS = REPO / "mem" / "fit.c"
A_FIT, A_EXACT, A_CARVE, A_GROW, A_ZERO, A_NIL = (
    "alloc: first fit from the lowest address", "alloc: exact fit unlinked",
    "alloc: carved from the top", "alloc: sbrk when nothing fits", "alloc: zeroed memory",
    "alloc: nil on exhaustion, nothing changed")
I_FIT, I_PRED, I_BOUND = ("index: first fit on given trees", "index: the list predecessor",
                          "index: nodes visited per search (10,000 free blocks)")

# Mutants of mem/alloc.c and mem/fit.c, as MUTANTS above: (old, new, count).
LAB_MUTANTS = {
    # carves from the bottom: the allocation is the block's start, the rest
    # of the block moves up and takes its place in the list
    "alloc-bottom": (ALLOC_OURS, [("""	} else {
		p->size -= n;
		p = (struct heaplab_hdr *)((uintptr_t)p + p->size);
	}""", """	} else {
		struct heaplab_hdr *rest = (struct heaplab_hdr *)((uintptr_t)p + n);

		rest->size = p->size - n;
		rest->next = p->next;
		if (prev != NULL)
			prev->next = rest;
		else
			pool->freelist = rest;
	}""", 1)]),
    # an exact fit stays linked (shrunk to size 0) instead of leaving the list
    "alloc-no-unlink": (ALLOC_OURS, [("\tif (p->size == n) {", "\tif (0) {", 1)]),
    # carves the allocation out of the block's own header page, and leaves
    # the block on the list over it (memory corruption)
    "alloc-header-page": (ALLOC_OURS, [("\t\tp = (struct heaplab_hdr *)((uintptr_t)p + p->size);\n",
                                        "", 1)]),
    # hands out an exact fit with its header still in it
    "alloc-no-zero": (ALLOC_OURS, [("\tmemset(p, 0, HDR);\n", "", 1)]),
    # counts an allocation in use even when it answers nil
    "alloc-nil-counts": (ALLOC_OURS, [("\tif (v != NULL)\n\t\tpool->inuse += n;",
                                       "\tpool->inuse += n;", 1)]),
    # takes a node that fits before looking left: not the lowest
    "fit-not-lowest": (FIT_OURS, [("""		if (max_of(a->left) >= n) {
			a = a->left;
		} else if (b->size >= n) {
			return b;
		} else {""", """		if (b->size >= n) {
			return b;
		} else if (max_of(a->left) >= n) {
			a = a->left;
		} else {""", 1)]),
    # never sets *pred on the way right
    "fit-no-pred": (FIT_OURS, [("\t\t\t*pred = a;\n", "", 1)]),
    # never moves right: loops whenever the first fit is in a right subtree
    "fit-loops": (FIT_OURS, [("\t\t\ta = a->right; // its max", "\t\t\tcontinue; // its max", 1)]),
}

# The index lab's answer with the right placement but the seed's cost: a
# walk of the list (pred: the node of the block before).
LINEAR_FIT = """#include "internal.h"

struct heaplab_hdr *mem_index_fit(const struct heaplab_pool *pool, uintptr_t n,
			      const struct heaplab_avl_node **pred)
{
	struct heaplab_hdr *b, *prev = NULL;

	for (b = pool->freelist; b != NULL && b->size < n; b = b->next)
		prev = b;
	*pred = prev != NULL ? (const struct heaplab_avl_node *)((uintptr_t)prev + sizeof *prev) : NULL;
	return b;
}
"""


def lab_mutant(tmp_path, name):
    ours, edits = LAB_MUTANTS[name]
    src = ours.read_text()
    for old, new, count in edits:
        assert src.count(old) == count, f"{ours} changed: cannot make mutant {name}"
        src = src.replace(old, new)
    path = tmp_path / f"{name}.c"
    path.write_text(src)
    return path


def grade_lab(lab, file, build, *args):
    proc = subprocess.run([sys.executable, str(GRADE), "--lab", lab, "--file", str(file),
                           "--build", str(build), *args], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1500)
    return Grade(proc)


def make_grade(lab, var, file, build):
    proc = subprocess.run(["make", "-s", "--no-print-directory", "grade", f"LAB={lab}",
                           f"{var}={file}", f"LAB_B={build}"], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1500)
    return Grade(proc)


def only_lost(g, parts):
    """Every part in parts scored less than full, every other one full."""
    for p, (score, points) in g.parts.items():
        assert (score < points) == (p in parts), f"{p}:\n{g.text}"


def test_our_alloc_scores_full_marks_through_make(tmp):
    g = make_grade("alloc", "LAB_ALLOC", ALLOC_OURS, tmp / "alloc")
    assert g.status == 0 and (g.score, g.most) == (100, 100), g.text
    assert set(g.parts) == {A_FIT, A_EXACT, A_CARVE, A_GROW, A_ZERO, A_NIL, TRACES, RANDOM,
                            MEMORY}
    assert all(g.full(p) for p in g.parts), g.text
    matches_docs(g, "grade-alloc-ours")


def test_carving_from_the_bottom_loses_the_carving_points(tmp):
    g = grade_lab("alloc", lab_mutant(tmp, "alloc-bottom"), tmp / "alloc")
    assert g.status == 1 and g.score < 100 and g.most == 100, g.text
    assert g.zero(A_CARVE), g.text
    for part in (A_FIT, A_EXACT, A_GROW, A_ZERO, A_NIL):
        assert g.full(part), g.text
    for part in (TRACES, RANDOM):
        assert not g.full(part), g.text
    assert "carve/one-page-of-two: wrong answer: heaplab_alloc answered 0x1000, want 0x2000" \
        in g.text
    matches_docs(g, "grade-alloc-bottom")


@pytest.mark.parametrize("name,lost,words", [
    ("alloc-no-unlink", A_EXACT,
     "exact/head: wrong answer: free list is 0x0+0x0, want 0x3000+0x2000"),
    ("alloc-no-zero", A_ZERO,
     "zero/exact-fit-head: wrong answer: byte 0x1 of the allocation (at 0x0) is"),
    ("alloc-nil-counts", A_NIL,
     "nil/no-block-no-room: wrong answer: pool->inuse/taken changed from "
     "0x2000/0x3000 to 0x4000/0x3000"),
])
def test_an_alloc_mutant_loses_the_part_it_breaks(tmp, name, lost, words):
    g = grade_lab("alloc", lab_mutant(tmp, name), tmp / "alloc", "--part", "alloc:")
    assert g.status == 1 and g.most == 40, g.text
    only_lost(g, {lost})
    assert words in g.text, g.text


def test_the_shipped_alloc_stub_scores_little(tmp):
    g = grade_lab("alloc", REPO / "lab" / "alloc.c", tmp / "alloc")
    assert g.status == 1 and g.most == 100 and g.score <= 10, g.text
    for part in (A_FIT, A_EXACT, A_CARVE, A_GROW, A_ZERO, TRACES, RANDOM):
        assert g.zero(part), g.text
    matches_docs(g, "grade-alloc-stub")


def test_our_fit_scores_full_marks_through_make(tmp):
    g = make_grade("index", "LAB_FIT", FIT_OURS, tmp / "index")
    assert g.status == 0 and (g.score, g.most) == (100, 100), g.text
    assert set(g.parts) == {I_FIT, I_PRED, I_BOUND, TRACES, RANDOM, MEMORY}
    matches_docs(g, "grade-index-ours")


def test_a_linear_scan_loses_the_bound_and_only_it(tmp):
    linear = tmp / "linear.c"
    linear.write_text(LINEAR_FIT)
    g = grade_lab("index", linear, tmp / "index")
    assert g.status == 1 and g.most == 100, g.text
    only_lost(g, {I_BOUND})
    assert g.score == 50, g.text  # a slow search scores at most 50 (it was 80)
    assert re.search(r"bound/two-pages: wrong answer: n=0x2000: visited 1250 of 10000 nodes, "
                     r"more than 2\*height\+2 = \d+", g.text), g.text
    matches_docs(g, "grade-index-linear")


@pytest.mark.parametrize("name,lost,words", [
    ("fit-not-lowest", {I_FIT, I_PRED, I_BOUND}, "fit/three-blocks: wrong answer: n=0x1000: "
     "answered the block at 0x2000, want the block at 0x0 (the lowest that fits)"),
    ("fit-no-pred", {I_PRED}, "pred/three-blocks: wrong answer: n=0x3000: the answer at 0x5000 "
     "has no left subtree, so *pred must be its list predecessor, the node of the block at "
     "0x2000; it is NULL"),
])
def test_a_fit_mutant_loses_the_part_it_breaks(tmp, name, lost, words):
    g = grade_lab("index", lab_mutant(tmp, name), tmp / "index", "--part", "index:")
    assert g.status == 1 and g.most == 70, g.text
    only_lost(g, lost)
    assert words in g.text, g.text


def test_the_shipped_fit_stub_scores_little(tmp):
    g = grade_lab("index", REPO / "lab" / "fit.c", tmp / "index")
    # a search that finds nothing grows the heap for every allocation: the
    # heap stays sound (the memory part holds), all else is lost
    assert g.status == 1 and g.most == 100 and g.score <= 20 and g.full(MEMORY), g.text
    for part in (I_FIT, I_PRED, RANDOM):
        assert g.zero(part), g.text
    # A sample trace whose answers do not depend on the search (the stub
    # finds nothing, so the heap grows) may pass; the part as a whole fails.
    assert not g.full(TRACES), g.text


def test_a_part_can_be_graded_alone(tmp):
    g = grade_lab("alloc", ALLOC_OURS, tmp / "alloc", "--part", "carved", "--part",
                  "sbrk")
    assert g.status == 0 and (g.score, g.most) == (15, 15), g.text
    assert set(g.parts) == {A_CARVE, A_GROW}
    assert "Score: 15/15 (2 of 9 parts; the lab is out of 100)" in g.text


@pytest.mark.parametrize("argv,words", [
    (["make", "-s", "grade", "LAB=nope"], "make: unknown LAB=nope (want free, alloc, index, span or pcp)"),
    (["make", "-s", "lab", "LAB=nope"], "make: unknown LAB=nope (want free, alloc, index, span or pcp)"),
    ([sys.executable, str(GRADE), "--lab", "nope"], "invalid choice: 'nope'"),
    ([sys.executable, str(GRADE), "--lab", "alloc", "--part", "nope"],
     "grade: no part of lab alloc is named nope"),
    ([sys.executable, str(GRADE), "--lab", "index", "--free", "mem/free.c"],
     "--free names the free lab's file"),
])
def test_bad_lab_arguments_are_usage_errors(argv, words):
    proc = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60)
    assert proc.returncode == 2 and words in proc.stdout, proc.stdout


# --- hostile submissions (tests/hostile/): nothing a file does talks the grader
# into a score, or hurts the machine that grades it ----------------------------

FREE_CASES = {ORDER: 8, COALESCE: 9, ZERO: 7, REFUSE: 12}


def cases_of(g, part):
    m = re.search(rf"^== Test {re.escape(part)} == \w+ \(\d+/\d+\)(?:: .*| \[(\d+)/(\d+) cases)",
                  g.text, re.M)
    assert m and m[2], f"{part}:\n{g.text}"
    return int(m[1]), int(m[2])


def test_exiting_inside_the_free_passes_nothing(tmp):
    """_exit(0) inside the free: the old grader took a child's status 0 for
    a pass (60/100); the judge sees no record of the free returning."""
    g = grade(HOSTILE / "exit-zero.c", tmp / "free")
    assert g.status == 1 and (g.score, g.most) == (0, 100), g.text
    assert "order/new-head: the run ended before heaplab_free returned (exit status 0)" in g.text


def test_printed_passes_count_for_nothing(tmp):
    """Fake cmocka pairs, a fake total and 800 fake `order/fakeN: ok` lines
    (102/100 and 56/100 before): every part out of its own cases, none
    passed."""
    g = grade(HOSTILE / "fake-lines.c", tmp / "free")
    assert g.status == 1 and (g.score, g.most) == (0, 100), g.text
    for part, n in FREE_CASES.items():
        assert cases_of(g, part) == (0, n), g.text


def test_a_forged_record_is_judged_on_the_heap_it_holds(tmp):
    """A run that writes the harness's record itself (the heap untouched,
    "ok") is judged on that heap."""
    g = grade(HOSTILE / "forges-records.c", tmp / "free", "--part", "order")
    assert g.zero(ORDER) and cases_of(g, ORDER) == (0, 8), g.text
    assert "order/into-empty-list: wrong answer: free list is empty, want 0x1000+0x1000" \
        in g.text


def test_the_replay_cannot_read_the_expected_output(tmp):
    """A replay that prints the trace's .expected file passed every sample
    trace before; the sandbox shows it the trace alone."""
    g = grade(HOSTILE / "prints-expected.c", tmp / "free", "--part", "sample")
    assert g.zero(TRACES) and cases_of(g, TRACES) == (0, 9), g.text


def test_a_part_out_of_time_counts_every_case(tmp):
    """A free that sleeps on two pages: the case is stopped at the part's
    limit, and the cases after it count as failed, not dropped."""
    g = grade(HOSTILE / "sleeps.c", tmp / "free", "--part", "order", "--part-secs", "4")
    assert cases_of(g, ORDER) == (5, 8) and g.parts[ORDER] == (10 * 5 // 8, 10), g.text
    assert re.search(r"order/two-pages: timed out: did not finish in \d s", g.text), g.text
    assert "order/last-page: not run (the part's 4 s are up)" in g.text, g.text


def test_the_submission_cannot_write_the_tree(tmp, tmp_path):
    """A constructor that appends to files (tools/grade.py, once): the tree,
    the build folder and the file's own folder stay as they were."""
    canaries = [tmp / "free" / "canary", tmp_path / "canary",
                REPO / "build" / f"canary-{tmp_path.name}"]
    for c in canaries:
        c.parent.mkdir(parents=True, exist_ok=True)
        c.write_text("as it was\n")
    src = (HOSTILE / "writes-tree.c").read_text().replace(
        '"/nonexistent"', '"' + ":".join(map(str, canaries)) + '"')
    (tmp_path / "writes-tree.c").write_text(src)
    try:
        g = grade(tmp_path / "writes-tree.c", tmp / "free", "--part", "order")
        assert g.full(ORDER), g.text
        assert [c.read_text() for c in canaries] == ["as it was\n"] * 3
    finally:
        canaries[2].unlink()


def leftovers(word):
    """The processes whose command line holds word."""
    found = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            if word in (p / "cmdline").read_bytes().decode(errors="replace"):
                found.append(p.name)
        except OSError:
            pass
    return found


def test_children_left_behind_cannot_hold_the_grader(tmp):
    """A constructor that leaves a child holding stdout: before, each run
    waited for it until its timeout, and a correct free scored 0/25; now
    each run's children die with it."""
    t0 = time.monotonic()
    g = grade(HOSTILE / "forks.c", tmp / "free")
    assert (g.score, g.most) == (100, 100), g.text
    assert time.monotonic() - t0 < 120, g.text
    assert leftovers(str(tmp / "free")) == [], "children of the graded programs still run"


def test_output_is_kept_to_a_bound(tmp):
    """50 MB printed by every program (3.7 GB of the grader's memory
    before): the grader keeps a megabyte of each and says it cut it."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", probe, sys.executable, str(GRADE), "--free",
                           str(HOSTILE / "floods.c"), "--build", str(tmp / "free"), "--part",
                           "order", "--part", "sample"], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    peak_kb = int(proc.stdout.splitlines()[-1])
    assert peak_kb < 200_000, f"the grader or a program it ran took {peak_kb} KB"
    assert "== Test free: address order == OK (10/10)" in proc.stdout, proc.stdout
    assert "printed more than 1048576 bytes (cut there)" in proc.stdout, proc.stdout


def test_a_blocked_build_is_stopped_with_its_compiler(tmp, tmp_path):
    """A file that #includes a FIFO: the build is stopped at its limit, and
    the compiler with it (cc1 stayed behind before)."""
    name = f"fifo-{tmp_path.name}.c"
    build = tmp / "free"
    build.mkdir(exist_ok=True)
    (tmp_path / name).write_text((HOSTILE / "fifo.c").read_text().replace("BUILD", str(build)))
    os.mkfifo(build / "hostile.fifo")
    try:
        g = grade(tmp_path / name, build, "--part", "order", "--build-secs", "3")
    finally:
        (build / "hostile.fifo").unlink()
    assert "(the build ran out of its 3 s and was stopped)" in g.text, g.text
    assert g.zero(ORDER) and "grade_free does not build" in g.text, g.text
    time.sleep(0.5)
    assert leftovers(name) == [], "the compiler still runs"


def test_without_the_sandbox_the_grader_says_so_loudly(tmp):
    proc = subprocess.run([sys.executable, str(GRADE), "--free", str(OURS), "--build",
                           str(tmp / "free"), "--part", "order", "--no-sandbox"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert "grade: WARNING: --no-sandbox: the code graded runs with your rights" in \
        proc.stderr, proc.stderr
    assert "Score: 10/10" in proc.stdout, proc.stdout


def test_a_sandbox_that_cannot_start_grades_nothing(tmp, tmp_path):
    """Where bwrap cannot make namespaces (a container, a sysctl) every
    build failed in it, and the reference scored 0/100, "does not build":
    the grader now says why and stops, exit 3, before building anything
    (a bwrap stand-in that fails as the real one does there)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new "
                                "namespace, likely because the kernel does not allow "
                                "non-privileged user namespaces' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    build = tmp_path / "build"
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, str(GRADE), "--free", str(OURS), "--build",
                           str(build), "--part", "order"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 3, proc
    assert proc.stdout == "", proc.stdout  # no part, no score
    assert proc.stderr.startswith("grade: the sandbox cannot start here: bwrap: No permissions "
                                  "to creating new namespace"), proc.stderr
    assert "grade: nothing was graded." in proc.stderr and "--no-sandbox" in proc.stderr
    assert not (build / "grade_free").exists()


@pytest.mark.parametrize("where", ["odd", "tmp"])
def test_a_file_anywhere_is_graded(tmp, tmp_path, where):
    """The student's file in a folder whose name make cannot take (a
    space, a colon, a dollar sign: "does not build", 0/100), or straight
    in /tmp (its folder, bound read-only, hid the sandbox's own /tmp from
    the compiler: 0/100 too). The build takes a link to it in the build
    folder; its errors name the file's own path."""
    if where == "odd":
        folder = tmp_path / "my labs: $HOME #1"
        folder.mkdir()
        path = folder / "free (v2).c"
        path.write_text(OURS.read_text())
    else:
        fd, name = tempfile.mkstemp(prefix="heaplab-grade-", suffix=".c", dir="/tmp")
        os.write(fd, OURS.read_bytes())
        os.close(fd)
        path = Path(name)
    try:
        g = grade(path, tmp / "free", "--part", "order", "--part", "sample")
        assert g.status == 0 and g.score == g.most == 20, g.text
        path.write_text(OURS.read_text().replace("int mem_freel(", "int mem_freel(struct x", 1))
        g = grade(path, tmp / "free", "--part", "order")
        assert g.score == 0 and f"{path}:" in g.text, g.text
    finally:
        if where == "tmp":
            path.unlink()


# --- verdicts that name what happened, one case at a time, the results file ---

def check_results(path, g):
    """path is a Gradescope autograder results file for the run g: the
    shape its docs give (tests[] of name, score, max_score, output; the
    total), each part one test with the score the text printed."""
    doc = json.loads(Path(path).read_text())
    assert set(doc) == {"score", "output", "tests"}, doc
    assert isinstance(doc["score"], (int, float)) and isinstance(doc["output"], str), doc
    assert isinstance(doc["tests"], list) and doc["tests"], doc
    for t in doc["tests"]:
        assert set(t) == {"name", "score", "max_score", "status", "output"}, t
        assert isinstance(t["name"], str) and isinstance(t["output"], str), t
        assert 0 <= t["score"] <= t["max_score"] and t["status"] in ("passed", "failed"), t
        assert (t["score"], t["max_score"]) == g.parts[t["name"]], t
    assert doc["score"] == sum(t["score"] for t in doc["tests"]) == g.score, doc
    return doc


def test_a_crash_is_named_with_its_first_frame(tmp):
    """A NULL dereference in the free: each case and trace says `crashed:`
    with the sanitizer's line and its first frame in the student's file
    (the sample traces said `line 1: got '(end)'` with a stack frame of
    _start as the only evidence; the student's own grade_free said
    `looped:`, the sanitizer's status being the loop's); -v shows the
    report, bounded; the results file carries it."""
    crash = mutant(tmp, "crash")
    line = next(i for i, s in enumerate(crash.read_text().splitlines(), 1) if "next->size" in s)
    results = tmp / "crash.json"
    g = grade(crash, tmp / "free", "--part", "order", "--part", "sample", "-v", "--results",
              str(results))
    assert g.parts == {ORDER: (5, 10), TRACES: (0, 10)}, g.text
    assert re.search(rf"order/into-empty-list: crashed: \S*crash.c:{line}:\d+: runtime error: "
                     rf"member access within null pointer .* \[first frame: mem_freel at "
                     rf"\S*crash.c:{line}\]", g.text), g.text
    assert re.search(r"^    example-1: crashed: .*first frame: mem_freel", g.text, re.M), g.text
    assert "looped" not in g.text and "not run" not in g.text, g.text
    reports = re.findall(r"(?:^        \| .*\n)+", g.text, re.M)
    assert reports and all(r.count("\n") <= 15 for r in reports), g.text
    assert "#0 0x" in reports[0] and "in mem_freel" in reports[0], g.text
    doc = check_results(results, g)
    assert "crashed: " in doc["tests"][0]["output"], doc
    own = subprocess.run([str(tmp / "free" / "grade_free"), "order/into-empty-list"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert own.returncode == 1, own.stdout
    assert "order/into-empty-list: crashed: the sanitizer's report above says where" in \
        own.stdout, own.stdout
    assert "runtime error" in own.stderr, own.stderr


def test_one_case_at_a_time_and_the_results_file(tmp):
    """make grade CASE=part/name runs that case alone (PART=new-head was
    refused); CASE=list lists them; FORMAT=json writes the results file."""
    def make(*args):
        return subprocess.run(["make", "-s", "--no-print-directory", "grade", f"LAB_FREE={OURS}",
                               f"LAB_B={tmp / 'free'}", *args], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
    listed = make("CASE=list")
    assert listed.returncode == 0, listed.stdout
    names = listed.stdout.split()
    assert len(names) == sum(FREE_CASES.values()) + 9 + 7 + 3, listed.stdout
    for name in ("order/new-head", "refuse/inuse-counts-down", "sample/example-1",
                 "random/random-fragment", "memory/zeroed"):
        assert name in names, listed.stdout
    g = Grade(make("CASE=order/new-head", "FORMAT=json", f"RESULTS={tmp / 'one.json'}"))
    assert g.status == 0 and g.parts == {ORDER: (10, 10)}, g.text
    assert "[1/1 cases" in g.text, g.text
    check_results(tmp / "one.json", g)
    g = Grade(make("CASE=sample/example-1"))
    assert g.status == 0 and g.parts == {TRACES: (10, 10)} and "[1/1 cases" in g.text, g.text
    for bad in ("CASE=order/nope", "CASE=nope", "FORMAT=xml"):
        p = make(bad)
        assert p.returncode == 2, p.stdout
        assert "no case" in p.stdout or "unknown FORMAT=xml" in p.stdout, p.stdout
    own = subprocess.run([str(tmp / "free" / "grade_free"), "order/new-head"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert (own.returncode, own.stdout) == (0, "order/new-head: ok\n1 passed, 0 failed\n")


# --- the rubric: bugs ordered by harm (docs/lab/3-free.md, 6-alloc.md,
# 7-index.md): memory corruption costs more than a placement difference,
# which costs more than a slow search; each planted bug loses its points in
# the part that names it and at most the trace parts' elsewhere. Their
# scores before this rubric (issue 26): no-clear-headers 64, no-zero 68
# (inverted), merge-off-by-one 59, alloc-header-page 59 (as alloc-bottom),
# linear 80 (77 in the doc); fit-not-lowest scored 39, less than linear.

@pytest.mark.parametrize("lab,name,score,named,words", [
    ("index", "fit-not-lowest", 19, I_FIT, "not counted: index: first fit on given trees failed, "
     "and only a right search's cost counts"),
    ("free", "merge-off-by-one", 66, COALESCE, "coalesce/with-next: wrong answer: "),
    ("free", "merge-swallows", 40, MEMORY, "memory/no-overlap: an allocation overlapped a free "
     "block or another live allocation: in "),
    ("free", "no-clear-headers", 40, MEMORY, "memory/zeroed: memory that must be zero was not"),
    ("alloc", "alloc-header-page", 31, MEMORY, "memory/no-overlap: an allocation overlapped"),
    ("alloc", "alloc-bottom", 66, A_CARVE, "carve/one-page-of-two: wrong answer: "),
])
def test_planted_bugs_score_by_harm(tmp, lab, name, score, named, words):
    file = mutant(tmp, name) if lab == "free" else lab_mutant(tmp, name)
    g = grade_lab(lab, file, tmp / lab, "--seed", "1")
    assert g.score == score, g.text
    assert not g.full(named) and words in g.text, g.text
    # the rule parts it does not name: a bounded loss (in the index lab, a
    # wrong search's predecessor and cost are not counted either)
    also = (I_PRED, I_BOUND) if named == I_FIT else ()
    lost = sum(pts - got for p, (got, pts) in g.parts.items()
               if p not in (named, TRACES, RANDOM, MEMORY, *also))
    assert lost <= 10, g.text


def test_a_looping_search_is_told_to_look_at_its_own_function(tmp):
    """A looping mem_index_fit in lab 7 was told to look at mem_allocl and
    the free list (the alloc's hint, in a lab where the alloc is ours)."""
    g = grade_lab("index", lab_mutant(tmp, "fit-loops"), tmp / "index", "--part", "first fit",
                  "--part", "sample")
    assert g.status == 1 and not g.full(I_FIT) and g.zero(TRACES), g.text
    assert "looped: mem_index_fit did not return after 0.25 s of CPU time: does the descent " \
        "move down a level each step?" in g.text, g.text
    assert "mem_allocl" not in g.text and "crashed" not in g.text, g.text
