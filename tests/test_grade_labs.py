# SPDX-License-Identifier: BSD-3-Clause
# Tests of the graders of labs 8 and 9 (tools/grade.py, `make grade
# LAB=span|pcp`): the reference scores full marks, planted bugs lose the
# points of the rule they break, and each verdict names what happened.
# Apart from tests/test_grade.py, whose helpers they use, because make test
# runs that file beside the image builds (host programs only) and these on
# pytest's workers after them: lab 9 boots the amd64 image in QEMU, and both
# labs' builds are the longest of the graders'.
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import imagerun  # noqa: E402  (lab 9's runs: the monitor's NMI)
# tmp: the module's build directories, as test_grade.py's tests share theirs
from test_grade import (GRADE, REPO, Grade, check_results, grade_lab,  # noqa: E402,F401,F811
                        make_grade, matches_docs, only_lost, tmp)

# --- the span lab (lab 8) -----------------------------------------------------

S_TAKE, S_FIND, S_GIVE, S_LIFE = ("span: take: LIFO reuse, fresh objects in order",
                                  "span: find: refusals, nothing changed",
                                  "span: give: pushed through the first word, refusals",
                                  "span: full and emptied spans (objects.c)")
S_WORK, S_MEMORY = ("workload: the C API, hobj_check after each operation",
                    "memory: never twice, no overlap, contents kept")
SPAN_PARTS = {S_TAKE, S_FIND, S_GIVE, S_LIFE, S_WORK, S_MEMORY}

# The span functions as their contracts say (objects/objects.h), kept here
# rather than taken from objects/span.c, whose insides the per-CPU caches
# may change: the planted bugs below are edits of this text.
SPAN_OURS = """// SPDX-License-Identifier: BSD-3-Clause
#define HOBJ_CLASS_TABLES
#include "../objects/objects.h"

static int refuse(struct hobj_fault *f, enum hobj_err err, uintptr_t ptr, uintptr_t span,
		  uintptr_t a, uintptr_t b)
{
	if (f != NULL)
		*f = (struct hobj_fault){err, ptr, span, a, b};
	return err;
}

static uint64_t *bit_word(struct hobj_span *s, unsigned i, uint64_t *mask)
{
	*mask = (uint64_t)1 << (i & 63);
	return &s->inuse_bits[i >> 6];
}

void *hobj_span_take(struct hobj_span *s, int *zero)
{
	uint64_t m, *w;
	unsigned i;
	void *p;

	if (s->free != NULL) {
		p = s->free;
		s->free = *(void **)p;
		i = (unsigned)(((uint64_t)((uintptr_t)p - s->base) * hobj_class_divmul[s->cls]) >>
			       32);
		*zero = 0;
	} else {
		i = s->fresh++;
		p = (void *)(s->base + (uintptr_t)i * hobj_class_size[s->cls]);
		*zero = 1;
	}
	w = bit_word(s, i, &m);
	*w |= m;
	s->inuse++;
	return p;
}

int hobj_span_find(const struct hobj_span *s, uintptr_t p, unsigned *i, struct hobj_fault *f)
{
	unsigned c = s->cls;
	uintptr_t obj;

	*i = (unsigned)(((uint64_t)(p - s->base) * hobj_class_divmul[c]) >> 32);
	obj = s->base + (uintptr_t)*i * hobj_class_size[c];
	if (*i >= s->nobj || obj != p) // past the last object, or inside one
		return refuse(f, HOBJ_EINTERIOR, p, s->base, obj, c);
	if (!((s->inuse_bits[*i >> 6] >> (*i & 63)) & 1))
		return refuse(f, HOBJ_EFREE, p, s->base, c, s->bytes);
	return HOBJ_OK;
}

int hobj_span_give(struct hobj_span *s, uintptr_t p, struct hobj_fault *f)
{
	uint64_t m, *w;
	unsigned i;
	int err = hobj_span_find(s, p, &i, f);

	if (err != HOBJ_OK)
		return err;
	w = bit_word(s, i, &m);
	*w &= ~m;
	*(void **)p = s->free;
	s->free = (void *)p;
	s->inuse--;
	return HOBJ_OK;
}
"""

