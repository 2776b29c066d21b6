#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# handout: writes a student's copy of the tree for one graded lab (`make
# handout DIR=... LAB=free|alloc|index|span`): the repository's files as git
# tracks them, with the reference of the functions the lab asks for (mem/
# free.c, mem/alloc.c, mem/fit.c or objects/span.c) replaced by the lab's
# own stub, and no history (or, with --git, a fresh repository of one commit).
"""What a handout is

  DIR/...        every file `git ls-files` lists, as it is in the work
                 tree, but:
  mem/FILE.c     the lab's file of mem/ (free: mem/free.c, alloc:
                 mem/alloc.c, index: mem/fit.c), or of objects/ (span:
                 objects/span.c), is lab/FILE.c, the stub the student
                 fills in: the reference bodies are nowhere in DIR
  HANDOUT        which lab, and what that means for `make grade` there
  (left out)     the course's own tests: tests/test_grade.py and
                 tests/test_grade_labs.py (mutants of the references),
                 tests/hostile/, tests/test_checklab.py
                 (the self-checks' answers), tests/test_handout.py
  DIR/.git       only with --git: a new repository whose one commit is the
                 handout (the course's history never comes along)

The copy builds as it is (the stub compiles; the image's self-test fails
where the stub does nothing, as the lab says), and once the student's
function is in lab/FILE.c, `MEM_FREE=lab/free.c` (and so on) boots it.
`make grade` in a handout grades every part but the random traces, whose
answers come from the reference, which is not there: that part says so
and scores 0 of its points (the course grades it, in its own tree).

A handout for one lab still holds the reference of the other labs'
functions (the allocator needs its alloc to grade a free): hand each
lab's out when that lab starts.

Exit status: 0 written; 2 bad arguments (an unknown lab, DIR not empty or
inside the repository, no git to list the files)."""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABS = {"free": ("mem/free.c", "lab/free.c", "mem_freel", 3),
        "alloc": ("mem/alloc.c", "lab/alloc.c", "mem_allocl", 6),
        "index": ("mem/fit.c", "lab/fit.c", "mem_index_fit", 7),
        "span": ("objects/span.c", "lab/span.c",
                 "hobj_span_take, hobj_span_find and hobj_span_give", 8),
        # Lab 9: kernel/pcp.c is lab/pcp.c, its cache's bodies the stubs (the
        # image boots with --pcp and caches nothing); make grade LAB=pcp
        # grades every part there, none needs the reference.
        "pcp": ("kernel/pcp.c", "lab/pcp.c", "pcp_alloc, pcp_free and pcp_drain", 9)}
MARK = "HANDOUT"  # tools/grade.py knows a handout by it
# The course's own files, never handed out: the grader's tests (mutants of
# the references, a linear index search that places right), the hostile
# submissions, the self-checks' right answers.
TEACHER = ("tests/test_grade.py", "tests/test_grade_labs.py", "tests/hostile/", "tests/test_checklab.py",
           "tests/test_handout.py")


def main(argv):
    ap = argparse.ArgumentParser(prog="handout.py", description="Write a student's copy of "
                                 "the tree for one lab, without its reference.")
    ap.add_argument("dir", help="where (a new or empty folder outside the repository)")
    ap.add_argument("--lab", default="free", help="free (lab 3), alloc (lab 6), index (lab 7), "
                    "span (lab 8) or pcp (lab 9)")
    ap.add_argument("--git", action="store_true", help="make DIR a new git repository of one "
                    "commit")
    args = ap.parse_args(argv)
    if args.lab not in LABS:
        print(f"handout: unknown lab {args.lab!r} (want {', '.join(LABS)})", file=sys.stderr)
        return 2
    ref, stub, func, n = LABS[args.lab]
    out = Path(args.dir).resolve()
    if out == REPO or REPO in out.parents:
        print(f"handout: {args.dir} is inside the repository: give a folder outside it",
              file=sys.stderr)
        return 2
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"handout: {args.dir} exists and is not an empty folder: nothing written",
              file=sys.stderr)
        return 2
    try:
        listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True,
                                capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"handout: cannot list the repository's files with git ({e})", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for name in listed.decode().split("\0"):
        src = REPO / name
        if not name or not (src.is_file() or src.is_symlink()):
            continue  # deleted in the work tree: not handed out
        if any(name == t or (t.endswith("/") and name.startswith(t)) for t in TEACHER):
            continue
        dst = out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    shutil.copy2(REPO / stub, out / ref)
    (out / MARK).write_text(
        f"A student's copy for lab {n} ({args.lab}): {ref} is {stub}, the stub of {func},\n"
        f"which you write in {stub}. `make grade LAB={args.lab}` here grades every part"
        + (".\n" if args.lab in ("span", "pcp") else " but\nthe random traces, whose answers "
           "come from the reference: your course grades\nthat part.\n"))
    if args.git:
        env = dict(os.environ, GIT_AUTHOR_NAME="heaplab handout",
                   GIT_AUTHOR_EMAIL="handout@heaplab.invalid",
                   GIT_COMMITTER_NAME="heaplab handout",
                   GIT_COMMITTER_EMAIL="handout@heaplab.invalid")
        for cmd in (["init", "-q"], ["add", "-A"],
                    ["commit", "-q", "-m", f"heaplab: lab {n} handout"]):
            subprocess.run(["git", "-C", str(out), *cmd], check=True, env=env)
    print(f"handout: lab {n} ({args.lab}) in {args.dir}: {ref} is the stub of {func}"
          + ("; a new git repository of one commit" if args.git else "; no history"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
