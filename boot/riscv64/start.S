// SPDX-License-Identifier: BSD-3-Clause
// The riscv64 entry point. With -bios none, QEMU's reset code starts every
// hart at once at 0x80000000, where linker/riscv64.ld puts _start, in
// M-mode with a0 = the hart's id (mhartid) and a1 = the device tree's
// address. Each hart gets its trap vector, its stacks and its PMP guards;
// then hart 0 clears .bss and runs C, and the others wait to be released.
#include "riscv.h"

	.section .text.boot, "ax"
	.global	_start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined ra		// the outermost frame, for gdb
	// 1. Nothing may interrupt: mie off (no interrupt is enabled, so
	// none is even pending for wfi), MIE off. Traps go to riscv_trap_entry.
	csrw	mie, zero
	csrci	mstatus, MSTATUS_MIE
	la	t0, riscv_trap_entry
	csrw	mtvec, t0
	// 2. A hart beyond the RISCV_NCPU sets of stacks parks.
	li	t0, RISCV_NCPU
	bgeu	a0, t0, riscv_park
	// 3. This hart's stacks: sp the top of its kernel stack, mscratch the
	// top of its trap stack (trapasm.S). t1 = id + 1.
	addi	t1, a0, 1
	la	sp, riscv_stacks
	li	t0, RISCV_STACK_SLOT
	mul	t0, t0, t1
	add	sp, sp, t0
	la	t2, riscv_trap_stacks
	li	t0, RISCV_TRAP_STACK_SIZE
	mul	t0, t0, t1
	add	t2, t2, t0
	csrw	mscratch, t2
	// 4. The PMP guards (C, on the stack just set; it writes nothing else).
	// fp = ra = 0 ends gdb's backtraces here.
	mv	s0, zero
	mv	ra, zero
	mv	s1, a0
	mv	s2, a1
	call	riscv_pmp_init
	bnez	s1, 2f
	// 5. Hart 0 clears .bss (linker/riscv64.ld aligns both ends to 8) and
	// runs C with the device tree.
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 3f
	sd	zero, (t0)
	addi	t0, t0, 8
	j	1b
3:	mv	a0, s2
	call	riscv_start
	j	riscv_park
	// 6. Every other hart waits for arch_start_cpus (smp.c).
2:	call	riscv_secondary
	j	riscv_park
	.cfi_endproc
	.size	_start, . - _start

// riscv_park: where a hart with nowhere to go waits, no interrupt enabled.
	.global	riscv_park
riscv_park:
	csrw	mie, zero
	csrci	mstatus, MSTATUS_MIE
4:	wfi
	j	4b

// The stacks: RISCV_NCPU of each kind, hart h's at [BASE + h * SIZE,
// BASE + (h + 1) * SIZE). The kernel stacks' slots are page-aligned and
// start with the guard page that pmp.c makes inaccessible. linker/
// riscv64.ld places the section after .bss; nothing clears it.
	.section .stack, "aw", @nobits
	.balign	16
	.global	riscv_trap_stacks
riscv_trap_stacks:
	.space	RISCV_NCPU * RISCV_TRAP_STACK_SIZE
	.balign	RISCV_GUARD_SIZE
	.global	riscv_stacks
riscv_stacks:
	.space	RISCV_NCPU * RISCV_STACK_SLOT
	.global	riscv_stacks_end
riscv_stacks_end:
