#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# checklab: the labs' self-checks (`make check-lab N=1..9`): labs 2, 4 and 5
# ask only numbers; labs 1, 3, 6, 7, 8 and 9 a few numbers (lab 9's from
# a saved page stress) and their written questions (qN), which are checked
# for being there.
# Reads a student's answers from lab/answers-N.txt and checks each against
# the value worked out here from what the programs print now: the replay's
# steps, a lab build with the lab's own break in it, the image's console.
"""Theory of operation

An answers file holds one answer a line, `KEY = VALUE`, with `#` comments;
lab/answers-N.txt ships with every value blank. Each key is one check of
the lab's questions: a number (an offset, a size, a count: decimal or
0x-hex), yes or no, or a word. Nothing here knows the answers: each is
computed when the check runs, from

  lab 2  build/host/replay --steps over lab/demo.trace and
         traces/bigsmall-105.trace, read through tools/heapview.py's model
         (the effect of each operation: carved, exact fit, merged, sbrk);
  lab 4  the lab's two breaks, made from mem/free.c as the lab says (a push
         at the head of the list; the zeroing left out), built with
         `make LAB_FREE=...` into build/check-lab/ and run: the replay with
         --check over the demo and the sample traces, the grader's zeroing
         cases;
  lab 5  the console log of `./run-qemu.sh --smp 4` (build/lab5.log, or
         --log FILE): the CPUs, each one's operations, spins and times;
  lab 8  the size class tables the objects layer is built with
         (objects/sizeclasses.h): a span's objects, its tail, the
         multiply that finds an object's index.

Each answer prints as right, wrong (with the question it belongs to, not
the value) or blank. Exit status: 0 every answer right, 1 some wrong or
blank, 2 a usage error, an answers file that cannot be read (a line that is
not `KEY = VALUE`, a key the lab does not have), or a program or log the
check needs that is missing or cannot be built."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heapmap import MapError, parse_trace  # noqa: E402  (the trace's grammar, once)
from heapview import Model, containing, parse_steps  # noqa: E402  (the steps' model)
from grade import HEAP_ARGS  # noqa: E402  (how each sample trace is replayed)
import imagerun  # noqa: E402  (what a saved console shows the image did)

REPO = Path(__file__).resolve().parents[1]
MAKE = os.environ.get("MAKE", "make")
RATIO_SLACK = 0.10  # a ratio may be this far off (its parts are rounded in the log)


class CheckError(Exception):
    """Something the check needs is missing or broken; the message says what."""


class Answer:
    """One key of a lab's answers: its question (None: the lab's "What you
    should see"), what it asks (shown when
    the answer is blank or wrong), its kind (number, yesno, word, ratio)
    and how to compute the right value from the lab's facts."""

    def __init__(self, key, question, asks, kind, value):
        self.key, self.question, self.asks, self.kind, self.value = \
            key, question, asks, kind, value


def run(argv, what):
    """Runs argv from the repository's root; answers its stdout, or raises
    CheckError saying what could not be done."""
    try:
        p = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=600,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CheckError(f"{what}: {e}")
    return p.returncode, p.stdout


def make(*targets, **vars):
    st, out = run([MAKE, "-s", "--no-print-directory", *[f"{k}={v}" for k, v in vars.items()],
                   *targets], f"make {' '.join(targets)}")
    if st != 0:
        raise CheckError(f"make {' '.join(targets)} failed:\n" + out[-2000:])


def model(replay, trace, *flags):
    """The replay's steps over trace, as heapview's Model (effects worked out)."""
    st, out = run([str(replay), "--steps", *flags, trace], f"{replay} --steps {trace}")
    if st not in (0, 1):
        raise CheckError(f"{replay} --steps {trace} exited {st}:\n{out[-2000:]}")
    try:
        granule, heap, steps, _, _ = parse_steps(out)
        m = Model(parse_trace((REPO / trace).read_text()), granule, heap, steps)
        m.build()
    except (MapError, OSError) as e:
        raise CheckError(f"{trace}: {e}")
    return m


