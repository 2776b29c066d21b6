// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM spinlock primitives (arch/arch.h): the lock word is 0 when
// free and 1 when held, taken with ldrex/strex. The lock needs the MMU on:
// exclusives are only architected on Normal memory (arch/arm/mmu.c).
//
// Ordering: dmb after a successful strex keeps the critical section's
// accesses after the acquire; dmb before the releasing store keeps them
// before it. Waiting: a CPU that found the lock held sleeps in wfe, and
// unlock wakes every sleeper with sev once the store is visible (dsb), so
// an unlock between the failed attempt and the wfe is not lost: its sev
// sets the waiter's event register and the wfe returns at once.
	.syntax unified
	.arm
	.text

// int arch_spin_trylock(volatile uint32_t *word): 1 if this CPU took the
// lock, 0 if it was held. A strex that fails while the word is still 0
// (another CPU touched it, or an exception came) retries: answering 0 then
// would send the caller to wfe with no unlock coming to wake it.
	.global	arch_spin_trylock
	.type	arch_spin_trylock, %function
arch_spin_trylock:
	.cfi_startproc
	mov	r2, #1
1:	ldrex	r1, [r0]
	cmp	r1, #0
	bne	2f
	strex	r3, r2, [r0]
	cmp	r3, #0
	bne	1b
	dmb	ish
	mov	r0, #1
	bx	lr
2:	clrex
	mov	r0, #0
	bx	lr
	.cfi_endproc
	.size	arch_spin_trylock, . - arch_spin_trylock

// void arch_spin_unlock(volatile uint32_t *word)
	.global	arch_spin_unlock
	.type	arch_spin_unlock, %function
arch_spin_unlock:
	.cfi_startproc
	mov	r1, #0
	dmb	ish
	str	r1, [r0]
	dsb	ishst
	sev
	bx	lr
	.cfi_endproc
	.size	arch_spin_unlock, . - arch_spin_unlock

// void arch_spin_wait(void): sleep until an event (an unlock's sev).
	.global	arch_spin_wait
	.type	arch_spin_wait, %function
arch_spin_wait:
	.cfi_startproc
	wfe
	bx	lr
	.cfi_endproc
	.size	arch_spin_wait, . - arch_spin_wait
