#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# heapview: writes one self-contained HTML page that steps through a replay
# (from `build/host/replay --steps`) or shows a gdb `heap dump` snapshot.
# Plain Python 3; the page is hand-written JS and SVG (tools/heapview.js).
"""Theory of operation

`replay --steps` prints, after every operation, the break and each free
block's header (offset, size, next), as the allocator left them, and the
placement tree when the pool has one. The trace
says what each operation asked for and the replay's own lines what it got,
so every state is known: the free list from the replay, the allocations
(with their IDs) from the trace and the answers. Each step's effect (first
fit chose this block, carved from its top, exact fit unlinked, sbrk grew
the heap, merged with next / previous / both, refused, another client of
the break took bytes at it) is worked out here by comparing the state
before and after it, and written in words. When another client of the
break (a trace's `sbrk` line) took bytes below the pool's top, the steps
also list the pool's regions; what lies between them, and what the other
client took above the top, is drawn as not the pool's (`other`).

The words say what the heap shows, not what the seed's rule says should
happen (a student's allocator, through `make heapview LAB=...`, may carve
from the bottom or leave touching blocks unmerged); where the answer
differs from the seed's, the rule follows in brackets with the range it
gives. After a failed check the replay prints the step of the operation
that broke it, the heap as it left it: that step is drawn as it is (its
blocks need not tile the heap, a header may hold anything), the check's
addresses become offsets through the replay's `# base`, and the page
opens there.

The page holds that model as JSON, the viewer's script and its style, all
inline; a Content-Security-Policy meta tag forbids every fetch, so the page
works from file:// and sends nothing anywhere. A snapshot (docs/heapview.md
has its format) is shown the same way, as one state: the free list, the
runs in use between its blocks, the lock and the tree when there is one.

Exit status: 0 written, 2 bad arguments or input that cannot be shown
(with a message saying why)."""

import argparse
import html
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heapmap import MapError, from_bytes, load_trace, offsets, parse_trace, shown  # noqa: E402,F401
# (the trace's grammar, once: the replay's own reading, through heapmap)
import heapview_objects  # noqa: E402 (a trace of small objects: its model and panel)

HERE = os.path.dirname(os.path.abspath(__file__))
# The limits the viewer holds (README's limits table), each checked before
# the work it bounds. An entry is a step, or a block, a region or a tree
# node of a step: the page's size and the work of building it grow with
# them (the largest trace the replay takes, 131,072 allocs, is well inside
# when its allocations do not pile up).
MAX_ENTRIES = 2_000_000
MAX_STEPS = 32_768  # operations a page steps through (the slider's positions)
MAX_SNAPSHOT_BYTES = 64 << 20  # a snapshot file, read whole before parsing
MAX_SNAPSHOT_BLOCKS = 200_000  # free blocks, and tree nodes, in a snapshot
MAX_SNAPSHOT_DEPTH = 8  # JSON nesting in a snapshot (the format has 4 levels)
MAX_HEAP = 1 << 52  # a heap's size: offsets stay exact as the page's numbers
SNAPSHOT_FORMAT = "heaplab-snapshot"
# The page may run its own inline script and style, and fetch nothing.
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
SNAPSHOT_VERSION = 1

HELP_EPILOG = """examples:
  build/host/replay --steps t.trace > t.steps && tools/heapview.py t.trace t.steps -o t.html
  tools/heapview.py --snapshot heap.json -o heap.html      (heap.json from gdb's `heap dump`)"""


class ViewError(MapError):
    """Input the viewer cannot show; the message says why."""


def h(n):
    return f"{n:#x}"


class Step:
    """One state: after operation n (0: before the first), with what the
    operation printed, the break, the free list [(off, size, next)], the
    pool's regions [(start, end)], the live allocations [[id, off, size,
    made by step]] and the bytes that are not the pool's [[off, size]]."""

    def __init__(self, n, line, brk, free):
        self.n, self.line, self.brk, self.free = n, line, brk, free
        self.broken = False  # its operation broke the check: the heap need not add up
        self.printed = []  # the replay's lines for this operation
        self.tree = None  # the placement index, if the pool has one
        self.regions = [(0, brk)] if brk else []
        self.alloc, self.other = [], []
        self.effect = None


