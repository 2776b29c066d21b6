# SPDX-License-Identifier: BSD-3-Clause
# Tests of tools/heapmap.py: render traces and check what the pictures hold
# (the SVG's bars, free blocks and break, placed where the replay says), the
# --step view of a split and of a merge, and the errors for a trace and an
# output that do not belong together. Run with /usr/bin/python3 -m pytest.
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAPMAP = REPO / "tools" / "heapmap.py"
REPLAY = REPO / "build" / "host" / "replay"
TRACES = REPO / "traces"
SVG = "{http://www.w3.org/2000/svg}"
PAGE = 0x1000

# example-1 of the sample traces, and an alloc that answers nil. Ops 5 and
# 7 split a free block, op 6 merges with the next block, op 10 with both.
TRACE = """# a split and a merge
alloc a 100
alloc b 5000
alloc c 4096
free b
alloc d 10
free a
alloc e 4096
free c
free d
free e
alloc huge 0x100000000
"""


def run(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(HEAPMAP), *map(str, args)], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def replay_built():
    subprocess.run(["make", "-s", "--no-print-directory", "build/host/replay"], cwd=REPO,
                   check=True, timeout=300)


def replay(tmp_path, trace_text, *flags, name="t"):
    """Writes the trace, replays it; answers (trace path, output path, output text)."""
    trace, out = tmp_path / f"{name}.trace", tmp_path / f"{name}.out"
    trace.write_text(trace_text)
    p = subprocess.run([str(REPLAY), *flags, str(trace)], stdout=subprocess.PIPE, text=True,
                       timeout=60)
    assert p.returncode in (0, 1), p.stdout
    out.write_text(p.stdout)
    return trace, out, p.stdout


