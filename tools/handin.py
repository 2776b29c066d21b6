#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# handin: packs one lab's hand-in (`make handin LAB=N`) into one archive a
# course collects: the student's file (labs 3, 6, 7 and 8), the answers to the
# lab's written questions and a time log, with a manifest of their sizes
# and SHA-256 sums.
"""What a hand-in holds (lab N, 1 to 9; free, alloc, index, span and pcp
name 3, 6, 7, 8 and 9)

  the code      lab 3: lab/free.c; lab 6: lab/alloc.c; lab 7: lab/fit.c;
                lab 8: lab/span.c; lab 9: lab/pcp.c (FILE= names another);
                labs 1, 2, 4, 5
                have none
  the answers   lab/answers-N.txt (ANSWERS= names another)
  a time log    lab/time-N.txt (TIMELOG= names another): one line a
                sitting, `DATE HOURS what you did`; # starts a comment,
                and at least one line must not be one
  MANIFEST      each file's name, size and SHA-256 (written here)

The archive is OUT, build/handin-labN.tar.gz by default: a gzip'd tar whose
files all sit in handin-labN/, the student's files under their own names.

Exit status: 0 the archive is written; 2 bad arguments, or a file that is
missing, empty or not a regular file (every such file is named, and no
archive is written: an old one at OUT is left as it was)."""

import argparse
import hashlib
import io
import os
import re
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODE = {3: "lab/free.c", 6: "lab/alloc.c", 7: "lab/fit.c", 8: "lab/span.c", 9: "lab/pcp.c"}
NAMES = {"free": 3, "alloc": 6, "index": 7, "span": 8, "pcp": 9}
LAST = 9  # the labs are 1 to LAST


def lab_number(word):
    """The lab a word names (1 to LAST, or free, alloc, index, span, pcp), or None."""
    if word in NAMES:
        return NAMES[word]
    return int(word) if re.fullmatch(r"[1-9][0-9]*", word or "") and int(word) <= LAST else None


def problem(path, what, log=False):
    """Why path cannot be handed in as what, or None."""
    if not path.exists():
        return f"{what} {path} does not exist"
    if not path.is_file():
        return f"{what} {path} is not a regular file"
    text = path.read_bytes()
    if not text.strip():
        return f"{what} {path} is empty"
    if log and not any(s.strip() and not s.lstrip().startswith(b"#")
                       for s in text.splitlines()):
        return (f"{what} {path} has no entry: write one line a sitting, "
                "`DATE HOURS what you did`")
    return None


def main(argv):
    ap = argparse.ArgumentParser(prog="handin.py", description="Pack one lab's hand-in.")
    ap.add_argument("lab", help="the lab: 1 to 9, or free, alloc, index, span, pcp "
                    "(3, 6, 7, 8, 9)")
    ap.add_argument("--file", help="the code handed in (labs 3, 6, 7, 8, 9: lab/free.c, "
                    "lab/alloc.c, lab/fit.c, lab/span.c, lab/pcp.c)")
    ap.add_argument("--answers", help="the written answers (lab/answers-N.txt)")
    ap.add_argument("--time-log", help="the time log (lab/time-N.txt)")
    ap.add_argument("-o", "--out", help="the archive (build/handin-labN.tar.gz)")
    args = ap.parse_args(argv)
    n = lab_number(args.lab)
    if n is None:
        print(f"handin: unknown lab {args.lab!r} (want 1 to {LAST}, or "
              f"{', '.join(NAMES)})", file=sys.stderr)
        return 2
    if args.file and n not in CODE:
        print(f"handin: lab {n} hands in no code (only labs "
              f"{', '.join(map(str, sorted(CODE)))} do)", file=sys.stderr)
        return 2
    files = []
    if n in CODE:
        files.append(("your code", Path(args.file or CODE[n]), False))
    files.append(("the answers", Path(args.answers or f"lab/answers-{n}.txt"), False))
    files.append(("the time log", Path(args.time_log or f"lab/time-{n}.txt"), True))
    bad = [why for what, path, log in files if (why := problem(path, what, log))]
    if bad:
        print(f"handin: lab {n} cannot be handed in:", file=sys.stderr)
        for why in bad:
            print(f"  {why}", file=sys.stderr)
        print("  (nothing written; docs/lab/README.md, \"Handing in\", says what each is)",
              file=sys.stderr)
        return 2
    out = Path(args.out or f"build/handin-lab{n}.tar.gz")
    top = f"handin-lab{n}"
    names = [p.name for _, p, _ in files]
    if len(set(names)) != len(names):
        print(f"handin: two files named alike ({', '.join(names)}): each must have its own "
              "name", file=sys.stderr)
        return 2
    manifest = "".join(f"{p.name} {p.stat().st_size} {hashlib.sha256(p.read_bytes()).hexdigest()}"
                       "\n" for _, p, _ in files)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tarfile.open(tmp, "w:gz") as tar:  # written whole, then renamed into place
        for _, p, _ in files:
            tar.add(p, arcname=f"{top}/{p.name}", recursive=False)
        info = tarfile.TarInfo(f"{top}/MANIFEST")
        info.size, info.mtime, info.mode = len(manifest.encode()), int(time.time()), 0o644
        tar.addfile(info, io.BytesIO(manifest.encode()))
    os.replace(tmp, out)
    print(f"handin: lab {n}: {', '.join(names)} and MANIFEST in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
