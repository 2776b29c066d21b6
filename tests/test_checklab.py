# SPDX-License-Identifier: BSD-3-Clause
# Tests of the labs' self-checks (tools/checklab.py, `make check-lab N=1..9`):
# right answers are right, wrong ones wrong and blank ones blank, each with
# the exit status it documents; the answers follow the programs' output (a
# different log, other answers), and bad files are refused. Run with
# /usr/bin/python3 -m pytest tests/test_checklab.py.
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECK = REPO / "tools" / "checklab.py"

# The demo's split and merges (lab 1 prints them too) and bigsmall-105's
# placement (traces/bigsmall-105.expected): the values lab 2 asks for.
LAB2_RIGHT = {"split-answer": "0x2000", "split-block": "0x0", "split-size": "0x2000",
              "split-header-moved": "no", "merge-next-survivor": "0x3000",
              "merge-next-swallowed": "0x4000", "merge-both-before": "2",
              "merge-both-size": "24576", "bigsmall-first-carve": "6", "bigsmall-grows": "14"}
# Lab 4: the check of the head-pushing free stops at op 6, trace line 9 of
# lab/demo.trace; the zeroing's absence is caught by the sample traces (the
# lab's replay writes into what it allocates, lab/audit.c); the first
# dirty byte is the one past a 64-bit header.
LAB4_RIGHT = {"order-op": "6", "order-line": "9", "order-op4-blocks": "1",
              "zero-traces-catch": "yes", "zero-first-dirty": "0x10"}

STRESS = ("cpu {}: 20000 ops, spun for a lock {} times of 21000, {} us spinning, {} us "
          "holding, 700 ticks\n")


def stress_log(spins, spinning, holding, failed=0):
    """A console log of ./run-qemu.sh --smp 4, with these figures per CPU."""
    return ("# heaplab: heap [0xb6c000, 0x4b6c000), 65536 KiB, break 0xb6c000\n"
            "ok   alloc rounds to the page and grows through brk\n"
            "4 CPUs up (4 asked, the firmware lists 4)\n" +
            "".join(STRESS.format(c, spins[c], spinning[c], holding[c]) for c in range(4)) +
            f"ok   stress: the byte counter is back at its start\n{25 - failed} passed, "
            f"{failed} failed\n# heaplab: exit 0\n")


def answers(tmp_path, name, values):
    path = tmp_path / name
    path.write_text("# answers\n" + "".join(f"{k} = {v}   # a comment\n"
                                            for k, v in values.items()))
    return path