def parse_steps(text):
    """Reads `replay --steps` output (a str of from_bytes: lines end at a
    newline only, as the replay writes them): answers (granule, heap,
    [Step], stop, base) where stop is the message of a failed check (the
    step after it, the last, is the heap its operation left) and base the
    heap's address from `# base`, or None. Refuses output past MAX_ENTRIES
    as it reads, before building anything for it."""
    lines = [s.strip(" \t\r") for s in text.split("\n")]
    m = re.fullmatch(r"# steps granule (0x[0-9a-f]+) heap (0x[0-9a-f]+)", lines[0])
    if not m:
        raise ViewError("the replay output does not start with `# steps granule 0x... heap "
                        "0x...`: make it with `build/host/replay --steps TRACE`")
    granule, heap = int(m[1], 16), int(m[2], 16)
    steps, pending, i, stop, entries, base = [Step(0, 0, 0, [])], [], 1, None, 0, None
    while i < len(lines):
        s = lines[i]
        i += 1
        m = re.fullmatch(r"step (\d+) line (\d+) brk (0x[0-9a-f]+) free (\d+)", s)
        if m:
            st = Step(int(m[1]), int(m[2]), int(m[3], 16), [])
            if steps[-1].broken:
                raise ViewError(f"replay output line {i}: step {st.n} after the failed check "
                                f"of step {steps[-1].n}: the output is edited")
            st.broken = stop is not None  # the operation that broke the check
            if st.n != len(steps):
                raise ViewError(f"replay output line {i}: step {st.n} after step "
                                f"{len(steps) - 1}: the output is cut or edited")
            if st.n > MAX_STEPS:
                raise ViewError(f"replay output line {i}: step {st.n}: {too_long}")
            entries += 1 + int(m[4])
            too_many(entries, st.n)
            st.free, i = read_blocks(lines, i, int(m[4]))
            st.regions, i = read_regions(lines, i, st.regions)
            st.tree, i = read_tree(lines, i, st.free)
            entries += len(st.tree["nodes"]) if st.tree else 0
            st.printed, pending = pending, []
            steps.append(st)
        elif re.fullmatch(r"# base 0x[0-9a-f]+", s):
            base = int(s.split()[2], 16)  # replay --base: a failed check's addresses as offsets
        elif not s:
            continue
        elif s.startswith("error line ") and ": check: " in s:
            stop = shown(s)
        else:
            pending.append(s)
    # What follows the last step is the final free list and break (an alloc
    # of ID `brk` prints `brk 0x...` too, before its step), or nothing if a
    # check stopped the replay.
    if pending and re.fullmatch(r"brk 0x[0-9a-f]+", pending[-1]):
        pending.pop()
        while pending and re.fullmatch(r"free 0x[0-9a-f]+ 0x[0-9a-f]+", pending[-1]):
            pending.pop()
    if pending:
        raise ViewError(f"the replay output ends with `{shown(pending[-1])}` after its last "
                        "step: the output is cut")
    return granule, heap, steps, stop, base


too_long = (f"a page steps through at most {MAX_STEPS} operations: cut the trace "
            "(tools/heapmap.py draws long ones)")


def too_many(entries, n):
    if entries > MAX_ENTRIES:
        raise ViewError(f"by step {n} the replay holds more than {MAX_ENTRIES} entries (steps, "
                        "blocks, regions, tree nodes) between its steps, too many for one page: "
                        "cut the trace (tools/heapmap.py draws long ones)")


def read_blocks(lines, i, k):
    """Reads the k block lines of a step from lines[i]; answers (blocks, i)."""
    blocks = []
    for j in range(i, i + k):
        got = lines[j] if j < len(lines) else ""
        m = re.fullmatch(r"(0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+|nil)", got)
        if not m:
            raise ViewError(f"replay output line {j + 1}: want `0xOFF 0xSIZE 0xNEXT` "
                            f"({k} free blocks), got '{shown(got)}'")
        blocks.append((int(m[1], 16), int(m[2], 16), None if m[3] == "nil" else int(m[3], 16)))
    return blocks, i + k


def read_regions(lines, i, regions):
    """Reads a step's `regions R` and its R lines from lines[i], if there are
    any (another client of the break took bytes below the pool's top);
    answers (the regions, i), else (regions as given, i)."""
    m = re.fullmatch(r"regions (\d+)", lines[i] if i < len(lines) else "")
    if not m:
        return regions, i
    if int(m[1]) > 64:  # HEAPLAB_NREGION is 16
        raise ViewError(f"replay output line {i + 1}: {m[1]} regions: no pool has so many")
    got = []
    for j in range(i + 1, i + 1 + int(m[1])):
        r = re.fullmatch(r"(0x[0-9a-f]+) (0x[0-9a-f]+)", lines[j] if j < len(lines) else "")
        if not r:
            raise ViewError(f"replay output line {j + 1}: want a region `0xSTART 0xEND`, got "
                            f"'{shown(lines[j]) if j < len(lines) else ''}'")
        got.append((int(r[1], 16), int(r[2], 16)))
    return got, i + 1 + int(m[1])


def gaps(spans, lo, hi):
    """The runs of [lo, hi) that none of spans [(start, end)] covers."""
    out, at = [], lo
    for a, b in sorted(spans) + [(hi, hi)]:
        if a > at:
            out.append((at, min(a, hi)))
        at = max(at, b)
    return [(a, b) for a, b in out if a < b]


NODE_LINE = re.compile(r"(0x[0-9a-f]+) left (0x[0-9a-f]+|nil) right (0x[0-9a-f]+|nil) "
                       r"max (0x[0-9a-f]+) height (\d+)")


