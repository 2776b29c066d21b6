#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# heapmap: draws a replayed allocation trace as a picture of the heap, from
# the trace and what build/host/replay (or an image's trace mode) printed.
# Run with Debian's python3 and python3-matplotlib (tools/deps.sh plot).
"""Theory of operation

The replay prints where each allocation went and, at the end, the free list
and the break. That is enough to replay the placement here: every address
and every size is known, so the heap at any moment is [0, break) with the
live allocations taken out, and the free list is what is left, as maximal
runs (the allocator merges touching blocks, so its list is exactly that).
A trace's `sbrk SIZE` is another client of the break: the bytes it took,
up to the next granule (where the pool's next region starts at the
earliest), are never the pool's, so they are taken out as well, drawn as
grey `sbrk` bars that last to the end.

The picture (the default view) has the operation number across and the
address (offset from the heap's start) up. Each allocation is a bar from its
address to its end, rounded up to the granule, spanning the operations it
was live (a bar too thin to see at the scale, a page among megabytes, gets a
mark that stays visible, and bars carry their IDs where a label fits); a
strip on the right shows the free list, each block labelled with its offset
where a label fits and linked to the next by an arrow (its header's `next`):
at the end, as the replay printed it, or with `--at N` just after operation
N (a dashed line marks N on the timeline); a line follows the break.
`--step N` draws instead the free list just before and just after operation
N, to show one split or one merge.

Everything is drawn and written in offsets from the heap's start. A failed
check's message quotes addresses: its title gives them as offsets from the
base that an image's console (`# base 0x...`) or `replay --base` prints,
and without one leaves them out, saying so.

Every SVG element that carries data has an id: `alloc-SEQ-ID` per bar (SEQ
counts alloc lines from 1; a bar cut by a partial free becomes
`alloc-SEQ-ID.1`, `.2`...; past 2000 bars they are drawn as one group,
`allocs`; a thin bar's mark is `mark-alloc-...`, a label `label-alloc-...`),
`sbrk-N` per other client's bytes (N the operation that took them),
`free-0xOFF` per block of the strip's free list (`mark-free-0xOFF` if thin,
`label-free-0xOFF` its label, `next-0xOFF` the arrow from it to the next),
`brk` for the break, `at` for the line of `--at N`; the step view has `before-...`/`after-...` for the same, and
`before-op-range` and `after-op-range` for the bytes operation N touched.

A replay of a broken allocator is drawn as far as it can be, and the
title says what shows the break: an alloc over a live allocation (the
picture stops at that operation), or a final free list that is not what
the allocations leave (the picture runs to the end, the list as printed,
with the first alloc not where first fit from the top puts it). The same
could come from another trace's output or a wrong --page, which the
warning says too; `replay --check` stops a broken replay at the operation
that broke it, which the title then names.

Exit status: 0 drawn, 2 bad arguments, a malformed trace or output, or a
trace and output that do not belong together (each with a message)."""

import argparse
import os
import re
import subprocess
import sys
import textwrap

HELP_EPILOG = """examples:
  build/host/replay t.trace > t.out && tools/heapmap.py t.trace t.out -o build/t
  ./run-qemu.sh --trace t.trace > console.log; tools/heapmap.py t.trace console.log
  tools/heapmap.py t.trace t.out --step 6 -o build/merge
  tools/heapmap.py t.trace t.out --at 6 -o build/list6"""


class MapError(Exception):
    """A trace or output the tool cannot draw; the message says why."""


class Op:
    """One operation of the trace: kind (alloc, free, freeat, sbrk, check),
    the trace line, the ID and the numbers it names. The ID is its bytes as
    the replay reads them, held as a str decoded with surrogateescape (so
    any bytes round-trip and compare); label is how it is shown."""

    def __init__(self, num, line, kind, ident=None, size=0, off=0):
        self.num, self.line, self.kind = num, line, kind
        self.ident, self.size, self.off = ident, size, off

    @property
    def label(self):
        return None if self.ident is None else shown(self.ident)

    def __str__(self):
        args = {"alloc": f" {self.label} {self.size}", "free": f" {self.label}",
                "freeat": f" {self.off:#x} {self.size}", "sbrk": f" {self.size}"}.get(self.kind, "")
        return self.kind + args


def from_bytes(b):
    """Bytes the replay read or printed, as a str that keeps every byte."""
    return b.decode("utf-8", "surrogateescape")


def shown(s):
    """A str of from_bytes() fit to show anywhere (a terminal, a page, an
    SVG): bytes that are not UTF-8 as \\xNN, characters that do not print
    (a no-break space, U+2028, C1 controls) as \\xNN, \\uNNNN."""
    if s.isascii() and s.isprintable():  # most IDs: nothing to do
        return s
    s = s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else
                   c.encode("unicode_escape").decode("ascii") for c in s)


def parse_number(tok):
    """Decimal or 0x-hex, as the replay reads them (for options); None if neither."""
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", tok):
        return int(tok, 16)
    if re.fullmatch(r"[0-9]+", tok):
        return int(tok)
    return None


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replay_tool():
    """The replay that reads traces for these tools ($HEAPLAB_REPLAY, else
    build/host/replay): one grammar, the replay's own."""
    path = os.environ.get("HEAPLAB_REPLAY") or os.path.join(REPO, "build", "host", "replay")
    if not os.access(path, os.X_OK):
        raise MapError(f"{path} is missing: `make host` builds it (the trace is read through it)")
    return path


