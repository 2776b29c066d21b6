# SPDX-License-Identifier: BSD-3-Clause
# imagerun: what a boot of an image built with a student's file did, in
# the grader's words (tools/grade.py's lab pcp; tools/checklab.py reads a
# saved console with it). Standard library only.
"""Verdicts of an image's run

A run of QEMU ends in one of these, each its own status, the first word of
the line that says it, as the host parts' verdicts are:

  (passed)      its last console line is `# heaplab: exit 0` and QEMU's
                status agrees (x86: isa-debug-exit makes QEMU exit 2N+1);
                neither alone is believed
  wrong answer: it finished (`# heaplab: exit 1`), and a case said FAIL:
                the first such line
  corrupted:    a check stopped it: the allocator's (heaplab_fail: `mem:
                ...`, a refused `sys_free(...)`, the cache's `pcp: ...`)
                or the stress's own (a block not zero or overwritten, a
                byte lost from the pool, memory run out): the kernel's words
  looped:       the kernel found a CPU spinning for good (spin_lock's
                `lockup suspected`, the page stress's `looped:` at a step a
                CPU never reached, the SMP stress's watchdog's `looped:`
                for a CPU that made no progress, the NMI's `looped:` when
                every CPU loops with interrupts off: see Monitor), with the
                function and line of each pc it names when the ELF is at
                hand
  crashed:      any other panic, with the kernel's message (a fault names
                its pc, and with the ELF at hand the function and line it
                is in), or a machine that reset or stopped without its exit
                line (a triple fault), with the console's last line
  timed out:    no exit line within the limit (QEMU was killed), with the
                console's last line, or `no output` if it printed nothing

verdict(status, console, secs) answers (kind, line): kind is "ok",
"wrong answer", "corrupted", "looped", "crashed" or "timed out"; line
starts with the kind (but for ok) and says what happened.

When every CPU loops with interrupts off and none waits for a lock, no
CPU is left to run the kernel's watchdog, and the console falls silent.
Monitor gives QEMU a QMP monitor on one end of a socketpair (no path, no
port: only this process holds the other end) and, once the console has
said nothing for NMI_AFTER seconds, sends every CPU an NMI through it
(QMP's inject-nmi); the kernel's NMI handler (kernel/watchdog.c) names
each CPU's pc and panics `looped:`, or prints that the stress moves on."""

import json
import re
import shlex
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXIT_LINE = re.compile(r"^# heaplab: exit (\d+)$")
# A panic's message, after `panic: cpu N: ` (kernel/console.c).
PANIC = re.compile(r"^panic: (?:cpu \d+: )?(.*)$", re.M)
# Panics that are a check's: the allocator's heaplab_fail (mem/check.c's
# `mem: ...`, runtime/sys.c's refused `sys_free(...)`), the cache's and the
# stresses' own.
CORRUPT = re.compile(r"^(mem: |sys_free[(:]|heaplab_|pcp: |stress: |pagestress: (?!looped))")
LOOPED = re.compile(r"lockup suspected|^(?:(?:page)?stress|nmi): looped: ")
# The pc a fault's panic names (kernel/fault.c, arch/*/trap.c).
PC = re.compile(r"\b(?:pc|rip|eip|elr|sepc|mepc)[ =]?(0x[0-9a-f]+)")
# The pcs a loop's panic names: the watchdog's `its last ticks came at pc
# 0x.. 0x..` and `taken at pc 0x..`, spin_lock's `from pc 0x..`, the NMI's
# `found them at pc 0x.. 0x..`.
LOOP_PCS = re.compile(r"\bpc((?: 0x[0-9a-f]+)+)")
# The stress's own failed cases that are corruption, and of which kind.
CORRUPT_CASES = {
    "stress: every block zeroed on arrival and intact until freed": "overlap",
    "pagestress: every run zeroed on arrival and intact until freed": "overlap",
    "stress: the free list holds every byte taken through sbrk": "lost",
    "stress: the byte counter is back at its start": "lost",
    "pagestress: every byte back in the pool, its check balanced": "lost",
}


def lines(console):
    return [s.rstrip("\r") for s in console.splitlines()]


def last_line(console):
    shown = [s for s in lines(console) if s.strip()]
    return f"'{shown[-1][:160]}'" if shown else "no output"


