# SPDX-License-Identifier: BSD-3-Clause
"""Real programs from Debian on heaplab's malloc (build/host/libheaplab.so,
LD_PRELOAD): each runs plainly and preloaded, and must print the same and
exit the same; the preloaded run must also leave the library's count line
(HEAPLAB_STATS) with at least as many allocations as the program surely
made, so that a run the library never entered cannot pass. Then the
library's own refusals (a bad free aborts naming the pointer and its span),
its check switched on over four threads, and the generated size class
table."""
import os
import re
import subprocess

import pytest
from realprogs import C_FILE, PY_SCRIPT, SQL, million_lines  # pytest puts tests/ on the path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "build", "host", "libheaplab.so")
XFREE = os.path.join(ROOT, "build", "host", "xfree")
FORKTHREADS = os.path.join(ROOT, "build", "host", "forkthreads")
# One worker builds the library and runs them all (python3-pytest-xdist's
# --dist loadgroup): two would build it at once.
pytestmark = pytest.mark.xdist_group("objects")
STATS = re.compile(r"^heaplab: pid (\d+): (\d+) allocations, (\d+) frees, ", re.M)


@pytest.fixture(scope="module", autouse=True)
def preload_built():
    subprocess.run(["make", "--no-print-directory", "-s", "preload"], cwd=ROOT, check=True,
                   timeout=300)


def run(cmd, tmp_path, preload, env=None, stdin=None, timeout=120):
    e = dict(os.environ, LC_ALL="C", **(env or {}))
    e.pop("LD_PRELOAD", None)
    e.pop("HEAPLAB_STATS", None)
    stats = tmp_path / "stats"
    if preload:
        e["LD_PRELOAD"] = LIB
        e["HEAPLAB_STATS"] = str(stats)
        if stats.exists():
            stats.unlink()
    r = subprocess.run(cmd, env=e, input=stdin, capture_output=True, timeout=timeout,
                       cwd=tmp_path)
    return r, (stats.read_text() if preload and stats.exists() else "")


def same_on_heaplab(cmd, tmp_path, least, env=None, stdin=None):
    """Runs cmd plainly and on heaplab: the same output and status, and the
    preloaded processes' allocations, summed, at least `least`."""
    plain, _ = run(cmd, tmp_path, False, env, stdin)
    ours, lines = run(cmd, tmp_path, True, env, stdin)
    assert plain.returncode == 0, plain.stderr.decode()
    assert ours.returncode == plain.returncode, ours.stderr.decode()
    assert ours.stdout == plain.stdout
    counts = [int(m.group(2)) for m in STATS.finditer(lines)]
    assert counts, "no count line: the program did not run on heaplab"
    assert sum(counts) >= least, lines
    return plain.stdout


def test_python3(tmp_path):
    # PYTHONMALLOC=malloc: every object through malloc, not pymalloc's arenas
    out = same_on_heaplab(["/usr/bin/python3", "-c", PY_SCRIPT], tmp_path, 300_000,
                          env={"PYTHONMALLOC": "malloc"})
    assert len(out.split()) == 5


def test_gcc(tmp_path):
    src = tmp_path / "tree.c"
    src.write_text(C_FILE)
    # the assembly cc1 writes, on stdout: the same bytes either way
    same_on_heaplab(["gcc", "-O2", "-S", "-o", "-", "tree.c"], tmp_path, 2000)
    # and a program it links runs
    subprocess.run(["gcc", "-O2", "-o", "tree", "tree.c"], cwd=tmp_path, check=True, timeout=60,
                   env=dict(os.environ, LD_PRELOAD=LIB))
    assert same_on_heaplab([str(tmp_path / "tree")], tmp_path, 1000).strip().isdigit()


def test_sqlite3(tmp_path):
    out = same_on_heaplab(["sqlite3", ":memory:"], tmp_path, 1000,
                          stdin=SQL.encode())
    assert b"30000|" in out


