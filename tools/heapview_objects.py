# SPDX-License-Identifier: BSD-3-Clause
# heapview's spans and objects: the page model of a trace of small objects
# (`malloc`, `mfree`, `realloc` lines), for tools/heapview.py, which hands
# such a trace here and inlines tools/heapview-objects.js, the panel that
# draws it, into the page.
"""Theory of operation

`replay --steps` prints, after every operation of a trace of small objects,
the pool's state as for any trace (its break and free blocks) and, once the
trace's objects heap is set up, its spans and large objects (README.md,
"Traces"): each span's place, class, object size, objects, how many are in
use, how many were ever handed out (fresh) and which are in use (a bitmap).
So every object's state is the replay's own word: in use (its bit set),
free (on the span's free list: below fresh, its bit clear) or never handed
out (from fresh on). The trace's IDs come from the trace and the replay's
answers (`ID 0xOFF`), and each must sit on an object in use: output that
does not agree is refused, as heapview.py refuses another trace's output.

The pool's map (heapview.js's rows) shows what holds the pool's pages: the
page map, the span records (what is in use and none of the others), each
span and each large object; the panel (heapview-objects.js) shows each span
as a grid of its objects and each large object as a bar, the object the
operation touched outlined. Each step's effect is worked out by comparing
the spans before and after it, and written in words."""

import os
import re
import subprocess

from heapmap import MapError, from_bytes, replay_tool, shown

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("malloc", "mfree", "realloc")  # the object lines
OBJECTS = re.compile(r"objects spans (\d+) large (\d+) pagemap (0x[0-9a-f]+) (0x[0-9a-f]+)")
SPAN = re.compile(r"span (0x[0-9a-f]+) class (\d+) size (\d+) bytes (0x[0-9a-f]+) nobj (\d+) "
                  r"inuse (\d+) fresh (\d+) used (0x[0-9a-f]+)")
LARGE = re.compile(r"large (0x[0-9a-f]+) bytes (0x[0-9a-f]+)")
MAX_SMALL = 32768  # the largest class's size (objects/sizeclasses.h)


class Op:
    """One operation, as `replay --ops` reads it: kind, trace line, ID, size."""

    def __init__(self, num, line, kind, ident=None, size=0):
        self.num, self.line, self.kind, self.ident, self.size = num, line, kind, ident, size

    @property
    def label(self):
        return None if self.ident is None else shown(self.ident)

    def __str__(self):
        return {"malloc": f"malloc {self.label} {self.size}", "mfree": f"mfree {self.label}",
                "realloc": f"realloc {self.label} {self.size}",
                "sbrk": f"sbrk {self.size}"}.get(self.kind, self.kind)


