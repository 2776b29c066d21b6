# SPDX-License-Identifier: BSD-3-Clause
# Tests for the gdb heap commands (tools/gdb/heaplab.py): on the host replay
# and, for each image that builds, through QEMU's gdb stub. Run with
# /usr/bin/python3 -m pytest tests/test_gdb.py; the sample traces are the
# repository's own, in traces/.
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import gdbstub  # noqa: E402 (pytest puts tests/ on the path)

REPO = Path(__file__).resolve().parents[1]
TRACES = REPO / "traces"
REPLAY = REPO / "build" / "host" / "replay"
HEAPLAB = REPO / "tools" / "gdb" / "heaplab.py"
HEAP_ARGS = {"oom-106": ["--heap", "4194304"]}  # as the trace's .expected was made
CORRUPT_TRACE = "bigsmall-105"  # leaves 10 free blocks: room to corrupt

def NODE(b):
    """gdb's expression for the placement-index node of free block b."""
    return f"((struct heaplab_node *)({b} + 1))"


# Each corruption: the lvalues to set (saved first, restored after) and the
# invariant `heap check` must name, with the block ($a, $b, $c: the first
# three free blocks) it must name.
CORRUPTIONS = [
    ("overlap", [("$a->size", "(char *)$b - (char *)$a + mempool.granule")],
     "free blocks overlap", "a"),
    ("touch", [("$a->size", "(char *)$b - (char *)$a")],
     "free blocks touch but were not merged", "a"),
    ("dirty", [("*((unsigned char *)$b + $b->size - 1)", "0x5a")],
     "free memory not zero", "b"),
    ("loop", [("$c->next", "$a")], "free list loops", "c"),
    ("order", [("mempool.freelist", "$b"), ("$b->next", "$a"), ("$a->next", "$c")],
     "free list not in ascending order", "b"),
    ("size", [("$b->size", "$b->size + 1")],
     "free block size not a nonzero multiple of the granule", "b"),
    ("align", [("$a->next", "(struct heaplab_hdr *)((char *)$b + 2 * sizeof(struct heaplab_hdr))")],
     "free block not aligned to the granule", None),
    ("bounds", [("$b->size", "(char *)mempool.bloc - (char *)$b + mempool.granule")],
     "free block outside [start, break)", "b"),
    # the pool's region ends at $b and a second one starts a granule above
    # it (another client's bytes between), the records all agreeing: $b is
    # no longer inside one region of the pool
    ("region", [("mempool.region[1].end", "mempool.region[0].end"),
                ("mempool.region[1].start", "(unsigned long)$b + mempool.granule"),
                ("mempool.region[0].end", "(unsigned long)$b"), ("mempool.nregion", "2"),
                ("mempool.taken", "mempool.taken - mempool.granule")],
     "free block not inside one region of the pool", "b"),
    ("balance", [("mempool.inuse", "mempool.inuse + mempool.granule")],
     "free + in use != taken", None),
    # the placement index: each free block's node follows its header
    ("tmax", [(f"{NODE('$a')}->max", f"{NODE('$a')}->max + mempool.granule")],
     "index subtree maximum wrong", "a"),
    ("tparent", [(f"{NODE('$a')}->avl.parent", "0")], "index link broken", None),
    ("theight", [(f"{NODE('$b')}->avl.height", f"{NODE('$b')}->avl.height + 1")],
     "index height wrong or unbalanced", None),
    ("tchild", [(f"{NODE('$c')}->avl.left", "(struct heaplab_avl_node *)1")], "index link broken", None),
]


# Issue 25: the pool's own records, corrupted one at a time; `heap check`
# names each (before it walks anything), and the displays say why they
# cannot draw instead of raising. Same shape as CORRUPTIONS; none names a block.
POOL_CORRUPTIONS = [
    ("granule0", [("mempool.granule", "0")], "pool's granule or bounds broken"),
    ("granule3", [("mempool.granule", "3")], "pool's granule or bounds broken"),
    ("nregion", [("mempool.nregion", "1000")], "region count outside [0, HEAPLAB_NREGION]"),
    ("nregionneg", [("mempool.nregion", "-1")], "region count outside [0, HEAPLAB_NREGION]"),
    ("rempty", [("mempool.region[0].end", "mempool.region[0].start")],
     "region empty or outside [start, end)"),
    ("ralign", [("mempool.region[0].start", "mempool.region[0].start + 8")],
     "region not aligned to the granule"),
    ("bloc", [("mempool.bloc", "mempool.bloc + mempool.granule")],
     "bloc is not the last region's end"),
    ("below", [("mempool.bloc", "mempool.start - mempool.granule")],
     "bloc is not the last region's end"),
    ("taken", [("mempool.taken", "mempool.taken + mempool.granule")],
     "regions do not add up to taken"),
]
# Every display, run over each pool corruption: none may end in a Python
# exception, and heap map must not call a corrupt pool empty.
DISPLAYS = ["heap list", "heap stats", "heap map", "heap tree", "heap dump"]