def test_sort_a_million_lines(tmp_path):
    # a million distinct numbers, scrambled (i * 999983 mod the prime 1000003)
    (tmp_path / "lines").write_text(million_lines())
    out = same_on_heaplab(["sort", "lines"], tmp_path, 1)
    assert out.count(b"\n") == 1_000_000
    assert out[:6] == b"0\n1\n10"


def test_git(tmp_path):
    same_on_heaplab(["git", "-C", ROOT, "log", "--stat", "-n", "50"], tmp_path, 1000)
    same_on_heaplab(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                    tmp_path, 100)


def test_four_threads_free_each_others_objects(tmp_path):
    out = same_on_heaplab([XFREE, "50000"], tmp_path, 200_000)
    assert out.count(b"freed 50000 objects of thread") == 4


def test_full_check_under_four_threads(tmp_path):
    """HEAPLAB_CHECK=1: every operation checked, under four threads."""
    out = same_on_heaplab([XFREE, "300"], tmp_path, 1200, env={"HEAPLAB_CHECK": "1"})
    assert out.count(b"freed 300 objects") == 4


def test_fork_from_busy_threads(tmp_path):
    """fork while three threads allocate, reallocate and free: each child,
    alone in its copy of the heap, frees the other threads' objects,
    allocates its own and starts a thread. The child buries the caches of
    the threads that did not come along (hobj_cache_bury); it used to flush
    them, and a flush of a cache its thread left halfway through a change
    gave a span back twice: about one child in a hundred stopped, "the
    pool refused pages back". The program's own fork handlers, registered
    before its threads start, allocate in prepare and free after: with the
    preload's handlers registered later, they run while it holds its locks
    (the forking thread takes them again: a deadlock before)."""
    out = same_on_heaplab([FORKTHREADS, "300"], tmp_path, 10_000)
    assert out == b"forked 300 children from 3 busy threads: 0 failed\n"


def test_fork_from_busy_threads_checked(tmp_path):
    """The same with every operation checked, the children's too: what the
    burial leaves holds together."""
    out = same_on_heaplab([FORKTHREADS, "6", "1"], tmp_path, 1000, env={"HEAPLAB_CHECK": "1"})
    assert out == b"forked 6 children from 3 busy threads: 0 failed\n"


BAD = r"""
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	char *p = malloc(80), *q = malloc(100000);
	if (strcmp(argv[1], "double") == 0) { free(p); free(p); }
	if (strcmp(argv[1], "interior") == 0) free(p + 16);
	if (strcmp(argv[1], "large") == 0) free(q + 8192);
	if (strcmp(argv[1], "stack") == 0) free(&argc);
	if (strcmp(argv[1], "realloc") == 0) { free(p); p = realloc(p, 200); }
	return 0;
}
"""


@pytest.mark.parametrize("case,words", [
    ("double", "object not in use (a double free, or never handed out): span 0x"),
    ("interior", "pointer inside an object, not at its start: the object at 0x"),
    ("large", "pointer inside an object, not at its start: the object at 0x"),
    ("stack", "pointer outside the heap"),
])
def test_bad_free_aborts_naming_the_pointer(tmp_path, case, words):
    (tmp_path / "bad.c").write_text(BAD)
    subprocess.run(["gcc", "-O0", "-o", "bad", "bad.c"], cwd=tmp_path, check=True, timeout=60)
    r, _ = run(["./bad", case], tmp_path, True)
    assert r.returncode == -6, r  # SIGABRT, as glibc's "free(): invalid pointer"
    err = r.stderr.decode()
    assert re.match(r"heaplab: free\(\): invalid pointer 0x[0-9a-f]+: ", err), err
    assert words in err, err
    plain, _ = run(["./bad", "interior"], tmp_path, False)  # glibc refuses it too
    assert plain.returncode == -6