def load_ops(path):
    """The Ops of the trace in path, through `replay --ops` (its grammar, its
    refusals in its words), or None if it is no trace of objects."""
    try:
        p = subprocess.run([replay_tool(), "--ops", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise MapError(f"the replay could not read the trace: {e}")
    if p.returncode != 0:
        why = shown(from_bytes(p.stderr).strip("\n"))
        raise MapError(why[len("replay: "):] if why.startswith("replay: ") else why)
    ops = []
    for rec in p.stdout.split(b"\n")[:-1]:
        f = rec.decode("ascii").split(" ")
        op = Op(len(ops) + 1, int(f[1]), f[0])
        if op.kind in KINDS:
            op.ident = from_bytes(bytes.fromhex(f[2]))
        if op.kind in ("malloc", "realloc"):
            op.size = int(f[3])
        elif op.kind == "sbrk":
            op.size = int(f[2])
        ops.append(op)
    return ops if any(op.kind in KINDS for op in ops) else None


def split_objects(text):
    """Takes the objects lines out of `replay --steps` output: answers (the
    rest, for heapview.parse_steps; {step: its objects}), each objects
    {pagemap: (off, bytes), spans: [dict], large: [(off, bytes)]}."""
    lines, rest, objs, step, i = text.split("\n"), [], {}, 0, 0
    while i < len(lines):
        s = lines[i].strip(" \t\r")
        i += 1
        m = re.fullmatch(r"step (\d+) line \d+ brk 0x[0-9a-f]+ free \d+", s)
        if m:
            step = int(m[1])
        m = OBJECTS.fullmatch(s)
        if not m:
            rest.append(lines[i - 1])
            continue
        o = {"pagemap": (int(m[3], 16), int(m[4], 16)), "spans": [], "large": []}
        for j in range(int(m[1]) + int(m[2])):
            t = lines[i + j].strip(" \t\r") if i + j < len(lines) else ""
            sp, lg = SPAN.fullmatch(t), LARGE.fullmatch(t)
            if sp:
                o["spans"].append({"off": int(sp[1], 16), "cls": int(sp[2]), "size": int(sp[3]),
                                   "bytes": int(sp[4], 16), "nobj": int(sp[5]),
                                   "inuse": int(sp[6]), "fresh": int(sp[7]),
                                   "used": int(sp[8], 16)})
            elif lg:
                o["large"].append((int(lg[1], 16), int(lg[2], 16)))
            else:
                raise MapError(f"replay output line {i + j + 1}: want a span or large object "
                               f"line ({m[1]} spans, {m[2]} large), got '{shown(t)}'")
        if len(o["spans"]) != int(m[1]):
            raise MapError(f"replay output line {i}: {m[1]} spans, {len(o['spans'])} span lines")
        i += int(m[1]) + int(m[2])
        objs[step] = o
    return "\n".join(rest), objs


def state(sp, i):
    """Object i of span sp: "use", "free" or "new" (never handed out)."""
    return "use" if sp["used"] >> i & 1 else "free" if i < sp["fresh"] else "new"


def holder(o, a):
    """The span or large object (kind, it) that holds offset a, or None."""
    for sp in o["spans"] if o else []:
        if sp["off"] <= a < sp["off"] + sp["nobj"] * sp["size"]:
            return "span", sp
    for off, n in o["large"] if o else []:
        if off <= a < off + n:
            return "large", (off, n)
    return None


def same_span(o, sp):
    """sp's span in objects o (the same place and class), or None."""
    for t in o["spans"] if o else []:
        if t["off"] == sp["off"] and t["cls"] == sp["cls"]:
            return t
    return None


class Model:
    """The steps of a trace of objects, with the IDs and the effects."""

    def __init__(self, hv, ops, granule, heap, steps, objs):
        self.hv, self.ops, self.granule, self.heap = hv, ops, granule, heap
        self.steps, self.objs = steps, objs
        self.ids = {}  # ID -> the offset of its object, or None (nil)
        self.taken = []  # (off, end) of what other clients of the break took
        self.made = {}  # (label, off, size) of a run of pages -> the step that made it

    def build(self):
        hv, entries = self.hv, 0
        if len(self.steps) - 1 > len(self.ops):
            raise MapError(f"the replay ran {len(self.steps) - 1} operations, the trace has "
                           f"{len(self.ops)}: the output does not belong to this trace")
        for st in self.steps[1:]:
            op, prev = self.ops[st.n - 1], self.steps[st.n - 1]
            if op.line != st.line:
                raise MapError(f"step {st.n} is trace line {st.line}, but operation {st.n} of "
                               f"the trace is on line {op.line}: another trace's output")
            st.objects = self.objs.get(st.n)
            self.apply(op, st)
            st.ids = dict(self.ids)  # what each ID holds after the step
            o = st.objects
            entries += 1 + len(st.free) + len(self.ids) + (len(o["spans"]) + len(o["large"])
                                                           if o else 0)
            hv.too_many(entries, st.n)  # before the lists it counts are made
            self.runs(st)
            self.agree(st)
            st.effect = self.effect(op, prev, st)

    def apply(self, op, st):
        """Updates the IDs for op, from what the replay printed."""
        err = next((s for s in st.printed if s.startswith(f"error line {op.line}: ")), None)
        st.error = shown(err.split(": ", 1)[1]) if err else None
        st.was = self.ids.get(op.ident) if op.ident is not None else None
        st.at = None
        if err or op.kind == "check":
            return
        if op.kind == "sbrk":
            st.at = self.hv.answer(st, r"sbrk (0x[0-9a-f]+|nil) 0x[0-9a-f]+", f"sbrk {op.size}")
            if st.at is not None:
                self.taken.append((st.at, st.at + op.size))
            return
        if op.kind == "mfree":
            self.ids.pop(op.ident, None)
            return
        st.at = self.hv.answer(st, rf"{re.escape(op.ident)} (0x[0-9a-f]+|nil)", str(op))
        if st.at is not None or op.kind == "malloc":
            self.ids[op.ident] = st.at

    def runs(self, st):
        """What holds the pool's pages at st, for heapview.js's rows: the
        page map, each span and large object, the span records (in use and
        none of those), and the bytes that are not the pool's."""
        o, hv = st.objects, self.hv
        runs = []
        if o:
            runs.append(("page map", *o["pagemap"]))
            runs += [(f"span: class {sp['cls']}, {sp['size']} B", sp["off"], sp["bytes"])
                     for sp in o["spans"]]
            owner = {a: k for k, a in self.ids.items() if a is not None}
            runs += [(f"large: {shown(owner.get(off, '?'))}", off, n) for off, n in o["large"]]
        st.other = [[a, b - a] for a, b in hv.gaps(st.regions + [(st.brk, st.brk)], 0, st.brk)]
        st.other += [[a, b - a] for a, b in self.taken if a >= st.brk and b > a]
        known = [(a, a + n) for _, a, n in runs] + [(a, a + n) for a, n, _ in st.free]
        known += [(a, a + n) for a, n in st.other]
        rest = hv.gaps(known, 0, st.brk)
        if rest and not o:
            raise MapError(f"step {st.n}: the pool holds [{hv.h(rest[0][0])}, "
                           f"{hv.h(rest[0][1])}) but the replay printed no objects heap: the "
                           "output does not belong to this trace")
        runs += [("span records", a, b - a) for a, b in rest]
        st.alloc = []
        for label, a, n in sorted(runs, key=lambda r: r[1]):
            made = self.made.setdefault((label, a, n), st.n)
            st.alloc.append([label, a, n, made])
        st.made = {(a, n): self.made.setdefault(("free", a, n), st.n) for a, n, _ in st.free}

    def agree(self, st):
        """Every ID the trace holds sits on an object in use: else the output
        is another trace's."""
        o = st.objects
        for ident, a in self.ids.items():
            if a is None:
                continue
            got = holder(o, a)
            ok = got is not None and (got[0] == "large" and got[1][0] == a or got[0] == "span"
                                      and (a - got[1]["off"]) % got[1]["size"] == 0 and
                                      state(got[1], (a - got[1]["off"]) // got[1]["size"]) ==
                                      "use")
            if not ok:
                raise MapError(f"step {st.n} (trace line {st.line}): {shown(ident)} holds "
                               f"{a:#x}, which the replay's spans do not show in use: the "
                               "output does not belong to this trace")

    def effect(self, op, prev, st):
        """Answers {kind, text, range, obj} saying what op did, from prev to st."""
        h = self.hv.h
        if st.error is not None:
            return {"kind": "refused", "text": f"refused: {st.error.split(': ', 1)[-1]}; "
                    "nothing changed", "range": None, "obj": st.was}
        if op.kind == "check":
            return {"kind": "check", "text": "check: every invariant holds, the pool's and the "
                    "objects layer's (each object in use, free or never handed out, once)",
                    "range": None}
        if op.kind == "sbrk":
            if st.at is None:
                return {"kind": "nil", "text": f"sbrk {op.size}: another client of the break "
                        "asked past the heap's end: nil; nothing changed", "range": None}
            return {"kind": "other", "text": f"another client of the break took "
                    f"[{h(st.at)}, {h(st.at + op.size)}) at the break: never the pool's",
                    "range": [st.at, st.at + op.size]}
        if op.kind == "mfree":
            return self.freed(op, prev, st, st.was, f"mfree {op.label}: ")
        if st.at is None:
            keep = (f"; {op.label} keeps its object at {h(st.was)}"
                    if op.kind == "realloc" and st.was is not None else "")
            return {"kind": "nil", "text": f"{op} got nil: the pool has no pages for it"
                    f"{keep}; nothing changed", "range": None}
        if op.kind == "realloc" and st.was is not None and st.at == st.was:
            kind, it = holder(st.objects, st.at)
            if kind == "span":
                text = (f"{op}: in place, {op.size} bytes still round to its class "
                        f"{it['cls']} ({it['size']} B)")
                return {"kind": "obj-in-place", "text": text,
                        "range": [st.at, st.at + it["size"]], "obj": st.at}
            old = holder(prev.objects, st.at)[1]
            text = (f"{op}: in place, the large object keeps {h(it[1])} bytes of its "
                    f"{h(old[1])}" + (f"; [{h(st.at + it[1])}, {h(st.at + old[1])}) went back "
                                      "to the pool" if old[1] > it[1] else ""))
            return {"kind": "obj-in-place", "text": text, "range": [st.at, st.at + it[1]],
                    "obj": st.at}
        got = self.placed(op, prev, st)
        if op.kind == "realloc" and st.was is not None:
            moved = self.freed(op, prev, st, st.was, "")
            got["text"] = (f"{op}: moved, {op.size} bytes do not fit where it was: "
                           f"{got['text']}; the bytes copied, then {moved['text']}")
        else:
            got["text"] = f"{op}: {got['text']}"
        return got

    def placed(self, op, prev, st):
        """The words for a new object at st.at."""
        h, a = self.hv.h, st.at
        kind, it = holder(st.objects, a)
        if kind == "large":
            return {"kind": "obj-large", "text": f"more than {MAX_SMALL} bytes: a large "
                    f"object, pages straight from the pool, [{h(a)}, {h(a + it[1])})",
                    "range": [a, a + it[1]], "obj": a}
        i, sp = (a - it["off"]) // it["size"], it
        cls = f"class {sp['cls']} ({sp['size']} B)"
        old = same_span(prev.objects, sp)
        if old is None:
            how = (f"a new span of {cls} from the pool, [{h(sp['off'])}, "
                   f"{h(sp['off'] + sp['bytes'])}) holding {sp['nobj']} objects; its object 0")
        elif state(old, i) == "free":
            how = f"{cls}: the head of its span's free list, object {i} (freed before)"
        else:
            how = f"{cls}: its span's next object never handed out, object {i} (zero)"
        return {"kind": "obj-alloc", "text": f"{how}, [{h(a)}, {h(a + sp['size'])})",
                "range": [a, a + sp["size"]], "obj": a}

    def freed(self, op, prev, st, a, who):
        """The words for the free of the object at a (prev's)."""
        h = self.hv.h
        if a is None:
            return {"kind": "nil", "text": f"{who}it holds nothing (its malloc got nil): "
                    "nothing to free", "range": None}
        kind, it = holder(prev.objects, a)
        if kind == "large":
            return {"kind": "obj-free", "text": f"{who}the large object's pages "
                    f"[{h(a)}, {h(a + it[1])}) went back to the pool", "range": [a, a + it[1]],
                    "obj": a}
        i, sp = (a - it["off"]) // it["size"], it
        text = (f"{who}object {i} of the span at {h(sp['off'])} (class {sp['cls']}, "
                f"{sp['size']} B) went on its span's free list")
        if same_span(st.objects, sp) is None:
            text += (f"; the span emptied and was not its class's only span with room: its "
                     f"pages [{h(sp['off'])}, {h(sp['off'] + sp['bytes'])}) went back to the "
                     "pool")
        return {"kind": "obj-free", "text": text, "range": [a, a + sp["size"]], "obj": a}


def step_json(hv, st, ids):
    """heapview.step_json's step, and its objects: per span its objects'
    states (`used`, a hex bitmap, with fresh) and the IDs that hold them."""
    d = hv.step_json(st)
    o = getattr(st, "objects", None)
    if o is None:
        d["objects"] = None
        return d
    at = {a: shown(k) for k, a in ids.items() if a is not None}
    spans = []
    for sp in o["spans"]:
        names = [[(a - sp["off"]) // sp["size"], k] for a, k in sorted(at.items())
                 if sp["off"] <= a < sp["off"] + sp["nobj"] * sp["size"]]
        spans.append({"off": sp["off"], "cls": sp["cls"], "size": sp["size"],
                      "bytes": sp["bytes"], "nobj": sp["nobj"], "inuse": sp["inuse"],
                      "fresh": sp["fresh"], "used": f"{sp['used']:x}", "ids": names})
    d["objects"] = {"pagemap": list(o["pagemap"]), "spans": spans,
                    "large": [[off, n, at.get(off)] for off, n in o["large"]]}
    return d


def steps_page(hv, trace_path, steps_path, ops):
    """The page's model of a trace of objects (ops, from load_ops) and its
    `replay --steps` output; heapview.steps_page hands such a trace here."""
    if len(ops) > hv.MAX_STEPS:
        raise MapError(f"{trace_path}: {len(ops)} operations: {hv.too_long}")
    try:
        with open(steps_path, "rb") as f:
            rest, objs = split_objects(from_bytes(f.read()))
    except OSError as e:
        raise MapError(f"{e.filename}: {e.strerror}")
    granule, heap, steps, stop, _ = hv.parse_steps(rest)
    steps[0].objects, steps[0].ids = None, {}
    Model(hv, ops, granule, heap, steps, objs).build()
    out = [step_json(hv, st, st.ids) for st in steps]
    return {"source": "steps", "objects": True, "title": os.path.basename(trace_path),
            "granule": granule, "heap": heap, "stop": stop, "ops": [str(op) for op in ops],
            "steps": out}


def assets(model, js, css):
    """heapview.render's script and style, with the panel's before them
    when the model is a trace of objects (it hooks into heapview.js's draw)."""
    if not model.get("objects"):
        return js, css
    with open(os.path.join(HERE, "heapview-objects.js")) as f:
        ojs = f.read()
    with open(os.path.join(HERE, "heapview-objects.css")) as f:
        ocss = f.read()
    return ojs + "\n" + js, css + "\n" + ocss