def check(*args):
    p = subprocess.run([sys.executable, str(CHECK), *map(str, args)], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    return p.returncode, p.stdout, p.stderr


def verdicts(out):
    """{key: right, wrong or blank}, in the order printed."""
    return {k: v for v, k in re.findall(r"^  (right|wrong|blank)  ([a-z0-9-]+)", out, re.M)}


def test_lab2_right_answers_are_right(tmp_path):
    st, out, err = check(2, "--answers", answers(tmp_path, "a2", LAB2_RIGHT))
    assert st == 0, out + err
    assert verdicts(out) == {k: "right" for k in LAB2_RIGHT}, out
    assert out.rstrip().endswith("check-lab 2: 10 of 10 right")


def test_lab2_wrong_answers_are_wrong_and_say_their_question(tmp_path):
    wrong = dict(LAB2_RIGHT, **{"split-answer": "0x0", "split-header-moved": "yes",
                                "bigsmall-grows": "13"})
    del wrong["merge-both-size"]
    st, out, _ = check(2, "--answers", answers(tmp_path, "a2", wrong))
    assert st == 1, out
    v = verdicts(out)
    assert [k for k in v if v[k] == "wrong"] == ["split-answer", "split-header-moved",
                                                 "bigsmall-grows"], out
    assert v["merge-both-size"] == "blank" and v["split-size"] == "right", out
    assert "  wrong  split-answer = 0x0 (question 1: the offset mem_allocl answered for d" in out
    assert "0x2000" not in out.split("wrong  split-answer")[1].splitlines()[0]  # not given away
    assert out.rstrip().endswith("check-lab 2: 6 of 10 right")


def test_the_shipped_templates_are_all_blank():
    for n, count in ((1, 9), (2, 10), (3, 7), (4, 5), (5, 6), (6, 7), (7, 7), (8, 11)):
        text = (REPO / "lab" / f"answers-{n}.txt").read_text()
        keys = re.findall(r"^([a-z0-9-]+) =\s*(#.*)?$", text, re.M)
        assert len(keys) == count, text
    st, out, _ = check(2)
    assert st == 1 and out.count("  blank  ") == 10, out
    assert "check-lab 2: 0 of 10 right" in out


def test_lab4_builds_the_breaks_and_checks_against_them(tmp_path):
    wrong = dict(LAB4_RIGHT, **{"order-op": "4", "zero-traces-catch": "no"})
    st, out, err = check(4, "--answers", answers(tmp_path, "a4", wrong))
    assert st == 1, out + err
    v = verdicts(out)
    assert v == {"order-op": "wrong", "order-line": "right", "order-op4-blocks": "right",
                 "zero-traces-catch": "wrong", "zero-first-dirty": "right"}, out
    st, out, _ = check(4, "--answers", answers(tmp_path, "a4r", LAB4_RIGHT))
    assert st == 0 and "check-lab 4: 5 of 5 right" in out, out
    assert (REPO / "build" / "check-lab" / "order" / "replay").exists()


def test_lab5_answers_come_from_the_log(tmp_path):
    log = tmp_path / "lab5.log"  # as a serial console writes it, \r\n
    log.write_text(stress_log([236, 301, 199, 250], [4605917, 3605917, 2605917, 1605917],
                              [1831378, 1731378, 1631378, 1531378]).replace("\n", "\r\n"))
    right = {"stress-cpus": "4", "stress-ops": "80000", "stress-failed": "0",
             "spin-most-cpu": "1", "spin-or-hold": "spinning", "spin-hold-ratio": "1.8"}
    path = answers(tmp_path, "a5", right)
    st, out, err = check(5, "--answers", path, "--log", log)
    assert st == 0 and verdicts(out) == {k: "right" for k in right}, out + err
    # another run, other figures: the same answers are now partly wrong
    log.write_text(stress_log([236, 301, 199, 450], [1605917, 605917, 605917, 605917],
                              [1831378, 1731378, 1631378, 1531378], failed=1))
    st, out, _ = check(5, "--answers", path, "--log", log)
    assert st == 1, out
    assert verdicts(out) == {"stress-cpus": "right", "stress-ops": "right",
                             "stress-failed": "wrong", "spin-most-cpu": "wrong",
                             "spin-or-hold": "wrong", "spin-hold-ratio": "wrong"}, out


@pytest.mark.parametrize("ratio,ok", [("1.8", True), ("1.85", True), ("1.9", True), ("2", False),
                                      ("1.5", False), ("x", False)])
def test_lab5_ratio_has_a_tolerance(tmp_path, ratio, ok):
    log = tmp_path / "lab5.log"
    log.write_text(stress_log([1] * 4, [1800] * 4, [1000] * 4))
    st, out, _ = check(5, "--answers", answers(tmp_path, "a5", {"spin-hold-ratio": ratio}),
                       "--log", log)
    assert verdicts(out)["spin-hold-ratio"] == ("right" if ok else "wrong"), out


@pytest.mark.parametrize("args,text,words", [
    (["10"], None, "no lab '10' (the labs are 1 to 9)"),
    (["2"], "split-answer 0x2000\n", ":1: want `KEY = VALUE`, got 'split-answer 0x2000'"),
    (["2"], "split-answr = 0x2000\n", ":1: no answer is called 'split-answr'"),
    (["5", "--log", "/nonexistent/lab5.log"], "stress-cpus = 4\n",
     "save a run first: ./run-qemu.sh --smp 4 > build/lab5.log"),
    (["5", "--log", "lab/demo.trace"], "stress-cpus = 4\n", "has no stress test's lines"),
    (["9", "--log", "/nonexistent/lab9.log"], "steal-pages = 64\n",
     "save a run first: KERNEL_PCP=lab/pcp.c ./run-qemu.sh --smp 2 --pcp --page-stress"),
])
def test_bad_input_is_refused_with_status_2(tmp_path, args, text, words):
    extra = []
    if text is not None:
        (tmp_path / "a.txt").write_text(text)
        extra = ["--answers", tmp_path / "a.txt"]
    st, out, err = check(*args, *extra)
    assert st == 2 and words in err, (out, err)


def test_a_missing_answers_file_is_refused(tmp_path):
    st, _, err = check(2, "--answers", tmp_path / "nope.txt")
    assert st == 2 and "nope.txt: No such file or directory" in err


def test_make_check_lab(tmp_path):
    p = subprocess.run(["make", "-s", "--no-print-directory", "check-lab", "N=2",
                        f"ANSWERS={answers(tmp_path, 'a2', LAB2_RIGHT)}"], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert p.returncode == 0 and "check-lab 2: 10 of 10 right" in p.stdout, p.stdout
    p = subprocess.run(["make", "-s", "--no-print-directory", "check-lab"], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert p.returncode == 2 and "usage: make check-lab N=1..9" in p.stdout


# Labs 1, 3, 6 and 7: a few numbers, worked out from the replay (or, in lab
# 7, from the AVL tree's height bound), and the written questions (qN).
WRITTEN = {f"q{i}": "my words" for i in range(1, 6)}
PROSE_RIGHT = {
    1: {"d-offset": "0x2000", "free-c-blocks": "2", "free-c-link-block": "0x0",
        "final-break": "0x6000"},
    3: {"free-b-merges": "next", "free-d-merges": "both"},
    7: {"avl-max-height": "18", "bound-nodes": "38"},
    8: {"class3-objects": "85", "class3-tail": "16", "class3-past-last": "0xff0",
        "class3-past-last-index": "85", "object70-word": "1", "object70-bit": "6"},
}


def test_lab8_numbers_come_from_the_size_class_tables(tmp_path):
    """Lab 8's numbers are read from objects/sizeclasses.h, not restated:
    a wrong one names its question."""
    st, out, _ = check(8, "--answers", answers(tmp_path, "a8", {**PROSE_RIGHT[8],
                                                                "class3-tail": "0",
                                                                "object70-bit": "70"}))
    assert st == 1, out
    assert "wrong  class3-tail = 0 (question 1: the bytes of that span past its last object" \
        in out, out
    assert "wrong  object70-bit = 70 (what you should see: " in out, out
    assert "check-lab 8: 4 of 6 right" in out, out


@pytest.mark.parametrize("n", sorted(PROSE_RIGHT))
def test_labs_with_written_questions(tmp_path, n):
    right = PROSE_RIGHT[n]
    st, out, _ = check(n, "--answers", answers(tmp_path, f"a{n}", {**right, **WRITTEN}))
    assert st == 0, out
    assert f"check-lab {n}: {len(right)} of {len(right)} right; 5 of 5 written answers there" \
        in out, out
    # a written answer may go on over indented lines; a blank one fails
    path = tmp_path / "b.txt"
    path.write_text("".join(f"{k} = {v}\n" for k, v in right.items()) +
                    "q1 = one line\n  and the next\nq2 = x\nq3 = x\nq4 = x\n")
    st, out, _ = check(n, "--answers", path)
    assert st == 1 and "written q1 (5 words)" in out and "  blank  q5 (question 5" in out, out


def test_lab6_counts_follow_the_replay(tmp_path):
    st, out, _ = check(6, "--answers", answers(tmp_path, "a6", {"bigsmall-exact-fits": "0",
                                                                "bigsmall-carves": "0"}))
    assert st == 1 and "wrong  bigsmall-carves = 0" in out, out


# --- make handin: one archive of the code, the answers and the time log ---

def handin(*args):
    return subprocess.run(["make", "-s", "--no-print-directory", "handin", *map(str, args)],
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60)


def test_handin_packs_the_files(tmp_path):
    import tarfile
    (tmp_path / "time.txt").write_text("# date hours what\n2026-01-05 2.5 wrote the merges\n")
    (tmp_path / "answers.txt").write_text("q1 = words\n")
    out = tmp_path / "h.tar.gz"
    p = handin("LAB=free", "FILE=mem/free.c", f"ANSWERS={tmp_path / 'answers.txt'}",
               f"TIMELOG={tmp_path / 'time.txt'}", f"OUT={out}")
    assert p.returncode == 0, p.stdout
    assert f"handin: lab 3: free.c, answers.txt, time.txt and MANIFEST in {out}" in p.stdout
    with tarfile.open(out) as tar:
        assert sorted(tar.getnames()) == [f"handin-lab3/{f}" for f in
                                          ("MANIFEST", "answers.txt", "free.c", "time.txt")]
        code = tar.extractfile("handin-lab3/free.c").read()
        manifest = tar.extractfile("handin-lab3/MANIFEST").read().decode()
    assert code == (REPO / "mem" / "free.c").read_bytes()
    assert re.search(r"^free\.c \d+ [0-9a-f]{64}$", manifest, re.M), manifest


@pytest.mark.parametrize("args,words", [
    ([], "usage: make handin LAB=1..9|free|alloc|index|span|pcp"),
    (["LAB=10"], "handin: unknown lab '10'"),
    (["LAB=3", "ANSWERS=/nonexistent/a.txt", "TIMELOG=/nonexistent/t.txt"],
     "  the answers /nonexistent/a.txt does not exist\n  the time log /nonexistent/t.txt "
     "does not exist"),
    (["LAB=7", "FILE=/nonexistent/fit.c", "ANSWERS=lab/answers-7.txt", "TIMELOG=lab/demo.trace"],
     "  your code /nonexistent/fit.c does not exist"),
    (["LAB=2", "FILE=mem/free.c"], "handin: lab 2 hands in no code"),
])
def test_handin_refuses_what_is_missing(tmp_path, args, words):
    out = tmp_path / "h.tar.gz"
    p = handin(*args, f"OUT={out}")
    assert p.returncode == 2 and words in p.stdout, p.stdout
    assert not out.exists()


def test_handin_of_lab_8_packs_lab_span_c(tmp_path):
    import tarfile
    (tmp_path / "time-8.txt").write_text("2026-01-05 1.5 take and give\n")
    out = tmp_path / "h8.tar.gz"
    p = handin("LAB=span", f"TIMELOG={tmp_path / 'time-8.txt'}", "ANSWERS=lab/answers-8.txt",
               f"OUT={out}")
    assert p.returncode == 0, p.stdout
    assert f"handin: lab 8: span.c, answers-8.txt, time-8.txt and MANIFEST in {out}" in p.stdout
    with tarfile.open(out) as tar:
        assert tar.extractfile("handin-lab8/span.c").read() == \
            (REPO / "lab" / "span.c").read_bytes()


def test_handin_refuses_an_empty_time_log(tmp_path):
    (tmp_path / "t.txt").write_text("# nothing yet\n")
    p = handin("LAB=1", "ANSWERS=lab/answers-1.txt", f"TIMELOG={tmp_path / 't.txt'}",
               f"OUT={tmp_path / 'h.tgz'}")
    assert p.returncode == 2 and "has no entry" in p.stdout, p.stdout


# --- lab 9, and what a saved console shows when it has no figures ------------

PAGES_LOG = """pagestress: cap: cpu 0 freed 2048 KiB of single pages; its cache kept 1024 KiB (PCP_MAX 1024 KiB)
pagestress: cpu 0: 6000 ops, #test-and-set 0 #acquire() 9022
pagestress: cpu 1: 6000 ops, #test-and-set 3 #acquire() 9024
pagestress: the allocator's locks: #test-and-set 3 #acquire() 18046
pagestress: steal: 64 of the 64 pages cpu 1 got were pages cpu 0 had freed; the pool's bytes in use went from 256 to 256 KiB meanwhile
7 passed, 0 failed
# heaplab: exit 0
"""


def test_lab9_answers_come_from_the_saved_page_stress(tmp_path):
    log = tmp_path / "lab9.log"
    log.write_text(PAGES_LOG)
    st, out, _ = check(9, "--answers", answers(tmp_path, "a9", {
        "steal-pages": "64", "cap-kept-kib": "1024", "failed-tas": "3", "acquires": "18040"}),
        "--log", log)
    v = verdicts(out)
    assert (v["steal-pages"], v["cap-kept-kib"], v["failed-tas"], v["acquires"]) == \
        ("right", "right", "right", "wrong"), out
    assert st == 1, out


@pytest.mark.parametrize("lab,console,words", [
    # a panic: the kernel's own words, as a crash
    (9, "2 CPUs up\npanic: cpu 1: NULL dereference: write of address 0 at pc 0x107a50\n"
        "# heaplab: exit 120\n", "the run crashed: panic: NULL dereference: write of address 0"),
    # a check that stopped the machine: corruption
    (5, "4 CPUs up\npanic: cpu 2: mem: free block outside [start, break): block 0xc22000\n"
        "# heaplab: exit 120\n", "the run corrupted: panic: mem: free block outside"),
    # a CPU that never came: a loop
    (9, "panic: cpu 1: pagestress: looped: cpu 1 waited 5 s at step 1 for the other CPUs\n"
        "# heaplab: exit 120\n", "the run looped: panic: pagestress: looped: cpu 1 waited"),
    # no exit line: it never finished
    (5, "4 CPUs up\nok   every CPU QEMU was given came up\n",
     "the log ends before the image's exit line"),
])
def test_a_log_without_figures_says_what_the_run_did(tmp_path, lab, console, words):
    log = tmp_path / "run.log"
    log.write_text(console)
    key = "steal-pages" if lab == 9 else "stress-cpus"
    st, out, err = check(lab, "--answers", answers(tmp_path, "a", {key: "1"}), "--log", log)
    assert st == 2 and words in err, (out, err)