def replay_ops(args, data=None, name=None):
    """Runs `replay --ops` over a trace; answers its Ops, or raises MapError
    with the replay's own message if it refuses the trace."""
    try:
        p = subprocess.run([replay_tool(), "--ops", *args], input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise MapError(f"the replay could not read the trace: {e}")
    why = "\n".join(shown(s) for s in from_bytes(p.stderr).strip("\n").split("\n"))
    if p.returncode != 0:
        why = why[len("replay: "):] if why.startswith("replay: ") else why
        if name is not None and why.startswith("stdin: "):
            why = f"{name}: {why[len('stdin: '):]}"
        raise MapError(why or f"the replay's --ops exited {p.returncode}")
    ops = []
    for rec in p.stdout.split(b"\n")[:-1]:
        f = rec.decode("ascii").split(" ")
        op = Op(len(ops) + 1, int(f[1]), f[0])
        if op.kind in ("alloc", "free"):
            op.ident = from_bytes(bytes.fromhex(f[2]))
        if op.kind == "alloc":
            op.size = int(f[3])
        elif op.kind == "freeat":
            op.off, op.size = int(f[2]), int(f[3])
        elif op.kind == "sbrk":
            op.size = int(f[2])
        ops.append(op)
    return ops


def parse_trace(text):
    """The Ops of a trace's text (str or bytes), as the replay reads them."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    return replay_ops(["-"], data, name="trace")


def load_trace(path):
    """The Ops of the trace in file path, as the replay reads them."""
    return replay_ops([path])


class Output:
    """What the replay printed: allocs [(ID, offset or None)], sbrks
    [offset or None], refused {trace line: message}, stop (trace line,
    message) if a check failed, the final free list [(offset, size)] and the
    break (None if stopped)."""

    def __init__(self):
        self.base, self.allocs, self.sbrks, self.refused = None, [], [], {}
        self.image = False  # the base came from an image's console, not replay --base
        self.stop, self.free, self.brk = None, [], None


def replay_lines(text):
    """The replay's lines in text: those after a `# base 0x...` line if
    there is one (an image's console), without other `#` lines and blanks,
    up to the failed check's `error line N: check: ...` line if there is
    one, else up to the last `brk` line (the final one: an alloc of ID
    `brk` prints one before it). Lines end at a newline only, as the
    replay writes them (an ID may hold U+2028 or a no-break space); the
    console's carriage returns and the blanks around a line go.
    Answers (base or None, [(number, line)])."""
    lines = [s.strip(" \t\r") for s in text.split("\n")]
    base, start = None, 0
    for i, s in enumerate(lines):
        m = re.fullmatch(r"# base (0x[0-9a-fA-F]+)", s)
        if m:
            base, start = int(m.group(1), 16), i + 1
            break
    keep = [(i + 1, s) for i, s in enumerate(lines[start:], start)
            if s and not s.startswith("#")]
    stop = next((k for k, (_, s) in enumerate(keep) if re.match(r"error line \d+: check: ", s)),
                None)
    last_brk = max((k for k, (_, s) in enumerate(keep) if re.fullmatch(r"brk 0x[0-9a-f]+", s)),
                   default=None)
    end = stop if stop is not None else last_brk
    if end is not None:
        keep = keep[:end + 1]
    return base, keep


def parse_output(text):
    """Answers the Output of a replay, or raises MapError at a bad line."""
    out = Output()
    out.base, lines = replay_lines(text)
    out.image = out.base is not None and not text.lstrip(" \t\r\n").startswith("# base ")
    tail = len(lines)
    if lines and re.fullmatch(r"brk 0x[0-9a-f]+", lines[-1][1]):
        out.brk = int(lines[-1][1].split(" ")[1], 16)
        tail -= 1
        while tail > 0 and re.fullmatch(r"free 0x[0-9a-f]+ 0x[0-9a-f]+", lines[tail - 1][1]):
            tail -= 1
        out.free = [tuple(int(t, 16) for t in s.split(" ")[1:]) for _, s in lines[tail:-1]]
    if out.brk is None and not any(re.match(r"error line \d+: check: ", s) for _, s in lines):
        raise MapError("the output has no final `brk 0x...` line and no failed check: "
                       "is it a replay's output, and complete?")
    for n, s in lines[:tail]:
        parse_output_line(out, n, s)
        if out.stop is not None:
            break  # the replay stopped there; what follows is not its
    return out


def parse_output_line(out, n, s):
    """Reads one alloc or error line into out."""
    m = re.fullmatch(r"error line (\d+): (.*)", s)
    if m:
        line, msg = int(m.group(1)), shown(m.group(2))
        if msg.startswith("check: "):
            out.stop = (line, msg[len("check: "):])
        else:
            out.refused[line] = msg
        return
    m = re.fullmatch(r"sbrk (0x[0-9a-f]+|nil) 0x[0-9a-f]+", s)
    if m:
        out.sbrks.append(None if m.group(1) == "nil" else int(m.group(1), 16))
        return
    m = re.fullmatch(r"([^ ]+) (0x[0-9a-f]+|nil)", s)
    if not m:
        raise MapError(f"output line {n}: cannot read '{shown(s)}' (want `ID 0xOFF`, `ID nil`, "
                       "`sbrk 0xOFF 0xSIZE`, `error line N: ...`, `free`, `brk`)")
    off = None if m.group(2) == "nil" else int(m.group(2), 16)
    out.allocs.append((m.group(1), off))


class Piece:
    """A run of allocated bytes [off, end), live from operation start until
    operation stop (None while live): one bar of the picture."""

    def __init__(self, seq, ident, off, end, start, part=0):
        self.seq, self.ident, self.off, self.end = seq, ident, off, end
        self.start, self.stop, self.part = start, None, part

    foreign = False  # bytes another client of the break took (an sbrk line)

    def gid(self, prefix="alloc"):
        if self.foreign:
            return f"{prefix.replace('alloc', 'sbrk')}-{self.start}"
        part = f".{self.part}" if self.part else ""
        return f"{prefix}-{self.seq}-{shown(self.ident)}{part}"


class Slot:
    """What the replay remembers of an ID: its alloc line's number, where
    it went (None for nil), its rounded size, and whether `free ID` has
    freed it (the replay refuses an alloc of an ID still holding memory)."""

    def __init__(self, seq, off, size):
        self.seq, self.off, self.size, self.live = seq, off, size, True


class History:
    """The heap over time, replayed from a trace and its output."""

    def __init__(self, ops, out, page):
        self.ops, self.out, self.page = ops, out, page
        self.pieces = []  # every bar, live or not
        self.live = []  # the live pieces, now
        self.foreign = []  # pieces of other clients of the break: never the pool's
        self.brk = [0]  # the pool's break after op k, k = 0..
        self.sysbrk = 0  # the break all clients share, byte-exact
        self.ids = {}  # ID -> Slot
        self.nalloc = 0  # alloc lines read so far
        self.parts = {}  # seq -> pieces its allocation was cut into so far
        self.touched = {}  # op number -> (offset, end) of what it allocated or freed
        self.nran = 0  # operations that ran (fewer if a check stopped the replay)
        self.misplaced = 0  # allocs not where first fit from the top puts them
        self.first_misplaced = None  # (op, offset, where first fit puts it), the first
        self.broke = None  # what shows the heap broke (words), if the output does
        self.stopped = None  # the operation the picture stops at, if one broke the heap
        self.work = 0  # live pieces looked at so far (see MAX_WORK)

    def bound_work(self, ran):
        """Counts, before any of it, the live pieces the allocs and frees
        will look at (at most: a freeat may cut one in two), and refuses a
        trace that passes MAX_WORK."""
        live, work, held, allocs = 0, 0, {}, iter(self.out.allocs)
        for op in ran:
            if op.line in self.out.refused or op.kind == "check":
                continue
            if op.kind == "sbrk":
                live += 1
                continue
            work += live + 1
            if work > MAX_WORK:
                self.work = work
                self.count(op)
            if op.kind == "alloc":
                held[op.ident] = next(allocs)[1] is not None
                live += held[op.ident]
            elif op.kind == "free":
                live -= held.pop(op.ident, False)
            else:
                live += 1

    def count(self, op):
        """Each alloc and free looks at every live piece: past MAX_WORK of
        them in all the trace is refused, before the look that passes it."""
        self.work += len(self.live) + len(self.foreign) + 1
        if self.work > MAX_WORK:
            raise MapError(f"trace line {op.line}: the trace keeps so many allocations live "
                           f"that drawing it looks at more than {MAX_WORK} of them: cut the "
                           "trace, or free more of what it allocates")

    def round(self, n):
        return -(-n // self.page) * self.page

    def run(self):
        stop_line = self.out.stop[0] if self.out.stop else None
        ran = [op for op in self.ops if stop_line is None or op.line <= stop_line]
        self.expect_allocs(ran)
        self.bound_work(ran)
        allocs, sbrks = iter(self.out.allocs), iter(self.out.sbrks)
        for op in ran:
            self.step(op, allocs, sbrks)
            span = self.touched.get(op.num) if op.kind == "alloc" else None
            self.brk.append(max(self.brk[-1], span[1]) if span else self.brk[-1])
            if self.stopped is not None:
                break  # past it the allocations no longer say where the free memory is
        self.nran = self.stopped or len(ran)
        self.verify_end()

    def expect_allocs(self, ran):
        lines = {op.line for op in self.ops}
        for line in list(self.out.refused) + ([self.out.stop[0]] if self.out.stop else []):
            if line not in lines:
                raise MapError(f"the output names trace line {line}, which holds no operation: "
                               "the output does not belong to this trace")
        want = [op for op in ran if op.kind == "alloc" and op.line not in self.out.refused]
        nsbrk = sum(op.kind == "sbrk" for op in ran)
        if nsbrk != len(self.out.sbrks):
            raise MapError(f"the trace has {nsbrk} sbrk lines, the output {len(self.out.sbrks)} "
                           "sbrk answers: the output does not belong to this trace")
        if len(want) != len(self.out.allocs):
            raise MapError(f"the trace has {len(want)} allocs that should print a line, the "
                           f"output has {len(self.out.allocs)} alloc lines: the output does "
                           "not belong to this trace")
        for n, (op, (ident, _)) in enumerate(zip(want, self.out.allocs), 1):
            if op.ident != ident:
                raise MapError(f"alloc {n} (trace line {op.line}) is '{op.label}', but the "
                               f"output's alloc line {n} is '{shown(ident)}': the output does not "
                               "belong to this trace")

    def step(self, op, allocs, sbrks):
        refused = op.line in self.out.refused
        slot = self.ids.get(op.ident)
        if op.kind == "alloc":
            holding = slot is not None and slot.live and slot.off is not None
            if holding != refused:
                raise MapError(f"trace line {op.line}: alloc {op.label} "
                               f"{'was' if refused else 'was not'} refused, but {op.label} "
                               f"{'held no' if refused else 'still held'} memory: the output "
                               "does not belong to this trace")
            if not refused:
                self.alloc(op, next(allocs))
        elif op.kind == "free" and not refused:
            if slot is None:
                raise MapError(f"trace line {op.line}: free {op.label} of an ID never "
                               "allocated should have been refused; the output says it was not")
            if slot.off is not None:
                self.free_range(op, slot.off, slot.off + slot.size)
            slot.live = False
        elif op.kind == "freeat" and not refused:
            self.free_range(op, op.off, op.off + self.round(op.size))
        elif op.kind == "sbrk":
            self.other_client(op, next(sbrks))

    def other_client(self, op, off):
        """Another client of the break took op.size bytes at off (None: no
        room): they, and the bytes up to the next granule, are not the pool's."""
        if off is None:
            return
        if off != self.sysbrk:
            raise MapError(f"output: sbrk of trace line {op.line} at {off:#x}, but the break "
                           f"was at {self.sysbrk:#x}: wrong --page, or another trace?")
        self.sysbrk = off + op.size
        end = self.round(self.sysbrk)
        if end > off:
            piece = Piece(op.num, "sbrk", off, end, op.num)
            piece.foreign = True
            self.pieces.append(piece)
            self.foreign.append(piece)
        self.touched[op.num] = (off, off + op.size)

    def alloc(self, op, answer):
        self.count(op)
        self.nalloc += 1
        off = answer[1]
        end = None if off is None else off + self.round(op.size)
        self.ids[op.ident] = Slot(self.nalloc, off, self.round(op.size))
        if off is None:
            return
        if off % self.page:
            raise MapError(f"output: {op.label} at {off:#x} is not aligned to the page "
                           f"{self.page:#x}: wrong --page?")
        for p in self.live + self.foreign:
            if p.off < end and off < p.end:
                whose = "the bytes another client of the break took" if p.foreign else \
                    shown(p.ident)
                self.broken(op, f"{op.label} got [{off:#x}, {end:#x}), which overlaps {whose} "
                            f"at [{p.off:#x}, {p.end:#x}), still live: memory handed out "
                            "twice; the picture stops there")
                break
        self.expect_placement(op, off, end)
        self.sysbrk = max(self.sysbrk, end)
        piece = Piece(self.nalloc, op.ident, off, end, op.num)
        self.pieces.append(piece)
        self.live.append(piece)
        self.touched[op.num] = (off, end)

    def expect_placement(self, op, off, end):
        """Warns (once) when an alloc is not where first fit from the top
        would put it: a wrong --page, or an allocator that is not ours."""
        n, runs, at = end - off, [], 0
        for a, b in sorted((p.off, p.end) for p in self.live + self.foreign) + \
                [(self.brk[-1],) * 2]:
            if a > at:
                runs.append((at, a - at))
            at = max(at, b)
        grow = self.round(max(self.brk[-1], self.sysbrk))  # where sbrk starts
        fit = next((a + size - n for a, size in runs if size >= n), grow)
        if off != fit and not self.misplaced:
            self.first_misplaced = (op, off, fit)
            print(f"heapmap: warning: trace line {op.line}: {op.label} at {off:#x}, but first "
                  f"fit from the top puts it at {fit:#x}: wrong --page? (drawn as printed)",
                  file=sys.stderr)
        self.misplaced += off != fit

    def broken(self, op, words):
        """The output shows a broken heap (or belongs to another trace, or
        --page is wrong): said on stderr and in the title, and drawn as far
        as it can be; op, if known, is where the picture stops."""
        if self.broke is not None:
            return
        where = "" if op is None else f"op {op.num} (trace line {op.line}: {op}) broke the heap: "
        self.broke = where + words
        self.stopped = None if op is None else op.num
        print(f"heapmap: warning: {self.broke} (or --page is wrong, or the output is another "
              "trace's)", file=sys.stderr)

    def covered(self, off, size):
        """Is all of [off, off+size) in live pieces?"""
        runs = sorted((max(p.off, off), min(p.end, off + size)) for p in self.live
                      if p.off < off + size and off < p.end)
        at = off
        for a, b in runs:
            if a > at:
                return False
            at = max(at, b)
        return at >= off + size

    def free_range(self, op, off, end):
        self.count(op)
        if off % self.page or end == off or not self.covered(off, end - off):
            raise MapError(f"trace line {op.line}: {op} frees [{off:#x}, {end:#x}), not all of "
                           "it allocated, yet the output did not refuse it: the output does not "
                           "belong to this trace (or --page is wrong)")
        for p in [p for p in self.live if p.off < end and off < p.end]:
            self.live.remove(p)
            self.cut(p, off, end, op.num)
        self.touched[op.num] = (off, end)

    def cut(self, p, off, end, num):
        """Ends the part of live piece p inside [off, end) at operation num;
        what is left of p on either side stays live as a piece of its own."""
        inside = (max(p.off, off), min(p.end, end))
        if inside == (p.off, p.end):
            p.stop = num
            return
        self.pieces.remove(p)
        for a, b in ((p.off, off), inside, (end, p.end)):
            if a >= b:
                continue
            self.parts[p.seq] = self.parts.get(p.seq, 0) + 1
            q = Piece(p.seq, p.ident, a, b, p.start, self.parts[p.seq])
            q.stop = num if (a, b) == inside else None
            self.pieces.append(q)
            if q.stop is None:
                self.live.append(q)

    def free_runs(self, k):
        """The free list after operation k: [0, break) minus what was live
        then (other clients' bytes too), as maximal runs [(offset, size)]."""
        live = sorted((p.off, p.end) for p in self.pieces
                      if p.start <= k and (p.stop is None or p.stop > k))
        runs, at = [], 0
        for a, b in live + [(self.brk[k], self.brk[k])]:
            if a > at:
                runs.append((at, a - at))
            at = max(at, b)
        return runs

    def verify_end(self):
        """The output's final free list and break must be what the placement
        leaves; blocks that touch but were not merged only get a warning."""
        if self.out.brk is None or self.stopped is not None:
            return
        k = self.nran
        if self.out.brk != self.brk[k]:
            raise MapError(f"output: the break is {self.out.brk:#x}, but the allocations "
                           f"put it at {self.brk[k]:#x}: wrong --page, or another trace?")
        mine, theirs = self.free_runs(k), merge_runs(self.out.free)
        if mine != theirs:
            first = self.first_misplaced
            sign = "" if first is None else (
                f" (the first sign: op {first[0].num}, trace line {first[0].line}, {first[0]}: "
                f"{first[0].label} at {first[1]:#x}, where first fit from the top puts it at "
                f"{first[2]:#x})")
            self.broken(None, f"the replay's final free list {fmt_runs(self.out.free)} is not "
                        f"what its allocations leave, {fmt_runs(mine)}: the heap broke on the "
                        f"way{sign}; replay with --check to stop at the operation that broke it")
            return
        if len(self.out.free) != len(mine):
            print("heapmap: warning: the output's free list has blocks that touch but were "
                  "not merged (drawn as printed)", file=sys.stderr)


def merge_runs(blocks):
    runs = []
    for off, size in sorted(blocks):
        if runs and runs[-1][0] + runs[-1][1] == off:
            runs[-1] = (runs[-1][0], runs[-1][1] + size)
        else:
            runs.append((off, size))
    return runs


def fmt_runs(runs, most=None):
    """Spells runs [(offset, size)] as [0xOFF+0xSIZE, ...]; past most runs,
    just how many there are and how many bytes they hold."""
    if most is not None and len(runs) > most:
        return f"{len(runs)} blocks, {sum(s for _, s in runs):#x} bytes"
    return "[" + ", ".join(f"{o:#x}+{s:#x}" for o, s in runs) + "]" if runs else "(empty)"


def describe(h, n):
    """Says in words what operation n did to the free list."""
    op = h.ops[n - 1]
    if op.line in h.out.refused:
        return f"refused: {h.out.refused[op.line]}"
    span = h.touched.get(n)
    if op.kind == "sbrk":
        return (f"another client of the break took [{span[0]:#x}, {span[1]:#x}): never the "
                "pool's; its next sbrk starts above them" if span else
                "sbrk nil: the break cannot move that far")
    if op.kind == "check" or span is None:
        return "nil: no memory" if op.kind == "alloc" else "the heap does not change"
    a, b = span
    before, after = h.free_runs(n - 1), h.free_runs(n)
    if op.kind == "alloc":
        return describe_alloc(h, n, a, b, before)
    run = next(r for r in after if r[0] <= a < r[0] + r[1])
    lo, hi = run[0] < a, run[0] + run[1] > b
    how = ("merged with both neighbours" if lo and hi else "merged with the previous block"
           if lo else "merged with the next block" if hi else
           "a new block, inserted in address order")
    return f"[{a:#x}, {b:#x}) freed: {how}; now {run[0]:#x}+{run[1]:#x}"


def describe_alloc(h, n, a, b, before):
    src = next((r for r in before if r[0] <= a < r[0] + r[1]), None)
    if src is None:
        return (f"no free block fits {b - a:#x} bytes: the break grows from "
                f"{h.brk[n - 1]:#x} to {h.brk[n]:#x}")
    if src[1] == b - a:
        return f"first fit {src[0]:#x}+{src[1]:#x} is an exact fit: unlinked"
    # The free list after it is worked out from the allocations, so where
    # the allocation sits says which end was carved, whatever the rule.
    end = src[0] + src[1]
    if b == end:
        return (f"first fit {src[0]:#x}+{src[1]:#x} is split: it keeps its address and "
                f"shrinks to {src[1] - (b - a):#x}; the allocation is its top, [{a:#x}, {b:#x})")
    side = "bottom" if a == src[0] else "middle"
    return (f"first fit {src[0]:#x}+{src[1]:#x} is split: the allocation is its {side}, "
            f"[{a:#x}, {b:#x}), not its top (the seed carves from the top: expected "
            f"[{end - (b - a):#x}, {end:#x}))")


def load(trace_path, out_path, page):
    """Reads both files and replays the placement; answers the History."""
    ops = load_trace(trace_path)
    try:
        with open(out_path, "rb") as f:
            out = parse_output(from_bytes(f.read()))
    except OSError as e:
        raise MapError(f"{e.filename}: {e.strerror}")
    h = History(ops, out, page)
    h.run()
    return h


# Drawing. Colours: allocations cycle through a qualitative map, free
# blocks are green, the break red, the bytes an operation touched outlined.
FREE_FACE, FREE_EDGE, BRK_COLOUR, TOUCH_EDGE = "#a6dba0", "#1b7837", "#d7301f", "#2166ac"
OTHER_FACE = "#bdbdbd"  # another client of the break
LABEL_MAX = 150  # label at most this many bars with their IDs, where they do not collide
THIN = 0.006  # a bar thinner than this part of the address axis gets a mark that stays visible
CHAR_W, LABEL_H = 0.0058, 0.022  # a label's character and its height, in parts of the axes
BARS_MAX = 2000  # past this many bars, draw them as one collection
MAX_WORK = 5_000_000  # live pieces the allocs and frees look at, in all (README's limits)
NEXT_MAX = 60  # draw at most this many of the free list's next arrows


def pyplot():
    """Imports matplotlib for files only (no display), SVG text kept as text."""
    try:
        import matplotlib
    except ImportError:
        raise MapError("matplotlib is missing: tools/deps.sh plot (Debian's python3-matplotlib)")
    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "heaplab",
                                "font.size": 9})
    import matplotlib.pyplot as plt
    return plt


