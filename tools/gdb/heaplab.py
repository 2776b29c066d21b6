# SPDX-License-Identifier: BSD-3-Clause
# heaplab's gdb commands: `heap list|check|stats|map|lock|tree|dump` walk and
# check the allocator's free list and placement index from outside, reading
# the target's memory through gdb.
# Load with `source tools/gdb/heaplab.py` (the generated .gdbinit does).
#
# Theory of operation
#
#   Everything is found by symbol, never by address: the pool (`mempool`,
#   struct heaplab_pool, or any pool expression given as the argument), the
#   header layout (struct heaplab_hdr {next, size}) and, in the images, the lock
#   (`mem_lock`, struct spinlock, via mempool.lockarg). Where the heap ends
#   is the pool's own record, as mem_checkl reads it: its top (`bloc`, the
#   end of its last region; its start before the first sbrk) and its regions
#   (`region[0..nregion)`, what sbrk gave it). The system break (`heap_break`,
#   which other clients such as newlib move too) is shown, never trusted.
#   Pointer size and byte order come from gdb's types, so one script serves
#   i386, amd64 (ELF64), arm, arm64 and riscv64 (gdb-multiarch) and the host replay.
#
#   The check is the allocator's own (mem/check.c) written again, so that it
#   does not trust the kernel's code: a bounded walk that also spots a loop,
#   strictly ascending blocks that neither overlap nor touch, each inside
#   [start, top) and inside one region, aligned, sized a nonzero multiple of
#   the granule, every
#   byte past its header zero, and free + in use == taken; for an indexed pool
#   the tree too (struct heaplab_node after each header: in-order == the list,
#   parent links, heights and the AVL rule, subtree maxima). Memory is read in
#   large pieces (a window around headers, a few MiB of a block at a time),
#   since through QEMU's stub every read is a round trip.
import json
import os

import gdb

WINDOW = 64 << 10  # bytes read at once around a header
CHUNK = 4 << 20  # bytes of a free block's body read at once
MAP_COLS = 64  # columns per `heap map` row
MAP_ROWS = 16  # rows at most

# The invariants, in mem/check.c's words where it has them (its
# HEAPLAB_ESIZE covers both E_ALIGN and E_SIZE; E_READ is gdb's own).
E_LOOP = "free list loops"
E_ORDER = "free list not in ascending order"
E_OVERLAPS = "free blocks overlap"
E_TOUCH = "free blocks touch but were not merged"
E_BOUNDS = "free block outside [start, break)"
E_REGION = "free block not inside one region of the pool"
E_ALIGN = "free block not aligned to the granule"
E_SIZE = "free block size not a nonzero multiple of the granule"
E_DIRTY = "free memory not zero"
E_BALANCE = "free + in use != taken"
E_TORDER = "index out of step with the free list"
E_TLINK = "index link broken"
E_THEIGHT = "index height wrong or unbalanced"
E_TMAX = "index subtree maximum wrong"
E_READ = "free block unreadable"
E_LOCK = "lock unreadable"
# The pool's own records, checked before anything is walked (check_pool)
E_POOL = "pool's granule or bounds broken"
E_NREGION = "region count outside [0, HEAPLAB_NREGION]"
E_RBOUNDS = "region empty or outside [start, end)"
E_RALIGN = "region not aligned to the granule"
E_RORDER = "regions not in ascending order"
E_ROVERLAP = "regions overlap"
E_BLOC = "bloc is not the last region's end"
E_TAKEN = "regions do not add up to taken"
POOL_FAULTS = {E_POOL, E_NREGION, E_RBOUNDS, E_RALIGN, E_RORDER, E_ROVERLAP, E_BLOC, E_TAKEN}


class Fault(Exception):
    """A broken invariant: what broke and where, with the values."""

    def __init__(self, what, detail):
        super().__init__(f"{what}: {detail}")
        self.what = what
        self.detail = detail


def _fail(msg):
    raise gdb.GdbError(f"heap: {msg}")


def _require_running():
    if gdb.selected_inferior().pid == 0 or gdb.selected_thread() is None:
        _fail("the program is not running: `run` it (host replay) or "
              "`target remote 127.0.0.1:PORT` (QEMU started with --gdb)")


def _require_symbol(name):
    if gdb.lookup_global_symbol(name) is None and gdb.lookup_static_symbol(name) is None:
        _fail(f"no symbol '{name}': load the symbols of build/ARCH/kernel.elf "
              "(`file ...`) or of build/host/replay")


def _eval(expr):
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error as e:
        _fail(f"cannot evaluate '{expr}': {e}")


def _type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        _fail(f"no type '{name}' in the loaded symbols (built without -g?)")


def _hex(n):
    return f"{n:#x}"


def _blocks(n):
    return f"{n} block" if n == 1 else f"{n} blocks"


def _struct_arg(arg, default, tag):
    """The command's argument (default: the global named default) as a value
    of type struct tag, a pointer to one dereferenced; anything else fails
    in words."""
    _require_running()
    expr = arg.strip() or default
    if expr == default:
        _require_symbol(default)
    v = _eval(expr)
    if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
        v = v.dereference()
    t = v.type.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT or t.tag != tag:
        _fail(f"'{expr}' is a {v.type}, not a struct {tag} (or a pointer to one)")
    return expr, v


class Pool:
    """A snapshot of a struct heaplab_pool, read once: brk is its top (bloc),
    regions what it obtained, sysbrk the system break (None if unknown)."""

    def __init__(self, arg):
        expr, v = _struct_arg(arg, "mempool", "heaplab_pool")
        self.expr = expr
        self.hdr = _type("struct heaplab_hdr")
        self.hdrsize = self.hdr.sizeof
        self.ptrsize = _type("void").pointer().sizeof
        self.mask = (1 << (8 * self.ptrsize)) - 1
        try:
            self._read_fields(v)
        except gdb.error as e:  # also gdb.MemoryError; "optimized out"
            _fail(f"cannot read '{expr}': {e}")
        if self.granule == 0 and self.start == 0:
            _fail(f"'{expr}' is not set up yet (heaplab_init has not run): continue to "
                  "mem_freel or replay_done first")

    def _read_fields(self, v):
        self.freelist = int(v["freelist"]) & self.mask
        self.granule = int(v["granule"])
        self.start = int(v["start"])
        self.end = int(v["end"])
        self.taken = int(v["taken"])
        self.inuse = int(v["inuse"])
        self.checking = int(v["checking"])
        self.lockarg = int(v["lockarg"]) & self.mask
        names = {f.name for f in v.type.strip_typedefs().fields()}
        self.bloc = int(v["bloc"]) & self.mask  # the pool's top, 0 before its first sbrk
        self.brk = self.bloc or self.start  # where mem_checkl says the heap ends
        n = int(v["nregion"]) if "nregion" in names else 0
        cap = v["region"].type.strip_typedefs().range()[1] + 1 if "region" in names else 0
        self.nregion, self.regions, self.ncap = n, [], cap
        for i in range(max(0, min(n, cap))):  # never past region[]
            r = v["region"][i]
            self.regions.append((int(r["start"]) & self.mask, int(r["end"]) & self.mask))
        try:
            self.sysbrk = int(gdb.parse_and_eval("heap_break")) & self.mask
        except gdb.error:
            self.sysbrk = None
        # the placement index (mem/index.c): a tree of struct heaplab_node
        self.index = int(v["index"]) if "index" in names else 0
        self.root = int(v["tree"]["node"]) & self.mask if self.index else 0
        self.node = _type("struct heaplab_node") if self.index else None
        self.meta = self.hdrsize + (self.node.sizeof if self.index else 0)
        self.width = len(_hex(max(self.end, self.brk)))  # columns for an address

    def region_of(self, a, n):
        """The region [start, end) that holds all of [a, a+n), or None."""
        return next(((lo, hi) for lo, hi in self.regions if lo <= a < hi and n <= hi - a),
                    None)

    def sanity(self):
        """Raises a Fault if the pool's own records cannot describe a heap:
        mem/check.c's check_pool, in its order, before anything is walked."""
        g = self.granule
        if g < self.hdrsize or g & (g - 1):
            raise Fault(E_POOL, f"granule {_hex(g)} is not a power of two >= "
                        f"the header's {_hex(self.hdrsize)} bytes")
        if self.start > self.end:
            raise Fault(E_POOL, f"start {_hex(self.start)} above end {_hex(self.end)}")
        if not 0 <= self.nregion <= self.ncap:
            raise Fault(E_NREGION, f"nregion {self.nregion}, the most is {self.ncap}")
        prev, total = None, 0
        for i, (lo, hi) in enumerate(self.regions):
            r = f"region {i} [{_hex(lo)}, {_hex(hi)})"
            if not self.start <= lo < hi <= self.end:
                raise Fault(E_RBOUNDS, f"{r}, pool [{_hex(self.start)}, {_hex(self.end)})")
            if lo & (g - 1) or hi & (g - 1):
                raise Fault(E_RALIGN, f"{r}, granule {_hex(g)}")
            if prev is not None and lo < prev[0]:
                raise Fault(E_RORDER, f"{r} starts below region {i - 1}'s start {_hex(prev[0])}")
            if prev is not None and lo < prev[1]:
                raise Fault(E_ROVERLAP, f"{r} starts below region {i - 1}'s end {_hex(prev[1])}")
            prev, total = (lo, hi), total + hi - lo
        top = prev[1] if prev else 0
        if self.bloc != top:
            raise Fault(E_BLOC, f"bloc {_hex(self.bloc)}, the last region ends at {_hex(top)} "
                        f"(nregion {self.nregion})")
        if total != self.taken:
            raise Fault(E_TAKEN, f"the regions hold {_hex(total)} bytes, taken {_hex(self.taken)}")


