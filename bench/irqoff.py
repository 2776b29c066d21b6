#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench-irqoff (and a part of make bench): the longest stretch each
allocator operation keeps interrupts off, in guest instructions, for runs
of 4 KiB to 64 MiB. The amd64 image, linked with a 128 MiB heap
(HEAP_SIZE=0x8000000) so that a 64 MiB run fits beside newlib, boots with
`./run-qemu.sh --irqbench -- -icount shift=0` and prints, per size and
with the full check after every operation on and off, what the allocator's
lock recorded (kernel/irqbench.c). Under -icount shift=0 a tick of the
time-stamp counter is one instruction; the image's calibration line (a
loop of known length) is checked, not assumed. Prints a markdown table and
the goal's line; exits 1 if the image gives no figures. Standard library
only."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAP = "0x8000000"
KINDS = [("grow", "first alloc (grows the heap in the check-on pass)"), ("free", "free"),
         ("alloc", "alloc from the free block"), ("free2", "free again")]


def run(repo):
    """Builds the image and runs the bench; answers (calibration, rows) or
    why there are none."""
    env = dict(os.environ, HEAP_SIZE=HEAP)
    b = subprocess.run(["make", "-s", "ARCH=amd64", f"HEAP_SIZE={HEAP}", "image"], cwd=repo,
                       env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=1800)
    if b.returncode != 0:
        return f"image does not build: {b.stdout.strip()[-300:]}"
    r = subprocess.run(["timeout", "-k", "5", "300", "./run-qemu.sh", "--irqbench",
                        "--timeout", "280", "--", "-icount", "shift=0"], cwd=repo, env=env,
                       text=True, capture_output=True)
    out = r.stdout
    cal = re.search(r"^# irqoff calibrate: (\d+) instructions (\d+) ticks", out, re.M)
    rows = [dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", l))
            for l in out.splitlines() if l.startswith("# irqoff check=")]
    if r.returncode != 0 or not out.rstrip().endswith("# heaplab: exit 0") or not cal or not rows:
        return f"no figures (run-qemu.sh exit {r.returncode}):\n{out[-600:]}{r.stderr[-300:]}"
    return (int(cal[1]), int(cal[2])), rows


def size(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


def section(repo, table):
    """The report, as markdown."""
    got = run(repo)
    if isinstance(got, str):
        return "### Interrupts off per operation\n\n" + got
    (ins, ticks), rows = got
    ratio = ticks / ins
    if not 0.99 <= ratio <= 1.01:
        return (f"### Interrupts off per operation\n\nThe calibration loop of {ins} "
                f"instructions took {ticks} ticks: the counter does not count instructions "
                f"here, no figures.")
    head = ["check", "size"] + [f"{what}, instructions" for _, what in KINDS]
    body = [["on" if r["check"] else "off", size(r["size"])] + [f"{r[k]:,}" for k, _ in KINDS]
            for r in rows]
    goal = []
    for c in (1, 0):
        fr = {r["size"]: max(r["free"], r["free2"]) for r in rows if r["check"] == c}
        small, big = fr.get(4096), fr.get(64 << 20)
        if small and big:
            x = max(big / small, small / big)
            goal.append(f"check {'on' if c else 'off'}: a 64 MiB free keeps interrupts off "
                        f"for {big:,} instructions, a 4 KiB one for {small:,} "
                        f"({x:.2f}x apart; goal: within 2x: {'met' if x <= 2 else 'NOT met'})")
        else:
            goal.append(f"check {'on' if c else 'off'}: no 64 MiB or 4 KiB row")
    return ("### Interrupts off per operation\n\n"
            f"amd64, heap linked at {int(HEAP, 16) >> 20} MiB, "
            "`./run-qemu.sh --irqbench -- -icount shift=0`: for each size, the longest "
            "stretch with interrupts off that the allocator's lock (mem_lock) saw during "
            "one operation, in guest instructions (calibrated: "
            f"{ins:,} instructions, {ticks:,} ticks). Each free zeroes its range with the "
            "lock released (pending in the pool meanwhile); a growth is zeroed after the "
            "lock is released; the check after every operation (on: the image's default) "
            "scans at most HEAPLAB_CHECK_SCAN free bytes.\n\n" + table(head, body) +
            "\n\n" + "\n".join(f"- {g}" for g in goal))


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


if __name__ == "__main__":
    s = section(REPO, md_table)
    print(s)
    sys.exit(0 if "| on |" in s else 1)