def hex_axis(axis, page, top):
    """Ticks in hex at multiples of the page, about ten of them."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator
    step = page
    while top / step > 10:
        step *= 2
    axis.set_major_locator(MultipleLocator(step))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):#x}"))


def colour(plt, seq):
    """60 colours (tab20, tab20b, tab20c), so that neighbours rarely share one."""
    k = (seq * 7) % 60
    return plt.get_cmap(("tab20", "tab20b", "tab20c")[k // 20])(k % 20)


def face(plt, p):
    """A piece's colour: grey for another client's bytes."""
    return OTHER_FACE if p.foreign else colour(plt, p.seq)


def rect(plt, x, y, w, h, gid, **kw):
    return plt.Rectangle((x, y), w, h, gid=gid, **kw)


def base_note(h):
    """The address axis' name; an image's base (from its console) is said,
    a host program's (replay --base) is not: it changes from run to run."""
    return f"offset from the heap's start (base {h.out.base:#x})" if h.out.image else \
        "offset from the heap's start"


# The words before a number that is an address in a failed check's message
# (mem/check.c's heaplab_fault_format): the rest are sizes, offsets and counts.
ADDRESS = re.compile(r"\b(block|next|back to|break|child|parent is|list has) (0x[0-9a-f]+)")


def offsets(msg, base):
    """A failed check's message with its addresses as offsets from base;
    answers (message, how many addresses it could not convert)."""
    lost = 0

    def one(m):
        nonlocal lost
        a = int(m[2], 16)
        if base is not None and a >= base:
            return f"{m[1]} {a - base:#x}"
        lost += 1
        return f"{m[1]} ?"
    return ADDRESS.sub(one, msg), lost


