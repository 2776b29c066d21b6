# SPDX-License-Identifier: BSD-3-Clause
"""make bench-smp's reader (bench/smp.py), without QEMU: the goal line
counts every lock of the allocator the stress takes, the objects layer's
(the rows kernel/kobj.c registers, and its pool's lock) as well as the page
layer's, and each layer's share; other locks are left out."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import smp  # noqa: E402 (bench/smp.py)


def objects_rows():
    """The lockstat rows kernel/kobj.c gives the objects layer's locks."""
    with open(os.path.join(ROOT, "kernel", "kobj.c")) as f:
        src = f.read()
    rows = re.findall(r'lockstat_group\([^;]*?"([^"]+)"\)', src)
    rows += re.findall(r'kobj_pool_lock = SPINLOCK_INIT\("([^"]+)"\)', src)
    return rows


def test_objects_layer_rows_are_the_allocators():
    rows = objects_rows()
    assert len(rows) >= 2, rows
    for name in rows:
        assert smp.object_lock(name) and smp.allocator_lock(name), name
    assert smp.page_lock("mem") and smp.page_lock("pcp 3")
    assert not smp.allocator_lock("console") and not smp.object_lock("mem")


def test_figures_count_both_layers():
    out = "\n".join(
        ["cpu 0: 4000 ops/s of guest time, 90 timer ticks/s (TICK_HZ 100)",
         "--- lock stats (#test-and-set: failed attempts; hold and irq-off: the longest, us; "
         "wait: the most failed attempts of one acquire, and the pc its holder took the lock at)",
         "lock: mem: #test-and-set 100 #acquire() 1000 hold 5 irq-off 6 wait 40 at 0x10abf6",
         "lock: pcp 0: #test-and-set 20 #acquire() 200 hold 1 irq-off 1 wait 0 at 0",
         "lock: console: #test-and-set 7 #acquire() 70 hold 1 irq-off 1 wait 90 at 0x1000"]
        + [f"lock: {name}: #test-and-set 3 #acquire() 30 hold 1 irq-off 1 wait 2 at 0x2000"
           for name in objects_rows()])
    f = smp.figures(out, 0, "")
    n = len(objects_rows())
    assert f["pages"] == 120 and f["objects"] == 3 * n and f["objects_acq"] == 30 * n
    assert f["nts"] == 120 + 3 * n and f["acq"] == 1200 + 30 * n
    assert f["wait"] == (40, "mem", 0x10abf6)  # the console's longer wait is not the allocator's
    assert isinstance(smp.figures(out, 1, ""), str)  # a failed run has no figures


def test_goal_line_with_none_left():
    """A layer with no failed test-and-set left with the caches is said so,
    not divided by one ("355,009.0x fewer")."""
    one = {"nts": 4_000_000, "pages": 3_600_000, "objects": 400_000}
    pcp = {"nts": 30_000, "pages": 30_000, "objects": 0}
    line = smp.goal_line(one, pcp)
    assert "133.3x fewer (goal: at least 100x: met)" in line, line
    assert "the objects layer's 400,000 against 0, none with the caches." in line, line
    assert "the page layer's locks 3,600,000 against 30,000, 120.0x fewer" in line, line
    pcp = {"nts": 400_000, "pages": 400_000, "objects": 0}
    assert "10.0x fewer (goal: at least 100x: NOT met)" in smp.goal_line(one, pcp)


def test_goal_line_names_the_longest_wait():
    """A miss that one wait made is said so: its size, its share of the
    caches' count, the lock, and where its holder took the lock."""
    one = {"nts": 1_000_000, "pages": 900_000, "objects": 100_000}
    pcp = {"nts": 26_815, "pages": 100, "objects": 26_715, "wait": (26_102, "objects classes",
                                                                  0x1124d0)}
    line = smp.goal_line(one, pcp, lambda pc: "hobj_check_class" if pc == 0x1124d0 else "?")
    assert "(goal: at least 100x: NOT met)" in line, line
    assert ("With the caches, the longest single wait was 26,102 failed test-and-sets on "
            "objects classes (97% of them), its holder having taken it at hobj_check_class."
            ) in line, line
    pcp["wait"] = (0, "", 0)
    assert "longest single wait" not in smp.goal_line(one, pcp)



def test_waits_are_counted_beside_the_goal():
    """The stress's cpu lines give the waits and the time spun: printed
    beside the goal (a wait on a preempted holder counts once there), and
    the goal itself still judged on the failed test-and-sets."""
    out = "\n".join(
        ["cpu 0: 20000 ops, spun for a lock 3 times of 24328, 52 us spinning, 360288 us "
         "holding, 96 ticks",
         "cpu 1: 20000 ops, spun for a lock 1 times of 11769, 5106 us spinning, 7158 us "
         "holding, 65 ticks",
         "cpu 0: 4000 ops/s of guest time, 90 timer ticks/s (TICK_HZ 100)",
         "cpu 1: 4000 ops/s of guest time, 90 timer ticks/s (TICK_HZ 100)",
         "lock: mem: #test-and-set 20000 #acquire() 500 hold 5 irq-off 6 wait 19000 at 0x10ab"])
    pcp = smp.figures(out, 0, "")
    assert (pcp["waits"], pcp["spin_us"]) == (4, 5158)
    one = {"nts": 1_000_000, "pages": 1_000_000, "objects": 0, "waits": 6400,
           "spin_us": 731_500}
    line = smp.goal_line(one, pcp)
    assert "50.0x fewer (goal: at least 100x: NOT met)" in line, line
    assert "6,400 with one lock, 4 with the caches, 1,600.0x fewer" in line, line
    assert "time spent spinning 731.5 ms against 5.2 ms, 141.8x fewer" in line, line
    # a run that printed no cpu lines (an older image) has no such sentence
    del one["waits"]
    assert "spun for a lock" not in smp.goal_line(one, pcp)
