// SPDX-License-Identifier: BSD-3-Clause
// The progress watchdog. A CPU that loops for good in the middle of the
// SMP stress (a student's cache that spins on some path) would leave the
// run to end at the limit of whoever started it, saying nothing, while
// the other CPUs wait for it. So each watched CPU counts its progress
// (one count an operation), and every CPU looks at every watched CPU's
// count at each of its ticks, and while it spins for a lock (a CPU that
// loops with interrupts off takes no tick, and the one that waits for
// its lock takes none either). A count that has not moved for WATCHDOG_S
// seconds, as the looking CPU's own clock tells, stops the machine,
// naming the CPU, and where it was: the pcs its last ticks came at when
// it took ticks meanwhile (it loops with interrupts on), else that it
// has interrupts off, and the lock it holds if that is the one the
// looking CPU waits for (the holder's pc is in the code that loops).
//
// Each looking CPU keeps its own record of what it saw (watch[me]),
// touched only with its interrupts off, so the records need no lock and
// no two CPUs' clocks are ever compared. A correct stress's longest gap
// between two counts is milliseconds (stress_report prints it); the
// bound is seconds, for vCPUs that the host's other work keeps waiting.
#include "kernel.h"

#include <stdio.h>
#include <string.h>

struct watch {
	int on;		     // the record is of the CPU's current watch
	unsigned long count; // its progress when the record was made
	unsigned long ticks; // and its timer_ticks
	uint64_t since;	     // arch_ticks() (the looking CPU's) then
};

static struct watch watch[NCPU][NCPU]; // [looking CPU][watched CPU]
static int nwatched;		       // CPUs watched now

// watchdog_begin has c's progress watched from now on.
void watchdog_begin(struct cpu *c)
{
	c->progress_at = arch_ticks();
	c->progress_gap = 0;
	__atomic_add_fetch(&c->progress, 1, __ATOMIC_RELAXED); // a new watch: records go stale
	__atomic_store_n(&c->watched, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&nwatched, 1, __ATOMIC_ACQ_REL);
}

// watchdog_progress counts one step of c's work, by c itself.
void watchdog_progress(struct cpu *c)
{
	uint64_t now = arch_ticks();

	if (now - c->progress_at > c->progress_gap) {
		c->progress_gap = now - c->progress_at;
		c->gap_doing = c->doing;
	}
	c->progress_at = now;
	__atomic_add_fetch(&c->progress, 1, __ATOMIC_RELAXED);
}

// watchdog_end stops watching c: its work is done.
void watchdog_end(struct cpu *c)
{
	watchdog_progress(c);
	__atomic_store_n(&c->watched, 0, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&nwatched, 1, __ATOMIC_ACQ_REL);
}

int watchdog_watching(void)
{
	return __atomic_load_n(&nwatched, __ATOMIC_ACQUIRE);
}

// watchdog_longest answers the longest gap between two progress counts
// of any CPU watched so far (in arch_ticks), and in *cpu whose it was.
uint64_t watchdog_longest(int *cpu)
{
	uint64_t most = 0;
	int i;

	*cpu = 0;
	for (i = 0; i < NCPU; i++)
		if (cpus[i].progress_gap > most) {
			most = cpus[i].progress_gap;
			*cpu = i;
		}
	return most;
}

