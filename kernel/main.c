// SPDX-License-Identifier: BSD-3-Clause
// kmain: what the image does once the arch has set up the machine. It
// reads the command line, then runs the self-test and the demo, or, when
// the image was handed a trace, replays it.
#include "kmem.h"

extern uint64_t stress_stat;

#include <stdlib.h>
#include <string.h>

#include "../objects/objects.h"
#include "../replay/replay.h"

struct kopts {
	uintptr_t heap; // trace mode: the replay's heap size
	uintptr_t page; // trace mode: the granule
	int check;	// trace mode: check after every operation
	int bench;	// trace mode: benchmark heaplab and newlib instead (make bench)
	int exact;	// trace mode: refuse a free that is not one allocation (heaplab_track)
	int list;	// first fit by the list walk, not the placement index
	int irqunsafe;	// the allocator's lock held with interrupts on (kmem.c)
	int pcp;	// the SMP stress through the per-CPU page cache (pcp.c)
	int pagestress; // the page stress alone, lab 9's (pagestress.c)
	int irqbench;	// measure the allocator's interrupts-off stretches (irqbench.c)
	int ncpu;	// CPUs QEMU was given (SMP comes with its own issue)
	char test[32];	// run only the self-test case of this name ("" all)
};

// parse_num reads a number as the trace grammar writes it (replay_number);
// 0 on error, after printing why.
static uintptr_t parse_num(const char *t, size_t n, size_t skip)
{
	const char *why;
	uint64_t v;

	why = replay_number(t + skip, n - skip, &v);
	if (why == NULL && v > UINTPTR_MAX)
		why = "number too large for this image";
	if (why == NULL)
		return (uintptr_t)v;
	kprintf("# heaplab: '%.*s': %s\n", (int)n, t, why);
	return 0;
}

