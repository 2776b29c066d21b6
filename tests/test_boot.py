# SPDX-License-Identifier: BSD-3-Clause
# Boot tests (make boot-test): each image boots in QEMU (TCG) through
# run-qemu.sh, passes its self-test, and replays every sample trace with
# the very lines build/host/replay prints. Run with Debian's pytest:
#   /usr/bin/python3 -m pytest tests/test_boot.py
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import imagerun  # noqa: E402  (the QMP monitor lab 9's grader sends its NMI through)

RUN = ROOT / "run-qemu.sh"
REPLAY = ROOT / "build" / "host" / "replay"
TRACES = sorted((ROOT / "traces").glob("*.trace"))
TRACE_FLAGS = {"oom-106": ["--heap", "4194304"]}  # runs out of memory on purpose
QEMU_TIMEOUT = 120  # seconds run-qemu.sh gives QEMU; pytest waits a bit longer
EXIT_LINE = re.compile(r"^# heaplab: exit (\d+)$")
MODES = {"index": [], "list": ["--list"]}  # the placement index, or the seed's list walk

_built = {}


def arches():
    return ["i386", "amd64", "arm", "arm64", "riscv64"]


# make test stays under 15 minutes on 2 cores: the first three images replay
# every sample trace in both placement modes; the later ports replay them
# with the index and LEAN_LIST_TRACES with --list too. The SMP stress (four
# guest CPUs, which keep both host cores busy) runs in both modes on amd64,
# with the index elsewhere. The two modes place every block alike in
# portable code, compared op by op on the host (tests/host/test_diff.c) and
# in every trace on the first three images; what a port can break (its
# traps, console, hand-over, atomics) shows in either mode.
LEAN = {"arm64", "riscv64"}
LEAN_LIST_TRACES = {"bigsmall-105", "oom-106"}
SMP_BOTH_MODES = {"amd64"}


def mode_cases(arch, trace=None):
    """The placement modes a test runs on arch (for trace, if given)."""
    if arch not in LEAN:
        return list(MODES)
    if trace is not None and trace.stem in LEAN_LIST_TRACES:
        return list(MODES)
    return ["index"]


def smp_cases():
    return [pytest.param(a, m, id=f"{a}-{m}") for a in arches()
            for m in (MODES if a in SMP_BOTH_MODES else ["index"])]


def trace_cases():
    return [pytest.param(a, t, m, id=f"{a}-{t.stem}-{m}")
            for a in arches() for t in TRACES for m in mode_cases(a, t)]


def make(*args):
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def need_image(arch):
    """Build the image once per session; a failed build fails the test."""
    if arch not in _built:
        _built[arch] = make(f"ARCH={arch}", "image")
    p = _built[arch]
    if p.returncode != 0:
        msg = f"make ARCH={arch} image failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}"
        pytest.fail(msg)


def need_replay():
    if "host" not in _built:
        _built["host"] = make("host")
    p = _built["host"]
    assert p.returncode == 0, f"make host failed:\n{p.stderr[-3000:]}"


def boot(arch, *flags, timeout=QEMU_TIMEOUT):
    """Run the image through run-qemu.sh; answers the CompletedProcess."""
    need_image(arch)
    return subprocess.run(
        [str(RUN), "--arch", arch, "--timeout", str(timeout), *flags],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout + 60,
    )


def console_lines(p):
    return [line.rstrip("\r") for line in p.stdout.splitlines()]


def check_exit_line(p):
    """The last console line is the exit line, and it agrees with the status."""
    lines = [line for line in console_lines(p) if line]
    assert lines, f"no console output; stderr: {p.stderr}"
    m = EXIT_LINE.match(lines[-1])
    assert m, f"last line is not the exit line: {lines[-1]!r}; stderr: {p.stderr}"
    assert int(m.group(1)) == p.returncode, p.stderr


def replay_lines(p):
    """The image's replay lines: between '# base ...' and the exit line, no '#' lines."""
    lines = console_lines(p)
    starts = [i for i, line in enumerate(lines) if line.startswith("# base ")]
    assert starts, f"no '# base' line:\n{p.stdout}\n{p.stderr}"
    out = []
    for line in lines[starts[0] + 1 :]:
        if EXIT_LINE.match(line):
            return out
        if not line.startswith("#"):
            out.append(line)
    pytest.fail(f"no exit line after the replay:\n{p.stdout}\n{p.stderr}")


