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