def where(pc, elf, run=None):
    """FUNCTION at FILE:LINE of pc in elf, by addr2line (run: how to run it,
    a sandbox's run(argv, secs) -> (status, stdout)); None if unknown."""
    if elf is None or not Path(elf).exists():
        return None
    argv = ["addr2line", "-f", "-e", str(elf), pc]
    if run is not None:
        st, out = run(argv, 20)
    else:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return None
        st, out = r.returncode, r.stdout
    got = out.split("\n")
    if st != 0 or len(got) < 2 or got[0].startswith("??"):
        return None
    return f"{got[0]} at {got[1].split(' ')[0]}"


def exit_number(status, console, virt=False):
    """The N of the console's `# heaplab: exit N` when QEMU's status agrees
    with it (run-qemu.sh's rule), else None."""
    shown = [s for s in lines(console) if s.strip()]
    m = EXIT_LINE.match(shown[-1]) if shown else None
    if not m or status is None:
        return None
    n = int(m[1])
    return n if status == (n if virt else 2 * n + 1) else None


def verdict(status, console, secs, elf=None, run=None, virt=False, nmis=(), nmi_failed=None):
    """(kind, line) for a run: QEMU's status (None: killed at its limit of
    secs seconds) and its console; elf names a fault's pc's function; nmis
    and nmi_failed: when NMIs were sent and why one could not be (a
    Monitor's sent and failed), said of a run that timed out all the
    same."""
    panic = PANIC.search(console)
    n = exit_number(status, console, virt)
    if panic and (n == 120 or status is None or n is None):
        msg = panic[1].strip()[:300]
        if LOOPED.search(msg):
            pcs = dict.fromkeys(pc for m in LOOP_PCS.finditer(msg) for pc in m[1].split())
            at = [f"{pc} is in {w}" for pc in pcs if (w := where(pc, elf, run))]
            return "looped", f"looped: panic: {msg}" + (f" [{'; '.join(at)}]" if at else "")
        if CORRUPT.match(msg):
            return "corrupted", f"corrupted: panic: {msg}"
        pc = PC.search(msg)
        at = where(pc[1], elf, run) if pc else None
        return "crashed", f"crashed: panic: {msg}" + (f" [{pc[1]} is in {at}]" if at else "")
    if status is None:
        sent = (f"; the NMI{'s' if len(nmis) > 1 else ''} sent at "
                f"{', '.join(f'{t:.0f} s' for t in nmis)} brought no report" if nmis else "")
        if nmi_failed:
            sent += f"; no NMI could be sent ({nmi_failed})"
        return "timed out", (f"timed out: no `# heaplab: exit` line in {secs:.0f} s (QEMU "
                             f"stopped); the console's last line: {last_line(console)}{sent}")
    if n is None:
        return "crashed", (f"crashed: the machine stopped without its exit line (QEMU status "
                           f"{status}: a triple fault or a reset); the console's last line: "
                           f"{last_line(console)}")
    if n == 0:
        return "ok", "ok"
    failed = [s[5:] for s in lines(console) if s.startswith("FAIL ")]
    for case in failed:
        if case in CORRUPT_CASES:
            return "corrupted", f"corrupted: {CORRUPT_CASES[case]}: FAIL {case}"
    if n == 1 and failed:
        return "wrong answer", f"wrong answer: FAIL {failed[0]}"
    return "crashed", f"crashed: the image exited {n}; the console's last line: " + \
        last_line("\n".join(s for s in lines(console) if not EXIT_LINE.match(s)))


def case_line(console, text):
    """The case's own line in a console: 'ok', 'FAIL' or None (not there)."""
    for s in lines(console):
        if s == f"ok   {text}":
            return "ok"
        if s == f"FAIL {text}":
            return "FAIL"
    return None