def pool_corruption_cmds(dump):
    """Commands that plant each pool corruption, run heap check and every
    display, restore, and check again."""
    cmds = []
    for name, sets, _ in POOL_CORRUPTIONS:
        for i, (lv, _) in enumerate(sets):
            cmds.append(f"set ${name}{i} = {lv}")
        cmds += [f"set var {lv} = {v}" for lv, v in sets]
        cmds += ["heap check"] + [c if c != "heap dump" else f"heap dump {dump}" for c in DISPLAYS]
        cmds += [f"set var {lv} = ${name}{i}" for i, (lv, _) in reversed(list(enumerate(sets)))]
        cmds.append("heap check")
    return cmds


def assert_pool_corruptions_named(out, cmds):
    """out: the outputs of cmds, pool_corruption_cmds()."""
    out = [o for o, c in zip(out, cmds) if c.startswith("heap ")]
    per = 2 + len(DISPLAYS)
    for i, (name, _, what) in enumerate(POOL_CORRUPTIONS):
        check, *shown, good = out[i * per:(i + 1) * per]
        assert f"heap check: FAILED: {what}: " in check, f"{name}: {check}"
        for cmd, o in zip(DISPLAYS, shown):
            assert "Traceback" not in o and "Python Exception" not in o, f"{name} {cmd}: {o}"
            assert "Error occurred in Python" not in o, f"{name} {cmd}: {o}"
            assert what in o, f"{name} {cmd}: {o}"
        hmap = shown[DISPLAYS.index("heap map")]
        assert "empty heap" not in hmap and "cannot draw the heap: " in hmap, f"{name}: {hmap}"
        if name == "below":
            assert "lies below its start" in hmap, hmap
        assert "heap check: ok" in good, f"{name} not restored: {good}"


def trace_path(name):
    p = TRACES / f"{name}.trace"
    assert p.exists(), f"no sample trace {p}"
    return p


def replay_free(text):
    """The replay's final `free 0xOFF 0xSIZE` lines, as (offset, size)."""
    return [(int(m[1], 16), int(m[2], 16))
            for m in re.finditer(r"^free (0x[0-9a-f]+) (0x[0-9a-f]+)\s*$", text, re.M)]


def listed(text):
    """The blocks of a `heap list` output, as (address, size)."""
    return [(int(m[1], 16), int(m[2], 16))
            for m in re.finditer(r"^(0x[0-9a-f]+) (0x[0-9a-f]+) +end 0x", text, re.M)]


def run_gdb(gdb, args, cmds, prelude=()):
    """Runs gdb in batch mode over cmds; answers each command's output
    (gdbstub.run_gdb fails if any is missing)."""
    return gdbstub.run_gdb(gdb, args, cmds, prelude)[2]


def corruption_cmds():
    """Commands that plant each corruption, check, restore and check again."""
    cmds = ["set $a = mempool.freelist", "set $b = $a->next", "set $c = $b->next"]
    for name, sets, _, _ in CORRUPTIONS:
        for i, (lv, _) in enumerate(sets):
            cmds.append(f"set ${name}{i} = {lv}")
        cmds += [f"set var {lv} = {v}" for lv, v in sets]
        cmds.append("heap check")
        cmds += [f"set var {lv} = ${name}{i}" for i, (lv, _) in reversed(list(enumerate(sets)))]
        cmds.append("heap check")
    return cmds


def assert_corruptions_named(out, blocks):
    """out: the outputs of corruption_cmds(); blocks: the first free blocks."""
    addr = dict(zip("abc", (f"block {a:#x}" for a, _ in blocks)))
    checks = [o for o, c in zip(out, corruption_cmds()) if c == "heap check"]
    for i, (name, _, what, who) in enumerate(CORRUPTIONS):
        bad, good = checks[2 * i], checks[2 * i + 1]
        assert f"heap check: FAILED: {what}: " in bad, f"{name}: {bad}"
        if who is not None:
            assert addr[who] in bad, f"{name}: want {addr[who]}: {bad}"
        assert "heap check: ok" in good, f"{name} not restored: {good}"