def step_of(m, kind, ident):
    """The step of the trace's operation `kind ident` (the first)."""
    for st in m.steps[1:]:
        op = m.ops[st.n - 1]
        if op.kind == kind and op.ident == ident:
            return st
    raise CheckError(f"the trace has no `{kind} {ident}`")


# --- lab 2: a split and a merge ---------------------------------------------

class Lab2:
    """The demo's split (alloc d), its merges (free b, free d), and
    bigsmall-105's growth, from the host replay's steps."""

    def __init__(self, args):
        make("build/host/replay")
        replay = REPO / "build" / "host" / "replay"
        self.demo = model(replay, "lab/demo.trace")
        self.big = model(replay, "traces/bigsmall-105.trace")

    def carve(self):
        st = step_of(self.demo, "alloc", "d")
        src = containing(self.demo.steps[st.n - 1].free, st.at)
        after = containing(st.free, src[0])
        moved = after is None or after[0] != src[0]
        return st.at, src[0], after[1] if after else 0, "yes" if moved else "no"

    def merge(self, ident):
        st = step_of(self.demo, "free", ident)
        prev = self.demo.steps[st.n - 1]
        a, b = st.freed
        block = containing(st.free, a)
        above = next((blk for blk in prev.free if blk[0] == b), None)
        return block, above, len(prev.free)

    def first_carve(self):
        return next(st.n for st in self.big.steps[1:] if st.effect["kind"] == "carve")

    def grows(self):
        return sum(1 for a, b in zip(self.big.steps, self.big.steps[1:]) if b.brk > a.brk)


LAB2 = [
    Answer("split-answer", 1, "the offset mem_allocl answered for d, alloc d 4096", "number",
           lambda f: f.carve()[0]),
    Answer("split-block", 1, "the offset of the free block d was carved from", "number",
           lambda f: f.carve()[1]),
    Answer("split-size", 1, "that block's size after the split", "number",
           lambda f: f.carve()[2]),
    Answer("split-header-moved", 1, "did that block's header move, yes or no?", "yesno",
           lambda f: f.carve()[3]),
    Answer("merge-next-survivor", 2, "at free b: the offset of the header that survives",
           "number", lambda f: f.merge("b")[0][0]),
    Answer("merge-next-swallowed", 2, "at free b: the offset of the header swallowed, then "
           "zeroed", "number", lambda f: f.merge("b")[1][0]),
    Answer("merge-both-before", 3, "before free d: how many free blocks", "number",
           lambda f: f.merge("d")[2]),
    Answer("merge-both-size", 3, "after free d: the size of the one free block", "number",
           lambda f: f.merge("d")[0][1]),
    Answer("bigsmall-first-carve", 4, "bigsmall-105: the first operation that carves an "
           "allocation from a free block, not from the break", "number",
           lambda f: f.first_carve()),
    Answer("bigsmall-grows", 4, "bigsmall-105: how many operations move the break",
           "number", lambda f: f.grows()),
]


# --- lab 4: break it on purpose ----------------------------------------------

# The lab's two breaks of mem/free.c: (old, new) edits, as the lab says.
PUSH_AT_HEAD = [("""	if (prev == NULL) {
		pool->freelist = bp;
	} else if ((uintptr_t)prev + prev->size == a) { // merge with the previous
		prev->size += bp->size;
		prev->next = bp->next;
		memset(bp, 0, HDR);
	} else {
		prev->next = bp;
	}
""", """	bp->next = pool->freelist; // BROKEN on purpose
	pool->freelist = bp;
""")]
NO_ZERO = [("\tmem_zero_freedl(pool, a, n); // unless heaplab_free zeroed it unlocked\n", "")]


