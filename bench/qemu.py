# SPDX-License-Identifier: BSD-3-Clause
"""QEMU figures for make bench: per image (i386, amd64, arm, arm64, riscv64, whichever
builds), the wall time from QEMU's start to the image's verdict, and one
trace replayed in the image under -icount shift=0, with the guest
instructions spent in replay_run counted through gdb and QMP
(bench/icount.py)."""
import os
import re
import shlex
import shutil
import statistics
import subprocess
import time
from pathlib import Path

# gdb binary and gdb's architecture name per target.
ARCHES = {"i386": ("gdb", "i386"), "amd64": ("gdb", "i386:x86-64"),
          "arm": ("gdb-multiarch", "arm"), "arm64": ("gdb-multiarch", "aarch64"),
          "riscv64": ("gdb-multiarch", "riscv:rv64")}


def build(repo, arch):
    """Builds the image; answers None, or why there is none."""
    r = subprocess.run(["make", "-s", f"ARCH={arch}", "image"], cwd=repo, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800)
    return None if r.returncode == 0 else r.stdout.strip().splitlines()[-1:]


def run_qemu(repo, argv):
    """Runs ./run-qemu.sh argv; answers (wall seconds, exit status, stdout)."""
    t0 = time.monotonic()
    r = subprocess.run(["timeout", "-k", "5", "300", "./run-qemu.sh"] + argv, cwd=repo,
                       text=True, capture_output=True)
    return time.monotonic() - t0, r.returncode, r.stdout


def replay_lines(out):
    """The replay's own lines of a console log (the image adds # lines)."""
    return [l.rstrip("\r") for l in out.splitlines() if l and not l.startswith("#")]


def stub_socket(log):
    """The gdb stub's socket run-qemu.sh --gdb names in its log, once QEMU
    has made it; else None."""
    m = re.search(r"^run-qemu\.sh: gdb stub on the Unix socket (\S+), ", log.read_text(),
                  re.M)
    return m[1] if m and os.path.exists(m[1]) else None


def icount_gdb(repo, arch, q, log, sock, marks):
    """Waits for QEMU's gdb stub and QMP socket, then runs bench/icount.py."""
    gdb, gdb_arch = ARCHES[arch]
    for _ in range(600):
        stub = stub_socket(log)
        if (stub and sock.exists()) or q.poll() is not None:
            break
        time.sleep(0.1)
    env = dict(os.environ, BENCH_ELF=str(repo / "build" / arch / "kernel.elf"),
               BENCH_ARCH=gdb_arch, BENCH_TARGET=str(stub), BENCH_QMP=str(sock), **marks)
    return subprocess.run(["timeout", "-k", "5", "300", gdb, "-batch", "-nx", "-x",
                           str(repo / "bench" / "icount.py")], env=env, text=True,
                          capture_output=True)