def assert_heap_ok(out_list, out_check, want, base):
    """heap list matches the replay's free lines; heap check passes."""
    got = listed(out_list)
    assert [(a - base, s) for a, s in got] == want, out_list
    m = re.search(r"heap check: ok \((\d+) blocks, (\d+) bytes free\)", out_check)
    assert m, out_check
    assert (int(m[1]), int(m[2])) == (len(want), sum(s for _, s in want))


# --- the host replay ---------------------------------------------------------

@pytest.fixture(scope="module")
def replay():
    if shutil.which("gdb") is None:
        pytest.skip("gdb is not installed (tools/deps.sh gdb)")
    subprocess.run(["make", "-s", "host"], cwd=REPO, check=True, timeout=600)
    return REPLAY


def host_session(replay, name, cmds):
    """Runs replay on trace name under gdb to replay_done, then cmds."""
    t = trace_path(name)
    args = HEAP_ARGS.get(name, [])
    want = subprocess.run([str(replay), *args, str(t)], text=True, stdout=subprocess.PIPE,
                          timeout=60)
    assert want.returncode == ("\nerror line " in "\n" + want.stdout), want.stdout
    pre = [f"source {HEAPLAB}", "break replay_done",
           f"run {' '.join(args)} {t} >/dev/null", "p/x mempool.start"]
    out = run_gdb("gdb", ["--args", str(replay)], pre + cmds)
    base = int(re.search(r"= (0x[0-9a-f]+)", out[3])[1], 16)
    return replay_free(want.stdout), base, out[len(pre):]


@pytest.mark.parametrize("name", sorted(p.stem for p in TRACES.glob("*.trace")))
def test_host_list_and_check(replay, name):
    want, base, (lst, chk, stats, hmap, lock) = host_session(
        replay, name, ["heap list", "heap check", "heap stats", "heap map", "heap lock"])
    assert_heap_ok(lst, chk, want, base)
    assert re.search(rf"^free blocks:\s+{len(want)}$", stats, re.M), stats
    assert re.search(rf"^heap start:\s+{base:#x}$", stats, re.M), stats
    rows = [r for r in hmap.splitlines() if re.match(r"\s*0x[0-9a-f]+ \|", r)]
    assert 0 < len(rows) <= 17, hmap
    assert ("." in hmap) == bool(want), hmap
    assert "lockarg is NULL" in lock, lock


