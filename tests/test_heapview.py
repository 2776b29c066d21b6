# SPDX-License-Identifier: BSD-3-Clause
# Tests of the heap viewer (tools/heapview.py, make heapview) in a real
# browser: Debian's headless chromium driven through chromium-driver and
# python3-selenium (tools/deps.sh browser). Run with /usr/bin/python3 -m pytest.
import http.server
import json
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import heapview  # noqa: E402
from test_gdb import ARCHES, image, run_gdb, start_qemu, stop, wait_script  # noqa

REPO = Path(__file__).resolve().parents[1]
REPLAY = REPO / "build" / "host" / "replay"
HEAPVIEW = REPO / "tools" / "heapview.py"
DEMO = REPO / "lab" / "demo.trace"
# Seven free blocks between used ones, of sizes 1 to 7 pages, out of order.
HOLES = "".join(f"alloc h{i} {4096 * (i * 3 % 7 + 1)}\nalloc u{i} 1\n" for i in range(7)) + \
    "".join(f"free h{i}\n" for i in range(7))
SHOTS = REPO / "build" / "heapview"
PAGE = 0x1000
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1300,1000"]

# Every effect the page names, one operation each (the comments say which).
EFFECTS = """alloc a 4096
alloc b 4096
alloc c 4096
alloc d 4096
alloc e 4096
free b
alloc f 4096
free c
free f
free d
alloc g 4096
free a
free e
free g
alloc big 0x100000000
free nosuch
freeat 0x2000 4096
alloc z 0
check
"""
EFFECT_WORDS = [  # (operation, effect kind, words in its sentence)
    (1, "sbrk", "the free list is empty: sbrk grew the heap by 0x1000"),
    (6, "insert", "no free neighbour"),
    (7, "exact", "first fit chose the block at 0x1000 (size 0x1000): an exact fit, unlinked"),
    (8, "insert", "no free neighbour"),
    (9, "merge-next", "merged with the next free block"),
    (10, "merge-prev", "merged with the previous free block"),
    (11, "carve", "carved 0x1000 from its top, so g got [0x3000, 0x4000)"),
    (12, "merge-next", "the block is now [0x0, 0x3000)"),
    (13, "insert", "no free neighbour"),
    (14, "merge-both", "merged with the previous and the next free block"),
    (15, "nil", "big got nil: no free block holds"),
    (16, "refused", "refused: unknown id; nothing changed"),
    (17, "refused", "refused: double free"),
    (18, "nil", "size 0 is refused"),
    (19, "check", "every invariant holds"),
]


@pytest.fixture(scope="module", autouse=True)
def replay_built():
    subprocess.run(["make", "-s", "--no-print-directory", "build/host/replay"], cwd=REPO,
                   check=True, timeout=300)


def steps_of(trace, *flags):
    """Runs replay --steps; answers its output."""
    p = subprocess.run([str(REPLAY), "--steps", *flags, str(trace)], stdout=subprocess.PIPE,
                       text=True, timeout=60)
    assert p.returncode in (0, 1), p.stdout
    return p.stdout


