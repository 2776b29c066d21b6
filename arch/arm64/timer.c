// SPDX-License-Identifier: BSD-3-Clause
// The 64-bit ARM generic timer's virtual timer (CNTV), the tick's source:
// each CPU has its own, which compares CNTVCT_EL0 (arch_ticks) with a
// deadline (CNTV_CVAL_EL0); once the count passes it, its interrupt line (a
// PPI of the board's GIC, platform/qemu-virt-arm/gic.c) stays raised until
// the deadline moves on. Each deadline is the last one plus a period, so
// late handling does not slow the tick down; ticks missed altogether
// (interrupts off that long) are skipped, not made up in a burst.
#include "arm64.h"
#include "virt.h"

#include "kernel.h"

#define CNTV_CTL_ENABLE 1u // CNTV_CTL_EL0: the timer runs, its interrupt unmasked

static uint64_t timer_period; // CNTVCT counts in one tick, on every CPU

static void timer_set_deadline(uint64_t t)
{
	ARM64_MSR(cntv_cval_el0, t);
	__asm__ volatile("isb" ::: "memory");
}

// arm_timer_start starts this CPU's timer, hz times a second.
void arm_timer_start(unsigned hz)
{
	timer_period = arch_ticks_hz() / hz;
	timer_set_deadline(arch_ticks() + timer_period);
	ARM64_MSR(cntv_ctl_el0, CNTV_CTL_ENABLE);
	__asm__ volatile("isb" ::: "memory");
}

// arm_timer_irq handles the timer's interrupt, which came at pc: the next
// deadline lowers the line, then the tick is counted.
void arm_timer_irq(uintptr_t pc)
{
	uint64_t next = ARM64_MRS(cntv_cval_el0) + timer_period, now = arch_ticks();

	timer_set_deadline(next > now ? next : now + timer_period);
	tick_interrupt(pc);
}