def stop_note(h):
    """The title's line for a replay that a check stopped, in offsets."""
    msg, lost = offsets(h.out.stop[1], h.out.base)
    if lost:
        print("heapmap: warning: the failed check quotes addresses, and the output has no "
              "`# base 0x...` line to make them offsets (replay --base prints one): the "
              "title leaves them out", file=sys.stderr)
    op = h.ops[h.nran - 1]
    why = ("a `check` line: an operation before it broke the heap" if op.kind == "check" else
           "the operation that broke the heap")
    return (f"the replay stopped at op {h.nran} (trace line {h.out.stop[0]}: {op}), {why}: "
            f"check: {msg}"
            + (" (? an address: replay --base gives offsets)" if lost else ""))


def draw_timeline(plt, h, title, at=None):
    """The default view: bars over operations, the free list at the end (or
    after op at), the break."""
    fig, (ax, strip) = plt.subplots(1, 2, sharey=True, figsize=(12, 7),
                                    gridspec_kw={"width_ratios": [12, 2], "wspace": 0.03})
    end = h.nran + 1
    top = max([h.brk[-1], h.page] + [p.end for p in h.pieces])
    draw_bars(plt, h, ax, end, top * 1.04)
    xs = list(range(h.nran + 1)) + [end]
    ax.plot(xs, h.brk + [h.brk[-1]], drawstyle="steps-post", color=BRK_COLOUR, linewidth=1.5,
            gid="brk", label="break")
    ax.set_xlim(0, end)
    ax.set_ylim(0, top * 1.04)
    ax.set_xlabel("operation (trace order; a bar spans the operations its allocation was live)")
    ax.set_ylabel(base_note(h))
    hex_axis(ax.yaxis, h.page, top)
    if at is not None:
        ax.axvline(at + 0.5, color=TOUCH_EDGE, linewidth=1.2, linestyle="--", gid="at",
                   label=f"after op {at}: the free list on the right")
    ax.legend(loc="upper left")
    draw_strip(plt, h, strip, at)
    if h.out.stop and h.stopped is None:
        title += "\n" + textwrap.fill(stop_note(h), 130)
    if h.broke:
        title += "\n" + textwrap.fill(h.broke, 130)
    fig.suptitle(title)
    fig.subplots_adjust(top=0.88 - 0.02 * title.count("\n"))  # room for every line
    return fig