class Lab4:
    """The demo replayed with the order broken, the sample traces and the
    grader's zeroing cases with the zeroing broken."""

    def __init__(self, args):
        self.order = self.build("order", PUSH_AT_HEAD, "replay")
        self.nozero = self.build("no-zero", NO_ZERO, "replay", "grade_free")
        make("build/host/replay")
        self.demo = model(REPO / "build" / "host" / "replay", "lab/demo.trace")

    def build(self, name, edits, *programs):
        """Builds the lab's programs with mem/free.c broken by edits."""
        src = (REPO / "mem" / "free.c").read_text()
        for old, new in edits:
            if src.count(old) != 1:
                raise CheckError(f"mem/free.c has changed: cannot break it as lab 4 says "
                                 f"({name}); update tools/checklab.py")
            src = src.replace(old, new)
        where = REPO / "build" / "check-lab" / name
        where.mkdir(parents=True, exist_ok=True)
        if not (where / "free.c").exists() or (where / "free.c").read_text() != src:
            (where / "free.c").write_text(src)  # else make has nothing to rebuild
        rel = where.relative_to(REPO)  # make's words: the checkout's path may hold a space
        make(*[str(rel / p) for p in programs], LAB="free", LAB_FREE=rel / "free.c", LAB_B=rel)
        return where

    def order_stop(self):
        """(operation, trace line) where the order check stops the demo."""
        st, out = run([str(self.order / "replay"), "--check", "lab/demo.trace"], "replay")
        m = re.search(r"^error line (\d+): check: ", out, re.M)
        if st != 3 or not m:
            raise CheckError(f"the broken order's replay did not stop in a check:\n{out}")
        line = int(m[1])
        ops = parse_trace((REPO / "lab" / "demo.trace").read_text())
        return next(op.num for op in ops if op.line == line), line

    def traces_catch(self):
        """Does any sample trace's replay differ with the zeroing left out?"""
        for trace in sorted((REPO / "traces").glob("*.trace")):
            want = trace.with_suffix(".expected")
            if not want.exists():
                continue
            st, out = run([str(self.nozero / "replay"), "--check",
                           *HEAP_ARGS.get(trace.stem, []), str(trace)], "replay")
            if out != want.read_text():
                return "yes"
        return "no"

    def first_dirty(self):
        """The offset in its block of the first byte the zeroing part finds."""
        st, out = run([str(self.nozero / "grade_free"), "zero"], "grade_free zero")
        m = re.search(r"^zero/one-page: (?:wrong answer: )?free byte (0x[0-9a-f]+) is ", out, re.M)
        if not m:
            raise CheckError(f"grade_free zero did not report a dirty byte:\n{out}")
        return int(m[1], 16) % self.demo.granule


LAB4 = [
    Answer("order-op", 2, "with the push at the head: the operation at which the replay's "
           "check stops", "number", lambda f: f.order_stop()[0]),
    Answer("order-line", 2, "and the trace line that the error line names", "number",
           lambda f: f.order_stop()[1]),
    Answer("order-op4-blocks", 2, "how many free blocks the list holds after op 4, free a",
           "number", lambda f: len(f.demo.steps[4].free)),
    Answer("zero-traces-catch", 1, "with the zeroing left out: does any sample trace's "
           "replay --check print something else, yes or no?", "yesno",
           lambda f: f.traces_catch()),
    Answer("zero-first-dirty", 1, "the offset, in its block, of the first free byte left "
           "dirty, in the grader's zero/one-page case", "number", lambda f: f.first_dirty()),
]


# --- lab 5: the lock ----------------------------------------------------------

STRESS = re.compile(r"cpu (\d+): (\d+) ops, spun for a lock (\d+) times of (\d+), (\d+) us "
                    r"spinning, (\d+) us holding")


class Lab5:
    """The stress test's lines in a console log of ./run-qemu.sh --smp 4."""

    def __init__(self, args):
        path = Path(args.log or "build/lab5.log")
        path = path if path.is_absolute() else REPO / path
        try:
            text = path.read_text(errors="replace")
        except OSError as e:
            raise CheckError(f"{args.log or 'build/lab5.log'}: {e.strerror}: save a run "
                             "first: ./run-qemu.sh --smp 4 > build/lab5.log")
        self.cpus = {int(m[1]): tuple(int(v) for v in m.groups()[1:])
                     for m in STRESS.finditer(text)}
        up = re.search(r"^(\d+) CPUs up", text, re.M)
        verdict = re.search(r"^(\d+) passed, (\d+) failed$", text, re.M)
        if not self.cpus or not up or not verdict:
            kind, said = imagerun.saved_verdict(text)
            shows = f": the run {said}" if kind != "ok" else ""
            raise CheckError(f"{path} has no stress test's lines (`N CPUs up`, `cpu K: N ops, "
                             "...`, `N passed, M failed`): is it the console of "
                             f"./run-qemu.sh --smp 4?{shows}")
        self.up, self.failed = int(up[1]), int(verdict[2])

    def total(self, k):
        return sum(v[k] for v in self.cpus.values())

    def most_spins(self):
        return max(sorted(self.cpus), key=lambda c: self.cpus[c][1])


