# SPDX-License-Identifier: BSD-3-Clause
# The docs test: runs the commands that docs/lab/*.md, docs/gdb.md,
# docs/porting.md and README.md quote and checks that what they say the
# commands print is what they print.
# Run with /usr/bin/python3 -m pytest tests/test_docs.py (after `make test`
# has built the host programs and the images; it builds what is missing).
# On several workers, only with --dist loadgroup, as make test runs it
# (tests/conftest.py): without it each worker runs the `built` fixture's
# make at once, and two makes rebuilding the same files trip on each
# other (every session of the worker that lost then errors).
"""How a doc marks what is tested (an HTML comment before a fenced block):

  <!-- doc-test: sh NAME [status=N] -->        the block is a shell script:
        run from the repository's root, stdout and stderr together, under a
        timeout; status=N: it must exit N.
  <!-- doc-test: qemu-gdb NAME -->             the block's `./run-qemu.sh
        ... --gdb` line is started, and gdb attaches with the command it
        prints (`gdb -x /tmp/heaplab.XXXXXX/gdbinit`, the run's own script)
        in batch mode and runs the session's commands.
  <!-- doc-test: host-gdb NAME -->             the block's gdb command line
        (on a host program) is run in batch mode, then the session's commands.
  <!-- doc-test: gdb NAME -->                  a gdb transcript: its `(gdb) `
        lines are commands of session NAME, the other lines (if any) what
        they print.
  <!-- doc-test: expect NAME... -->            the block is what session
        NAME (each one named) prints.

Sessions named grade-* are checked by tests/test_grade.py and
tests/test_grade_labs.py against the grader's output (check_block below),
not run here.

What printed lines must match: every line of an expected block, in order,
must be a line of the output (lines the doc leaves out are skipped); a
gdb session's blocks are found one after the other, in the doc's order. In a
gdb session the output reads as a transcript, `(gdb) CMD` before each
command's output, and the lines after a `(gdb) CMD` of the doc must be in
that command's output. Within a line: `...` matches any text (a line that
is only `...` stands for lines left out); a hex number of 5 digits or more
is an address, which varies from build to build, and matches any hex
number; a time such as `2.6s` matches any time; `/path/to/heaplab` is the
repository's root; a run's directory, `/tmp/heaplab.` and six letters or
digits, matches any run's (mktemp names it). So when a program's output
changes, updating the doc's quoted line is all it takes."""

import os
import re
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

import gdbstub  # noqa: E402 (pytest puts tests/ on the path)

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted((REPO / "docs" / "lab").glob("*.md")) + [
    REPO / "docs" / "gdb.md", REPO / "docs" / "porting.md", REPO / "README.md"]
TIMEOUT = 180  # seconds for one session
MARK = re.compile(r"^\s*<!-- doc-test: (\w[\w-]*) ([^>]*?) -->\s*$")
FENCE = re.compile(r"^(\s*)```")
EXTERNAL = "grade-"  # sessions checked by tests/test_grade.py and test_grade_labs.py


class Session:
    def __init__(self, doc, name):
        self.doc, self.name = doc, name
        self.kind, self.script, self.status = None, None, None
        self.cmds, self.expect = [], []  # gdb commands; expected blocks (line, [lines])

    def __repr__(self):
        return f"{self.doc.name}:{self.name}"


def blocks(doc):
    """The marked blocks of doc: (line number, kind, args, lines)."""
    lines, out, i = doc.read_text().splitlines(), [], 0
    while i < len(lines):
        m = MARK.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not FENCE.match(lines[j]):
            assert lines[j].strip() == "", f"{doc}:{i + 1}: a doc-test mark, then no block"
            j += 1
        assert j < len(lines), f"{doc}:{i + 1}: a doc-test mark, then no block"
        indent = len(FENCE.match(lines[j])[1])
        k = j + 1
        while k < len(lines) and not FENCE.match(lines[k]):
            k += 1
        body = [s[indent:] if s[:indent].strip() == "" else s for s in lines[j + 1:k]]
        out.append((i + 1, m[1], m[2].split(), body))
        i = k + 1
    return out


