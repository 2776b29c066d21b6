# SPDX-License-Identifier: BSD-3-Clause
"""heaplab outside its tree (issue 22): consumers built from nothing but the
installed files (`make install` into a temporary DESTDIR, then pkg-config),
and again from nothing but the amalgamation (`make dist`'s heaplab.c and
heaplab.h copied into a temporary directory), with gcc and clang:

  - the host consumer (tests/component/replay.c, a replay written against
    heaplab.h alone) at -std=c99 and at -std=c11 -pedantic -Wall -Wextra
    -Werror, -m32 and -m64, with and without ASan+UBSan, run over the
    sample traces: its lines and status must be build/host/replay's;
  - a freestanding program (tests/component/freestanding.c over the SMP
    example's glue, examples/smp/heap.c) compiled for i386, amd64, arm
    (Thumb-2), arm64 and riscv64 and linked with -nostdlib (no libgcc
    either), its size printed (`-s` shows it);
  - every heaplab object the consumers link exports heaplab_ names only
    and needs nothing but memset and memcpy;
  - the examples: examples/bare runs, examples/xv6/kalloc.c compiles with
    xv6-riscv's own flags against stand-ins for its headers (tests/xv6/)
    and runs in a host harness with xv6's interface (tests/xv6/harness.c).

Run with /usr/bin/python3 -m pytest tests/test_component.py (it runs
`make dist`, `make install` and builds build/host/replay if missing).
"""

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPLAY = ROOT / "build" / "host" / "replay"
TRACES = sorted((ROOT / "traces").glob("*.trace"))
HEAP = {"oom-106": "4194304"}  # as traces/README.md says it was run
PREFIX = "/opt/heaplab"
JOBS = 2

C99 = ["-std=c99"]
STRICT = ["-std=c11", "-pedantic", "-Wall", "-Wextra", "-Werror"]
STDS = {"c99": C99, "strict": STRICT}

# The five targets, with the ABI flags `make lib` builds the installed
# libraries with (mk/dist.mk): gcc (compile and a -nostdlib link), clang
# (compile), binutils' prefix; the key is the ARCH `make install` takes.
# arm64's Linux-targeted gcc inlines its atomics (-mno-outline-atomics:
# libgcc's outlined ones ask Linux which to use).
TARGETS = {
    "i386": {
        "gcc": ["gcc", "-m32", "-march=i686", "-fno-pie"],
        "clang": ["clang", "--target=i686-none-elf", "-march=i686"],
        "link": ["-no-pie"],
        "binutils": "",
    },
    "amd64": {  # a higher-half kernel: the top 2 GiB, as -mcmodel=kernel wants
        "gcc": ["gcc", "-m64", "-mno-red-zone", "-mcmodel=kernel", "-fno-pie"],
        "clang": ["clang", "--target=x86_64-none-elf", "-mno-red-zone", "-mcmodel=kernel"],
        "link": ["-no-pie", "-Wl,-Ttext-segment=0xffffffff80000000"],
        "binutils": "",
    },
    "arm": {
        "gcc": ["arm-none-eabi-gcc", "-mthumb", "-march=armv7-a", "-mfloat-abi=soft"],
        "clang": ["clang", "--target=armv7a-none-eabi", "-mthumb", "-mfloat-abi=soft"],
        "link": [],
        "binutils": "arm-none-eabi-",
    },
    "arm64": {
        "gcc": ["aarch64-linux-gnu-gcc", "-march=armv8-a", "-mno-outline-atomics", "-fno-pie"],
        "clang": ["clang", "--target=aarch64-none-elf", "-march=armv8-a"],
        "link": ["-no-pie"],
        "binutils": "aarch64-linux-gnu-",
    },
    "riscv64": {
        "gcc": ["riscv64-unknown-elf-gcc", "-march=rv64imac_zicsr_zifencei", "-mabi=lp64",
                "-mcmodel=medany"],
        "clang": ["clang", "--target=riscv64-none-elf", "-march=rv64imac", "-mabi=lp64",
                  "-mcmodel=medany"],
        "link": [],
        "binutils": "riscv64-unknown-elf-",
    },
}