LAB5 = [
    Answer("stress-cpus", None, "how many CPUs came up", "number", lambda f: f.up),
    Answer("stress-ops", None, "how many operations the CPUs did in all", "number",
           lambda f: f.total(0)),
    Answer("stress-failed", None, "how many self-test cases failed, with the lock", "number",
           lambda f: f.failed),
    Answer("spin-most-cpu", 5, "which CPU had to spin for a lock most often", "number",
           lambda f: f.most_spins()),
    Answer("spin-or-hold", 5, "which took more time in all, summed over the CPUs: "
           "spinning or holding?", "word",
           lambda f: "spinning" if f.total(3) > f.total(4) else "holding"),
    Answer("spin-hold-ratio", 5, "the microseconds spinning divided by those holding, "
           "all CPUs summed, to one decimal", "ratio",
           lambda f: f.total(3) / f.total(4) if f.total(4) else 0.0),
]

# --- labs 1, 3, 6 and 7: the written questions, and what of them has a number -

def prose(n, asks):
    """Question n, answered in words (key qN): the check says only whether
    it is written; the course reads it."""
    return Answer(f"q{n}", n, asks, "prose", None)


class Demo:
    """The demo's replay (lab/demo.trace) and bigsmall-105's, from the host
    replay's steps: what labs 1, 3 and 6 ask a number of."""

    def __init__(self, args):
        make("build/host/replay")
        replay = REPO / "build" / "host" / "replay"
        self.demo = model(replay, "lab/demo.trace")
        self.big = None

    def after(self, kind, ident):
        return step_of(self.demo, kind, ident)

    def merged(self, ident):
        """How free ident merged: next, previous, both or none."""
        k = effect_kind(self.after("free", ident))
        return {"merge-next": "next", "merge-prev": "previous", "merge-both": "both"}.get(k,
                                                                                         "none")

    def bigsmall(self):
        if self.big is None:
            self.big = model(REPO / "build" / "host" / "replay", "traces/bigsmall-105.trace")
        return self.big

    def count(self, kind):
        return sum(1 for st in self.bigsmall().steps[1:] if effect_kind(st) == kind)


def effect_kind(st):
    return st.effect["kind"]


def avl_max_height(n):
    """The greatest height of an AVL tree of n nodes: the h with the fewest
    nodes a tree of height h can have (N(h) = N(h-1) + N(h-2) + 1) at most n."""
    few, h = [0, 1], 1
    while few[-1] + few[-2] + 1 <= n:
        few.append(few[-1] + few[-2] + 1)
        h += 1
    return h


class Index:
    """Lab 7's numbers: worked out, no program needed."""

    def __init__(self, args):
        pass


