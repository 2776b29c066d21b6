#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make size: what heaplab costs a kernel in code, per target.

    bench/size.py DISTDIR 'ARCH|CC|FLAGS'...

For each target it links a freestanding consumer (-nostdlib, --gc-sections)
of the amalgamation in DISTDIR twice: one that allocates and frees over a
fixed arena, built with HEAPLAB_DEBUG=0 (the allocator without the check),
and one built with HEAPLAB_DEBUG=1 that also calls heaplab_check and
heaplab_fault_format (with the check). It prints the bytes of .text that
came from heaplab.c in each link (the consumer's own functions, memset and
memcpy left out), against the goals: at most 4 KiB on arm (Thumb-2) and
6 KiB on amd64 without the check, at most twice the goal with it. Exit status 0, 1 if
a link failed, 2 on bad use."""
import os
import re
import subprocess
import sys
import tempfile

CONSUMER = r"""
#include <stddef.h>
#include "heaplab.h"

void *memset(void *s, int c, size_t n)
{
	volatile unsigned char *p = s;

	while (n-- > 0)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *p = d;
	const unsigned char *q = s;

	while (n-- > 0)
		*p++ = *q++;
	return d;
}

static struct heaplab_pool consumer_pool;
static unsigned char consumer_arena[1 << 16];
volatile unsigned long consumer_sink;

void consumer_entry(void)
{
	void *p;

	heaplab_init_arena(&consumer_pool, NULL, NULL, consumer_arena, sizeof consumer_arena, 4096);
	p = heaplab_alloc(&consumer_pool, 100);
	heaplab_free(&consumer_pool, p, 100);
#ifdef WITH_CHECK
	{
		struct heaplab_fault f;
		char buf[160];

		if (heaplab_check(&consumer_pool, &f) != HEAPLAB_OK)
			consumer_sink = (unsigned long)heaplab_fault_format(&consumer_pool, &f, buf, sizeof buf);
	}
#endif
	for (;;)
		consumer_sink++;
}
"""

GOALS = {"arm": 4096, "amd64": 6144}


def heaplab_text(cc, flags, dist, tmp, check):
    src = os.path.join(tmp, "consumer.c")
    elf = os.path.join(tmp, "consumer-%d.elf" % check)
    with open(src, "w") as f:
        f.write(CONSUMER)
    cmd = ([cc] + flags.split() + ["-std=c99", "-I", dist, "-nostdlib", "-static",
                                   "-Wl,--gc-sections", "-Wl,-e,consumer_entry",
                                   "-Wl,--build-id=none", "-DHEAPLAB_DEBUG=%d" % check]
           + (["-DWITH_CHECK"] if check else []) + ["-o", elf, src, os.path.join(dist, "heaplab.c"),
                                                    "-lgcc"])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s\n%s" % (" ".join(cmd), r.stderr))
    nm = cc[:-3] + "nm" if cc.endswith("gcc") and cc != "gcc" else "nm"
    out = subprocess.run([nm, "-S", "--defined-only", elf], capture_output=True, text=True,
                         check=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ ([0-9a-f]+) [tT] (\S+)$", line)
        if m and not m.group(2).startswith("consumer_") and m.group(2) not in ("memset", "memcpy"):
            total += int(m.group(1), 16)
    return total


def main(argv):
    if len(argv) < 3 or not os.path.isfile(os.path.join(argv[1], "heaplab.c")):
        sys.stderr.write("usage: bench/size.py DISTDIR 'ARCH|CC|FLAGS'... (DISTDIR from make dist)\n")
        return 2
    dist, status = argv[1], 0
    print("heaplab's .text at -Os, bytes (a freestanding consumer, --gc-sections)")
    print("%-8s %16s %14s  %s" % ("target", "without check", "with check", "goal (without/with)"))
    with tempfile.TemporaryDirectory(prefix="heaplab-size.") as tmp:
        for spec in argv[2:]:
            arch, cc, flags = spec.split("|", 2)
            try:
                base = heaplab_text(cc, flags, dist, tmp, 0)
                full = heaplab_text(cc, flags, dist, tmp, 1)
            except (RuntimeError, OSError) as e:
                print("%-8s link failed: %s" % (arch, e))
                status = 1
                continue
            goal = GOALS.get(arch)
            verdict = "-"
            if goal:
                ok = base <= goal and full <= 2 * goal
                verdict = "%d/%d %s" % (goal, 2 * goal, "met" if ok else "MISSED")
            print("%-8s %16d %14d  %s" % (arch, base, full, verdict))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
