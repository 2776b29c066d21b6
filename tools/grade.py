#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The graders of the allocator labs (docs/lab), in the manner of 6.1810's
# grade scripts: builds the host programs with the student's file in place
# of one of mem/'s, runs them, and prints a score per part, then the total.
# A verdict is never what the student's programs say about themselves:
# see "What decides a verdict" below and docs/lab/README.md's threat model.
"""The labs, their parts, and what scores them (--lab NAME)

free (lab 3): the student's mem_freel, in place of mem/free.c
  free: address order, coalescing, zeroing, refusals and accounting
      lab/grade_free.c: one case per rule, each from a hand-built heap, so
      that a free that forgets to merge loses the coalescing points and one
      that forgets to zero loses the zeroing points, and no others here.
  sample traces       each TRACES/NAME.trace through the replay with --check
                      must print exactly NAME.expected
  random traces       random traces (written to BUILD/random/, from a seed
                      drawn for each run unless --seed gives it), each
                      through the replay with --check, must print what the
                      reference (mem/ as it is, BUILD/replay-ref) prints

alloc (lab 6): the student's mem_allocl (the list walk), in place of mem/alloc.c
  alloc: first fit, exact fit, carving, sbrk, zeroing, nil on exhaustion
      lab/grade_alloc.c: one case per rule, from hand-built heaps
  sample traces, random traces: as for free

index (lab 7): the student's mem_index_fit, in place of mem/fit.c
  index: first fit, the list predecessor, nodes visited per search
      lab/grade_index.c: trees built by the reference free, searched for
      every size; with 10,000 free blocks a search may visit at most
      2*height+2 nodes, counted (the pages it reads), not timed; the
      bound part counts only when the first-fit part is full
  sample traces, random traces: as above, through the placement index

span (lab 8): the student's hobj_span_take, _find and _give, in place of
  objects/span.c
  span: take, find, give   lab/grade_span.c: spans built by hand from
      pictures, one rule a case (LIFO reuse, fresh objects in order, the
      in-use bit, refusals changing nothing, the link in the freed
      object's first word)
  span: full and emptied spans   through objects/objects.c
  workload   the C API on random workloads, hobj_check after every
      operation
  memory     the same workloads watched for corruption alone (an object
      handed out twice, one overlapping a live one, contents lost, calloc
      not zero, a bad free taken): the most points, as bugs cost by harm
      (docs/lab/8-spans.md, "How it is scored"). Each call of the
      student's functions is recorded with the bytes of the heap it
      changed (lab/spanrec.h), and judged by objects/'s own code.

pcp (lab 9): the student's pcp_alloc, pcp_free, pcp_drain, in place of
  kernel/pcp.c, in the amd64 image, booted in QEMU (see "lab 9" below)
  correctness         the SMP stress (--smp 2 --pcp) passes whole, and the
                      page stress's runs stay zero and intact and every
                      byte comes back (counted only if the cache kept any)
  stealing            a CPU that runs dry takes from another's cache
  the cap, the drain  at most PCP_MAX bytes a CPU; a drain gives back all
  contention          the page stress's failed test-and-sets within the
                      bound (counted only when correctness is full)

memory (labs 3, 6, 7): no overlap, zeroed, nothing lost
      the replays' audit (lab/audit.c, in the lab's replay): every
      allocation inside no free block and over no live one, zero, written
      to and read back at its free; every freed range on the list. A case
      per kind of corruption, each failed by the first replay that found
      it, or by a replay that stopped before its end (it vouches for
      nothing after). The most points of any part but the index lab's
      bound: bugs cost by harm (docs/lab/3-free.md, "How it is scored").

A part scores its points times the fraction of its cases that pass, out
of every case it has: one that did not run, or whose run said nothing,
has failed. The points add up to 100, and the score is always out of 100.
A part whose program does not build scores 0.

What decides a verdict: the student's code runs only in the sandbox
(bwrap: the tree read-only, no network, a /tmp of its own, the expected
outputs out of sight), each case in a process group of its own, killed
whole at its limit, its output kept up to a bound. A part check's case
runs there (BUILD/grade_NAME --record CASE) and writes a record of each
call of the student's function: its answer and the heap it left. The
case's checks then run in BUILD/judge_NAME, the same checks built from
mem/'s own files and no student file, on the heap the records hold
(lab/labplay.c): its one line is the verdict. A replay passes when what it
printed is what this grader expects (NAME.expected, or the reference's
output for a trace it has never seen). Nothing a run prints about itself,
and no exit status, counts as a pass.

The unit tests (tests/host/test_mem.c) and the differential test
(tests/host/test_diff.c) that `make lab` builds are the student's to run:
they check themselves inside the student's program, so they score
nothing here.

Each case and replay has a time limit, and each lab program stops itself
when one heaplab_alloc, heaplab_free or mem_index_fit takes more than 0.25 s
of CPU time (lab/labrt.c), so a loop fails its case in seconds, with a
`looped:` line. Every failure says what happened first: `looped:`,
`crashed:` (with the sanitizer's line and its first frame in the
student's file), `timed out:`, `corrupted:` (the audit) or `wrong answer:`;
-v adds the evidence (the sanitizer's report, the end of stderr), and
--results FILE writes it all as Gradescope's results.json.
Exit status: 0 for full marks, 1 otherwise, 2 for bad arguments (an
unknown lab, a missing file), 3 when bwrap is there but cannot start the
sandbox on this machine (no user namespaces: a container, a sysctl):
nothing is graded then, rather than every case failed for it."""

import argparse
import hashlib
import json
import os
import random
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imagerun  # noqa: E402  (lab 9's image runs and their verdicts)

REPO = Path(__file__).resolve().parents[1]
HEAP_ARGS = {"oom-106": ["--heap", "4194304"]}  # as its .expected was made
SHOW = 5  # failures shown per part
LOOP_MSG = "looped: "  # how its message starts
CASE_SECS = 30  # the most one part check's case may take, in all
CASE_CPU = 2  # the CPU seconds grade_NAME --record gives a case (lab/gradelib.h)
OUT_CAP = 1 << 20  # bytes of a program's stdout, and of its stderr, kept
REC_CAP = 64 << 20  # bytes of a case's records kept; a run that writes more fails
BUILD_MEM = 4 << 30  # address space of a build (a file that #includes /dev/zero)
TMP_SIZE = 64 << 20  # the sandbox's own /tmp, in memory
MAKE_WORD = re.compile(r"[A-Za-z0-9._/+-]+")  # a path make takes as one word, as it is
SANDBOX_IN = "/tmp/in"  # where a run's input files appear in the sandbox