# What heaplab may need from its consumer: memset and memcpy, no more (not
# even libgcc: the freestanding link below has none).
LIBC_OK = {"memset", "memcpy"}
# What a compiler may define beside heaplab's own: i386's PIC thunks,
# hidden and merged across objects, so they cannot collide.
THUNK = re.compile(r"^__x86\.get_pc_thunk\.\w+$")

# xv6-riscv's kernel CFLAGS (its Makefile, as it sets them for Debian's
# riscv64-unknown-elf-gcc), and what xv6 supplies that
# kalloc.c and heaplab.c may call: its string.c, spinlock.c, printf.c and
# kernel.ld's `end`.
XV6_CFLAGS = ["-Wall", "-Werror", "-O", "-fno-omit-frame-pointer", "-ggdb", "-gdwarf-2", "-MD",
              "-mcmodel=medany", "-ffreestanding", "-fno-common", "-nostdlib", "-mno-relax", "-I.",
              "-fno-stack-protector", "-fno-pie", "-no-pie"]
XV6_SUPPLIES = {"memset", "memcpy", "memmove", "memcmp", "strlen", "strncmp", "strncpy",
                "safestrcpy", "acquire", "release", "holding", "initlock", "push_off", "pop_off",
                "panic", "printf", "end"}


def run(cmd, cwd=ROOT, env=None, timeout=120):
    """Runs cmd; answers the CompletedProcess (text, both streams kept)."""
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def must(cmd, **kw):
    """Runs cmd and fails the test with its words unless it exits 0."""
    p = run(cmd, **kw)
    if p.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def parallel(fn, items):
    """fn over items, JOBS at a time; answers the results in order."""
    with ThreadPoolExecutor(JOBS) as ex:
        return list(ex.map(fn, items))


# ---- the two routes ----


@pytest.fixture(scope="module")
def amalgamation(tmp_path_factory):
    """`make dist`'s two files (and LICENSE), alone in a directory."""
    must(["make", "-s", "dist"])
    d = tmp_path_factory.mktemp("amalgamation")
    for name in ("heaplab.c", "heaplab.h", "LICENSE"):
        shutil.copy(ROOT / "build" / "dist" / name, d / name)
    return d