def draw_bars(plt, h, ax, end, top):
    """One bar per piece, each an SVG element with its own id; past
    BARS_MAX bars, one collection (id `allocs`), which draws much faster.
    A bar too thin to see at this scale (a page among megabytes) gets a
    mark of a fixed thickness (id `mark-...`); bars are labelled with their
    IDs where a label fits without covering another (label_bar)."""
    if len(h.pieces) > BARS_MAX:
        from matplotlib.collections import PolyCollection
        boxes = [[(p.start, p.off), (p.stop or end, p.off), (p.stop or end, p.end),
                  (p.start, p.end)] for p in h.pieces]
        ax.add_collection(PolyCollection(boxes, facecolors=[face(plt, p) for p in h.pieces],
                                         edgecolors="black", linewidths=0.2, gid="allocs"))
        return
    placed = []  # the labels' boxes so far, in parts of the axes
    for p in sorted(h.pieces, key=lambda p: p.off - p.end):  # big bars claim their labels first
        stop = p.stop if p.stop is not None else end
        ax.add_patch(rect(plt, p.start, p.off, stop - p.start, p.end - p.off, p.gid(),
                          facecolor=face(plt, p), edgecolor="black", linewidth=0.3,
                          hatch="//" if p.foreign else None))
        if (p.end - p.off) / top < THIN:
            ax.plot([p.start, stop], [(p.off + p.end) / 2] * 2, color=face(plt, p),
                    linewidth=2.5, solid_capstyle="butt", gid=f"mark-{p.gid()}")
        if len(placed) < LABEL_MAX:
            label_bar(ax, p, stop, end, top, placed)