class Reader:
    """Reads target memory below hi through a cached window, so that the
    headers of nearby blocks and short blocks cost one read between them."""

    def __init__(self, hi):
        self.inferior = gdb.selected_inferior()
        self.hi = hi
        self.base, self.buf = 0, b""

    def read(self, addr, n):
        off = addr - self.base
        if 0 <= off and off + n <= len(self.buf):
            return self.buf[off:off + n]
        size = max(n, min(WINDOW, self.hi - addr))
        self.base, self.buf = addr, bytes(self.inferior.read_memory(addr, size))
        return self.buf[:n]

    def first_nonzero(self, lo, hi):
        """Answers (address, value) of the first nonzero byte in [lo, hi), or
        None; it reads CHUNK bytes at a time."""
        for a in range(lo, hi, CHUNK):
            data = self.read(a, min(CHUNK, hi - a))
            rest = data.lstrip(b"\0")
            if rest:
                return a + len(data) - len(rest), rest[0]
        return None


class Block:
    """One free block as its header says: address, size, next."""

    def __init__(self, addr, size, nxt):
        self.addr, self.size, self.next = addr, size, nxt
        self.end = addr + size


def walk(pool, reader):
    """Follows the free list, yielding Blocks. It raises a Fault where it
    cannot go on: a block outside [start, break), an unreadable header, or
    a loop (a next already visited, or more steps than the heap can hold)."""
    seen = set()
    limit = (pool.end - pool.start) // max(pool.granule, 1) + 1
    addr, prev = pool.freelist, None
    while addr != 0:
        if addr in seen:
            raise Fault(E_LOOP, f"block {_hex(prev)} points back to block {_hex(addr)} "
                        f"after {_blocks(len(seen))}")
        if len(seen) >= limit:
            raise Fault(E_LOOP, f"still walking at block {_hex(addr)} after "
                        f"{_blocks(len(seen))}, more than the heap can hold")
        if not pool.start <= addr < pool.brk:
            where = f"next of block {_hex(prev)}" if prev is not None else "the list head"
            raise Fault(E_BOUNDS, f"block {_hex(addr)} ({where}) not in "
                        f"[{_hex(pool.start)}, {_hex(pool.brk)})")
        try:
            h = gdb.Value(reader.read(addr, pool.hdrsize), pool.hdr)
        except gdb.MemoryError as e:
            raise Fault(E_READ, f"block {_hex(addr)}: {e}")
        b = Block(addr, int(h["size"]) & pool.mask, int(h["next"]) & pool.mask)
        seen.add(addr)
        yield b
        addr, prev = b.next, addr


def check_block(pool, reader, b, seen):
    """Raises a Fault for the first invariant block b breaks, in the order
    mem/check.c tests them; seen holds the blocks walked before b."""
    if b.size > pool.brk - b.addr:
        raise Fault(E_BOUNDS, f"block {_hex(b.addr)} size {_hex(b.size)} ends at "
                    f"{_hex(b.end)}, past the break {_hex(pool.brk)}")
    if b.size != 0 and pool.region_of(b.addr, b.size) is None:
        raise Fault(E_REGION, f"block {_hex(b.addr)} size {_hex(b.size)}, regions "
                    f"{_regions(pool)}")
    if b.addr & (pool.granule - 1):
        raise Fault(E_ALIGN, f"block {_hex(b.addr)}, granule {_hex(pool.granule)}")
    if b.size == 0 or b.size & (pool.granule - 1):
        raise Fault(E_SIZE, f"block {_hex(b.addr)} size {_hex(b.size)}, "
                    f"granule {_hex(pool.granule)}")
    if b.next != 0 and (b.next in seen or b.next == b.addr):
        raise Fault(E_LOOP, f"block {_hex(b.addr)} points back to block {_hex(b.next)} "
                    f"after {_blocks(len(seen) + 1)}")
    if b.next != 0 and b.next < b.addr:
        raise Fault(E_ORDER, f"block {_hex(b.addr)} > next {_hex(b.next)}")
    if b.next != 0 and b.end > b.next:
        raise Fault(E_OVERLAPS, f"block {_hex(b.addr)} + size {_hex(b.size)} = "
                    f"{_hex(b.end)} > next {_hex(b.next)}")
    if b.next != 0 and b.end == b.next:
        raise Fault(E_TOUCH, f"block {_hex(b.addr)} + size {_hex(b.size)} = next "
                    f"{_hex(b.next)}")
    try:
        dirty = reader.first_nonzero(b.addr + pool.meta, b.end)
    except gdb.MemoryError as e:
        raise Fault(E_READ, f"block {_hex(b.addr)} size {_hex(b.size)}: {e}")
    if dirty is not None:
        dirty, byte = dirty
        raise Fault(E_DIRTY, f"byte {byte:#04x} at {_hex(dirty)}, offset "
                    f"{_hex(dirty - b.addr)} in block {_hex(b.addr)} size {_hex(b.size)}")


def _regions(pool):
    """The pool's regions as text: [lo, hi) [lo, hi) ..."""
    return " ".join(f"[{_hex(lo)}, {_hex(hi)})" for lo, hi in pool.regions) or "none"


def check_pool(pool):
    """Checks every invariant; answers (blocks, bytes free) or raises a Fault."""
    pool.sanity()
    reader = Reader(pool.brk)
    seen, nfree = set(), 0
    for b in walk(pool, reader):
        check_block(pool, reader, b, seen)
        seen.add(b.addr)
        nfree += b.size
    if pool.index:
        check_tree(pool, reader)
    if (nfree + pool.inuse) & pool.mask != pool.taken:
        raise Fault(E_BALANCE, f"free {_hex(nfree)} + in use {_hex(pool.inuse)} = "
                    f"{_hex(nfree + pool.inuse)} != taken {_hex(pool.taken)}")
    return len(seen), nfree


class Node:
    """One node of the placement index, read from the block it lives in."""

    def __init__(self, pool, reader, block):
        n = gdb.Value(reader.read(block + pool.hdrsize, pool.node.sizeof), pool.node)
        h = gdb.Value(reader.read(block, pool.hdrsize), pool.hdr)
        self.block, self.size = block, int(h["size"]) & pool.mask
        self.left, self.right, self.parent = (int(n["avl"][k]) & pool.mask
                                              for k in ("left", "right", "parent"))
        self.height, self.max = int(n["avl"]["height"]), int(n["max"]) & pool.mask


def _node_block(pool, ptr, parent):
    """The block whose node ptr points at; a Fault if it cannot be one."""
    b = ptr - pool.hdrsize
    if not (pool.start <= b and b + pool.meta <= pool.brk and b & (pool.granule - 1) == 0):
        who = f"node of block {_hex(parent)}" if parent else "the root"
        raise Fault(E_TLINK, f"{who} has child {_hex(ptr)}, not a node in the heap")
    return b


def read_tree(pool, reader):
    """Reads the whole tree, checking each link before it is followed.
    Answers {block: Node} and the root's block (0 if empty), or raises."""
    nodes = {}
    if pool.root == 0:
        return nodes, 0
    root = _node_block(pool, pool.root, 0)
    stack = [(root, 0)]
    while stack:
        b, parent = stack.pop()
        if b in nodes:
            raise Fault(E_TLINK, f"node of block {_hex(b)} reached twice: the tree loops")
        try:
            x = nodes[b] = Node(pool, reader, b)
        except gdb.MemoryError as e:
            raise Fault(E_READ, f"node of block {_hex(b)}: {e}")
        want = parent + pool.hdrsize if parent else 0
        if x.parent != want:
            who = f"node of block {_hex(parent)}" if parent else "the root"
            raise Fault(E_TLINK, f"{who} has child {_hex(b + pool.hdrsize)} whose parent "
                        f"is {_hex(x.parent)}")
        for c in (x.right, x.left):
            if c:
                stack.append((_node_block(pool, c, b), b))
    return nodes, root


def inorder(nodes, root, pool):
    """The blocks of the tree in order (the tree has been read whole)."""
    out, stack, b = [], [], root
    while stack or b:
        while b:
            stack.append(b)
            l = nodes[b].left
            b = l - pool.hdrsize if l else 0
        b = stack.pop()
        out.append(b)
        r = nodes[b].right
        b = r - pool.hdrsize if r else 0
    return out


def check_tree(pool, reader):
    """Raises a Fault for the first node that breaks a rule of the index."""
    blocks = [b.addr for b in walk(pool, reader)]
    nodes, root = read_tree(pool, reader)
    order = inorder(nodes, root, pool)
    for i, b in enumerate(order):
        if i >= len(blocks):
            raise Fault(E_TORDER, f"tree holds block {_hex(b)} past the list's end")
        if b != blocks[i]:
            raise Fault(E_TORDER, f"tree holds block {_hex(b)} where the list has "
                        f"{_hex(blocks[i])}")
        x = nodes[b]
        kids = [nodes[c - pool.hdrsize] if c else None for c in (x.left, x.right)]
        hl, hr = (k.height if k else 0 for k in kids)
        if x.height != 1 + max(hl, hr) or abs(hl - hr) > 1:
            raise Fault(E_THEIGHT, f"node of block {_hex(b)} has height {x.height}, "
                        f"children {hl} and {hr}")
        want = max([x.size] + [k.max for k in kids if k])
        if x.max != want:
            raise Fault(E_TMAX, f"node of block {_hex(b)} has max {_hex(x.max)}, its "
                        f"subtree's largest block is {_hex(want)}")
    if len(order) < len(blocks):
        raise Fault(E_TORDER, f"block {_hex(blocks[len(order)])} is listed but not in the tree")


def collect(pool):
    """Answers the blocks the list reaches, and the Fault that stopped the
    walk early (or None). For the displays, which must not hang on a
    broken list but should show as much of it as they can."""
    blocks = []
    try:
        pool.sanity()
        for b in walk(pool, Reader(pool.brk)):
            blocks.append(b)
    except Fault as f:
        return blocks, f
    return blocks, None


