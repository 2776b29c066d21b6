# SPDX-License-Identifier: BSD-3-Clause
# Boots an image halted under ./run-qemu.sh --gdb and drives gdb over it in
# batch mode, for every test that attaches (test_gdb, test_docs,
# test_heapview, test_kbase). Each run has its own directory, socket and gdb
# script (run-qemu.sh makes them), so tests running at the same time share
# no file; gdb runs each command to its end before the next (batch mode),
# and the script sets no limit on QEMU's replies (`set remotetimeout
# unlimited`), so nothing but the commands decides what the output is.
import os
import re
import shlex
import signal
import stat
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUB_TIMEOUT = 120  # seconds for run-qemu.sh to build, start QEMU and listen
GDB_TIMEOUT = 120   # seconds for one gdb run
ATTACH = re.compile(r"^run-qemu\.sh: QEMU waits for gdb; attach with: (.+)$", re.M)
TARGET = re.compile(r"^target remote (.+)$", re.M)


def start(argv, log, env=None):
    """Starts argv (a ./run-qemu.sh ... --gdb line) in a process group of its
    own, its output to the open file log; answers the process."""
    return subprocess.Popen(["timeout", "-k", "5", "300", *argv], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def tcp_listening(port):
    """Is some socket listening on TCP port? Read from /proc, without
    connecting (QEMU's stub takes one connection)."""
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(f).read_text().splitlines()[1:]
        except OSError:
            continue
        for r in rows:
            local, state = r.split()[1], r.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def stub_ready(target):
    """Does the stub the script names (a socket's path, or HOST:PORT) listen?"""
    if ":" in target:
        return tcp_listening(int(target.rsplit(":", 1)[1]))
    try:
        return stat.S_ISSOCK(os.stat(target).st_mode)
    except FileNotFoundError:
        return False


def wait_stub(q, log_path):
    """Waits until run-qemu.sh has said how to attach and QEMU's stub
    listens; answers (the gdb command's words, the script, its target)."""
    deadline = time.time() + STUB_TIMEOUT
    while True:
        text = Path(log_path).read_text(errors="replace")
        m = ATTACH.search(text)
        if m:
            words = shlex.split(m[1])
            script = Path(words[words.index("-x") + 1])
            target = TARGET.search(script.read_text())[1]
            if stub_ready(target):
                return words, script, target
        if q.poll() is not None or time.time() > deadline:
            raise AssertionError("run-qemu.sh --gdb never had a stub listening:\n" + text)
        time.sleep(0.1)


def stop(q):
    """Stops run-qemu.sh and QEMU: SIGTERM first, so that the script's trap
    removes the run's directory, then SIGKILL if they linger."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 30)):
        if q.poll() is not None:
            break
        try:
            os.killpg(q.pid, sig)
        except ProcessLookupError:
            pass
        try:
            q.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    q.wait(timeout=30)


def marked(cmds):
    """gdb -ex arguments running cmds, each output preceded by a marker line.
    (-ex, not a script: an error in a script would end the script.)"""
    argv = []
    for i, c in enumerate(cmds + [None]):
        argv += ["-ex", f"echo \\n@@{i}\\n"] + (["-ex", c] if c is not None else [])
    return argv


def split_marked(out, cmds):
    """gdb's marked output as (what came before the first command, each
    command's output); fails unless every marker is there, in order."""
    parts = re.split(r"^@@(\d+)$", out, flags=re.M)
    seen = [int(n) for n in parts[1::2]]
    assert seen == list(range(len(cmds) + 1)), \
        f"gdb's markers {seen}, not 0..{len(cmds)}: a command's output is missing:\n{out[-4000:]}"
    return parts[0], [parts[2 * i + 2] for i in range(len(cmds))]


def run_gdb(gdb, args, cmds, prelude=(), env=None):
    """Runs gdb in batch mode over cmds (after sourcing the prelude scripts);
    answers (its status, the text before the first command, each command's
    output)."""
    argv = ["timeout", "-k", "5", str(GDB_TIMEOUT), gdb, "-batch", "-nx"]
    for p in prelude:
        argv += ["-x", str(p)]
    p = subprocess.run(argv + marked(cmds) + list(args), cwd=REPO, env=env, text=True,
                       errors="replace", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=GDB_TIMEOUT + 30)
    head, outs = split_marked(p.stdout, cmds)
    return p.returncode, head, outs
