# SPDX-License-Identifier: BSD-3-Clause
"""Tests of build/host/replay, the trace tool (issue 2).

Run with /usr/bin/python3 -m pytest tests/test_replay.py after `make host`.
The sample traces are the repository's own, in traces/; $HEAPLAB_REPLAY
names another replay binary.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPLAY = Path(os.environ.get("HEAPLAB_REPLAY", ROOT / "build" / "host" / "replay")).resolve()
TRACES = ROOT / "traces"
HEAP = {"oom-106": "4194304"}  # traces run with a smaller heap than the default

EXAMPLE_1 = (
    "alloc a 100\nalloc b 5000\nalloc c 4096\nfree b\nalloc d 10\nfree a\n"
    "alloc e 4096\nfree c\nfree d\nfree e\n",
    "a 0x0\nb 0x1000\nc 0x3000\nd 0x2000\ne 0x1000\nfree 0x0 0x4000\nbrk 0x4000\n",
)
EXAMPLE_2 = (
    "alloc a 8192\nalloc b 4096\nalloc c 12288\nfree a\nfree c\nalloc d 4096\n"
    "alloc e 8192\nfree b\n",
    "a 0x0\nb 0x2000\nc 0x3000\nd 0x1000\ne 0x4000\n"
    "free 0x0 0x1000\nfree 0x2000 0x2000\nbrk 0x6000\n",
)


def replay(*args, stdin=None):
    """Runs the replay tool; answers the CompletedProcess (text mode)."""
    if not REPLAY.exists():
        pytest.fail(f"{REPLAY} is missing: run `make host` first")
    return subprocess.run(
        [str(REPLAY), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def lines(out):
    """The output lines that count: `#` lines are ignored."""
    return [l for l in out.splitlines() if not l.startswith("#")]


def final_state(out):
    """The free list and break lines at the end of an output."""
    return [l for l in lines(out) if l.startswith(("free ", "brk "))]


def write_trace(tmp_path, text, name="t.trace"):
    path = tmp_path / name
    path.write_text(text)
    return path


# The sample traces (traces/), with and without --check, through the
# placement index and the list walk: byte for byte what the seed prints,
# and status 1 exactly when an operation was refused (an `error line`).

EXPECTED = sorted(TRACES.glob("*.expected"))


def expected_status(text):
    return 1 if any(l.startswith("error line ") for l in text.splitlines()) else 0


def test_sample_traces_found():
    assert EXPECTED, f"no *.expected traces in {TRACES}"


# --exact-free changes nothing for a trace whose frees are all exact: the
# sample traces print byte for byte what the seed's contract says.
@pytest.mark.parametrize("check", [[], ["--check"], ["--list"], ["--list", "--check"],
                                   ["--exact-free", "--check"], ["--list", "--exact-free"]],
                         ids=["index", "index-check", "list", "list-check", "exact-check",
                              "list-exact"])
@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.stem)
def test_sample_trace(expected, check):
    args = ["--heap", HEAP[expected.stem]] if expected.stem in HEAP else []
    r = replay(*args, *check, expected.with_suffix(".trace"))
    assert r.returncode == expected_status(expected.read_text()), r.stderr
    assert r.stdout == expected.read_text()


# Small traces, the flags they run with, and exactly what they print.
CASES = {
    "example1": ([], *EXAMPLE_1),
    "example2": ([], *EXAMPLE_2),
    "alloc-zero-is-nil": (
        [],
        "alloc a 4096\nfree a\nalloc x 0\nalloc y 1\n",
        "a 0x0\nx nil\ny 0x0\nbrk 0x1000\n",
    ),
    "out-of-memory-is-nil": (
        ["--heap", "12288"],
        "alloc a 8192\nalloc b 8192\nalloc c 4096\nfree a\nalloc d 12288\n",
        "a 0x0\nb nil\nc 0x2000\nd nil\nfree 0x0 0x2000\nbrk 0x3000\n",
    ),
    "check-lines": (
        [],
        "check\nalloc a 5000\ncheck\nfree a\n# note\ncheck\n",
        "a 0x0\nfree 0x0 0x2000\nbrk 0x2000\n",
    ),
    "check-flag": (
        ["--check"],
        "alloc a 5000\nalloc b 1\nfree a\ncheck\n",
        "a 0x0\nb 0x2000\nfree 0x0 0x2000\nbrk 0x3000\n",
    ),
    "page-8192-rounding": (
        ["--page", "8192"],
        "alloc a 100\nalloc b 8193\nalloc c 1\nfree b\nalloc d 8192\n",
        "a 0x0\nb 0x2000\nc 0x6000\nd 0x4000\nfree 0x2000 0x2000\nbrk 0x8000\n",
    ),
    # sbrk: another client of the break takes SIZE bytes at it, unaligned;
    # the pool's next sbrk starts above them, in a region of its own
    "sbrk-other-client": (
        [],
        "alloc a 4096\nsbrk 100\nalloc b 1\nsbrk 0\nalloc c 1\nfree a\nfree b\n",
        "a 0x0\nsbrk 0x1000 0x64\nb 0x2000\nsbrk 0x3000 0x0\nc 0x3000\n"
        "free 0x0 0x1000\nfree 0x2000 0x1000\nbrk 0x4000\n",
    ),
    "sbrk-nil-past-the-heap": (
        ["--heap", "12288"],
        "alloc a 4096\nsbrk 8193\nsbrk 0x2000\nalloc b 1\nsbrk 0xffffffffffffffff\n",
        "a 0x0\nsbrk nil 0x2001\nsbrk 0x1000 0x2000\nb nil\n"
        "sbrk nil 0xffffffffffffffff\nbrk 0x1000\n",
    ),
    "sbrk-page-16": (
        ["--page", "16", "--heap", "4096"],
        "alloc a 1\nsbrk 1\nalloc b 17\nfree a\n",
        "a 0x0\nsbrk 0x10 0x1\nb 0x20\nfree 0x0 0x10\nbrk 0x40\n",
    ),
    "hex-comments-blanks-crlf": (
        [],
        "# header\n\nalloc a 0x1000   # one page\n\talloc b 0X2001\r\nfree a\n",
        "a 0x0\nb 0x1000\nfree 0x0 0x1000\nbrk 0x4000\n",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_trace(tmp_path, name):
    args, trace, want = CASES[name]
    r = replay(*args, write_trace(tmp_path, trace))
    assert (r.returncode, lines(r.stdout)) == (0, lines(want)), r.stderr


@pytest.mark.parametrize("args", [[], ["-"]], ids=["no-file", "dash"])
def test_stdin(args):
    r = replay(*args, stdin=EXAMPLE_1[0])
    assert (r.returncode, lines(r.stdout)) == (0, lines(EXAMPLE_1[1])), r.stderr


def test_help_exits_zero():
    r = replay("--help")
    assert r.returncode == 0 and "usage" in r.stdout


# Usage errors: status 2, nothing on stdout.


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["-x"],
        ["--page", "3000"],
        ["--page", "8"],
        ["--page", "0"],
        ["--page", "abc"],
        ["--page"],
        ["--heap", "0"],
        ["--heap", "-4096"],
        ["--heap", "12abc"],
        ["--heap", ""],
        ["--heap"],
        ["/nonexistent/heaplab.trace"],
        ["TWO"],
    ],
    ids=lambda a: " ".join(a) or "empty",
)
def test_usage_error(tmp_path, args):
    if args == ["TWO"]:
        args = [write_trace(tmp_path, "", "a"), write_trace(tmp_path, "", "b")]
    r = replay(*args, stdin=EXAMPLE_1[0])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr != ""


# Malformed traces: status 2, the line number on stderr, nothing on stdout.


@pytest.mark.parametrize(
    "bad",
    [
        "alloc a",
        "alloc a 1 2",
        "alloc a 12z",
        "alloc a 0x",
        "alloc a -1",
        "alloc a 99999999999999999999999",
        "free",
        "free a b",
        "freeat 0x1000",
        "freeat x 0x1000",
        "check now",
        "sbrk",
        "sbrk 1 2",
        "sbrk x",
        "sbrk -1",
        "sbrk 0x",
        "SBRK 1",
        "frobnicate a",
        "ALLOC a 1",
        "alloc a\x001",
    ],
)
def test_malformed_trace(tmp_path, bad):
    trace = "alloc a 100\n# a comment\n" + bad + "\nalloc b 200\n"
    r = replay(write_trace(tmp_path, trace))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "line 3" in r.stderr


# Refused operations: an `error line N` line, the replay goes on, status 1,
# and the end state is that of the same trace without the bad line.

# a 0x0, b 0x1000 (freed), c 0x3000, d 0x4000; free 0x1000+0x2000, brk 0x5000.
REFUSE_BASE = ["alloc a 4096", "alloc b 8192", "alloc c 4096", "alloc d 4096", "free b"]
REFUSE_TAIL = ["alloc e 4096", "free a", "alloc f 12288"]


@pytest.mark.parametrize(
    "bad,reason",
    [
        ("free b", "double free"),
        ("freeat 0x2000 0x1000", "double free"),  # inside the free block
        ("freeat 0x0 0x2000", "overlaps"),  # a and the free block's first page
        ("freeat 0x2000 0x2000", "overlaps"),  # its last page and c
        ("freeat 0x0 0x4000", "overlaps"),  # around it
        ("freeat 0x801 0x1000", "not aligned"),
        ("freeat 0x0 0", "size 0"),
        ("freeat 0x100000 0x1000", "outside"),  # past the break
        ("freeat 0x4000 0x2000", "outside"),  # across the break
        ("freeat 0x0 0xffffffffffffffff", "outside"),  # size wraps
        ("freeat 0xfffffffffffff000 0x1000", "outside"),  # base + offset wraps
        ("free zz", "unknown id"),
    ],
)
@pytest.mark.parametrize("mode", [[], ["--exact-free"]], ids=["seed", "exact"])
def test_refused_op(tmp_path, bad, reason, mode):
    # --exact-free keeps the seed's own reason for each of these refusals
    good = REFUSE_BASE + REFUSE_TAIL
    with_bad = REFUSE_BASE + [bad] + REFUSE_TAIL
    want = replay(*mode, write_trace(tmp_path, "\n".join(good) + "\n", "good"))
    got = replay(*mode, write_trace(tmp_path, "\n".join(with_bad) + "\n", "bad"))
    assert want.returncode == 0, want.stdout + want.stderr
    assert got.returncode == 1, got.stdout + got.stderr
    errors = [l for l in lines(got.stdout) if l.startswith("error")]
    assert len(errors) == 1, got.stdout
    assert errors[0].startswith(f"error line {len(REFUSE_BASE) + 1}") and reason in errors[0]
    rest = [l for l in lines(got.stdout) if not l.startswith("error")]
    assert rest == lines(want.stdout)
    assert final_state(got.stdout) == final_state(want.stdout)


# Issue 25: a free whose start or size is not one live allocation's. The
# seed accepts it (its contract: the caller's size is its word), and so does
# the replay by default; --exact-free refuses it with its own error, status
# 1, and changes nothing.
WRONG_SIZE_BASE = ["alloc a 4096", "alloc b 4096", "alloc c 8192", "alloc d 4096"]
WRONG_SIZE_TAIL = ["free a", "free c", "check", "alloc e 4096", "free b", "free d", "free e"]
MISMATCH = "not the start and size of one live allocation"


@pytest.mark.parametrize("mode", [[], ["--list"]], ids=["index", "list"])
@pytest.mark.parametrize(
    "bad,seed_free",
    [
        ("freeat 0 8192", "free 0x0 0x2000"),  # a and b at once: b's live page freed
        ("freeat 0x2000 0x1000", "free 0x2000 0x1000"),  # c's first page only
        ("freeat 0x3000 0x1000", "free 0x3000 0x1000"),  # c's second page: from inside it
        ("freeat 0x1000 0x2000", "free 0x1000 0x2000"),  # b and half of c
        ("freeat 0x2000 0x3000", "free 0x2000 0x3000"),  # c and d
    ],
)
def test_wrong_size_free(tmp_path, bad, seed_free, mode):
    seed = replay(*mode, "--check", write_trace(tmp_path, "\n".join(WRONG_SIZE_BASE + [bad, "check"])
                                                 + "\n", "seed"))
    assert seed.returncode == 0, seed.stdout + seed.stderr  # the seed's contract
    assert seed_free in lines(seed.stdout), seed.stdout
    good = WRONG_SIZE_BASE + WRONG_SIZE_TAIL
    at = len(WRONG_SIZE_BASE)
    want = replay(*mode, "--exact-free", write_trace(tmp_path, "\n".join(good) + "\n", "good"))
    got = replay(*mode, "--exact-free", "--check",
                 write_trace(tmp_path, "\n".join(good[:at] + [bad] + good[at:]) + "\n", "bad"))
    assert want.returncode == 0, want.stdout + want.stderr
    assert got.returncode == 1, got.stdout + got.stderr
    errors = [l for l in lines(got.stdout) if l.startswith("error")]
    assert errors == [f"error line {at + 1}: {bad}: {MISMATCH}"], got.stdout
    assert [l for l in lines(got.stdout) if not l.startswith("error")] == lines(want.stdout)


def test_exact_free_issue_example(tmp_path):
    # The issue's own case: b's live page must not be freed.
    t = write_trace(tmp_path, "alloc a 4096\nalloc b 4096\nfreeat 0 8192\ncheck\n")
    seed = replay(t)
    assert (seed.returncode, seed.stdout) == (0, "a 0x0\nb 0x1000\nfree 0x0 0x2000\nbrk 0x2000\n")
    got = replay("--exact-free", t)
    assert got.returncode == 1, got.stdout + got.stderr
    assert got.stdout == (f"a 0x0\nb 0x1000\nerror line 3: freeat 0 8192: {MISMATCH}\n"
                          "brk 0x2000\n")


# Issue 16: a free of what another client of the break took is refused,
# with its own error, status 1, and changes nothing.

OTHER = ["alloc a 4096", "sbrk 5000", "alloc b 4096", "free a", "free b"]


@pytest.mark.parametrize("mode", [[], ["--list"]], ids=["index", "list"])
@pytest.mark.parametrize(
    "bad,reason",
    [
        ("freeat 0x1000 0x1000", "range not obtained by this pool"),  # its first page
        ("freeat 0x2000 0x1000", "range not obtained by this pool"),  # its last, part padding
        ("freeat 0x0 0x2000", "range not obtained by this pool"),  # a's page and its first
        ("freeat 0x2000 0x2000", "range not obtained by this pool"),  # its last and b's page
        ("freeat 0x0 0x4000", "range not obtained by this pool"),  # all of it
        ("freeat 0x4000 0x1000", "range outside the heap"),  # above the pool's top
    ],
)
def test_free_of_another_clients_bytes_is_refused(tmp_path, bad, reason, mode):
    good = replay(*mode, write_trace(tmp_path, "\n".join(OTHER) + "\n", "good"))
    assert good.returncode == 0 and lines(good.stdout) == [
        "a 0x0", "sbrk 0x1000 0x1388", "b 0x3000", "free 0x0 0x1000", "free 0x3000 0x1000",
        "brk 0x4000"], good.stdout
    for at in (3, 5):  # between the two allocs, and after both frees
        trace = OTHER[:at] + [bad] + OTHER[at:]
        got = replay(*mode, "--check", write_trace(tmp_path, "\n".join(trace) + "\n", "bad"))
        assert got.returncode == 1, got.stdout + got.stderr
        errors = [l for l in lines(got.stdout) if l.startswith("error")]
        assert errors == [f"error line {at + 1}: {bad}: {reason}"], got.stdout
        assert [l for l in lines(got.stdout) if not l.startswith("error")] == lines(good.stdout)


def test_steps_list_the_regions(tmp_path):
    """--steps lists the pool's regions once another client took bytes below its top."""
    r = replay("--steps", write_trace(tmp_path, "alloc a 1\nsbrk 1\nalloc b 1\n"))
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("step ")
    assert "regions" not in out[1] + out[2]
    assert "step " + out[3] == ("step 3 line 3 brk 0x3000 free 0\nregions 2\n  0x0 0x1000\n"
                                "  0x2000 0x3000\ntree root nil nodes 0\nbrk 0x3000\n")


