// SPDX-License-Identifier: BSD-3-Clause
// 64-bit ARM spinlock primitives (arch.h): the lock word is 0 when free
// and 1 when held, taken with the exclusives ldaxr/stxr (ARMv8.0 has no
// LSE atomics, and the build asks for none). The lock needs the MMU on:
// exclusives are only architected on Normal memory (arch/arm64/mmu.c).
//
// Ordering: ldaxr is a load-acquire, so the critical section's accesses
// stay after the load that saw the lock free and the store that took it
// (the pair is atomic); stlr, a store-release, keeps them before the
// store that frees it. Waiting: a CPU that found the lock held sleeps in
// wfe, and unlock wakes every sleeper with sev once the store is visible
// (dsb), so an unlock between the failed attempt and the wfe is not lost:
// its sev sets the waiter's event register and the wfe returns at once.
	.text

// int arch_spin_trylock(volatile uint32_t *word): 1 if this CPU took the
// lock, 0 if it was held. A stxr that fails while the word is still 0
// (another CPU touched it, or an exception came) retries: answering 0 then
// would send the caller to wfe with no unlock coming to wake it.
	.global	arch_spin_trylock
	.type	arch_spin_trylock, %function
arch_spin_trylock:
	.cfi_startproc
	mov	w2, #1
1:	ldaxr	w1, [x0]
	cbnz	w1, 2f
	stxr	w3, w2, [x0]
	cbnz	w3, 1b
	mov	w0, #1
	ret
2:	clrex
	mov	w0, #0
	ret
	.cfi_endproc
	.size	arch_spin_trylock, . - arch_spin_trylock

// void arch_spin_unlock(volatile uint32_t *word)
	.global	arch_spin_unlock
	.type	arch_spin_unlock, %function
arch_spin_unlock:
	.cfi_startproc
	stlr	wzr, [x0]
	dsb	ishst
	sev
	ret
	.cfi_endproc
	.size	arch_spin_unlock, . - arch_spin_unlock

// void arch_spin_wait(void): sleep until an event (an unlock's sev).
	.global	arch_spin_wait
	.type	arch_spin_wait, %function
arch_spin_wait:
	.cfi_startproc
	wfe
	ret
	.cfi_endproc
	.size	arch_spin_wait, . - arch_spin_wait