def icount(repo, out_dir, arch, trace, bench=False, flags=(), newlib_malloc=False):
    """Replays trace in the image under -icount shift=0, halted for gdb;
    answers the guest instruction counts at each stop (replay_run and
    replay_done; with bench, the six calls of bench_mark around heaplab's
    pass, the malloc pass and the malloc/free pairs), or why there are none.
    flags go to run-qemu.sh (--list: the list walk); newlib_malloc boots the
    NEWLIB_MALLOC=1 image, whose malloc is newlib's own."""
    gdb = ARCHES[arch][0]
    if shutil.which(gdb) is None:
        return f"no {gdb} (tools/deps.sh gdb)"
    sock = out_dir / f"qmp-{arch}.sock"
    sock.unlink(missing_ok=True)
    log_path = out_dir / f"icount-{arch}.log"
    env = dict(os.environ, NEWLIB_MALLOC="1" if newlib_malloc else "0")
    with open(log_path, "w") as log:
        q = subprocess.Popen(["timeout", "-k", "5", "300", "./run-qemu.sh", "--arch", arch,
                              "--trace", trace] + (["--bench"] if bench else []) + list(flags)
                             + ["--gdb", "--timeout", "300", "--", "-icount",
                              "shift=0", "-qmp", f"unix:{sock},server=on,wait=off"],
                             cwd=repo, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            marks = {"BENCH_BREAK": "bench_mark", "BENCH_STOPS": "6"} if bench else {}
            g = icount_gdb(repo, arch, q, log_path, sock, marks)
            q.wait(timeout=300)
        finally:
            if q.poll() is None:
                q.terminate()  # timeout passes it on to QEMU
                q.wait(timeout=10)
    m = [l for l in g.stdout.splitlines() if l.startswith("icount ")]
    if not m or q.returncode != 0:
        return f"no count (gdb: {g.stderr.strip()[-200:]}; QEMU exit {q.returncode})"
    counts = [int(v) for v in m[0].split()[1:]]
    pairs = re.search(r"^# bench pairs=(\d+) ", log_path.read_text(errors="replace"), re.M)
    if bench and pairs:  # the pairs' count, as the image printed it
        counts.append(int(pairs[1]))
    return counts


def boot_times(repo, arch, runs):
    """Times the QEMU command run-qemu.sh runs (--dry-run tells it; without
    the script's make check), runs times; answers the times, or why not."""
    wall, rc, out = run_qemu(repo, ["--arch", arch])  # the full check, once
    if rc != 0:
        return f"self-test failed (run-qemu.sh exit {rc})"
    cmd = shlex.split(run_qemu(repo, ["--arch", arch, "--dry-run"])[2].strip().splitlines()[-1])
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        r = subprocess.run(cmd, cwd=repo, text=True, capture_output=True)
        times.append(time.monotonic() - t0)
        if not r.stdout.rstrip().endswith("# heaplab: exit 0"):
            return f"no verdict line (QEMU exit {r.returncode})"
    return times


def arch_row(repo, out_dir, arch, trace, want, ops, runs):
    """One target's row of the QEMU table."""
    why = build(repo, arch)
    if why is not None:
        return [arch, "image does not build: " + " ".join(why)] + [""] * 12
    boots = boot_times(repo, arch, runs)
    if isinstance(boots, str):
        return [arch, boots] + [""] * 12
    wall, rc, out = run_qemu(repo, ["--arch", arch, "--trace", trace, "--", "-icount",
                                    "shift=0"])
    same = "yes" if rc == 0 and replay_lines(out) == want else f"NO (exit {rc})"
    c = icount(repo, out_dir, arch, trace)
    n = c[1] - c[0] if isinstance(c, list) else c
    per_op = f"{n / ops:,.0f}" if isinstance(n, int) else n
    b = icount(repo, out_dir, arch, trace, bench=True)
    bl = icount(repo, out_dir, arch, trace, bench=True, flags=["--list"])
    bn = icount(repo, out_dir, arch, trace, bench=True, newlib_malloc=True)
    if all(isinstance(x, list) and len(x) == 7 for x in (b, bl, bn)):
        hl, ll, nl = (b[1] - b[0]) / ops, (bl[1] - bl[0]) / ops, (bn[3] - bn[2]) / ops
        op, np_ = (b[5] - b[4]) / b[6], (bn[5] - bn[4]) / bn[6]
        vs = [f"{hl:,.0f}", f"{ll:,.0f}", f"{nl:,.0f}", f"{hl / nl:.2f}", f"{op:,.0f}",
              f"{np_:,.0f}", f"{op / np_:.2f}"]
    else:
        vs = [next(str(x) for x in (b, bl, bn) if not isinstance(x, list) or len(x) != 7)]
        vs += [""] * 6
    return [arch, f"{statistics.median(boots):.2f} s", f"{wall:.2f} s", same,
            f"{n:,}" if isinstance(n, int) else "-", per_op] + vs


def section(repo, out_dir, trace, table, runs=5):
    """The QEMU part of the report, as markdown."""
    if not (repo / "run-qemu.sh").exists():
        return "### QEMU\n\nNo run-qemu.sh in this tree: no QEMU figures."
    host = subprocess.run([str(repo / "build/host/replay"), trace], text=True,
                          capture_output=True)
    want = replay_lines(host.stdout)
    ops = sum(1 for l in Path(trace).read_text().splitlines() if l and l[0] != "#")
    rows = [arch_row(repo, out_dir, a, trace, want, ops, runs) for a in ARCHES]
    head = ["target", f"boot to verdict (median of {runs})", "trace run, -icount (wall)",
            "same lines as build/host/replay", "guest instructions in replay_run",
            "per trace operation", "heaplab-index alloc/free, instr/op",
            "heaplab-list (--list), instr/op", "newlib memalign+memset/free, instr/op",
            "index÷newlib", "malloc/free pair, objects layer, instr", "newlib's malloc, instr",
            "objects÷newlib"]
    return (f"### QEMU\n\nBoot to verdict: the QEMU command of `./run-qemu.sh --arch A` "
            f"(self-test and demo), timed from start to exit, without the script's make "
            f"check. Then {Path(trace).name} ({ops:,} operations) replayed in the image by "
            f"`./run-qemu.sh --arch A --trace T -- -icount shift=0`, timed whole and its "
            f"lines compared with build/host/replay's. The instruction count (deterministic) "
            f"is read "
            f"through QMP at gdb breakpoints on replay_run and replay_done: it includes "
            f"parsing each line and printing its result on the serial console, not only the "
            f"allocator. The last four columns come from `--bench`: the same trace run "
            f"silently through heaplab's heaplab_alloc/heaplab_free (with the placement index, and "
            f"again with `--list`, the seed's list walk), then through newlib's "
            f"memalign(page)+memset/free (newlib's own malloc, in the NEWLIB_MALLOC=1 image), "
            f"counted between calls of bench_mark(). The last three: malloc/free pairs of 1 "
            f"to 1024 bytes over a window of 64 live objects (kernel/bench.c, run_pairs), "
            f"through the image's malloc, the objects layer, and through newlib's own in the "
            f"NEWLIB_MALLOC=1 image; the goal is at most half of newlib's.\n\n"
            + table(head, rows) + "\n\n" + pairs_goal(rows))


def pairs_goal(rows):
    """The goal's line: in every image, a malloc/free pair through the
    objects layer at most half of newlib's own malloc's instructions."""
    got = {r[0]: r[12] for r in rows}
    ok = all(re.fullmatch(r"[0-9.]+", v) and float(v) <= 0.5 for v in got.values())
    return ("Goal: guest instructions per malloc/free pair, the objects layer at most half "
            "of newlib's own malloc's in every image: "
            + "; ".join(f"{a} {v}x" if re.fullmatch(r"[0-9.]+", v) else f"{a} not measured"
                        for a, v in got.items())
            + f": **{'met' if ok else 'NOT met'}**")


def main():
    """make bench-pairs: only the malloc/free pairs, objects layer against
    newlib's own malloc, on the targets named (all five by default), and the
    goal's line; about half a minute a target."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--dir", default="build/bench")
    ap.add_argument("arch", nargs="*", help=f"targets: {' '.join(ARCHES)} (default all)")
    args = ap.parse_args()
    for a in args.arch:
        if a not in ARCHES:
            ap.error(f"no target {a!r} (want {' '.join(ARCHES)})")
    args.arch = args.arch or list(ARCHES)
    repo, out_dir = Path(__file__).resolve().parents[1], Path(args.dir).resolve()
    trace = out_dir / "traces" / "random-pages.trace"  # the bench mode replays it first
    trace.parent.mkdir(parents=True, exist_ok=True)
    trace.write_text(subprocess.run([str(out_dir / "gen"), "random-pages"], check=True,
                                    capture_output=True, text=True).stdout)
    rows = []
    for arch in args.arch:
        why = build(repo, arch)
        b = icount(repo, out_dir, arch, str(trace), bench=True) if why is None else why
        bn = icount(repo, out_dir, arch, str(trace), bench=True, newlib_malloc=True) \
            if why is None else why
        if all(isinstance(x, list) and len(x) == 7 for x in (b, bn)):
            op, np_ = (b[5] - b[4]) / b[6], (bn[5] - bn[4]) / bn[6]
            rows.append([arch, f"{op:,.0f}", f"{np_:,.0f}", f"{op / np_:.2f}"])
        else:
            rows.append([arch, next(str(x) for x in (b, bn) if not isinstance(x, list)
                                    or len(x) != 7), "", ""])
    head = ["target", "malloc/free pair, objects layer, instr", "newlib's malloc, instr",
            "objects÷newlib"]
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
                      + ["| " + " | ".join(r) + " |" for r in rows])
    # pairs_goal reads the ratio from the full table's column 12
    print(table + "\n\n" + pairs_goal([[r[0]] + [""] * 11 + [r[3]] for r in rows]))


if __name__ == "__main__":
    main()