class Run:
    """What a program did: status (None: killed at its limit), its stdout,
    stderr and records (bytes, each cut at its bound), and which of them
    were cut."""

    def __init__(self, status, out, err, rec, cut):
        self.status, self.out, self.err, self.rec, self.cut = status, out, err, rec, cut

    def text(self, which="out"):
        data = getattr(self, which).decode(errors="replace")
        if which in self.cut:
            data += f"\n[grade: output cut at {len(getattr(self, which))} bytes]\n"
        return data


class SandboxError(Exception):
    """bwrap is there but cannot start a program: what it said."""


class Sandbox:
    """Runs the student's build and programs: under bwrap (Debian's
    bubblewrap) when it is there, with the tree read-only, no network, no
    other process in sight, a /tmp of its own and nothing of the machine
    but /usr and what is named; else as they are, after a loud warning.
    A bwrap that cannot start a program here (it needs user namespaces)
    raises SandboxError: every build and run would fail for it, and the
    verdicts would blame the student's file."""

    def __init__(self, use):
        self.bwrap = shutil.which("bwrap") if use else None
        if self.bwrap is None:
            why = ("--no-sandbox" if not use else
                   "bwrap (Debian's bubblewrap) is not installed")
            warn = (f"WARNING: {why}: the code graded runs with your rights. It can write "
                    "to your files (this grader's included), reach the network, read "
                    "the expected outputs and leave processes behind, so a score is "
                    "only as good as the code is honest. Install bubblewrap "
                    "(tools/deps.sh host) before grading code you did not write.")
            bar = "!" * 72
            print(f"{bar}\ngrade: {warn}\n{bar}", file=sys.stderr, flush=True)
        else:
            self.probe()

    def probe(self):
        """Starts /usr/bin/true in the sandbox as the runs are started;
        raises SandboxError with bwrap's words if it does not exit 0."""
        try:
            r = subprocess.run(self.argv(["/usr/bin/true"], (), (), (), (), "/tmp"),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SandboxError(str(e)) from None
        if r.returncode != 0:
            said = " ".join(r.stderr.split())[:500]
            raise SandboxError(said or f"exit status {r.returncode}, nothing on stderr")

    def argv(self, cmd, inputs, ro, rw, hide, cwd):
        """The bwrap command line that runs cmd, seeing /usr, ro read-only,
        rw writable, hide as empty folders, and each input file at
        SANDBOX_IN/NAME."""
        a = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
             "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                a += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                a += ["--ro-bind", top, top]
        for etc in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
                    "/etc/ld.so.conf.d", "/etc/passwd", "/etc/group"):
            a += ["--ro-bind-try", etc, etc]
        a += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
        for p in ro:
            a += ["--ro-bind", str(p), str(p)]
        for p in rw:
            a += ["--bind", str(p), str(p)]
        for p in hide:
            a += ["--tmpfs", str(p)]
        for p in inputs:
            a += ["--ro-bind", str(p), f"{SANDBOX_IN}/{Path(p).name}"]
        return a + ["--chdir", str(cwd), "--"] + cmd

    def path(self, p):
        """Where an input file is seen by the programs run."""
        return f"{SANDBOX_IN}/{Path(p).name}" if self.bwrap else str(p)

    def run(self, cmd, secs, inputs=(), ro=(), rw=(), hide=(), cwd=None, stdin=None,
            record=False, mem=None, monitor=None):
        """Runs cmd in a process group of its own, for at most secs seconds
        (then it is killed with all its descendants); stdin bytes on its
        stdin; with record, a pipe on its fd 3 whose bytes are Run.rec.
        mem: a bound on its address space (builds only: the sanitizers'
        programs reserve terabytes). monitor: QEMU's (imagerun.Monitor),
        whose fds cmd inherits and which is told how the stdout grows."""
        cwd = cwd or "/tmp" if self.bwrap else cwd or REPO
        argv = self.argv(cmd, inputs, ro, rw, hide, cwd) if self.bwrap else cmd
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TERM")}
        env.update(HOME="/tmp" if self.bwrap else os.environ.get("HOME", "/"),
                   ASAN_OPTIONS="detect_leaks=0")
        rfd = wfd = None
        if record:
            rfd, wfd = os.pipe()
        infile = tempfile.TemporaryFile()
        infile.write(stdin or b"")
        infile.seek(0)

        def child():
            if wfd is not None:
                os.dup2(wfd, 3)
            if mem is not None:
                resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        keep = ((3,) if record else ()) + (monitor.fds() if monitor else ())
        p = subprocess.Popen(argv, stdin=infile, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, cwd=None if self.bwrap else cwd, start_new_session=True,
                             preexec_fn=child, pass_fds=keep)
        infile.close()
        if wfd is not None:
            os.close(wfd)
        if monitor:
            monitor.started()
        return self.collect(p, rfd, max(secs, 1), monitor)

    def collect(self, p, rfd, secs, monitor=None):
        """Reads p's output up to the bounds until it exits or its time is
        up; then kills its process group, so that nothing it started can
        hold the pipes open, and answers its Run. The monitor hears of
        every byte of stdout, those past the bound too."""
        sel = selectors.DefaultSelector()
        bufs = {"out": bytearray(), "err": bytearray(), "rec": bytearray()}
        caps = {"out": OUT_CAP, "err": OUT_CAP, "rec": REC_CAP}
        cut = set()
        for name, f in (("out", p.stdout.fileno()), ("err", p.stderr.fileno()), ("rec", rfd)):
            if f is not None:
                os.set_blocking(f, False)
                sel.register(f, selectors.EVENT_READ, name)
        end, status, grace, said = time.monotonic() + secs, None, None, 0
        while sel.get_map():
            now = time.monotonic()
            if status is None and self.exited(p):
                status = self.kill(p)
                grace = now + 0.5  # what is in the pipes now; then no more
            if (grace is not None and now > grace) or (status is None and now > end):
                break
            if monitor and status is None:
                monitor.poll(said)
            for key, _ in sel.select(timeout=0.05):
                name = key.data
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    sel.unregister(key.fd)
                    continue
                said += len(data) if name == "out" else 0
                room = caps[name] - len(bufs[name])
                bufs[name] += data[:max(room, 0)]
                if len(data) > room:
                    cut.add(name)
                    if name == "rec":  # records past the bound: the case has failed
                        self.kill(p)
        while status is None and time.monotonic() < end and not self.exited(p):
            time.sleep(0.01)  # its pipes are closed, and it still runs
        if status is None:
            status = self.kill(p) if self.exited(p) else None
            self.kill(p)
        for f in (p.stdout, p.stderr):
            f.close()
        if rfd is not None:
            os.close(rfd)
        sel.close()
        return Run(status, bytes(bufs["out"]), bytes(bufs["err"]), bytes(bufs["rec"]), cut)

    @staticmethod
    def exited(p):
        """Has p ended? (It stays a zombie, so that its process group,
        named after it, cannot be another's before kill.)"""
        if p.returncode is not None:
            return True
        return os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    @staticmethod
    def kill(p):
        """Kills p's process group, all that p started and did not take
        elsewhere (bwrap's run, the whole of its namespace); answers p's
        status."""
        if p.returncode is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return p.wait()