# Issue 13: the limits, and bad input refused the same way everywhere.

LIMIT_WORD = 128  # REPLAY_WORD_MAX: bytes in an ID or a number
LIMIT_ALLOCS = 131072  # REPLAY_ALLOCS_MAX: alloc lines in a trace
LIMIT_TRACE = 64 << 20  # REPLAY_TRACE_MAX: bytes in a trace


def test_longest_id_prints_whole_lines(tmp_path):
    long_id = "L" * LIMIT_WORD
    trace = f"alloc {long_id} 4096\nalloc b 4096\nfree {long_id}\nfree {long_id}\n"
    r = replay(write_trace(tmp_path, trace))
    assert r.returncode == 1, r.stderr
    assert lines(r.stdout) == [
        f"{long_id} 0x0",
        "b 0x1000",
        f"error line 4: free {long_id}: double free (the id was freed already)",
        "free 0x0 0x1000",
        "brk 0x2000",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "alloc " + "L" * (LIMIT_WORD + 1) + " 4096",
        "alloc " + "L" * 300 + " 4096",
        "free " + "L" * 300,
        "alloc a " + "0" * LIMIT_WORD + "1",
        "freeat 0x" + "0" * 300 + " 4096",
        "sbrk " + "0" * LIMIT_WORD + "1",
    ],
    ids=["id-129", "id-300", "free-id-300", "size-129", "freeat-302", "sbrk-129"],
)
def test_field_over_the_limit_is_malformed(tmp_path, bad):
    r = replay(write_trace(tmp_path, f"alloc a 4096\n{bad}\nalloc b 4096\n"))
    assert (r.returncode, r.stdout) == (2, "")
    assert "line 2: a field longer than 128 bytes (the limit" in r.stderr