def sessions(doc):
    """The sessions of doc, in the order they first appear."""
    found = {}
    for line, kind, args, body in blocks(doc):
        names = [a for a in args if "=" not in a]
        opts = dict(a.split("=", 1) for a in args if "=" in a)
        for name in names:
            s = found.setdefault(name, Session(doc, name))
            if kind in ("sh", "qemu-gdb", "host-gdb"):
                assert s.kind is None, f"{doc}:{line}: session {name} is run twice"
                s.kind, s.script = kind, body
                s.status = int(opts["status"]) if "status" in opts else None
            elif kind == "gdb":
                s.cmds += [c[6:] for c in body if c.startswith("(gdb) ")]
                if any(not c.startswith("(gdb) ") and c.strip() for c in body):
                    s.expect.append((line, body))  # commands only: nothing to check
            elif kind == "expect":
                s.expect.append((line, body))
            else:
                raise AssertionError(f"{doc}:{line}: unknown doc-test kind '{kind}'")
    return list(found.values())


ALL = [s for d in DOCS for s in sessions(d)]


# --- matching -----------------------------------------------------------------

def pattern(line):
    """A quoted line as a regular expression (the rules above)."""
    out = []
    for tok in re.split(r"(\.\.\.|0x[0-9a-f]{5,}|\b\d+\.\d+s\b|/path/to/heaplab|"
                        r"/tmp/heaplab\.[A-Za-z0-9]{6})", line):
        if tok == "...":
            out.append(".*")
        elif re.fullmatch(r"0x[0-9a-f]{5,}", tok):
            out.append("0x[0-9a-f]+")
        elif re.fullmatch(r"\d+\.\d+s", tok):
            out.append(r"\d+\.\d+s")
        elif tok == "/path/to/heaplab":
            out.append(re.escape(str(REPO)))
        elif tok.startswith("/tmp/heaplab."):
            out.append(r"/\S*/heaplab\.[A-Za-z0-9]{6}")
        else:
            out.append(re.escape(tok))
    return re.compile("".join(out) + r"\s*")


def check_block(got, want, start=0):
    """Finds want's lines in got's, in order, from line start on (gdb
    commands as anchors, see above); answers where it stopped, or raises
    AssertionError saying which line is missing. The output of heaplab's
    own gdb commands (`(gdb) heap ...`) is quoted whole: its lines follow
    one another, from the first, unless a `...` line says some are left
    out (a note the doc leaves out, like heap check's lock note, fails)."""
    pos, seg_end, anchor, gap = start, None, None, True
    for w in want:
        if w.strip() == "...":
            gap = True
        if w.strip() in ("", "..."):
            continue
        pat = pattern(w.rstrip())
        end = len(got) if seg_end is None or w.startswith("(gdb) ") else seg_end
        if not gap and anchor and anchor.startswith("(gdb) heap ") and \
                not w.startswith("(gdb) ") and pos < end:
            end = pos + 1  # whole: the next line of the command's output
        for i in range(pos, end):
            if pat.fullmatch(got[i]):
                break
        else:
            where = "in the output" if end == len(got) else f"in the output of `{anchor}`"
            raise AssertionError(f"doc line not found {where}:\n  {w}\noutput from there:\n"
                                 + "\n".join(got[pos:pos + 40]))
        pos, gap = i + 1, False
        if w.startswith("(gdb) "):
            anchor = w.strip()
            seg_end = next((j for j in range(pos, len(got)) if got[j].startswith("(gdb) ")),
                           len(got))
    return pos


def check_session(s, out):
    """Checks every expected block of s against the output text out."""
    got, pos = [l.rstrip() for l in out.replace("\r", "").splitlines()], 0
    for line, want in s.expect:
        try:
            pos = check_block(got, want, pos if s.kind != "sh" else 0)
        except AssertionError as e:
            raise AssertionError(f"{s.doc.relative_to(REPO)}:{line} ({s.name}): {e}") from None


def doc_blocks(name):
    """The expected blocks of the sessions called name, in every doc."""
    return [s for s in ALL if s.name == name]


# --- running ------------------------------------------------------------------

def run(argv, env=None, timeout=TIMEOUT):
    """Runs argv in a process group of its own, from the repository's root;
    answers (status, output)."""
    p = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                         errors="replace", start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        raise AssertionError(f"{argv} did not finish in {timeout} s:\n{out[-3000:]}")
    return p.returncode, out