LAB1 = [
    Answer("d-offset", None, "the offset alloc d got", "number",
           lambda f: f.after("alloc", "d").at),
    Answer("free-c-blocks", 2, "after free c: how many blocks the free list holds", "number",
           lambda f: len(f.after("free", "c").free)),
    Answer("free-c-link-block", 2, "after free c: the offset of the block whose next field "
           "links the two", "number", lambda f: f.after("free", "c").free[0][0]),
    Answer("final-break", 4, "the break's offset at the end of the demo", "number",
           lambda f: f.demo.steps[-1].brk),
    prose(1, "why carving from the top makes the allocator simpler"),
    prose(2, "which field of which block links the two, and where it lives"),
    prose(3, "how free knows how many bytes to give back; what could go wrong"),
    prose(4, "is the break that never comes down a leak; what would giving memory back take"),
    prose(5, "why run-qemu.sh cannot trust QEMU's exit status on x86"),
]
LAB3 = [
    Answer("free-b-merges", 2, "in the demo, free b merges with which neighbour: next, "
           "previous, both or none?", "word", lambda f: f.merged("b")),
    Answer("free-d-merges", 2, "and free d: next, previous, both or none?", "word",
           lambda f: f.merged("d")),
    prose(1, "why one pass finds both neighbours, and why the list must be sorted"),
    prose(2, "the order of the merges, and the special case it saves"),
    prose(3, "what breaks, and when, if a swallowed header is not zeroed"),
    prose(4, "what an unrefused double free would do to the list (drawn)"),
    prose(5, "why the sample traces pass without the zeroing; which part catches it"),
]
LAB6 = [
    Answer("bigsmall-exact-fits", 1, "in traces/bigsmall-105: how many allocations are exact "
           "fits", "number", lambda f: f.count("exact")),
    Answer("bigsmall-carves", 1, "and how many are carved from a free block", "number",
           lambda f: f.count("carve")),
    prose(1, "why first fit, not best fit; what it does to the heap over time"),
    prose(2, "what carving from the bottom would have to write, and which pointer changes"),
    prose(3, "which header bytes an exact fit's allocation holds, and why only those"),
    prose(4, "why alloc must not touch pool->inuse before it has memory; what make grade says"),
    prose(5, "why first fit's cases are kept apart from the carving cases"),
]
LAB7 = [
    Answer("avl-max-height", 4, "the greatest height of an AVL tree of 10,000 nodes", "number",
           lambda f: avl_max_height(10000)),
    Answer("bound-nodes", 4, "so the most nodes the grader lets a search visit in such a "
           "tree, 2*height+2", "number", lambda f: 2 * avl_max_height(10000) + 2),
    prose(1, "why the descent looks left first (with a tree where it matters)"),
    prose(2, "why the right subtree's max is at least n"),
    prose(3, "why the last node passed going right is the predecessor; where it is otherwise"),
    prose(4, "which nodes the descent reads on each level"),
    prose(5, "what a count of instructions adds; why a count beats timing"),
]

class Spans:
    """Lab 8's numbers: the size class tables as objects/sizeclasses.h
    holds them (the layer is built with that file), read, not restated."""

    def __init__(self, args):
        text = (REPO / "objects" / "sizeclasses.h").read_text()
        self.unit = int(re.search(r"#define HOBJ_UNIT\s+(\d+)", text)[1])
        self.table = {}
        for name in ("size", "npages", "nobj", "divmul"):
            m = re.search(rf"hobj_class_{name}\[HOBJ_NCLASS\] = \{{([^}}]*)\}}", text)
            if not m:
                raise CheckError(f"objects/sizeclasses.h: no table hobj_class_{name}")
            self.table[name] = [int(v) for v in re.findall(r"\d+", m[1])]

    def of(self, name, c):
        return self.table[name][c]

    def tail(self, c):
        return self.of("npages", c) * self.unit - self.of("nobj", c) * self.of("size", c)

    def index(self, c, off):
        return (off * self.of("divmul", c)) >> 32


LAB8 = [
    Answer("class3-objects", 1, "how many objects a span of class 3 (48 bytes) holds", "number",
           lambda f: f.of("nobj", 3)),
    Answer("class3-tail", 1, "the bytes of that span past its last object (its tail)", "number",
           lambda f: f.tail(3)),
    Answer("class3-past-last", 3, "the offset in a class-3 span of the first byte past its last "
           "object, the pointer find/past-the-last-object frees", "number",
           lambda f: f.of("nobj", 3) * f.of("size", 3)),
    Answer("class3-past-last-index", 3, "the index the multiply answers for that offset",
           "number", lambda f: f.index(3, f.of("nobj", 3) * f.of("size", 3))),
    Answer("object70-word", None, "in a class-1 span, the word of inuse_bits that holds object "
           "70's bit", "number", lambda f: 70 >> 6),
    Answer("object70-bit", None, "and the bit of that word", "number", lambda f: 70 & 63),
    prose(1, "why the free list's head is reused first (LIFO), and what it does for caches"),
    prose(2, "why fresh objects are kept apart rather than all threaded on the list at once"),
    prose(3, "why find must refuse a pointer in the tail, and why a multiply, not a division"),
    prose(4, "what an unrefused double free does to the list and to the next two mallocs"),
    prose(5, "why keep in-use bits when the free list already says which objects are free"),
]