CROSS = r"""
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
static void *obj[64];
static void *freer(void *arg)
{
	int k;
	for (k = 0; k < 64; k++) /* another thread's objects: into its outbox */
		if (k != 5)
			free(obj[k]);
	if (strcmp(arg, "twice") == 0)
		free(obj[40]); /* waiting in the outbox still (32 went on): refused */
	return NULL;
}
int main(int argc, char **argv)
{
	pthread_t t;
	int k;
	for (k = 0; k < 64; k++)
		obj[k] = malloc(48);
	pthread_create(&t, NULL, freer, argc > 1 ? argv[1] : "");
	pthread_join(t, NULL);
	if (argc > 1 && strcmp(argv[1], "owner") == 0)
		free(obj[40]); /* the owner frees what another thread freed */
	free(obj[5]);
	return 0;
}
"""


@pytest.mark.parametrize("case", ["twice", "owner"])
def test_double_free_across_threads_aborts(tmp_path, case):
    """A free by another thread than the allocator's waits in its outbox
    (objects.c, "The outbox"); a second free of the object, by that thread
    or by the owner, is refused before anything changes, naming it."""
    (tmp_path / "cross.c").write_text(CROSS)
    subprocess.run(["gcc", "-O0", "-pthread", "-o", "cross", "cross.c"], cwd=tmp_path,
                   check=True, timeout=60)
    ok, _ = run(["./cross"], tmp_path, True)
    assert ok.returncode == 0, ok
    r, _ = run(["./cross", case], tmp_path, True)
    assert r.returncode == -6, r
    err = r.stderr.decode()
    assert re.match(r"heaplab: free\(\): invalid pointer 0x[0-9a-f]+: ", err), err
    assert "object not in use (a double free, or never handed out): span 0x" in err, err