def transcript(out, cmds):
    """gdb's marked output as a transcript: `(gdb) CMD`, then its output
    (gdbstub.split_marked fails if any command's output is missing)."""
    head, outs = gdbstub.split_marked(out, cmds)
    return head + "".join(f"(gdb) {c}\n" + o.strip("\n") + "\n" for c, o in zip(cmds, outs))


def one_command(script):
    """The block's command line (backslash continuations joined, comment
    dropped), as words."""
    text = "\n".join(script).replace("\\\n", " ")
    return shlex.split(text, comments=True)


def run_qemu_gdb(s):
    """Starts the block's ./run-qemu.sh --gdb line, attaches gdb to it with
    the command the script prints and runs the session's commands; answers
    the console and the transcript."""
    line = next(l for l in s.script if l.lstrip().startswith(("./run-qemu.sh", "NOLOCK",
                                                                "MEM_FREE")))
    words = shlex.split(line, comments=True)
    env = dict(os.environ)
    while "=" in words[0]:
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    assert "--gdb" in words, f"{s}: no --gdb in {line}"
    with tempfile.NamedTemporaryFile("w+", prefix="console.") as log:
        q = gdbstub.start(words, log, env=env)
        try:
            attach, _, _ = gdbstub.wait_stub(q, log.name)
            assert attach[1:2] == ["-x"], attach
            st, out = run([attach[0], "-batch", "-nx", *attach[1:]] + gdbstub.marked(s.cmds),
                          env=env)
        finally:
            gdbstub.stop(q)
            log.seek(0)
            console = log.read()
    return console + transcript(out, s.cmds)


def run_host_gdb(s):
    words = one_command(s.script)
    assert words[0] == "gdb", f"{s}: not a gdb command: {words}"
    st, out = run([words[0], "-batch", "-nx", *words[1:]] + gdbstub.marked(s.cmds))
    return transcript(out, s.cmds)


def run_session(s):
    if s.kind == "sh":
        st, out = run(["sh", "-c", "\n".join(s.script)])
        if s.status is not None:
            assert st == s.status, f"{s}: exit {st}, the doc says {s.status}:\n{out[-3000:]}"
        return out
    if s.kind == "qemu-gdb":
        return run_qemu_gdb(s)
    assert s.kind == "host-gdb", f"{s}: nothing runs it"
    return run_host_gdb(s)


@pytest.fixture(scope="module")
def built():
    """The host programs, the amd64 image and the lab programs (make test
    has built the first two; the lab ones take seconds): lab 8's too."""
    st, out = run(["make", "-s", "--no-print-directory", "host", "image", "lab"], timeout=1800)
    assert st == 0, out[-3000:]
    st, out = run(["make", "-s", "--no-print-directory", "lab", "LAB=span"], timeout=600)
    assert st == 0, out[-3000:]


def test_marks_make_sessions():
    """Every marked session is run here or by test_grade.py, and checks
    something; the marks have not all gone missing."""
    assert len(ALL) >= 8, ALL
    for s in ALL:
        if s.name.startswith(EXTERNAL):
            assert s.kind is None and s.expect, s
        else:
            assert s.kind is not None, f"{s}: expected output but no command that prints it"
            assert s.expect or s.status is not None, f"{s}: runs, but nothing is checked"


@pytest.mark.parametrize("s", [s for s in ALL if not s.name.startswith(EXTERNAL)], ids=repr)
def test_doc_session(built, s):
    check_session(s, run_session(s))


def test_heap_commands_are_quoted_whole():
    """A heap command's first lines (heap check's lock note) cannot be left
    out silently: lab 2 quoted `heap check: ok` without its note."""
    got = ["(gdb) heap check", "heap check: note: the lock is held by cpu 0: ...",
           "heap check: ok (1 blocks, 24576 bytes free)", "(gdb) continue"]
    check_block(got, ["(gdb) heap check", "heap check: note: the lock is held by cpu 0: ...",
                      "heap check: ok (1 blocks, 24576 bytes free)"])
    check_block(got, ["(gdb) heap check", "...", "heap check: ok (1 blocks, 24576 bytes free)"])
    with pytest.raises(AssertionError):
        check_block(got, ["(gdb) heap check", "heap check: ok (1 blocks, 24576 bytes free)"])