// looped stops the machine for watched CPU i, whose progress w saw last
// move; lk is the lock the looking CPU waits for, or NULL.
static void looped(int i, const struct watch *w, const struct spinlock *lk)
{
	const struct cpu *c = &cpus[i];
	char where[160] = "", *s = where, doing[64] = "";
	unsigned long t = c->timer_ticks, n = t - w->ticks, k, j;

	if (n > 0) { // it took ticks: they came in the loop (the latest first, each pc once)
		s += snprintf(where, sizeof where, "; its last ticks came at pc");
		for (k = 0; k < n && k < WATCH_PCS; k++) {
			uintptr_t pc = c->tick_pcs[(t - 1 - k) % WATCH_PCS];

			for (j = 0; j < k && c->tick_pcs[(t - 1 - j) % WATCH_PCS] != pc; j++)
				;
			if (j == k)
				s += snprintf(s, (size_t)(where + sizeof where - s), " %#lx",
					      (unsigned long)pc);
		}
	} else {
		s += snprintf(where, sizeof where, "; it has interrupts off (no tick since)");
	}
	if (lk != NULL && lk->locked && lk->cpu == i)
		snprintf(s, (size_t)(where + sizeof where - s), "; it holds %s, taken at pc %#lx",
			 lk->name, (unsigned long)lk->pc);
	if (c->doing != NULL)
		snprintf(doing, sizeof doing, c->doing_n != 0 ? " in %s(%lu bytes)" : " in %s",
			 c->doing, (unsigned long)c->doing_n);
	panic("stress: looped: cpu %d made no progress for %d s%s, after %lu ops%s", i, WATCHDOG_S,
	      doing, (unsigned long)c->ops, where);
}

// watchdog_check looks at every watched CPU's progress, with interrupts
// off: from a tick's handler, or from spin_wait (lk: the lock it waits for).
void watchdog_check(const struct spinlock *lk)
{
	int me = arch_cpu_id(), i;
	uint64_t now, bound;

	if (watchdog_watching() == 0)
		return;
	now = arch_ticks();
	bound = arch_ticks_hz() * WATCHDOG_S;
	for (i = 0; i < NCPU; i++) {
		struct watch *w = &watch[me][i];
		unsigned long p;

		if (!__atomic_load_n(&cpus[i].watched, __ATOMIC_ACQUIRE)) {
			w->on = 0;
			continue;
		}
		p = __atomic_load_n(&cpus[i].progress, __ATOMIC_RELAXED);
		if (!w->on || p != w->count) {
			*w = (struct watch){1, p, cpus[i].timer_ticks, now};
			continue;
		}
		if (now - w->since > bound)
			looped(i, w, lk);
	}
}

// The NMI's report. When every CPU loops with interrupts off and none
// spins for a lock (each walks its own cache's list under its own lock),
// no tick comes and no spin looks: no CPU is left to run watchdog_check.
// So whoever runs QEMU sends every CPU an NMI, which comes whatever the
// interrupt flag, after seconds of a silent console (tools/imagerun.py:
// WATCHDOG_S and a margin). Each CPU notes where it was and, by its own
// clock, whether it is watched and has made no progress for WATCHDOG_S s;
// the first to come waits a bounded time for the others' notes (a CPU
// takes no other NMI until it returns from this one), and speaks for all:
// a line a CPU, then the stress's `looped:` panic if one made no progress,
// `nmi: looped:` if no CPU is watched (outside the SMP stress, the
// console's silence is all there is to go by), else a line that the
// stress moves, and every CPU returns.
// It writes without the console lock, which a CPU it stopped may hold.
#define NMI_WAIT_MS 500 // the first CPU's wait for the others' notes

struct nmi_note {
	unsigned long n; // the NMIs this CPU took: the note is of its nth
	uintptr_t pc;	 // where the nth came
	int watched;	 // the CPU was in the stress
	int stale;	 // and had made no progress for WATCHDOG_S s
	uint64_t idle;	 // arch_ticks since its last progress (if watched)
};

static struct nmi_note nmi_notes[NCPU];
static unsigned long nmi_leader, nmi_done; // the last NMI whose report began, ended

// nmi_write writes s whole, with no lock.
static void nmi_write(const char *s)
{
	platform_console_write(s, strlen(s));
}