# --- lab 9: the per-CPU page cache ---------------------------------------------

PAGES = re.compile(r"^pagestress: steal: (\d+) of the (\d+) pages cpu 1 got were pages cpu 0 "
                   r"had freed", re.M)
KEPT = re.compile(r"^pagestress: cap: .* its cache kept (\d+) KiB", re.M)
COUNT = re.compile(r"^pagestress: the allocator's locks: #test-and-set (\d+) #acquire\(\) "
                   r"(\d+)$", re.M)


class Lab9:
    """The page stress's lines in a console log of KERNEL_PCP=lab/pcp.c
    ./run-qemu.sh --smp 2 --pcp --page-stress (build/lab9.log, or --log)."""

    def __init__(self, args):
        path = Path(args.log or "build/lab9.log")
        path = path if path.is_absolute() else REPO / path
        try:
            text = path.read_text(errors="replace")
        except OSError as e:
            raise CheckError(f"{args.log or 'build/lab9.log'}: {e.strerror}: save a run "
                             "first: KERNEL_PCP=lab/pcp.c ./run-qemu.sh --smp 2 --pcp "
                             "--page-stress > build/lab9.log")
        self.steal, self.kept, self.count = PAGES.search(text), KEPT.search(text), \
            COUNT.search(text)
        if not (self.steal and self.kept and self.count):
            kind, said = imagerun.saved_verdict(text)
            shows = f": the run {said}" if kind != "ok" else ""
            raise CheckError(f"{path} has no page stress's lines (`pagestress: steal: ...`, "
                             "`pagestress: cap: ...`, `pagestress: the allocator's locks: "
                             "...`): is it the console of ./run-qemu.sh --smp 2 --pcp "
                             f"--page-stress?{shows}")


LAB9 = [
    Answer("steal-pages", None, "how many of the pages cpu 1 got, its cache empty, were "
           "pages cpu 0 had freed", "number", lambda f: int(f.steal[1])),
    Answer("cap-kept-kib", None, "how many KiB cpu 0's cache kept of the 2048 it freed",
           "number", lambda f: int(f.kept[1])),
    Answer("failed-tas", None, "the failed test-and-sets on the allocator's locks in the "
           "random phase", "number", lambda f: int(f.count[1])),
    Answer("acquires", None, "and how many locks the CPUs took meanwhile", "number",
           lambda f: int(f.count[2])),
    prose(1, "where the single lock's failed test-and-sets come from, and why a tick's are "
          "left out"),
    prose(2, "why stealing takes one lock at a time; the deadlock two would risk"),
    prose(3, "what the cap bounds, and what a cache without one would do to the pool"),
    prose(4, "why the cache zeroes a run outside its lock, and what makes that safe"),
    prose(5, "why a count of failed test-and-sets, and why every run must keep the bound"),
]


LABS = {1: ("docs/lab/1-boot.md", Demo, LAB1), 2: ("docs/lab/2-split-merge.md", Lab2, LAB2),
        3: ("docs/lab/3-free.md", Demo, LAB3), 4: ("docs/lab/4-break-it.md", Lab4, LAB4),
        5: ("docs/lab/5-lock.md", Lab5, LAB5), 6: ("docs/lab/6-alloc.md", Demo, LAB6),
        7: ("docs/lab/7-index.md", Index, LAB7), 8: ("docs/lab/8-spans.md", Spans, LAB8),
        9: ("docs/lab/9-pcp.md", Lab9, LAB9)}


# --- the answers --------------------------------------------------------------

