# SPDX-License-Identifier: BSD-3-Clause
"""gdb script for make bench (gdb -batch -nx -x bench/icount.py): counts the
guest instructions the image spends in replay_run, under -icount shift=0.

It attaches to QEMU's gdb stub, stops at replay_run and at replay_done
(hardware breakpoints: the loader copies the image in after reset), and at
each stop asks QEMU's QMP socket for its instruction count (query-replay,
which answers it whenever -icount is on). Prints `icount N M ...`, one
count per stop, then detaches so that the image runs on to its verdict.
Environment: BENCH_ELF, BENCH_ARCH (gdb's name), BENCH_TARGET (the stub's
socket, which run-qemu.sh --gdb names), BENCH_QMP;
BENCH_BREAK (functions to break on, default "replay_run replay_done") and
BENCH_STOPS (how many stops, default one per function)."""
import json
import os
import socket

import gdb


def qmp_open(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()  # the greeting
    qmp(f, "qmp_capabilities")
    return f


def qmp(f, command):
    """Sends one command and answers its return value, skipping events."""
    f.write(json.dumps({"execute": command}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "error" in r:
            raise gdb.GdbError(f"QMP {command}: {r['error']}")
        if "return" in r:
            return r["return"]


def main():
    env = os.environ
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute(f"file {env['BENCH_ELF']}")
    gdb.execute(f"set architecture {env['BENCH_ARCH']}")
    gdb.execute("set remotetimeout unlimited")  # a loaded QEMU may answer late
    gdb.execute(f"target remote {env['BENCH_TARGET']}")
    f = qmp_open(env["BENCH_QMP"])
    marks = env.get("BENCH_BREAK", "replay_run replay_done").split()
    for m in marks:
        gdb.execute(f"hbreak {m}")
    counts = []
    for _ in range(int(env.get("BENCH_STOPS", len(marks)))):
        gdb.execute("continue")
        counts.append(qmp(f, "query-replay")["icount"])
    gdb.execute("delete")
    print("icount " + " ".join(str(c) for c in counts), flush=True)
    gdb.execute("detach")


main()