def doc_texts():
    return {d: d.read_text() for d in DOCS}


def test_run_qemu_lines_are_ones_it_prints():
    """Every `run-qemu.sh: ...` line a doc quotes is one run-qemu.sh can
    print (lab 4 quoted `the image reported failure (exit 120)` where it
    prints `the image panicked (exit 120: ...)`)."""
    script = (REPO / "run-qemu.sh").read_text()
    said = re.findall(r'^\s*\S+\) echo "(.*)" ;;$', script, re.M)  # image_said
    said += re.findall(r'echo "run-qemu.sh: (.*)" >&2', script)
    said += re.findall(r'die \d+ "(.*?)"', script)
    pats = [re.compile(".*".join(re.escape(t) for t in
                                 re.split(r"\$\{?\w+\}?|\$\([^)]*\)\)?", m)) + r"\s*")
            for m in said]
    # an exit status image_said has a case of its own for is said that way
    own = {n: m for n, m in re.findall(r'^\s*(\d+)\) echo "(.*)" ;;$', script, re.M)}
    for doc, text in doc_texts().items():
        for line in re.findall(r"^\s*run-qemu\.sh: (.*)$", text, re.M):
            assert any(p.fullmatch(line) for p in pats), \
                f"{doc.name}: run-qemu.sh never says: {line}"
            n = re.search(r"\(exit (\d+)\b", line)
            assert not n or n[1] not in own or line.strip() == own[n[1]], \
                f"{doc.name}: for exit {n[1]} run-qemu.sh says `{own[n[1]]}`, not: {line}"


def test_no_void_list_flag_with_a_lab_file():
    """A build with a student's free or alloc keeps no index, so --list on
    its command line does nothing: lab 4 told students to add it."""
    for doc, text in doc_texts().items():
        for line in text.splitlines():
            if re.search(r"\bMEM_(FREE|ALLOC)=\S+ .*run-qemu\.sh\b.*--list\b", line):
                raise AssertionError(f"{doc.name}: --list is void with a lab's file: {line}")


def test_instruction_counts_agree():
    """The docs quote one figure for the list walk's cost per free block
    (lab 7 said 8 where the README, from make bench, says 7)."""
    figures = {}
    for doc, text in doc_texts().items():
        flat = text.replace("\n", " ")
        for n in re.findall(r"about (\d+) instructions (?:per|a) free block", flat):
            figures.setdefault(n, []).append(doc.name)
    assert len(figures) == 1, f"the docs disagree: {figures}"


def test_help_heap_names_every_heap_command():
    """`help heap` (the heap command's docstring) names each `heap X`
    command tools/gdb/heaplab.py defines (it left out tree)."""
    src = (REPO / "tools" / "gdb" / "heaplab.py").read_text()
    subs = set(re.findall(r'super\(\).__init__\("heap (\w+)"', src))
    head = re.search(r'class HeapCommand\(gdb.Command\):\n    """(.*?)\n(.*?)\n', src)
    assert subs and head, "heaplab.py has changed: update this test"
    for sub in subs:
        assert re.search(rf"\b{sub}\b", head[1]) and re.search(rf"\b{sub}\b", head[2]), \
            f"help heap does not name heap {sub}: {head[1]} / {head[2]}"


def test_a_drifted_line_fails():
    """The matcher is not lenient: a changed digit, a changed word, a line
    out of order each fail."""
    got = ["(gdb) heap list", "0x134000 0x3000 end 0x137000 offset +0x0", "(gdb) heap check",
           "heap check: ok (1 blocks, 12288 bytes free)", "took 2.6s"]
    check_block(got, ["(gdb) heap list", "0x132000 0x3000 end ... offset +0x0",
                      "(gdb) heap check", "heap check: ok (1 blocks, 12288 bytes free)",
                      "took 0.1s"])
    for bad in (["0x134000 0x2000 end 0x137000 offset +0x0"],
                ["heap check: ok (1 blocks, 12289 bytes free)"],
                ["(gdb) heap check", "0x134000 0x3000 end 0x137000 offset +0x0"],
                ["(gdb) heap list", "heap check: ok (1 blocks, 12288 bytes free)"]):
        with pytest.raises(AssertionError):
            check_block(got, bad)
