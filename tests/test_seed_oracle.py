# SPDX-License-Identifier: BSD-3-Clause
"""Random valid traces, replayed by the seed's own algorithm (tests/seed.py, a
line-by-line port of mem_plan9.go) and by build/host/replay and each image:
every address, the free list and the break must agree. Also traces with
another client of the break (`sbrk` lines, and refused frees of what it
took), and every sample trace's .expected."""
import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPLAY = ROOT / "build" / "host" / "replay"
PAGE = 4096


def pages(rng):
    return PAGE * rng.randint(1, 16)


def mixed(rng):
    return rng.choice([1, 8, 100, 4095, 4096, 4097, 8191, 8192, 12289, rng.randint(1, 300000)])


def big(rng):
    return rng.choice([rng.randint(1, 64) * PAGE, rng.randint(1, 2 << 20)])


MIXES = {"pages": pages, "mixed": mixed, "big": big}
# (mix, heap, page): the last ones run out of memory, or use other granules
CASES = [(m, 64 << 20, PAGE) for m in MIXES] + [
    ("big", 1 << 20, PAGE),
    ("mixed", 256 << 10, PAGE),
    ("mixed", 64 << 20, 8192),
    ("mixed", 1 << 20, 16),
    ("big", 8 << 20, 65536),
]


def run_host(lines, heap, page, *flags, status=0):
    p = subprocess.run(
        [str(REPLAY), "--heap", str(heap), "--page", str(page), *flags],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == status, p.stderr
    return p.stdout.splitlines()


@pytest.fixture(scope="module", autouse=True)
def host_tool():
    subprocess.run(["make", "--no-print-directory", "host"], cwd=ROOT, check=True,
                   capture_output=True, timeout=600)


@pytest.mark.parametrize("mode", [[], ["--list"]], ids=["index", "list"])
@pytest.mark.parametrize("case", CASES, ids=[f"{m}-{h}-{p}" for m, h, p in CASES])
def test_host_replay_equals_seed(case, mode):
    mix, heap, page = case
    rng = random.Random(f"{mix}{heap}{page}")
    for _ in range(40):
        lines = seed.random_trace(rng, rng.randint(20, 400), MIXES[mix])
        want = seed.replay(lines, heap, page)
        assert run_host(lines, heap, page, *mode) == want, "\n".join(lines)


def test_host_index_equals_seed_with_many_free_blocks():
    """A deep tree: 3,000 blocks freed every other one, then mixed allocs into the holes."""
    rng = random.Random("deep")
    lines = [f"alloc a{i} {rng.choice([4096, 8192, 12288])}" for i in range(3000)]
    lines += [f"free a{i}" for i in range(0, 3000, 2)]
    lines += [f"alloc b{i} {rng.randint(1, 40000)}" for i in range(1500)]
    lines += [f"free a{i}" for i in range(1, 3000, 4)]
    lines += [f"alloc c{i} {rng.randint(1, 20000)}" for i in range(1500)]
    want = seed.replay(lines, 64 << 20, PAGE)
    assert run_host(lines, 64 << 20, PAGE) == want
    assert run_host(lines, 64 << 20, PAGE, "--list") == want


@pytest.mark.parametrize("mode", [[], ["--list"]], ids=["index", "list"])
@pytest.mark.parametrize("mix", ["pages", "mixed"])
def test_host_replay_with_another_client_equals_seed(mix, mode):
    """sbrk lines between the pool's own sbrks: new regions, at most 16, and
    frees of the other client's pages refused (status 1)."""
    rng = random.Random(f"foreign-{mix}")
    regions = 0
    for _ in range(40):
        lines = seed.foreign_trace(rng, rng.randint(20, 400), MIXES[mix])
        want = seed.replay(lines)
        refused = any(w.startswith("error line ") for w in want)
        assert run_host(lines, 64 << 20, PAGE, "--check", *mode, status=int(refused)) == want, \
            "\n".join(lines)
        regions += sum(1 for w in want if w.startswith("sbrk 0x"))
    assert regions > 100


@pytest.mark.parametrize("expected", sorted((ROOT / "traces").glob("*.expected")),
                         ids=lambda p: p.stem)
def test_sample_trace_is_the_seeds(expected):
    """Each sample trace's .expected is what the seed's algorithm prints."""
    heap = 4 << 20 if expected.stem == "oom-106" else 64 << 20
    lines = expected.with_suffix(".trace").read_text().splitlines()
    assert seed.replay(lines, heap, PAGE) == expected.read_text().splitlines()


@pytest.mark.parametrize("arch", ["i386", "amd64", "arm", "arm64", "riscv64"])
def test_image_replay_equals_seed(arch, tmp_path):
    """A few random traces per image, one running out of memory, one with 8 KiB pages."""
    p = subprocess.run(["make", "--no-print-directory", f"ARCH={arch}", "image"], cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    rng = random.Random(arch)
    for mix, heap, page, mode in [("mixed", 64 << 20, PAGE, []), ("big", 1 << 20, PAGE, []),
                                  ("mixed", 64 << 20, 8192, []),
                                  ("mixed", 64 << 20, PAGE, ["--list"])]:
        lines = seed.random_trace(rng, 300, MIXES[mix])
        t = tmp_path / f"{mix}-{heap}-{page}.trace"
        t.write_text("\n".join(lines) + "\n")
        p = subprocess.run(
            [str(ROOT / "run-qemu.sh"), "--arch", arch, "--timeout", "120", "--trace", str(t),
             "--heap", str(heap), "--page", str(page), *mode],
            cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=200)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        out = p.stdout.splitlines()
        start = next(i for i, s in enumerate(out) if s.startswith("# base "))
        got = [s for s in out[start:] if not s.startswith("#")]
        assert got == seed.replay(lines, heap, page), t.name
