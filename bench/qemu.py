"""QEMU figures for make bench: per image (i386, amd64, arm, arm64, riscv64, whichever
builds), the wall time from QEMU's start to the image's verdict, and one
trace replayed in the image under -icount shift=0, with the guest
instructions spent in replay_run counted through gdb and QMP
(bench/icount.py)."""
import os
import shlex
import shutil
import socket
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


def listening(port):
    """Is a socket listening on TCP port? (read from /proc: QEMU's stub
    takes one connection, so no probing it)."""
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(f).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(r.split()[3] == "0A" and int(r.split()[1].rsplit(":", 1)[1], 16) == port
               for r in rows):
            return True
    return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def icount_gdb(repo, arch, q, port, sock, marks):
    """Waits for QEMU's gdb stub and QMP socket, then runs bench/icount.py."""
    gdb, gdb_arch = ARCHES[arch]
    for _ in range(600):
        if (listening(port) and sock.exists()) or q.poll() is not None:
            break
        time.sleep(0.1)
    env = dict(os.environ, BENCH_ELF=str(repo / "build" / arch / "kernel.elf"),
               BENCH_ARCH=gdb_arch, BENCH_PORT=str(port), BENCH_QMP=str(sock), **marks)
    return subprocess.run(["timeout", "-k", "5", "300", gdb, "-batch", "-nx", "-x",
                           str(repo / "bench" / "icount.py")], env=env, text=True,
                          capture_output=True)


def icount(repo, out_dir, arch, trace, bench=False, flags=()):
    """Replays trace in the image under -icount shift=0, halted for gdb;
    answers the guest instruction counts at each stop (replay_run and
    replay_done; with bench, the four calls of bench_mark around heaplab's
    and newlib's passes), or why there are none. flags go to run-qemu.sh
    (--list: the list walk)."""
    gdb = ARCHES[arch][0]
    if shutil.which(gdb) is None:
        return f"no {gdb} (tools/deps.sh gdb)"
    port, sock = free_port(), out_dir / f"qmp-{arch}.sock"
    sock.unlink(missing_ok=True)
    env = dict(os.environ, GDBPORT=str(port))
    with open(out_dir / f"icount-{arch}.log", "w") as log:
        q = subprocess.Popen(["timeout", "-k", "5", "300", "./run-qemu.sh", "--arch", arch,
                              "--trace", trace] + (["--bench"] if bench else []) + list(flags)
                             + ["--gdb", "--timeout", "300", "--", "-icount",
                              "shift=0", "-qmp", f"unix:{sock},server=on,wait=off"],
                             cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            marks = {"BENCH_BREAK": "bench_mark", "BENCH_STOPS": "4"} if bench else {}
            g = icount_gdb(repo, arch, q, port, sock, marks)
            q.wait(timeout=300)
        finally:
            if q.poll() is None:
                q.terminate()  # timeout passes it on to QEMU
                q.wait(timeout=10)
    m = [l for l in g.stdout.splitlines() if l.startswith("icount ")]
    if not m or q.returncode != 0:
        return f"no count (gdb: {g.stderr.strip()[-200:]}; QEMU exit {q.returncode})"
    return [int(v) for v in m[0].split()[1:]]


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
        return [arch, "image does not build: " + " ".join(why)] + [""] * 9
    boots = boot_times(repo, arch, runs)
    if isinstance(boots, str):
        return [arch, boots] + [""] * 9
    wall, rc, out = run_qemu(repo, ["--arch", arch, "--trace", trace, "--", "-icount",
                                    "shift=0"])
    same = "yes" if rc == 0 and replay_lines(out) == want else f"NO (exit {rc})"
    c = icount(repo, out_dir, arch, trace)
    n = c[1] - c[0] if isinstance(c, list) else c
    per_op = f"{n / ops:,.0f}" if isinstance(n, int) else n
    b = icount(repo, out_dir, arch, trace, bench=True)
    bl = icount(repo, out_dir, arch, trace, bench=True, flags=["--list"])
    if isinstance(b, list) and len(b) == 4 and isinstance(bl, list) and len(bl) == 4:
        hl, ll, nl = (b[1] - b[0]) / ops, (bl[1] - bl[0]) / ops, (b[3] - b[2]) / ops
        vs = [f"{hl:,.0f}", f"{ll:,.0f}", f"{nl:,.0f}", f"{hl / nl:.2f}"]
    else:
        vs = [str(b if not isinstance(b, list) else bl), "", "", ""]
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
            "index÷newlib"]
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
            f"memalign(page)+memset/free (the image's own newlib), counted between the four "
            f"calls of bench_mark().\n\n" + table(head, rows))