def read_tree(lines, i, free):
    """Reads a step's `tree root ... nodes M` and its M node lines from
    lines[i], if there are any (a pool with the placement index); answers
    ({root, nodes} or None, i). Nodes keep the snapshot's form: 0x-hex."""
    m = re.fullmatch(r"tree root (0x[0-9a-f]+|nil) nodes (\d+)",
                     lines[i] if i < len(lines) else "")
    if not m:
        return None, i
    if int(m[2]) > len(free):
        raise ViewError(f"replay output line {i + 1}: {m[2]} tree nodes for {len(free)} free "
                        "blocks: the output is edited")
    sizes = {off: size for off, size, _ in free}
    nil = lambda t: None if t == "nil" else t  # noqa: E731
    nodes = []
    for j in range(i + 1, i + 1 + int(m[2])):
        n = NODE_LINE.fullmatch(lines[j] if j < len(lines) else "")
        if not n or int(n[1], 16) not in sizes:
            raise ViewError(f"replay output line {j + 1}: want a node of a free block, "
                            "`0xOFF left 0xOFF right 0xOFF max 0xMAX height H`, got "
                            f"'{shown(lines[j]) if j < len(lines) else ''}'")
        nodes.append({"offset": n[1], "size": h(sizes[int(n[1], 16)]), "left": nil(n[2]),
                      "right": nil(n[3]), "max": n[4], "height": int(n[5])})
    return {"root": nil(m[1]), "nodes": nodes}, i + 1 + int(m[2])


