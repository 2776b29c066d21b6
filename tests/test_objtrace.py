# SPDX-License-Identifier: BSD-3-Clause
"""Traces of small objects (issue 23, item 6): the replay's `malloc ID SIZE`,
`mfree ID` and `realloc ID SIZE` lines on the objects layer (README.md,
"Traces"), through build/host/replay. tests/test_boot.py replays the sample
traces of traces/objects/ in every image and compares them with these.

Run with /usr/bin/python3 -m pytest tests/test_objtrace.py after `make host`.
"""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPLAY = Path(os.environ.get("HEAPLAB_REPLAY", ROOT / "build" / "host" / "replay")).resolve()
OBJECT_TRACES = ROOT / "traces" / "objects"


def replay(*args, stdin=None):
    if not REPLAY.exists():
        pytest.fail(f"{REPLAY} is missing: run `make host` first")
    return subprocess.run([str(REPLAY), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=60)


def run(tmp_path, text, *args, name="t.trace"):
    path = tmp_path / name
    path.write_text(text)
    return replay(*args, path)


def test_object_sample_traces_found():
    assert sorted(OBJECT_TRACES.glob("*.expected")), f"no *.expected in {OBJECT_TRACES}"


@pytest.mark.parametrize("check", [[], ["--check"]], ids=["plain", "check"])
@pytest.mark.parametrize("expected", sorted(OBJECT_TRACES.glob("*.expected")), ids=lambda p: p.stem)
def test_object_sample_trace(expected, check):
    r = replay(*check, expected.with_suffix(".trace"))
    assert (r.returncode, r.stderr) == (0, ""), r.stdout
    assert r.stdout == expected.read_text()


# A small trace whose every answer is known from the layer's rules: the
# page map (64 MiB / 4096 pages, 8 bytes each) takes [0, 0x20000), the span
# records a page, so the first span starts at 0x21000 (4 KiB spans).
SMALL = "malloc a 10\nmalloc b 24\nmalloc c 16\nmfree a\nmalloc d 1\nrealloc b 32\nrealloc b 33\n"
SMALL_OUT = ["a 0x21000", "b 0x22000", "c 0x21010", "d 0x21000", "b 0x22000", "b 0x23000",
             "brk 0x24000"]


def test_objects_land_where_the_layer_says(tmp_path):
    r = run(tmp_path, SMALL, "--check")
    assert (r.returncode, r.stderr) == (0, "")
    # d takes a's freed object, b's realloc to 32 stays (its class), to 33 moves
    assert r.stdout.splitlines() == SMALL_OUT


def test_steps_show_spans_and_objects(tmp_path):
    r = run(tmp_path, SMALL, "--steps")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    last = out[out.index("step 7 line 7 brk 0x24000 free 0"):]
    objs = last[next(i for i, l in enumerate(last) if l.startswith("objects ")):]
    assert objs[:4] == [
        "objects spans 3 large 0 pagemap 0x0 0x20000",
        # objects 0 (d) and 1 (c) in use: used 0x3; fresh 2, none free
        "  span 0x21000 class 1 size 16 bytes 0x1000 nobj 256 inuse 2 fresh 2 used 0x3",
        # b's first object went back: handed out once, free now
        "  span 0x22000 class 2 size 32 bytes 0x1000 nobj 128 inuse 0 fresh 1 used 0x0",
        "  span 0x23000 class 3 size 48 bytes 0x1000 nobj 85 inuse 1 fresh 1 used 0x1",
    ]
    # before the first object line there is no objects heap, so no lines
    first = out.index("step 1 line 1 brk 0x22000 free 0")
    assert not any(l.startswith("objects") for l in out[:first])


def test_steps_show_large_objects_and_a_wide_bitmap(tmp_path):
    text = "".join(f"malloc o{i} 16\n" for i in range(70)) + "mfree o0\nmalloc big 40000\n"
    r = run(tmp_path, text, "--steps")
    assert r.returncode == 0, r.stderr
    tail = r.stdout.splitlines()[-3:]
    assert tail[0].endswith("nobj 256 inuse 69 fresh 70 used 0x3f" + "f" * 15 + "e")
    assert tail[1] == "  large 0x22000 bytes 0xa000"


def test_a_span_that_empties_goes_back_to_the_pool(tmp_path):
    # five 1024-byte objects: a span of 4 and a second span; freeing the
    # fifth while the first span has a hole empties the second: released
    text = "".join(f"malloc b{i} 1000\n" for i in range(5)) + "mfree b0\nmfree b4\ncheck\n"
    r = run(tmp_path, text, "--check", "--steps")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert "b4 0x22000" in out
    assert out[-1] == "brk 0x23000" and "free 0x22000 0x1000" in out
    assert out[-4:-2] == [
        "objects spans 1 large 0 pagemap 0x0 0x20000",
        "  span 0x21000 class 28 size 1024 bytes 0x1000 nobj 4 inuse 3 fresh 4 used 0xe"]


def test_ops_prints_object_lines(tmp_path):
    # the ID is a and U+00C2 U+00A0, four bytes of UTF-8
    r = run(tmp_path, "malloc a\xc2\xa0 0x10 # c\nrealloc a\xc2\xa0 20\n  mfree\ta\xc2\xa0\r\n",
            "--ops")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "malloc 1 61c382c2a0 16\nrealloc 2 61c382c2a0 20\nmfree 3 61c382c2a0\n"


def test_granule_64_serves_objects(tmp_path):
    """A 64-byte granule holds no span record (256 bytes apart): the store
    took a page, carved none, and every malloc answered nil. It takes four
    now, a record each time: after the 8 MiB page map, a's record, a's
    span, b's record, b's span."""
    r = run(tmp_path, "malloc a 1\nmalloc b 5000\nmfree a\ncheck\n", "--check", "--page", "64")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines()[:2] == ["a 0x800100", "b 0x801200"]


# Refused lines: `error line N: ...`, status 1, and nothing changed: the
# rest of the output is the trace's without the line.
BASE = ["malloc a 10", "malloc b 100", "mfree b"]
TAIL = ["malloc c 24", "realloc a 300", "check"]


@pytest.mark.parametrize("bad,reason", [
    ("mfree zz", "mfree zz: unknown id"),
    ("mfree b", "mfree b: double free (the id was freed already)"),
    ("realloc zz 5", "realloc zz: unknown id"),
    ("realloc b 5", "realloc b: the id was freed already (a use after free)"),
    ("malloc a 5", "malloc a: id still holds memory"),
])
def test_refused_object_line_changes_nothing(tmp_path, bad, reason):
    want = run(tmp_path, "\n".join(BASE + TAIL) + "\n", "--check", name="good")
    got = run(tmp_path, "\n".join(BASE + [bad] + TAIL) + "\n", "--check", name="bad")
    assert want.returncode == 0, want.stdout + want.stderr
    assert got.returncode == 1, got.stdout + got.stderr
    errors = [l for l in got.stdout.splitlines() if l.startswith("error")]
    assert errors == [f"error line {len(BASE) + 1}: {reason}"]
    assert [l for l in got.stdout.splitlines() if not l.startswith("error")] == \
        want.stdout.splitlines()


def test_nil_answers_are_no_errors(tmp_path):
    # past the heap: nil, status 0; the ID holds nothing (mfree frees
    # nothing, realloc mallocs); a failed realloc keeps the object
    r = run(tmp_path, "malloc a 99999999999\nmfree a\nmalloc b 18446744073709551615\n"
            "realloc b 8\nrealloc b 99999999999\nmfree b\ncheck\n", "--check")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == ["a nil", "b nil", "b 0x21000", "b nil", "brk 0x22000"]


@pytest.mark.parametrize("text,why", [
    ("malloc a -1\n", "line 1: not a number (want decimal or 0x-hex)"),
    ("malloc a 1\nrealloc a 0x\n", "line 2: not a number (want decimal or 0x-hex)"),
    ("malloc a 18446744073709551616\n", "line 1: number too large (the most is 2^64-1)"),
    ("malloc a 1\nrealloc a 0\n",
     "line 2: realloc to size 0 (C23 leaves it undefined, glibc frees: write mfree ID)"),
    ("malloc a\n", "line 1: wrong number of fields"),
    ("mfree a 1\n", "line 1: wrong number of fields"),
    ("malloc a\x1b 1\n", "line 1: a control byte"),
    ("malloc a 1\nalloc b 4096\n", "line 2: a trace of objects (malloc, mfree, realloc) may not "
     "use the page layer's alloc, free or freeat: the objects heap must be its pool's only client"),
    ("sbrk 16\nfree a\nmfree a\n", "line 3: a trace of the page layer (alloc, free, freeat) may "
     "not use malloc, mfree or realloc: the objects heap must be its pool's only client"),
    ("mallocate a 1\n", "line 1: unknown operation (want alloc, free, freeat, sbrk, check, "
     "malloc, mfree or realloc)"),
])
def test_malformed_object_trace_runs_nothing(tmp_path, text, why):
    r = run(tmp_path, text)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.startswith("replay: ") and why in r.stderr, r.stderr


def test_malloc_lines_limit(tmp_path):
    r = run(tmp_path, "malloc a 1\n" * 131073)
    assert (r.returncode, r.stdout) == (2, "")
    assert "line 131073: more than 131072 malloc lines (the limit)" in r.stderr


def test_exact_free_refuses_object_lines(tmp_path):
    r = run(tmp_path, "malloc a 1\nmfree a\n", "--exact-free")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "error line 1: malloc a: the objects layer gives back part of a large object's pages, "
        "which --exact-free refuses: replay objects without it",
        "error line 2: mfree a: unknown id",  # the refused malloc named no ID
        "brk 0x0"]


def test_sbrk_and_objects_share_the_break(tmp_path):
    r = run(tmp_path, "sbrk 100\nmalloc a 1\ncheck\n", "--check")
    assert (r.returncode, r.stderr) == (0, "")
    # the pool's region starts page-aligned above the other client's bytes
    assert r.stdout.splitlines()[:2] == ["sbrk 0x0 0x64", "a 0x22000"]
