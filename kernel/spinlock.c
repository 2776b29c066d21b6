// Spinlocks, xv6 style: interrupts off while held (with nesting), the
// holder recorded for debuggers, misuse fatal.
#include "kernel.h"

static int noff;	      // depth of push_off nesting (one CPU for now)
static uintptr_t intena; // interrupt state before the outermost push_off

static void push_off(void)
{
	uintptr_t s = arch_irq_save();

	if (noff++ == 0)
		intena = s;
}

static void pop_off(void)
{
	if (noff < 1)
		panic("pop_off: not pushed");
	if (--noff == 0)
		arch_irq_restore(intena);
}

void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->cpu = -1;
	lk->pc = 0;
}

int spin_holding(struct spinlock *lk)
{
	return lk->locked && lk->cpu == 0;
}

// spin_lock takes lk, spinning until it is free; taking a lock this CPU
// already holds is fatal.
void spin_lock(struct spinlock *lk)
{
	push_off();
	if (spin_holding(lk))
		panic("spin_lock: %s: recursive acquire (held by cpu %d from pc %#lx)", lk->name,
		      lk->cpu, (unsigned long)lk->pc);
	while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
		;
	lk->cpu = 0;
	lk->pc = (uintptr_t)__builtin_return_address(0);
}

// spin_unlock releases lk; releasing a lock this CPU does not hold is fatal.
void spin_unlock(struct spinlock *lk)
{
	if (!spin_holding(lk))
		panic("spin_unlock: %s: not held by this cpu", lk->name);
	lk->cpu = -1;
	lk->pc = 0;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
	pop_off();
}