# Threads that come and go in waves, each mallocing into, reallocing in and
# freeing from a table shared with the others (tags checked before each
# free and across each realloc): most frees are of another thread's
# objects, go through the freeing thread's
# outbox, and some of them wait there while the owner exits and its spans
# go back to their classes (objects.c, "The outbox").
WAVES = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define SLOTS 4096
static struct { void *p; size_t n; unsigned tag; } slot[SLOTS];
static pthread_mutex_t mu[64];
static volatile int stop;
static unsigned long bad;
static uint64_t rnd(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }
static void *work(void *arg)
{
	uint64_t s = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
	long iters = 20000 + rnd(&s) % 60000;
	for (long k = 0; k < iters; k++) {
		unsigned i = rnd(&s) % SLOTS;
		pthread_mutex_t *m = &mu[i % 64];
		pthread_mutex_lock(m);
		if (slot[i].p) {
			unsigned char *p = slot[i].p;
			for (size_t j = 0; j < slot[i].n; j += 61)
				if (p[j] != (unsigned char)slot[i].tag) { bad++; break; }
			if (rnd(&s) % 4 == 0) { // moved by realloc, most often to another class
				size_t n = 1 + rnd(&s) % (rnd(&s) % 8 == 0 ? 6000 : 300);
				size_t kept = n < slot[i].n ? n : slot[i].n;
				unsigned char *q = realloc(p, n);
				for (size_t j = 0; j < kept; j += 61)
					if (q[j] != (unsigned char)slot[i].tag) { bad++; break; }
				memset(q, (unsigned char)slot[i].tag, n);
				slot[i].p = q; slot[i].n = n;
				pthread_mutex_unlock(m);
				continue;
			}
			free(p);
			slot[i].p = NULL;
		} else {
			size_t n = 1 + rnd(&s) % (rnd(&s) % 8 == 0 ? 6000 : 300);
			unsigned char *p = malloc(n);
			unsigned tag = (unsigned)rnd(&s);
			memset(p, (unsigned char)tag, n);
			slot[i].p = p; slot[i].n = n; slot[i].tag = tag;
		}
		pthread_mutex_unlock(m);
	}
	return NULL;
}
int main(int argc, char **argv)
{
	int waves = argc > 1 ? atoi(argv[1]) : 40;
	for (int i = 0; i < 64; i++) pthread_mutex_init(&mu[i], NULL);
	for (int w = 0; w < waves; w++) {
		pthread_t t[6];
		for (int i = 0; i < 6; i++) pthread_create(&t[i], NULL, work, (void *)(uintptr_t)(w * 6 + i + 1));
		for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
	}
	for (int i = 0; i < SLOTS; i++) free(slot[i].p);
	printf("bad %lu\n", bad);
	return bad != 0;
}
"""


def test_threads_come_and_go(tmp_path):
    (tmp_path / "waves.c").write_text(WAVES)
    subprocess.run(["gcc", "-O2", "-pthread", "-o", "waves", "waves.c"], cwd=tmp_path,
                   check=True, timeout=60)
    out = same_on_heaplab(["./waves", "30"], tmp_path, 30 * 6 * 10_000)
    assert out == b"bad 0\n"


HUGE = r"""
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static long hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		sscanf(line, "VmHWM: %ld kB", &kb);
	if (f != NULL)
		fclose(f);
	return kb;
}
int main(int argc, char **argv)
{
	size_t big = (size_t)256 << 20, k;
	char *p = malloc(big), *q, *r;
	long before = hwm_kb();
	if (argc > 1) { /* a bad pointer: inside the huge block */
		free(p + 4096);
		return 0;
	}
	p[0] = 1; p[big - 1] = 2; /* two pages of 65,536 touched */
	free(p);
	q = calloc(3 << 20, 1); /* zero, whole */
	for (k = 0; k < (3u << 20); k += 4096)
		if (q[k] != 0) return 1;
	memset(q, 7, 3 << 20);
	q = realloc(q, 64 << 20); /* grows in place or moves: the bytes kept */
	if (q[0] != 7 || q[(3 << 20) - 1] != 7 || malloc_usable_size(q) < (64u << 20)) return 2;
	q = realloc(q, 100); /* back into the pool */
	if (q[0] != 7 || q[99] != 7) return 3;
	r = malloc(1000);
	memset(r, 9, 1000);
	r = realloc(r, 2 << 20); /* out of the pool */
	if (r[0] != 9 || r[999] != 9) return 4;
	free(q);
	free(r);
	printf("hwm grew %ld MiB\n", (hwm_kb() - before) >> 10);
	return 0;
}
"""


def test_huge_blocks_are_mappings_of_their_own(tmp_path):
    """A malloc of 128 KiB or more is a mapping of its own, at first
    (arch/host/preload.c, "Huge blocks"): freeing a 256 MiB block of which
    two pages were touched leaves the resident set as it was (the pool
    zeroed every byte on free, as sort's 385 MB buffer showed); calloc, realloc both ways and
    malloc_usable_size keep their promises; a pointer inside one is
    refused, naming the block."""
    (tmp_path / "huge.c").write_text(HUGE)
    subprocess.run(["gcc", "-O0", "-o", "huge", "huge.c"], cwd=tmp_path, check=True, timeout=60)
    r, lines = run(["./huge"], tmp_path, True)
    assert r.returncode == 0, r
    grew = int(re.search(rb"hwm grew (\d+) MiB", r.stdout)[1])
    assert grew < 32, r.stdout  # 64 MiB of realloc'd mapping untouched; 3 MiB touched
    assert STATS.search(lines), lines
    r, _ = run(["./huge", "bad"], tmp_path, True)
    assert r.returncode == -6, r
    err = r.stderr.decode()
    assert re.match(r"heaplab: free\(\): invalid pointer 0x[0-9a-f]+: pointer inside an "
                    r"object, not at its start: the huge block at 0x[0-9a-f]+ \(268435456 "
                    r"bytes\)", err), err


THRESHOLD = r"""
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static unsigned long lo, hi; /* the pool's reservation: the mapping a small object is in */
static int mapped(const void *p)
{
	return (unsigned long)p - lo >= hi - lo;
}
int main(void)
{
	char line[512], *small = malloc(16), *a, *b, *c, *d, *e, *f, *g, *big;
	unsigned long x, y;
	FILE *m = fopen("/proc/self/maps", "r");
	while (m != NULL && fgets(line, sizeof line, m) != NULL)
		if (sscanf(line, "%lx-%lx", &x, &y) == 2 && x <= (unsigned long)small &&
		    (unsigned long)small < y)
			lo = x, hi = y;
	if (hi - lo < (64ul << 20))
		return 10; /* no reservation found */
	a = malloc(200000);
	printf("200000 first: %s\n", mapped(a) ? "mapping" : "pool");
	free(a);
	b = malloc(200000);
	c = malloc(300000);
	printf("200000 after its free: %s; 300000: %s\n", mapped(b) ? "mapping" : "pool",
	       mapped(c) ? "mapping" : "pool");
	d = malloc(64 << 20);
	free(d);
	e = malloc(64 << 20);
	printf("64 MiB after its free: %s\n", mapped(e) ? "mapping" : "pool");
	f = malloc(100000);
	memset(f, 5, 100000);
	f = realloc(f, 250000);
	printf("100000 grown to 250000: %s", mapped(f) ? "mapping" : "pool");
	f[249999] = 6;
	f = realloc(f, 4000000);
	printf(", to 4000000: %s", mapped(f) ? "mapping" : "pool");
	big = f;
	f = realloc(f, 90000);
	printf(", shrunk to 90000: %s\n", mapped(f) ? "mapping" : "pool");
	if (f[0] != 5 || f[89999] != 5)
		return 11;
	g = malloc(100000);
	memset(g, 8, 100000);
	g = realloc(g, 1 << 20);
	printf("100000 grown to 1 MiB: %s, %zu bytes\n",
	       g == big ? "the mapping freed last" : mapped(g) ? "another mapping" : "pool",
	       malloc_usable_size(g));
	if (g[0] != 8 || g[99999] != 8)
		return 12;
	big = realloc(g, 3 << 19);
	printf("grown to 1.5 MiB: %s\n", big == g ? "in place" : "moved");
	g = malloc(100000);
	g = realloc(g, 300000);
	printf("100000 grown to 300000, no spare: %s\n", mapped(g) ? "mapping" : "pool");
	free(g);
	free(big), free(f), free(e), free(c), free(b), free(small);
	return 0;
}
"""


def test_huge_threshold_moves_as_glibcs(tmp_path):
    """The huge blocks' threshold (arch/host/preload.c, "Huge blocks"):
    128 KiB at first; the free of a mapping raises it past that mapping's
    size, so that the same request takes pool pages next time, up to 32 MiB
    and no further; a realloc that grows an object to 128 KiB or more moves
    it to a mapping above the threshold (then mremap grows it), and one
    that shrinks it below 128 KiB moves it back, its bytes kept. The mapping
    freed last stays mapped, the spare, which such a realloc takes below
    the threshold too when it fits (trimmed to twice the request), and
    grows into in place; with no spare, it stays in the pool."""
    (tmp_path / "thr.c").write_text(THRESHOLD)
    subprocess.run(["gcc", "-O0", "-o", "thr", "thr.c"], cwd=tmp_path, check=True, timeout=60)
    r, lines = run(["./thr"], tmp_path, True)
    assert r.returncode == 0, r
    assert STATS.search(lines), lines
    assert r.stdout.decode() == (
        "200000 first: mapping\n"
        "200000 after its free: pool; 300000: mapping\n"
        "64 MiB after its free: mapping\n"
        "100000 grown to 250000: mapping, to 4000000: mapping, shrunk to 90000: pool\n"
        "100000 grown to 1 MiB: the mapping freed last, 2097152 bytes\n"
        "grown to 1.5 MiB: in place\n"
        "100000 grown to 300000, no spare: pool\n")


GROW = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Buffers of 50 to 150 KB grown and shrunk by realloc across the huge
   blocks' threshold and the spare, calloc'd blocks checked zero, on four
   threads at once: every byte kept through every move. */
static void *work(void *arg)
{
	unsigned seed = (unsigned)(long)arg;
	for (int i = 0; i < 300; i++) {
		size_t n = 50000 + rand_r(&seed) % 100000, m, keep, j;
		unsigned char *p = malloc(n), *q, tag = (unsigned char)(1 + rand_r(&seed) % 255);
		memset(p, tag, n);
		for (int k = rand_r(&seed) % 5; k > 0; k--) {
			m = rand_r(&seed) % 4 ? n + rand_r(&seed) % 600000 : 1000 + rand_r(&seed) % 200000;
			p = realloc(p, m);
			keep = n < m ? n : m;
			for (j = 0; j < keep; j += 997)
				if (p[j] != tag)
					return "a byte lost in realloc";
			memset(p, tag, m);
			n = m;
		}
		q = calloc(1, 200000 + rand_r(&seed) % 300000);
		for (j = 0; j < 200000; j += 512)
			if (q[j] != 0)
				return "calloc not zero";
		q[0] = 1;
		free(q);
		free(p);
	}
	return NULL;
}
int main(void)
{
	pthread_t t[4];
	void *r;
	int bad = 0;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, work, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &r);
		if (r != NULL)
			bad = printf("thread %d: %s\n", i, (char *)r);
	}
	puts(bad ? "failed" : "ok");
	return bad != 0;
}
"""


def test_huge_reallocs_on_four_threads(tmp_path):
    """Four threads grow, shrink and free buffers across the huge blocks'
    threshold and the spare (arch/host/preload.c, "Huge blocks"), and
    calloc blocks the spare must not give dirty: every byte is kept, every
    calloc is zero, on heaplab as on glibc."""
    (tmp_path / "grow.c").write_text(GROW)
    subprocess.run(["gcc", "-O2", "-pthread", "-o", "grow", "grow.c"], cwd=tmp_path, check=True,
                   timeout=60)
    out = same_on_heaplab(["./grow"], tmp_path, 2400)
    assert out == b"ok\n"


# The mapping that holds a small object: its VmFlags line in smaps.
VMFLAGS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	char *p = malloc(100), line[512];
	unsigned long lo, hi, a = (unsigned long)p;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = lo <= a && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			fputs(line, stdout);
	}
	free(p);
	return 0;
}
"""


def test_no_transparent_huge_pages_in_the_pool(tmp_path):
    """The pool's reservation is advised MADV_NOHUGEPAGE (smaps' VmFlags
    "nh"): where the kernel's THP setting is "always", each 2 MiB of it
    touched would otherwise be a resident huge page (arch/host/preload.c,
    setup). glibc's own heap carries no such flag."""
    if not os.path.isdir("/sys/kernel/mm/transparent_hugepage"):
        pytest.skip("this kernel has no transparent huge pages: madvise refuses the advice")
    (tmp_path / "vmflags.c").write_text(VMFLAGS)
    subprocess.run(["gcc", "-O0", "-o", "vmflags", "vmflags.c"], cwd=tmp_path, check=True,
                   timeout=60)
    ours, lines = run(["./vmflags"], tmp_path, True)
    plain, _ = run(["./vmflags"], tmp_path, False)
    assert ours.returncode == 0 and plain.returncode == 0, (ours, plain)
    assert STATS.search(lines), lines
    assert re.match(rb"VmFlags:.* nh\b", ours.stdout), ours.stdout
    assert re.match(rb"VmFlags:", plain.stdout) and b" nh" not in plain.stdout, plain.stdout


