// SPDX-License-Identifier: BSD-3-Clause
// Spinlocks, xv6 style: interrupts off while held (push_off/pop_off nest
// per CPU), the holder (CPU and pc) recorded for debuggers, and misuse is
// fatal: taking a lock this CPU holds (from an interrupt handler, that is
// the deadlock interrupts off prevents), releasing one it does not, or
// spinning past spin_bound attempts (a suspected deadlock). Each CPU counts
// the time it spun for locks and the time it held them.
#include "kernel.h"

struct cpu cpus[NCPU];
unsigned long spin_bound = 1ul << 28; // attempts before "lockup suspected"

// mycpu answers this CPU's record; interrupts must be off.
struct cpu *mycpu(void)
{
	return &cpus[arch_cpu_id()];
}

// push_off turns interrupts off on this CPU until the matching pop_off;
// the outermost one notes whether they were on.
void push_off(void)
{
	uintptr_t s = arch_irq_save();
	struct cpu *c = mycpu();

	if (c->noff++ == 0)
		c->intena = s;
}

// pop_off undoes one push_off; the outermost turns interrupts back on if
// they were on before it. Interrupts on inside a push_off are fatal.
void pop_off(void)
{
	struct cpu *c = mycpu();

	if (arch_irq_enabled())
		panic("pop_off: cpu %d: interrupts are on inside push_off (depth %d)", c->id,
		      c->noff);
	if (c->noff < 1)
		panic("pop_off: cpu %d: not pushed", c->id);
	if (--c->noff == 0)
		arch_irq_restore(c->intena);
}

// spin_init sets up a lock at run time. Such a lock may live on a stack (the
// self-test's scratch pools), so it never enters lockstat_print's table,
// which keeps only the kernel's static locks (SPINLOCK_INIT).
void spin_init(struct spinlock *lk, const char *name)
{
	*lk = SPINLOCK_INIT(name);
	lk->listed = 1;
}

// spin_holding answers whether this CPU holds lk; interrupts must be off.
int spin_holding(struct spinlock *lk)
{
	return lk->locked && lk->cpu == arch_cpu_id();
}

// spin_wait spins until lk can be taken, counting the time for the stats,
// and answers how many of its test-and-sets failed (6.1810's #test-and-set
// counts each failed attempt to take the lock; a read of the lock word
// that finds it held is an attempt too, as it is in xv6's loop).
static unsigned long spin_wait(struct spinlock *lk, struct cpu *c)
{
	uint64_t t0 = arch_ticks();
	unsigned long n = 0;

	do {
		if ((++n & 0xfff) == 0) // a holder that loops with interrupts off
			watchdog_check(lk);
		if (n > spin_bound)
			panic("spin_lock: %s: lockup suspected: cpu %d spun %lu times; held by "
			      "cpu %d from pc %#lx",
			      lk->name, c->id, n - 1, lk->cpu, (unsigned long)lk->pc);
		arch_spin_wait();
	} while (lk->locked || !arch_spin_trylock(&lk->locked));
	c->spins++;
	c->spin_ticks += arch_ticks() - t0;
	return n;
}

// The locks lockstat_print reports: each static lock enters the table the
// first time it is taken (its holder claims a slot atomically).
#define NLOCKSTAT 32
static struct spinlock *lockstat_tab[NLOCKSTAT];
static unsigned lockstat_n;
int lockstat_at_exit;

static void lockstat_list(struct spinlock *lk)
{
	unsigned i;

	lk->listed = 1;
	i = __atomic_fetch_add(&lockstat_n, 1, __ATOMIC_RELAXED);
	if (i < NLOCKSTAT)
		__atomic_store_n(&lockstat_tab[i], lk, __ATOMIC_RELEASE);
}