# Planted bugs, as edits of SPAN_OURS: (old, new, count).
SPAN_MUTANTS = {
    # take forgets the in-use bit: every free of its objects is refused
    "no-bit": [("\t*w |= m;\n", "\t(void)w;\n", 1)],
    # find's bound one too far: a pointer in the span's tail past the last
    # object is refused as not in use rather than as inside no object
    "find-off-by-one": [("if (*i >= s->nobj || obj != p)", "if (*i > s->nobj || obj != p)", 1)],
    # find takes an interior pointer for its object's start
    "interior": [("if (*i >= s->nobj || obj != p)", "if (*i >= s->nobj)", 1)],
    # take hands out fresh objects before the free list's (LIFO broken: a
    # placement difference)
    "lifo-broken": [("\tif (s->free != NULL) {", "\tif (s->free != NULL && s->fresh == s->nobj) {", 1)],
    # take never moves fresh on: the same object handed out again and again
    "fresh-not-counted": [("i = s->fresh++;", "i = s->fresh;", 1)],
    # take says every object is zero: calloc skips clearing a reused one
    "zero-always": [("\t\t*zero = 0;\n", "\t\t*zero = 1;\n", 1)],
    # give walks the list for p, and never moves on
    "give-loops": [("\tw = bit_word(s, i, &m);\n\t*w &= ~m;\n",
                    "\tfor (void *q = s->free; q != NULL; q = s->free)\n\t\tif (q == (void *)p)\n"
                    "\t\t\tbreak;\n\tw = bit_word(s, i, &m);\n\t*w &= ~m;\n", 1)],
}


def span_file(tmp_path, name=None):
    src = SPAN_OURS
    for old, new, count in SPAN_MUTANTS.get(name, []):
        assert src.count(old) == count, f"SPAN_OURS changed: cannot make {name}"
        src = src.replace(old, new)
    path = tmp_path / f"span-{name or 'ours'}.c"
    path.write_text(src)
    return path


def test_our_span_scores_full_marks_through_make(tmp):
    """objects/span.c itself, and the contracts' text the bugs are planted
    in, both score 100."""
    g = make_grade("span", "LAB_SPAN", REPO / "objects" / "span.c", tmp / "span")
    assert g.status == 0 and (g.score, g.most) == (100, 100), g.text
    assert set(g.parts) == SPAN_PARTS, g.text
    matches_docs(g, "grade-span-ours")
    g = grade_lab("span", span_file(tmp), tmp / "span")
    assert g.status == 0 and g.score == 100, g.text


# The rubric (docs/lab/8-spans.md, "How it is scored"): objects handed out
# twice or overlapping cost the most, then a heap whose frees a correct
# program cannot make, then a promise broken or a bad free taken (each
# loses memory points), then a placement difference, then a refusal's
# wrong error; each bug loses the parts named here and no others.
@pytest.mark.parametrize("name,score,lost,words", [
    ("fresh-not-counted", 25, {S_TAKE, S_LIFE, S_WORK, S_MEMORY},
     "memory/no-object-handed-out-twice: wrong answer: memory corrupted at op "),
    ("no-bit", 60, {S_TAKE, S_LIFE, S_WORK},
     "take/fresh-from-an-empty-span: wrong answer: the in-use bit of object 0 is clear, "
     "want set"),
    ("zero-always", 83, {S_TAKE, S_WORK, S_MEMORY},
     "memory/calloc-answers-zeros: wrong answer: op "),
    ("interior", 87, {S_FIND, S_GIVE, S_MEMORY},
     "find/interior-pointer: wrong answer: find of 0x210 (object 1, inside it) answered "
     "HOBJ_OK, want HOBJ_EINTERIOR"),
    ("lifo-broken", 95, {S_TAKE},
     "take/list-head-before-fresh: wrong answer: take answered object 2, never handed out, "
     "while the free list holds object 1: take hands out the list's head first (LIFO reuse)"),
    ("find-off-by-one", 96, {S_FIND, S_GIVE},
     "find/past-the-last-object: wrong answer: find of 0xff0 (object 85) answered "
     "HOBJ_EFREE, want HOBJ_EINTERIOR"),
])
def test_span_planted_bugs_score_by_harm(tmp, name, score, lost, words):
    g = grade_lab("span", span_file(tmp, name), tmp / "span")
    assert g.status == 1 and g.score == score, g.text
    only_lost(g, lost)
    assert words in g.text, g.text
    if name in ("interior", "lifo-broken"):
        matches_docs(g, f"grade-span-{name}")