class Part:
    """A part of a lab: its name, points, timeout, the programs it needs
    built, how to run it (run(grader, secs) -> passed, total, failures),
    and the word its cases' names start with (KEY/NAME, for --case)."""

    def __init__(self, name, points, secs, programs, run, key, needs=None):
        self.name, self.points, self.secs = name, points, secs
        self.programs, self.run, self.key = programs.split(), run, key
        self.needs = needs  # a part that must be full for this one to count


SAN_EXIT = 99  # a sanitizer's report's exit status in the lab programs (LAB_CRASHED)
CORRUPT_MSG = "corrupted: "  # how the replay's audit starts its line (lab/audit.c)
REPORT_LINES = 14  # lines of a sanitizer's report, or of stderr, that -v shows


def sanitizer(err, file):
    """A sanitizer's report in err: its first line, and the first frame of
    its stack in the student's file (else the first frame at all), as one
    line; None if err holds no report."""
    m = re.search(r"^(?:==\d+==)?(.*(?:ERROR: \w+Sanitizer|runtime error:).*)$", err, re.M)
    if not m:
        return None
    frames = re.findall(r"^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+?:\d+)", err, re.M)
    mine = [f for f in frames if file is not None and Path(f[1].split(":")[0]).name == file.name]
    where = (mine or frames or [None])[0]
    head = m[1].strip()[:160]
    return head + (f" [first frame: {where[0]} at {where[1]}]" if where else "")


def evidence(err):
    """What -v shows under a failure: the sanitizer's report (its first
    REPORT_LINES lines) or else the last lines of stderr, each indented."""
    lines = [s.rstrip()[:200] for s in err.splitlines() if s.strip()]
    start = next((i for i, s in enumerate(lines)
                  if re.search(r"ERROR: \w+Sanitizer|runtime error:", s)), None)
    shown = lines[start:start + REPORT_LINES] if start is not None else lines[-REPORT_LINES:]
    more = len(lines) - (start or 0) - len(shown) if start is not None else 0
    if more > 0:
        shown.append(f"[... {more} more lines of its stderr]")
    return "".join(f"\n    | {s}" for s in shown)


def crashed(run):
    """Did run stop on a crash: a sanitizer's report, a signal, or a status
    no run of a lab program exits with otherwise?"""
    if run.status is None or run.status == -signal.SIGXCPU:
        return False
    return (run.status < 0 or run.status == SAN_EXIT or
            re.search(r"ERROR: \w+Sanitizer|runtime error:", run.text("err")) is not None)


def stopped(run, op, secs, file=None):
    """Why a run stopped before its operation returned, starting with what
    happened: `timed out:`, `looped:` or `crashed:`."""
    err = run.text("err")
    m = re.search(rf"^.*{LOOP_MSG}.*$", err, re.M)
    if run.status is None:
        return f"timed out: did not finish in {secs:.0f} s (stopped, with all it started)"
    if m:
        return m[0][m[0].index(LOOP_MSG):].strip()
    bad = re.search(rf"^{CORRUPT_MSG}.*$", err, re.M)
    if bad:
        return bad[0].strip()[:400]
    san = sanitizer(err, file)
    if san:  # whatever its status: the report says what happened
        return f"crashed: {san}"
    if run.status == -signal.SIGXCPU:
        return f"{LOOP_MSG}did not finish in {CASE_CPU} s of CPU time"
    if run.status < 0:
        return f"crashed: signal {-run.status} ({signal.Signals(-run.status).name})"
    if run.status == 0:
        return f"the run ended before {op} returned (exit status 0)"
    return f"crashed: exit status {run.status}: {last_line(err)}"


def cases(program, part):
    """A part of a part-check program (lab/grade_*.c): each of its cases
    run alone, with the student's code (--record), and judged from its
    records by the judge (--judge): (passed, total, failures)."""
    def go(g, secs):
        judge = str(g.bin(f"judge_{program[len('grade_'):]}"))
        listed = g.sandbox.run([judge, "--list"], 30, ro=[g.build])
        names = [s for s in listed.text().split("\n") if s.startswith(f"{part}/")]
        if g.only is not None:
            names = [s for s in names if s == g.only]
        if listed.status != 0 or not names:
            return 0, 1, [f"{judge} --list failed: {last_line(listed.text('err'))}"]
        bad, end = [], time.monotonic() + secs
        for name in names:
            left = end - time.monotonic()
            if left <= 0:
                bad.append(f"{name}: not run (the part's {secs} s are up)")
                continue
            limit = min(CASE_SECS, left)
            ran = g.sandbox.run([str(g.bin(program)), "--record", name], limit, ro=[g.build],
                                record=True)
            if "rec" in ran.cut:
                bad.append(f"{name}: its records passed {REC_CAP >> 20} MiB")
                continue
            said = g.sandbox.run([judge, "--judge", name], CASE_SECS, ro=[g.build],
                                 stdin=ran.rec)
            line = said.text().split("\n", 1)[0]
            if said.status == 0 and line == f"{name}: ok":
                continue
            if said.status == 3:  # the records ended: say why the run stopped
                bad.append(f"{name}: {stopped(ran, g.lab.op, limit, g.src)}"
                           + evidence(ran.text("err")))
            elif line.startswith(f"{name}: ") and said.status in (1, 4):
                bad.append(line)
            else:
                bad.append(f"{name}: the judge could not decide ({describe(said)}); "
                           "the heap the run left is not one a call could leave")
        return len(names) - len(bad), len(names), bad
    return go


def describe(run):
    if run.status is None:
        return "it ran out of time"
    return f"exit status {run.status}" if run.status >= 0 else f"signal {-run.status}"