def host_replay(trace, *flags):
    need_replay()
    p = subprocess.run(
        [str(REPLAY), *flags, str(trace)], capture_output=True, text=True, timeout=300
    )
    lines = [line for line in p.stdout.splitlines() if not line.startswith("#")]
    return p, lines


@pytest.mark.parametrize("arch", arches())
def test_selftest_passes(arch):
    p = boot(arch)
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    verdicts = [m for m in map(re.compile(r"^(\d+) passed, (\d+) failed$").match, console_lines(p)) if m]
    assert len(verdicts) == 1, f"want one verdict line:\n{p.stdout}"
    assert int(verdicts[0].group(1)) > 0 and verdicts[0].group(2) == "0"


@pytest.mark.parametrize("arch,mode", smp_cases())
def test_smp_stress(arch, mode):
    """--smp 4: four CPUs come up and hammer the allocator; nothing overlaps, nothing leaks;
    every CPU's timer ticks."""
    p = boot(arch, "--smp", "4", *MODES[mode])
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    lines = console_lines(p)
    assert any(re.match(r"^4 CPUs up\b", line) for line in lines), p.stdout[-3000:]
    cpus = [re.match(r"^cpu (\d+): (\d+) ops, spun for a lock (\d+) times of (\d+), "
                     r"(\d+) us spinning, (\d+) us holding, (\d+) ticks$", line) for line in lines]
    cpus = [m for m in cpus if m]
    assert sorted(int(m.group(1)) for m in cpus) == [0, 1, 2, 3], p.stdout[-3000:]
    assert all(int(m.group(2)) >= 20000 for m in cpus)
    # every operation takes the lock at least once, and holds it a while
    assert all(int(m.group(4)) >= 20000 and int(m.group(6)) > 0 for m in cpus), p.stdout[-3000:]
    assert all(int(m.group(7)) > 0 for m in cpus), p.stdout[-3000:]
    assert "ok   timer: every CPU took timer interrupts" in lines, p.stdout[-3000:]
    # the most contended locks, as 6.1810's kalloctest prints them: the
    # allocator's lock among them, taken at least once by each sys_ op,
    # about half of every CPU's (the rest are malloc's, on the objects
    # layer's locks)
    i = lines.index("--- lock stats, the most contended (#test-and-set: failed attempts; "
                    "hold and irq-off: the longest, us; wait: the most failed attempts of one "
                    "acquire, and the pc its holder took the lock at)")
    stats = [LOCKSTAT.match(line) for line in lines[i + 1:i + 6]]
    stats = [m for m in stats if m]
    assert 1 <= len(stats) <= 5, p.stdout[-3000:]
    nts = [int(m.group(2)) for m in stats]
    assert nts == sorted(nts, reverse=True), p.stdout[-3000:]
    mem = [m for m in stats if m.group(1) == "mem"]
    assert mem and int(mem[0].group(3)) >= 4 * 20000 // 3, p.stdout[-3000:]
    # each lock's longest wait is one acquire's share of its failed attempts
    assert all(int(m.group(6)) <= int(m.group(2)) for m in stats), p.stdout[-3000:]
    assert int(mem[0].group(6)) > 0, mem[0].group(0)
    for name in ("every block zeroed on arrival and intact until freed",
                 "the byte counter is back at its start",
                 "the free list holds every byte taken through sbrk",
                 "every malloc of every CPU freed: the objects heap as it was"):
        assert f"ok   stress: {name}" in lines, p.stdout[-3000:]
    assert re.search(r"^\d+ passed, 0 failed$", p.stdout, re.M)


LOCKSTAT = re.compile(r"^lock: (.+): #test-and-set (\d+) #acquire\(\) (\d+) hold (\d+) "
                      r"irq-off (\d+) wait (\d+) at (0x[0-9a-f]+|0)$")