def _size_problem(pool, addr, size):
    """Why a free block's size cannot be, in words, or None: shown next to
    the size wherever a command prints one."""
    if size == 0:
        return "zero"
    if pool.granule & (pool.granule - 1) == 0 and size & (pool.granule - 1):
        return f"not a multiple of the granule {_hex(pool.granule)}"
    if size > pool.brk - addr:
        return f"runs past the break {_hex(pool.brk)}"
    return None


def _size_mark(pool, addr, size):
    """`  (impossible size: WHY)` for a size that cannot be, else ""."""
    why = _size_problem(pool, addr, size)
    return f"  (impossible size: {why})" if why else ""


def _count_mark(pool, n):
    """The mark for a byte count of the pool's (taken, in use, free) that
    exceeds its arena, else ""."""
    arena = pool.end - pool.start
    return f"  (impossible: more than the arena's {_hex(arena)})" if n > arena else ""


def _size(n):
    """A byte count in hex with a human reading: 0x3000 (12 KiB)."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{_hex(n)} ({n / (1 << shift):.4g} {unit})"
    return f"{_hex(n)} ({n} B)"


class HeapSub(gdb.Command):
    """A `heap` subcommand that never ends in a Python traceback: a broken
    invariant (Fault) or a read of the target that fails is said in words,
    on one line starting with the command's name; the usage errors of
    _fail stay gdb errors. Subclasses write run(arg)."""

    def __init__(self, name, complete=gdb.COMPLETE_EXPRESSION):
        super().__init__(name, gdb.COMMAND_DATA, complete)
        self.name = name

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        try:
            self.run(arg)
        except gdb.GdbError:
            raise
        except Fault as f:
            print(f"{self.name}: FAILED: {f}  (the pool is corrupt)")
        except gdb.error as e:  # gdb.MemoryError too: a read no walk expected to fail
            print(f"{self.name}: cannot read the target: {e}")
        except (ArithmeticError, ValueError, OverflowError, UnicodeError) as e:
            print(f"{self.name}: stopped: a value read from the target is impossible "
                  f"({type(e).__name__}: {e}): the pool is corrupt")


class HeapCommand(gdb.Command):
    """Inspect heaplab from outside: list, check, stats, map, lock, locks, tree, dump, spans, classes.