def tree_lines(text):
    """The nodes of a `heap tree` output, as (depth, address, size, max, height)."""
    return [(len(m[1]) // 2, int(m[2], 16), int(m[3], 16), int(m[4], 16), int(m[5]))
            for m in re.finditer(r"^( *)(?:[LR] )?(0x[0-9a-f]+) (0x[0-9a-f]+) max "
                                 r"(0x[0-9a-f]+) h (\d+)$", text, re.M)]


def assert_tree_matches(out_tree, out_list):
    """heap tree holds exactly the listed blocks, each max and height right."""
    nodes, blocks = tree_lines(out_tree), listed(out_list)
    assert sorted((a, s) for _, a, s, _, _ in nodes) == blocks, out_tree
    m = re.search(r"^heap tree: (\d+) nodes?, height (\d+), root", out_tree, re.M)
    assert m and int(m[1]) == len(blocks), out_tree
    assert nodes[0][0] == 0 and nodes[0][4] == int(m[2]), out_tree
    # preorder: a node's subtree is the run of deeper lines after it
    for i, (d, _, size, mx, h) in enumerate(nodes):
        sub = [nodes[i]]
        for n in nodes[i + 1:]:
            if n[0] <= d:
                break
            sub.append(n)
        assert mx == max(n[2] for n in sub), out_tree
        assert h == 1 + max(n[0] - d for n in sub), out_tree


def test_host_tree(replay):
    want, base, (lst, tree) = host_session(replay, CORRUPT_TRACE, ["heap list", "heap tree"])
    assert len(want) >= 3
    assert_tree_matches(tree, lst)


def test_host_tree_list_mode(replay):
    t = trace_path("example-1")
    pre = [f"source {HEAPLAB}", "break replay_done", f"run --list {t} >/dev/null"]
    out = run_gdb("gdb", ["--args", str(replay)], pre + ["heap tree", "heap check"])
    assert "walks the list: no placement index" in out[len(pre)], out
    assert "heap check: ok" in out[len(pre) + 1], out


def test_host_corruptions_named(replay):
    cmds = ["heap list", "heap check"] + corruption_cmds()
    want, base, out = host_session(replay, CORRUPT_TRACE, cmds)
    assert_heap_ok(out[0], out[1], want, base)
    assert_corruptions_named(out[2:], listed(out[0])[:3])


def test_host_pool_corruptions_named(replay, tmp_path):
    cmds = pool_corruption_cmds(tmp_path / "snap.json")
    _, _, out = host_session(replay, CORRUPT_TRACE, ["heap check"] + cmds)
    assert "heap check: ok" in out[0], out[0]
    assert_pool_corruptions_named(out[1:], cmds)


def test_host_impossible_sizes_marked(replay):
    # A block's size that cannot be is marked where it is shown, in words.
    cmds = ["set $b = mempool.freelist->next", "set $s = $b->size",
            "set var $b->size = $s + 1", "heap list", "heap tree",
            "set var $b->size = 0", "heap list", "heap tree", "heap map",
            "set var $b->size = $s", "set $i = mempool.inuse",
            "set var mempool.inuse = mempool.end - mempool.start + 1", "heap stats",
            "set var mempool.inuse = $i", "heap check"]
    _, _, out = host_session(replay, CORRUPT_TRACE, cmds)
    odd, odd_tree, zero, zero_tree, hmap, stats, good = (out[3], out[4], out[6], out[7],
                                                         out[8], out[12], out[14])
    assert re.search(r"^0x[0-9a-f]+ 0x[0-9a-f]+1 .*\(impossible size: not a multiple of the "
                     r"granule 0x[0-9a-f]+\)$", odd, re.M), odd
    assert "(impossible size: not a multiple of the granule" in odd_tree, odd_tree
    assert re.search(r"^0x[0-9a-f]+ 0x0 .*\(impossible size: zero\)$", zero, re.M), zero
    assert "(impossible size: zero)" in zero_tree, zero_tree
    assert "one column = " in hmap and "Python" not in hmap, hmap
    assert re.search(r"^in use: .*\(impossible: more than the arena's 0x[0-9a-f]+\)$", stats,
                     re.M), stats
    assert "heap check: ok" in good, good


def test_host_pool_argument(replay):
    _, _, (ptr, num, missing) = host_session(
        replay, "example-2", ["heap check &mempool", "heap check 1", "heap list nosuch"])
    assert "heap check: ok (2 blocks" in ptr, ptr
    assert "not a struct heaplab_pool" in num, num
    assert "cannot evaluate 'nosuch'" in missing, missing


def test_host_errors(replay):
    out = run_gdb("gdb", [str(replay)], [f"source {HEAPLAB}", "heap check"])
    assert "the program is not running" in out[1], out[1]
    out = run_gdb("gdb", [str(replay)], [f"source {HEAPLAB}", "break main", "run", "heap map"])
    assert "is not set up yet" in out[3], out[3]
    true = shutil.which("true")
    out = run_gdb("gdb", [true], [f"source {HEAPLAB}", "starti", "heap list"])
    assert "no symbol 'mempool'" in out[2], out[2]


def failed_check_session(replay, tmp_path, redirect):
    """Replays a trace whose `check` line fails (a byte planted in a free
    block from gdb, at that check) with stdout to redirect; answers gdb's
    output of the continue that follows, the one after it, and the exit."""
    t = tmp_path / "cf.trace"
    t.write_text("alloc a 4096\nalloc b 4096\nfree a\ncheck\nalloc c 4096\n")
    cmds = ["break heaplab_check", "break replay_done", "break heaplab_fail",
            f"run {t} {redirect}", "set var *(char *)(mempool.start + 100) = 1",
            "continue", "continue", "continue"]
    return run_gdb("gdb", ["--args", str(replay)], cmds)[5:]


def test_host_failed_check_reaches_replay_done(replay, tmp_path):
    # The replay stops at the failed check, calls replay_done, then stops in
    # heaplab_fail as every failed check does, and exits 3.
    out = tmp_path / "out"
    done, fail, end = failed_check_session(replay, tmp_path, f"> {out}")
    assert "Breakpoint 2, replay_done ()" in done, done
    assert "Breakpoint 3, heaplab_fail (" in fail, fail
    assert "exited with code 03" in end, end
    assert "panic: mem: free memory not zero: byte 0x1 at offset 0x64" in end, end
    assert out.read_text().splitlines()[-1].startswith(
        "error line 4: check: mem: free memory not zero: "), out.read_text()


def test_host_failed_check_reports_lost_output(replay, tmp_path):
    # With stdout on a full disk, the lost output is reported (status 4),
    # and the check's words follow it: nothing is lost silently.
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    done, rest, _ = failed_check_session(replay, tmp_path, "> /dev/full")
    assert "Breakpoint 2, replay_done ()" in done, done
    assert "replay: write error on stdout: No space left on device (output lost)" in rest, rest
    assert "replay: and the check failed: mem: free memory not zero" in rest, rest
    assert "exited with code 04" in rest, rest


# --- the images, through QEMU's gdb stub --------------------------------------

ARCHES = {"i386": "gdb", "amd64": "gdb", "arm": "gdb-multiarch", "arm64": "gdb-multiarch",
          "riscv64": "gdb-multiarch"}


@pytest.fixture(scope="module", params=sorted(ARCHES))
def image(request):
    """The architecture, once its image is built; skips if it does not build."""
    arch = request.param
    if shutil.which(ARCHES[arch]) is None:
        pytest.skip(f"{ARCHES[arch]} is not installed (tools/deps.sh gdb)")
    if not (REPO / "run-qemu.sh").exists():
        pytest.skip("no run-qemu.sh yet")
    b = subprocess.run(["make", "-s", f"ARCH={arch}"], cwd=REPO, text=True, timeout=1800,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elf = REPO / "build" / arch / "kernel.elf"
    if b.returncode != 0 or not elf.exists():
        pytest.skip(f"the {arch} image does not build: {b.stdout[-400:]}")
    return arch


def start_qemu(arch, trace, log):
    """Starts run-qemu.sh --gdb on trace in a process group of its own
    (stop() ends it all); answers the process."""
    return gdbstub.start(["./run-qemu.sh", "--arch", arch, "--trace", str(trace), "--gdb"], log)


def wait_script(q, log):
    """Waits for the run's stub; answers the gdb script run-qemu.sh wrote."""
    return gdbstub.wait_stub(q, log.name)[1]


stop = gdbstub.stop


def image_session(arch, cmds):
    """Boots the image on the corruption trace under --gdb, attaches with the
    gdb script run-qemu.sh wrote for the run (from tools/gdb/gdbinit.tmpl),
    and runs cmds; answers the console and the outputs."""
    with tempfile.TemporaryDirectory() as tmp:
        console = Path(tmp) / "console"
        q = None
        with open(console, "w") as log:
            try:
                q = start_qemu(arch, trace_path(CORRUPT_TRACE), log)
                script = wait_script(q, log)
                text = script.read_text()
                assert f"ARCH={arch}" in text and "target remote /" in text, text
                out = run_gdb(ARCHES[arch], [], cmds, prelude=[script])
            finally:
                if q is not None:
                    stop(q)
        return console.read_text().replace("\r", ""), out


# Issue 25: the lock, corrupted from gdb. Its name made bytes that are not
# text (pointed at its own pc field, set to 0x80ff: bytes ff 80 00), then
# the pool's lockarg made unreadable where page 0 is known to be unmapped
# (the x86 images map every page but it); the list is checked all the same.
UNREADABLE = {"i386": "0x10", "amd64": "0x10"}


def lock_cmds(arch, dump):
    cmds = ["set $lk = (struct spinlock *)mempool.lockarg", "set $lkname = $lk->name",
            "set $lkpc = $lk->pc", "set var $lk->pc = 0x80ff",
            "set var $lk->name = (const char *)&$lk->pc",
            "heap lock", "heap check", f"heap dump {dump}",
            "set var $lk->name = $lkname", "set var $lk->pc = $lkpc", "heap lock"]
    if arch in UNREADABLE:
        cmds += ["set $lka = mempool.lockarg",
                 f"set var mempool.lockarg = (void *){UNREADABLE[arch]}",
                 "heap lock", "heap check", f"heap dump {dump}.2",
                 "set var mempool.lockarg = $lka", "heap lock"]
    return cmds


def assert_lock_corruptions_named(arch, out, cmds, dump):
    out = [o for o, c in zip(out, cmds) if c.startswith("heap ")]
    for o in out:
        assert "Python" not in o and "Traceback" not in o, o
    name, chk, dumped, good = out[:4]
    assert re.search(r"^heap lock: .*\(name corrupt: bytes ff 80 at 0x[0-9a-f]+, not text\): "
                     r"free", name, re.M), name
    assert "heap check: ok" in chk, chk
    assert "heap dump: wrote" in dumped, dumped
    lock = json.loads(Path(dump).read_text())["lock"]
    assert lock["name"].startswith("(name corrupt: bytes ff 80"), lock
    assert re.search(r'"[a-z_]+": free$', good, re.M), good
    if arch in UNREADABLE:
        lk, chk, dumped, good = out[4:8]
        assert re.search(rf"^heap lock: FAILED: lock unreadable: the lock at "
                         rf"{UNREADABLE[arch]} \(lockarg\): ", lk, re.M), lk
        assert re.search(r"^heap check: note: lock unreadable: .*mid-update is unknown$", chk,
                         re.M), chk
        assert "heap check: ok" in chk, chk  # the list is checked all the same
        assert "lock unreadable" in json.loads(Path(f"{dump}.2").read_text())["lock"]["error"]
        assert re.search(r'"[a-z_]+": free$', good, re.M), good


def test_image_list_check_corrupt(image, tmp_path):
    # In the first free the lock is held; at replay_done, list and check.
    pre = ["break mem_freel", "continue", "heap lock", "heap list", "heap check", "delete",
           "break replay_done", "continue"]
    after = ["heap list", "heap check", "heap stats", "heap lock", "heap tree"]
    dump = tmp_path / "snap.json"
    locks = lock_cmds(image, dump)
    console, out = image_session(image, pre + after + corruption_cmds() + locks)
    held, lst, chk, stats, lock, tree = out[2], *out[len(pre):len(pre) + 5]
    assert_tree_matches(tree, lst)
    m = re.search(r"^# base (0x[0-9a-f]+)$", console, re.M)
    assert m, f"no `# base` line from the image:\n{console}"
    assert_heap_ok(lst, chk, replay_free(console), int(m[1], 16))
    assert re.search(r"held by cpu \d+ from pc 0x[0-9a-f]+ <", held), held
    # heap check says, before judging, that the lock is held and by whom.
    assert re.search(r"^heap check: note: .* is held by cpu \d+ from pc 0x[0-9a-f]+ <", out[4],
                     re.M), out[4]
    assert re.search(r": free$", lock, re.M), lock
    assert "image heap:" in stats, stats
    assert_corruptions_named(out[len(pre) + len(after):-len(locks)], listed(lst)[:3])
    assert_lock_corruptions_named(image, out[-len(locks):], locks, dump)


# --- the objects layer (issue 23): heap spans, heap classes, heap check -----

# The self-test case `objects` stops in kobj_mark with an object of every
# class live and one large object; $s is class 1's span, CPU 0's cache's
# active span of the class (objects/cache.c). Each corruption: the lvalues
# to set (saved, then restored) and the rule `heap check` must name
# (objects/check.c's words).
OBJ_CORRUPTIONS = [
    ("freelist", [("$s->free", "(void *)($s->base + 8)")], "free list entry wrong"),
    ("inuse", [("$s->inuse", "$s->inuse + 1")], "counts disagree"),
    ("dirty", [("*(unsigned char *)($s->base + $s->bytes - 1)", "0x5a")],
     "never-handed-out object not zero"),
    ("nobj", [("$s->nobj", "$s->nobj + 1")], "span record disagrees with its class"),
    # the second page of the last class's span (8 pages; class 1's is one)
    ("pagemap", [("kobj_heap.pagemap[((kobj_caches[0].alloc[sizeof(kobj_heap.class) / "
                  "sizeof(kobj_heap.class[0]) - 1]->base - kobj_heap.start) >> kobj_heap.shift)"
                  " + 1]", "0")], "page map entry wrong"),
    ("partial", [("kobj_heap.class[1].partial", "$s")], "partial list wrong"),
    ("cache", [("kobj_caches[0].alloc[1]", "0")], "a cache and its spans disagree"),
    ("spans", [("kobj_heap.class[1].spans", "0")], "a class's list of every span wrong"),
    ("remote", [("$s->nremote", "1")], "counts disagree"),
    ("classcount", [("kobj_heap.class[2].inuse", "kobj_heap.class[2].inuse + 1")],
     "counts disagree"),
    ("nlarge", [("kobj_heap.nlarge", "kobj_heap.nlarge + 1")], "counts disagree"),
    ("nrecord", [("kobj_heap.nrecord", "kobj_heap.nrecord + 1")], "counts disagree"),
    ("poolinuse", [("kobj_pool.inuse", "kobj_pool.inuse + kobj_pool.granule")],
     "counts disagree"),
    ("shift", [("kobj_heap.shift", "3")], "heap record broken"),
]
OBJ_DISPLAYS = ["heap spans", "heap classes"]
OBJ_ARCHES = ["amd64", "arm64"]
# Where page 0 is known to be unmapped (UNREADABLE above): class 1's span's
# page map entry pointed there, a span record that cannot be read.
OBJ_UNREADABLE = {arch: ("unreadable", [
    ("kobj_heap.pagemap[($s->base - kobj_heap.start) >> kobj_heap.shift]", f"{addr}")],
    "span unreadable") for arch, addr in UNREADABLE.items()}


def obj_corruptions(arch):
    return OBJ_CORRUPTIONS + ([OBJ_UNREADABLE[arch]] if arch in OBJ_UNREADABLE else [])


def obj_corruption_cmds(arch):
    cmds = ["set $s = kobj_caches[0].alloc[1]"]
    for name, sets, _ in obj_corruptions(arch):
        for i, (lv, _) in enumerate(sets):
            cmds.append(f"set ${name}{i} = {lv}")
        cmds += [f"set var {lv} = {v}" for lv, v in sets]
        cmds += ["heap check kobj_heap", *OBJ_DISPLAYS]
        cmds += [f"set var {lv} = ${name}{i}" for i, (lv, _) in reversed(list(enumerate(sets)))]
        cmds.append("heap check kobj_heap")
    return cmds


@pytest.fixture(scope="module", params=OBJ_ARCHES)
def obj_image(request):
    """An image with the objects layer as its malloc, once it builds."""
    arch = request.param
    if shutil.which(ARCHES[arch]) is None:
        pytest.skip(f"{ARCHES[arch]} is not installed (tools/deps.sh gdb)")
    b = subprocess.run(["make", "-s", f"ARCH={arch}"], cwd=REPO, text=True, timeout=1800,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if b.returncode != 0 or not (REPO / "build" / arch / "kernel.elf").exists():
        pytest.skip(f"the {arch} image does not build: {b.stdout[-400:]}")
    return arch


def test_image_objects_spans_classes_check(obj_image):
    """heap spans/classes/check over the image's malloc, stopped with every
    class live: what they show agrees with the self-test's allocations; each
    corruption is named by heap check and no display raises; restored, ok."""
    arch = obj_image
    pre = ["hbreak kobj_mark", "continue", "heap spans", "heap classes", "heap check"]
    cmds = pre + obj_corruption_cmds(arch)
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "console"
        q = None
        with open(log_path, "w") as log:
            try:
                q = gdbstub.start(["./run-qemu.sh", "--arch", arch, "--test", "objects",
                                   "--gdb"], log)
                script = wait_script(q, log)
                out = run_gdb(ARCHES[arch], [], cmds, prelude=[script])
            finally:
                if q is not None:
                    stop(q)
    stopped, spans, classes, check = out[1:5]
    assert "kobj_mark" in stopped, stopped
    # one span of each of the 58 classes holds the case's one object of it
    rows = re.findall(r"^0x[0-9a-f]+ span +(\d+) pages +class +(\d+) +(\d+) B +in use +(\d+)/",
                      spans, re.M)
    assert sorted(int(r[1]) for r in rows) == list(range(1, 59)), spans
    assert all(int(r[3]) == 1 for r in rows), spans
    assert re.search(r"^0x[0-9a-f]+ large +24 pages", spans, re.M) or \
        re.search(r"^0x[0-9a-f]+ large +\d+ pages +0x18000 ", spans, re.M), spans
    assert re.search(r"^heap spans: 58 spans, 58 objects in use, 1 large object ", spans,
                     re.M), spans
    assert re.search(r"^ +1 +16 +\d+ 256 +1 +0 +1 +1 ", classes, re.M), classes
    assert all(l.endswith("  cache 0") for l in spans.splitlines() if " span " in l), spans
    assert re.search(r"^large: 1 in use, 0x18000 \(96 KiB\)", classes, re.M), classes
    assert re.search(r"^heap classes: 58 spans, 59 objects in use", classes, re.M), classes
    assert "heap check: objects: ok (58 spans, 58 objects in use, 1 large)" in check, check
    out = [o for o, c in zip(out[len(pre):], cmds[len(pre):]) if c.startswith("heap ")]
    per = 2 + len(OBJ_DISPLAYS)
    for i, (name, _, what) in enumerate(obj_corruptions(arch)):
        bad, *shown, good = out[i * per:(i + 1) * per]
        assert f"heap check: objects: FAILED: {what}: " in bad or \
            f"heap check: FAILED: {what}: " in bad, f"{name}: {bad}"
        for cmd, o in zip(OBJ_DISPLAYS, shown):
            for word in ("Traceback", "Python Exception", "Error occurred in Python"):
                assert word not in o, f"{name} {cmd}: {o}"
        assert "heap check: objects: ok" in good, f"{name} not restored: {good}"


def amd64_session(tmp_path, flags, cmds):
    """Builds the amd64 image, boots it with flags under --gdb (its console
    in tmp_path/console), and runs cmds through the run's gdb script;
    answers each command's output."""
    b = subprocess.run(["make", "-s", "ARCH=amd64"], cwd=REPO, text=True, timeout=1800,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert b.returncode == 0, b.stdout[-400:]
    q = None
    with open(tmp_path / "console", "w") as log:
        try:
            q = gdbstub.start(["./run-qemu.sh"] + flags + ["--gdb"], log)
            script = wait_script(q, log)
            return run_gdb("gdb", [], cmds, prelude=[script])
        finally:
            if q is not None:
                stop(q)


def test_image_heap_stats_counts_the_large_stashes(tmp_path):
    """--pcp: heap stats on the objects heap's pool shows the large objects
    each CPU's stash keeps (kernel/kobj.c), as it shows the page caches'
    bytes on the system pool: stopped where a CPU is about to give its
    stash back at the end of the SMP stress, the stashes hold some, and the
    CPUs' object caches own spans."""
    if shutil.which("gdb") is None:
        pytest.skip("gdb is not installed (tools/deps.sh gdb)")
    out = amd64_session(tmp_path, ["--smp", "2", "--pcp"],
                        ["hbreak kobj_stash_flush", "continue", "heap stats kobj_pool",
                         "heap stats"])
    stopped, objs, pages = out[1:4]
    assert "kobj_stash_flush" in stopped, stopped
    m = re.search(r"^large stashes: ?(0x[0-9a-f]+) .*\(per-CPU large objects, counted in use: "
                  r"(.*)\)$", objs, re.M)
    assert m and int(m[1], 16) > 0 and re.search(r"cpu [01] 0x", m[2]), objs
    assert "large stashes:" not in pages and "page caches:" in pages, pages
    # and the spans the CPUs' object caches own (objects/cache.c), likewise
    # in use as the pool knows them: on the objects heap's pool only
    m = re.search(r"^object caches: ?(0x[0-9a-f]+) .*\(spans they own, counted in use: (.*)\)$",
                  objs, re.M)
    assert m and int(m[1], 16) > 0 and re.search(r"cache [01]: \d+ spans 0x", m[2]), objs
    assert "object caches:" not in pages, pages


def test_image_heap_locks_as_lockstat_prints_them(tmp_path):
    """heap locks reads lockstat's table from the kernel's memory. Stopped
    where the kernel is about to print it (--smp 2 --lockstat: the SMP
    stress's most contended locks, then every lock at the end), its lines
    are the kernel's, number for number and in the same order; the
    console's lock aside, which the printing itself takes."""
    if shutil.which("gdb") is None:
        pytest.skip("gdb is not installed (tools/deps.sh gdb)")
    out = amd64_session(tmp_path, ["--smp", "2", "--lockstat"],
                        ["hbreak lockstat_print", "continue", "heap locks", "continue",
                         "heap locks", "continue"])
    console = (tmp_path / "console").read_text().replace("\r", "").splitlines()
    heads = [i for i, line in enumerate(console) if line.startswith("--- lock stats")]
    assert len(heads) == 2, console[-40:]
    tables = []
    for i in heads:
        rows = []
        for line in console[i + 1:]:
            if not line.startswith("lock: "):
                break
            rows.append(line)
        tables.append(rows)
    row = re.compile(r"^lock: (.+): #test-and-set (\d+) #acquire\(\) (\d+) hold (\d+) "
                     r"irq-off (\d+) wait (\d+) at (0x[0-9a-f]+|0)$")
    for k, (kernel, gdb_out) in enumerate(zip(tables, (out[2], out[4]))):
        ours = [line for line in gdb_out.splitlines() if line.startswith("lock: ")]
        assert re.search(r"^heap locks: \d+ rows, \d+ held now$", gdb_out, re.M), gdb_out
        if k == 0:  # the most contended five: the first rows of gdb's whole table
            ours = ours[:len(kernel)]
        mine = [row.match(line) for line in ours if not line.startswith("lock: console:")]
        theirs = [row.match(line) for line in kernel if not line.startswith("lock: console:")]
        why = f"gdb:\n{gdb_out}\nkernel:\n" + "\n".join(kernel)
        assert all(mine) and all(theirs) and len(mine) == len(theirs), why
        # the same locks in the same order, each count the kernel's; but a
        # timer tick between the stop and the printing may take a lock (its
        # sample of the pool, a trylock): a few acquires more, or a failed
        # attempt more, and a hold as long at least, never fewer
        for g, t in zip(mine, theirs):
            assert g[1] == t[1] and g[6] == t[6] and g[7] == t[7], why
            assert 0 <= int(t[2]) - int(g[2]) <= 2 and 0 <= int(t[3]) - int(g[3]) <= 10, why
            assert int(t[4]) >= int(g[4]) and int(t[5]) >= int(g[5]), why
            assert int(t[4]) == int(g[4]) or g[1] in ("mem", "objects pool"), why
        assert any(m[1] == "mem" for m in mine), gdb_out
    assert int(re.search(r"^lock: mem: #test-and-set (\d+)", out[4], re.M)[1]) > 0, out[4]

