// SPDX-License-Identifier: BSD-3-Clause
// The 32-bit ARM generic timer's virtual timer (CNTV), the tick's source:
// each CPU has its own, which compares CNTVCT (arch_ticks) with a deadline
// (CNTV_CVAL); once the count passes it, its interrupt line (a PPI of the
// board's interrupt controller) stays raised until the deadline moves on.
// Each deadline is the last one plus a period, so late handling does not
// slow the tick down; ticks missed altogether (interrupts off that long)
// are skipped, not made up in a burst.
#include "arm.h"
#include "virt.h"

#include "kernel.h"

#define CNTV_CTL_ENABLE 1u // CNTV_CTL: the timer runs, its interrupt unmasked

static uint32_t timer_period; // CNTVCT counts in one tick, on every CPU

static uint64_t timer_deadline(void)
{
	uint32_t lo, hi;

	__asm__ volatile("mrrc p15, 3, %0, %1, c14" : "=r"(lo), "=r"(hi)); // CNTV_CVAL
	return (uint64_t)hi << 32 | lo;
}

static void timer_set_deadline(uint64_t t)
{
	__asm__ volatile("mcrr p15, 3, %0, %1, c14\n\tisb"
			 :
			 : "r"((uint32_t)t), "r"((uint32_t)(t >> 32))
			 : "memory");
}

// arm_timer_start starts this CPU's timer, hz times a second.
void arm_timer_start(unsigned hz)
{
	timer_period = (uint32_t)(arch_ticks_hz() / hz);
	timer_set_deadline(arch_ticks() + timer_period);
	ARM_CP15_WRITE(c14, c3, 1, CNTV_CTL_ENABLE);
	__asm__ volatile("isb" ::: "memory");
}

// arm_timer_irq handles the timer's interrupt, which came at pc: the next
// deadline lowers the line, then the tick is counted.
void arm_timer_irq(uintptr_t pc)
{
	uint64_t next = timer_deadline() + timer_period, now = arch_ticks();

	timer_set_deadline(next > now ? next : now + timer_period);
	tick_interrupt(pc);
}