def label_bar(ax, p, stop, end, top, placed):
    """Writes p's ID inside its bar when the bar holds it, else just right of
    the bar's start in a small box, unless that covers a label placed before."""
    x0, x1, y0, y1 = p.start / end, stop / end, p.off / top, p.end / top
    w = CHAR_W * (len(shown(p.ident)) + 1)
    inside = x1 - x0 >= w and y1 - y0 >= LABEL_H
    box = ((x0 + x1 - w) / 2, (x0 + x1 + w) / 2) if inside else (x0 + 0.002, x0 + 0.002 + w)
    ym = (y0 + y1) / 2
    box += (ym - LABEL_H / 2, ym + LABEL_H / 2)
    if box[1] > 1 or any(box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3]
                         for b in placed):
        return
    placed.append(box)
    kw = {} if inside else {"bbox": {"boxstyle": "square,pad=0.1", "facecolor": "white",
                                     "edgecolor": "none", "alpha": 0.8}}
    ax.text((box[0] + box[1]) / 2, ym, shown(p.ident), ha="center", va="center",
            fontsize=8 if inside else 6.5, gid=f"label-{p.gid()}", transform=ax.transAxes, **kw)


def draw_strip(plt, h, strip, at=None):
    from matplotlib.patches import FancyArrowPatch
    """The free list, at the end as the replay printed it (or why there is
    none) or after op at: each block labelled with its offset where a label
    fits, and an arrow from each to the next (its header's `next`)."""
    strip.set_xlim(0, 1)
    strip.set_xticks([])
    strip.set_title("free list\n" + ("at the end" if at is None else f"after op {at}"),
                    fontsize=8)
    if at is None and (h.out.brk is None or h.stopped is not None):
        strip.text(0.5, 0.5, "none:\nthe replay\nstopped" if h.stopped is None else
                   f"none:\nthe picture\nstops at op {h.stopped}", ha="center", va="center",
                   transform=strip.transAxes, fontsize=8)
        return
    blocks, brk = (h.out.free, h.out.brk) if at is None else (h.free_runs(at), h.brk[at])
    top, placed = strip.get_ylim()[1], []
    for off, size in blocks:
        strip.add_patch(rect(plt, 0.3, off, 0.35, size, f"free-{off:#x}", facecolor=FREE_FACE,
                             edgecolor=FREE_EDGE, linewidth=0.8))
        if size / top < THIN:  # a page among megabytes: keep it visible
            strip.plot([0.3, 0.65], [off + size / 2] * 2, color=FREE_EDGE, linewidth=2.5,
                       solid_capstyle="butt", gid=f"mark-free-{off:#x}")
        if len(placed) < LABEL_MAX:
            label_strip(strip, off, size, top, placed)
    for (off, _), (nxt, _) in list(zip(blocks, blocks[1:]))[:NEXT_MAX]:
        strip.add_patch(FancyArrowPatch(path=next_arc(off, nxt, top), arrowstyle="->",
                                        mutation_scale=7, color=FREE_EDGE, linewidth=0.7,
                                        gid=f"next-{off:#x}"))
    strip.axhline(brk, color=BRK_COLOUR, linewidth=1.5, gid="strip-brk")