def qemu_argv(kernel, flags):
    """The QEMU command run-qemu.sh runs for flags (amd64), without its
    timeout, booting kernel (a kernel32.elf) instead of the default image's:
    taken from `run-qemu.sh --dry-run`, so that the two never differ."""
    r = subprocess.run([str(REPO / "run-qemu.sh"), "--dry-run", *flags], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    cmd = shlex.split(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else []
    if "-kernel" not in cmd:
        raise RuntimeError(f"run-qemu.sh --dry-run {' '.join(flags)} gave no QEMU command "
                           f"(exit {r.returncode}): {r.stderr.strip()[-200:]}")
    cmd = cmd[cmd.index(next(a for a in cmd if a.startswith("qemu-system-"))):]
    cmd[cmd.index("-kernel") + 1] = str(kernel)
    return cmd


def saved_verdict(console):
    """What a saved console log (run-qemu.sh's stdout, without QEMU's
    status) shows the run did: (kind, line) as verdict answers, the exit
    line's number standing for QEMU's status; a log with no exit line
    ended before the image finished (it crashed, was stopped, or the log
    was cut)."""
    shown = [s for s in lines(console) if s.strip()]
    m = EXIT_LINE.match(shown[-1]) if shown else None
    if m is None and not PANIC.search(console):
        return "crashed", ("the log ends before the image's exit line (the run crashed, was "
                           f"stopped or the log was cut); its last line: {last_line(console)}")
    status = 2 * int(m[1]) + 1 if m else -1
    return verdict(status, console, 0)


# Seconds of a silent console after which Monitor sends an NMI: the
# watchdog's 5 s (WATCHDOG_S, kernel/kernel.h) and a margin of 3 s, so
# that the watchdog speaks first whenever a CPU is left to run it (it
# names the lock a waiting CPU waits for, and its holder): its 5 s start
# when the looping CPU stops, which the stress's silence began before. A
# correct run's stress prints nothing while it runs (seconds, on a loaded
# machine): the kernel judges each CPU by its own progress, and answers
# an NMI that finds every CPU moving with a line, and goes on.
NMI_AFTER = 8.0


class Monitor:
    """QEMU's QMP monitor for one run, on a socketpair: argv() is what QEMU
    is to be given (the other end as an inherited fd, fds()); started()
    once QEMU runs; poll(nbytes) as the console grows, which sends every
    CPU an NMI after NMI_AFTER s without a new byte, and again after as
    long if it brings nothing; close() at the end. sent: when the NMIs
    went (seconds from the first poll); failed: why one could not be sent
    (QEMU's own error, or no answer), or None."""

    ID = "heaplab-qmp"

    def __init__(self, after=NMI_AFTER, clock=time.monotonic):
        self.sock, self.peer = socket.socketpair()
        self.after, self.clock = after, clock
        self.t0 = self.since = None  # the first poll, the console's last change
        self.nbytes = -1
        self.ready = False  # qmp_capabilities done
        self.buf = b""
        self.sent, self.failed = [], None

    def argv(self):
        return ["-chardev", f"socket,id={self.ID},fd={self.peer.fileno()}",
                "-mon", f"chardev={self.ID},mode=control"]

    def fds(self):
        return (self.peer.fileno(),)

    def started(self):
        """QEMU holds its end now: drop ours, so that its exit ends our reads."""
        self.peer.close()

    def close(self):
        self.peer.close()
        self.sock.close()

    def poll(self, nbytes):
        now = self.clock()
        if self.t0 is None:
            self.t0 = now
        if nbytes != self.nbytes:
            self.nbytes, self.since = nbytes, now
        elif now - self.since >= self.after and self.failed is None:
            self.since = now
            self.failed = self.nmi()
            if self.failed is None:
                self.sent.append(now - self.t0)

    def nmi(self, secs=5.0):
        """Sends inject-nmi (after qmp_capabilities, the first time);
        answers None, or why it failed."""
        try:
            if not self.ready:
                why = self.command("qmp_capabilities", secs)
                if why:
                    return why
                self.ready = True
            return self.command("inject-nmi", secs)
        except OSError as e:
            return f"QMP: {e.strerror or e}"

    def command(self, name, secs):
        """Runs QMP command name: None if QEMU answered `return`, else its
        error's text. The greeting and events on the way are skipped."""
        self.sock.sendall(json.dumps({"execute": name}).encode() + b"\n")
        end = self.clock() + secs
        while True:
            while b"\n" not in self.buf:
                left = end - self.clock()
                if left <= 0:
                    return f"QMP: no answer to {name} in {secs:.0f} s"
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    return f"QMP: QEMU closed the monitor before it answered {name}"
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                return f"QMP: not JSON: {line[:80]!r}"
            if not isinstance(msg, dict):
                return f"QMP: not an object: {line[:80]!r}"
            if "return" in msg:
                return None
            if "error" in msg:
                err = msg["error"]
                text = err.get("desc", err) if isinstance(err, dict) else err
                return f"QMP: {name}: {text}"