class Installed:
    """`make install ARCH=arch PREFIX=/opt/heaplab DESTDIR=root`, and what
    pkg-config answers for it with PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR
    pointing there (the pkg-config way to use a DESTDIR staging tree)."""

    def __init__(self, root, arch):
        self.root, self.arch = root, arch
        must(["make", "-s", "install", f"ARCH={arch}", f"PREFIX={PREFIX}", f"DESTDIR={root}"])
        self.env = dict(os.environ, PKG_CONFIG_PATH=f"{root}{PREFIX}/lib/pkgconfig",
                        PKG_CONFIG_SYSROOT_DIR=str(root), PKG_CONFIG_LIBDIR="")
        self.cflags = self.pkg("--cflags")
        self.libs = self.pkg("--libs")

    def pkg(self, *args):
        return must(["pkg-config", *args, "heaplab"], env=self.env).stdout.split()

    def files(self):
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Installed trees by ARCH (host and the five targets), each made once."""
    made = {}

    def get(arch):
        if arch not in made:
            made[arch] = Installed(tmp_path_factory.mktemp(f"destdir-{arch}"), arch)
        return made[arch]

    # One at a time: each `make install` makes the amalgamation too, and two
    # writing build/dist at once could trip on each other's files.
    # i386's library serves the -m32 host consumer: no other 32-bit x86 build.
    for arch in ["host", *TARGETS]:
        get(arch)
    return get


class Route:
    """How a consumer gets heaplab: include flags, and what to link."""

    def __init__(self, name, cflags, link, objects):
        self.name, self.cflags, self.link, self.objects = name, cflags, link, objects


def route_for(name, amalgamation, installed, arch):
    if name == "amalgamation":
        return Route(name, ["-I", amalgamation], [amalgamation / "heaplab.c"],
                     [amalgamation / "heaplab.c"])
    inst = installed(arch)
    lib = inst.root / PREFIX.lstrip("/") / "lib" / "libheaplab.a"
    # i386's library is built for a kernel, maybe not position-independent:
    # a hosted -m32 program links it as a kernel would, not as a PIE.
    return Route(name, inst.cflags, inst.libs + (["-no-pie"] if arch == "i386" else []), [lib])


ROUTES = ["installed", "amalgamation"]


# ---- the symbol table: heaplab_ names out, memset and memcpy in ----


def symbols(obj, binutils=""):
    """The global symbols obj (an object or an archive) defines and needs."""
    out = must([f"{binutils}nm", "-g", "-P", obj]).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 2 or f[0].endswith(":") or f[0].endswith("]"):
            continue  # an archive member's name
        (undefined if f[1] == "U" else defined).add(f[0])
    return defined, undefined


def foreign_symbols(obj, binutils=""):
    """What obj exports that is not heaplab_, and needs beyond memset and
    memcpy: two sorted lists, empty if good."""
    defined, undefined = symbols(obj, binutils)
    return (sorted(s for s in defined if not s.startswith("heaplab_") and not THUNK.match(s)),
            sorted(s for s in undefined if s not in LIBC_OK))


def test_the_symbol_check_catches_a_leak(amalgamation, tmp_path):
    """The check below fails on a global without the prefix and on a C
    library call heaplab must not make: it is not a check that cannot fail."""
    src = tmp_path / "heaplab.c"
    src.write_text((amalgamation / "heaplab.c").read_text() +
                   "\nint leaked_counter;\nunsigned long leaked_len(const char *s);\n"
                   "unsigned long leaked_len(const char *s) { return strlen(s); }\n"
                   "unsigned long strlen(const char *);\n")
    must(["gcc", "-c", "-I", amalgamation, "-o", tmp_path / "heaplab.o", src])
    assert foreign_symbols(tmp_path / "heaplab.o") == (["leaked_counter", "leaked_len"],
                                                       ["strlen"])
    clean = tmp_path / "clean.o"
    must(["gcc", "-c", "-I", amalgamation, "-o", clean, amalgamation / "heaplab.c"])
    assert foreign_symbols(clean) == ([], [])


# ---- the installed tree ----


def test_install_writes_the_header_the_library_and_heaplab_pc(installed):
    """make install puts heaplab.h, libheaplab.a and heaplab.pc where the GNU
    conventions say, all under DESTDIR/PREFIX, and heaplab.pc answers the
    header's version and the flags to find them."""
    inst = installed("host")
    files = inst.files()
    for f in ("include/heaplab.h", "lib/libheaplab.a", "lib/pkgconfig/heaplab.pc"):
        assert f"{PREFIX[1:]}/{f}" in files
    assert all(f.startswith(PREFIX[1:] + "/") for f in files), files
    header = (inst.root / PREFIX[1:] / "include" / "heaplab.h").read_text()
    version = ".".join(re.search(r"#define HEAPLAB_VERSION_%s\s+(\d+)" % k, header)[1]
                       for k in ("MAJOR", "MINOR", "PATCH"))
    assert inst.pkg("--modversion") == [version]
    assert f"-I{inst.root}{PREFIX}/include" in inst.cflags
    assert f"-L{inst.root}{PREFIX}/lib" in inst.libs and "-lheaplab" in inst.libs


# ---- the host consumer over the sample traces ----


def reference(trace, arena):
    """build/host/replay's lines and status for trace: what the consumer
    must print. In arena mode there is no other client of the break, so a
    trace with `sbrk` lines is left out there (None)."""
    if arena and re.search(r"^\s*sbrk\b", trace.read_text(), re.M):
        return None
    args = ["--heap", HEAP[trace.stem]] if trace.stem in HEAP else []
    p = run([REPLAY, *args, trace])
    assert p.returncode in (0, 1), p.stderr
    return args, p.stdout, p.returncode