def next_arc(off, nxt, top):
    """The arc of a `next` link, from block off's start to block nxt's,
    bowed left of the blocks by at most a quarter of the strip: a curve
    whose bow grew with its length left the strip and was clipped into two
    stubs. Farther links bow more, so that nested arcs stay apart."""
    from matplotlib.path import Path
    bow = 0.3 - (0.05 + 0.2 * min(1, abs(nxt - off) / top))
    return Path([(0.3, off), (bow, off), (bow, nxt), (0.3, nxt)],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])


def label_strip(strip, off, size, top, placed):
    """Writes a free block's offset beside it in the strip, moved up or
    down (with a line to its block) to the nearest place that covers no
    label placed before; none if there is no such place near."""
    y = (off + size / 2) / top
    for k in (0, 1, -1, 2, -2, 3, -3, 4, -4):
        at = y + k * LABEL_H
        if LABEL_H / 2 <= at <= 1 - LABEL_H / 2 and all(abs(at - b) >= LABEL_H for b in placed):
            break
    else:
        return
    placed.append(at)
    strip.text(0.74, at, f"{off:#x}", ha="left", va="center", fontsize=6,
               transform=strip.transAxes, gid=f"label-free-{off:#x}")
    if k:
        strip.plot([0.66, 0.73], [y, at], color=FREE_EDGE, linewidth=0.5,
                   transform=strip.transAxes, gid=f"leader-free-{off:#x}")


def draw_step(plt, h, n, title):
    """The --step view: the heap just before and just after operation n."""
    fig, axes = plt.subplots(2, 1, sharex=True, figsize=(12, 4.2))
    op = h.ops[n - 1]
    right = max(h.brk[n], h.page) * 1.04
    for ax, k, name in ((axes[0], n - 1, "before"), (axes[1], n, "after")):
        draw_row(plt, h, ax, k, name, right, h.touched.get(n))
        ax.set_ylabel(f"{name}\nop {n}", rotation=0, ha="right", va="center")
    span = h.touched.get(n)
    for ax, name in ((axes[0], "before"), (axes[1], "after")):
        if span is not None:
            ax.add_patch(rect(plt, span[0], 0.04, span[1] - span[0], 0.92, f"{name}-op-range",
                              fill=False, edgecolor=TOUCH_EDGE, linewidth=2, linestyle="--"))
    axes[0].text(h.brk[n - 1], 1.02, "break", color=BRK_COLOUR, ha="center", va="bottom",
                 transform=axes[0].get_xaxis_transform())
    axes[1].set_xlim(0, right)
    axes[1].set_xlabel(base_note(h) + f"; dashed: the bytes operation {n} touched")
    hex_axis(axes[1].xaxis, h.page, right)
    what = textwrap.fill(f"op {n} (trace line {op.line}): {op}: {describe(h, n)}", 120)
    fig.suptitle(f"{title}\n{what}\n"
                 f"free list {fmt_runs(h.free_runs(n - 1), 4)} -> {fmt_runs(h.free_runs(n), 4)}")
    fig.subplots_adjust(top=0.76, hspace=0.35, left=0.1)
    return fig