def test_lockstat_at_the_end_of_any_run():
    """--lockstat (kernel lockstat): every lock taken in the run, with its
    counts, after the trace's output and before the exit line."""
    trace = ROOT / "traces" / "example-1.trace"
    p = boot("amd64", "--lockstat", "--trace", str(trace))
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    lines = console_lines(p)
    i = lines.index("--- lock stats (#test-and-set: failed attempts; hold and irq-off: the "
                    "longest, us; wait: the most failed attempts of one acquire, and the pc "
                    "its holder took the lock at)")
    stats = {m.group(1): m for m in map(LOCKSTAT.match, lines[i + 1:]) if m}
    ops = sum(1 for line in trace.read_text().splitlines()
              if line.split()[:1] in (["alloc"], ["free"]))
    assert int(stats["mem"].group(3)) >= ops, p.stdout
    assert {"mem", "kbrk", "console"} <= set(stats), p.stdout
    assert all(int(m.group(2)) == 0 for m in stats.values()), p.stdout  # one CPU: no contention
    assert all(m.group(6) == "0" and m.group(7) == "0" for m in stats.values()), p.stdout


@pytest.mark.parametrize("arch,trace,mode", trace_cases())
def test_trace_matches_host(arch, trace, mode):
    """Every sample trace, as the host replays it: foreign-107's refusals too
    (another client of the break through the image's real brk trap)."""
    flags = TRACE_FLAGS.get(trace.stem, []) + MODES[mode]
    host, want = host_replay(trace, *flags)
    refused = any(line.startswith("error line ") for line in want)
    assert host.returncode == refused, f"host replay: exit {host.returncode}: {host.stderr}"
    p = boot(arch, *flags, "--trace", str(trace))
    assert p.returncode == host.returncode, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    assert replay_lines(p) == want


# Traces of small objects (malloc, mfree, realloc on the objects layer):
# every image prints the host's lines, 32-bit ones too (the layer's own
# pages are sized alike everywhere), with the full check after every line.
OBJECT_TRACES = sorted((ROOT / "traces" / "objects").glob("*.trace"))


@pytest.mark.parametrize("arch,trace", [pytest.param(a, t, id=f"{a}-{t.stem}")
                                        for a in arches() for t in OBJECT_TRACES])
def test_object_trace_matches_host(arch, trace):
    host, want = host_replay(trace, "--check")
    assert host.returncode == 0, f"host replay: exit {host.returncode}: {host.stderr}"
    assert want == trace.with_suffix(".expected").read_text().splitlines()
    p = boot(arch, "--check", "--trace", str(trace))
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    assert replay_lines(p) == want


def test_refused_object_lines_in_image(tmp_path):
    """Unknown and freed IDs are refused in the image as on the host: same
    lines, status 1, nothing changed."""
    trace = tmp_path / "bad.trace"
    trace.write_text("malloc a 10\nmfree zz\nmfree a\nmfree a\nrealloc a 5\nmalloc b 20\n")
    host, want = host_replay(trace)
    assert host.returncode == 1
    assert [l for l in want if l.startswith("error")] == [
        "error line 2: mfree zz: unknown id",
        "error line 4: mfree a: double free (the id was freed already)",
        "error line 5: realloc a: the id was freed already (a use after free)"]
    p = boot("i386", "--trace", str(trace))
    assert p.returncode == 1, p.stdout[-3000:]
    check_exit_line(p)
    assert replay_lines(p) == want


@pytest.mark.parametrize("arch", arches())
def test_out_of_memory_is_clean(arch):
    """oom-106 exhausts a 4 MiB heap: nil answers, and the full check stays clean."""
    trace = next((t for t in TRACES if t.stem == "oom-106"), None)
    assert trace is not None, "no traces/oom-106.trace"
    expected = trace.with_suffix(".expected").read_text().splitlines()
    nils = [line for line in expected if line.endswith(" nil")]
    assert nils, "oom-106.expected has no nil line"
    flags = ["--heap", "4194304", "--check"]
    host, want = host_replay(trace, *flags)
    assert host.returncode == 0, f"host replay --check: exit {host.returncode}: {host.stderr}"
    assert want == expected
    p = boot(arch, *flags, "--trace", str(trace))
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    got = replay_lines(p)
    assert got == want
    assert [line for line in got if line.endswith(" nil")] == nils


@pytest.mark.parametrize("arch", arches())
def test_whole_default_heap(arch, tmp_path):
    """The image's replay gets all 64 MiB, as the host tool does: no byte short."""
    trace = tmp_path / "full.trace"
    trace.write_text("alloc a 67108864\nalloc b 1\nfree a\nalloc c 67108864\ncheck\n")
    host, want = host_replay(trace)
    assert want == ["a 0x0", "b nil", "c 0x0", "brk 0x4000000"]
    p = boot(arch, "--trace", str(trace))
    assert p.returncode == 0, p.stdout[-3000:]
    assert replay_lines(p) == want