Usage: heap list|check|stats|map|lock|tree [POOL], dump FILE [POOL], spans|classes [HEAP], locks
POOL is an expression for a struct heaplab_pool or a pointer to one (default:
mempool); HEAP one for the objects layer's heap (default: kobj_heap).
`break heaplab_fail` stops wherever the kernel's own check fails."""

    def __init__(self):
        super().__init__("heap", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class HeapList(HeapSub):
    """List the free blocks: address, size, end, gap to the next, offset.
Usage: heap list [POOL]
One line per block in list (address) order: its address and size in hex, its
end, the gap to the next block (to the break for the last), and its offset
from the heap start; then a summary line. A broken list is shown as far as
it can be walked."""

    def __init__(self):
        super().__init__("heap list")

    def run(self, arg):
        pool = Pool(arg)
        blocks, fault = collect(pool)
        w = pool.width
        for i, b in enumerate(blocks):
            nxt = blocks[i + 1].addr if i + 1 < len(blocks) else pool.brk
            gap = _hex(nxt - b.end) if nxt >= b.end else f"-{_hex(b.end - nxt)}"
            if i + 1 == len(blocks) and fault is None:
                gap += " (to break)"
            # address and size first, one space apart: easy to read back
            head = f"{_hex(b.addr)} {_hex(b.size)}"
            print(f"{head:<{w + 12}} end {_hex(b.end):<{w}} gap {gap:<12} "
                  f"offset +{_hex(b.addr - pool.start)}{_size_mark(pool, b.addr, b.size)}")
        if fault is not None:
            print(f"heap list: walk stopped: {fault}")
        nfree = sum(b.size for b in blocks)
        print(f"heap list: {_blocks(len(blocks))}, {_size(nfree)} free, "
              f"[start {_hex(pool.start)}, break {_hex(pool.brk)})")


class HeapCheck(HeapSub):
    """Check every invariant of the free list, independently of the kernel.
Usage: heap check [POOL | HEAP]
With no argument, in an image whose malloc has run, the objects layer's heap
(kobj_heap) is checked after the pool, as `heap check kobj_heap` does: the
rules of hobj_check (objects/check.c), from the page map, the span records,
every span's free list and bytes, the classes' lists and counts, the store of
records and the pool's free blocks; `heap check: objects: ok (...)` or
`heap check: objects: FAILED: ` with the first broken rule.
The invariants of mem/check.c, computed in Python from memory read through
gdb: a bounded walk without loops, blocks strictly ascending, not overlapping,
not touching, inside [start, break) and one region of the pool, aligned, sized
a nonzero multiple of the granule, zero past each header, and free + in use ==
taken. The break is the pool's own top (bloc), as the C check has it. Prints
`heap check: ok (N blocks, M bytes free)`, or `heap check: FAILED: ` with the
first broken invariant, the block's address and the values. When the pool's
lock is held (stopped inside the allocator), a `heap check: note:` line first
says by whom: the list may be mid-update, and a failure then proves nothing."""

    def __init__(self):
        super().__init__("heap check")

    def run(self, arg):
        if _is_objheap(arg):
            return self.run_objects(arg)
        self.run_pool(arg)
        if not arg.strip() and _objheap_ready():
            self.run_objects("")

    def run_objects(self, arg):
        heap = ObjHeap(arg)
        try:
            spans, large = check_objects(heap)
        except Fault as f:
            print(f"heap check: objects: FAILED: {f}")
            return
        print(f"heap check: objects: ok ({len(spans)} span{'s' if len(spans) != 1 else ''}, "
              f"{sum(s.inuse - s.nremote for s in spans)} objects in use, {len(large)} large)")

    def run_pool(self, arg):
        pool = Pool(arg)
        try:
            held = _lock_holder(pool)
        except Fault as f:  # the list is checked all the same
            held = None
            print(f"heap check: note: {f}: whether the list is mid-update is unknown")
        if held is not None:
            print(f"heap check: note: {held}: the list may be mid-update, so a failure "
                  "below may not be real")
        try:
            n, nfree = check_pool(pool)
        except Fault as f:
            print(f"heap check: FAILED: {f}")
            return
        print(f"heap check: ok ({n} blocks, {nfree} bytes free)")


def _is_objheap(arg):
    """Is arg an expression for a struct hobj_heap (or a pointer to one)?"""
    if not arg.strip():
        return False
    try:
        t = gdb.parse_and_eval(arg).type.strip_typedefs()
    except gdb.error:
        return False  # Pool says why
    if t.code == gdb.TYPE_CODE_PTR:
        t = t.target().strip_typedefs()
    return t.code == gdb.TYPE_CODE_STRUCT and t.tag == "hobj_heap"


def _objheap_ready():
    """Does the image's objects heap (kobj_heap) exist and is it set up?"""
    if gdb.lookup_global_symbol("kobj_heap") is None:
        return False
    try:
        return int(gdb.parse_and_eval("kobj_heap.pool")) != 0
    except gdb.error:
        return False


class HeapStats(HeapSub):
    """Show the heap's numbers: bounds, break, free bytes and blocks, counters.
Usage: heap stats [POOL]
Heap start and end, the break, the granule, the number of free blocks, bytes
free, the largest free block, and the pool's in-use and taken counters; the
per-CPU page caches' bytes when they are on, and for the objects heap's pool
(kobj_pool) the bytes of the spans its caches hold and, with the page caches
on, of the large objects each CPU's stash keeps."""

    def __init__(self):
        super().__init__("heap stats")

    def run(self, arg):
        pool = Pool(arg)
        blocks, fault = collect(pool)
        nfree = sum(b.size for b in blocks)
        largest = max((b.size for b in blocks), default=0)
        rows = [
            ("pool", f"{pool.expr}, checking {'on' if pool.checking else 'off'}"),
            ("heap start", _hex(pool.start)),
            ("heap end", f"{_hex(pool.end)}  ({_size(pool.end - pool.start)} arena)"),
            ("break", f"{_hex(pool.brk)}  (+{_hex(pool.brk - pool.start)}, bloc: the pool's "
                      "top, where the check ends)"),
            ("regions", f"{pool.nregion}: {_regions(pool)}"),
            ("granule", _hex(pool.granule)),
            ("free blocks", str(len(blocks))),
            ("bytes free", _size(nfree) + _count_mark(pool, nfree)),
            ("largest free", _size(largest) + _largest_mark(pool, blocks)),
            ("in use", _size(pool.inuse) + _count_mark(pool, pool.inuse)),
            ("taken", f"{_size(pool.taken)}  (free + in use = {_hex(nfree + pool.inuse)})"
                      + _count_mark(pool, pool.taken)),
        ]
        if pool.sysbrk is not None:
            rows.insert(5, ("system break", f"{_hex(pool.sysbrk)}  (heap_break: every client's, "
                            "malloc's pool too)"))
        rows += _pending_rows(pool) + _pcp_rows() + _objcache_rows(pool) + _stash_rows(pool)
        image = _image_heap(pool.mask)
        if image is not None:
            rows.insert(3, ("image heap", f"[{_hex(image[0])}, {_hex(image[1])})  "
                            "(_heap_start, _heap_end)"))
        for k, v in rows:
            print(f"{k + ':':<14}{v}")
        if fault is not None:
            print(f"walk stopped: {fault}  (run `heap check`)")


def _pending_rows(pool):
    """A row for the frees in flight (zeroed with the lock released), if any."""
    try:
        n = int(gdb.parse_and_eval(f"({pool.expr}).npending"))
    except gdb.error:
        return []
    return [("pending", f"{_size(n)}  (frees zeroing outside the lock; in use until merged)")] \
        if n else []


def _pcp_rows():
    """The kernel's per-CPU page caches (kernel/pcp.c), when on: the bytes each
    CPU's cache holds, in use as far as the pool knows."""
    try:
        if not int(gdb.parse_and_eval("pcp_on")):
            return []
        ncpu = int(gdb.parse_and_eval("sizeof(pcps) / sizeof(pcps[0])"))
        per = [int(gdb.parse_and_eval(f"pcps[{i}].bytes")) for i in range(ncpu)]
    except gdb.error:
        return []
    try:  # kernel/pcp.c's longer runs, in a count of their own (a lab's pcp.c has none)
        per = [b + int(gdb.parse_and_eval(f"pcps[{i}].lbytes")) for i, b in enumerate(per)]
    except gdb.error:
        pass
    held = ", ".join(f"cpu {i} {_size(b)}" for i, b in enumerate(per) if b)
    return [("page caches", f"{_size(sum(per))}  (per-CPU, counted in use: {held or 'empty'})")]


def _is_kobj_pool(pool):
    """Whether pool is the objects heap's pool (kobj_pool); gdb.error if the
    image has none."""
    return int(gdb.parse_and_eval(f"(unsigned long)&({pool.expr})")) == \
        int(gdb.parse_and_eval("(unsigned long)kobj_heap.pool"))


def _objcache_rows(pool):
    """For the objects heap's pool (kobj_pool): the spans its caches own
    (objects/cache.c), in use as far as the pool knows, per cache."""
    if not _objheap_ready():
        return []
    try:
        if not _is_kobj_pool(pool):
            return []
        heap = ObjHeap("")
    except gdb.error:
        return []
    per = []
    for k in heap.caches:
        spans = [Span(heap, a) for c in range(1, heap.nclass) for _, a in heap.owned(k, c)]
        if spans:
            per.append((k["id"], len(spans), sum(s.bytes for s in spans)))
    held = ", ".join(f"cache {i}: {n} spans {_size(b)}" for i, n, b in per)
    return [("object caches", f"{_size(sum(b for _, _, b in per))}  (spans they own, counted "
             f"in use: {held or 'empty'})")]


def _stash_rows(pool):
    """For the objects heap's pool (kobj_pool), with the page caches on: the
    large objects each CPU's stash keeps (kernel/kobj.c), in use as far as
    the objects layer and the pool know, per CPU."""
    if not _objheap_ready():
        return []
    try:
        if not _is_kobj_pool(pool):
            return []
        if not int(gdb.parse_and_eval("pcp_on")):
            return []
        ncpu = int(gdb.parse_and_eval("sizeof(kobj_stashes) / sizeof(kobj_stashes[0])"))
        per = [int(gdb.parse_and_eval(f"kobj_stashes[{i}].bytes")) for i in range(ncpu)]
    except gdb.error:  # NEWLIB_MALLOC=1: no stash
        return []
    held = ", ".join(f"cpu {i} {_size(b)}" for i, b in enumerate(per) if b)
    return [("large stashes", f"{_size(sum(per))}  (per-CPU large objects, counted in use: "
             f"{held or 'empty'})")]


def _largest_mark(pool, blocks):
    """The mark for the largest free block's size, if it cannot be."""
    b = max(blocks, key=lambda b: b.size, default=None)
    return _size_mark(pool, b.addr, b.size) if b is not None else ""


def _image_heap(mask):
    """The linker's heap bounds [_heap_start, _heap_end), or None (the host)."""
    try:
        return tuple(int(gdb.parse_and_eval(f"(unsigned long)&{s}")) & mask
                     for s in ("_heap_start", "_heap_end"))
    except gdb.error:
        return None


def _map_cells(pool, spans, cell, ncells):
    """Answers the bytes of spans [(addr, end)] in each cell of `cell`
    bytes from start."""
    count = [0] * ncells
    for a, e in spans:
        lo, hi = max(a, pool.start), min(e, pool.brk)
        for i in range((lo - pool.start) // cell, (hi - 1 - pool.start) // cell + 1):
            c0 = pool.start + i * cell
            count[i] += min(hi, c0 + cell) - max(lo, c0)
    return count


class HeapMap(HeapSub):
    """Draw [start, break) to scale: free and used runs, 64 columns a row.
Usage: heap map [POOL]
`.` free, `#` in use, `+` partly free, `/` not the pool's (another client of
the break took it, between two of the pool's regions); each row starts and
ends with its addresses. At most 16 rows: a column covers as many granules as needed."""

    def __init__(self):
        super().__init__("heap map")

    def run(self, arg):
        pool = Pool(arg)
        blocks, fault = collect(pool)
        if fault is not None and fault.what in POOL_FAULTS:  # nothing to draw to scale
            if pool.brk < pool.start:
                print(f"heap map: the pool's top {_hex(pool.brk)} lies below its start "
                      f"{_hex(pool.start)}: the pool is corrupt")
            print(f"heap map: cannot draw the heap: {fault}  (run `heap check`)")
            return
        span = pool.brk - pool.start
        if span == 0:
            print(f"heap map: empty heap (break == start == {_hex(pool.start)})")
            return
        pages = -(-span // pool.granule)
        cell = pool.granule * -(-pages // (MAP_COLS * MAP_ROWS))
        ncells = -(-span // cell)
        free = _map_cells(pool, [(b.addr, b.end) for b in blocks], cell, ncells)
        own = _map_cells(pool, pool.regions, cell, ncells)
        chars = [_map_char(f, o) for f, o in zip(free, own)]
        w = pool.width
        for r in range(0, ncells, MAP_COLS):
            row = "".join(chars[r:r + MAP_COLS])
            lo, hi = pool.start + r * cell, min(pool.start + (r + MAP_COLS) * cell, pool.brk)
            print(f"{_hex(lo):>{w}} |{row:<{MAP_COLS}}| {_hex(hi)}")
        print(f"one column = {_hex(cell)} bytes; `.` free, `#` in use, `+` both, `/` not "
              f"the pool's; free: {_blocks(len(blocks))}, "
              f"{_size(sum(b.size for b in blocks))}")
        if fault is not None:
            print(f"walk stopped: {fault}  (run `heap check`)")


def _map_char(free, own):
    """A cell's character from its free bytes and the bytes of it the pool owns."""
    if own <= 0:
        return "/"
    if free <= 0:
        return "#"
    return "." if free >= own else "+"


def _symbolize(addr):
    """addr with the symbol it falls in, as gdb shows it: 0x1234 <heaplab_free+32>."""
    try:
        sym = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
    except gdb.error:
        sym = ""
    if not sym or sym.startswith("No symbol"):
        return _hex(addr)
    return f"{_hex(addr)} <{sym.split(' in section')[0].replace(' + ', '+')}>"


def _describe_pc(pc):
    """pc with its symbol and source line."""
    sal = gdb.find_pc_line(pc)
    where = f" at {sal.symtab.filename}:{sal.line}" if sal.symtab is not None else ""
    return _symbolize(pc) + where


LOCK_NAME_MAX = 64  # bytes of a lock's name read at most (kernel names are short)


def _lock_name(ptr):
    """A lock's name as shown: "NAME" quoted, or what is wrong with it in
    words (the name pointer is a field of a lock that may be corrupt)."""
    if ptr == 0:
        return '"?"'
    raw = b""
    try:
        while len(raw) < LOCK_NAME_MAX and b"\0" not in raw:
            raw += bytes(gdb.selected_inferior().read_memory(ptr + len(raw), 8))
    except gdb.error as e:  # gdb.MemoryError too
        if b"\0" not in raw:
            return f"(name corrupt: {_hex(ptr)} cannot be read: {e})"
    if b"\0" not in raw:
        return f"(name corrupt: no NUL in {LOCK_NAME_MAX} bytes at {_hex(ptr)})"
    raw = raw[:raw.index(b"\0")]
    try:
        name = raw.decode("ascii")
    except UnicodeDecodeError:
        name = None
    if name is None or not name.isprintable():
        return f"(name corrupt: bytes {raw.hex(' ')} at {_hex(ptr)}, not text)"
    return f'"{name}"'


class Lock:
    """The pool's spinlock, read once: locked, cpu, pc and its name as shown."""

    def __init__(self, pool):
        t = _type("struct spinlock")
        try:
            lk = gdb.Value(pool.lockarg).cast(t.pointer()).dereference()
            self.locked, self.cpu = int(lk["locked"]), int(lk["cpu"])
            self.pc, nameptr = int(lk["pc"]) & pool.mask, int(lk["name"]) & pool.mask
        except gdb.error as e:  # gdb.MemoryError too
            raise Fault(E_LOCK, f"the lock at {_hex(pool.lockarg)} (lockarg): {e}")
        self.name = _lock_name(nameptr)
        # -1 is no CPU; more than 1024 CPUs no port has
        self.cpu_note = "" if -1 <= self.cpu < 1024 else " (impossible cpu: the lock is corrupt)"


def _read_lock(pool):
    """The pool's Lock, or None if it has none; a Fault if it cannot be read."""
    return Lock(pool) if pool.lockarg != 0 else None


def _lock_holder(pool):
    """`LOCK "NAME" is held by cpu N from pc PC` if the pool's lock is held, else None."""
    lk = _read_lock(pool)
    if lk is None or not lk.locked:
        return None
    return (f"{_symbolize(pool.lockarg)} {lk.name} is held by cpu {lk.cpu}{lk.cpu_note} "
            f"from pc {_describe_pc(lk.pc)}")


class HeapLock(HeapSub):
    """Show the allocator's lock: free, or held by which CPU from which pc.
Usage: heap lock [POOL]
The lock is the pool's lockarg, a struct spinlock (mem_lock in the images);
the host replay has none."""

    def __init__(self):
        super().__init__("heap lock")

    def run(self, arg):
        pool = Pool(arg)
        if pool.lockarg == 0:
            print(f"heap lock: {pool.expr} has no lock object (lockarg is NULL): the host "
                  "replay locks with a flag in arch/host/host.c, not a spinlock")
            return
        try:
            lk = _read_lock(pool)
        except Fault as f:
            print(f"heap lock: FAILED: {f}")
            return
        what = f"heap lock: {_symbolize(pool.lockarg)} {lk.name}"
        if not lk.locked:
            stale = f" (but cpu {lk.cpu}, pc {_hex(lk.pc)} recorded)" if lk.cpu != -1 else ""
            print(f"{what}: free{stale}{lk.cpu_note}")
        else:
            print(f"{what}: held by cpu {lk.cpu}{lk.cpu_note} from pc {_describe_pc(lk.pc)}")


def _lockstat_us(ticks, hz):
    """ticks in us as the kernel's us() makes them (kernel/spinlock.c)."""
    return ticks // hz * 1000000 + ticks % hz * 1000000 // hz


class HeapLocks(HeapSub):
    """Every lock the kernel's lockstat counts, as `kernel lockstat` prints
them at the end of a run (6.1810's kalloctest columns), read from memory.
Usage: heap locks
One line per lock in lockstat's table (each static lock enters it the first
time it is taken) and per group of run-time locks (their sums, the longest of
their holds: "objects classes"), the most contended first: failed
test-and-sets, acquires, the longest hold and the longest interrupts-off
stretch its holder opened, in us (ticks if the kernel has not measured its
clock yet), and the longest wait (the most failed attempts of one acquire,
and the pc its holder had taken the lock at). Then every lock held now, and
by whom."""

    def __init__(self):
        super().__init__("heap locks", gdb.COMPLETE_NONE)

    def run(self, arg):
        if arg.strip():
            raise gdb.GdbError("heap locks: no argument: it reads the kernel's lockstat table")
        try:
            tab = gdb.parse_and_eval("lockstat_tab")
            n = int(gdb.parse_and_eval("lockstat_n"))
            groups = gdb.parse_and_eval("lockgroups")
            ng = int(gdb.parse_and_eval("nlockgroup"))
            hz = int(gdb.parse_and_eval("lockstat_hz"))
        except gdb.error as e:
            print(f"heap locks: no lockstat table here ({e}): the images have one, the host "
                  "replay does not")
            return
        size = tab.type.range()[1] + 1
        rows, held = [], []

        def fields(lk):
            return {k: int(lk[k]) for k in ("nts", "nacquire", "hold_max", "irqoff_max",
                                            "wait_max", "wait_pc", "locked", "cpu", "pc")}

        for i in range(min(n, size)):
            ptr = int(tab[i])
            if ptr == 0:  # a slot claimed, not yet written
                continue
            lk = tab[i].dereference()
            f = fields(lk)
            name = _lock_name(int(lk["name"]))
            rows.append((name, f["nts"], f["nacquire"], f["hold_max"], f["irqoff_max"],
                         f["wait_max"], f["wait_pc"]))
            if f["locked"]:
                held.append((name, ptr, f["cpu"], f["pc"]))
        for g in range(min(ng, int(groups.type.range()[1]) + 1)):
            grp = groups[g]
            name = _lock_name(int(grp["sum"]["name"]))
            base, cnt = grp["locks"], int(grp["n"])
            nts = nacq = hold = irq = wait = wpc = 0
            for i in range(cnt):
                f = fields(base[i])
                nts += f["nts"]
                nacq += f["nacquire"]
                hold, irq = max(hold, f["hold_max"]), max(irq, f["irqoff_max"])
                if f["wait_max"] > wait:  # the first of the longest, as lockgroup_sum
                    wait, wpc = f["wait_max"], f["wait_pc"]
                if f["locked"]:
                    held.append((f"{name} [{i}]", int(base) + i * base.dereference().type.sizeof,
                                 f["cpu"], f["pc"]))
            if nacq:  # a group never taken is not listed, as in lockstat_print
                rows.append((name, nts, nacq, hold, irq, wait, wpc))
        rows.sort(key=lambda r: -r[1])  # stable: ties in table order, as the kernel's
        unit = "us" if hz else "ticks: the kernel has not measured its clock yet"
        print(f"--- lock stats (#test-and-set: failed attempts; hold and irq-off: the longest, "
              f"{unit}; wait: the most failed attempts of one acquire, and the pc its holder "
              f"took the lock at)")
        for name, nts, nacq, hold, irq, wait, wpc in rows:
            if hz:
                hold, irq = _lockstat_us(hold, hz), _lockstat_us(irq, hz)
            print(f"lock: {name.strip(chr(34))}: #test-and-set {nts} #acquire() {nacq} "
                  f"hold {hold} irq-off {irq} wait {wait} at {_hex(wpc) if wpc else 0}")
        if n > size:
            print(f"lock: {n - size} more locks were taken than the table holds ({size})")
        for name, ptr, cpu, pc in held:
            print(f"heap locks: {_symbolize(ptr)} {name} is held by cpu {cpu} from pc "
                  f"{_describe_pc(pc)}")
        print(f"heap locks: {len(rows)} rows, {len(held)} held now")


class HeapTree(HeapSub):
    """Print the placement index: the AVL tree over the free blocks.
Usage: heap tree [POOL]
One line per node, children indented under their parent (L left, lower
addresses; R right, higher): the block's address and size, its subtree's
largest block (max) and its height; then a summary line. A pool that walks
the list (granule too small for a node, or --list) has no tree."""

    def __init__(self):
        super().__init__("heap tree")

    def run(self, arg):
        pool = Pool(arg)
        if not pool.index:
            print(f"heap tree: {pool.expr} walks the list: no placement index "
                  f"(granule {_hex(pool.granule)}, or the list mode was chosen)")
            return
        try:
            pool.sanity()
            nodes, root = read_tree(pool, Reader(pool.brk))
        except Fault as f:
            print(f"heap tree: FAILED: {f}  (run `heap check`)")
            return
        stack = [(root, 0, "")] if root else []
        while stack:
            b, depth, side = stack.pop()
            x = nodes[b]
            mark = _size_mark(pool, b, x.size)
            if x.max > pool.brk - pool.start:
                mark += f"  (impossible max: more than the heap's {_hex(pool.brk - pool.start)})"
            print(f"{'  ' * depth}{side}{_hex(b)} {_hex(x.size)} max {_hex(x.max)} "
                  f"h {x.height}{mark}")
            for c, s in ((x.right, "R "), (x.left, "L ")):
                if c:
                    stack.append((c - pool.hdrsize, depth + 1, s))
        height = nodes[root].height if root else 0
        print(f"heap tree: {len(nodes)} node{'' if len(nodes) == 1 else 's'}, height {height}, root "
              f"{_hex(root) if root else 'none'}")


# `heap dump FILE`: the pool as JSON for tools/heapview.py --snapshot. The
# format is documented in docs/heapview.md; bump SNAPSHOT_VERSION with it.
SNAPSHOT_FORMAT = "heaplab-snapshot"
SNAPSHOT_VERSION = 1


def _offset(pool, addr):
    """addr as a 0x-hex offset from the heap start, or None if it is NULL or
    outside [start, end)."""
    return _hex(addr - pool.start) if addr and pool.start <= addr < pool.end else None


def _dump_blocks(pool, blocks):
    return [{"offset": _hex(b.addr - pool.start), "size": _hex(b.size),
             "next": _offset(pool, b.next), "addr": _hex(b.addr), "next_addr": _hex(b.next)}
            for b in blocks]


def _dump_lock(pool):
    """The lock as JSON, or None when the pool has no lock object."""
    try:
        lk = _read_lock(pool)
    except Fault as f:
        return {"addr": _hex(pool.lockarg), "error": str(f)}
    if lk is None:
        return None
    name = lk.name[1:-1] if lk.name.startswith('"') else lk.name  # a corrupt one in words
    return {"addr": _hex(pool.lockarg), "name": name, "locked": bool(lk.locked), "cpu": lk.cpu,
            "pc": _hex(lk.pc), "where": _describe_pc(lk.pc) if lk.locked else None}


def _dump_tree(pool):
    """The placement index as JSON, read as `heap tree` reads it: each node's
    block, size and links as offsets, in preorder. A link that breaks the
    tree ends the walk with walk_error."""
    tree = {"index": pool.index, "root": None, "nodes": [], "walk_error": None}
    try:
        nodes, root = read_tree(pool, Reader(pool.brk))
    except Fault as f:
        tree["walk_error"] = str(f)
        return tree
    link = lambda p: _offset(pool, p - pool.hdrsize) if p else None  # noqa: E731
    tree["root"] = _offset(pool, root) if root else None
    stack = [root] if root else []
    while stack:
        x = nodes[stack.pop()]
        tree["nodes"].append({"offset": _hex(x.block - pool.start), "size": _hex(x.size),
                              "left": link(x.left), "right": link(x.right),
                              "parent": link(x.parent), "max": _hex(x.max),
                              "height": x.height})
        stack += [c - pool.hdrsize for c in (x.right, x.left) if c]
    return tree


def snapshot(pool):
    """The pool's state as a dict (docs/heapview.md): bounds, break, granule,
    counters, every free block the list reaches, the lock and the tree."""
    blocks, fault = collect(pool)
    v = _eval(pool.expr)
    if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
        v = v.dereference()
    try:
        arch = gdb.selected_inferior().architecture().name()
    except (AttributeError, gdb.error):
        arch = gdb.selected_frame().architecture().name()
    snap = {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "pool": pool.expr,
            "arch": arch, "start": _hex(pool.start), "end": _hex(pool.end),
            "break": _hex(pool.sysbrk if pool.sysbrk is not None else pool.brk),
            "bloc": _hex(pool.bloc) if pool.bloc else None,
            "regions": [[_hex(lo - pool.start), _hex(hi - pool.start)] for lo, hi in pool.regions],
            "granule": _hex(pool.granule), "taken": _hex(pool.taken), "inuse": _hex(pool.inuse),
            "checking": bool(pool.checking), "free": _dump_blocks(pool, blocks),
            "walk_error": str(fault) if fault is not None else None, "lock": _dump_lock(pool)}
    if "index" in {f.name for f in v.type.strip_typedefs().fields()}:
        snap["tree"] = _dump_tree(pool)  # an indexed pool in list mode: no nodes
    return snap


class HeapDump(HeapSub):
    """Write the pool's state as JSON, for the heap viewer.
Usage: heap dump FILE [POOL]
FILE gets the heap's bounds, the break, the granule, the counters, every free
block (offset, size, next), the lock's holder and, when the pool has one, the
placement tree; docs/heapview.md has the format. Open it in a browser with
`make heapview SNAPSHOT=FILE` (tools/heapview.py --snapshot FILE)."""

    def __init__(self):
        super().__init__("heap dump", gdb.COMPLETE_FILENAME)

    def run(self, arg):
        words = arg.split(None, 1)
        if not words:
            _fail("usage: heap dump FILE [POOL]")
        path = os.path.expanduser(words[0])
        pool = Pool(words[1] if len(words) > 1 else "")
        snap = snapshot(pool)
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(snap, f, indent=1)
                f.write("\n")
            os.replace(tmp, path)
        except OSError as e:
            _fail(f"cannot write '{path}': {e.strerror}")
        tree = f", a tree of {len(snap['tree']['nodes'])} nodes" if "tree" in snap else ""
        stop = f"; walk stopped: {snap['walk_error']}" if snap["walk_error"] else ""
        n = len(snap["free"])
        print(f"heap dump: wrote {path} ({n} free block{'s' if n != 1 else ''}{tree}){stop}")


# --- the objects layer (objects/): spans, classes, and its check -----------
#
#   The heap (struct hobj_heap, `kobj_heap` in the images) is found by
#   symbol like the pool. Its page map, one word per granule of the pool's
#   [start, end), is read in one piece; each span's record and each span's
#   bytes once (its free list is threaded through them). The class tables
#   (hobj_class_size, _npages, _nobj) are the target's own, read by symbol;
#   HOBJ_UNIT and the page map's tag bits are objects/sizeclasses.h's and
#   objects/objects.h's, which debug info does not carry.
#
#   Caches (objects/cache.c): the heap's list of caches (a CPU's, a
#   thread's), each with the spans it owns per class (its active span, its
#   part and full lists), its rspans lists and nowned counts, and its
#   counts not yet added to the classes'. With the target stopped, every span is walked
#   whole, a cache's too (hobj_check, running, walks only its own CPU's);
#   a CPU stopped inside a cache's fast path (no lock: interrupts off on
#   it) may hold a span half-changed, as one stopped holding a lock may.

HOBJ_UNIT = 4096  # objects/sizeclasses.h: a span is npages units (tests/test_objects.py)
PM_LARGE, PM_TAIL = 1, 2  # objects/objects.h: page map tags

# hobj_check's findings, in objects/check.c's words (hobj_strerror)
O_SPAN = "span record disagrees with its class"
O_FREELIST = "free list entry wrong"
O_COUNT = "counts disagree"
O_DIRTY = "never-handed-out object not zero"
O_PARTIAL = "partial list wrong"
O_PAGEMAP = "page map entry wrong"
O_POOL = "span or large object in the pool's free pages"
O_CACHE = "a cache and its spans disagree"
O_SPANS = "a class's list of every span wrong"
O_HEAP = "heap record broken"
O_READ = "span unreadable"


def _byteorder():
    return "big" if "big endian" in gdb.execute("show endian", to_string=True) else "little"


def _table(name):
    """One of objects/sizeclasses.h's tables, as the target has it."""
    sym = gdb.lookup_static_symbol(name) or gdb.lookup_global_symbol(name)
    if sym is None:
        _fail(f"no table '{name}' in the loaded symbols (the objects layer is not linked in)")
    v = sym.value()
    n = v.type.strip_typedefs().range()[1] + 1
    return [int(v[i]) for i in range(n)]


class Span:
    """A span record read from the target (struct hobj_span)."""

    def __init__(self, heap, addr):
        self.addr = addr
        try:
            v = gdb.Value(bytes(gdb.selected_inferior().read_memory(addr, heap.span_t.sizeof)),
                          heap.span_t)
            m = heap.mask
            self.base, self.bytes = int(v["base"]) & m, int(v["bytes"]) & m
            self.next, self.prev = int(v["next"]) & m, int(v["prev"]) & m
            self.free = int(v["free"]) & m
            self.cls, self.nobj = int(v["cls"]), int(v["nobj"])
            self.inuse, self.fresh = int(v["inuse"]), int(v["fresh"])
            bits = v["inuse_bits"]
            nw = bits.type.strip_typedefs().range()[1] + 1
            self.bits = 0
            for i in range(nw):
                self.bits |= (int(bits[i]) & ((1 << 64) - 1)) << (64 * i)
            self.maxobj = 64 * nw
            self.owner = int(v["owner"]) & m
            self.remote, self.nremote = int(v["remote"]) & m, int(v["nremote"]) & m
            self.rnext, self.rlisted = int(v["rnext"]) & m, int(v["rlisted"]) & m
            self.cnext, self.cprev = int(v["cnext"]) & m, int(v["cprev"]) & m
            rb = v["remote_bits"]
            rw = rb.type.strip_typedefs().range()[1] + 1
            wbits = 8 * heap.ptrsize
            self.rbits = 0
            for i in range(rw):
                self.rbits |= (int(rb[i]) & ((1 << wbits) - 1)) << (wbits * i)
        except gdb.error as e:  # gdb.MemoryError too
            raise Fault(O_READ, f"span record {_hex(addr)}: {e}")
        self.nfree = None  # set by the check's walk of its free list

    def bit(self, i):
        return (self.bits >> i) & 1


class ObjHeap:
    """A snapshot of a struct hobj_heap, read once: its constants, its
    classes' records, the page map, and its pool (a Pool)."""

    def __init__(self, arg):
        expr, v = _struct_arg(arg, "kobj_heap", "hobj_heap")
        self.expr = expr
        self.span_t = _type("struct hobj_span")
        self.ptrsize = _type("void").pointer().sizeof
        self.mask = (1 << (8 * self.ptrsize)) - 1
        self.size, self.npages, self.nobj = (_table(f"hobj_class_{n}")
                                             for n in ("size", "npages", "nobj"))
        try:
            self.pool_addr = int(v["pool"]) & self.mask
            self.pagemap = int(v["pagemap"]) & self.mask
            self.pagemap_bytes = int(v["pagemap_bytes"]) & self.mask
            self.shift = int(v["shift"])
            self.start, self.end = int(v["start"]) & self.mask, int(v["end"]) & self.mask
            self.checking = int(v["checking"])
            cl = v["class"]
            self.nclass = cl.type.strip_typedefs().range()[1] + 1
            self.classes = []
            for c in range(self.nclass):
                k = cl[c]
                self.classes.append({"partial": int(k["partial"]) & self.mask,
                                     "spans": int(k["spans"]) & self.mask,
                                     "nspan": int(k["nspan"]) & self.mask,
                                     "inuse": int(k["inuse"]) & self.mask,
                                     "nalloc": int(k["nalloc"]), "nfree": int(k["nfree"])})
            self.large_bytes = int(v["large_bytes"]) & self.mask
            self.nlarge = int(v["nlarge"]) & self.mask
            self.large_nalloc, self.large_nfree = int(v["large_nalloc"]), int(v["large_nfree"])
            self.store = int(v["store"]) & self.mask
            self.store_bytes = int(v["store_bytes"]) & self.mask
            self.nrecord = int(v["nrecord"]) & self.mask
            # in flight between the pool and the page map (objects.c, "Transit")
            self.transit_bytes = int(v["transit_bytes"]) & self.mask
            self.transit_records = int(v["transit_records"]) & self.mask
            self.caches = self.read_caches(int(v["caches"]) & self.mask)
        except gdb.error as e:
            _fail(f"cannot read '{expr}': {e}")
        if self.pool_addr == 0:
            _fail(f"'{expr}' is not set up yet (hobj_init has not run): continue to "
                  "kobj_mark or the first malloc first")
        self.pool = Pool(f"*(struct heaplab_pool *){self.pool_addr}")
        self.granule = 1 << self.shift if 0 <= self.shift < 8 * self.ptrsize else 0

    def read_caches(self, q):
        """The heap's caches (struct hobj_cache), from its list: each a dict of
        its address, id, active spans by class, and counts by class; a list
        that loops or cannot be read stops there (the check says so)."""
        t = _type("struct hobj_cache")
        caches, seen = [], set()
        self.caches_fault = None
        while q != 0:
            if q in seen or len(seen) > 4096:
                self.caches_fault = f"the list of caches loops at {_hex(q)}"
                break
            seen.add(q)
            try:
                v = gdb.Value(bytes(gdb.selected_inferior().read_memory(q, t.sizeof)), t)
            except gdb.error as e:
                self.caches_fault = f"cache {_hex(q)}: {e}"
                break
            caches.append({"addr": q, "id": int(v["id"]),
                           "alloc": [int(v["alloc"][c]) & self.mask for c in range(self.nclass)],
                           "part": [int(v["part"][c]) & self.mask for c in range(self.nclass)],
                           "full": [int(v["full"][c]) & self.mask for c in range(self.nclass)],
                           "rspans": [int(v["rspans"][c]) & self.mask
                                      for c in range(self.nclass)],
                           "nowned": [int(v["nowned"][c]) & self.mask
                                      for c in range(self.nclass)],
                           "nalloc": [int(v["nalloc"][c]) for c in range(self.nclass)],
                           "nfree": [int(v["nfree"][c]) for c in range(self.nclass)]})
            q = int(v["next"]) & self.mask
        return caches

    def owned(self, k, c):
        """Cache k's spans of class c, as (list, record address) pairs: its
        active span ("alloc"), then its part and full lists, each walked
        through next up to nowned + 1 entries (a loop stops there)."""
        out = [("alloc", k["alloc"][c])] if k["alloc"][c] else []
        for lst in ("part", "full"):
            q = k[lst][c]
            while q != 0 and len(out) <= k["nowned"][c]:
                out.append((lst, q))
                q = Span(self, q).next
        return out

    def cache_name(self, addr):
        """How a span's owner is shown: its cache's id (a CPU, a thread)."""
        c = next((c for c in self.caches if c["addr"] == addr), None)
        return f"cache {c['id']}" if c is not None else f"cache {_hex(addr)}?"

    def sanity(self):
        """Raises a Fault if the heap's own record cannot describe a heap."""
        g = self.granule
        if g < 64 or g > HOBJ_UNIT or g != self.pool.granule:
            raise Fault(O_HEAP, f"shift {self.shift}: granule {_hex(g)}, the pool's is "
                        f"{_hex(self.pool.granule)}")
        if (self.start, self.end) != (self.pool.start, self.pool.end) or self.start > self.end:
            raise Fault(O_HEAP, f"range [{_hex(self.start)}, {_hex(self.end)}), the pool's "
                        f"[{_hex(self.pool.start)}, {_hex(self.pool.end)})")
        need = ((self.end - self.start) >> self.shift) * self.ptrsize
        if self.pagemap_bytes < need:
            raise Fault(O_HEAP, f"page map of {_hex(self.pagemap_bytes)} bytes, the pool's "
                        f"pages need {_hex(need)}")

    def top(self):
        return self.pool.bloc or self.start

    def read_pagemap(self):
        """The page map's words over [start, top), as a list."""
        n = (self.top() - self.start) >> self.shift
        if n <= 0:
            return []
        try:
            raw = bytes(gdb.selected_inferior().read_memory(self.pagemap, n * self.ptrsize))
        except gdb.error as e:
            raise Fault(O_READ, f"page map at {_hex(self.pagemap)}: {e}")
        w, order = self.ptrsize, _byteorder()
        return [int.from_bytes(raw[i:i + w], order) for i in range(0, len(raw), w)]

    def cname(self, c):
        return f"class {c}, {self.size[c]}-byte objects" if 0 < c < len(self.size) \
            else f"class {c}"


def walk_pagemap(heap):
    """Follows the page map from the pool's start to its top: answers the
    spans (Span) and large objects ((address, pages)) in address order, or
    raises a Fault where an entry cannot be (objects/check.c's
    check_pagemap)."""
    pm = heap.read_pagemap()
    g, top = heap.granule, heap.top()
    spans, large, i = [], [], 0
    while i < len(pm):
        e, a = pm[i], heap.start + i * g
        if e == 0:
            i += 1
            continue
        if e & PM_TAIL or (e & PM_LARGE and (e >> 2 == 0 or e >> 2 > (top - a) >> heap.shift)):
            raise Fault(O_PAGEMAP, f"page {_hex(a)}: entry {_hex(e)}")
        if e & PM_LARGE:
            n = e >> 2
            large.append((a, n))
            want = [(k << 2) | PM_LARGE | PM_TAIL for k in range(1, n)]
        else:
            s = Span(heap, e)
            if s.base != a or s.bytes > top - a or s.bytes < g:
                raise Fault(O_PAGEMAP, f"page {_hex(a)}: entry {_hex(e)}, a record whose "
                            f"span is [{_hex(s.base)}, +{_hex(s.bytes)})")
            n = s.bytes >> heap.shift
            spans.append(s)
            want = [e] * (n - 1)
        for k, w in enumerate(want, 1):
            if pm[i + k] != w:
                raise Fault(O_PAGEMAP, f"page {_hex(a + k * g)} of the span or large object "
                            f"at {_hex(a)}: entry {_hex(pm[i + k])}, want {_hex(w)}")
        i += n
    return spans, large


def check_span(heap, s):
    """objects/check.c's check_span and check_freelist for span s: raises a
    Fault or sets s.nfree. Its bytes are read once."""
    c = s.cls
    if not 0 < c < heap.nclass or s.bytes != heap.npages[c] * HOBJ_UNIT or \
            s.nobj != heap.nobj[c] or s.fresh > s.nobj or s.base % heap.granule:
        raise Fault(O_SPAN, f"span {_hex(s.base)}: class {c}, {_hex(s.bytes)} bytes, "
                    f"{s.nobj} objects, fresh {s.fresh}")
    size = heap.size[c]
    try:
        mem = bytes(gdb.selected_inferior().read_memory(s.base, s.bytes))
    except gdb.error as e:
        raise Fault(O_READ, f"span {_hex(s.base)}: {e}")
    order = _byteorder()
    seen, q, n = set(), s.free, 0
    while q != 0:
        off = q - s.base
        i = off // size if 0 <= off else -1
        if not 0 <= off < s.bytes or i >= s.fresh or i * size != off:
            raise Fault(O_FREELIST, f"span {_hex(s.base)} ({heap.cname(c)}): entry {n}, "
                        f"{_hex(q)}, is not an object below fresh {s.fresh}")
        if s.bit(i):
            raise Fault(O_FREELIST, f"span {_hex(s.base)} ({heap.cname(c)}): entry {n}, "
                        f"{_hex(q)}, is in use")
        if i in seen:
            raise Fault(O_FREELIST, f"span {_hex(s.base)} ({heap.cname(c)}): entry {n}, "
                        f"{_hex(q)}, is listed twice")
        seen.add(i)
        n += 1
        q = int.from_bytes(mem[off:off + heap.ptrsize], order)
    used = bin(s.bits).count("1")
    if s.bits >> s.fresh:
        k = (s.bits >> s.fresh & -(s.bits >> s.fresh)).bit_length() - 1 + s.fresh
        raise Fault(O_COUNT, f"span {_hex(s.base)} ({heap.cname(c)}): object {k} in use, "
                    f"at or past fresh {s.fresh}")
    if used != s.inuse or used + n != s.fresh:
        raise Fault(O_COUNT, f"span {_hex(s.base)} ({heap.cname(c)}): {used} in-use bits, "
                    f"inuse {s.inuse}, {n} free, fresh {s.fresh}")
    check_remote(heap, s, mem, order)
    tail = mem[s.fresh * size:]
    rest = tail.lstrip(b"\0")
    if rest:
        a = s.base + s.fresh * size + len(tail) - len(rest)
        raise Fault(O_DIRTY, f"byte {rest[0]:#04x} at {_hex(a)}, in span {_hex(s.base)} "
                    f"({heap.cname(c)}) past fresh {s.fresh}")
    s.nfree = n


def check_remote(heap, s, mem, order):
    """objects/check.c's check_remote: s's remote list, each entry an object
    in use with its remote bit set, listed once, as many as nremote and as
    the remote bits; none on a central span."""
    c, size = s.cls, heap.size[s.cls]
    seen, q, n = set(), s.remote, 0
    while q != 0 and n <= s.nobj:
        off = q - s.base
        i = off // size if 0 <= off else -1
        where = f"span {_hex(s.base)} ({heap.cname(c)}): remote entry {n}, {_hex(q)}"
        if not 0 <= off < s.bytes or i >= s.nobj or i * size != off:
            raise Fault(O_FREELIST, f"{where}, is not an object")
        if not s.bit(i) or not (s.rbits >> i) & 1:
            raise Fault(O_FREELIST, f"{where}, is not in use with its remote bit set")
        if i in seen:
            raise Fault(O_FREELIST, f"{where}, is listed twice")
        seen.add(i)
        n += 1
        q = int.from_bytes(mem[off:off + heap.ptrsize], order)
    bits = bin(s.rbits).count("1")
    if n != s.nremote or bits != n or (s.owner == 0 and n != 0) or s.rlisted != (n != 0):
        raise Fault(O_COUNT, f"span {_hex(s.base)} ({heap.cname(c)}): nremote {s.nremote}, "
                    f"{n} on its remote list, {bits} remote bits"
                    + (", and no owner" if s.owner == 0 and n else "")
                    + (f", rlisted {s.rlisted}" if s.rlisted != (n != 0) else ""))


def check_cached(heap, spans):
    """objects/check.c's check_owned, check_mine and check_caches, with the
    target stopped: every owned span is held by its owner, one of the
    heap's caches, as its active span or on its part list (a free object)
    or its full list (none), as many as its nowned; its rspans lists hold
    its spans with remote objects (rlisted), and only those."""
    if heap.caches_fault is not None:
        raise Fault(O_CACHE, heap.caches_fault)
    at = {s.addr: s for s in spans}
    by = {c["addr"]: c for c in heap.caches}
    held, rlisted = {}, set()
    for k in heap.caches:
        for c in range(1, heap.nclass):
            owned = heap.owned(k, c)
            where = f"cache {k['id']} ({_hex(k['addr'])}): class {c}'s"
            if len(owned) != k["nowned"][c]:
                raise Fault(O_CACHE, f"{where} spans: {len(owned)} held, nowned "
                            f"{k['nowned'][c]}")
            for lst, a in owned:
                s = at.get(a)
                if s is None or s.owner != k["addr"] or s.cls != c or a in held or \
                        (lst == "part" and s.inuse >= s.nobj) or \
                        (lst == "full" and s.inuse != s.nobj):
                    raise Fault(O_CACHE, f"{where} span record {_hex(a)} ({lst}) is not a "
                                "span it owns, or not as its list says")
                held[a] = k
            q, n = k["rspans"][c], 0
            while q != 0:
                s = at.get(q)
                n += 1
                if n > k["nowned"][c] or s is None or s.owner != k["addr"] or not s.rlisted:
                    raise Fault(O_CACHE, f"{where} rspans entry {n}, {_hex(q)}, is not a "
                                "span of its with remote objects")
                rlisted.add(q)
                q = s.rnext
    for s in spans:
        if s.owner == 0:
            continue
        k = by.get(s.owner)
        if k is None or held.get(s.addr) is not k:
            raise Fault(O_CACHE, f"span {_hex(s.base)} ({heap.cname(s.cls)}): owner "
                        f"{_hex(s.owner)}, which does not hold it")
        if s.rlisted and s.addr not in rlisted:
            raise Fault(O_CACHE, f"span {_hex(s.base)} ({heap.cname(s.cls)}): rlisted, on "
                        f"no rspans list of its owner's")


def check_objects(heap):
    """hobj_check from outside: answers (spans, large objects) or raises a
    Fault naming the first broken rule, in objects/check.c's order."""
    heap.sanity()
    spans, large = walk_pagemap(heap)
    tally = {c: {"nspan": 0, "inuse": 0, "notfull": 0, "empty": 0} for c in range(heap.nclass)}
    for s in spans:
        check_span(heap, s)
        t = tally[s.cls]
        t["nspan"] += 1
        if s.owner:  # a cache's: in no list, its objects its own record's
            continue
        t["inuse"] += s.inuse
        t["notfull"] += s.inuse < s.nobj
        t["empty"] += s.inuse == 0
    check_cached(heap, spans)
    at = {s.addr: s for s in spans}
    for c in range(1, heap.nclass):  # check_spanlists: every span on its class's list, once
        n, prev, q = 0, 0, heap.classes[c]["spans"]
        while q != 0:
            s = at.get(q)
            n += 1
            if n > tally[c]["nspan"] or s is None or s.cls != c or s.cprev != prev:
                raise Fault(O_SPANS, f"{heap.cname(c)}: entry {n} of its list of spans, record "
                            f"{_hex(q)}, is not a span of the class linked back to the one "
                            "before")
            prev, q = q, s.cnext
        if n != tally[c]["nspan"]:
            raise Fault(O_SPANS, f"{heap.cname(c)}: {n} spans on its list of spans, the page "
                        f"map: {tally[c]['nspan']}")
    for c in range(1, heap.nclass):
        k, t = heap.classes[c], tally[c]
        n, prev, q = 0, 0, k["partial"]
        while q != 0 and n <= t["nspan"]:
            s = at.get(q)
            if s is None or s.cls != c or s.prev != prev or s.owner or s.inuse >= s.nobj:
                raise Fault(O_PARTIAL, f"{heap.cname(c)}: entry {n} of its list, record "
                            f"{_hex(q)}, is not a partial span of the class")
            prev, q, n = q, s.next, n + 1
        if n != t["notfull"] or t["empty"] > 1:
            raise Fault(O_PARTIAL, f"{heap.cname(c)}: {n} spans listed, {t['notfull']} not "
                        f"full, {t['empty']} empty")
        if k["nspan"] != t["nspan"] or k["inuse"] != t["inuse"]:
            raise Fault(O_COUNT, f"{heap.cname(c)}: nspan {k['nspan']} inuse {k['inuse']}, "
                        f"the spans: {t['nspan']} spans, {t['inuse']} objects in use")
    lbytes = sum(n for _, n in large) * heap.granule
    if heap.large_bytes != lbytes or heap.nlarge != len(large):
        raise Fault(O_COUNT, f"large objects: large_bytes {_hex(heap.large_bytes)} nlarge "
                    f"{heap.nlarge}, the page map: {_hex(lbytes)} in {len(large)}")
    n, q, seen = 0, heap.store, set()
    while q != 0 and n <= heap.nrecord and q not in seen:
        seen.add(q)
        q = Span(heap, q).next
        n += 1
    if n + len(spans) + heap.transit_records != heap.nrecord:
        raise Fault(O_COUNT, f"span records: {n} in the store + {len(spans)} spans + "
                    f"{heap.transit_records} in transit, nrecord {heap.nrecord}")
    blocks, fault = collect(heap.pool)
    if fault is not None:
        raise fault
    pm = heap.read_pagemap()
    for b in blocks:
        for a in range(b.addr, b.end, heap.granule):
            i = (a - heap.start) >> heap.shift
            if 0 <= i < len(pm) and pm[i] != 0:
                raise Fault(O_POOL, f"page {_hex(a)} of free block {_hex(b.addr)} size "
                            f"{_hex(b.size)}: page map entry {_hex(pm[i])}")
    # a CPU between the pool and the page map: the pool may count its bytes
    mine = sum(s.bytes for s in spans) + lbytes + heap.pagemap_bytes + heap.store_bytes
    if not mine <= heap.pool.inuse <= mine + heap.transit_bytes:
        raise Fault(O_COUNT, f"spans + large objects + page map + store = {_hex(mine)}, the "
                    f"pool's in use {_hex(heap.pool.inuse)}"
                    + (f", {_hex(heap.transit_bytes)} in transit" if heap.transit_bytes else ""))
    return spans, large


class HeapSpans(HeapSub):
    """List the objects layer's spans and large objects, in address order.
Usage: heap spans [HEAP]
HEAP is an expression for a struct hobj_heap or a pointer to one (default:
kobj_heap, the image's malloc). One line per span, as the page map finds it:
its base and pages, its class and object size, objects in use, on its free
list and never handed out, and whether it is on its class's partial list;
one per large object; then a summary. A broken page map is shown as far as
it can be walked."""

    def __init__(self):
        super().__init__("heap spans")

    def run(self, arg):
        heap = ObjHeap(arg)
        heap.sanity()
        fault = None
        try:
            spans, large = walk_pagemap(heap)
        except Fault as f:
            spans, large, fault = [], [], f
        listed = set()
        for c in range(1, heap.nclass):
            q, n = heap.classes[c]["partial"], 0
            while q != 0 and n < len(spans) + 1:
                listed.add(q)
                q = next((s.next for s in spans if s.addr == q), 0)
                n += 1
        rows = [(s.base, s) for s in spans] + [(a, n) for a, n in large]
        for a, x in sorted(rows, key=lambda r: r[0]):
            if isinstance(x, Span):
                c = x.cls
                size = heap.size[c] if 0 < c < heap.nclass else 0
                try:
                    check_span(heap, x)
                    free = str(x.nfree)
                except Fault as f:  # shown, not raised: heap check names it
                    free = f"? ({f.what})"
                state = f"  {heap.cache_name(x.owner)}" if x.owner else \
                    "  partial" if x.addr in listed else \
                    "  full" if x.inuse == x.nobj else ""
                if x.nremote:
                    state += f", {x.nremote} freed remotely"
                print(f"{_hex(a)} span  {x.bytes >> heap.shift:3} pages  class {c:2} "
                      f"{size:5} B  in use {x.inuse - x.nremote:3}/{x.nobj:<3} free {free} "
                      f"untouched {x.nobj - x.fresh}{state}")
            else:
                print(f"{_hex(a)} large {x:3} pages  {_size(x * heap.granule)}")
        if fault is not None:
            print(f"heap spans: walk stopped: {fault}")
        print(f"heap spans: {len(spans)} span{'s' if len(spans) != 1 else ''}, "
              f"{sum(s.inuse - s.nremote for s in spans)} objects in use, {len(large)} large object"
              f"{'s' if len(large) != 1 else ''} ({_size(sum(n for _, n in large) * heap.granule)})"
              f", pool [{_hex(heap.start)}, top {_hex(heap.top())})")


class HeapClasses(HeapSub):
    """Show the objects layer's size classes that hold spans, from their records.
Usage: heap classes [HEAP]
One line per class with a span or a count: class, object size, span size in
pages and objects, spans, spans on the partial list, spans in a cache (a
CPU's or a thread's active span), objects in use, and the objects handed out
and freed ever (the class's counts and its caches'); then the large objects
and totals. These are the records; `heap check` holds them against the
spans."""

    def __init__(self):
        super().__init__("heap classes")

    def run(self, arg):
        heap = ObjHeap(arg)
        heap.sanity()
        print("class  size  span pages/objs  spans partial cached  in use      malloc        free")
        tot = [0, 0, 0, 0]
        for c in range(1, heap.nclass):
            k = dict(heap.classes[c])
            cached = [q for a in heap.caches for _, q in heap.owned(a, c)]
            k["nalloc"] += sum(a["nalloc"][c] for a in heap.caches)
            k["nfree"] += sum(a["nfree"][c] for a in heap.caches)
            for q in cached:
                s = Span(heap, q)
                k["inuse"] += s.inuse - s.nremote
            if not (k["nspan"] or k["nalloc"]):
                continue
            q, n = k["partial"], 0
            while q != 0 and n <= k["nspan"]:
                q = Span(heap, q).next
                n += 1
            part = str(n) if q == 0 else f"{n}+ (loops?)"
            print(f"{c:5} {heap.size[c]:5}  {heap.npages[c] * HOBJ_UNIT >> heap.shift:5}"
                  f" {heap.nobj[c]:<9} {k['nspan']:5} {part:>7} {len(cached):6} {k['inuse']:7} "
                  f"{k['nalloc']:11} {k['nfree']:11}")
            for i, f in enumerate(("nspan", "inuse", "nalloc", "nfree")):
                tot[i] += k[f]
        print(f"large: {heap.nlarge} in use, {_size(heap.large_bytes)}, "
              f"{heap.large_nalloc} malloc, {heap.large_nfree} free")
        print(f"heap classes: {tot[0]} spans, {tot[1] + heap.nlarge} objects in use, "
              f"{tot[2] + heap.large_nalloc} malloc, {tot[3] + heap.large_nfree} free; "
              f"span records {heap.nrecord}, page map {_size(heap.pagemap_bytes)}, "
              f"checking {'on' if heap.checking else 'off'}")


HeapCommand()
HeapTree()
HeapList()
HeapCheck()
HeapStats()
HeapMap()
HeapLock()
HeapLocks()
HeapDump()
HeapSpans()
HeapClasses()
