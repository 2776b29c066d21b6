// SPDX-License-Identifier: BSD-3-Clause
// The timer tick: every CPU's periodic interrupt, TICK_HZ a second, which
// the board's timer raises (platform_timer_start) and the arch's trap code
// hands to tick_interrupt.
//
// Lock rule: the handler takes mem_lock, to sample how much of the heap is
// in use. That is safe only because a CPU holding mem_lock has interrupts
// off (spin_lock's push_off): a tick can then never come in the middle of
// the allocator on the CPU that holds the lock. kmem_irq_unsafe
// (kernel/kmem.c) breaks the rule on purpose, and spin_lock catches the
// CPU that would wait for itself (so with irqunsafe every tick samples).
//
// Otherwise the handler samples every TICK_SAMPLE_EVERY ticks, and never
// waits for another CPU's lock: a sample is a sample. With the per-CPU
// caches (--pcp) the pool's lock is taken rarely, and a tick on every CPU
// 100 times a second was a quarter of its acquires in the SMP stress, some
// of them holding it when the host preempted their vCPU, while the other
// CPUs spun. So a tick that finds mem_lock held by another CPU skips its
// sample (tick_skipped counts them).
#include "kmem.h"

#define TICK_SAMPLE_EVERY 10 // ticks; 10 samples a second a CPU

uintptr_t tick_inuse_peak;  // guarded by mem_lock
unsigned long tick_skipped; // samples skipped, mem_lock busy (atomic)

// tick_start starts this CPU's timer and turns its interrupts on; each CPU
// calls it once, with interrupts off.
void tick_start(void)
{
	platform_timer_start(TICK_HZ);
	arch_irq_enable();
}

// tick_interrupt is one tick on this CPU, which came at pc, interrupts
// off: count it, keep its pc, have the watchdog look at the CPUs it
// watches, and, every TICK_SAMPLE_EVERY ticks, note the heap's use.
void tick_interrupt(uintptr_t pc)
{
	struct cpu *c = mycpu();
	int sample;

	c->tick_pcs[c->timer_ticks % WATCH_PCS] = pc;
	c->timer_ticks++;
	c->irq_pc = pc;
	watchdog_check(NULL);
	// Inline, so that a debugger's backtrace of irqunsafe's panic reads
	// spin_lock, tick_interrupt, the interrupt. Held by this CPU,
	// spin_lock panics (irqunsafe); held by another, the sample is
	// skipped; taken by another between the look and spin_lock, a short
	// wait.
	sample = kmem_irq_unsafe || c->timer_ticks % TICK_SAMPLE_EVERY == 0;
	if (sample && __atomic_load_n(&mem_lock.locked, __ATOMIC_RELAXED) &&
	    !spin_holding(&mem_lock)) {
		__atomic_fetch_add(&tick_skipped, 1, __ATOMIC_RELAXED);
	} else if (sample) {
		spin_lock(&mem_lock);
		if (mempool.inuse > tick_inuse_peak)
			tick_inuse_peak = mempool.inuse;
		spin_unlock(&mem_lock);
	}
	c->irq_pc = 0;
}

// delay_ms spins for ms milliseconds of arch_ticks, interrupts as they are.
void delay_ms(unsigned long ms)
{
	uint64_t t0 = arch_ticks(), n = arch_ticks_hz() / 1000 * ms;

	while (arch_ticks() - t0 < n)
		__asm__ volatile("" ::: "memory");
}