def test_a_looping_give_is_named_and_fails_fast(tmp):
    g = grade_lab("span", span_file(tmp, "give-loops"), tmp / "span", "--part", "give")
    assert g.status == 1 and g.parts == {S_GIVE: (8, 10)}, g.text
    assert ("give/pushed-on-the-head: looped: hobj_span_give did not return after 0.25 s of "
            "CPU time") in g.text, g.text
    assert "crashed" not in g.text and "timed out" not in g.text, g.text


def test_the_shipped_span_stub_scores_little(tmp):
    g = grade_lab("span", REPO / "lab" / "span.c", tmp / "span")
    assert g.status == 1 and g.score <= 10 and g.most == 100, g.text
    assert g.zero(S_TAKE) and g.zero(S_WORK) and g.zero(S_MEMORY), g.text
    matches_docs(g, "grade-span-stub")


def test_span_one_case_at_a_time_and_the_results_file(tmp):
    """CASE=list lists the span lab's cases, CASE=memory/... runs one, and
    FORMAT=json writes its results file."""
    def make(*args):
        return subprocess.run(["make", "-s", "--no-print-directory", "grade", "LAB=span",
                               f"LAB_SPAN={span_file(tmp, 'interior')}", f"LAB_B={tmp / 'span'}",
                               *args], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
    listed = make("CASE=list")
    assert listed.returncode == 0, listed.stdout
    names = listed.stdout.split()
    assert len(names) == 40 and len(set(names)) == 40, listed.stdout
    assert {n.split("/")[0] for n in names} == {"take", "find", "give", "life", "workload",
                                                "memory"}, listed.stdout
    g = Grade(make("CASE=memory/bad-frees-harmless", "FORMAT=json",
                   f"RESULTS={tmp / 'span.json'}"))
    # make answers 2 for any recipe that fails (the grader's status 1)
    assert g.status == 2 and g.parts == {S_MEMORY: (0, 40)} and "[0/1 cases" in g.text, g.text
    assert "the free of 0x" in g.text and "an interior pointer) was taken" in g.text, g.text
    doc = check_results(tmp / "span.json", g)
    assert "an interior pointer) was taken, want it refused" in doc["tests"][0]["output"], doc


# --- lab 9: the per-CPU page cache, graded by booting the image ----------------
# Every test here shares one build directory (tmp/pcp): the image is built
# once, and each planted bug recompiles its own file and relinks. Each run
# of QEMU takes seconds (two vCPUs on the machine's two shared cores), so
# the planted bugs are few, and the verdicts' tests grade one case each.

PCP_OURS = REPO / "kernel" / "pcp.c"
P_CORRECT, P_STEAL, P_BOUND, P_CONTEND = (
    "correctness: the stresses and the checks, --smp 2 --pcp",
    "stealing: a CPU that runs dry takes from another's cache",
    "the cap and the drain: at most PCP_MAX a CPU, everything back",
    "contention: failed test-and-sets within 1,000, every run")

# Planted bugs: edits of kernel/pcp.c, as MUTANTS above (old, new, count).
PCP_MUTANTS = {
    # keeps the run in its cache and gives it to the pool as well: two
    # owners of one run (memory corruption)
    "pcp-gives-twice": [("\tc->kept++;\n\tspin_unlock(&c->lock);\n\treturn 1;",
                         "\tc->kept++;\n\tspin_unlock(&c->lock);\n\treturn 0;", 1)],
    # the drain forgets the one-page runs: memory lost
    "pcp-drain-skips": [("\t\tfor (k = 1; k <= PCP_LONG; k++)\n\t\t\tfor (;;) {",
                         "\t\tfor (k = 2; k <= PCP_LONG; k++)\n\t\t\tfor (;;) {", 1)],
    # a CPU that runs dry goes to the pool, never to another's cache
    "pcp-no-steal": [("r == NULL && i != cpu;", "0;", 1)],
    # every CPU's cache under CPU 0's lock: right, and contended
    "pcp-one-lock": [("&c->lock", "&pcps[0].lock", 8), ("&pcps[cpu].lock", "&pcps[0].lock", 4)],
    # a NULL dereference when its own list is empty
    "pcp-null": [("\tr = take(&pcps[cpu], k);\n",
                  "\tr = take(&pcps[cpu], k);\n\tif (r == NULL)\n\t\t*(volatile int *)0 = 1;\n",
                  1)],
    # waits for a run to appear in some cache, for ever when none does
    "pcp-loops": [("r == NULL && i != cpu;", "r == NULL;", 1)],
    # spins for ever (interrupts on) on a run longer than 4 pages, which
    # only the SMP stress asks for: the stress's watchdog stops it
    "pcp-spins-long": [("\tif (k == 0)\n\t\treturn NULL;\n\tr = take(",
                        "\tif (k == 0)\n\t\treturn NULL;\n\twhile (k >= 5)\n\t\tarch_spin_wait();"
                        "\n\tr = take(", 1)],
    # CPU 0 spins for ever in pcp_free, holding its cache's lock (interrupts
    # off, so no tick comes), on a run longer than 4 pages: CPU 1 waits for
    # that lock at the stress's pcp_check (lab/pcp.c's, which the student
    # is given, waits for every cache's lock; the reference's passes over a
    # busy one, and so does its steal), and its watchdog names the holder's pc
    "pcp-spins-locked": [("\tunaside(c);\n\trefuse_listed(c->list[k], p);",
                          "\tunaside(c);\n\twhile (c == &pcps[0] && k >= 5)\n"
                          "\t\tarch_spin_wait();\n\trefuse_listed(c->list[k], p);", 1),
                         ("\t\tif (!spin_trylock(&pcps[cpu].lock))\n\t\t\tcontinue;\n",
                          "\t\tspin_lock(&pcps[cpu].lock);\n", 1)],
    # every CPU spins for ever in pcp_free on a run longer than 4 pages,
    # holding its own cache's lock (interrupts off), a busy-wait of its
    # own; with no stealing, no CPU ever waits for another's lock: no tick
    # and no spin is left to run the watchdog, and the console falls
    # silent until the grader's NMI (issue 26: `timed out` at 60 s)
    "pcp-spins-all": [("\tunaside(c);\n\trefuse_listed(c->list[k], p);",
                       "\tunaside(c);\n\twhile (k >= 5)\n"
                       "\t\t__asm__ volatile(\"pause\");\n\trefuse_listed(c->list[k], p);", 1),
                      ("r == NULL && i != cpu;", "0;", 1)],
    # the same on runs of 4 pages, which the page stress's random phase
    # frees on both CPUs at once: there the watchdog watches nothing, and
    # the NMI goes by the console's silence
    "pcp-spins-all-pages": [("\tunaside(c);\n\trefuse_listed(c->list[k], p);",
                             "\tunaside(c);\n\twhile (k == 4)\n"
                             "\t\t__asm__ volatile(\"pause\");\n\trefuse_listed(c->list[k], p);", 1),
                            ("r == NULL && i != cpu;", "0;", 1)],
}


def pcp_mutant(tmp_path, name):
    """The planted bug name as a student's file, NAME/pcp.c (so that a
    verdict names the file as the doc quotes it)."""
    src = PCP_OURS.read_text()
    for old, new, count in PCP_MUTANTS[name]:
        assert src.count(old) == count, f"kernel/pcp.c changed: cannot make mutant {name}"
        src = src.replace(old, new)
    path = tmp_path / name / "pcp.c"
    path.parent.mkdir(exist_ok=True)
    path.write_text(src)
    return path


def test_our_pcp_scores_full_marks_through_make(tmp):
    results = tmp / "pcp.json"
    proc = subprocess.run(["make", "-s", "--no-print-directory", "grade", "LAB=pcp",
                           f"LAB_PCP={PCP_OURS}", f"LAB_B={tmp / 'pcp'}", "FORMAT=json",
                           f"RESULTS={results}"], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1500)
    g = Grade(proc)
    assert g.status == 0 and (g.score, g.most) == (100, 100), g.text
    assert set(g.parts) == {P_CORRECT, P_STEAL, P_BOUND, P_CONTEND}, g.text
    check_results(results, g)
    matches_docs(g, "grade-pcp-ours")


# The rubric (docs/lab/9-pcp.md): a run given back twice or memory lost
# costs more than stealing missing, which costs more than contention over
# the bound.
@pytest.mark.parametrize("name,score,named,words", [
    ("pcp-gives-twice", 0, P_CORRECT,
     "correct/intact: corrupted: panic: sys_free: double free"),
    ("pcp-drain-skips", 45, P_CORRECT, "correct/nothing-lost: corrupted: lost: FAIL pagestress: "
     "every byte back in the pool, its check balanced"),
    ("pcp-no-steal", 80, P_STEAL, "steal/steal: wrong answer: FAIL pcp: a CPU that ran dry "
     "took its pages from another's cache, not the pool"),
    ("pcp-one-lock", 85, P_CONTEND, "contention/bound: wrong answer: "),
])
def test_planted_pcp_bugs_score_by_harm(tmp, name, score, named, words):
    g = grade_lab("pcp", pcp_mutant(tmp, name), tmp / "pcp")
    assert g.score == score and not g.full(named) and words in g.text, g.text
    if name == "pcp-no-steal":
        matches_docs(g, "grade-pcp-no-steal")
    if name == "pcp-one-lock":
        assert re.search(r"contention/bound: wrong answer: [\d,]+ failed test-and-sets on the "
                         r"allocator's locks in run [1-5] of the page stress", g.text), g.text


@pytest.mark.parametrize("name,case,args,words", [
    # the kernel's panic for the fault, its pc named in the student's file
    ("pcp-null", "steal/steal", [], r"steal/steal: crashed: panic: NULL dereference: write of "
     r"address 0 at pc (0x[0-9a-f]+) \[\1 is in pcp_alloc at \S*/pcp-null/pcp\.c:\d+\]"),
    # a CPU that never reaches the next step: the page stress says so
    ("pcp-loops", "steal/steal", [], r"steal/steal: looped: panic: pagestress: looped: cpu 1 "
     r"waited 5 s at step 1 for the other CPUs"),
    # a CPU that stops making progress in the SMP stress: its watchdog
    # says so, naming the call and the pcs its ticks came at, each pc's
    # function and line resolved (issue 26: it was `timed out` at the
    # whole limit of the run, 60 s)
    ("pcp-spins-long", "correct/stress", [], r"correct/stress: looped: panic: stress: looped: "
     r"cpu \d made no progress for 5 s in (?:sys_alloc|sys_reserve|malloc|calloc)\(\d+ "
     r"bytes\), after \d+ ops; its last ticks came at pc (0x[0-9a-f]+)(?: 0x[0-9a-f]+)* "
     r"\[\1 is in \w+ at \S+:\d+"),
    # one that loops with interrupts off, holding a lock the other CPU
    # waits for: the holder's pc, in the student's file
    ("pcp-spins-locked", "correct/stress", [], r"correct/stress: looped: panic: stress: looped: "
     r"cpu 0 made no progress for 5 s in sys_free\(\d+ bytes\), after \d+ ops; it has "
     r"interrupts off \(no tick since\); it holds pcp 0, taken at pc (0x[0-9a-f]+) \[\1 is in "
     r"pcp_free at \S*/pcp-spins-locked/pcp\.c:\d+\]"),
    # no exit line before the limit: the console's last line (a limit
    # shorter than the watchdog's 5 s)
    ("pcp-spins-long", "correct/stress", ["--part-secs", "4"], r"correct/stress: timed out: "
     r"no `# heaplab: exit` line in 4 s \(QEMU stopped\); the console's last line: '.+'"),
])
def test_an_image_run_says_what_happened(tmp, name, case, args, words):
    """Each verdict of a run of the image built with a student's file, its
    own status (issue 26: a crash was reported as a loop)."""
    g = grade_lab("pcp", pcp_mutant(tmp, name), tmp / "pcp", "--case", case, *args)
    # the verdict, not a time: a loop caught is `looped`, never `timed out`
    assert g.status == 1 and g.score == 0 and re.search(words, g.text), g.text
    quoted = {"pcp-null": "grade-pcp-crash", "pcp-loops": "grade-pcp-loop",
              "pcp-spins-long": "grade-pcp-watchdog"}
    if name in quoted and not args:
        matches_docs(g, quoted[name])
    if name == "pcp-null":
        # the SMP stress, not run after the crash, quotes the crash whole
        # (it was cut at 100 characters, in the middle of the file's name)
        g = grade_lab("pcp", pcp_mutant(tmp, name), tmp / "pcp", "--case", "correct/stress")
        assert re.search(r"correct/stress: not run: the page stress crashed \(panic: NULL "
                         r"dereference: .* is in pcp_alloc at \S*/pcp-null/pcp\.c:\d+\]\)$",
                         g.text, re.M), g.text


def test_every_cpu_looping_with_interrupts_off_is_looped_by_the_nmi(tmp):
    """Every CPU loops with interrupts off and none waits for a lock: the
    console falls silent, the grader sends an NMI through QEMU's monitor
    (tools/imagerun.py) and the kernel's handler names each CPU's pc, in
    the student's file (issue 26 item 4: it was `timed out` at the run's
    60 s limit)."""
    g = grade_lab("pcp", pcp_mutant(tmp, "pcp-spins-all"), tmp / "pcp", "--case",
                  "correct/stress")
    assert g.status == 1 and g.score == 0 and re.search(
        r"correct/stress: looped: panic: stress: looped: 2 of 2 CPUs made no progress for 5 s, "
        r"and none was left to run the watchdog \(no tick, no spin for a lock\): an NMI found "
        r"them at pc (0x[0-9a-f]+)(?: 0x[0-9a-f]+)? \[\1 is in pcp_free at "
        r"\S*/pcp-spins-all/pcp\.c:\d+", g.text), g.text
    # the part's time, the build's aside: the NMI comes 8 s after the
    # console's last line, where the limit is 60 s (a generous bound, for
    # make test's load)
    secs = float(re.search(r"^== Test .*\[0/1 cases, ([\d.]+)s\]$", g.text, re.M)[1])
    assert secs < 40, g.text
    matches_docs(g, "grade-pcp-nmi")
    # in the page stress, where no CPU's progress is watched, the silence
    # is what says it: `nmi: looped:`, each CPU's pc
    g = grade_lab("pcp", pcp_mutant(tmp, "pcp-spins-all-pages"), tmp / "pcp", "--case",
                  "correct/intact")
    assert g.status == 1 and g.score == 0 and re.search(
        r"correct/intact: looped: panic: nmi: looped: the console stayed silent until an NMI, "
        r"which found the CPUs at pc (0x[0-9a-f]+)(?: 0x[0-9a-f]+)? \(no CPU's progress is "
        r"watched here: the silence says they loop\) \[\1 is in pcp_free at "
        r"\S*/pcp-spins-all-pages/pcp\.c:\d+", g.text), g.text


class FakeQemu:
    """QEMU's end of a Monitor's socketpair: its QMP greeting, then an
    answer to each command (answers: name -> reply, or None to close the
    monitor unanswered; `return` otherwise), each command noted."""

    def __init__(self, mon, answers=None):
        self.sock = socket.socket(fileno=os.dup(mon.peer.fileno()))
        self.answers, self.got = answers or {}, []
        mon.started()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        f = self.sock.makefile("rwb")
        f.write(b'{"QMP": {"version": {}, "capabilities": ["oob"]}}\r\n')
        f.flush()
        for line in f:
            name = json.loads(line)["execute"]
            self.got.append(name)
            reply = self.answers.get(name, {"return": {}})
            if reply is None:
                break
            f.write(b'{"event": "NMI-ish", "data": {}}\r\n' + json.dumps(reply).encode() +
                    b"\r\n")
            f.flush()
        f.close()
        self.sock.close()


def test_the_monitor_sends_an_nmi_after_a_silent_console():
    """imagerun.Monitor alone, against a fake QEMU: nothing while the
    console grows, an NMI (after qmp_capabilities, once) after its 6 s of
    silence, and again after as long if it brought nothing."""
    now = [0.0]
    mon = imagerun.Monitor(after=6, clock=lambda: now[0])
    assert mon.argv()[1] == f"socket,id=heaplab-qmp,fd={mon.peer.fileno()}"
    qemu = FakeQemu(mon)
    for t, nbytes in ((0, 0), (5, 0), (5.5, 100), (11.4, 100)):
        now[0] = t
        mon.poll(nbytes)
    assert mon.sent == [] and qemu.got == []
    for t in (11.6, 12, 17.7):
        now[0] = t
        mon.poll(100)
    assert mon.sent == [11.6, 17.7] and mon.failed is None
    mon.close()
    qemu.thread.join(5)
    assert qemu.got == ["qmp_capabilities", "inject-nmi", "inject-nmi"]


@pytest.mark.parametrize("answers,why", [
    ({"inject-nmi": {"error": {"class": "GenericError", "desc": "no NMI here"}}},
     "QMP: inject-nmi: no NMI here"),
    ({"qmp_capabilities": None}, "QMP: QEMU closed the monitor before it answered "
     "qmp_capabilities"),
])
def test_a_monitor_that_fails_says_why(answers, why):
    """A refused or unanswered command: no NMI counted, no second try, and
    the run's `timed out` says why."""
    now = [0.0]
    mon = imagerun.Monitor(after=6, clock=lambda: now[0])
    qemu = FakeQemu(mon, answers)
    for t in (0, 7, 14):
        now[0] = t
        mon.poll(0)
    mon.close()
    qemu.thread.join(5)
    assert mon.sent == [] and mon.failed == why and len(qemu.got) <= 2, (mon.failed, qemu.got)
    kind, line = imagerun.verdict(None, "ok   x\n", 60, nmis=mon.sent, nmi_failed=mon.failed)
    assert kind == "timed out" and line.endswith(f"'ok   x'; no NMI could be sent ({why})"), line


def test_pcp_stubs_score_0_and_say_why(tmp):
    """The shipped lab/pcp.c caches nothing: right, and vouching for
    nothing (the correctness cases not shown), each step failed by name."""
    g = grade_lab("pcp", REPO / "lab" / "pcp.c", tmp / "pcp")
    assert g.status == 1 and g.score == 0, g.text
    assert "correct/intact: not shown: the cache kept nothing" in g.text, g.text
    matches_docs(g, "grade-pcp-stub")


def test_pcp_cases_are_listed_and_unknown_ones_refused(tmp):
    listed = subprocess.run([sys.executable, str(GRADE), "--lab", "pcp", "--case", "list",
                             "--build", str(tmp / "pcp")], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0 and listed.stdout.split() == [
        "correct/stress", "correct/intact", "correct/nothing-lost", "steal/steal", "bound/cap",
        "bound/drain", "contention/bound"], listed.stdout + listed.stderr
    bad = subprocess.run([sys.executable, str(GRADE), "--lab", "pcp", "--case", "steal/nope",
                          "--build", str(tmp / "pcp"), "--file", str(PCP_OURS)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "has no case steal/nope" in bad.stderr, bad.stdout + bad.stderr