def expected_states(trace_text, steps_text):
    """Each step's blocks worked out here from the trace and the replay's
    lines alone: [{(kind, offset): size-and-label}] for steps 0..N."""
    ops = [t for t in (s.split("#")[0].split() for s in trace_text.splitlines()) if t]
    answers = dict(re.findall(r"^(\S+) (0x[0-9a-f]+)$", steps_text, re.M))
    records = re.findall(r"^step (\d+) line \d+ brk (0x[0-9a-f]+) free \d+\n((?:  .*\n)*)",
                         steps_text, re.M)
    live, states = {}, [{}]
    for (n, _, blocks), op in zip(records, ops):
        if op[0] == "alloc" and op[1] in answers:
            live[op[1]] = (int(answers[op[1]], 16), -(-int(op[2], 0) // PAGE) * PAGE)
        elif op[0] == "free":
            live.pop(op[1], None)
        st = {("alloc", off): (size, [ident, hex(off)]) for ident, (off, size) in live.items()}
        for off, size, nxt in re.findall(r"^  (0x\S+) (0x\S+) (\S+)$", blocks, re.M):
            st[("free", int(off, 16))] = (int(size, 16), [f"next {nxt}", f"size {size}"])
        states.append(st)
    return states


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in CHROMIUM_FLAGS:
        opts.add_argument(a)
    with tempfile.TemporaryDirectory() as profile:
        opts.add_argument(f"--user-data-dir={profile}")
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        d.set_page_load_timeout(60)
        try:
            yield d
        finally:
            d.quit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """make heapview TRACE=lab/demo.trace OUT=...: answers (page, steps text)."""
    out = tmp_path_factory.mktemp("hv") / "demo.html"
    p = subprocess.run(["make", "-s", "--no-print-directory", "heapview", f"TRACE={DEMO}",
                        f"OUT={out}"], cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    assert p.returncode == 0, p.stdout
    assert f"heapview: wrote {out} (8 steps)" in p.stdout
    return out, out.with_suffix(".steps").read_text()


def drawn(d):
    """{(kind, offset): (size, label lines)} of the blocks in the after row
    (read in one script: a round trip per element is slow)."""
    rows = d.execute_script(
        "return [...document.querySelectorAll('#after g.blk')].map((g) => [g.dataset.kind,"
        " g.dataset.off, g.dataset.size, [...g.querySelectorAll('text')].map((t) =>"
        " t.textContent)]);")
    return {(k, int(off, 16)): (int(size, 16), labels) for k, off, size, labels in rows}


def key(d, k):
    """Presses k on the page (the focus on its body)."""
    ActionChains(d).send_keys(k).perform()


def svg(d):
    return d.find_element(By.ID, "heap").get_attribute("innerHTML")


def open_page(d, page):
    d.get_log("browser")  # what earlier pages logged
    d.get(page.as_uri())
    assert d.find_element(By.ID, "heap").get_attribute("data-step") == "0"
    assert d.get_log("browser") == [], "the page logged errors"


def test_the_page_is_one_file_that_fetches_nothing(demo):
    text = demo[0].read_text()
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src '
                     r"'none';", text)
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", text)
    assert not re.search(r"url\((?!#)", text) and "@import" not in text
    assert "0x7f" not in text  # offsets, never host addresses


def test_keys_step_forward_and_back_with_the_replay_offsets(browser, demo):
    page, steps = demo
    want = expected_states(DEMO.read_text(), steps)
    assert len(want) == 9
    open_page(browser, page)
    pictures = []
    for n in range(9):
        assert browser.find_element(By.ID, "heap").get_attribute("data-step") == str(n)
        assert drawn(browser) == want[n], f"step {n}"
        pictures.append(svg(browser))
        key(browser, Keys.ARROW_RIGHT)
    assert len(set(pictures)) == 9  # every step draws something else
    assert browser.find_element(By.ID, "stepno").text == "step 8 of 8"  # and stops at the end
    for n in range(8, -1, -1):
        assert svg(browser) == pictures[n], f"back at step {n}"
        key(browser, Keys.ARROW_LEFT)
    key(browser, Keys.END)
    assert svg(browser) == pictures[8]
    # the links: every free block's next, as an arrow to its block
    browser.execute_script("heapview.show(6)")
    links = {(e.get_attribute("data-from"), e.get_attribute("data-to"))
             for e in browser.find_elements(By.CSS_SELECTOR, "#links path[data-to]")
             if e.get_attribute("data-from")}
    assert links == {("0x0", "0x4000")}
    assert "nil" in [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#links text")]


def test_the_tree_beside_the_list(browser, demo):
    """Each step's placement index, as replay --steps printed it."""
    page, steps = demo
    trees = [[]] + [re.findall(r"^  (0x\S+) left (\S+) right (\S+) max (0x\S+) height \d+$",
                               part, re.M)
                    for part in re.split(r"^step \d+ .*\n", steps, flags=re.M)[1:]]
    assert len(trees) == 9 and [len(t) for t in trees] == [0, 0, 0, 0, 1, 1, 2, 2, 1]
    open_page(browser, page)
    for n, want in enumerate(trees):
        browser.execute_script(f"heapview.show({n})")
        got = browser.execute_script(
            "return [...document.querySelectorAll('#tree g.node')].map((g) => [g.dataset.off,"
            " g.dataset.left, g.dataset.right, g.dataset.max])")
        assert sorted(map(tuple, got)) == sorted(want), f"step {n}"
    assert browser.find_elements(By.CSS_SELECTOR, "#tree g.node.hit")  # step 8 merged here


def test_the_slider_steps(browser, demo):
    page, steps = demo
    want = expected_states(DEMO.read_text(), steps)
    open_page(browser, page)
    slider = browser.find_element(By.ID, "slider")
    slider.send_keys(Keys.ARROW_RIGHT)
    slider.send_keys(Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "heap").get_attribute("data-step") == "2"
    assert drawn(browser) == want[2]
    browser.execute_script("const s = document.getElementById('slider'); s.value = 6;"
                           "s.dispatchEvent(new Event('input'));")
    assert drawn(browser) == want[6]
    assert "op 6, trace line 9: free c" in browser.find_element(By.ID, "op").text
    slider.send_keys(Keys.ARROW_LEFT)
    assert drawn(browser) == want[5]
    assert "carved 0x1000 from its top" in browser.find_element(By.ID, "effect").text


def test_hover_names_the_block(browser, demo):
    open_page(browser, demo[0])
    browser.execute_script("heapview.show(5)")
    ActionChains(browser).move_to_element(
        browser.find_element(By.CSS_SELECTOR, "#after-0x2000 rect")).perform()
    tip = browser.find_element(By.ID, "tip")
    assert tip.is_displayed()
    assert re.fullmatch(r"ID d\noffset 0x2000\nsize 0x1000 \(4096 B\)\n"
                        r"made by op 5 \(trace line 8\): alloc d 4096", tip.text), tip.text
    ActionChains(browser).move_to_element(
        browser.find_element(By.CSS_SELECTOR, "#after-0x0 rect")).perform()
    assert "free block\noffset 0x0\nsize 0x2000" in tip.text
    assert "next nil" in tip.text and "made by op 5" in tip.text


def test_zoom_widens_small_blocks(browser, demo):
    open_page(browser, demo[0])
    browser.execute_script("heapview.show(5)")
    wide = lambda: float(browser.find_element(By.CSS_SELECTOR, "#after-0x2000 rect")
                         .get_attribute("width"))
    before = wide()
    browser.find_element(By.ID, "zoomop").click()
    assert wide() > 1.5 * before
    assert browser.find_element(By.ID, "range").text == "showing [0x1000, 0x4000)"
    browser.find_element(By.TAG_NAME, "body").send_keys("0")
    assert wide() == before


def test_every_effect_is_named(browser, tmp_path):
    trace = tmp_path / "effects.trace"
    trace.write_text(EFFECTS)
    steps = tmp_path / "effects.steps"
    steps.write_text(steps_of(trace))
    page = tmp_path / "effects.html"
    p = subprocess.run([sys.executable, str(HEAPVIEW), str(trace), str(steps), "-o", str(page)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert p.returncode == 0, p.stdout
    open_page(browser, page)
    want = expected_states(EFFECTS, steps.read_text())
    for n, kind, words in EFFECT_WORDS:
        browser.execute_script(f"heapview.show({n})")
        e = browser.find_element(By.ID, "effect")
        assert e.get_attribute("data-kind") == kind and words in e.text, (n, e.text)
        assert drawn(browser) == want[n], f"step {n}"
    browser.execute_script("heapview.show(16)")
    assert browser.find_elements(By.CSS_SELECTOR, "#highlight rect.refused") == []  # no range
    browser.execute_script("heapview.show(17)")  # freeat 0x2000, inside a free block
    assert browser.find_elements(By.CSS_SELECTOR, "#highlight rect.refused")


OTHER_CLIENT = """alloc a 4096
sbrk 100
alloc b 4096
freeat 0x1000 4096
sbrk 8192
"""


def test_another_client_of_the_break(browser, tmp_path):
    """A trace's sbrk: its bytes, and the pool's region gap, are drawn as not
    the pool's; the pool's next region starts above them; a free of them is
    refused."""
    trace = tmp_path / "other.trace"
    trace.write_text(OTHER_CLIENT)
    steps = tmp_path / "other.steps"
    steps.write_text(steps_of(trace))
    assert "regions 2\n  0x0 0x1000\n  0x2000 0x3000\n" in steps.read_text()
    page = tmp_path / "other.html"
    p = subprocess.run([sys.executable, str(HEAPVIEW), str(trace), str(steps), "-o", str(page)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert p.returncode == 0, p.stdout
    open_page(browser, page)
    for n, kind, words, other in [
            (2, "other", "took [0x1000, 0x1064) at the break", {0x1000: 100}),
            (3, "sbrk", "b got [0x2000, 0x3000)", {0x1000: 0x1000}),
            (4, "refused", "range not obtained by this pool", {0x1000: 0x1000}),
            (5, "other", "took [0x3000, 0x5000)", {0x1000: 0x1000, 0x3000: 0x2000})]:
        browser.execute_script(f"heapview.show({n})")
        e = browser.find_element(By.ID, "effect")
        assert e.get_attribute("data-kind") == kind and words in e.text, (n, e.text)
        got = {off: size for (k, off), (size, _) in drawn(browser).items() if k == "other"}
        assert got == other, n


class Counter(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):
        Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_no_request_leaves_the_page(browser, demo):
    """The page loads nothing; and its policy stops a request even when a
    script tries one (to a server of ours, on this machine)."""
    srv = http.server.HTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/x"
    try:
        open_page(browser, demo[0])
        for _ in range(3):
            browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
        assert browser.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        assert browser.execute_script("return location.protocol") == "file:"
        got = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"const i = new Image(); i.src = '{url}?img';"
            f"fetch('{url}?fetch').then(() => done('fetched'), () => done('refused'));")
        assert got == "refused"
        assert Counter.hits == []
        blocked = [e["message"] for e in browser.get_log("browser")]
        assert any("violates the following Content Security Policy" in m and "?img" in m
                   for m in blocked), blocked
    finally:
        srv.shutdown()


def test_screenshot(browser, demo):
    """A picture to look at (build/heapview/test-step7.png)."""
    open_page(browser, demo[0])
    browser.execute_script("heapview.show(7)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SHOTS / "test-step7.png"))
    assert (SHOTS / "test-step7.png").stat().st_size > 20000


@pytest.mark.parametrize("edit,words", [
    (lambda s: s.split("\n", 1)[1], "does not start with `# steps granule"),
    (lambda s: s.replace("step 3 line 6", "step 4 line 6"), "step 4 after step 2"),
    (lambda s: s.replace("d 0x2000", "d 0x3000"), "nothing covers [0x2000, 0x3000)"),
    (lambda s: s.replace("d 0x2000", "d 0x1000"),
     "d at 0x1000 overlaps free, which ends at 0x2000"),
    (lambda s: s.replace("  0x0 0x2000 0x4000", "  0x0 0x2000"), "want `0xOFF 0xSIZE 0xNEXT`"),
    (lambda s: s.replace("line 11", "line 12"), "operation 8 of the trace is on line 11"),
])
def test_a_replay_of_something_else_is_refused(tmp_path, demo, edit, words, capsys):
    steps = tmp_path / "bad.steps"
    steps.write_text(edit(demo[1]))
    out = tmp_path / "bad.html"
    assert heapview.main([str(DEMO), str(steps), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("heapview: ") and words in err, err
    assert not out.exists()


# --- snapshots: gdb's `heap dump FILE`, opened with --snapshot ----------------

def step_blocks(steps_text, n):
    """Step n's free blocks from replay --steps: [(offset, size, next)]."""
    m = re.search(rf"^step {n} line \d+ brk (0x[0-9a-f]+) free \d+\n((?:  .*\n)*)", steps_text,
                  re.M)
    return int(m[1], 16), [tuple(t.split()) for t in m[2].splitlines()]


def dumped_blocks(snap):
    return [(b["offset"], b["size"], b["next"] or "nil") for b in snap["free"]]


def show_snapshot(browser, snap_path, tmp_path):
    """make heapview SNAPSHOT=...; opens the page; answers the drawn blocks."""
    page = tmp_path / "snap.html"
    p = subprocess.run(["make", "-s", "--no-print-directory", "heapview", f"SNAPSHOT={snap_path}",
                        f"OUT={page}"], cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    assert p.returncode == 0 and f"heapview: wrote {page} (snapshot)" in p.stdout, p.stdout
    open_page(browser, page)
    return drawn(browser)


def assert_drawn_as_dumped(got, snap):
    """The free blocks where the dump has them, the runs between them in use."""
    free = {int(b["offset"], 16): int(b["size"], 16) for b in snap["free"]}
    assert {off: size for (k, off), (size, _) in got.items() if k == "free"} == free
    at, brk = 0, int(snap["break"], 16) - int(snap["start"], 16)
    for (kind, off), (size, labels) in sorted(got.items(), key=lambda kv: kv[0][1]):
        assert off == at and (kind == "free" or labels[0] == "in use"), (off, kind, labels)
        at = off + size
    assert at == brk


def gdb_host(program, cmds, *args):
    out = run_gdb("gdb", ["--args", str(program), *map(str, args)],
                  [f"source {REPO / 'tools' / 'gdb' / 'heaplab.py'}"] + cmds)
    return out[1:]


def test_heap_dump_of_the_host_replay(browser, tmp_path):
    snap_path = tmp_path / "host.json"
    # in free b (op 7 of the trace), before it runs: the heap after op 6
    out = gdb_host(REPLAY, ["break mem_freel if replay_opno == 7", f"run {DEMO} >/dev/null",
                            f"heap dump {snap_path}"])
    assert re.search(rf"^heap dump: wrote {snap_path} \(2 free blocks, a tree of 2 nodes\)$",
                     out[2], re.M), out
    snap = json.loads(snap_path.read_text())
    brk, want = step_blocks(steps_of(DEMO), 6)
    assert dumped_blocks(snap) == want
    assert int(snap["break"], 16) - int(snap["start"], 16) == brk
    assert snap["lock"] is None and snap["walk_error"] is None
    assert [n["offset"] for n in snap["tree"]["nodes"]] == ["0x0", "0x4000"]  # 0x4000 below
    assert (snap["format"], snap["version"], snap["granule"]) == ("heaplab-snapshot", 1, "0x1000")
    assert_drawn_as_dumped(show_snapshot(browser, snap_path, tmp_path), snap)
    effect = browser.find_element(By.ID, "effect").text
    assert "2 free blocks, break at 0x6000; no lock object" in effect, effect


def test_heap_dump_holds_the_tree(browser, tmp_path):
    """The host replay indexes its free blocks: the dump has the tree, whose
    in-order walk is the free list; in --list mode there are no nodes."""
    snaps, holes = {}, tmp_path / "holes.trace"
    holes.write_text(HOLES)
    for mode in ("index", "list"):
        snaps[mode] = tmp_path / f"{mode}.json"
        flags = "--list " if mode == "list" else ""
        out = gdb_host(REPLAY, ["break replay_done", f"run {flags}{holes} >/dev/null",
                                f"heap dump {snaps[mode]}"])
        assert re.search(r"\(\d+ free blocks, a tree of \d+ nodes\)", out[2]), out
    snap, listed = (json.loads(snaps[m].read_text()) for m in ("index", "list"))
    assert dumped_blocks(snap) == dumped_blocks(listed) and len(snap["free"]) == 7
    tree = snap["tree"]
    assert tree["index"] == 1 and tree["walk_error"] is None
    assert listed["tree"] == {"index": 0, "root": None, "nodes": [], "walk_error": None}
    nodes = {n["offset"]: n for n in tree["nodes"]}
    assert tree["nodes"][0]["offset"] == tree["root"] and nodes[tree["root"]]["parent"] is None

    def inorder(off):
        return [] if off is None else inorder(nodes[off]["left"]) + [off] + \
            inorder(nodes[off]["right"])

    def largest(off):
        n = nodes[off]
        return max([int(n["size"], 16)] + [largest(c) for c in (n["left"], n["right"]) if c])

    assert inorder(tree["root"]) == [b["offset"] for b in snap["free"]]
    for off, n in nodes.items():
        assert int(n["max"], 16) == largest(off), n
        assert all(nodes[c]["parent"] == off for c in (n["left"], n["right"]) if c)
    show_snapshot(browser, snaps["index"], tmp_path)
    drawn_nodes = browser.execute_script(
        "return [...document.querySelectorAll('#tree g.node')].map((g) => g.dataset.off)")
    assert sorted(drawn_nodes) == sorted(nodes)


def test_heap_dump_of_each_image(browser, image, tmp_path):
    """On each target, stopped in QEMU in the third free of the demo (with
    the allocator's lock held): the dump is the replay's heap after op 6."""
    console = tmp_path / "console"
    snap_path = tmp_path / f"{image}.json"
    with open(console, "w") as log:
        q = start_qemu(image, DEMO, log)
        try:
            script = wait_script(q, log)
            out = run_gdb(ARCHES[image], [], ["break mem_freel if replay_opno == 7", "continue",
                                              f"heap dump {snap_path}"], prelude=[script])
        finally:
            stop(q)
    assert "(2 free blocks, a tree of 2 nodes)" in out[2], out
    snap = json.loads(snap_path.read_text())
    base = re.search(r"^# base (0x[0-9a-f]+)", console.read_text(), re.M)
    assert base and snap["start"] == base[1], console.read_text()
    brk, want = step_blocks(steps_of(DEMO), 6)
    assert dumped_blocks(snap) == want
    assert int(snap["break"], 16) - int(snap["start"], 16) >= brk  # the platform's, page-rounded
    assert int(snap["bloc"], 16) - int(snap["start"], 16) == brk
    lock = snap["lock"]
    assert lock["locked"] and lock["cpu"] == 0 and "heaplab_free" in lock["where"], lock
    assert_drawn_as_dumped(show_snapshot(browser, snap_path, tmp_path), snap)
    assert "held by cpu 0" in browser.find_element(By.ID, "effect").text


# --- issue 25: traces and snapshots chosen to hurt ----------------------------

def page_of(tmp_path, trace_bytes, *flags, name="t"):
    """Writes the trace, replays it with --steps and runs heapview over
    both; answers (status, stderr, the page's path)."""
    trace, steps, page = (tmp_path / f"{name}{ext}" for ext in (".trace", ".steps", ".html"))
    trace.write_bytes(trace_bytes)
    with open(steps, "wb") as f:
        subprocess.run([str(REPLAY), "--steps", *flags, str(trace)], stdout=f, timeout=60)
    p = subprocess.run([sys.executable, str(HEAPVIEW), str(trace), str(steps), "-o", str(page)],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr, page


def page_data(page):
    text = page.read_text()
    data = text.split('<script id="heapview-data" type="application/json">', 1)[1]
    return data.split("</script>", 1)[0]


def test_an_id_that_reads_as_markup_leaves_the_page_whole(browser, tmp_path):
    """An ID `<!--<script>` blanked the page: the data escaped `</` only,
    and the HTML parser read the rest as its own."""
    st, err, page = page_of(tmp_path, b"alloc <!--<script> 4096\nalloc a&b>c 4096\n"
                                      b"free <!--<script>\n")
    assert st == 0, err
    data = page_data(page)
    assert not set("<>&") & set(data)
    assert json.loads(data)["steps"][2]["alloc"][1][0] == "a&b>c"
    open_page(browser, page)
    key(browser, Keys.ARROW_RIGHT)
    assert "alloc <!--<script> 4096" in browser.find_element(By.ID, "op").text
    key(browser, Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "heap").get_attribute("data-step") == "2"
    assert browser.get_log("browser") == []


def test_an_alloc_of_id_brk_is_an_alloc(tmp_path):
    """heapview took `brk 0x0`, the answer of `alloc brk`, for the final break."""
    st, err, page = page_of(tmp_path, b"alloc brk 4096\nalloc x 4096\nfree brk\n")
    assert st == 0, err
    m = json.loads(page_data(page))
    assert m["steps"][1]["printed"] == ["brk 0x0"]
    assert m["steps"][3]["effect"]["text"].startswith("freed brk [0x0, 0x1000)")


def test_ids_the_replay_takes_are_taken_and_shown_escaped(tmp_path):
    """A no-break space, U+2028, U+0085 and bytes that are not UTF-8: the
    replay takes them; heapview split lines with Python's rules and refused
    or crashed. They are shown escaped, never raw."""
    st, err, page = page_of(tmp_path, b"alloc \xc2\xa0 4096\nalloc a\xe2\x80\xa8b 4096\n"
                                      b"alloc \xc2\x85 4096\nalloc \xff 4096\nfree \xc2\xa0\n")
    assert st == 0, err
    m = json.loads(page_data(page))
    assert [a[0] for a in m["steps"][4]["alloc"]] == ["\\xa0", "a\\u2028b", "\\x85", "\\xff"]
    assert m["ops"][4] == "free \\xa0"


@pytest.mark.parametrize("bad", [b"\x1b]0;pwned\x07", b"a\x0bb", b"a\x7f"], ids=["osc", "vt", "del"])
def test_a_control_byte_is_refused_in_the_replays_words(tmp_path, bad):
    st, err, page = page_of(tmp_path, b"alloc x 16\nalloc " + bad + b" 16\n")
    assert st == 2 and not page.exists()
    assert err == (f"heapview: {tmp_path / 't.trace'}: line 2: a control byte (0x00-0x1f or "
                   "0x7f) in an ID (the replay prints IDs: they must not reach a terminal raw)\n")


def test_a_trace_past_the_step_limit_is_refused_before_any_work(tmp_path):
    """The replay's largest trace, 131,072 allocs, wrote a page that threw
    RangeError; a page now steps through at most 32,768 operations (the
    README's limits), and a longer trace is refused before the replay's
    steps are even read."""
    trace = tmp_path / "long.trace"
    trace.write_text("alloc a 0\n" * 131072)
    p = subprocess.run([sys.executable, str(HEAPVIEW), str(trace), str(tmp_path / "unread"),
                        "-o", str(tmp_path / "long.html")], capture_output=True, text=True,
                       timeout=120)
    assert (p.returncode, p.stderr) == (2, f"heapview: {trace}: 131072 operations: a page steps "
                                        "through at most 32768 operations: cut the trace "
                                        "(tools/heapmap.py draws long ones)\n")


def test_the_largest_page_opens_and_steps(browser, tmp_path):
    """A page of 32,768 operations, the limit, opens and steps to its end."""
    n = heapview.MAX_STEPS
    text = "".join(f"alloc a{i % 4} 16\nfree a{i % 4}\n" for i in range(n // 2))
    st, err, page = page_of(tmp_path, text.encode(), "--page", "16")
    assert st == 0, err
    open_page(browser, page)
    key(browser, Keys.END)
    assert browser.find_element(By.ID, "heap").get_attribute("data-step") == str(n)
    key(browser, Keys.ARROW_LEFT)
    assert browser.find_element(By.ID, "heap").get_attribute("data-step") == str(n - 1)
    assert f"op {n - 1}, trace line {n - 1}: alloc a3 16" in \
        browser.find_element(By.ID, "op").text
    assert browser.get_log("browser") == []


def test_the_entries_limit_stops_the_work_it_bounds(tmp_path, monkeypatch):
    """The limit on the page's entries was checked after building every
    step (4,000 live allocs: 8 s and 847 MB, then the refusal); it stops
    the building as soon as it is passed."""
    monkeypatch.setattr(heapview, "MAX_ENTRIES", 1000)
    trace, steps = tmp_path / "t.trace", tmp_path / "t.steps"
    trace.write_text("".join(f"alloc a{i} 4096\n" for i in range(300)))
    with open(steps, "w") as f:
        subprocess.run([str(REPLAY), "--steps", str(trace)], stdout=f, timeout=60)
    built = []
    real = heapview.Model.tiles
    monkeypatch.setattr(heapview.Model, "tiles", lambda m, st: (built.append(st.n), real(m, st)))
    with pytest.raises(heapview.ViewError, match=r"by step (\d+) the replay holds more than "
                                                  r"1000 entries"):
        heapview.steps_page(str(trace), str(steps))
    assert len(built) < 60  # sum of 1..k + k passes 1000 near k = 44


SNAP = {"format": "heaplab-snapshot", "version": 1, "pool": "mempool", "arch": "i386:x86-64",
        "start": "0x100000", "end": "0x200000", "break": "0x104000", "bloc": "0x104000",
        "regions": [["0x0", "0x4000"]], "granule": "0x1000", "taken": "0x4000",
        "inuse": "0x2000", "checking": True,
        "free": [{"offset": "0x1000", "size": "0x2000", "next": None, "addr": "0x101000",
                  "next_addr": "0x0"}],
        "walk_error": None, "lock": None}


def snapshot_status(tmp_path, text, capsys):
    path = tmp_path / "s.json"
    path.write_text(text)
    out = tmp_path / "s.html"
    st = heapview.main(["--snapshot", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    assert (st == 0) == out.exists()
    return st, err.replace(f"{path}: ", "")


def test_a_snapshot_by_hand_is_drawn(tmp_path, capsys):
    st, err = snapshot_status(tmp_path, json.dumps(SNAP), capsys)
    assert st == 0, err
    m = json.loads(page_data(tmp_path / "s.html"))
    assert m["steps"][0]["free"] == [[0x1000, 0x2000, None, None]]
    assert m["snapshot"]["start"] == "0x100000"


@pytest.mark.parametrize("edit,words", [
    (lambda t: t.replace('"taken": "0x4000"', '"taken": NaN'), "field taken is NaN: want a whole"),
    (lambda t: t.replace('"taken": "0x4000"', '"taken": 1e400'), "field taken is Infinity"),
    (lambda t: t.replace('"taken": "0x4000"', '"taken": 1.5'), "field taken is 1.5"),
    (lambda t: t.replace('"taken": "0x4000"', '"taken": "-1"'), 'field taken is "-1"'),
    (lambda t: t.replace('"taken": "0x4000"', '"taken": "0x10000000000000000"'),
     "want a whole number from 0 to 2^64-1"),
    (lambda t: t.replace('[["0x0", "0x4000"]]', "[[1, 2, 3]]"),
     "field regions[0] is a list of 3: want a pair [a, b]"),
    (lambda t: t.replace('"lock": null', '"lock": "x"'), "field lock is a string: want an object"),
    (lambda t: t.replace('"lock": null', '"lock": {"addr": "0x1", "name": 5, "locked": true, '
                         '"cpu": 0, "pc": "0x0", "where": null}'),
     "field lock.name is a number: want a string"),
    (lambda t: t.replace('"checking": true', '"checking": "yes"'),
     "field checking is a string: want true or false"),
    (lambda t: t.replace('"next": null', '"next": {}'), "field free[0].next is {}: want a whole"),
    (lambda t: t.replace('"granule": "0x1000"', '"granule": "0x0"'),
     "field granule is 0x0: want a power of two"),
    (lambda t: t.replace('"size": "0x2000"', '"size": "0x200000"'),
     "field free[0]: a block [0x1000, +0x200000) past the heap's end, 0x100000"),
    (lambda t: t.replace('"break": "0x104000"', '"break": "0x0"'), "field break is 0x0, outside"),
    (lambda t: t.replace('"free": [', '"free": 7, "x": ['), "field free is a number: want a list"),
    (lambda t: t.replace('"pool": "mempool", ', ""), "field pool is missing"),
    (lambda t: t.replace('"walk_error": null', '"walk_error": null, "extra": ' + "[" * 20 +
                         "]" * 20), "field extra[0][0][0][0][0][0][0] is nested deeper than 8"),
    (lambda t: t.replace('"walk_error": null', '"walk_error": null, "extra": ' + "[" * 200000 +
                         "]" * 200000), "nested too deep for a JSON reader"),
], ids=["nan", "inf", "float", "negative", "past-2^64", "region-of-3", "lock-x", "lock-name",
        "checking", "next", "granule-0", "block-past-end", "break-outside", "free-not-list",
        "missing", "deep", "very-deep"])
def test_a_snapshot_off_its_schema_is_refused_naming_the_field(tmp_path, capsys, edit, words):
    """NaN, [[1,2,3]], "lock": "x", deep nesting blanked the page or ended
    in a traceback (exit 1); the documented status is 2, with the field."""
    st, err = snapshot_status(tmp_path, edit(json.dumps(SNAP)), capsys)
    assert st == 2 and words in err and "Traceback" not in err, err
    assert err.startswith("heapview: ") and err.count("\n") == 1, err


def test_a_snapshot_past_its_limits_is_refused(tmp_path, capsys):
    many = dict(SNAP, free=[{"offset": "0x0", "size": "0x0", "next": None, "addr": "0x0",
                             "next_addr": "0x0"}] * (heapview.MAX_SNAPSHOT_BLOCKS + 1))
    st, err = snapshot_status(tmp_path, json.dumps(many), capsys)
    assert st == 2 and f"field free has {heapview.MAX_SNAPSHOT_BLOCKS + 1} entries, more " \
        f"than the limit of {heapview.MAX_SNAPSHOT_BLOCKS}" in err, err
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(heapview.MAX_SNAPSHOT_BYTES + 1)  # sparse: never read past the limit
    assert heapview.main(["--snapshot", str(big), "-o", str(tmp_path / "big.html")]) == 2
    assert "more than 67108864 bytes, the limit for a snapshot" in capsys.readouterr().err


# --- issue 23: a trace of small objects, its spans and objects ----------------

OBJECTS_TRACE = REPO / "traces" / "objects" / "small-201.trace"


def expected_objects(trace_text, steps_text):
    """Each step's spans worked out here from the replay's lines and the
    trace alone: [{span offset: (class, [(state, ID or None)] per object)}]."""
    ops = [t for t in (s.split("#")[0].split() for s in trace_text.splitlines()) if t]
    ids, states, spans, answer = {}, [{}], None, None
    for line in steps_text.splitlines() + ["step end"]:
        m = re.fullmatch(r"  span (0x\S+) class (\d+) size (\d+) bytes \S+ nobj (\d+) inuse \d+ "
                         r"fresh (\d+) used (0x\S+)", line)
        if m:
            off, size, used, fresh = int(m[1], 16), int(m[3]), int(m[6], 16), int(m[5])
            at = {a: k for k, a in ids.items()}
            spans[off] = (int(m[2]), [("use" if used >> i & 1 else "free" if i < fresh else "new",
                                       at.get(off + i * size)) for i in range(int(m[4]))])
        elif line.startswith("step "):
            if spans is not None:
                states.append(spans)
            if line == "step end":
                break
            op = ops[len(states) - 1]
            if op[0] == "mfree":
                ids.pop(op[1])
            elif answer and answer[0] == op[1] and answer[1] != "nil":
                ids[op[1]] = int(answer[1], 16)
            spans, answer = {}, None
        elif re.fullmatch(r"\S+ (0x[0-9a-f]+|nil)", line):
            answer = line.split(" ")
    return states


def drawn_objects(d):
    """{span offset: (class, [(state, ID or None)])} as the panel draws them."""
    rows = d.execute_script(
        "return [...document.querySelectorAll('#objects g.span')].map((g) => [g.id,"
        " g.dataset.class, [...g.querySelectorAll('g.obj')].map((o) => [o.dataset.state,"
        " o.dataset.id === undefined ? null : o.dataset.id])]);")
    return {int(i[len("span-"):], 16): (int(c), [tuple(o) for o in objs]) for i, c, objs in rows}


def test_spans_and_objects_as_the_replay_left_them(browser, tmp_path):
    """make heapview on a trace of small objects: each span's objects in use
    (with the IDs holding them), free and never handed out, step by step,
    as the replay's own lines say; each effect named."""
    out = tmp_path / "small.html"
    p = subprocess.run(["make", "-s", "--no-print-directory", "heapview",
                        f"TRACE={OBJECTS_TRACE}", f"OUT={out}"], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert p.returncode == 0, p.stdout
    assert f"heapview: wrote {out} (32 steps)" in p.stdout
    want = expected_objects(OBJECTS_TRACE.read_text(), out.with_suffix(".steps").read_text())
    open_page(browser, out)
    for n, kind, words in [
            (1, "obj-alloc", "a new span of class 1 (16 B) from the pool, [0x21000, 0x22000)"),
            (9, "obj-alloc", "the head of its span's free list, object 0 (freed before)"),
            (10, "obj-in-place", "in place, 16 bytes still round to its class 1"),
            (23, "obj-free", "the span emptied and was not its class's only span with room: "
             "its pages [0x27000, 0x28000) went back to the pool"),
            (27, "obj-large", "a large object, pages straight from the pool, [0x28000, 0x32000)"),
            (28, "obj-in-place", "[0x31000, 0x32000) went back to the pool"),
            (32, "check", "every invariant holds")]:
        browser.execute_script(f"heapview.show({n})")
        e = browser.find_element(By.ID, "effect")
        assert e.get_attribute("data-kind") == kind and words in e.text, (n, e.text)
        assert drawn_objects(browser) == want[n], f"step {n}"
    browser.execute_script("heapview.show(9)")  # name5 took name2's freed object
    hit = browser.find_element(By.ID, "obj-hit")
    assert hit.find_element(By.XPATH, "..").get_attribute("id") == "span-0x22000"
    assert drawn_objects(browser)[0x22000][1][0] == ("use", "name5")
    assert want[22][0x25000][1][2] == ("free", None) and want[21][0x25000][1][2][0] == "use"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("heapview.show(23)")
    assert browser.save_screenshot(str(SHOTS / "test-objects-step23.png"))
    assert browser.get_log("browser") == []


@pytest.mark.parametrize("edit,words", [
    (lambda s: s.replace("fresh 1 used 0x1", "fresh 1 used 0x0", 1),
     "name1 holds 0x21000, which the replay's spans do not show in use"),
    (lambda s: s.replace("objects spans 1 large 0", "objects spans 2 large 0", 1),
     "want a span or large object line (2 spans, 0 large)"),
    (lambda s: re.sub(r"\nobjects spans .*\n  span .*\n", "\n", s, count=1),
     "the replay printed no objects heap"),
])
def test_objects_of_another_replay_are_refused(tmp_path, edit, words, capsys):
    steps = tmp_path / "bad.steps"
    steps.write_text(edit(steps_of(OBJECTS_TRACE)))
    out = tmp_path / "bad.html"
    assert heapview.main([str(OBJECTS_TRACE), str(steps), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("heapview: ") and words in err, err
    assert not out.exists()


def test_a_refused_object_line_changes_nothing_on_the_page(tmp_path):
    st, err, page = page_of(tmp_path, b"malloc a 10\nmfree a\nmfree a\nrealloc b 5\n")
    assert st == 0, err
    m = json.loads(page_data(page))
    assert [s["effect"]["kind"] for s in m["steps"][1:]] == ["obj-alloc", "obj-free", "refused",
                                                            "refused"]
    assert m["steps"][3]["effect"]["text"] == \
        "refused: double free (the id was freed already); nothing changed"
    assert m["steps"][3]["objects"] == m["steps"][2]["objects"]
    assert m["steps"][4]["effect"]["text"] == "refused: unknown id; nothing changed"


# --- issue 26: what happened, not what the rule says ---------------------------

def model_of(trace_text, steps_text, tmp_path):
    trace, steps = tmp_path / "t.trace", tmp_path / "t.steps"
    trace.write_text(trace_text)
    steps.write_text(steps_text)
    return heapview.steps_page(str(trace), str(steps))


def test_a_free_that_does_not_merge_is_told_so(tmp_path):
    """A free that left two touching blocks was told as `no free neighbour:
    a new block`, the rule's words for another case: the text comes from
    the heap before and after, with the seed's merge beside it."""
    steps = steps_of(DEMO, "--list")
    merged = "step 7 line 10 brk 0x6000 free 2\n  0x0 0x2000 0x3000\n  0x3000 0x3000 nil\n"
    assert merged in steps
    m = model_of(DEMO.read_text(), steps.replace(merged, (
        "step 7 line 10 brk 0x6000 free 3\n  0x0 0x2000 0x3000\n  0x3000 0x1000 0x4000\n"
        "  0x4000 0x2000 nil\n")), tmp_path)
    e = m["steps"][7]["effect"]
    assert e["kind"] == "insert" and e["text"] == (
        "freed b [0x3000, 0x4000): a new block; the block is now [0x3000, 0x4000) (the seed "
        "merges a block with the free blocks it touches: expected [0x3000, 0x6000), got "
        "[0x3000, 0x4000))"), e
    assert m["steps"][8]["effect"]["text"].startswith(
        "freed d [0x2000, 0x3000): merged with the previous and the next free block; the "
        "block is now [0x0, 0x6000)")


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    """make heapview LAB=alloc over two of the grader's planted bugs, as a
    student runs it: in build/lab-alloc, which lab 6's sessions in
    test_docs.py build too (one worker runs both), so that only the
    student's file is compiled: {name: (page, steps text, what make printed)}."""
    import test_grade
    tmp = tmp_path_factory.mktemp("student")
    pages = {}
    for name in ("alloc-bottom", "alloc-header-page"):
        out = tmp / f"{name}.html"
        p = subprocess.run(["make", "-s", "--no-print-directory", "heapview", f"TRACE={DEMO}",
                            "LAB=alloc", f"LAB_ALLOC={test_grade.lab_mutant(tmp, name)}",
                            f"OUT={out}"], cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stdout
        pages[name] = out, out.with_suffix(".steps").read_text(), p.stdout
    return pages


def test_make_heapview_lab_tells_a_wrong_split_as_it_happened(browser, students):
    """Replaying a bottom-carving alloc, step 5 said `carved 0x1000 from its
    top, so d got [0x0, 0x1000)` (and LAB= was not read: the page was the
    reference's)."""
    page, steps, _ = students["alloc-bottom"]
    assert "d 0x0\nstep 5 line 8 brk 0x6000 free 1\n  0x1000 0x2000 nil\n" in steps
    open_page(browser, page)
    browser.execute_script("heapview.show(5)")
    e = browser.find_element(By.ID, "effect")
    assert e.get_attribute("data-kind") == "carve" and e.text == (
        "first fit chose the block at 0x0 (size 0x3000): carved 0x1000 from its bottom, so d "
        "got [0x0, 0x1000) and the rest moved up to 0x1000 with size 0x2000 (the seed carves "
        "from the top: expected [0x2000, 0x3000), got [0x0, 0x1000))"), e.text
    assert drawn(browser) == expected_states(DEMO.read_text(), steps)[5]


def test_a_failed_check_shows_the_operation_that_broke_it(browser, students):
    """The alloc that hands out its block's header page: the page stopped at
    the step before it and quoted host addresses under `every number below
    is an offset`; it opens at the step of the operation that broke the
    check, as the heap was left, and names the operation, in offsets."""
    page, steps, said = students["alloc-header-page"]
    assert re.search(r"^error line 8: check: .*\nstep 5 line 8 brk 0x6000 free 1\n"
                     r"  0x0 0x5a5a5a5a5a5a5a5a 0x[0-9a-f]+\n", steps, re.M), steps
    assert "0x7f" not in page_data(page)  # offsets, never host addresses
    browser.get(page.as_uri())
    assert browser.get_log("browser") == []
    assert browser.find_element(By.ID, "heap").get_attribute("data-step") == "5"
    stop = ("op 5 (trace line 8: alloc d 4096) broke the heap: check: mem: free block outside "
            "[start, break): block 0x0 size 0x5a5a5a5a5a5a5a5a, break 0x6000")
    assert stop in browser.find_element(By.ID, "stop").text
    assert f"heapview: the full check failed: {stop}; the page opens at step 5\n" in said, said
    effect = browser.find_element(By.ID, "effect").text
    assert effect.startswith("first fit chose the block at 0x0 (size 0x3000): d got [0x0, "
                             "0x1000) out of it, yet the block stays on the list over those "
                             "bytes (its header now says size 0x5a5a5a5a5a5a5a5a)"), effect
    assert effect.endswith(f"— then the full check failed: {stop}"), effect
    # the header as the heap holds it, exact (not a float's 0x5a5a5a5a5a5a5c00)
    box = browser.find_element(By.ID, "list-0x0")
    assert box.get_attribute("data-size") == "0x5a5a5a5a5a5a5a5a"
    assert "size 0x5a5a5a5a5a5a5a5a" in box.text
    assert {k: v[0] for k, v in drawn(browser).items() if k[0] == "alloc"} == {
        ("alloc", 0x0): 0x1000, ("alloc", 0x3000): 0x1000, ("alloc", 0x4000): 0x2000}
    key(browser, Keys.HOME)
    browser.find_element(By.ID, "gostop").click()
    assert browser.find_element(By.ID, "heap").get_attribute("data-step") == "5"


def test_a_replay_that_ended_inside_an_operation_says_so(tmp_path, capsys):
    """A run stopped inside an operation (a sanitizer, the lab's loop guard:
    the replay writes its steps line by line, so those before it are kept)
    was drawn as if the trace ended there."""
    steps = steps_of(DEMO)
    cut = steps[:steps.index("d 0x2000\n")]  # op 5 never returned
    (tmp_path / "t.steps").write_text(cut)
    out = tmp_path / "t.html"
    assert heapview.main([str(DEMO), str(tmp_path / "t.steps"), "-o", str(out)]) == 0
    said = ("the replay ended in op 5 (trace line 8: alloc d 4096), before it returned: it "
            "crashed or looped (the replay's status and its message on stderr say which)")
    assert json.loads(page_data(out))["stop"] == said
    assert capsys.readouterr().out.endswith(f"heapview: {said}; the page opens at step 4\n")