class Model:
    """The steps with their allocations and effects, built from the trace."""

    def __init__(self, ops, granule, heap, steps):
        self.ops, self.granule, self.heap, self.steps = ops, granule, heap, steps
        self.ids = {}  # ID -> [off, size, made] of what it holds, or None (nil)
        self.live = []  # [id, off, size, made]
        self.taken = []  # (off, end) of what other clients of the break took

    def round(self, n):
        return -(-n // self.granule) * self.granule

    def build(self):
        if len(self.steps) - 1 > len(self.ops):
            raise ViewError(f"the replay ran {len(self.steps) - 1} operations, the trace has "
                            f"{len(self.ops)}: the output does not belong to this trace")
        made, entries = {}, 0
        for st in self.steps[1:]:
            op = self.ops[st.n - 1]
            if op.line != st.line:
                raise ViewError(f"step {st.n} is trace line {st.line}, but operation {st.n} of "
                                f"the trace is on line {op.line}: another trace's output")
            prev = self.steps[st.n - 1]
            self.apply(op, st)
            entries += 1 + len(st.free) + len(self.live) + len(st.regions) + len(self.taken)
            too_many(entries, st.n)  # before the lists it counts are made
            st.alloc = [list(p) for p in self.live]
            st.other = [[a, b - a] for a, b in gaps(st.regions + [(st.brk, st.brk)], 0, st.brk)]
            st.other += [[a, b - a] for a, b in self.taken if a >= st.brk and b > a]
            made = {(o, s): made.get((o, s), st.n) for o, s, _ in st.free}
            st.made = made
            if not st.broken:  # a broken heap is drawn as it is, whatever it covers
                self.tiles(st)
            st.effect = effect(self, op, prev, st)

    def apply(self, op, st):
        """Updates the live allocations for op, from what the replay printed."""
        err = next((s for s in st.printed if s.startswith(f"error line {op.line}: ")), None)
        st.error = shown(err.split(": ", 1)[1]) if err else None
        if err or op.kind == "check":
            return
        if op.kind == "sbrk":
            st.at = answer(st, r"sbrk (0x[0-9a-f]+|nil) 0x[0-9a-f]+", f"sbrk {op.size}")
            if st.at is not None:
                self.taken.append((st.at, st.at + op.size))
            return
        if op.kind == "alloc":
            st.at = answer(st, rf"{re.escape(op.ident)} (0x[0-9a-f]+|nil)", f"alloc {op.label}")
            held = None if st.at is None else [op.ident, st.at, self.round(op.size), st.n]
            self.ids[op.ident] = held
            if held:
                self.live.append(held)
        elif op.kind == "free":
            held = self.ids.pop(op.ident, None)
            if held:
                self.live.remove(held)
            st.freed = (held[1], held[1] + held[2]) if held else None
        else:
            self.cut(op.off, op.off + self.round(op.size), st)

    def cut(self, a, b, st):
        """A freeat of [a, b): the allocations it covers lose those bytes."""
        keep = []
        for p in self.live:
            ident, off, size, made = p
            if off + size <= a or b <= off:
                keep.append(p)
                continue
            keep += [[ident, lo, hi - lo, made] for lo, hi in ((off, a), (b, off + size))
                     if max(lo, off) < min(hi, off + size)]
        self.live = sorted(keep, key=lambda p: p[1])
        for k, v in list(self.ids.items()):
            if v is not None and v not in self.live:
                self.ids[k] = next((p for p in self.live if p[0] == k), None)
        st.freed = (a, b)

    def tiles(self, st):
        """The allocations, the free blocks and what is not the pool's must
        cover [0, break) exactly."""
        runs = sorted([(o, s, "free") for o, s, _ in st.free] +
                      [(p[1], p[2], p[0]) for p in st.alloc] +
                      [(o, s, "another client's bytes") for o, s in st.other if o < st.brk])
        at, last = 0, None
        for o, s, what in runs:
            if o != at:
                bad = (f"nothing covers [{h(at)}, {h(o)})" if o > at else
                       f"{what} at {h(o)} overlaps {last}, which ends at {h(at)}")
                raise ViewError(f"step {st.n} (trace line {st.line}): {bad}: the output does "
                                "not belong to this trace, or the granule is wrong")
            at, last = o + s, what
        if at != st.brk:
            raise ViewError(f"step {st.n}: the blocks end at {h(at)}, the break is at "
                            f"{h(st.brk)}: the output does not belong to this trace")


def answer(st, pattern, what):
    """The offset (None for nil) in the line step st's operation printed,
    which must match pattern."""
    m = re.fullmatch(pattern, st.printed[0] if st.printed else "")
    if not m:
        raise ViewError(f"step {st.n} ({what}) printed {[shown(p) for p in st.printed] or 'nothing'}: another "
                        "trace's output")
    return None if m[1] == "nil" else int(m[1], 16)


def containing(blocks, a):
    return next((b for b in blocks if b[0] <= a < b[0] + b[1]), None)


def effect(m, op, prev, st):
    """Answers {kind, text, range} saying what op did, from prev to st."""
    if st.error is not None:
        return {"kind": "refused", "text": f"refused: {st.error.split(': ', 1)[-1]}; "
                "nothing changed", "range": refused_range(m, op)}
    if op.kind == "check":
        return {"kind": "check", "text": "check: every invariant holds", "range": None}
    if op.kind == "sbrk":
        if st.at is None:
            return {"kind": "nil", "text": f"sbrk {op.size}: another client of the break asked "
                    f"for {h(op.size)} bytes, past the heap's end: nil; nothing changed",
                    "range": None}
        return {"kind": "other", "text": f"another client of the break (newlib's malloc, say) "
                f"took [{h(st.at)}, {h(st.at + op.size)}) at the break: never the pool's; its "
                "next sbrk starts above them, in a region of its own",
                "range": [st.at, st.at + op.size]}
    if op.kind == "alloc":
        return alloc_effect(m, op, prev, st)
    return free_effect(op, prev, st)


def refused_range(m, op):
    if op.kind == "freeat":
        return [op.off, op.off + m.round(op.size)]
    held = m.ids.get(op.ident) if op.kind in ("alloc", "free") else None
    return [held[1], held[1] + held[2]] if held else None


def first_fit(prev, n):
    """Where the seed puts n bytes after state prev: [a, b) and the block it
    takes from (None: from sbrk), the lowest block that holds them, carved
    from its top."""
    blk = next((b for b in sorted(prev.free) if b[1] >= n), None)
    if blk is None:
        return prev.brk, prev.brk + n, None
    return blk[0] + blk[1] - n, blk[0] + blk[1], blk[0]


def alloc_effect(m, op, prev, st):
    """What the alloc did, read from the heap before and after it (which
    block shrank, moved or left the list), so that a split unlike the
    seed's is told as it happened; the seed's rule is said beside it when
    the answer differs."""
    n = m.round(op.size)
    if st.at is None:
        why = ("size 0 is refused" if op.size == 0 else
               f"no free block holds {h(n)} bytes and sbrk cannot grow the heap to that "
               f"(break {h(prev.brk)}, heap {h(m.heap)})")
        return {"kind": "nil", "text": f"{op.label} got nil: {why}; nothing changed",
                "range": None}
    a, b = st.at, st.at + n
    wa, wb, wblk = first_fit(prev, n)
    src = containing(prev.free, a)
    got = f"{op.label} got [{h(a)}, {h(b)})"
    if src is None:
        none = ((f"none of the {len(prev.free)} free blocks holds {h(n)} bytes" if prev.free
                 else "the free list is empty") if wblk is None else
                f"no free block was taken (the block at {h(wblk)} holds {h(n)} bytes)")
        grew = (f"sbrk grew the heap by {h(st.brk - prev.brk)}, the break moved from "
                f"{h(prev.brk)} to {h(st.brk)}" if st.brk > prev.brk else
                f"the break stayed at {h(st.brk)}")
        return {"kind": "sbrk", "text": f"{none}: {grew}; {got}" + rule(wa, wb, wblk, a, b, src),
                "range": [a, b], "block": None}
    skipped = sum(1 for blk in prev.free if blk[0] < src[0])
    skip = f", after {skipped} smaller block{'s' if skipped != 1 else ''}" if skipped else ""
    fit = (f"first fit chose the block at {h(src[0])} (size {h(src[1])}{skip})"
           if src[0] == wblk else f"the alloc took the block at {h(src[0])} (size {h(src[1])})")
    left = rest(prev, st, src)
    if src[1] == n and a == src[0]:
        kind, how = "exact", f"an exact fit, {left}; {got}"
    else:
        side = ("top" if b == src[0] + src[1] else "bottom" if a == src[0] else "middle")
        kind, how = "carve", f"carved {h(n)} from its {side}, so {got} and {left}"
    over = next((blk for blk in st.free if blk[0] < b and a < blk[0] + blk[1]), None)
    if over is not None and over[0] == src[0]:
        how = (f"{got} out of it, yet the block stays on the list over those bytes (its "
               f"header now says size {h(over[1])}): memory handed out and free at once")
    elif over is not None:
        how += (f"; but [{h(a)}, {h(b)}) overlaps the free block at {h(over[0])}, still on "
                "the list: memory handed out and free at once")
    return {"kind": kind, "text": f"{fit}: {how}" + rule(wa, wb, wblk, a, b, src),
            "range": [a, b], "block": src[0]}


def rest(prev, st, src):
    """What became of free block src from state prev to st, in words."""
    now = {blk[0]: blk for blk in st.free}
    end = src[0] + src[1]
    new = [blk for blk in st.free if src[0] <= blk[0] < end and blk not in prev.free]
    if src[0] in now:
        size = now[src[0]][1]
        return ("the block keeps its address with size " + h(size) if size != src[1] else
                "the block stays on the list unchanged")
    if new:
        o, size, _ = new[0]
        return f"the rest moved {'up' if o > src[0] else 'down'} to {h(o)} with size {h(size)}"
    return "unlinked from the list"


def rule(wa, wb, wblk, a, b, src):
    """The seed's rule beside what happened, when the answer differs."""
    if (wa, wb) == (a, b):
        return ""
    said = ("the seed carves from the top" if src is not None and src[0] == wblk else
            "the seed takes the lowest block that holds it" if wblk is not None else
            "no free block holds it: the seed grows the heap with sbrk")
    return f" ({said}: expected [{h(wa)}, {h(wb)}), got [{h(a)}, {h(b)}))"


def free_effect(op, prev, st):
    """What the free did, read from the heap before and after it: which
    blocks it joined, and the seed's merge beside it when it differs."""
    if st.freed is None:
        return {"kind": "nil", "text": f"free {op.label}: it got nil, so there is nothing to "
                "free; nothing changed", "range": None}
    a, b = st.freed
    who = f"{op.label} " if op.kind == "free" else ""
    below = next((blk for blk in prev.free if blk[0] + blk[1] == a), None)
    above = next((blk for blk in prev.free if blk[0] == b), None)
    want = (below[0] if below else a, above[0] + above[1] if above else b)
    blk = containing(st.free, a)
    if blk is None:
        return {"kind": "lost", "text": f"freed {who}[{h(a)}, {h(b)}): no free block holds "
                "it now, lost from the list (the seed links it in, merged with its free "
                f"neighbours: expected [{h(want[0])}, {h(want[1])}))",
                "range": [a, b], "block": None}
    lo, hi = blk[0] < a, blk[0] + blk[1] > b
    kind, how = (("merge-both", "merged with the previous and the next free block")
                 if lo and hi else ("merge-prev", "merged with the previous free block")
                 if lo else ("merge-next", "merged with the next free block")
                 if hi else ("insert", "no free neighbour: a new block, linked in address order"
                             if not below and not above else "a new block"))
    got = (blk[0], blk[0] + blk[1])
    note = "" if got == want else (f" (the seed merges a block with the free blocks it "
                                   f"touches: expected [{h(want[0])}, {h(want[1])}), got "
                                   f"[{h(got[0])}, {h(got[1])}))")
    return {"kind": kind, "text": f"freed {who}[{h(a)}, {h(b)}): {how}; the block is now "
            f"[{h(got[0])}, {h(got[1])})" + note, "range": [a, b], "block": blk[0]}


def steps_page(trace_path, steps_path):
    """Reads a trace and its `replay --steps` output; answers the page's model."""
    ops = load_trace(trace_path)
    if any(op.kind in heapview_objects.KINDS for op in ops):  # spans and objects
        return heapview_objects.steps_page(sys.modules[__name__], trace_path, steps_path,
                                           heapview_objects.load_ops(trace_path))
    if len(ops) > MAX_STEPS:
        raise ViewError(f"{trace_path}: {len(ops)} operations: {too_long}")
    try:
        with open(steps_path, "rb") as f:
            granule, heap, steps, stop, base = parse_steps(from_bytes(f.read()))
    except OSError as e:
        raise ViewError(f"{e.filename}: {e.strerror}")
    m = Model(ops, granule, heap, steps)
    m.build()
    ended = None if stop or len(steps) > len(ops) else (
        f"the replay ended in op {len(steps)} (trace line {ops[len(steps) - 1].line}: "
        f"{ops[len(steps) - 1]}), before it returned: it crashed or looped (the replay's "
        "status and its message on stderr say which)")
    return {"source": "steps", "title": os.path.basename(trace_path), "granule": granule,
            "heap": heap, "stop": stop_text(stop, base, steps, ops) if stop else ended,
            "ops": [str(op) for op in ops], "steps": [step_json(st) for st in steps]}


def stop_text(stop, base, steps, ops):
    """A failed check, its addresses as offsets (with the base the replay's
    --base printed), and the operation that broke it."""
    msg, lost = offsets(stop.split(": check: ", 1)[1], base)
    last = steps[-1]
    op = ops[last.n - 1] if last.broken else None
    who = (f"the operation after op {last.n} broke the heap" if op is None else
           f"op {last.n} (trace line {last.line}: check) found the heap broken by an operation "
           "before it" if op.kind == "check" else
           f"op {last.n} (trace line {last.line}: {op}) broke the heap")
    return f"the full check failed: {who}: check: {msg}" + (
        " (? an address: replay --base gives offsets)" if lost else "")


def step_json(st):
    made = getattr(st, "made", {})
    return {"n": st.n, "line": st.line, "brk": st.brk, "broken": st.broken,
            "printed": [shown(p) for p in st.printed], "tree": st.tree,
            "free": [free_json(o, s, nx, made.get((o, s))) for o, s, nx in st.free],
            "alloc": [[shown(p[0])] + p[1:] for p in st.alloc], "other": st.other, "effect": st.effect or {
                "kind": "start", "text": "the heap is empty: the break is at its start",
                "range": None}}


def free_json(off, size, nxt, made):
    """A free block for the page: [off, size, next, made], and, when the
    header a broken heap left holds a number past what the page's numbers
    keep exact, that number clipped and [size, next] as the header says."""
    if size <= MAX_HEAP and (nxt is None or nxt <= MAX_HEAP):
        return [off, size, nxt, made]
    return [off, min(size, MAX_HEAP), None if nxt is None else min(nxt, MAX_HEAP), made,
            [h(size), "nil" if nxt is None else h(nxt)]]


# The snapshot's schema, as gdb's `heap dump` writes it (docs/heapview.md
# has it as a table). A snapshot is checked against it whole before
# anything is drawn: every field's type, every number a whole one in
# [0, 2^64) (a JSON number or a string of 0x-hex or decimal; NaN and
# Infinity are no numbers), every list within its limit; a field it does
# not name is left out of the page. NUM: such a number; TEXT: a string;
# BOOL; INT: a small whole JSON number; (T, None): T or null; [T, N]: a
# list of at most N; ("pair", T): a list of two; {...}: an object with
# those fields (a key ending in "?" may be missing); ("either", A, B).
NUM, TEXT, BOOL, INT = "number", "text", "true or false", "whole number"
BLOCK = {"offset": NUM, "size": NUM, "next": (NUM, None), "addr": NUM, "next_addr": (NUM, None)}
NODE = {"offset": NUM, "size": NUM, "left": (NUM, None), "right": (NUM, None),
        "parent": (NUM, None), "max": NUM, "height": INT}
LOCK = ("either", {"addr": NUM, "name": TEXT, "locked": BOOL, "cpu": INT, "pc": NUM,
                   "where": (TEXT, None)},
        {"addr": NUM, "error": TEXT})
SNAPSHOT_SCHEMA = {
    "format": TEXT, "version": INT, "pool": TEXT, "arch": TEXT, "start": NUM, "end": NUM,
    "break": NUM, "bloc?": (NUM, None), "regions?": [("pair", NUM), 64], "granule": NUM,
    "taken": NUM, "inuse": NUM, "checking": BOOL, "free": [BLOCK, MAX_SNAPSHOT_BLOCKS],
    "walk_error": (TEXT, None), "lock": (LOCK, None),
    "tree?": {"index": INT, "root": (NUM, None), "nodes": [NODE, MAX_SNAPSHOT_BLOCKS],
              "walk_error": (TEXT, None)},
}
TEXT_MAX = 4096  # characters in a snapshot's string


def kind_of(v):
    return ("null" if v is None else "true or false" if isinstance(v, bool) else
            "a number" if isinstance(v, (int, float)) else "a string" if isinstance(v, str) else
            "a list" if isinstance(v, list) else "an object")


def checked(v, schema, where):
    """v checked against schema (above); answers it with numbers as ints and
    only the fields the schema names, or raises ViewError naming the field."""
    if isinstance(schema, tuple) and schema[1:] == (None,):
        return None if v is None else checked(v, schema[0], where)
    if schema == NUM:
        n = v if isinstance(v, int) and not isinstance(v, bool) else \
            int(v, 0) if isinstance(v, str) and re.fullmatch(r"0x[0-9a-fA-F]{1,16}|[0-9]{1,20}", v) \
            else None
        if n is None or not 0 <= n < 1 << 64:
            raise ViewError(f"field {where} is {shown(json.dumps(v))[:80]}: want a whole number "
                            "from 0 to 2^64-1 (a JSON number, or a string of 0x-hex or decimal)")
        return n
    if schema == INT:
        if not isinstance(v, int) or isinstance(v, bool) or not -1 <= v < 1 << 32:
            raise ViewError(f"field {where} is {shown(json.dumps(v))[:80]}: want a whole number "
                            "from -1 to 2^32-1")
        return v
    if schema == TEXT:
        if not isinstance(v, str) or len(v) > TEXT_MAX:
            raise ViewError(f"field {where} is {kind_of(v)}{' too long' if isinstance(v, str) else ''}:"
                            f" want a string of at most {TEXT_MAX} characters")
        return v
    if schema == BOOL:
        if not isinstance(v, bool):
            raise ViewError(f"field {where} is {kind_of(v)}: want true or false")
        return v
    if isinstance(schema, tuple) and schema[0] == "pair":
        if not isinstance(v, list) or len(v) != 2:
            raise ViewError(f"field {where} is {kind_of(v)}"
                            f"{f' of {len(v)}' if isinstance(v, list) else ''}: want a pair [a, b]")
        return [checked(x, schema[1], f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(schema, tuple) and schema[0] == "either":
        if isinstance(v, dict) and "error" in v:
            return checked(v, schema[2], where)
        return checked(v, schema[1], where)
    if isinstance(schema, list):
        if not isinstance(v, list):
            raise ViewError(f"field {where} is {kind_of(v)}: want a list")
        if len(v) > schema[1]:
            raise ViewError(f"field {where} has {len(v)} entries, more than the limit of "
                            f"{schema[1]} this viewer draws")
        return [checked(x, schema[0], f"{where}[{i}]") for i, x in enumerate(v)]
    if not isinstance(v, dict):
        raise ViewError(f"field {where or '(the top)'} is {kind_of(v)}: want an object")
    out = {}
    for key, sub in schema.items():
        name = key.rstrip("?")
        path = f"{where}.{name}" if where else name
        if name not in v:
            if key.endswith("?"):
                continue
            raise ViewError(f"field {path} is missing")
        out[name] = checked(v[name], sub, path)
    return out


def too_deep(v, most):
    """The path of a list or object in v nested deeper than most levels, or None."""
    stack = [(v, 1, "")]
    while stack:
        x, d, where = stack.pop()
        if isinstance(x, (list, dict)):
            if d > most:
                return where
            items = x.items() if isinstance(x, dict) else enumerate(x)
            stack += [(y, d + 1, f"{where}.{k}" if isinstance(x, dict) else f"{where}[{k}]")
                      for k, y in items]
    return None


def read_snapshot(path):
    """Reads and checks a snapshot file; answers it, checked (see above)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SNAPSHOT_BYTES + 1)
    except OSError as e:
        raise ViewError(f"{e.filename}: {e.strerror}")
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise ViewError(f"{path}: more than {MAX_SNAPSHOT_BYTES} bytes, the limit for a "
                        "snapshot")
    try:
        # NaN and Infinity are read as floats, which the schema refuses by name.
        snap = json.loads(data, parse_constant=float)
    except RecursionError:
        raise ViewError(f"{path}: nested too deep for a JSON reader: not a heaplab snapshot")
    except ValueError as e:
        raise ViewError(f"{path}: not JSON: {e}")
    if not isinstance(snap, dict) or snap.get("format") != SNAPSHOT_FORMAT:
        raise ViewError(f"{path}: not a heaplab snapshot (want \"format\": "
                        f"\"{SNAPSHOT_FORMAT}\", from gdb's `heap dump FILE`)")
    if snap.get("version") != SNAPSHOT_VERSION:
        raise ViewError(f"{path}: snapshot version {shown(json.dumps(snap.get('version')))[:40]}, "
                        f"this viewer reads version {SNAPSHOT_VERSION}")
    deep = too_deep(snap, MAX_SNAPSHOT_DEPTH)
    if deep is not None:
        raise ViewError(f"{path}: snapshot field {shown(deep.lstrip('.'))[:200]} is nested "
                        f"deeper than {MAX_SNAPSHOT_DEPTH} levels: not a heaplab snapshot")
    try:
        snap = checked(snap, SNAPSHOT_SCHEMA, "")
        in_range(snap)
    except ViewError as e:
        raise ViewError(f"{path}: snapshot {e}: see docs/heapview.md for the format")
    return snap


def in_range(snap):
    """The ranges the schema's types cannot say: the heap, and every offset
    and size inside it."""
    start, end, heap = snap["start"], snap["end"], snap["end"] - snap["start"]
    if not start <= end or heap > MAX_HEAP:
        raise ViewError(f"fields start, end: [{h(start)}, {h(end)}) is no heap of at most "
                        f"{h(MAX_HEAP)} bytes")
    if not start <= snap["break"] <= end:
        raise ViewError(f"field break is {h(snap['break'])}, outside the heap "
                        f"[{h(start)}, {h(end)}]")
    g = snap["granule"]
    if not 16 <= g <= 1 << 20 or g & (g - 1):
        raise ViewError(f"field granule is {h(g)}: want a power of two from 16 to 1048576")
    for i, (a, b) in enumerate(snap.get("regions", [])):
        if not a <= b <= heap:
            raise ViewError(f"field regions[{i}] is [{h(a)}, {h(b)}]: want start <= end "
                            f"<= {h(heap)}, the heap's size")
    for what, blocks in (("free", snap["free"]), ("tree.nodes", (snap.get("tree") or {})
                                                   .get("nodes", []))):
        for i, b in enumerate(blocks):
            if b["offset"] + b["size"] > heap:
                raise ViewError(f"field {what}[{i}]: a block [{h(b['offset'])}, "
                                f"+{h(b['size'])}) past the heap's end, {h(heap)}")
            for link in ("next", "left", "right", "parent", "max"):
                if b.get(link) is not None and b[link] > heap:
                    raise ViewError(f"field {what}[{i}].{link} is {h(b[link])}, past the "
                                    f"heap's end, {h(heap)}")


def snapshot_page(path):
    """Reads a `heap dump` snapshot; answers the page's model (one step)."""
    snap = read_snapshot(path)
    start, brk = snap["start"], snap["break"]
    free = [(b["offset"], b["size"], b["next"]) for b in snap["free"]]
    shown_snap = dict(snap, **{k: h(snap[k]) for k in ("start", "end", "break", "granule",
                                                       "taken", "inuse")})
    return {"source": "snapshot", "title": os.path.basename(path), "granule": snap["granule"],
            "heap": snap["end"] - start, "ops": [],
            "stop": snap["walk_error"] and f"the walk of the list stopped: {snap['walk_error']}",
            "snapshot": shown_snap, "steps": [snapshot_step(snap, brk - start, free)]}


def snapshot_step(snap, brk, free):
    """The snapshot as one step: the runs of the pool's regions between free
    blocks are in use; the rest below the break is not the pool's."""
    regions = [(a, b) for a, b in snap.get("regions") or []] or [(0, brk)]
    used = [["in use", a, b - a, None]
            for lo, hi in regions for a, b in gaps([(o, o + s) for o, s, _ in free], lo, hi)]
    other = [[a, b - a] for a, b in gaps(regions, 0, brk)]
    lock = snap.get("lock") or {}
    who = ("no lock object (the host replay)" if not lock else
           f"lock \"{lock.get('name')}\" held by cpu {lock.get('cpu')} at {lock.get('where')}"
           if lock.get("locked") else f"lock \"{lock.get('name')}\" free")
    text = (f"snapshot of {snap.get('pool', 'mempool')} ({snap.get('arch', '?')}): "
            f"{len(free)} free block{'s' if len(free) != 1 else ''}, break at {h(brk)}; {who}")
    tree = snap.get("tree")
    if tree is not None:  # links as 0x-hex strings, as the steps' trees have them
        hx = lambda v: None if v is None else h(v)  # noqa: E731
        tree = dict(tree, root=hx(tree["root"]), nodes=[
            {k: v if k == "height" else hx(v) for k, v in n.items()} for n in tree["nodes"]])
    return {"n": 0, "line": 0, "brk": brk, "printed": [], "tree": tree,
            "free": [[o, s, nx, None] for o, s, nx in free], "alloc": used, "other": other,
            "effect": {"kind": "snapshot", "text": text, "range": None}}


def render(model):
    """Answers the page: the model, the script and the style, inline."""
    with open(os.path.join(HERE, "heapview.js")) as f:
        js = f.read()
    with open(os.path.join(HERE, "heapview.css")) as f:
        css = f.read()
    js, css = heapview_objects.assets(model, js, css)
    # Inside <script> the HTML parser ends the data at `</script` and reads
    # `<!--` and `<script` as its own, so no <, > or & is left for it to
    # see; JSON.parse reads the escapes back.
    data = json.dumps(model, separators=(",", ":"), allow_nan=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = html.escape(f"heapview: {model['title']}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{title}</title>
<style>{css}</style></head>
<body>
<noscript>This page draws the heap with JavaScript; turn it on to step through it.</noscript>
<script id="heapview-data" type="application/json">{data}</script>
<script>{js}</script>
</body></html>
"""


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="heapview.py", epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write one self-contained HTML page that steps through a replay "
        "(slider, arrow keys) or shows a gdb `heap dump` snapshot.")
    ap.add_argument("trace", nargs="?", help="the trace file")
    ap.add_argument("steps", nargs="?", help="what `build/host/replay --steps TRACE` printed")
    ap.add_argument("--snapshot", metavar="FILE.json", help="show a `heap dump` snapshot instead")
    ap.add_argument("-o", dest="out", required=True, help="the HTML file to write")
    args = ap.parse_args(argv)
    if (args.snapshot is None) == (args.trace is None):
        ap.error("give either TRACE STEPS or --snapshot FILE.json")
    if args.trace is not None and args.steps is None:
        ap.error("TRACE needs the replay's --steps output beside it")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        model = snapshot_page(args.snapshot) if args.snapshot else \
            steps_page(args.trace, args.steps)
        page = render(model)
        tmp = args.out + ".tmp"
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(tmp, "w") as f:
            f.write(page)
        os.replace(tmp, args.out)
    except MapError as e:
        print(f"heapview: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"heapview: {args.out}: {e.strerror}", file=sys.stderr)
        return 2
    n = len(model["steps"]) - 1
    print(f"heapview: wrote {args.out} ({n} step{'s' if n != 1 else ''})" if not args.snapshot
          else f"heapview: wrote {args.out} (snapshot)")
    if model["stop"] and not args.snapshot:
        print(f"heapview: {model['stop']}; the page opens at step {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