def test_too_large_number_says_too_large(tmp_path):
    r = replay(write_trace(tmp_path, "alloc a 99999999999999999999999\n"))
    assert (r.returncode, r.stdout) == (2, "")
    assert "line 1: number too large" in r.stderr


def test_trace_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.trace"
    with open(path, "wb") as f:
        f.write(b"alloc a 4096\n")
        f.write(b"#" * (LIMIT_TRACE - 14) + b"\n")
        f.write(b"alloc z 1048576\n")  # the line a cut would turn into "alloc z 10"
    r = replay(path)
    assert (r.returncode, r.stdout) == (2, "")
    assert "more than the limit of 67108864 (64 MiB)" in r.stderr


def test_trace_at_the_size_limit_runs(tmp_path):
    path = tmp_path / "max.trace"
    with open(path, "wb") as f:
        f.write(b"alloc a 4096\n" + b"#" * (LIMIT_TRACE - 13 - 17) + b"\nalloc z 1048576\n")
    assert path.stat().st_size == LIMIT_TRACE
    r = replay(path)
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout) == ["a 0x0", "z 0x1000", "brk 0x101000"]


def test_alloc_lines_limit(tmp_path):
    ok = replay(write_trace(tmp_path, "alloc a 0\n" * LIMIT_ALLOCS, "ok"))
    assert ok.returncode == 0, ok.stderr
    assert lines(ok.stdout).count("a nil") == LIMIT_ALLOCS
    r = replay(write_trace(tmp_path, "alloc a 0\n" * (LIMIT_ALLOCS + 1), "over"))
    assert (r.returncode, r.stdout) == (2, "")
    assert f"line {LIMIT_ALLOCS + 1}: more than 131072 alloc lines (the limit)" in r.stderr