@pytest.fixture(scope="module")
def references():
    must(["make", "-s", "build/host/replay"])
    return {(t, arena): reference(t, arena) for t in TRACES for arena in (False, True)}


HOST_BUILDS = [(cc, std, m, san) for cc in ("gcc", "clang") for std in STDS for m in ("-m64", "-m32")
               for san in ("", "san")]
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def build_and_replay(route, build, out, references):
    """Builds the consumer one way and replays every sample trace with it;
    answers a list of what went wrong (empty: all the same)."""
    cc, std, m, san = build
    exe = out / f"replay-{cc}-{std}{m}-{san or 'plain'}"
    cmd = [cc, m, *STDS[std], "-O1", "-g", *(SAN if san else []), *route.cflags, "-o", exe,
           ROOT / "tests" / "component" / "replay.c", *route.link]
    p = run(cmd)
    if p.returncode != 0:
        return [f"{exe.name}: does not build:\n{p.stdout}{p.stderr}"]
    bad = []
    for (trace, arena), ref in references.items():
        if ref is None:
            continue
        args, want, status = ref
        got = run([exe, *args, *(["--arena"] if arena else []), trace])
        if (got.stdout, got.returncode) != (want, status):
            bad.append(f"{exe.name} {' '.join(args)} {'--arena ' if arena else ''}{trace.name}: "
                       f"exit {got.returncode} (want {status})\n{got.stderr}")
    return bad


@pytest.mark.parametrize("route_name", ROUTES)
def test_host_consumer_replays_the_sample_traces(route_name, amalgamation, installed, references,
                                                 tmp_path):
    """16 builds (gcc and clang, two standards, -m32 and -m64, with and
    without the sanitizers), each over every sample trace, in break mode
    (its own simulated break, which `sbrk` lines move too) and in arena
    mode: the same lines and status as build/host/replay."""
    routes = {m: route_for(route_name, amalgamation, installed, "host" if m == "-m64" else "i386")
              for m in ("-m64", "-m32")}
    results = parallel(lambda b: build_and_replay(routes[b[2]], b, tmp_path, references),
                       HOST_BUILDS)
    bad = [line for r in results for line in r]
    assert not bad, "\n".join(bad)
    assert sum(ref is not None for ref in references.values()) == 2 * len(TRACES) - 1


# ---- freestanding, per target ----


def size_of(elf, binutils):
    """text, data and bss of elf, as binutils' size counts them."""
    out = must([f"{binutils}size", elf]).stdout.splitlines()[-1].split()
    return tuple(int(x) for x in out[:3])


def build_target(route, target, tmp_path):
    """Compiles the freestanding program for target with gcc at both
    standards (and links it with -nostdlib) and with clang (compile only);
    answers (problems, sizes by standard)."""
    t = TARGETS[target]
    srcs = [ROOT / "tests" / "component" / "freestanding.c", ROOT / "examples" / "smp" / "heap.c"]
    inc = [*route.cflags, "-I", ROOT / "examples" / "smp"]
    bad, sizes = [], {}
    for std in STDS:
        elf = tmp_path / f"{route.name}-{target}-{std}.elf"
        cmd = [*t["gcc"], *STDS[std], "-ffreestanding", "-Os", *inc, "-static", "-nostdlib",
               *t["link"], "-o", elf, *srcs, *route.link]
        p = run(cmd)
        if p.returncode != 0:
            bad.append(f"{target} gcc {std}: {' '.join(map(str, cmd))}\n{p.stdout}{p.stderr}")
        else:
            sizes[std] = size_of(elf, t["binutils"])
        for src in srcs + [s for s in route.link if str(s).endswith(".c")]:
            obj = tmp_path / f"{route.name}-{target}-{std}-clang-{Path(src).stem}.o"
            cmd = [*t["clang"], *STDS[std], "-ffreestanding", "-Os", *inc, "-c", "-o", obj, src]
            p = run(cmd)
            if p.returncode != 0:
                bad.append(f"{target} clang {std}: {' '.join(map(str, cmd))}\n{p.stdout}{p.stderr}")
            elif Path(src).name == "heaplab.c":
                bad += [f"{target} clang {std}: heaplab.o: {f}"
                        for f in foreign(obj, t["binutils"])]
    return bad, sizes