// took records that c took lk after fails failed attempts, interrupts off
// since off (0: they were off already), called from pc. lk->nts is added
// to atomically: a failed spin_trylock adds to it without the lock.
static void took(struct spinlock *lk, struct cpu *c, unsigned long fails, uint64_t off,
		 uintptr_t pc)
{
	c->acquires++;
	lk->cpu = c->id;
	lk->pc = pc;
	lk->since = arch_ticks();
	lk->nacquire++;
	if (fails != 0)
		__atomic_fetch_add(&lk->nts, fails, __ATOMIC_RELAXED);
	if (c->irq_pc == 0) // not in a tick's handler: the page stress counts its code's
		c->nts += fails;
	lk->irqoff_since = off;
	if (!lk->listed)
		lockstat_list(lk);
}

// spin_lock takes lk with interrupts off until the matching spin_unlock.
void spin_lock(struct spinlock *lk)
{
	struct cpu *c;

	uint64_t off;
	unsigned long fails = 0;

	push_off();
	c = mycpu();
	off = c->noff == 1 ? arch_ticks() : 0; // this push_off turned interrupts off
	if (spin_holding(lk) && c->irq_pc != 0)
		panic(
		    "spin_lock: %s: recursive acquire: cpu %d already holds it (taken at pc "
		    "%#lx), and an interrupt at pc %#lx came while it held it with interrupts on: "
		    "the handler would wait for itself forever",
		    lk->name, c->id, (unsigned long)lk->pc, (unsigned long)c->irq_pc);
	if (spin_holding(lk))
		panic("spin_lock: %s: recursive acquire: cpu %d already holds it (taken at pc "
		      "%#lx)",
		      lk->name, c->id, (unsigned long)lk->pc);
	uintptr_t holder;

	if (!arch_spin_trylock(&lk->locked)) {
		holder = lk->pc; // read with no lock: the holder's, or 0 if it just let go
		fails = 1 + spin_wait(lk, c);
		if (fails > lk->wait_max) { // held now: the longest wait, kept
			lk->wait_max = fails;
			lk->wait_pc = holder;
		}
	}
	took(lk, c, fails, off, (uintptr_t)__builtin_return_address(0));
}

// spin_trylock takes lk and answers 1 if it is free, else answers 0 at
// once, counting one failed test-and-set: for a caller with somewhere else
// to go (a CPU stealing from the page caches tries the next CPU's).
int spin_trylock(struct spinlock *lk)
{
	struct cpu *c;
	uint64_t off;

	push_off();
	c = mycpu();
	off = c->noff == 1 ? arch_ticks() : 0;
	if (spin_holding(lk))
		panic("spin_trylock: %s: recursive acquire: cpu %d already holds it (taken at pc "
		      "%#lx)",
		      lk->name, c->id, (unsigned long)lk->pc);
	if (lk->locked || !arch_spin_trylock(&lk->locked)) {
		__atomic_fetch_add(&lk->nts, 1, __ATOMIC_RELAXED);
		if (c->irq_pc == 0)
			c->nts++;
		pop_off();
		return 0;
	}
	took(lk, c, 0, off, (uintptr_t)__builtin_return_address(0));
	return 1;
}

// spin_unlock releases lk, adding the time it was held to this CPU's;
// releasing a lock this CPU does not hold is fatal.
void spin_unlock(struct spinlock *lk)
{
	if (!spin_holding(lk))
		panic("spin_unlock: %s: cpu %d does not hold it (holder cpu %d, pc %#lx)", lk->name,
		      arch_cpu_id(), lk->cpu, (unsigned long)lk->pc);
	uint64_t now = arch_ticks();

	mycpu()->hold_ticks += now - lk->since;
	if (now - lk->since > lk->hold_max)
		lk->hold_max = now - lk->since;
	if (lk->irqoff_since != 0 && now - lk->irqoff_since > lk->irqoff_max)
		lk->irqoff_max = now - lk->irqoff_since;
	lk->cpu = -1;
	lk->pc = 0;
	arch_spin_unlock(&lk->locked);
	pop_off();
}

