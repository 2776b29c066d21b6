// SPDX-License-Identifier: BSD-3-Clause
// riscv64 spinlock primitives (arch/arch.h): the lock word is 0 when free
// and 1 when held, swapped in with the A extension's amoswap.w.
//
// Ordering: the acquiring swap has .aq, so no access of the critical
// section moves before it; the releasing swap has .rl, so none moves after
// it. Waiting: pause, the Zihintpause hint (a fence that orders nothing,
// so any hart may run it), between the plain loads of kernel/spinlock.c's
// spin_wait, which swaps again only when the word reads 0.
	.text

// int arch_spin_trylock(volatile uint32_t *word): 1 if this hart took the
// lock, 0 if it was held (the swap then wrote the 1 that was there).
	.global	arch_spin_trylock
	.type	arch_spin_trylock, @function
arch_spin_trylock:
	.cfi_startproc
	li	t0, 1
	amoswap.w.aq t0, t0, (a0)
	seqz	a0, t0
	ret
	.cfi_endproc
	.size	arch_spin_trylock, . - arch_spin_trylock

// void arch_spin_unlock(volatile uint32_t *word)
	.global	arch_spin_unlock
	.type	arch_spin_unlock, @function
arch_spin_unlock:
	.cfi_startproc
	amoswap.w.rl zero, zero, (a0)
	ret
	.cfi_endproc
	.size	arch_spin_unlock, . - arch_spin_unlock

// void arch_spin_wait(void): the polite pause between attempts.
	.global	arch_spin_wait
	.type	arch_spin_wait, @function
arch_spin_wait:
	.cfi_startproc
	.insn	i 0x0f, 0, x0, x0, 0x010	// pause: fence w, 0
	ret
	.cfi_endproc
	.size	arch_spin_wait, . - arch_spin_wait
