// SPDX-License-Identifier: BSD-3-Clause
// x86 halves of the spinlock and the idle loop: xchg to take the lock
// (a locked operation, a full barrier), a plain store to release it (x86
// keeps stores in order), pause while spinning, rdtsc for spin time.
#include "x86.h"

#include "pc.h"

int arch_spin_trylock(volatile uint32_t *word)
{
	uint32_t old = 1;

	__asm__ volatile("xchgl %0, %1" : "+r"(old), "+m"(*word) : : "memory");
	return old == 0;
}

void arch_spin_unlock(volatile uint32_t *word)
{
	__asm__ volatile("movl $0, %0" : "=m"(*word) : : "memory");
}

void arch_spin_wait(void)
{
	__asm__ volatile("pause" ::: "memory");
}

uint64_t arch_ticks(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

// arch_ticks_hz measures the TSC against 10 ms of the PIT, once: the
// least of PIT_CAL_TRIES counts (pc.h).
uint64_t arch_ticks_hz(void)
{
	static uint64_t hz;
	uint64_t t0, n, least = UINT64_MAX;
	int i;

	for (i = 0; hz == 0 && i < PIT_CAL_TRIES; i++) {
		t0 = arch_ticks();
		pit_delay_us(10000);
		n = arch_ticks() - t0;
		least = n < least ? n : least;
	}
	if (hz == 0)
		hz = least * 100;
	return hz;
}

void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
