// SPDX-License-Identifier: BSD-3-Clause
// The PC's tick: each CPU's local APIC timer (arch/x86/lapic.c) in
// periodic mode on vector T_TIMER. Its rate is the bus clock's, which the
// PC does not tell, so the boot CPU measures it once against the PIT
// (pit.c), which counts at a known 1.193182 MHz.
#include "x86.h"

#include "kernel.h"
#include "pc.h"

#define TIMER_CAL_US 10000 // how long the measurement counts

static uint32_t timer_count; // the APIC timer's counts in one tick

// timer_calibrate answers the APIC timer's counts in one tick of hz: it
// lets the timer count down from the top, masked, for TIMER_CAL_US, and
// takes the least of PIT_CAL_TRIES counts (as arch_ticks_hz does).
static uint32_t timer_calibrate(unsigned hz)
{
	uint32_t n, least = UINT32_MAX;
	int i;

	for (i = 0; i < PIT_CAL_TRIES; i++) {
		lapic_timer_set(LAPIC_LVT_MASKED, UINT32_MAX);
		pit_delay_us(TIMER_CAL_US);
		n = UINT32_MAX - lapic_timer_left();
		least = n < least ? n : least;
	}
	lapic_timer_set(LAPIC_LVT_MASKED, 0);
	return (uint32_t)((uint64_t)least * 1000000 / TIMER_CAL_US / hz);
}

// platform_timer_start: see platform/platform.h. The boot CPU comes first and
// measures; every CPU ticks at the same hz.
void platform_timer_start(unsigned hz)
{
	if (lapic_base() == 0)
		return; // lapic_init has said why: no tick
	if (timer_count == 0)
		timer_count = timer_calibrate(hz);
	lapic_timer_set(T_TIMER | LAPIC_LVT_PERIODIC, timer_count);
}
