#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench-smp (and a part of make bench): the SMP stress made to
measure. The amd64 image runs `./run-qemu.sh --smp N` for N = 1, 2 and 4,
with the single pool lock (the default) and with the per-CPU page caches
(--pcp); per run: each CPU's operations per second of guest time and timer
ticks per second (TICK_HZ is the rate asked for: a lower one is ticks lost
to interrupts-off stretches and to QEMU's vCPUs waiting for the host's
cores), and the allocator's locks as lockstat prints them: failed
test-and-sets and acquires of mem_lock, of the page caches' locks and of
the objects layer's (its classes' locks, one row "objects classes", the
large objects' and the span records' locks, "objects large" and "objects
store", and its pool's lock, "objects pool"). Then the
goal's line: with --smp 4, failed test-and-sets on the allocator's locks,
both layers', at least 100x fewer with the caches, and each layer's
share. A measurement, not a test: QEMU's
vCPUs are host threads, so the counts move from run to run, the more so on
a loaded machine. Standard library only.

What is counted, exactly: the counts lockstat prints at the end of the
run (--lockstat) for those locks, over the whole run. The self-test and
the demo run on one CPU and add acquires but no failed test-and-sets; the
rest is the stress (kernel/stress.c), the same in both modes: each CPU
the same 20,000 operations from the same seed, the pool's automatic check
after each of its operations (under mem_lock), the objects heap's check
of one class every 18 operations a CPU, each class in turn (its lock
alone, hobj_check_class; a turn that finds another CPU checking that
class is put off to the next), the full checks at the end. --pcp adds what the caches themselves do: their locks, their
check every 1024 operations (each CPU's cache lock), their drain at the
end, and the large objects' stash (kernel/kobj.c, no lock). A failed
test-and-set is an attempt to take a lock that found it held, each turn
of a spinning CPU's loop one (6.1810's count); a spin_trylock that finds it
held counts one: the page caches take every cache's lock that way (a
stealer goes on to the next cache, the owner of a busy cache to another's
or the pool, or keeps a freed run aside), so each failed attempt on them
counts one, as in one-lock mode each failed attempt on mem_lock does. A timer tick that finds mem_lock held by another CPU skips its sample
of the pool and counts none, in both modes.

