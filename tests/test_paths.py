# SPDX-License-Identifier: BSD-3-Clause
# Paths and temporary files that cannot hurt (issue 25): run-qemu.sh keeps
# its temporary files in a directory of its own and hands QEMU names it
# chose, so any trace path works on every target and an odd TMPDIR is named
# as such; the make targets that take a path pass it to the shell without
# the shell reading it; numbers mean what the host tool says they mean.
#   /usr/bin/python3 -m pytest tests/test_paths.py
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run-qemu.sh"
REPLAY = ROOT / "build" / "host" / "replay"
EXAMPLE = ROOT / "traces" / "example-1.trace"
ARCHES = ["i386", "amd64", "arm", "arm64", "riscv64"]
_built = {}


def make(*args, env=None, timeout=1800):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def need(target):
    if target not in _built:
        _built[target] = make(*target.split())
    p = _built[target]
    if p.returncode != 0:
        pytest.fail(f"make {target} failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")


def run(*args, env=None, timeout=180):
    return subprocess.run([str(RUN), *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def replay_lines(console):
    """The replay's own lines of a console log (the image adds # lines)."""
    return [l.rstrip("\r") for l in console.splitlines() if l and not l.startswith("#")]


def host(*args):
    need("host")
    return subprocess.run([str(REPLAY), *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def no_heaplab_dirs(tmp):
    return [p.name for p in Path(tmp).iterdir() if p.name.startswith("heaplab.")]


# --- TMPDIR -------------------------------------------------------------------


def test_tmpdir_with_a_space_deletes_nothing(tmp_path):
    """The EXIT trap's unquoted `rm -f -- $log $blob` deleted /d/victim when
    TMPDIR was "/d/victim dir"."""
    need("ARCH=amd64 image")
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (tmp_path / "victim dir").mkdir()
    env = dict(os.environ, TMPDIR=str(tmp_path / "victim dir"))
    p = run("--arch", "amd64", "--trace", str(EXAMPLE), env=env)
    assert victim.read_text() == "keep me\n"
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    assert p.stderr.startswith(f"run-qemu.sh: TMPDIR '{tmp_path}/victim dir': a space, comma"), \
        p.stderr
    assert not no_heaplab_dirs(tmp_path / "victim dir")


@pytest.mark.parametrize("kind", ["missing", "file", "comma", "colon"])
def test_odd_tmpdir_named(tmp_path, kind):
    """Was "QEMU refused to start" (123) for a TMPDIR that does not exist."""
    d = {"missing": tmp_path / "nope", "file": tmp_path / "f", "comma": tmp_path / "a,b",
         "colon": tmp_path / "a:b"}[kind]
    if kind == "file":
        d.write_text("")
    elif kind != "missing":
        d.mkdir()
    why = {"missing": "no such directory", "file": "not a directory",
           "comma": "a space, comma, colon or control character",
           "colon": "a space, comma, colon or control character"}[kind]
    p = run("--arch", "amd64", env=dict(os.environ, TMPDIR=str(d)))
    assert (p.returncode, p.stdout) == (2, ""), (p.returncode, p.stderr)
    assert p.stderr.startswith(f"run-qemu.sh: TMPDIR '{d}': {why}"), p.stderr
    assert len(p.stderr.splitlines()) == 1, p.stderr


def test_tmpdir_too_long_for_the_gdb_socket(tmp_path):
    d = tmp_path / ("d" * (100 - len(str(tmp_path))))
    d.mkdir()
    p = run("--gdb", "--dry-run", env=dict(os.environ, TMPDIR=str(d)))
    assert p.returncode == 2 and "too long for the gdb stub's socket" in p.stderr, p.stderr
    p = run("--dry-run", env=dict(os.environ, TMPDIR=str(d)))
    assert p.returncode == 0, p.stderr


def test_run_leaves_no_temporary_file(tmp_path):
    need("ARCH=arm image")
    p = run("--arch", "arm", "--trace", str(EXAMPLE), env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert p.returncode == 0, p.stderr
    assert list(tmp_path.iterdir()) == []


# --- any trace path, every target ----------------------------------------------


@pytest.mark.parametrize("arch", ARCHES)
def test_trace_path_with_space_and_comma(arch, tmp_path):
    """x86's multiboot -initrd split "/p/a b,c.trace" at the comma and cut it
    at the space: the image replayed /p/a and exited 0."""
    need(f"ARCH={arch} image")
    trace = tmp_path / "a b,c.trace"
    trace.write_text(EXAMPLE.read_text())
    (tmp_path / "a").write_text("alloc decoy 1\n")
    want = host(str(trace))
    p = run("--arch", arch, "--trace", str(trace))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    assert replay_lines(p.stdout) == want.stdout.splitlines()


@pytest.mark.parametrize("arch", ["amd64", "arm"])
def test_unsized_trace_read(arch):
    """A pipe has no size; it is read, and replays as the host replays it."""
    need(f"ARCH={arch} image")
    want = host(str(EXAMPLE))
    p = subprocess.run(["bash", "-c", f'{RUN} --arch {arch} --trace <(cat "$0")', EXAMPLE],
                       cwd=ROOT, capture_output=True, text=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    assert replay_lines(p.stdout) == want.stdout.splitlines()


def test_proc_file_is_a_trace_like_any_other():
    """--trace /proc/self/environ ended in "line 272: need + : syntax error",
    exit 1; it is read, and refused as the host refuses it (NUL bytes)."""
    need("ARCH=amd64 image")
    want = host("/proc/self/environ")
    assert want.returncode == 2
    why = want.stderr.split(": ", 2)[2].strip()
    p = run("--arch", "amd64", "--trace", "/proc/self/environ")
    assert p.returncode == 2, p.stdout[-2000:] + p.stderr
    assert f"# replay: trace: {why}" in p.stdout, p.stdout


def test_unsized_trace_past_the_limit(tmp_path):
    need("ARCH=amd64 image")
    p = subprocess.run(["bash", "-c", f"{RUN} --trace <(head -c 67108865 /dev/zero)"],
                       cwd=ROOT, capture_output=True, text=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    assert (p.returncode, p.stdout) == (2, ""), p.stderr
    assert "more than 67108864 bytes, the limit (64 MiB) a trace may have" in p.stderr


# --- numbers as the host reads them --------------------------------------------


@pytest.mark.parametrize("flag,value,why", [
    ("--heap", "0x10000000000000000", "number too large (the most is 2^64-1)"),
    ("--heap", "18446744073709551616", "number too large (the most is 2^64-1)"),
    ("--heap", "18446744073709551615",
     "heap 18446744073709551615 is not a whole number of pages (of 4096 bytes)"),
    ("--page", "0xffffffffffffffff",
     "page 18446744073709551615 is not a power of two from 16 to 1048576"),
])
def test_numbers_refused_in_the_host_tools_words(flag, value, why):
    h = host(flag, value, str(EXAMPLE))
    assert h.returncode == 2 and why in h.stderr, h.stderr
    p = run(flag, value, "--dry-run")
    assert (p.returncode, p.stdout) == (2, ""), p.stderr
    assert why in p.stderr, p.stderr


def test_a_number_the_host_takes_is_a_number():
    """run-qemu.sh called 0x1000000000000000 too large; the host reads it
    (then cannot map that much): here it is more than the image's heap."""
    h = host("--heap", "0x1000000000000000", str(EXAMPLE))
    assert "not a number" not in h.stderr and "too large" not in h.stderr, h.stderr
    p = run("--heap", "0x1000000000000000", "--dry-run")
    assert p.returncode == 2, p.stderr
    assert "heap 1152921504606846976 is more than the 67108864 bytes the image's heap has" \
        in p.stderr, p.stderr


# --- make targets that take a path ---------------------------------------------


def test_make_heapview_path_with_a_quote(tmp_path):
    """make heapview TRACE="bob's.trace" was a shell syntax error."""
    trace = tmp_path / "bob's demo.trace"
    trace.write_text(EXAMPLE.read_text())
    out = tmp_path / "o $(x).html"
    p = make("heapview", f"TRACE={trace}", f"OUT={out}")
    assert p.returncode == 0, p.stderr
    assert f"heapview: wrote {out} (10 steps)" in p.stdout, p.stdout
    assert out.exists()


@pytest.mark.parametrize("target,var", [("heapview", "TRACE"), ("heapview", "SNAPSHOT"),
                                        ("heapview", "PAGE"), ("heapmap", "TRACE"),
                                        ("heapmap", "STEP"), ("check-lab", "N"),
                                        ("check-lab", "LOG")])
def test_make_runs_no_command_from_a_variable(tmp_path, target, var):
    """A crafted TRACE (or any other variable) ran a command; now each is
    refused as the file or value it is."""
    mark = tmp_path / "ran"
    value = f"x'; touch {mark}; '$(touch {mark})`touch {mark}`"
    args = {"heapview": {"TRACE": str(EXAMPLE), "OUT": str(tmp_path / "o.html")},
            "heapmap": {"TRACE": str(EXAMPLE), "HEAPMAP_OUT": str(tmp_path / "map")},
            "check-lab": {"N": "2"}}[target]
    args.pop("TRACE", None) if var == "SNAPSHOT" else None
    args[var] = value
    p = make(target, *(f"{k}={v}" for k, v in args.items()), timeout=300)
    assert p.returncode != 0, p.stdout
    assert not mark.exists(), f"make {target} {var}=... ran a command:\n{p.stdout}{p.stderr}"