def replays(g, secs, runs, want):
    """Each (name, trace, args) of runs through the student's replay with
    --check; want(name, trace, args) is the output it must print. The first
    that loops or runs out of the part's time ends the part (the rest count
    as failed)."""
    names = [name for name, _, _ in runs]
    bad, end = [], time.monotonic() + secs
    for i, (name, trace, args) in enumerate(runs):
        left = end - time.monotonic()
        r = g.sandbox.run([str(g.bin("replay")), "--check"] + args + [g.sandbox.path(trace)],
                          left, inputs=[trace], ro=[g.build])
        err = r.text("err")
        loop = r.status is None or r.status == -signal.SIGXCPU or LOOP_MSG in err
        thin = None  # why this run shows nothing of the memory's health
        if loop or crashed(r) or re.search(rf"^{CORRUPT_MSG}", err, re.M):
            why = stopped(r, "an operation", left, g.src)
        else:
            wanted = want(name, trace, args)
            why = compare(r, wanted)
            why = why and f"wrong answer: {why}" + (f" (stderr: {last_line(err)})"
                                                    if err.strip() else "")
            got, most = handed_out(r.text()), handed_out(wanted)
            if r.status in (0, 1) and 2 * got < most:  # it ran to its end
                thin = f"it handed out {got} allocations where the reference hands out {most}"
        if why:
            bad.append(f"{name}: {why}" + (evidence(err) if err.strip() else ""))
        g.evidence.append((name, why if why and not why.startswith("wrong answer") else thin))
        if loop:
            bad += [f"{rest}: not run" for rest in names[i + 1:]]
            g.evidence += [(rest, "not run") for rest in names[i + 1:]]
            break
    return len(names) - len(bad), len(names), bad


def traces(g, secs):
    """Each sample trace must print its NAME.expected (which the replay
    never sees: the sandbox shows it the trace alone)."""
    names = sorted(p.stem for p in g.traces.glob("*.trace")
                   if p.with_suffix(".expected").exists())
    runs = [(name, g.traces / f"{name}.trace", HEAP_ARGS.get(name, [])) for name in names
            if g.only is None or g.only == f"sample/{name}"]
    if not runs:
        return 0, 1, [f"no sample trace {g.only}"]
    return replays(g, secs, runs, lambda name, trace, args:
                   (g.traces / f"{name}.expected").read_text())


# The random traces: name, operations, replay arguments, and a size mix
# (seeded random, page = the granule) answering an allocation's size.
RANDOM = [
    ("random-pages", 1500, [], lambda r, page: page * r.randint(1, 8)),
    ("random-bytes", 1500, [], lambda r, page: r.randint(1, 6 * page)),
    ("random-edges", 1500, [], lambda r, page: page * r.randint(1, 4) + r.randint(-1, 1)),
    ("random-bigsmall", 1500, [], lambda r, page: page * (r.randint(16, 64) if
                                                          r.random() < 0.05 else 1)),
    ("random-oom", 1500, ["--heap", "262144"], lambda r, page: page * r.randint(1, 8)),
    ("random-page64", 2000, ["--page", "64", "--heap", "1048576"],
     lambda r, page: r.randint(1, 6 * page)),
    ("random-fragment", 2500, [], None),
]


def random_trace(seed, ops, page, mix):
    """A random trace: allocations from mix and frees of live IDs, at most
    60 live at once; mix None fragments the heap first (300 one-page
    blocks, every other freed) and then allocates 1 to 3 pages."""
    r, live, lines, k = random.Random(seed), [], [], 0
    if mix is None:
        lines = [f"alloc f{i} {page}" for i in range(300)]
        lines += [f"free f{i}" for i in range(0, 300, 2)]
        mix = lambda r, page: page * r.randint(1, 3)  # noqa: E731
    while len(lines) < ops:
        if live and (len(live) >= 60 or r.random() < 0.45):
            lines.append(f"free {live.pop(r.randrange(len(live)))}")
        else:
            k += 1
            live.append(f"r{k}")
            lines.append(f"alloc r{k} {max(1, mix(r, page))}")
    return "".join(s + "\n" for s in lines)


def random_traces(g, secs):
    """Each random trace must print what the reference prints. The seed is
    drawn for each run, so no answer can be known before it."""
    folder = g.build / "random"
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for i, (name, ops, args, mix) in enumerate(RANDOM):
        page = int(args[args.index("--page") + 1]) if "--page" in args else 4096
        if g.only is not None and g.only != f"random/{name}":
            continue
        trace = folder / f"{name}.trace"
        trace.write_text(random_trace(g.seed * 8 + i, ops, page, mix))
        runs.append((name, trace, args))

    def want(name, trace, args):
        r = g.sandbox.run([str(g.bin("replay-ref")), "--check"] + args + [g.sandbox.path(trace)],
                          secs, inputs=[trace], ro=[g.build])
        return (r.text() if r.status in (0, 1) else
                f"(the reference failed: {last_line(r.text('err'))})")
    passed, total, bad = replays(g, secs, runs, want)
    if bad:
        bad.insert(0, f"the traces are in {folder} (seed {g.seed}: --seed {g.seed} makes them "
                   f"again): replay one with {g.bin('replay')} --check")
    return passed, total, bad


# The memory part's cases: what each replay's audit must never have found
# (lab/audit.c's words), and what a case says when it did.
MEMORY = [("no-overlap", ("overlap", "overwritten"),
           "an allocation overlapped a free block or another live allocation"),
          ("zeroed", ("not zero",), "memory that must be zero was not"),
          ("nothing-lost", ("lost",), "a freed block was lost from the free list (and tree)")]


def memory(g, secs):
    """The harm part: a case per kind of corruption, decided by the audits
    of the replays the trace parts ran (or, graded alone, of the sample
    traces'): a case passes when every replay ran to its end and none
    found that corruption. A replay that crashed, looped, was stopped or
    stopped at another corruption (the audit ends the run at the first)
    vouches for nothing after it, so it fails every case, and so does one
    that ran to its end having handed out less than half the allocations
    the reference does (a stub that answers nil overlaps nothing); a wrong
    answer alone fails none (the trace parts count it), nor does a heap
    check's failure that is not corruption (blocks that touch unmerged)."""
    if not g.evidence:  # graded alone: the sample traces' audits, all of them
        only, g.only = g.only, None
        traces(g, secs)
        g.only = only
    names = [f"memory/{case}" for case, _, _ in MEMORY]
    if g.only is not None:
        names = [n for n in names if n == g.only]
    bad = []
    for case, words, says in MEMORY:
        if f"memory/{case}" not in names:
            continue
        hit = next(((n, w) for n, w in g.evidence if w and
                    any(w.startswith(f"{CORRUPT_MSG}{k}:") for k in words)), None)
        gone = next(((n, w) for n, w in g.evidence if w and not
                     any(w.startswith(f"{CORRUPT_MSG}{k}:") for k in words)), None)
        if hit:
            bad.append(f"memory/{case}: {says}: in {hit[0]}: {hit[1].split(chr(10))[0]}")
        elif gone:
            bad.append(f"memory/{case}: not shown: {gone[0]} vouches for nothing "
                       f"({gone[1].split(chr(10))[0][:140]})")
    return len(names) - len(bad), len(names), bad


