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
                for a CPU that made no progress), with the function and
                line of each pc it names when the ELF is at hand
  crashed:      any other panic, with the kernel's message (a fault names
                its pc, and with the ELF at hand the function and line it
                is in), or a machine that reset or stopped without its exit
                line (a triple fault), with the console's last line
  timed out:    no exit line within the limit (QEMU was killed), with the
                console's last line, or `no output` if it printed nothing

verdict(status, console, secs) answers (kind, line): kind is "ok",
"wrong answer", "corrupted", "looped", "crashed" or "timed out"; line
starts with the kind (but for ok) and says what happened."""

import re
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXIT_LINE = re.compile(r"^# heaplab: exit (\d+)$")
# A panic's message, after `panic: cpu N: ` (kernel/console.c).
PANIC = re.compile(r"^panic: (?:cpu \d+: )?(.*)$", re.M)
# Panics that are a check's: the allocator's heaplab_fail (mem/check.c's
# `mem: ...`, runtime/sys.c's refused `sys_free(...)`), the cache's and the
# stresses' own.
CORRUPT = re.compile(r"^(mem: |sys_free[(:]|heaplab_|pcp: |stress: |pagestress: (?!looped))")
LOOPED = re.compile(r"lockup suspected|^(?:page)?stress: looped: ")
# The pc a fault's panic names (kernel/fault.c, arch/*/trap.c).
PC = re.compile(r"\b(?:pc|rip|eip|elr|sepc|mepc)[ =]?(0x[0-9a-f]+)")
# The pcs a loop's panic names: the watchdog's `its last ticks came at pc
# 0x.. 0x..` and `taken at pc 0x..`, spin_lock's `from pc 0x..`.
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


def verdict(status, console, secs, elf=None, run=None, virt=False):
    """(kind, line) for a run: QEMU's status (None: killed at its limit of
    secs seconds) and its console; elf names a fault's pc's function."""
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
        return "timed out", (f"timed out: no `# heaplab: exit` line in {secs:.0f} s (QEMU "
                             f"stopped); the console's last line: {last_line(console)}")
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