// lockstat_hz is arch_ticks_hz(), kept where a debugger reads it (the gdb
// command `heap locks` prints the holds in us as lockstat_print does); set
// by mp_start and by the first us().
uint64_t lockstat_hz;

// us converts arch_ticks() to microseconds, without overflow for hours of
// ticks at GHz rates.
static unsigned long us(uint64_t ticks)
{
	uint64_t hz = arch_ticks_hz();

	lockstat_hz = hz;
	return (unsigned long)(ticks / hz * 1000000 + ticks % hz * 1000000 / hz);
}

// Groups of run-time locks, each reported as one row: the sums of their
// counts, the longest of their holds (the objects layer's HOBJ_NLOCK locks,
// too many for the table one by one). Set up before other CPUs run.
#define NLOCKGROUP 4
static struct lockgroup {
	struct spinlock *locks, sum;
	unsigned n;
} lockgroups[NLOCKGROUP];
static unsigned nlockgroup;

void lockstat_group(struct spinlock *locks, unsigned n, const char *name)
{
	if (nlockgroup == NLOCKGROUP)
		panic("lockstat_group: more than %d groups (%s)", NLOCKGROUP, name);
	lockgroups[nlockgroup++] = (struct lockgroup){locks, SPINLOCK_INIT(name), n};
}

// lockgroup_sum answers group g's row, its sums read as they stand.
static struct spinlock *lockgroup_sum(struct lockgroup *g)
{
	unsigned i;

	g->sum.nts = g->sum.nacquire = g->sum.wait_max = 0;
	g->sum.hold_max = g->sum.irqoff_max = 0;
	g->sum.wait_pc = 0;
	for (i = 0; i < g->n; i++) {
		if (g->locks[i].wait_max > g->sum.wait_max) {
			g->sum.wait_max = g->locks[i].wait_max;
			g->sum.wait_pc = g->locks[i].wait_pc;
		}
		g->sum.nts += g->locks[i].nts;
		g->sum.nacquire += g->locks[i].nacquire;
		if (g->locks[i].hold_max > g->sum.hold_max)
			g->sum.hold_max = g->locks[i].hold_max;
		if (g->locks[i].irqoff_max > g->sum.irqoff_max)
			g->sum.irqoff_max = g->locks[i].irqoff_max;
	}
	return &g->sum;
}

void lockstat_print(int top)
{
	struct spinlock *order[NLOCKSTAT + NLOCKGROUP], *lk;
	unsigned n = __atomic_load_n(&lockstat_n, __ATOMIC_ACQUIRE), i, j, k = 0;

	unsigned nt = n < NLOCKSTAT ? n : NLOCKSTAT;

	for (i = 0; i < nt + nlockgroup; i++) {
		lk = i < nt ? __atomic_load_n(&lockstat_tab[i], __ATOMIC_ACQUIRE)
			    : lockgroup_sum(&lockgroups[i - nt]);
		if (lk == NULL || (i >= nt && lk->nacquire == 0)) // a group never taken
			continue;
		for (j = k++; j > 0 && order[j - 1]->nts < lk->nts; j--)
			order[j] = order[j - 1]; // the most contended first
		order[j] = lk;
	}
	kprintf("--- lock stats%s (#test-and-set: failed attempts; hold and irq-off: the "
		"longest, us; wait: the most failed attempts of one acquire, and the pc its "
		"holder took the lock at)\n",
		top > 0 ? ", the most contended" : "");
	for (i = 0; i < k && (top <= 0 || (int)i < top); i++)
		kprintf("lock: %s: #test-and-set %lu #acquire() %lu hold %lu irq-off %lu wait %lu "
			"at %#lx\n",
			order[i]->name, order[i]->nts, order[i]->nacquire, us(order[i]->hold_max),
			us(order[i]->irqoff_max), order[i]->wait_max,
			(unsigned long)order[i]->wait_pc);
	if (n > NLOCKSTAT)
		kprintf("lock: %u more locks were taken than the table holds (%d)\n",
			n - NLOCKSTAT, NLOCKSTAT);
}
