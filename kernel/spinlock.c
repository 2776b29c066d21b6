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

void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->cpu = -1;
	lk->pc = 0;
}

// spin_holding answers whether this CPU holds lk; interrupts must be off.
int spin_holding(struct spinlock *lk)
{
	return lk->locked && lk->cpu == arch_cpu_id();
}

// spin_wait spins until lk can be taken, counting the time for the stats.
static void spin_wait(struct spinlock *lk, struct cpu *c)
{
	uint64_t t0 = arch_ticks();
	unsigned long n = 0;

	do {
		if (++n > spin_bound)
			panic("spin_lock: %s: lockup suspected: cpu %d spun %lu times; held by "
			      "cpu %d from pc %#lx",
			      lk->name, c->id, n - 1, lk->cpu, (unsigned long)lk->pc);
		arch_spin_wait();
	} while (lk->locked || !arch_spin_trylock(&lk->locked));
	c->spins++;
	c->spin_ticks += arch_ticks() - t0;
}

// spin_lock takes lk with interrupts off until the matching spin_unlock.
void spin_lock(struct spinlock *lk)
{
	struct cpu *c;

	push_off();
	c = mycpu();
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
	if (!arch_spin_trylock(&lk->locked))
		spin_wait(lk, c);
	c->acquires++;
	lk->cpu = c->id;
	lk->pc = (uintptr_t)__builtin_return_address(0);
	lk->since = arch_ticks();
}

// spin_unlock releases lk, adding the time it was held to this CPU's;
// releasing a lock this CPU does not hold is fatal.
void spin_unlock(struct spinlock *lk)
{
	if (!spin_holding(lk))
		panic("spin_unlock: %s: cpu %d does not hold it (holder cpu %d, pc %#lx)", lk->name,
		      arch_cpu_id(), lk->cpu, (unsigned long)lk->pc);
	mycpu()->hold_ticks += arch_ticks() - lk->since;
	lk->cpu = -1;
	lk->pc = 0;
	arch_spin_unlock(&lk->locked);
	pop_off();
}