def handed_out(out):
    """How many allocations a replay's output says were answered."""
    return len(re.findall(r"^\S+ 0x[0-9a-f]+$", out, re.M))


def compare(got, want):
    """Says how a replay's output differs from the expected one, or None."""
    if "out" in got.cut:
        return f"printed more than {OUT_CAP} bytes (cut there)"
    g, w = got.text().splitlines(), want.splitlines()
    g, w = g + ["(end)"] * (len(w) - len(g)), w + ["(end)"] * (len(g) - len(w))
    for i, (a, b) in enumerate(zip(g, w), 1):
        if a != b:
            return f"line {i}: got '{a[:160]}', want '{b[:160]}'"
    return None


def last_line(out):
    lines = [s for s in out.splitlines() if s.strip()]
    return lines[-1][:160] if lines else "no output"


# --- lab 9: the per-CPU page cache, graded by booting the image ------------
# The student's lab/pcp.c is built into the amd64 image in place of
# kernel/pcp.c (KERNEL_PCP, BUILD/amd64), in the sandbox; each run boots it
# in QEMU (TCG, in the sandbox too) under a limit, and what the run did is
# read from its console by tools/imagerun.py, which believes an exit only
# when QEMU's status and the console's last line agree. Two runs, each
# once per grade, shared by the cases that read them:
#   pages   ./run-qemu.sh --smp 2 --pcp --page-stress (kernel/pagestress.c):
#           the cache's steal, cap and drain checked from the pool's
#           figures, a warm random phase whose failed test-and-sets are
#           counted, every run stamped, a drain and the pool's full check
#   stress  ./run-qemu.sh --smp 2 --pcp: the self-test, the SMP stress
#           through the cache with its checks, the demo
# Neither takes its limit to say that a cache loops: the page stress's
# barrier stops a run whose CPU never reaches a step within 5 s, the SMP
# stress's watchdog (kernel/watchdog.c) one whose CPU makes no progress
# for 5 s, each `looped:`; when every CPU loops with interrupts off, none
# is left to do either, and after 8 s of a silent console imagerun's
# Monitor sends an NMI, whose handler names each CPU's pc, `looped:`. The
# limit is for what stops the machine in silence even so (a CPU that
# stops all the others).
# If the page stress loops, times out, crashes or finds the memory
# corrupted, the stress is not run: a loop would take 5 s more to say the
# same, and a cache that corrupts vouches for nothing after.
PCP_RUNS = {"pages": (["--smp", "2", "--pcp", "--page-stress"], 60),
            "stress": (["--smp", "2", "--pcp"], 60)}
# The failed test-and-sets the random phase of the page stress may count
# (the allocator's locks, both CPUs, a tick's handler's left out), in each
# of PCP_TRIES runs. On this 2-core machine, loaded by other work, the
# reference counted 0 in every run; the single lock up to 90,000, and 0 in
# a run whose two vCPUs seldom ran at once (docs/lab/9-pcp.md). Five
# runs, not three: a single lock counted 0 in one run of two while make
# test built the images beside it, and a cache that is one lock must not
# pass by luck. A CPU that has made its share goes on until the others
# have made theirs (kernel/pagestress.c): with a fixed share, a single
# lock once stayed under the bound in all five runs under make test's
# load, each vCPU making its share while the other was descheduled.
PCP_BOUND = 1000
PCP_TRIES = 5
PCP_CASES = {  # case: (run, the kernel's case line)
    "correct/stress": ("stress", None),
    "correct/intact": ("pages", "pagestress: every run zeroed on arrival and intact until freed"),
    "correct/nothing-lost": ("pages", "pagestress: every byte back in the pool, its check "
                             "balanced"),
    "steal/steal": ("pages", "pcp: a CPU that ran dry took its pages from another's cache, "
                    "not the pool"),
    "bound/cap": ("pages", "pcp: a CPU's cache kept at most PCP_MAX bytes, the rest went to "
                  "the pool"),
    "bound/drain": ("pages", "pcp: drain gave back every cached byte, and said how many"),
    "contention/bound": ("pages", None),
}
KEPT = re.compile(r"^pagestress: cap: .* its cache kept (\d+) KiB", re.M)
NTS = re.compile(r"^pagestress: the allocator's locks: #test-and-set (\d+) #acquire\(\) (\d+)",
                 re.M)


class Boot:
    """One run of the image: its verdict (imagerun's kind and line), its
    console, and how long it took."""

    def __init__(self, kind, line, console="", secs=0.0):
        self.kind, self.line, self.console, self.secs = kind, line, console, secs


def boot(g, name, again=False):
    """The run name of the student's image, booted once per grade (again:
    one more time, for another count)."""
    if name in g.boots and not again:
        return g.boots[name]
    flags, secs = PCP_RUNS[name]
    secs = g.part_secs or secs
    pages = g.boots.get("pages")
    if name == "stress" and pages is not None and pages.kind not in ("ok", "wrong answer"):
        g.boots[name] = Boot("not run", f"not run: the page stress {pages.kind} "
                             f"({pages.line.split(': ', 1)[-1]})")
        return g.boots[name]
    img = g.build / "amd64"
    try:
        cmd = imagerun.qemu_argv(img / "kernel32.elf", flags)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        g.boots[name] = Boot("not run", f"not run: {e}")
        return g.boots[name]
    mon = imagerun.Monitor()  # an NMI when the console stays silent
    t0 = time.monotonic()
    try:
        r = g.sandbox.run(cmd + mon.argv(), secs, ro=[g.build], monitor=mon)
    finally:
        mon.close()

    def addr2line(argv, limit):
        a = g.sandbox.run(argv, limit, ro=[g.build])
        return a.status, a.text()
    kind, line = imagerun.verdict(r.status, r.text(), secs, elf=img / "kernel.elf",
                                  run=addr2line, nmis=mon.sent, nmi_failed=mon.failed)
    g.boots[name] = Boot(kind, line, r.text(), time.monotonic() - t0)
    return g.boots[name]


def pcp_cases(key):
    """A part of lab 9: its cases (KEY/NAME), each decided by a run's
    verdict and its case line; a run that did not reach the case's line
    fails the case with what it did (crashed, looped, corrupted, timed
    out). A case of the correctness part counts only if the cache kept
    something in the page stress (a cache that caches nothing is never
    wrong, and shows nothing): when it kept nothing, the SMP stress is
    not booted, its verdict could not count."""
    def go(g, secs):
        names = [n for n in PCP_CASES if n.startswith(f"{key}/")
                 and (g.only is None or g.only == n)]
        pages = boot(g, "pages")  # first: if it loops, the stress is not run
        kept = KEPT.search(pages.console)
        idle = kept is not None and int(kept[1]) == 0
        bad = []
        for name in names:
            run, text = PCP_CASES[name]
            if key == "correct" and idle and run == "stress" and \
                    pages.kind in ("ok", "wrong answer"):
                why = None  # not shown, below, whatever the stress did
            else:
                why = (contention(g) if name == "contention/bound" else
                       case_verdict(boot(g, run), text))
            if why is None and key == "correct" and idle:
                why = ("not shown: the cache kept nothing in the page stress (its cap "
                       "step: 0 KiB kept), so no run went through it")
            if why:
                bad.append(f"{name}: {why}")
        return len(names) - len(bad), len(names), bad
    return go