// nmi_report speaks for NMI n, the notes of the up CPUs in; stops the
// machine if it finds a loop.
static void nmi_report(unsigned long n, int up)
{
	char line[160], pcs[NCPU * 24] = "", *p = pcs; // pcs: " 0x" and 16 digits a CPU
	uint64_t hz = arch_ticks_hz();
	int i, stale = 0, stress = watchdog_watching() > 0;

	if (console_busy())
		nmi_write("\n"); // a CPU stopped in the middle of a line
	for (i = 0; i < up; i++) {
		const struct nmi_note *t = &nmi_notes[i];
		const struct cpu *c = &cpus[i];
		char doing[64] = "";

		if (__atomic_load_n(&t->n, __ATOMIC_ACQUIRE) < n) {
			snprintf(line, sizeof line, "nmi: cpu %d: no note within %d ms\n", i,
				 NMI_WAIT_MS);
			nmi_write(line);
			continue;
		}
		if (t->watched && c->doing != NULL)
			snprintf(doing, sizeof doing,
				 c->doing_n != 0 ? " in %s(%lu bytes)" : " in %s", c->doing,
				 (unsigned long)c->doing_n);
		if (t->stale)
			snprintf(
			    line, sizeof line,
			    "nmi: cpu %d at pc %#lx: no progress for %lu.%lu s%s, after %lu ops\n",
			    i, (unsigned long)t->pc, (unsigned long)(t->idle / hz),
			    (unsigned long)(t->idle * 10 / hz % 10), doing, (unsigned long)c->ops);
		else if (t->watched)
			snprintf(line, sizeof line,
				 "nmi: cpu %d at pc %#lx: in the stress, its last progress %lu ms "
				 "ago%s\n",
				 i, (unsigned long)t->pc, (unsigned long)(t->idle * 1000 / hz),
				 doing);
		else
			snprintf(line, sizeof line, "nmi: cpu %d at pc %#lx\n", i,
				 (unsigned long)t->pc);
		nmi_write(line);
		if (t->stale || !stress)
			p += snprintf(p, (size_t)(pcs + sizeof pcs - p), " %#lx",
				      (unsigned long)t->pc);
		stale += t->stale;
	}
	if (stale > 0)
		panic(
		    "stress: looped: %d of %d CPUs made no progress for %d s, and none was left to "
		    "run the watchdog (no tick, no spin for a lock): an NMI found them at pc%s",
		    stale, up, WATCHDOG_S, pcs);
	if (!stress)
		panic(
		    "nmi: looped: the console stayed silent until an NMI, which found the CPUs at "
		    "pc%s (no CPU's progress is watched here: the silence says they loop)",
		    pcs);
	snprintf(line, sizeof line,
		 "nmi: no loop: every CPU in the stress made progress within %d s; going on\n",
		 WATCHDOG_S);
	nmi_write(line);
}

void watchdog_nmi(uintptr_t pc)
{
	int me = arch_cpu_id(), up = mp_cpus_up(), i;
	struct nmi_note *t = &nmi_notes[me];
	const struct cpu *c = &cpus[me];
	unsigned long n = t->n + 1, was = n - 1;
	uint64_t t0 = arch_ticks(), bound = arch_ticks_hz() / 1000 * NMI_WAIT_MS;

	t->pc = pc;
	t->watched = __atomic_load_n(&c->watched, __ATOMIC_ACQUIRE);
	t->idle = t->watched ? t0 - c->progress_at : 0;
	t->stale = t->watched && t->idle > arch_ticks_hz() * WATCHDOG_S;
	__atomic_store_n(&t->n, n, __ATOMIC_RELEASE);
	if (!__atomic_compare_exchange_n(&nmi_leader, &was, n, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		// Another CPU speaks: wait until it is done (or has stopped the
		// machine), so that no line of this CPU's comes in its report;
		// bounded, in case it was stopped itself in the middle of a panic.
		while (__atomic_load_n(&nmi_done, __ATOMIC_ACQUIRE) < n &&
		       arch_ticks() - t0 < 4 * bound)
			arch_spin_wait();
		return;
	}
	for (i = 0; i < up && i < NCPU; i++)
		while (__atomic_load_n(&nmi_notes[i].n, __ATOMIC_ACQUIRE) < n &&
		       arch_ticks() - t0 < bound)
			arch_spin_wait();
	nmi_report(n, up < NCPU ? up : NCPU);
	__atomic_store_n(&nmi_done, n, __ATOMIC_RELEASE);
}
