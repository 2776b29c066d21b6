# Tests of the kernel base's safe defaults (issue 16): the gdb stub on the
# loopback address and a per-user port, the heap bounded by RAM, guarded
# memory that names the fault, and one self-test case run alone.
#   /usr/bin/python3 -m pytest tests/test_kbase.py
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run-qemu.sh"
ARCHES = ["i386", "amd64", "arm"]
QEMU_TIMEOUT = 120
EXIT_LINE = re.compile(r"^# heaplab: exit (\d+)$")
_built = {}


def make(*args, env=None):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=1800)


def need_image(arch):
    if arch not in _built:
        _built[arch] = make(f"ARCH={arch}", "image")
    p = _built[arch]
    if p.returncode != 0:
        pytest.fail(f"make ARCH={arch} image failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")


def run(*args, env=None, timeout=QEMU_TIMEOUT + 60):
    return subprocess.run([str(RUN), *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def boot(arch, *flags):
    need_image(arch)
    return run("--arch", arch, "--timeout", str(QEMU_TIMEOUT), *flags)


def lines(p):
    return [line.rstrip("\r") for line in p.stdout.splitlines()]


def exit_line(p):
    """The number on the run's last console line, which must be the exit line."""
    ls = [line for line in lines(p) if line]
    assert ls, f"no console output; stderr: {p.stderr}"
    m = EXIT_LINE.match(ls[-1])
    assert m, f"last line is not the exit line: {ls[-1]!r}\n{p.stdout[-2000:]}\n{p.stderr}"
    return int(m[1])


def default_port():
    return 25000 + os.getuid() % 5000


def env_without_gdbport(**extra):
    env = {k: v for k, v in os.environ.items() if k != "GDBPORT"}
    env.update(extra)
    return env


# --- the gdb stub -------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHES)
def test_gdb_port_default_and_override(arch):
    p = run("--arch", arch, "--gdb", "--dry-run", env=env_without_gdbport())
    assert p.returncode == 0, p.stderr
    assert f"-gdb tcp:127.0.0.1:{default_port()}\n" in p.stdout, p.stdout
    p = run("--arch", arch, "--gdb", "--dry-run", env=env_without_gdbport(GDBPORT="4321"))
    assert p.returncode == 0 and "-gdb tcp:127.0.0.1:4321\n" in p.stdout, p.stdout


@pytest.mark.parametrize("port", ["0", "65536", "12ab", "-1"])
def test_gdb_port_bad(port):
    p = run("--gdb", "--dry-run", env=env_without_gdbport(GDBPORT=port))
    assert p.returncode == 2 and "GDBPORT" in p.stderr and p.stdout == "", (p.stdout, p.stderr)


def test_gdbinit_default_port(tmp_path):
    """make gdbinit, with no GDBPORT, attaches to the same default port."""
    p = make("gdbinit", env=env_without_gdbport())
    assert p.returncode == 0, p.stderr
    text = (ROOT / ".gdbinit").read_text()
    assert f"target remote 127.0.0.1:{default_port()}\n" in text, text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listeners(port):
    """The local addresses of the sockets listening on TCP port, as
    /proc/net/tcp{,6} spell them (hex, network byte order)."""
    found = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(f).read_text().splitlines()[1:]
        except OSError:
            continue
        for r in rows:
            local, state = r.split()[1], r.split()[3]
            addr, p = local.rsplit(":", 1)
            if state == "0A" and int(p, 16) == port:
                found.append(addr)
    return found


@pytest.mark.parametrize("arch", ARCHES)
def test_gdb_stub_listens_on_loopback_only(arch):
    need_image(arch)
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        q = subprocess.Popen(["timeout", "-k", "5", "120", str(RUN), "--arch", arch, "--gdb"],
                             cwd=ROOT, env=env_without_gdbport(GDBPORT=str(port)),
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            deadline = time.time() + 90
            while not listeners(port):
                assert q.poll() is None and time.time() < deadline, "the stub never listened"
                time.sleep(0.2)
            addrs = listeners(port)
        finally:
            if q.poll() is None:
                os.killpg(q.pid, signal.SIGKILL)
            q.wait(timeout=30)
    # 127.0.0.1 is 0100007F; 0.0.0.0 and :: (all zeros) must not appear.
    assert addrs and all(a == "0100007F" for a in addrs), addrs