def foreign(obj, binutils):
    """foreign_symbols as lines to report."""
    exported, needed = foreign_symbols(obj, binutils)
    return ([f"exports {', '.join(exported)}"] if exported else []) + \
        ([f"needs {', '.join(needed)}"] if needed else [])


@pytest.mark.parametrize("route_name", ROUTES)
def test_freestanding_consumer_links_for_every_target(route_name, amalgamation, installed,
                                                      tmp_path):
    """For each target: the consumer compiles with gcc and clang at both
    standards without a warning, links with -nostdlib (no libgcc), and
    the heaplab it links exports heaplab_ names only and needs only memset
    and memcpy. Prints the linked program's size per target."""
    routes = {t: route_for(route_name, amalgamation, installed, t) for t in TARGETS}
    results = parallel(lambda t: build_target(routes[t], t, tmp_path), list(TARGETS))
    bad = [line for r, _ in results for line in r]
    for target in TARGETS:
        t = TARGETS[target]
        if route_name == "installed":
            objs = [routes[target].objects[0]]
        else:  # heaplab.c as the target's gcc compiles it
            objs = [tmp_path / f"heaplab-{target}.o"]
            must([*t["gcc"], *STRICT, "-ffreestanding", "-Os", "-I", amalgamation, "-c", "-o",
                  objs[0], amalgamation / "heaplab.c"])
        bad += [f"{target} {o.name}: {f}" for o in objs for f in foreign(o, t["binutils"])]
    print(f"\nfreestanding consumer ({route_name}), -Os, linked -nostdlib: text data bss")
    for target, (_, sizes) in zip(TARGETS, results):
        for std, (text, data, bss) in sizes.items():
            print(f"  {target:8} {std:7} {text:7} {data:5} {bss:8}")
    assert not bad, "\n".join(bad)


# Warnings a kernel's build may turn on beyond -Wall -Wextra (Linux's W=1
# and W=2 sets, lk's and many a course kernel's -Wconversion), as errors.
KERNEL_WARNINGS = ["-Wconversion", "-Wsign-conversion", "-Wshadow", "-Wstrict-prototypes",
                   "-Wmissing-prototypes", "-Wmissing-declarations", "-Wundef",
                   "-Wpointer-arith", "-Wredundant-decls", "-Wvla"]


def test_the_amalgamation_compiles_under_a_kernels_warnings(amalgamation, tmp_path):
    """heaplab.c, with gcc and clang for each target, at -std=c11 -pedantic
    -Werror and every warning of KERNEL_WARNINGS: a kernel that builds with
    them takes it as it is (clang's -Wsign-conversion once failed on an
    enum returned as int, and on an enum constant shifted into an unsigned
    accumulator)."""
    jobs = [(t, cc) for t in TARGETS for cc in ("gcc", "clang")]

    def build(job):
        t, cc = job
        r = subprocess.run([*TARGETS[t][cc], *STRICT, *KERNEL_WARNINGS, "-ffreestanding", "-O2",
                            "-I", amalgamation, "-c", "-o", tmp_path / f"{t}-{cc}.o",
                            amalgamation / "heaplab.c"], capture_output=True, text=True)
        return f"{t} {cc}:\n{r.stderr}" if r.returncode != 0 or r.stderr else None

    bad = [b for b in parallel(build, jobs) if b]
    assert not bad, "\n".join(bad)


# ---- the examples ----

BARE_OUTPUT = """\
a at arena+0, b at arena+3072
free(b, 4096): range outside the heap
alloc(65537): NULL, counted as refused
capacity 65536, in use 0, peak 4096, largest request 65537, refused 1
check: ok; heaplab 1.0.0
"""