// parse_name copies the n-byte name s into buf; -1 if it does not fit.
static int parse_name(char *buf, size_t size, const char *s, size_t n)
{
	if (n == 0 || n >= size)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

// parse_opt reads one command-line token into o; -1 if it is bad.
static int parse_opt(const char *t, size_t n, struct kopts *o)
{
	if (n > 7 && memcmp(t, "mplate=", 7) == 0) // CPU 1 comes late: tests mp_start's wait
		return (mp_late_ms = parse_num(t, n, 7)) ? 0 : -1;
	if (n > 7 && memcmp(t, "mpwait=", 7) == 0) // mp_start's bound, shorter for that test
		return (mp_wait_ms = parse_num(t, n, 7)) ? 0 : -1;
	if (n > 5 && memcmp(t, "test=", 5) == 0)
		return parse_name(o->test, sizeof o->test, t + 5, n - 5);
	if (n > 5 && memcmp(t, "heap=", 5) == 0)
		return (o->heap = parse_num(t, n, 5)) ? 0 : -1;
	if (n > 5 && memcmp(t, "page=", 5) == 0)
		return (o->page = parse_num(t, n, 5)) ? 0 : -1;
	if (n > 4 && memcmp(t, "smp=", 4) == 0)
		return (o->ncpu = (int)parse_num(t, n, 4)) > 0 && o->ncpu <= NCPU ? 0 : -1;
	if (n == 5 && memcmp(t, "check", 5) == 0)
		return o->check = 1, 0;
	if (n == 5 && memcmp(t, "bench", 5) == 0)
		return o->bench = 1, 0;
	if (n == 9 && memcmp(t, "exactfree", 9) == 0)
		return o->exact = 1, 0;
	if (n == 4 && memcmp(t, "list", 4) == 0)
		return o->list = 1, 0;
	if (n == 9 && memcmp(t, "irqunsafe", 9) == 0)
		return o->irqunsafe = 1, 0;
	if (n == 3 && memcmp(t, "pcp", 3) == 0)
		return o->pcp = 1, 0;
	if (n == 10 && memcmp(t, "pagestress", 10) == 0)
		return o->pagestress = 1, 0;
	if (n == 8 && memcmp(t, "irqbench", 8) == 0)
		return o->irqbench = 1, 0;
	if (n == 8 && memcmp(t, "lockstat", 8) == 0) // every lock's statistics at the end
		return lockstat_at_exit = 1, 0;
	if (n > 6 && memcmp(t, "trace=", 6) == 0) // arm's blob: the trace's length
		return 0;
	return -1;
}

// parse_cmdline fills o from the kernel command line, or stops the run
// with a usage error naming the bad token or the rule (replay_opts, the
// host tool's rule for --heap and --page).
static void parse_cmdline(const char *s, struct kopts *o)
{
	char err[120];
	size_t n;

	while (s != NULL && *s != '\0') {
		while (*s == ' ')
			s++;
		for (n = 0; s[n] != '\0' && s[n] != ' '; n++)
			;
		if (n > 0 && parse_opt(s, n, o) < 0) {
			kprintf("# heaplab: bad command-line option '%.*s' (want heap=BYTES "
				"page=BYTES check exactfree bench list irqunsafe irqbench pcp "
				"pagestress lockstat smp=1..%d test=NAME "
				"mplate=MS mpwait=MS)\n",
				(int)n, s, NCPU);
			kexit(2);
		}
		s += n;
	}
	if (replay_opts(o->heap, o->page, err, sizeof err) != NULL) {
		kprintf("# heaplab: %s\n", err);
		kexit(2);
	}
}

// run_smp brings up the other CPUs and runs the stress on all of them:
// with pcp, through the per-CPU caches of both the pool (kernel/pcp.c) and
// the objects layer (kernel/kobj.c); without, through their locks alone.
static void run_smp(int want, int pcp)
{
	uintptr_t inuse0 = mempool.inuse;
	struct hobj_stats st;
	uint64_t stat0 = stress_stat;
	int up = mp_start(want), checking, objchecking, objcaching;

	kcase("every CPU QEMU was given came up", up >= want);
	hobj_stats(&kobj_heap, &st);
	checking = kmem_set_checking(&mempool, 1); // bounded: see kernel/stress.c
	objchecking = kobj_set_checking(0);
	objcaching = kobj_set_caching(pcp); // --pcp: per-CPU caches at both levels
	if (pcp)
		pcp_start();
	mp_stress(up);
	if (pcp) { // the caches' runs back to the pool, so that every byte is there
		pcp_check();
		pcp_report();
		kprintf("pcp: %lu KiB back to the pool from the caches\n",
			(unsigned long)(pcp_drain() >> 10));
	}
	kobj_set_caching(objcaching);
	kobj_set_checking(objchecking);
	kmem_set_checking(&mempool, checking);
	stress_report(up, inuse0, stat0, st.inuse);
}

// irq_unsafe_start turns on the irqunsafe demonstration, saying so.
static void irq_unsafe_start(void)
{
	kmem_irq_unsafe = 1;
	kprintf("# heaplab: irqunsafe: the allocator holds its lock with interrupts on, and "
		"every timer tick takes that lock\n");
}

// irq_unsafe_missed, if irqunsafe is on and the run got this far (no tick
// came while the allocator held its lock, so nothing deadlocked yet),
// holds the lock with interrupts on until a tick comes inside it; it fails
// the run only if none does in a second.
static void irq_unsafe_missed(void)
{
	if (!kmem_irq_unsafe)
		return;
	kmem_irq_unsafe_hold();
	kcase("irqunsafe: a timer tick inside the allocator's lock deadlocked its CPU", 0);
}

void kmain(const char *cmdline, const char *trace, size_t tracelen)
{
	struct kopts o = {.heap = 64u << 20, .page = PAGE_SIZE, .ncpu = 1};
	int failed;

	kprintf("# heaplab: heap [%p, %p), %lu KiB, break %p\n", (void *)_heap_start,
		(void *)_heap_end, (unsigned long)((_heap_end - _heap_start) >> 10),
		(void *)kbrk_now());
	parse_cmdline(cmdline, &o);
	kmem_index = !o.list;
	if (trace != NULL && o.bench) // no timer: make bench counts instructions
		kexit(trace_bench(trace, tracelen, o.heap, o.page));
	if (o.irqbench) { // no timer either: nothing but the allocator runs
		kmem_init();
		kexit(irq_bench());
	}
	tick_start();
	if (o.irqunsafe)
		irq_unsafe_start();
	if (trace != NULL)
		kexit(trace_run(trace, tracelen, o.heap, o.page, o.check, o.exact));
	kmem_init();
	kobj_init();
	if (o.test[0] != '\0') { // one case alone: no SMP stress, no demo
		selftest_run(o.test);
		irq_unsafe_missed();
		kexit(kverdict() ? EXIT_FAIL : EXIT_PASS);
	}
	if (o.pagestress) { // lab 9's measure alone: no self-test, no demo
		int up = mp_start(o.ncpu);

		kcase("every CPU QEMU was given came up", up >= o.ncpu);
		pagestress(up, o.pcp);
		kexit(kverdict() ? EXIT_FAIL : EXIT_PASS);
	}
	selftest_run(NULL);
	run_smp(o.ncpu, o.pcp);
	irq_unsafe_missed();
	failed = kverdict();
	if (failed == 0)
		demo_run();
	kexit(failed ? EXIT_FAIL : EXIT_PASS);
}