def draw_row(plt, h, ax, k, name, right, span):
    """One row of the step view: live allocations and free runs after op k,
    each labelled inside where it has room, else just above the row where
    that label covers no other, those in span (the bytes the operation
    touched) first; right is the axis' length."""
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    labels = []  # (offset, size, text, room, gid)
    for p in h.pieces:
        if p.start <= k and (p.stop is None or p.stop > k):
            ax.add_patch(rect(plt, p.off, 0.15, p.end - p.off, 0.7, p.gid(f"{name}-alloc"),
                              facecolor=OTHER_FACE if p.foreign else "#d9d9d9",
                              edgecolor="black", linewidth=0.5, hatch="//" if p.foreign else None))
            thin_mark(ax, p.off, p.end - p.off, right, "black", p.gid(f"mark-{name}-alloc"))
            labels.append((p.off, p.end - p.off, shown(p.ident), 0.04, p.gid(f"label-{name}-alloc")))
    for off, size in h.free_runs(k):
        ax.add_patch(rect(plt, off, 0.15, size, 0.7, f"{name}-free-{off:#x}",
                          facecolor=FREE_FACE, edgecolor=FREE_EDGE, linewidth=0.8))
        thin_mark(ax, off, size, right, FREE_EDGE, f"mark-{name}-free-{off:#x}")
        labels.append((off, size, f"free {size:#x}", 0.08, f"label-{name}-free-{off:#x}"))
    a, b = span or (0, 0)
    above = []  # the labels above the row so far: (x0, x1) in parts of the axis
    for off, size, text, room, gid in sorted(labels, key=lambda t: (not (t[0] < b and a <
                                                                         t[0] + t[1]), t[0])):
        label_block(ax, off, size, right, text, room, above, gid)
    ax.axvline(h.brk[k], color=BRK_COLOUR, linewidth=1.5, gid=f"{name}-brk")


def label_block(ax, off, size, right, text, room, above, gid):
    """Labels a block of the step view: inside it if it is wider than room
    (a part of the axis), else above the row unless that covers a label
    placed there before."""
    if size / right > room:
        ax.text(off + size / 2, 0.5, text, ha="center", va="center", fontsize=8, gid=gid)
        return
    w = CHAR_W * 1.6 * (len(text) + 1) / 2
    mid = min(max((off + size / 2) / right, w), 1 - w)  # kept inside the axis
    if any(mid - w < b and a < mid + w for a, b in above):
        return
    above.append((mid - w, mid + w))
    ax.text(mid * right, 0.87, text, ha="center", va="bottom", fontsize=6, gid=gid)


def thin_mark(ax, off, size, right, colour, gid):
    """A block of the step view too narrow to see gets a mark that is."""
    if size / right < THIN:
        ax.plot([off + size / 2] * 2, [0.15, 0.85], color=colour, linewidth=2.5,
                solid_capstyle="butt", gid=gid)


def save(fig, stem):
    """Writes stem.svg and stem.png; answers their names."""
    names = [f"{stem}.svg", f"{stem}.png"]
    try:
        os.makedirs(os.path.dirname(stem) or ".", exist_ok=True)
        fig.savefig(names[0], metadata={"Date": None})
        fig.savefig(names[1], dpi=120)
    except OSError as e:
        raise MapError(f"{e.filename}: {e.strerror}")
    return names


def power_of_two(s):
    n = parse_number(s)
    if n is None or n < 16 or n & (n - 1):
        raise argparse.ArgumentTypeError(f"'{s}' is not a power of two >= 16")
    return n


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="heapmap.py", epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Draw a replayed allocation trace as a picture of the heap (SVG and PNG).")
    ap.add_argument("trace", help="the trace file")
    ap.add_argument("output", help="what build/host/replay printed for it, or an image's "
                    "console log (the lines after `# base 0x...`)")
    ap.add_argument("-o", dest="stem", default="build/heapmap",
                    help="write STEM.svg and STEM.png (default build/heapmap)")
    ap.add_argument("--page", type=power_of_two, default=4096,
                    help="the granule the replay ran with (default 4096)")
    ap.add_argument("--step", type=int, metavar="N",
                    help="draw instead the free list just before and after operation N "
                    "(the Nth operation line of the trace, from 1; comments and blank "
                    "lines do not count)")
    ap.add_argument("--at", type=int, metavar="N",
                    help="the overview, with the free list just after operation N on the "
                    "right (instead of at the end)")
    ap.add_argument("--title", help="the picture's title (default: the trace's name)")
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        h = load(args.trace, args.output, args.page)
        title = args.title or f"{os.path.basename(args.trace)} (page {args.page:#x})"
        for flag, n in (("--step", args.step), ("--at", args.at)):
            if n is not None and not 1 <= n <= h.nran:
                raise MapError(f"{flag} {n}: the replay ran operations 1 to {h.nran}")
        if args.step is not None and args.at is not None:
            raise MapError("--step and --at draw different views: give one")
        plt = pyplot()
        if args.at is not None:
            fig = draw_timeline(plt, h, title, args.at)
            print(f"after op {args.at}: {h.ops[args.at - 1]}: {describe(h, args.at)}\n"
                  f"  free list: {fmt_runs(h.free_runs(args.at))}  break {h.brk[args.at]:#x}")
        elif args.step is None:
            fig = draw_timeline(plt, h, title)
        else:
            fig = draw_step(plt, h, args.step, title)
            n = args.step
            print(f"op {n}: {h.ops[n - 1]}: {describe(h, n)}\n  free list before: "
                  f"{fmt_runs(h.free_runs(n - 1))}\n  free list after:  {fmt_runs(h.free_runs(n))}")
        names = save(fig, args.stem)
    except MapError as e:
        print(f"heapmap: {e}", file=sys.stderr)
        return 2
    print("heapmap: wrote " + " and ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