@pytest.mark.parametrize("arch", arches())
def test_refused_free_in_image(arch, tmp_path):
    """A double free and a misaligned freeat are refused in the image too, state unchanged."""
    trace = tmp_path / "bad.trace"
    trace.write_text("alloc a 8192\nalloc b 1\nfree a\nfreeat 0x0 8192\nfreeat 0x10 1\nalloc c 1\n")
    host, want = host_replay(trace)
    assert host.returncode == 1
    assert [w.split(":")[0] for w in want if w.startswith("error")] == ["error line 4",
                                                                      "error line 5"]
    p = boot(arch, "--trace", str(trace))
    assert p.returncode == 1, p.stdout[-3000:]
    assert replay_lines(p) == want


@pytest.mark.parametrize("page", ["4096", "16"])
def test_exact_free_in_image(page, tmp_path):
    """--exact-free (kernel exactfree) refuses a free that is not one live
    allocation as the host tool does, and its record takes no byte of the
    replay's heap: the whole default heap is still there after it. One image:
    the code is portable, and the record's room is kernel/trace.c's."""
    trace = tmp_path / "exact.trace"
    trace.write_text("alloc c 67108864\nfreeat 0x1000 4096\nfreeat 0 33554432\nfree c\n"
                     "check\nalloc a 4096\nalloc b 4096\nfree b\nfree a\ncheck\n")
    seed, _ = host_replay(trace, "--page", page)
    assert seed.returncode == 1 and "error line 2" not in seed.stdout, seed.stdout  # freed
    host, want = host_replay(trace, "--page", page, "--exact-free")
    mismatch = "not the start and size of one live allocation"
    assert [w for w in want if w.startswith("error")] == [
        f"error line 2: freeat 0x1000 4096: {mismatch}",
        f"error line 3: freeat 0 33554432: {mismatch}"]
    assert want[0] == "c 0x0" and host.returncode == 1, want
    p = boot("amd64", "--page", page, "--exact-free", "--trace", str(trace))
    check_exit_line(p)
    assert p.returncode == 1, p.stdout[-3000:]
    assert replay_lines(p) == want


@pytest.mark.parametrize("arch", arches())
def test_timeout_fails(arch):
    # -S keeps the CPU halted, so the run cannot finish before the timeout.
    p = boot(arch, "--", "-S", timeout=1)
    assert p.returncode == 124
    assert "timed out after 1 s" in p.stderr


@pytest.mark.parametrize(
    "arch,qemu", [("i386", "qemu-system-i386"), ("amd64", "qemu-system-x86_64"), ("arm", "qemu-system-arm"),
                  ("arm64", "qemu-system-aarch64"), ("riscv64", "qemu-system-riscv64")]
)
def test_dry_run_prints_command(arch, qemu):
    p = subprocess.run(
        [str(RUN), "--arch", arch, "--check", "--dry-run"], capture_output=True, text=True, timeout=30
    )
    assert p.returncode == 0, p.stderr
    cmd = p.stdout.splitlines()[-1]
    assert qemu in cmd and "-accel tcg" in cmd and "kvm" not in cmd
    assert "-no-reboot" in cmd and "-m 256M" in cmd