The goal line ends with the caches' longest single wait: the most failed
test-and-sets one acquire made on an allocator lock, and the function its
holder took the lock in (lockstat's `wait N at PC`, the pc named through
addr2line). With four vCPUs on two host cores a holder is now and then
preempted by the host for a few milliseconds, and a CPU that waits for it
meanwhile counts tens of thousands of failed attempts in that one wait:
the line says how much of the caches' count one such wait was. Then, beside
the goal and not part of it, the waits themselves from the stress's cpu
lines: how many acquires found their lock held, and the time spent
spinning, with one lock and with the caches (every lock a CPU took: the
allocator's, and the kernel break's and the console's beside them). A wait
on a preempted holder counts once there, however many attempts it made."""
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CPU = re.compile(r"^cpu (\d+): (\d+) ops/s of guest time, (\d+) timer ticks/s \(TICK_HZ (\d+)\)$")
SPUN = re.compile(r"^cpu (\d+): \d+ ops, spun for a lock (\d+) times of \d+, (\d+) us spinning, ")
LOCK = re.compile(r"^lock: (.+): #test-and-set (\d+) #acquire\(\) (\d+) hold (\d+) irq-off (\d+) "
                  r"wait (\d+) at (0x[0-9a-f]+|0)$")


def page_lock(name):
    return name == "mem" or name.startswith("pcp ")


def object_lock(name):
    # the objects layer's: kernel/kobj.c's group of its HOBJ_NLOCK locks and
    # its pool's lock (the image's malloc, which the stress mixes in)
    return name in ("objects classes", "objects large", "objects store", "objects pool")


def allocator_lock(name):
    return page_lock(name) or object_lock(name)


def run(n, pcp):
    """One stress run; answers its figures, or why there are none."""
    argv = ["timeout", "-k", "5", "600", "./run-qemu.sh", "--smp", str(n), "--lockstat",
            "--timeout", "580"] + (["--pcp"] if pcp else [])
    r = subprocess.run(argv, cwd=REPO, text=True, capture_output=True)
    return figures(r.stdout, r.returncode, r.stderr)


def figures(stdout, returncode, stderr):
    """A run's figures from what it printed, or why there are none."""
    lines = [l.rstrip("\r") for l in stdout.splitlines()]
    cpus = [m for m in map(CPU.match, lines) if m]
    spun = [m for m in map(SPUN.match, lines) if m]
    locks = {}
    for m in map(LOCK.match, lines):  # --lockstat's table at the end has every lock
        if m:
            locks[m[1]] = (int(m[2]), int(m[3]), int(m[6]), int(m[7], 16))
    if returncode != 0 or not cpus or "mem" not in locks:
        return f"no figures (run-qemu.sh exit {returncode}): {stdout[-400:]}{stderr[-200:]}"
    # the longest single wait on the allocator's locks: (attempts, lock, holder's pc)
    wait = max(((v[2], k, v[3]) for k, v in locks.items() if allocator_lock(k)),
               default=(0, "", 0))
    nts = sum(v[0] for k, v in locks.items() if allocator_lock(k))
    acq = sum(v[1] for k, v in locks.items() if allocator_lock(k))
    return {"ops": [int(m[2]) for m in cpus], "ticks": [int(m[3]) for m in cpus],
            "hz": int(cpus[0][4]), "nts": nts, "acq": acq,
            # the stress's cpu lines: acquires that had to wait, and the time
            # spent waiting, on every lock the CPU took (the allocator's, and
            # beside them the kernel break's and the console's)
            "waits": sum(int(m[2]) for m in spun) if spun else None,
            "spin_us": sum(int(m[3]) for m in spun) if spun else None,
            "wait": wait,
            "mem": locks["mem"][:2],
            "pcp": sum(v[0] for k, v in locks.items() if k.startswith("pcp ")),
            "pages": sum(v[0] for k, v in locks.items() if page_lock(k)),
            "objects": sum(v[0] for k, v in locks.items() if object_lock(k)),
            "objects_acq": sum(v[1] for k, v in locks.items() if object_lock(k))}


def fewer(a, b):
    """a (one lock) against b (the caches), as the goal line says it; none
    with the caches is no ratio (it printed "355,009.0x fewer")."""
    if b == 0:
        return "none with the caches" if a > 0 else "none either way"
    return f"{a / b:,.1f}x fewer"


def symbol(pc):
    """The function of the amd64 image that pc lies in, or pc in hex."""
    try:
        r = subprocess.run(["addr2line", "-f", "-e", str(REPO / "build" / "amd64" / "kernel.elf"),
                            hex(pc)], capture_output=True, text=True, timeout=30)
        name = r.stdout.split("\n")[0].strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name if name and name != "??" else hex(pc)


def goal_line(one, pcp, where=hex):
    """The goal's line from the --smp 4 runs' figures, one lock and caches;
    then the caches' longest single wait (where names its holder's pc)."""
    met = one["nts"] > 0 and (pcp["nts"] == 0 or one["nts"] / pcp["nts"] >= 100)

    def share(k):
        return f"{one[k]:,} against {pcp[k]:,}, {fewer(one[k], pcp[k])}"
    line = (f"With --smp 4: {one['nts']:,} failed test-and-sets on the allocator's locks "
            f"with one lock, {pcp['nts']:,} with the per-CPU caches: "
            f"{fewer(one['nts'], pcp['nts'])} "
            f"(goal: at least 100x: {'met' if met else 'NOT met'}); the page layer's "
            f"locks {share('pages')}, the objects layer's {share('objects')}.")
    if one.get("waits") is not None and pcp.get("waits") is not None:
        line += (f" Beside the goal, the stress's own count of waits (its cpu lines' \"spun for "
                 f"a lock\": acquires that found the lock held, however long they spun): "
                 f"{one['waits']:,} with one lock, {pcp['waits']:,} with the caches, "
                 f"{fewer(one['waits'], pcp['waits'])}; time spent spinning "
                 f"{one['spin_us'] / 1000:,.1f} ms against {pcp['spin_us'] / 1000:,.1f} ms, "
                 f"{fewer(one['spin_us'], pcp['spin_us'])}.")
    n, lock, pc = pcp.get("wait", (0, "", 0))
    if n > 0:
        line += (f" With the caches, the longest single wait was {n:,} failed test-and-sets "
                 f"on {lock} ({n / pcp['nts']:.0%} of them), its holder having taken it at "
                 f"{where(pc) if pc else 'a pc not seen'}.")
    return line


def section(table):
    b = subprocess.run(["make", "-s", "ARCH=amd64", "image"], cwd=REPO, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800)
    if b.returncode != 0:
        return "### SMP stress\n\nimage does not build: " + b.stdout[-300:]
    rows, got = [], {}
    for pcp in (False, True):
        for n in (1, 2, 4):
            f = got[(n, pcp)] = run(n, pcp)
            mode = "per-CPU caches" if pcp else "one lock"
            if isinstance(f, str):
                rows.append([mode, str(n), f, "", "", "", "", "", ""])
                continue
            rows.append([mode, str(n), " / ".join(f"{v:,}" for v in f["ops"]),
                         " / ".join(str(v) for v in f["ticks"]) + f" (of {f['hz']})",
                         f"{f['mem'][0]:,} of {f['mem'][1]:,}", f"{f['pcp']:,}",
                         f"{f['objects']:,} of {f['objects_acq']:,}",
                         f"{f['nts']:,}", f"{f['acq']:,}"])
    head = ["locking", "CPUs", "ops/s of guest time, per CPU", "timer ticks/s, per CPU",
            "mem_lock: failed test-and-sets of acquires", "pcp locks: failed test-and-sets",
            "objects layer's locks: failed test-and-sets of acquires",
            "allocator's locks: failed test-and-sets", "allocator's locks: acquires"]
    one, pcp = got[(4, False)], got[(4, True)]
    if isinstance(one, dict) and isinstance(pcp, dict):
        goal = goal_line(one, pcp, symbol)
    else:
        goal = "With --smp 4: no figures for one of the two runs."
    return ("### SMP stress\n\n"
            "amd64, `./run-qemu.sh --smp N --lockstat [--pcp]`, each CPU 20,000 random "
            "sys_alloc/sys_free/sys_reserve and malloc/calloc/free operations "
            "(kernel/stress.c). The allocator's locks: mem_lock, with --pcp each CPU's cache "
            "lock (`pcp N`), and the objects layer's (`objects classes`, `objects large`, "
            "`objects store`, `objects pool`), whose "
            "per-CPU caches --pcp turns on too.\n\n"
            + table(head, rows) + "\n\n" + goal)


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


if __name__ == "__main__":
    s = section(md_table)
    print(s)
    sys.exit(0 if "no figures" not in s and "does not build" not in s else 1)