def case_verdict(b, text):
    """Why a case of run b failed, or None: text is the kernel's line for
    it (None: the whole run must pass)."""
    if b.kind == "not run" or (text is None and b.kind != "ok"):
        return b.line
    if text is None:
        return None
    said = imagerun.case_line(b.console, text)
    if said == "ok":
        return None
    if said == "FAIL":
        why = [s for s in imagerun.lines(b.console) if s.startswith("pagestress: ") and
               not s.startswith(("pagestress: cpu ", "pagestress: the allocator"))]
        kind = imagerun.CORRUPT_CASES.get(text)
        head = f"corrupted: {kind}: " if kind else "wrong answer: "
        return head + f"FAIL {text}" + ("".join(f"\n    | {s}" for s in why[:4]))
    return b.line if b.kind != "ok" else f"not shown: no line `{text[:60]}...` in its console"


def contention(g):
    """The page stress's failed test-and-sets within PCP_BOUND in each of
    PCP_TRIES runs (the first over it ends the tries). Every run must keep
    within it, not the best: QEMU's two vCPUs share the host's cores with
    whatever else runs, so a single lock can show little contention in a
    run where its two CPUs seldom ran at once, while a cache with a lock
    per CPU shows none in any run."""
    b, counts = boot(g, "pages"), []
    for i in range(PCP_TRIES):
        if i > 0:
            b = boot(g, "pages", again=True)
        m = NTS.search(b.console)
        if b.kind not in ("ok", "wrong answer") or not m:
            return b.line if b.kind != "ok" else "not shown: the page stress printed no count"
        counts.append(int(m[1]))
        if counts[-1] > PCP_BOUND:
            return (f"wrong answer: {counts[-1]:,} failed test-and-sets on the allocator's "
                    f"locks in run {i + 1} of the page stress (of {PCP_TRIES}: "
                    f"{', '.join(f'{c:,}' for c in counts)}); the bound is {PCP_BOUND:,}, "
                    "the reference's count is 0: is a lock taken by every CPU?")
    return None


def pcp_prepare():
    """What lab 9's sandboxed build needs and cannot make itself, as the
    tree's own tools make it (no student code in either): QEMU and the
    compilers (tools/deps.sh x86), and newlib's libc for amd64."""
    for argv in (["tools/deps.sh", "x86"], [os.environ.get("MAKE", "make"), "-s",
                                            "--no-print-directory", "ARCH=amd64", "newlib"]):
        r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"grade: {' '.join(argv)} failed:\n{(r.stdout + r.stderr)[-2000:]}",
                  file=sys.stderr)
            return False
    return True


def pcp_part(name, points, key, needs=None):
    part = Part(name, points, 60, "image", pcp_cases(key), key, needs)
    part.needs_why = "a cache that keeps its memory sound has its contention counted"
    part.names = [n for n in PCP_CASES if n.startswith(f"{key}/")]
    return part


# Each lab's parts: name, points, timeout in seconds (a few times what the
# reference takes on a loaded 2-core machine), programs, how to run it.
TRACES = ("sample traces (replay --check)", 30, "replay", traces, "sample")
RANDOMS = ("random traces against the reference", 90, "replay replay-ref", random_traces,
           "random")
MEMORYS = ("memory: no overlap, zeroed, nothing lost", 30, "replay", memory, "memory")


def part(spec, points):
    name, secs, programs, how, key = spec
    return Part(name, points, secs, programs, how, key)


def checks(name, points, program, which, secs=40, needs=None):
    """A part of a part-check program: needs it and its judge."""
    judge = program.replace("grade_", "judge_")
    return Part(name, points, secs, f"{program} {judge}", cases(program, which), which, needs)


class Lab:
    """A lab: its name, the function the student writes, the file of mem/
    it replaces, the student's file by default, the make variable that
    names it, the operation that runs the student's code, and its parts."""

    def __init__(self, name, what, ref, default, var, op, parts):
        self.name, self.what, self.ref, self.default, self.var = name, what, ref, default, var
        self.op, self.parts = op, parts
        assert sum(p.points for p in parts) == TOTAL, name


TOTAL = 100
LABS = {
    "free": Lab("free", "mem_freel (lab 3)", "mem/free.c", "lab/free.c", "LAB_FREE", "heaplab_free", [
        checks("free: address order", 10, "grade_free", "order"),
        checks("free: coalescing", 15, "grade_free", "coalesce"),
        checks("free: zeroing", 10, "grade_free", "zero"),
        checks("free: refusals and accounting", 10, "grade_free", "refuse"),
        part(TRACES, 10), part(RANDOMS, 15), part(MEMORYS, 30)]),
    "alloc": Lab("alloc", "mem_allocl (lab 6)", "mem/alloc.c", "lab/alloc.c", "LAB_ALLOC",
                 "heaplab_alloc", [
        checks("alloc: first fit from the lowest address", 10, "grade_alloc", "fit"),
        checks("alloc: exact fit unlinked", 5, "grade_alloc", "exact"),
        checks("alloc: carved from the top", 10, "grade_alloc", "carve"),
        checks("alloc: sbrk when nothing fits", 5, "grade_alloc", "grow"),
        checks("alloc: zeroed memory", 5, "grade_alloc", "zero"),
        checks("alloc: nil on exhaustion, nothing changed", 5, "grade_alloc", "nil"),
        part(TRACES, 10), part(RANDOMS, 15), part(MEMORYS, 35)]),
    "index": Lab("index", "mem_index_fit (lab 7)", "mem/fit.c", "lab/fit.c", "LAB_FIT",
                 "mem_index_fit", [
        checks("index: first fit on given trees", 10, "grade_index", "fit"),
        checks("index: the list predecessor", 5, "grade_index", "pred"),
        checks("index: nodes visited per search (10,000 free blocks)", 55, "grade_index",
               "bound", 120, needs="index: first fit on given trees"),
        part(TRACES, 5), part(RANDOMS, 10), part(MEMORYS, 15)]),
    "span": Lab("span", "hobj_span_take, _find and _give (lab 8)", "objects/span.c",
                "lab/span.c", "LAB_SPAN", "the span function", [
        checks("span: take: LIFO reuse, fresh objects in order", 10, "grade_span", "take"),
        checks("span: find: refusals, nothing changed", 10, "grade_span", "find"),
        checks("span: give: pushed through the first word, refusals", 10, "grade_span",
               "give"),
        checks("span: full and emptied spans (objects.c)", 10, "grade_span", "life"),
        checks("workload: the C API, hobj_check after each operation", 20, "grade_span",
               "workload", 60),
        checks("memory: never twice, no overlap, contents kept", 40, "grade_span", "memory",
               60)]),
    "pcp": Lab("pcp", "pcp_alloc, pcp_free and pcp_drain (lab 9)", "kernel/pcp.c", "lab/pcp.c",
               "LAB_PCP", "sys_alloc", [
        pcp_part("correctness: the stresses and the checks, --smp 2 --pcp", 45, "correct"),
        pcp_part("stealing: a CPU that runs dry takes from another's cache", 20, "steal"),
        pcp_part("the cap and the drain: at most PCP_MAX a CPU, everything back", 20, "bound"),
        pcp_part(f"contention: failed test-and-sets within {PCP_BOUND:,}, every run", 15,
                 "contention",
                 needs="correctness: the stresses and the checks, --smp 2 --pcp")]),
}