def test_default_arch_is_amd64():
    p = subprocess.run([str(RUN), "--dry-run"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "qemu-system-x86_64" in p.stdout


@pytest.mark.parametrize("args", [["--bogus"], ["--arch", "mips"], ["--smp", "0"], ["--timeout"]])
def test_usage_error(args):
    p = subprocess.run([str(RUN), *args, "--dry-run"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("run-qemu.sh: ")


# Issue 13: every consumer of a trace refuses bad input as the host does,
# and run-qemu.sh refuses what the image cannot take before QEMU starts.

TRACE_MAX = 64 << 20  # REPLAY_TRACE_MAX in replay/replay.h


def run_qemu(*args, timeout=60):
    """run-qemu.sh without building first: for what it refuses up front."""
    return subprocess.run([str(RUN), *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def image_says(p):
    """The image's own messages: its '# ' lines but the banner, '# base' and the exit line."""
    return [l for l in console_lines(p) if l.startswith("# ") and not EXIT_LINE.match(l)
            and not l.startswith(("# heaplab: heap [", "# base "))]


def host_message(stderr):
    """The host tool's message, without its 'replay: FILE: ' or 'replay: ' prefix."""
    return stderr.strip().split(": ", 2)[-1]


@pytest.mark.parametrize("arch", arches())
def test_nul_byte_refused_as_on_host(arch, tmp_path):
    """arm used to stop at the first NUL and replay one line with exit 0."""
    trace = tmp_path / "nul.trace"
    trace.write_bytes(b"alloc a 4096\n\0alloc b 4096\n")
    host, _ = host_replay(trace)
    assert host.returncode == 2 and "line 2: NUL byte in the line" in host.stderr
    p = boot(arch, "--trace", str(trace))
    assert p.returncode == 2, p.stdout[-3000:]
    check_exit_line(p)
    assert image_says(p) == ["# replay: trace: line 2: NUL byte in the line"]


@pytest.mark.parametrize("arch", arches())
def test_control_byte_in_an_id_refused_as_on_host(arch, tmp_path):
    """Issue 25: an ESC or OSC in an ID reached the terminal raw (retitled it)."""
    trace = tmp_path / "esc.trace"
    trace.write_bytes(b"alloc a 4096\nalloc \x1b]0;pwned\x07 4096\n")
    host, _ = host_replay(trace)
    assert host.returncode == 2 and "line 2: a control byte (0x00-0x1f or 0x7f) in an ID" in \
        host.stderr
    p = boot(arch, "--trace", str(trace))
    assert p.returncode == 2, p.stdout[-3000:]
    check_exit_line(p)
    assert image_says(p) == ["# replay: trace: " + host_message(host.stderr)]
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout


@pytest.mark.parametrize("arch", arches())
def test_long_ids_as_on_host(arch, tmp_path):
    """The longest ID prints whole lines; a longer one is a malformed trace, as on the host."""
    long_id = "L" * 128
    good = tmp_path / "good.trace"
    good.write_text(f"alloc {long_id} 4096\nalloc b 4096\nfree {long_id}\nfree {long_id}\n")
    host, want = host_replay(good)
    assert host.returncode == 1 and want[0] == f"{long_id} 0x0"
    p = boot(arch, "--trace", str(good))
    assert p.returncode == 1, p.stdout[-3000:]
    assert replay_lines(p) == want
    bad = tmp_path / "bad.trace"
    bad.write_text("alloc " + "L" * 300 + " 4096\nalloc b 4096\n")
    host, _ = host_replay(bad)
    assert host.returncode == 2
    p = boot(arch, "--trace", str(bad))
    assert p.returncode == 2, p.stdout[-3000:]
    assert image_says(p) == ["# replay: trace: " + host_message(host.stderr)]


def big_trace(path, size):
    """A trace of size bytes whose last line a cut would spoil: alloc z 1048576."""
    with open(path, "wb") as f:
        f.write(b"alloc a 4096\n" + b"#" * (size - 13 - 17) + b"\nalloc z 1048576\n")
    return path


@pytest.mark.parametrize("arch", ["arm", "arm64", "riscv64"])
def test_trace_at_the_limit_arrives_whole(arch, tmp_path):
    """arm used to cut a big trace at the end of RAM and exit 0 with another
    break (arm64 shares its hand-over blob); riscv64's -initrd must leave it
    room below QEMU's device tree."""
    trace = big_trace(tmp_path / "max.trace", TRACE_MAX)
    host, want = host_replay(trace)
    assert host.returncode == 0 and want == ["a 0x0", "z 0x1000", "brk 0x101000"]
    p = boot(arch, "--trace", str(trace))
    assert p.returncode == 0, p.stdout[-3000:]
    assert replay_lines(p) == want


@pytest.mark.parametrize("arch", arches())
def test_trace_over_the_limit_refused_before_qemu(arch, tmp_path):
    trace = big_trace(tmp_path / "over.trace", TRACE_MAX + 1)
    p = run_qemu("--arch", arch, "--trace", str(trace))
    assert (p.returncode, p.stdout) == (2, "")
    assert "more than the limit of 67108864 (64 MiB) a trace may have" in p.stderr


@pytest.mark.parametrize("arch", ["amd64", "arm", "arm64"])
def test_trace_over_the_limit_refused_by_the_image(arch, tmp_path):
    """Handed over past run-qemu.sh's check, the image refuses it with the host's words."""
    trace = big_trace(tmp_path / "over.trace", TRACE_MAX + 1)
    host, _ = host_replay(trace)
    assert host.returncode == 2
    if arch in ("arm", "arm64"):
        blob = tmp_path / "blob"
        blob.write_bytes(f"heaplab: trace={TRACE_MAX + 1}\n".encode() + trace.read_bytes())
        extra = ["-device", f"loader,file={blob},addr=0x48000000,force-raw=on"]
    else:
        extra = ["-initrd", str(trace)]
    p = boot(arch, "--", *extra)
    assert p.returncode == 2, p.stdout[-3000:]
    assert image_says(p) == ["# replay: trace: " + host_message(host.stderr)]


@pytest.mark.parametrize("arch", arches())
def test_smp_beyond_the_target_is_usage_error(arch):
    """--smp 99 used to reach QEMU (arm: 125, amd64: 8 CPUs and a failed case after 43 s)."""
    p = run_qemu("--arch", arch, "--smp", "99")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr.startswith(f"run-qemu.sh: --smp 99 is more than the 8 CPUs the {arch} image")


@pytest.mark.parametrize(
    "args,why",
    [
        (["--heap", "+4096"], "not a number"),
        (["--heap", "1"], "heap 1 is not a whole number of pages (of 4096 bytes)"),
        (["--heap", "0x10"], "heap 16 is not a whole number of pages"),
        (["--page", "1073741824"], "page 1073741824 is not a power of two from 16 to 1048576"),
        (["--heap", "99999999999999999999999"], "number too large"),
        (["--heap", "0x8000000"], "heap 134217728 is more than the 67108864 bytes"),
        (["--trace", "."], "trace '.': is a directory"),
    ],
)
def test_bad_options_refused_before_qemu(args, why):
    p = run_qemu("--arch", "arm", *args)
    assert (p.returncode, p.stdout) == (2, "")
    assert len(p.stderr.splitlines()) == 1 and why in p.stderr, p.stderr


@pytest.mark.parametrize(
    "append,flags,why",
    [
        ("heap=+4096", ["--heap", "+4096"], "not a number"),
        ("heap=1", ["--heap", "1"], "heap 1 is not a whole number of pages (of 4096 bytes)"),
        ("page=1073741824", ["--page", "1073741824"], "page 1073741824 is not a power of two"),
        ("heap=99999999999999999999999", ["--heap", "99999999999999999999999"], "number too large"),
        ("smp=99", None, "bad command-line option 'smp=99'"),
    ],
)
def test_bad_options_refused_by_the_image(append, flags, why):
    """The image applies the host tool's rules to its own command line (x86: -append)."""
    if flags is not None:
        host = subprocess.run([str(REPLAY), *flags], input="", capture_output=True, text=True)
        assert host.returncode == 2 and why in host.stderr
    p = boot("amd64", "--", "-append", append)
    assert p.returncode == 2, p.stdout[-3000:]
    check_exit_line(p)
    assert why in p.stdout


def test_heap_beyond_the_image_refused_by_the_image(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("alloc a 4096\n")
    p = boot("amd64", "--trace", str(trace), "--", "-append", "heap=0x8000000")
    assert p.returncode == 2, p.stdout[-3000:]
    assert "# replay: heap 134217728 is more than the 67108864 bytes this image has" in p.stdout


@pytest.mark.parametrize("arch", ["amd64", "arm", "arm64", "riscv64"])
def test_qemu_refusing_to_start_is_reported(arch):
    p = boot(arch, "--", "-no-such-qemu-option")
    assert p.returncode == 123, (p.returncode, p.stderr)
    assert "run-qemu.sh: QEMU refused to start" in p.stderr


PCP = re.compile(r"^pcp (\d+): (\d+) allocs from the cache \((\d+) stolen\), (\d+) from the "
                 r"pool; (\d+) frees kept, (\d+) to the pool \(cache full\); (\d+) runs kept "
                 r"aside \(its lock busy\)$")


LARGE = re.compile(r"^large (\d+): (\d+) large objects from the stash, (\d+) from the objects "
                   r"layer; (\d+) frees kept, (\d+) to the layer \(stash full\)$")


def test_smp_stress_through_the_page_caches():
    """--pcp (kernel pcp): the stress's sys_alloc and sys_free go through a
    per-CPU page cache with stealing; the caches serve most allocations, a
    CPU steals from the other's, every cached run goes back to the pool at
    the end, and the stress's checks (the pool's, the caches') stay green."""
    p = boot("amd64", "--smp", "2", "--pcp", "--lockstat")
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}\n{p.stdout[-3000:]}"
    check_exit_line(p)
    lines = console_lines(p)
    pcp = {int(m.group(1)): [int(v) for v in m.groups()[1:]] for m in map(PCP.match, lines) if m}
    assert sorted(pcp) == [0, 1], p.stdout[-3000:]
    assert all(hits > pool for hits, _, pool, _, _, _ in pcp.values()), p.stdout[-3000:]
    assert sum(stolen for _, stolen, _, _, _, _ in pcp.values()) > 0, p.stdout[-3000:]
    assert any(re.match(r"^pcp: \d+ KiB back to the pool from the caches$", l) for l in lines)
    # large objects through each CPU's stash (kernel/kobj.c), given back to
    # the objects layer at the end: its heap as it was
    large = {int(m.group(1)): [int(v) for v in m.groups()[1:]] for m in map(LARGE.match, lines)
             if m}
    assert sorted(large) == [0, 1] and all(v[0] > 0 and v[2] > 0 for v in large.values()), \
        p.stdout[-3000:]
    # a tick does not wait for the pool's lock another CPU holds (kernel/tick.c)
    assert any(re.match(r"^timer: the most of the heap in use at a tick was \d+ KiB \(\d+ "
                        r"ticks skipped their sample: another CPU held the pool's lock\)$", l)
               for l in lines), p.stdout[-3000:]
    stats = {m.group(1): m for m in map(LOCKSTAT.match, lines) if m}
    assert "pcp 0" in stats and "pcp 1" in stats, p.stdout[-3000:]
    for name in ("every block zeroed on arrival and intact until freed",
                 "the byte counter is back at its start",
                 "the free list holds every byte taken through sbrk",
                 "every malloc of every CPU freed: the objects heap as it was"):
        assert f"ok   stress: {name}" in lines, p.stdout[-3000:]
    assert re.search(r"^\d+ passed, 0 failed$", p.stdout, re.M)


@pytest.mark.parametrize("arch", ["i386", "amd64"])
def test_an_nmi_is_reported_not_a_hang(arch, tmp_path):
    """An NMI (QEMU's inject-nmi through its QMP monitor, which lab 9's
    grader sends after seconds of a silent console, tools/imagerun.py)
    comes to every CPU of either x86 image (LINT1, the IDT's vector 2) and
    gets a report, never a hang or a triple fault: sent as the SMP stress
    begins, it finds the stress moving and the run goes on to pass, or,
    should it come just before the stress, stops the run `nmi: looped:`
    with each CPU's pc."""
    need_image(arch)
    mon = imagerun.Monitor()
    err = open(tmp_path / "stderr", "w+")
    p = subprocess.Popen([str(RUN), "--arch", arch, "--smp", "2", "--timeout", "60", "--",
                          *mon.argv()], cwd=ROOT, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=err, text=True, pass_fds=mon.fds())
    mon.started()
    try:
        lines, why = [], "not sent: no `2 CPUs up` line"
        for line in p.stdout:
            lines.append(line.rstrip("\r\n"))
            if lines[-1].startswith("2 CPUs up"):
                why = mon.nmi()
        status = p.wait(timeout=90)
    finally:
        mon.close()
        if p.poll() is None:
            p.kill()
    err.seek(0)
    text = "\n".join(lines) + "\n" + err.read()
    assert why is None, text
    for cpu in (0, 1):
        assert any(re.match(rf"nmi: cpu {cpu} at pc 0x[0-9a-f]+", s) for s in lines), text
    if "nmi: no loop: every CPU in the stress made progress within 5 s; going on" in lines:
        assert status == 0 and lines[-1] == "# heaplab: exit 0", text
    else:
        assert status == 120 and any(re.match(
            r"panic: cpu \d: nmi: looped: the console stayed silent until an NMI, which found "
            r"the CPUs at pc 0x[0-9a-f]+ 0x[0-9a-f]+ ", s) for s in lines), text