# The mapping that holds a small object and the one after it: their
# permissions and sizes, from /proc/self/maps.
MAPS = r"""
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
	char *p = malloc(100), perm[8], line[512];
	unsigned long lo, hi, a = (unsigned long)p, end = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3)
			continue;
		if (lo <= a && a < hi) {
			printf("%s %lu\n", perm, (hi - lo) >> 20);
			end = hi;
		} else if (end != 0 && lo == end) {
			printf("%s %lu\n", perm, (hi - lo) >> 20);
			break;
		}
	}
	free(p);
	return 0;
}
"""


def test_the_reservation_is_writable_only_below_the_break(tmp_path):
    """The 64 GiB reservation is mapped with no access and made writable a
    MiB or more at a time as the pool's break passes (arch/host/preload.c,
    res_brkfn): a writable mapping counts whole against the commit limit
    where vm.overcommit_memory is 2, and there each program charged 64 GiB,
    or all the limit let it have, and the next fork on the machine failed.
    What holds a small object is the page map (128 MiB of a 64 GiB
    reservation, less of a smaller one) and the heap after it; the rest,
    its next mapping and most of the reservation, has no access."""
    (tmp_path / "maps.c").write_text(MAPS)
    subprocess.run(["gcc", "-O0", "-o", "maps", "maps.c"], cwd=tmp_path, check=True, timeout=60)
    r, lines = run(["./maps"], tmp_path, True)
    assert r.returncode == 0 and STATS.search(lines), (r, lines)
    (perm, mib), (rest, rest_mib) = [(w[0], int(w[1])) for w in
                                     (ln.split() for ln in r.stdout.decode().splitlines())]
    assert perm == "rw-p" and mib < 160, r.stdout
    assert rest == "---p" and rest_mib > 16 * mib, r.stdout