@pytest.mark.parametrize("route_name", ROUTES)
def test_bare_example_runs(route_name, amalgamation, installed, tmp_path):
    """examples/bare/bare.c, with no hooks over a static array, prints what
    docs/porting.md quotes, built by gcc and clang, -m64 (and -m32 from the
    amalgamation)."""
    route = route_for(route_name, amalgamation, installed, "host")
    builds = [(cc, m) for cc in ("gcc", "clang")
              for m in (["-m64", "-m32"] if route_name == "amalgamation" else ["-m64"])]
    for cc, m in builds:
        exe = tmp_path / f"bare-{cc}{m}"
        must([cc, m, *STRICT, *route.cflags, "-o", exe, ROOT / "examples" / "bare" / "bare.c",
              *route.link])
        assert must([exe]).stdout == BARE_OUTPUT, f"{cc} {m}"


def xv6_tree(amalgamation, tmp_path, kalloc=None, host=False):
    """A kernel/ directory as xv6's would be with the drop-in: the stand-in
    headers, kalloc.c (or the text given) and the amalgamation beside it;
    for the host harness, its memlayout.h over xv6's."""
    k = tmp_path / "kernel"
    k.mkdir()
    for h in (ROOT / "tests" / "xv6" / "kernel").glob("*.h"):
        shutil.copy(h, k)
    if host:
        shutil.copy(ROOT / "tests" / "xv6" / "host" / "memlayout.h", k)
    for name in ("heaplab.c", "heaplab.h"):
        shutil.copy(amalgamation / name, k)
    (k / "kalloc.c").write_text(kalloc or (ROOT / "examples" / "xv6" / "kalloc.c").read_text())
    return k


def test_xv6_kalloc_compiles_with_xv6s_flags(amalgamation, tmp_path):
    """kalloc.c and heaplab.c compile clean with xv6-riscv's own CFLAGS and
    compiler, and call nothing xv6 lacks (its string.c, spinlock.c...)."""
    k = xv6_tree(amalgamation, tmp_path)
    for src in ("kalloc.c", "heaplab.c"):
        must(["riscv64-unknown-elf-gcc", *XV6_CFLAGS, "-c", "-o", src[:-2] + ".o", src], cwd=k)
    kdef, kneed = symbols(k / "kalloc.o", "riscv64-unknown-elf-")
    hdef, hneed = symbols(k / "heaplab.o", "riscv64-unknown-elf-")
    assert kdef == {"kinit", "kalloc", "kfree", "kmem"}
    assert not kneed - XV6_SUPPLIES - hdef, "kalloc.c calls what neither xv6 nor heaplab has"
    assert not hneed - XV6_SUPPLIES, "heaplab.c calls what xv6 lacks"
    assert foreign_symbols(k / "heaplab.o", "riscv64-unknown-elf-") == ([], [])


def build_harness(amalgamation, tmp_path, kalloc=None):
    k = xv6_tree(amalgamation, tmp_path, kalloc, host=True)
    flags = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-g", *SAN, "-I", k]
    must(["gcc", *flags, "-ffreestanding", "-Dmemset=xv6_memset", "-c", "-o", k / "kalloc.o",
          k / "kalloc.c"])
    must(["gcc", *flags, "-o", k / "harness", ROOT / "tests" / "xv6" / "harness.c", k / "kalloc.o",
          k / "heaplab.c"])
    return run([k / "harness"])