def test_write_error_is_reported():
    """All output lost to a full disk: a message and status 4, never 0."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([str(REPLAY)], input=EXAMPLE_1[0], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 4
    assert "replay: write error on stdout: No space left on device" in r.stderr


def test_directory_as_trace_says_why(tmp_path):
    r = replay(tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert "Is a directory" in r.stderr


@pytest.mark.parametrize(
    "args,why",
    [
        (["--heap", "+4096"], "not a number"),  # as the trace grammar: no sign
        (["--heap", " 4096"], "not a number"),
        (["--heap", "010"], "heap 10 is not a whole number of pages"),  # decimal, not octal
        (["--heap", "1"], "heap 1 is not a whole number of pages (of 4096 bytes)"),
        (["--heap", "3"], "heap 3 is not a whole number"),
        (["--heap", "0x10"], "heap 16 is not a whole number"),
        (["--heap", "12288", "--page", "8192"], "heap 12288 is not a whole number of pages (of 8192"),
        (["--heap", "99999999999999999999999"], "number too large"),
        (["--page", "1073741824"], "page 1073741824 is not a power of two from 16 to 1048576"),
        (["--page", "4611686018427387904"], "page 4611686018427387904 is not a power of two"),
        (["--page", "8"], "page 8 is not a power of two from 16"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else None,
)
def test_bad_heap_or_page_is_usage_error(args, why):
    r = replay(*args, stdin=EXAMPLE_1[0])
    assert (r.returncode, r.stdout) == (2, "")
    assert len(r.stderr.splitlines()) == 1 and why in r.stderr, r.stderr


@pytest.mark.parametrize("args", [["--page", "16", "--heap", "4096"], ["--page", "1048576"]])
def test_page_limits_run(args):
    r = replay(*args, stdin="alloc a 1\n")
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout)[0] == "a 0x0"


# Issue 25: traces chosen to hurt. The ID table's hash is keyed (SipHash,
# a key per run), so IDs that collide under any fixed function cost what
# ordinary ones cost; the limits hold before the work they bound; no ID
# can carry a control byte to a terminal.

FNV_BITS = 18  # replay_slots(131072): a table of 2^18 slots


def fnv_colliding_ids(stages):
    """2^stages IDs whose FNV-1a hashes (the unkeyed hash the ID table used
    before) agree in their low FNV_BITS bits: the slot all of them would
    have started at. Built as a chain: at each stage two 3-byte blocks that
    take the hash's state to the same value, either of which may come next.
    Two blocks collide when their first two bytes leave states that agree
    above the low byte; the third bytes then make up the difference."""
    mask, prime = (1 << FNV_BITS) - 1, 16777619
    alnum = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def step(h, block):
        for c in block:
            h = ((h ^ c) * prime) & mask
        return h

    state, choices = 2166136261 & mask, []
    for _ in range(stages):
        by_high = {}
        for a in alnum:
            for b in alnum:
                h = step(state, bytes((a, b)))
                by_high.setdefault(h >> 8, []).append((h, bytes((a, b))))
        pair = next(((p + bytes((c,)), q + bytes((c ^ (h ^ g) & 0xff,))), step(h, (c,)))
                    for group in by_high.values() if len(group) > 1
                    for (h, p), (g, q) in [group[:2]]
                    for c in alnum if c ^ (h ^ g) & 0xff in alnum)
        choices.append(pair[0])
        state = pair[1]
    ids = [b""]
    for pair in choices:
        ids = [i + c for i in ids for c in pair]
    return ids, state, step


def test_colliding_ids_cost_what_others_cost(tmp_path):
    """131,072 allocs whose IDs all start at one slot under FNV-1a took 22 s
    (every lookup walked the run before it); now each looks at a slot or two."""
    ids, state, step = fnv_colliding_ids(17)
    assert len(set(ids)) == LIMIT_ALLOCS
    assert {step(2166136261 & ((1 << FNV_BITS) - 1), i) for i in ids[::997]} == {state}
    path = tmp_path / "collide.trace"
    path.write_bytes(b"".join(b"alloc %s 16\n" % i for i in ids))
    r = replay("--page", "16", "--heap", "0x200000", "--stats", path)
    assert r.returncode == 0, r.stderr[-500:]
    got = lines(r.stdout)
    assert len(got) == LIMIT_ALLOCS + 1 and got[-1] == "brk 0x200000"
    assert got[1] == f"{ids[1].decode()} 0x10"
    m = re.search(r"replay: stats: (\d+) ID lookups looked at (\d+) slots of (\d+)", r.stderr)
    assert m, r.stderr
    lookups, probes = int(m[1]), int(m[2])
    assert lookups == LIMIT_ALLOCS
    # Linear probing at half load looks at about 1.5 slots a lookup; the
    # colliding run looked at 65,536 on average. 4 is generous and far from both.
    assert probes <= 4 * lookups, (lookups, probes)


def test_stream_over_the_size_limit_is_refused_unread(tmp_path):
    """A stream past the limit is refused after the limit's worth of bytes,
    which it names; the tool read 128 MiB and called that the size."""
    err_path = tmp_path / "err"
    with open(err_path, "wb") as err_file:
        p = subprocess.Popen([str(REPLAY)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=err_file)
        chunk = b"#" * (1 << 20) + b"\n"
        sent = 0
        try:
            while sent < 3 * LIMIT_TRACE:  # more than the old reading's 128 MiB
                p.stdin.write(chunk)
                sent += len(chunk)
            p.stdin.close()
        except BrokenPipeError:
            pass
        out = p.stdout.read()
        p.wait(timeout=60)
    err = err_path.read_bytes()
    assert (p.returncode, out) == (2, b"")
    assert sent < 3 * LIMIT_TRACE  # it stopped reading
    assert err.decode() == ("replay: stdin: at least 67108865 bytes, more than the limit of "
                            "67108864 (64 MiB) a trace may have\n")


def test_file_over_the_size_limit_names_its_size(tmp_path):
    path = tmp_path / "huge.trace"
    with open(path, "wb") as f:
        f.truncate(200 << 20)  # sparse: 200 MiB of NUL bytes, never read
    r = replay(path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (f"replay: {path}: 209715200 bytes, more than the limit of 67108864 "
                        "(64 MiB) a trace may have\n")


def test_help_on_a_full_disk_says_so():
    with open("/dev/full", "w") as full:
        r = subprocess.run([str(REPLAY), "--help"], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=60)
    assert r.returncode == 4
    assert r.stderr == "replay: write error on stdout: No space left on device (output lost)\n"


CONTROL_MSG = ("a control byte (0x00-0x1f or 0x7f) in an ID (the replay prints IDs: they "
               "must not reach a terminal raw)")


@pytest.mark.parametrize("byte", [0x1b, 0x07, 0x01, 0x0b, 0x0c, 0x1f, 0x7f],
                         ids=lambda b: f"{b:#04x}")
@pytest.mark.parametrize("line", ["alloc a{}b 16", "free a{}b"], ids=["alloc", "free"])
def test_control_byte_in_an_id_is_malformed(tmp_path, byte, line):
    path = tmp_path / "t.trace"
    path.write_bytes(b"alloc x 16\n" + line.format(chr(byte)).encode() + b"\n")
    r = subprocess.run([str(REPLAY), str(path)], capture_output=True, timeout=60)
    assert (r.returncode, r.stdout) == (2, b"")
    assert r.stderr == f"replay: {path}: line 2: {CONTROL_MSG}\n".encode()


def test_osc_in_an_id_never_reaches_the_terminal(tmp_path):
    """`\\x1b]0;pwned\\x07` in an ID retitled the terminal the replay printed to."""
    path = tmp_path / "t.trace"
    path.write_bytes(b"alloc \x1b]0;pwned\x07 16\n")
    r = subprocess.run([str(REPLAY), str(path)], capture_output=True, timeout=60)
    assert (r.returncode, r.stdout) == (2, b"")
    assert b"\x1b" not in r.stderr and b"\x07" not in r.stderr


def test_ids_keep_their_other_bytes(tmp_path):
    """NBSP, U+2028, bytes that are not UTF-8 and a control byte in a
    comment are all fine: an ID is any bytes but blanks and controls."""
    path = tmp_path / "t.trace"
    path.write_bytes(b"alloc \xc2\xa0 16\nalloc \xe2\x80\xa8x 16\nalloc \xff\xfe 16 # \x1b\n"
                     b"free \xc2\xa0\n")
    r = subprocess.run([str(REPLAY), str(path)], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split(b"\n")[:3] == [b"\xc2\xa0 0x0", b"\xe2\x80\xa8x 0x1000",
                                          b"\xff\xfe 0x2000"]


def test_ops_prints_the_replays_reading(tmp_path):
    path = tmp_path / "t.trace"
    path.write_bytes(b"# x\nalloc a\xc2\xa0 0x10 # c\n\n  free\ta\xc2\xa0\r\nfreeat 0x1000 4096\n"
                     b"sbrk 5\ncheck\nalloc brk 1\n")
    r = subprocess.run([str(REPLAY), "--ops", str(path)], capture_output=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode() == ("alloc 2 61c2a0 16\nfree 4 61c2a0\nfreeat 5 4096 4096\n"
                                 "sbrk 6 5\ncheck 7\nalloc 8 62726b 1\n")
    bad = replay("--ops", write_trace(tmp_path, "alloc a 1\nalloc b\n"))
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "line 2: wrong number of fields" in bad.stderr


@pytest.mark.parametrize("var,suffix", [("MEM_INDEX=0", "-index0"), ("MEM_INDEX=1", "")])
def test_mem_index_builds_in_a_directory_of_its_own(var, suffix):
    """MEM_INDEX=0 built into the default image's directory (build/amd64),
    so a list-only image replaced the default one under a running test."""
    r = subprocess.run(["make", "-s", "--no-print-directory", "ARCH=amd64", "image-dir", var],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, f"build/amd64{suffix}\n"), r.stderr
