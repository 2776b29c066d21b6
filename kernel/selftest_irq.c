// SPDX-License-Identifier: BSD-3-Clause
// The self-test's interrupt cases: the timer ticks, and push_off (so every
// spinlock) really masks it. Each case restores the interrupt state it
// found before it judges, so that a failure leaves the next case a sane CPU.
#include "kmem.h"
#include "selftest.h"

#define RATE_MS	  200 // how long timer_ticks counts
#define MASKED_MS 50  // how long the masked cases wait: several ticks' worth

// ticks answers this CPU's timer interrupts so far.
static unsigned long ticks(void)
{
	return cpus[arch_cpu_id()].timer_ticks;
}

// ticks_come waits, interrupts on, until n more ticks came or a second
// passed; answers whether they came.
static int ticks_come(unsigned long n)
{
	uint64_t t0 = arch_ticks(), bound = arch_ticks_hz();
	unsigned long k0 = ticks();

	while (ticks() - k0 < n)
		if (arch_ticks() - t0 > bound)
			return 0;
	return 1;
}

// t_timer_ticks counts the ticks of RATE_MS and prints the rate, which
// must be within a factor of 4 of TICK_HZ (a wrong divider or clock rate is
// off by more). A loaded host can hold QEMU off the CPU for longer than a
// tick, and the ticks that fall due meanwhile come as one: so a rate below
// half is measured again, up to three times.
int t_timer_ticks(void)
{
	unsigned long want = TICK_HZ * RATE_MS / 1000, n = 0, k0;
	int try;

	T(arch_irq_enabled());
	for (try = 0; try < 3 && n < want / 2; try++) {
		k0 = ticks();
		delay_ms(RATE_MS);
		n = ticks() - k0;
	}
	kprintf("     timer: cpu %d took %lu ticks in %d ms: %lu Hz (TICK_HZ %d)\n", arch_cpu_id(),
		n, RATE_MS, n * 1000 / RATE_MS, TICK_HZ);
	T(n >= want / 4 && n <= want * 4);
	return 0;
}

// t_irq_masked: MASKED_MS of push_off take no tick, and after pop_off the
// ticks come again. (The tick that fell due meanwhile waits, and is taken
// the moment pop_off turns interrupts back on, several of them as one: a
// timer raises one line. Not judged: a loaded host may run QEMU's timers
// late enough that none fell due.)
int t_irq_masked(void)
{
	unsigned long k0, masked;
	int off;

	push_off();
	off = !arch_irq_enabled();
	k0 = ticks();
	delay_ms(MASKED_MS);
	masked = ticks() - k0;
	pop_off();
	T(off && masked == 0);
	T(ticks_come(2));
	return 0;
}

// t_irq_nesting: three push_off deep, two pop_off leave interrupts off;
// and push_off inside arch_irq_save leaves them off at its pop_off.
int t_irq_nesting(void)
{
	struct cpu *c = &cpus[arch_cpu_id()];
	int on0, deep, inner, outer, kept, back;
	uintptr_t s;

	on0 = arch_irq_enabled() && c->noff == 0;
	push_off();
	push_off();
	push_off();
	deep = !arch_irq_enabled() && c->noff == 3;
	pop_off();
	pop_off();
	inner = !arch_irq_enabled() && c->noff == 1;
	pop_off();
	outer = arch_irq_enabled() && c->noff == 0;
	s = arch_irq_save();
	push_off();
	pop_off();
	kept = !arch_irq_enabled();
	arch_irq_restore(s);
	back = arch_irq_enabled();
	T(on0);
	T(deep && inner && outer);
	T(kept && back);
	return 0;
}

// t_lock_masks: holding mem_lock for MASKED_MS takes no tick, and after
// spin_unlock the ticks come again. (With irqunsafe the allocator holds
// the lock with interrupts on: spin_lock itself still turns them off.)
int t_lock_masks(void)
{
	unsigned long k0, during;
	int off;

	spin_lock(&mem_lock);
	off = !arch_irq_enabled();
	k0 = ticks();
	delay_ms(MASKED_MS);
	during = ticks() - k0;
	spin_unlock(&mem_lock);
	T(off && during == 0);
	T(ticks_come(1));
	return 0;
}