def read_answers(path, keys):
    """Reads an answers file: {key: value or ''}; raises CheckError at a
    line that is not `KEY = VALUE` or names a key the lab does not have."""
    try:
        text = path.read_text()
    except OSError as e:
        raise CheckError(f"{path}: {e.strerror}")
    got, last = {}, None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        if line[:1] in (" ", "\t") and last is not None and not line.lstrip().startswith("#"):
            got[last] = (got[last] + " " + line.strip()).strip()  # a written answer goes on
            continue
        m = re.fullmatch(r"([a-z0-9-]+)\s*=\s*(.*)", s)
        if not m:
            raise CheckError(f"{path}:{n}: want `KEY = VALUE`, got '{line.strip()}'")
        if m[1] not in keys:
            raise CheckError(f"{path}:{n}: no answer is called '{m[1]}' (this lab's: "
                             f"{', '.join(keys)})")
        got[m[1]] = m[2].strip()
        last = m[1] if any(a == m[1] for a in prose_keys(keys)) else None
    return got


def prose_keys(keys):
    """The keys answered in words (qN), which may go on over indented lines."""
    return [k for k in keys if re.fullmatch(r"q\d+", k)]


def number(s):
    s = s.strip().lower()
    if re.fullmatch(r"0x[0-9a-f]+", s):
        return int(s, 16)
    if re.fullmatch(r"[0-9]+", s):
        return int(s)
    return None


def is_right(a, given, right):
    """Is the student's text given the right value for answer a?"""
    if a.kind == "number":
        return number(given) == right
    if a.kind == "ratio":
        try:
            v = float(given)
        except ValueError:
            return False
        return abs(v - right) <= RATIO_SLACK * max(abs(right), 0.1)
    return given.strip().lower() == str(right).lower()


def check(n, path, facts):
    """Prints each answer's verdict; answers how many were right, and how many there are."""
    _, _, answers = LABS[n]
    given = read_answers(path, [a.key for a in answers])
    right = written = 0
    for a in answers:
        g = given.get(a.key, "")
        where = f"question {a.question}" if a.question else "what you should see"
        if not g:
            print(f"  blank  {a.key} ({where}: {a.asks})")
            continue
        if a.kind == "prose":  # words: the course reads them
            written += 1
            print(f"  written {a.key} ({len(g.split())} words)")
            continue
        ok = is_right(a, g, a.value(facts))
        right += ok
        print(f"  {'right' if ok else 'wrong'}  {a.key} = {g}" + ("" if ok else
                                                                 f" ({where}: {a.asks})"))
    prose = sum(a.kind == "prose" for a in answers)
    return right, len(answers) - prose, written, prose


def main(argv):
    ap = argparse.ArgumentParser(prog="checklab.py", description="Check a lab's answers (1 to "
                                 "9) against what the programs print; a written answer is "
                                 "checked for being there.")
    ap.add_argument("lab", help="1 to 9")
    ap.add_argument("--answers", help="the answers file (lab/answers-N.txt)")
    ap.add_argument("--log", help="lab 5: the console log of ./run-qemu.sh --smp 4 "
                    "(build/lab5.log); lab 9: of ./run-qemu.sh --smp 2 --pcp --page-stress "
                    "(build/lab9.log)")
    args = ap.parse_args(argv)
    if args.lab not in [str(k) for k in LABS]:
        print(f"check-lab: no lab '{args.lab}' (the labs are 1 to {max(LABS)})",
              file=sys.stderr)
        return 2
    n = int(args.lab)
    path = Path(args.answers or f"lab/answers-{n}.txt")
    path = path if path.is_absolute() else Path.cwd() / path
    doc = LABS[n][0]
    try:
        read_answers(path, [a.key for a in LABS[n][2]])  # a bad file says so before any build
        facts = LABS[n][1](args)
        print(f"check-lab {n}: {args.answers or f'lab/answers-{n}.txt'} (the questions of {doc})")
        right, total, written, prose = check(n, path, facts)
    except CheckError as e:
        print(f"check-lab {n}: {e}", file=sys.stderr)
        return 2
    print(f"check-lab {n}: {right} of {total} right" +
          (f"; {written} of {prose} written answers there" if prose else ""))
    return 0 if (right, written) == (total, prose) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