def test_under_an_address_space_limit(tmp_path):
    """ulimit -v 200 MB: the reservation is a quarter of the limit at most
    (it was the largest power of two that fit, 128 MiB, and left python3
    too little to map a 50 MB bytearray that it maps on glibc)."""
    script = ("import threading\n"
              "t = [threading.Thread(target=lambda: sum(range(10000))) for _ in range(8)]\n"
              "[x.start() for x in t]; [x.join() for x in t]\n"
              "print(len(bytearray(50 << 20)), len([bytes(100) for i in range(100000)]))\n")
    out = same_on_heaplab(["sh", "-c", 'ulimit -v 200000 && exec python3 -c "$0"', script],
                          tmp_path, 1000)
    assert out == b"52428800 100000\n"


def test_realloc_of_a_freed_object_aborts(tmp_path):
    """realloc's own path (a small object moving class through the thread's
    cache) refuses a freed object as free does, in realloc's words."""
    (tmp_path / "bad.c").write_text(BAD)
    subprocess.run(["gcc", "-O0", "-o", "bad", "bad.c"], cwd=tmp_path, check=True, timeout=60)
    r, _ = run(["./bad", "realloc"], tmp_path, True)
    assert r.returncode == -6, r
    err = r.stderr.decode()
    assert re.match(r"heaplab: realloc\(\): invalid pointer 0x[0-9a-f]+: object not in use "
                    r"\(a double free, or never handed out\): span 0x", err), err


def test_size_classes_are_generated():
    """objects/sizeclasses.h is tools/mksizeclasses.py's output, unedited."""
    out = subprocess.run([os.path.join(ROOT, "tools", "mksizeclasses.py")], capture_output=True,
                         check=True, timeout=60).stdout
    with open(os.path.join(ROOT, "objects", "sizeclasses.h"), "rb") as f:
        assert f.read() == out


def test_gdb_knows_the_span_unit():
    """tools/gdb/heaplab.py restates HOBJ_UNIT (debug info carries no
    macros): it must be objects/sizeclasses.h's, or heap spans and heap
    check call every span's record wrong."""
    with open(os.path.join(ROOT, "objects", "sizeclasses.h")) as f:
        unit = re.search(r"^#define HOBJ_UNIT\s+(\d+)", f.read(), re.M)[1]
    with open(os.path.join(ROOT, "tools", "gdb", "heaplab.py")) as f:
        assert re.search(r"^HOBJ_UNIT = (\d+) ", f.read(), re.M)[1] == unit