def test_xv6_kalloc_runs_in_a_harness_with_xv6s_interface(amalgamation, tmp_path):
    """The drop-in hands out every page of [end, PHYSTOP) junk-filled,
    zeroes freed pages, lets heaplab_check find a write into one, and
    panics "kfree" on every bad kfree with nothing changed."""
    p = build_harness(amalgamation, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.endswith("xv6 harness: all passed\n")
    assert "FAILED" not in p.stdout


def test_xv6_harness_fails_a_kfree_that_does_not_panic(amalgamation, tmp_path):
    """The harness is no rubber stamp: a kalloc.c whose kfree ignores what
    heaplab_free answers fails it, naming each bad kfree that got through."""
    text = (ROOT / "examples" / "xv6" / "kalloc.c").read_text()
    bad = text.replace("heaplab_free(&kmem.pool, pa, PGSIZE) != HEAPLAB_OK",
                       "(heaplab_free(&kmem.pool, pa, PGSIZE), 0)")
    assert bad != text
    p = build_harness(amalgamation, tmp_path, bad)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAILED: kfree of a free page (a double free) panics \"kfree\"" in p.stdout
    assert "FAILED: kfree below end panics \"kfree\"" in p.stdout


def glue_lines(path):
    """Lines of code in path: not blank, not only a comment."""
    return sum(1 for l in path.read_text().splitlines()
               if l.strip() and not l.strip().startswith("//"))


def test_examples_are_at_most_a_page_of_glue():
    """Each example's glue (the lines a consumer writes to take heaplab in),
    printed; a page is 60 lines."""
    counts = {str(p.relative_to(ROOT)): glue_lines(p)
              for p in sorted((ROOT / "examples").rglob("*.[ch]"))}
    print("\nlines of code per example file:", counts)
    assert set(counts) == {"examples/bare/bare.c", "examples/smp/heap.c", "examples/smp/irq.h",
                           "examples/xv6/kalloc.c"}
    assert all(n <= 60 for n in counts.values()), counts


# A consumer whose holding hook counts its calls, over a static arena at
# granule 64: a few allocations and frees, then the bad frees heaplab must
# refuse before anything changes. It prints the count and, for each bad
# free, 1 if it was refused with the error the header names.
HOLDING_PROGRAM = r"""
#include <stdio.h>
#include "heaplab.h"

static unsigned char arena[1 << 16] __attribute__((aligned(64)));
static unsigned long asked;
static int holds(struct heaplab_pool *p) { (void)p; asked++; return 1; }
static const struct heaplab_ops ops = {.holding = holds};

int main(void)
{
	struct heaplab_pool pool;
	unsigned char *a, *b;

	if (heaplab_init_arena(&pool, &ops, NULL, arena, sizeof arena, 64) != HEAPLAB_OK)
		return 1;
	a = heaplab_alloc(&pool, 100);
	b = heaplab_alloc(&pool, 40);
	if (a == NULL || b == NULL || heaplab_free(&pool, b, 40) != HEAPLAB_OK)
		return 1;
	printf("holding asked %lu times\n", asked);
	printf("misaligned %d\n", heaplab_free(&pool, a + 8, 64) == HEAPLAB_EALIGN);
	printf("double %d\n", heaplab_free(&pool, b, 40) == HEAPLAB_EDOUBLE);
	printf("outside %d\n", heaplab_free(&pool, arena + sizeof arena, 64) == HEAPLAB_ERANGE);
	printf("size 0 %d\n", heaplab_free(&pool, a, 0) == HEAPLAB_EZERO);
	printf("check %d\n", heaplab_check(&pool, NULL) == HEAPLAB_OK);
	return 0;
}
"""


@pytest.mark.parametrize("debug", [0, 1])
def test_unchecked_build_never_asks_holding(amalgamation, tmp_path, debug):
    """The lock-held helpers assert the lock through ops->holding in a
    checked build (HEAPLAB_DEBUG 1) only: an unchecked one never calls it,
    and still refuses every bad free, the same words either way."""
    src = tmp_path / "holding.c"
    src.write_text(HOLDING_PROGRAM)
    exe = tmp_path / "holding"
    must(["gcc", *STRICT, f"-DHEAPLAB_DEBUG={debug}", "-I", amalgamation, "-o", exe, src,
          amalgamation / "heaplab.c"])
    out = must([exe]).stdout.splitlines()
    asked = int(re.fullmatch(r"holding asked (\d+) times", out[0])[1])
    assert (asked == 0) if debug == 0 else (asked > 0), out[0]
    assert out[1:] == ["misaligned 1", "double 1", "outside 1", "size 0 1", "check 1"], out