class Grader:
    def __init__(self, args, parts):
        self.lab, self.parts = LABS[args.lab], parts
        self.file = Path(args.file).resolve()
        self.src = self.file  # the path make builds it from (build_all)
        self.build = (Path(args.build) if Path(args.build).is_absolute() else
                      REPO / args.build).resolve()
        self.into = self.make_build()  # the build folder, as make is given it
        self.traces = (Path(args.traces) if Path(args.traces).is_absolute() else
                       REPO / args.traces).resolve()
        self.make = shutil.which(os.environ.get("MAKE", "make")) or "make"
        self.built = {}  # program -> did it build
        self.verbose = args.verbose
        self.build_secs, self.part_secs = args.build_secs, args.part_secs
        self.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
        self.sandbox = Sandbox(not args.no_sandbox)
        self.only = args.case  # one case, KEY/NAME, or None for all
        self.results = []  # (part, score, passed, total, failures), for --results
        self.evidence = []  # (replay, why it failed or None), for the memory part
        self.boots = {}  # lab 9: run name -> Boot (tools/imagerun.py's verdict)

    def case_names(self):
        """Every case of the parts graded, KEY/NAME (the check parts' from
        their judges, which must be built)."""
        names = []
        for p in self.parts:
            if getattr(p, "names", None):  # lab 9: fixed names, no judge
                names += p.names
                continue
            if p.run is traces:
                names += [f"sample/{t.stem}" for t in sorted(self.traces.glob("*.trace"))
                          if t.with_suffix(".expected").exists()]
            elif p.run is random_traces:
                names += [f"random/{r[0]}" for r in RANDOM]
            elif p.run is memory:
                names += [f"memory/{m[0]}" for m in MEMORY]
            else:
                judge = [q for q in p.programs if q.startswith("judge_")][0]
                listed = self.sandbox.run([str(self.bin(judge)), "--list"], 30, ro=[self.build])
                names += [n for n in listed.text().split("\n") if n.startswith(f"{p.key}/")]
        return names

    def bin(self, program):
        return self.build / program

    def build_all(self, programs=None):
        """Builds every program with the student's file, in the sandbox:
        the tree and the file read-only, the build folder writable, the
        sample traces out of sight; prints the errors of the first that
        fails to build."""
        shown = False
        self.build.mkdir(parents=True, exist_ok=True)
        self.src = self.make_path()
        hide = [self.traces] if self.traces.is_dir() else []
        for program in dict.fromkeys(programs or [q for p in self.parts for q in p.programs]):
            r = self.sandbox.run([self.make, "-C", str(REPO), "-s", "--no-print-directory",
                                  f"LAB={self.lab.name}", f"{self.lab.var}={self.src}",
                                  f"LAB_B={self.into}", str(self.into / program)],
                                 self.build_secs, ro=[REPO, self.file, "/var/lib/dpkg"],
                                 rw=[self.build], hide=hide, cwd=REPO, mem=BUILD_MEM)
            self.built[program] = r.status == 0
            if r.status != 0 and not shown:
                out = (r.text("out") + r.text("err")).replace(str(self.src), str(self.file))
                if r.status is None:
                    out += f"(the build ran out of its {self.build_secs} s and was stopped)"
                print(f"build of {self.bin(program)} failed:")
                print("\n".join("    " + s for s in out.splitlines()[:25]))
                shown = True

    def make_build(self):
        """The build folder as make can take it: its path from the tree's
        top when it lies inside (the default, build/lab: a checkout under
        a path with a space builds), else its own path; None if that is
        not one word to make."""
        p = self.build.relative_to(REPO) if self.build.is_relative_to(REPO) else self.build
        return p if MAKE_WORD.fullmatch(str(p)) else None

    def make_path(self):
        """The student's file as make can take it: its own path, or, if
        that is not one word to make (a space, a colon, a dollar sign...),
        a link to it in the build folder, under a folder named by a hash
        of its path (another file of the same name is another path: make
        rebuilds) and a name with each such character made an underscore.
        Build errors are shown with the file's own path."""
        if MAKE_WORD.fullmatch(str(self.file)):
            return self.file
        tag = hashlib.sha256(str(self.file).encode()).hexdigest()[:16]
        link = self.build / "src" / tag / re.sub(r"[^A-Za-z0-9._+-]", "_", self.file.name)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not (link.is_symlink() and os.readlink(link) == str(self.file)):
            link.unlink(missing_ok=True)
            link.symlink_to(self.file)
        return link

    def grade(self, part):
        """Runs one part; prints its line; answers the points it scored."""
        t0 = time.monotonic()
        print(f"== Test {part.name} == ", end="", flush=True)
        if part.run is traces and not any(self.traces.glob("*.trace")):
            print(f"FAIL (0/{part.points}): no sample traces in {self.traces}")
            return 0
        if part.run is random_traces and (REPO / "HANDOUT").exists():
            print(f"FAIL (0/{part.points}): this tree is a handout (HANDOUT), without the "
                  "reference these answers come from: your course grades this part")
            self.results.append((part, 0, 0, 1, ["not run in a handout"]))
            return 0
        broken = [q for q in part.programs if not self.built[q]]
        if broken:
            print(f"FAIL (0/{part.points}): {broken[0]} does not build")
            return 0
        passed, total, bad = part.run(self, self.part_secs or part.secs)
        passed = max(0, min(passed, total))
        score = part.points * passed // total if total else 0
        before = {r[0].name: r for r in self.results}
        if part.needs in before and before[part.needs][2] < before[part.needs][3]:
            # the cost of a search that answers wrong is not worth counting:
            # a wrong placement costs more than a slow one (the rubric)
            score = 0
            bad.insert(0, f"not counted: {part.needs} failed, and only "
                       + getattr(part, "needs_why", "a right search's cost counts"))
        verdict = "OK" if total and passed == total and score == part.points else "FAIL"
        print(f"{verdict} ({score}/{part.points}) [{passed}/{total} cases, "
              f"{time.monotonic() - t0:.1f}s]")
        self.results.append((part, score, passed, total, bad))
        shown = bad if self.verbose else bad[:SHOW]
        for why in shown:  # -v: each with its evidence (a report, stderr)
            print("    " + (why.replace("\n", "\n    ") if self.verbose else
                            why.split("\n", 1)[0]))
        if len(bad) > len(shown):
            print(f"    ... and {len(bad) - len(shown)} more (-v shows all)")
        return score

    def write_results(self, path, total):
        """Writes the Gradescope autograder results file (its documented
        format: tests[] of name, score, max_score, status, output; the
        total score), each part one test, its output every failure with its
        evidence (bounded, as -v prints them)."""
        tests = [{"name": part.name, "score": score, "max_score": part.points,
                  "status": "passed" if total_ and passed == total_ else "failed",
                  "output": (f"{passed}/{total_} cases passed" +
                             "".join(f"\n{why}" for why in bad))}
                 for part, score, passed, total_, bad in self.results]
        doc = {"score": total, "output": f"{self.lab.what}: {self.file.name}, "
               f"{total}/{sum(p.points for p in self.parts)}", "tests": tests}
        Path(path).write_text(json.dumps(doc, indent=1) + "\n")



