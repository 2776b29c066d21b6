// SPDX-License-Identifier: BSD-3-Clause
// The riscv64 virt board's CLINT (SiFive's core-local interruptor, which
// QEMU models as an ACLINT): per hart, a 32-bit msip register, whose bit 0
// is that hart's machine software interrupt, the inter-hart signal that
// wakes a hart waiting in wfi (arch/riscv64/smp.c); and a 64-bit mtimecmp,
// the tick's deadline. mtime, the clock both read (the time CSR too),
// counts at the device tree's timebase-frequency.
//
// The tick: once mtime reaches a hart's mtimecmp, that hart's machine timer
// interrupt (mip.MTIP) stays pending until the deadline moves on. Each
// deadline is the last one plus a period, so late handling does not slow
// the tick down; ticks missed altogether (interrupts off that long) are
// skipped, not made up in a burst.
#include "riscv.h"
#include "virt.h"

#include "kernel.h"

#define CLINT_MSIP(h)	  (VIRT_CLINT_BASE + 4ul * (unsigned)(h))
#define CLINT_MTIMECMP(h) (VIRT_CLINT_BASE + 0x4000ul + 8ul * (unsigned)(h))

uint64_t virt_timebase_hz = 10000000; // QEMU's ACLINT default, until the tree says
static uint64_t timer_period;	      // mtime counts in one tick, on every hart

void virt_ipi_send(int h)
{
	__asm__ volatile("fence w, o" ::: "memory"); // the release before the signal
	*(volatile uint32_t *)CLINT_MSIP(h) = 1;
}

void virt_ipi_clear(int h)
{
	*(volatile uint32_t *)CLINT_MSIP(h) = 0;
}

static volatile uint64_t *timer_deadline(void)
{
	return (volatile uint64_t *)CLINT_MTIMECMP(arch_cpu_id());
}

// platform_timer_start: see platform/platform.h. The interrupt is enabled
// in mie; mstatus.MIE, which tick_start turns on, still gates it.
void platform_timer_start(unsigned hz)
{
	timer_period = virt_timebase_hz / hz;
	*timer_deadline() = arch_ticks() + timer_period;
	CSR_SET(mie, MIE_MTIE);
}

// virt_timer_irq: see virt.h. The next deadline lowers MTIP, then the tick
// is counted.
void virt_timer_irq(uintptr_t pc)
{
	uint64_t next = *timer_deadline() + timer_period, now = arch_ticks();

	*timer_deadline() = next > now ? next : now + timer_period;
	tick_interrupt(pc);
}