def expected_bars(trace_text, out_text):
    """What the bars must be, worked out here from the trace and the
    replay's lines alone: {(seq, id): (first op, last op + 1, offset, end)}."""
    answers = iter(re.findall(r"^(\S+) (0x[0-9a-f]+|nil)$", out_text, re.M))
    ops = [s.split("#")[0].split() for s in trace_text.splitlines()]
    ops = [t for t in ops if t]
    live, bars, seq = {}, {}, 0
    for num, t in enumerate(ops, 1):
        if t[0] == "alloc":
            seq += 1
            ident, off = next(answers)
            assert ident == t[1]
            if off != "nil":
                size = -(-int(t[2], 0) // PAGE) * PAGE
                live[ident] = (seq, num, int(off, 16), int(off, 16) + size)
        elif t[0] == "free" and t[1] in live:
            s, start, a, b = live.pop(t[1])
            bars[(s, t[1])] = (start, num, a, b)
    for ident, (s, start, a, b) in live.items():
        bars[(s, ident)] = (start, len(ops) + 1, a, b)
    return bars


def svg_boxes(path):
    """{id: (x0, x1, y0, y1)} of every element with an id whose first path
    is a shape: the bounding box of the path's points, in SVG units."""
    boxes = {}
    for g in ET.parse(path).getroot().iter(f"{SVG}g"):
        p = g.find(f"{SVG}path")
        if g.get("id") is None or p is None or p.get("d") is None:
            continue
        nums = [float(v) for v in re.findall(r"-?[0-9.]+(?:e-?\d+)?", p.get("d"))]
        xs, ys = nums[0::2], nums[1::2]
        boxes[g.get("id")] = (min(xs), max(xs), min(ys), max(ys))
    return boxes


def svg_text(path):
    return " ".join(t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text"))


class Axis:
    """The linear map from data to SVG units along one axis, fitted to
    pairs (data value, SVG value); it asserts that every pair fits."""

    def __init__(self, pairs):
        lo, hi = min(pairs), max(pairs)
        assert lo[0] != hi[0], "cannot fit an axis to one value"
        self.scale = (hi[1] - lo[1]) / (hi[0] - lo[0])
        self.origin = lo[1] - self.scale * lo[0]
        for d, s in pairs:
            assert abs(self(d) - s) < 0.05, f"data {d:#x} drawn at {s}, want {self(d)}"

    def __call__(self, d):
        return self.origin + self.scale * d


def bar_axes(bars, boxes, prefix="alloc"):
    """Fits the op axis (x) and the address axis (y) to all bars at once."""
    xs, ys = [], []
    for (seq, ident), (start, stop, a, b) in bars.items():
        x0, x1, y0, y1 = boxes[f"{prefix}-{seq}-{ident}"]
        xs += [(start, x0), (stop, x1)]
        ys += [(a, y1), (b, y0)]  # SVG's y runs down: the low address is the larger y
    return Axis(xs), Axis(ys)


def test_bars_are_the_allocations_where_the_replay_put_them(tmp_path):
    trace, out, text = replay(tmp_path, TRACE)
    p = run(trace, out, "-o", tmp_path / "map")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "map.png").stat().st_size > 1000
    boxes = svg_boxes(tmp_path / "map.svg")
    bars = expected_bars(TRACE, text)
    assert sorted(k for k in boxes if k.startswith("alloc-")) == \
        sorted(f"alloc-{s}-{i}" for s, i in bars)  # five bars; the nil alloc has none
    x, y = bar_axes(bars, boxes)
    assert x.scale > 0 and y.scale < 0
    # the final free list, as the replay printed it, on the same address axis
    free = re.findall(r"^free (0x[0-9a-f]+) (0x[0-9a-f]+)$", text, re.M)
    assert free == [("0x0", "0x4000")]
    assert sorted(k for k in boxes if k.startswith("free-")) == ["free-0x0"]
    _, _, y0, y1 = boxes["free-0x0"]
    assert abs(y(0) - y1) < 0.05 and abs(y(0x4000) - y0) < 0.05
    # the break: 0 before op 1, 0x4000 from op 3 on
    _, _, top, bottom = boxes["brk"]
    assert abs(y(0x4000) - top) < 0.05 and abs(y(0) - bottom) < 0.05
    assert "a" in svg_text(tmp_path / "map.svg").split()


def step(tmp_path, n):
    trace, out, _ = replay(tmp_path, TRACE)
    p = run(trace, out, "--step", n, "-o", tmp_path / f"step{n}")
    assert p.returncode == 0, p.stderr
    boxes = svg_boxes(tmp_path / f"step{n}.svg")
    return p.stdout, boxes, svg_text(tmp_path / f"step{n}.svg")


def free_blocks(boxes, row, x):
    """{offset: size} of the free blocks drawn in a row, read back through x."""
    got = {}
    for k, (x0, x1, _, _) in boxes.items():
        m = re.fullmatch(rf"{row}-free-(0x[0-9a-f]+)", k)
        if m:
            got[int(m[1], 16)] = round((x1 - x0) / x.scale)
            assert abs(x(int(m[1], 16)) - x0) < 0.05
    return got


def row_axis(boxes):
    """The address axis of the step view, fitted to every block drawn."""
    pairs = []
    for k, (x0, x1, _, _) in boxes.items():
        m = re.fullmatch(r"(?:before|after)-free-(0x[0-9a-f]+)", k)
        if m:
            pairs.append((int(m[1], 16), x0))
    pairs.append((0, min(b[0] for k, b in boxes.items() if k.startswith("before-"))))
    return Axis(pairs)


def test_step_shows_a_split(tmp_path):
    out, boxes, text = step(tmp_path, 5)  # alloc d 10 from the 2-page block at 0x1000
    assert "split" in out and "[0x2000, 0x3000)" in out
    x = row_axis(boxes)
    assert free_blocks(boxes, "before", x) == {0x1000: 0x2000}
    assert free_blocks(boxes, "after", x) == {0x1000: 0x1000}
    x0, x1, _, _ = boxes["after-alloc-4-d"]
    assert abs(x(0x2000) - x0) < 0.05 and abs(x(0x3000) - x1) < 0.05
    assert "before-alloc-4-d" not in boxes
    x0, x1, _, _ = boxes["after-op-range"]
    assert abs(x(0x2000) - x0) < 0.05 and abs(x(0x3000) - x1) < 0.05
    assert "split" in text


def test_step_shows_a_merge_with_the_next_block(tmp_path):
    out, boxes, text = step(tmp_path, 6)  # free a, just below the free block at 0x1000
    assert "merged with the next block" in out
    x = row_axis(boxes)
    assert free_blocks(boxes, "before", x) == {0x1000: 0x1000}
    assert free_blocks(boxes, "after", x) == {0: 0x2000}
    assert "before-alloc-1-a" in boxes and "after-alloc-1-a" not in boxes


def test_step_shows_a_merge_with_both_neighbours(tmp_path):
    out, boxes, _ = step(tmp_path, 10)  # free e, between two free blocks
    assert "merged with both neighbours" in out
    x = row_axis(boxes)
    assert free_blocks(boxes, "before", x) == {0: 0x1000, 0x2000: 0x2000}
    assert free_blocks(boxes, "after", x) == {0: 0x4000}


def test_an_image_console_log_draws_the_same(tmp_path):
    trace, out, text = replay(tmp_path, TRACE)
    log = tmp_path / "console.log"
    log.write_text("SeaBIOS (version 1.16)\n# heaplab: heap [0x200000, 0x4200000)\n"
                   "# base 0x245000\r\n" + text.replace("\n", "\r\n") +
                   "# heaplab: exit 0\nqemu: terminating\n")
    p = run(trace, log, "-o", tmp_path / "log")
    assert p.returncode == 0, p.stderr
    plain = run(trace, out, "-o", tmp_path / "plain")
    assert plain.returncode == 0
    a, b = svg_boxes(tmp_path / "log.svg"), svg_boxes(tmp_path / "plain.svg")
    assert {k: v for k, v in a.items() if k.startswith(("alloc-", "free-"))} == \
        {k: v for k, v in b.items() if k.startswith(("alloc-", "free-"))}
    assert "0x245000" in svg_text(tmp_path / "log.svg")


def test_a_partial_free_cuts_a_bar(tmp_path):
    trace, out, _ = replay(tmp_path, "alloc a 12288\nfreeat 0x1000 4096\nalloc b 1\n")
    p = run(trace, out, "-o", tmp_path / "cut")
    assert p.returncode == 0, p.stderr
    boxes = svg_boxes(tmp_path / "cut.svg")
    assert sorted(k for k in boxes if k.startswith("alloc-")) == \
        ["alloc-1-a.1", "alloc-1-a.2", "alloc-1-a.3", "alloc-2-b"]
    lo, mid, hi, b = (boxes[k] for k in ("alloc-1-a.1", "alloc-1-a.2", "alloc-1-a.3",
                                         "alloc-2-b"))
    assert lo[:2] == hi[:2] and mid[0] == lo[0] and mid[1] < lo[1]  # the middle ends first
    assert mid[2:] == b[2:]  # and b, an exact fit, takes its page


def test_a_replay_stopped_by_a_check_still_draws(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("alloc a 10\nalloc b 10\ncheck\nalloc c 10\n")
    out = tmp_path / "t.out"
    out.write_text("a 0x0\nb 0x1000\nerror line 3: check: mem: free memory not zero: byte 0xa5 "
                   "at offset 0x10 in block 0x7f0000001000\n")
    p = run(trace, out, "-o", tmp_path / "stop")
    assert p.returncode == 0, p.stderr
    boxes = svg_boxes(tmp_path / "stop.svg")
    assert sorted(k for k in boxes if k.startswith("alloc-")) == ["alloc-1-a", "alloc-2-b"]
    assert "stopped" in svg_text(tmp_path / "stop.svg")


# Outputs that do not belong to TRACE, each made from the real one, and the
# words the error must use.
MISMATCHES = [
    ("an alloc line missing", lambda s: s.replace("c 0x3000\n", ""),
     "the trace has 6 allocs that should print a line, the output has 5"),
    ("an alloc line too many", lambda s: "z 0x9000\n" + s,
     "the trace has 6 allocs that should print a line, the output has 7"),
    ("another id", lambda s: s.replace("d 0x2000", "x 0x2000"),
     "alloc 4 (trace line 6) is 'd', but the output's alloc line 4 is 'x'"),
    ("a line it cannot read", lambda s: s.replace("e 0x1000", "e at 0x1000"),
     "output line 5: cannot read 'e at 0x1000'"),
    ("no break", lambda s: s.replace("brk 0x4000\n", ""),
     "no final `brk 0x...` line"),
    ("an error for a line with no operation", lambda s: "error line 1: free q: unknown id\n" + s,
     "trace line 1, which holds no operation"),
]


@pytest.mark.parametrize("what,edit,words", MISMATCHES, ids=[m[0] for m in MISMATCHES])
def test_an_output_of_something_else_is_refused(tmp_path, what, edit, words):
    trace, out, text = replay(tmp_path, TRACE)
    out.write_text(edit(text))
    p = run(trace, out, "-o", tmp_path / "bad")
    assert p.returncode == 2, (what, p.stdout, p.stderr)
    assert words in p.stderr, p.stderr
    assert p.stderr.startswith("heapmap: ")
    assert not (tmp_path / "bad.svg").exists()


@pytest.mark.parametrize("args,words", [
    (["--page", "8192"], "is not aligned to the page 0x2000"),
    (["--page", "100"], "not a power of two"),
    (["--step", "12"], "the replay ran operations 1 to 11"),
    (["--step", "0"], "the replay ran operations 1 to 11"),
])
def test_bad_arguments_are_refused(tmp_path, args, words):
    trace, out, _ = replay(tmp_path, TRACE)
    p = run(trace, out, *args, "-o", tmp_path / "bad")
    assert p.returncode == 2 and words in p.stderr, p.stderr


def test_a_bad_trace_line_is_refused(tmp_path):
    _, out, _ = replay(tmp_path, TRACE)
    bad = tmp_path / "bad.trace"
    bad.write_text(TRACE.replace("free d", "free d now"))
    p = run(bad, out, "-o", tmp_path / "bad")
    # the replay's own reading, and its words
    assert (p.returncode, p.stderr) == (2, f"heapmap: {bad}: line 10: wrong number of fields\n")


def test_make_heapmap(tmp_path):
    trace = tmp_path / "m.trace"
    trace.write_text(TRACE)
    for extra, stem in (([], "m"), (["STEP=6"], "m6"), (["AT=6"], "m-at6")):
        p = subprocess.run(["make", "-s", "--no-print-directory", "heapmap", f"TRACE={trace}",
                            "PAGE=4096", "HEAP=1048576", f"HEAPMAP_OUT={tmp_path / stem}"] + extra,
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stdout
        for ext in ("svg", "png", "out"):
            assert (tmp_path / f"{stem}.{ext}").stat().st_size > 0
    assert "after op 6: free a: [0x0, 0x1000) freed: merged with the next block" in p.stdout
    assert "# base 0x" in (tmp_path / "m-at6.out").read_text()  # make heapmap passes --base


@pytest.mark.parametrize("name", ["example-1", "example-2", "random-101", "oom-106",
                                  "foreign-107"])
def test_sample_traces_render(tmp_path, name):
    trace, expected = TRACES / f"{name}.trace", TRACES / f"{name}.expected"
    assert trace.exists() and expected.exists(), f"no sample trace {trace}"
    p = run(trace, expected, "-o", tmp_path / name)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    boxes = svg_boxes(tmp_path / f"{name}.svg")
    bars = expected_bars(trace.read_text(), expected.read_text())
    assert sorted(k for k in boxes if k.startswith("alloc-")) == \
        sorted(f"alloc-{s}-{i}" for s, i in bars)
    bar_axes(bars, boxes)


def test_another_client_of_the_break_is_drawn(tmp_path):
    """sbrk lines: the other client's bytes are a bar of their own (sbrk-N,
    N its operation) up to the next page, the pool's next alloc lands above
    them, and --step names what happened."""
    text = "alloc a 4096\nsbrk 100\nalloc b 4096\nfreeat 0x1000 4096\nfree a\n"
    trace, out, printed = replay(tmp_path, text)
    assert "sbrk 0x1000 0x64" in printed and "b 0x2000" in printed
    p = run(trace, out, "-o", tmp_path / "other")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    boxes = svg_boxes(tmp_path / "other.svg")
    assert "sbrk-2" in boxes and "alloc-2-b" in boxes
    assert boxes["sbrk-2"][2] > boxes["alloc-2-b"][3] - 0.5  # below b (SVG's y runs down)
    p = run(trace, out, "--step", 2, "-o", tmp_path / "step2")
    assert p.returncode == 0, p.stderr
    assert "another client of the break took [0x1000, 0x1064)" in p.stdout
    p = run(trace, out, "--step", 4, "-o", tmp_path / "step4")
    assert p.returncode == 0 and "range not obtained by this pool" in p.stdout, p.stdout


def test_a_long_trace_draws_its_bars_as_one_group(tmp_path):
    text = "".join(f"alloc x{i} {4096 * (1 + i % 3)}\n" for i in range(2100))
    text += "".join(f"free x{i}\n" for i in range(0, 2100, 2))
    trace, out, _ = replay(tmp_path, text)
    p = run(trace, out, "-o", tmp_path / "long")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    root = ET.parse(tmp_path / "long.svg").getroot()
    group = [g for g in root.iter(f"{SVG}g") if g.get("id") == "allocs"]
    assert len(group) == 1 and len(list(group[0].iter(f"{SVG}path"))) == 2100
    assert not any((g.get("id") or "").startswith("alloc-") for g in root.iter(f"{SVG}g"))


def test_small_blocks_stay_visible_and_labelled(tmp_path):
    # one page among 16 MiB: a hairline at this scale, unless marked
    text = ("alloc big 0x1000000\n" + "".join(f"alloc s{i} 4096\n" for i in range(6)) +
            "free s2\nfree big\nalloc t 4096\n")
    trace, out, _ = replay(tmp_path, text)
    p = run(trace, out, "-o", tmp_path / "small")
    assert p.returncode == 0, p.stderr
    root = ET.parse(tmp_path / "small.svg").getroot()
    ids = {g.get("id") for g in root.iter(f"{SVG}g") if g.get("id")}
    smalls = [f"alloc-{k + 2}-s{k}" for k in range(6)]
    assert {f"mark-{s}" for s in smalls} <= ids
    assert "mark-alloc-1-big" not in ids
    assert {f"label-{s}" for s in smalls + ["alloc-1-big", "alloc-8-t"]} <= ids
    assert "mark-free-0x1002000" in ids and "mark-free-0x0" not in ids  # s2's page; big's
    # and in the step view: the page t took
    p = run(trace, out, "--step", 10, "-o", tmp_path / "step10")
    assert p.returncode == 0, p.stderr
    ids = {g.get("id") for g in ET.parse(tmp_path / "step10.svg").getroot().iter(f"{SVG}g")}
    assert "mark-after-alloc-8-t" in ids and "mark-before-alloc-3-s1" in ids


def svg_ids(path):
    return {g.get("id") for g in ET.parse(path).getroot().iter(f"{SVG}g") if g.get("id")}


def free_runs_after(trace_text, out_text, n):
    """The free list after operation n, worked out here from the bars:
    [0, break) less what was live then, as maximal runs."""
    bars = expected_bars(trace_text, out_text)
    live = sorted((a, b) for start, stop, a, b in bars.values() if start <= n < stop)
    brk = max([b for start, _, _, b in bars.values() if start <= n] + [0])
    runs, at = [], 0
    for a, b in live + [(brk, brk)]:
        if a > at:
            runs.append((at, a - at))
        at = max(at, b)
    return runs, brk


@pytest.mark.parametrize("n", [4, 6, 9])
def test_at_shows_the_free_list_after_any_operation(tmp_path, n):
    trace, out, text = replay(tmp_path, TRACE)
    p = run(trace, out, "--at", n, "-o", tmp_path / f"at{n}")
    assert p.returncode == 0, p.stderr
    boxes = svg_boxes(tmp_path / f"at{n}.svg")
    runs, brk = free_runs_after(TRACE, text, n)
    assert runs, "a step with no free block tests nothing"
    assert sorted(k for k in boxes if k.startswith("free-")) == \
        sorted(f"free-{o:#x}" for o, _ in runs)
    _, y = bar_axes(expected_bars(TRACE, text), boxes)  # the strip shares the address axis
    for o, size in runs:
        _, _, y0, y1 = boxes[f"free-{o:#x}"]
        assert abs(y(o) - y1) < 0.05 and abs(y(o + size) - y0) < 0.05
    ids = svg_ids(tmp_path / f"at{n}.svg")
    assert "at" in ids and {f"label-free-{o:#x}" for o, _ in runs} <= ids
    assert {k for k in ids if k.startswith("next-")} == {f"next-{o:#x}" for o, _ in runs[:-1]}
    assert f"after op {n}" in svg_text(tmp_path / f"at{n}.svg")
    listed = ", ".join(f"{o:#x}+{s:#x}" for o, s in runs)
    assert f"  free list: [{listed}]  break {brk:#x}" in p.stdout


def test_at_and_step_are_one_view_each(tmp_path):
    trace, out, _ = replay(tmp_path, TRACE)
    p = run(trace, out, "--at", 3, "--step", 3, "-o", tmp_path / "both")
    assert p.returncode == 2 and "--step and --at draw different views" in p.stderr
    p = run(trace, out, "--at", 12, "-o", tmp_path / "far")
    assert p.returncode == 2 and "--at 12: the replay ran operations 1 to 11" in p.stderr


BROKEN = "alloc a 10\nalloc b 10\nfree a\nalloc c 10\nfree b\ncheck\n"


@pytest.mark.parametrize("head,words", [
    ("# base 0x7f0000000000\n", "block 0x1000 > next 0x0"),  # replay --base
    ("SeaBIOS\n# heaplab: heap [0x245000, 0x4245000)\n# base 0x245000\n",  # an image
     "block 0x1000 > next 0x0"),
])
def test_a_failed_check_title_quotes_offsets(tmp_path, head, words):
    trace = tmp_path / "t.trace"
    trace.write_text(BROKEN)
    base = int(re.search(r"# base (0x[0-9a-f]+)", head)[1], 16)
    out = tmp_path / "t.out"
    out.write_text(head + "a 0x0\nb 0x1000\nc 0x0\nerror line 5: check: mem: free list not in "
                   f"ascending order: block {base + 0x1000:#x} > next {base:#x}\n")
    p = run(trace, out, "-o", tmp_path / "stop")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = svg_text(tmp_path / "stop.svg")
    assert f"check: mem: free list not in ascending order: {words}" in text
    assert f"{base + 0x1000:#x}" not in text


def test_without_a_base_the_title_leaves_addresses_out(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text(BROKEN)
    out = tmp_path / "t.out"
    out.write_text("a 0x0\nb 0x1000\nc 0x0\nerror line 5: check: mem: free list not in "
                   "ascending order: block 0x7f0000001000 > next 0x7f0000000000\n")
    p = run(trace, out, "-o", tmp_path / "stop")
    assert p.returncode == 0, p.stderr
    assert "no `# base 0x...` line" in p.stderr and "replay --base" in p.stderr
    text = svg_text(tmp_path / "stop.svg")
    assert "block ? > next ?" in text and "0x7f0000" not in text


def test_a_host_programs_base_is_not_drawn(tmp_path):
    """replay --base prints the host's address of the heap, which changes
    from run to run: it makes offsets, and is drawn nowhere."""
    trace, out, text = replay(tmp_path, TRACE, "--base")
    base = int(re.match(r"# base (0x[0-9a-f]+)\n", text)[1], 16)
    p = run(trace, out, "-o", tmp_path / "based")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert f"{base:#x}" not in svg_text(tmp_path / "based.svg")


def test_small_free_blocks_are_labelled_in_the_strip_and_the_step_view(tmp_path):
    text = ("alloc big 0x1000000\n" + "".join(f"alloc s{i} 4096\n" for i in range(6)) +
            "free s2\nfree s4\nalloc t 4096\n")
    trace, out, _ = replay(tmp_path, text)
    p = run(trace, out, "--at", 9, "-o", tmp_path / "small")
    assert p.returncode == 0, p.stderr
    ids = svg_ids(tmp_path / "small.svg")
    assert {"mark-free-0x1002000", "label-free-0x1002000", "mark-free-0x1004000",
            "label-free-0x1004000", "next-0x1002000"} <= ids
    p = run(trace, out, "--step", 10, "-o", tmp_path / "step10")
    assert p.returncode == 0, p.stderr
    ids = svg_ids(tmp_path / "step10.svg")
    assert {"label-after-alloc-8-t", "label-before-free-0x1002000"} <= ids


# Issue 25: heapmap reads a trace through the replay (`replay --ops`), so it
# takes and refuses what the replay does; it split lines and fields with
# Python's rules (U+2028, a no-break space, \v) and refused or crashed.

@pytest.mark.parametrize("ident", [b"\xc2\xa0", b"a\xe2\x80\xa8b", b"\xc2\x85", b"\xff", b"brk"],
                         ids=["nbsp", "u2028", "nel", "not-utf8", "brk"])
def test_ids_the_replay_takes_are_drawn(tmp_path, ident):
    trace, out = tmp_path / "t.trace", tmp_path / "t.out"
    trace.write_bytes(b"alloc " + ident + b" 4096\nalloc x 4096\nfree " + ident + b"\n")
    with open(out, "wb") as f:
        assert subprocess.run([str(REPLAY), str(trace)], stdout=f, timeout=60).returncode == 0
    p = run(trace, out, "--step", 3, "-o", tmp_path / "t")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    shown = ident.decode("utf-8", "backslashreplace").replace("\xa0", "\\xa0") \
        .replace("\u2028", "\\u2028").replace("\x85", "\\x85")
    assert p.stdout.startswith(f"op 3: free {shown}: "), p.stdout


def test_a_control_byte_is_refused_in_the_replays_words(tmp_path):
    trace, out = tmp_path / "t.trace", tmp_path / "t.out"
    trace.write_bytes(b"alloc a\x1b]0;pwned\x07 4096\n")
    out.write_text("brk 0x0\n")
    p = run(trace, out, "-o", tmp_path / "t")
    assert p.returncode == 2 and "\x1b" not in p.stderr
    assert p.stderr == (f"heapmap: {trace}: line 1: a control byte (0x00-0x1f or 0x7f) in an ID "
                        "(the replay prints IDs: they must not reach a terminal raw)\n")


def test_a_check_that_stops_after_an_alloc_of_brk(tmp_path):
    """The answer `brk 0x0` of `alloc brk` is not the final break, even when
    a failed check leaves the output without one."""
    trace = tmp_path / "t.trace"
    trace.write_text("alloc brk 4096\nalloc x 4096\n")
    out = tmp_path / "t.out"
    out.write_text("brk 0x0\nx 0x1000\nerror line 2: check: free list loops\n")
    p = run(trace, out, "-o", tmp_path / "t")
    assert p.returncode == 0, p.stderr


# --- issue 26: the arcs inside their strip, and a broken replay drawn ---------

sys.path.insert(0, str(HEAPMAP.parent))
import heapmap  # noqa: E402  (in this process: matplotlib is imported once, not per run)


def draw(capsys, *args):
    """heapmap.main on args, in this process; answers (status, stdout, stderr)."""
    st = heapmap.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return st, out, err


def clip_rects(path):
    """{clip-path id: (x0, x1, y0, y1)} of the SVG's clip rectangles."""
    out = {}
    for c in ET.parse(path).getroot().iter(f"{SVG}clipPath"):
        r = c.find(f"{SVG}rect")
        x, y = float(r.get("x")), float(r.get("y"))
        out[c.get("id")] = (x, x + float(r.get("width")), y, y + float(r.get("height")))
    return out


def test_at_keeps_the_next_arcs_inside_the_strip(tmp_path, capsys):
    """`make heapmap AT=N` bowed each `next` arc by half its length, out of
    the narrow strip, which clipped it into two stubs: every point of an
    arc (a Bezier curve lies inside its points' hull) is now inside."""
    trace, out, text = replay(tmp_path, TRACE)
    st, _, err = draw(capsys, trace, out, "--at", 9, "-o", tmp_path / "at9")
    assert st == 0, err
    clips, arcs = clip_rects(tmp_path / "at9.svg"), 0
    for g in ET.parse(tmp_path / "at9.svg").getroot().iter(f"{SVG}g"):
        if not (g.get("id") or "").startswith("next-"):
            continue
        for path in g.iter(f"{SVG}path"):
            x0, x1, y0, y1 = clips[re.fullmatch(r"url\(#(.+)\)", path.get("clip-path"))[1]]
            nums = [float(v) for v in re.findall(r"-?[0-9.]+(?:e-?\d+)?", path.get("d"))]
            for x, y in zip(nums[0::2], nums[1::2]):
                assert x0 <= x <= x1 and y0 <= y <= y1, (g.get("id"), x, y, (x0, x1, y0, y1))
        arcs += 1
    runs, _ = free_runs_after(TRACE, text, 9)
    assert arcs == len(runs) - 1 >= 1


# What a replay printed for lab/demo.trace with lab 6's planted bug
# alloc-header-page (tests/test_grade.py): d is carved out of its block's
# own header page, [0x0, 0x1000), and the block stays on the list with its
# header zeroed (size 0), so the free of d is refused and the final list
# is not what the allocations leave.
HEADER_PAGE = ("# base 0x7fb703165000\na 0x0\nb 0x3000\nc 0x4000\nd 0x0\n"
               "error line 11: free d: range overlaps a free block\nfree 0x0 0x0\n"
               "free 0x3000 0x3000\nbrk 0x6000\n")


def test_a_broken_replay_is_drawn_with_the_operation_that_shows_it(tmp_path, capsys):
    """The very bug lab 6 sends students to heapmap for was refused (`wrong
    --page, or another trace?`): it is drawn, the final list as the replay
    printed it, and the title says so and names the first sign."""
    out = tmp_path / "hp.out"
    out.write_text(HEADER_PAGE)
    st, _, err = draw(capsys, REPO / "lab" / "demo.trace", out, "-o", tmp_path / "hp")
    assert st == 0, err
    said = ("the replay's final free list [0x0+0x0, 0x3000+0x3000] is not what its allocations "
            "leave, [0x1000+0x5000]: the heap broke on the way (the first sign: op 5, trace line "
            "8, alloc d 4096: d at 0x0, where first fit from the top puts it at 0x2000)")
    assert said in err, err
    assert said in " ".join(svg_text(tmp_path / "hp.svg").split())
    ids = svg_ids(tmp_path / "hp.svg")
    assert {"alloc-1-a", "alloc-2-b", "alloc-3-c", "alloc-4-d", "free-0x0", "free-0x3000"} <= ids


def test_an_alloc_over_a_live_one_is_drawn_up_to_it(tmp_path, capsys):
    """An alloc that overlaps a live allocation was refused; the picture now
    stops at it and names it."""
    trace, out, text = replay(tmp_path, TRACE)
    out.write_text(text.replace("d 0x2000", "d 0x3000"))
    st, _, err = draw(capsys, trace, out, "-o", tmp_path / "over")
    assert st == 0, err
    said = ("op 5 (trace line 6: alloc d 10) broke the heap: d got [0x3000, 0x4000), which "
            "overlaps c at [0x3000, 0x4000), still live: memory handed out twice")
    assert said in err and said in " ".join(svg_text(tmp_path / "over.svg").split())
    ids = svg_ids(tmp_path / "over.svg")
    assert {"alloc-3-c", "alloc-4-d"} <= ids and "alloc-5-e" not in ids
    assert "stops at op 5" in svg_text(tmp_path / "over.svg")
    st, _, err = draw(capsys, trace, out, "--at", 6, "-o", tmp_path / "over6")
    assert st == 2 and "--at 6: the replay ran operations 1 to 5" in err


def test_a_split_from_the_bottom_is_told_as_it_happened(tmp_path, capsys):
    """`--step` said `the allocation is its top, [0x0, 0x1000)` of an alloc
    carved from the bottom: what the picture shows, and the rule beside."""
    printed = tmp_path / "bottom.out"
    printed.write_text("a 0x0\nb 0x3000\nc 0x4000\nd 0x0\nfree 0x0 0x6000\nbrk 0x6000\n")
    st, out, err = draw(capsys, REPO / "lab" / "demo.trace", printed, "--step", 5, "-o",
                        tmp_path / "s5")
    assert st == 0 and "not what its allocations leave" not in err, err
    assert out.startswith("op 5: alloc d 4096: first fit 0x0+0x3000 is split: the "
                               "allocation is its bottom, [0x0, 0x1000), not its top (the seed "
                               "carves from the top: expected [0x2000, 0x3000))"), out