def main(argv):
    ap = argparse.ArgumentParser(prog="grade.py", description="Grade an allocator lab: the "
                                 "student's file, built in place of one of mem/'s.")
    ap.add_argument("--lab", choices=sorted(LABS), default="free",
                    help="free (lab 3, the default), alloc (lab 6), index (lab 7), span "
                    "(lab 8) or pcp (lab 9)")
    ap.add_argument("--file", help="the student's file (lab/free.c, lab/alloc.c, lab/fit.c, "
                    "lab/span.c, lab/pcp.c)")
    ap.add_argument("--free", help="the same as --lab free --file FREE")
    ap.add_argument("--build", help="where to build (build/lab, build/lab-alloc, "
                    "build/lab-index, build/lab-span, build/lab-pcp)")
    ap.add_argument("--traces", default="traces",
                    help="NAME.trace and NAME.expected files (traces)")
    ap.add_argument("--part", action="append", metavar="WORDS",
                    help="run only the parts whose name holds WORDS (again for more); "
                    "the score is then out of their points")
    ap.add_argument("--seed", type=int, help="the random traces' seed (drawn for each run)")
    ap.add_argument("--build-secs", type=int, default=600, metavar="SECS",
                    help="the time one program's build may take (600)")
    ap.add_argument("--part-secs", type=int, metavar="SECS",
                    help="the time every part may take, in place of its own")
    ap.add_argument("--no-sandbox", action="store_true",
                    help="run the student's code with your rights (never for code you did "
                    "not write: see docs/lab/README.md)")
    ap.add_argument("--case", metavar="PART/NAME",
                    help="run one case alone (order/new-head, sample/example-1, "
                    "random/random-pages); list: print the names of every case")
    ap.add_argument("--results", metavar="FILE",
                    help="also write the Gradescope autograder results file (JSON) to FILE")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show every failure, each with its evidence (a sanitizer's "
                    "report, the end of stderr)")
    args = ap.parse_args(argv)
    if args.free is not None:
        if args.file is not None or args.lab != "free":
            ap.error("--free names the free lab's file: give it alone, or --lab and --file")
        args.file = args.free
    lab = LABS[args.lab]
    args.file = args.file or lab.default
    args.build = args.build or ("build/lab" if lab.name == "free" else f"build/lab-{lab.name}")
    if not Path(args.file).is_file():
        print(f"grade: {args.file}: no such file", file=sys.stderr)
        return 2
    parts = [p for p in lab.parts if not args.part or any(w in p.name for w in args.part)]
    if args.case not in (None, "list"):
        parts = [p for p in parts if args.case.split("/", 1)[0] == p.key]
        if not parts or "/" not in args.case:
            print(f"grade: lab {lab.name} has no case {args.case} (--case list lists them; "
                  f"their parts: {', '.join(p.key for p in lab.parts)})", file=sys.stderr)
            return 2
    if not parts:
        print(f"grade: no part of lab {lab.name} is named {' or '.join(args.part)} (its parts: "
              f"{'; '.join(p.name for p in lab.parts)})", file=sys.stderr)
        return 2
    try:
        g = Grader(args, parts)
    except SandboxError as e:
        print(f"grade: the sandbox cannot start here: {e}\n"
              "grade: nothing was graded. bwrap needs user namespaces: grade as root on a "
              "machine that allows them, or allow them to users (Debian: sysctl "
              "kernel.unprivileged_userns_clone=1; a container must be started with the "
              "right to make them). --no-sandbox grades without it, the code running with "
              "your rights: never for code you did not write.", file=sys.stderr)
        return 3
    if g.into is None:
        print(f"grade: --build {g.build}: make cannot build into that path (a space, a colon, "
              "a dollar sign...): name a folder without one", file=sys.stderr)
        return 2
    if lab.name == "pcp" and args.case != "list" and not pcp_prepare():
        return 2
    if args.case == "list":  # needs the judges, which list the check parts' cases
        g.build_all([q for p in parts for q in p.programs if q.startswith("judge_")])
        print("\n".join(g.case_names()))
        return 0
    print(f"grading {args.file}: {lab.what}, in place of {lab.ref} (built into {g.build})"
          + (f"; the case {args.case} alone" if args.case else ""))
    g.build_all()
    if args.case and all(g.built.values()) and args.case not in g.case_names():
        print(f"grade: lab {lab.name} has no case {args.case} (--case list lists them)",
              file=sys.stderr)
        return 2
    total, most = sum(g.grade(p) for p in parts), sum(p.points for p in parts)
    print(f"Score: {total}/{most}" + (f" ({len(parts)} of {len(lab.parts)} parts; the lab is "
                                      f"out of {TOTAL})" if most != TOTAL else ""))
    if args.results:
        g.write_results(args.results, total)
        print(f"results: {args.results} (Gradescope's results.json format)")
    return 0 if total == most else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
