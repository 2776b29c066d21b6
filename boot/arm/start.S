// SPDX-License-Identifier: BSD-3-Clause
// The 32-bit ARM entry points: QEMU's -kernel jumps to _start, at the start
// of the image, on the boot CPU; PSCI CPU_ON starts every other CPU at
// arm_secondary. Both come in SVC mode (HYP with -M virt,virtualization=on)
// with the MMU off, and do the least they can before C runs.
#include "arm.h"

	.syntax unified
	.arm
	.arch_extension virt

// leave_hyp: if the CPU is in HYP mode, drop to SVC mode (the kernel runs
// at PL1), then mask every interrupt. Clobbers r0.
.macro leave_hyp
	mrs	r0, cpsr
	and	r0, r0, #ARM_MODE_MASK
	cmp	r0, #ARM_MODE_HYP
	bne	1f
	adr	r0, 1f
	msr	elr_hyp, r0		// the one banked register Hyp mode may write
	mov	r0, #(ARM_MODE_SVC | ARM_PSR_A | ARM_PSR_I | ARM_PSR_F)
	msr	spsr_cxsf, r0		// Hyp's own SPSR (msr spsr_hyp is Monitor-only)
	eret
1:	cpsid	aif
.endm

// set_vectors: exceptions go to arm_vectors (SCTLR.V = 0: vectors at
// VBAR). Clobbers r0.
.macro set_vectors
	ldr	r0, =arm_vectors
	mcr	p15, 0, r0, c12, c0, 0
	mrc	p15, 0, r0, c1, c0, 0
	bic	r0, r0, #(1 << 13)
	mcr	p15, 0, r0, c1, c0, 0
	isb
.endm

// set_stack MODE, BASE, SIZE: enter MODE (interrupts stay masked) and point
// its banked sp at the top of this CPU's stack in the array at BASE, whose
// stacks are SIZE bytes each: BASE + (id + 1) * SIZE, with r4 = id + 1.
// Clobbers r0, r1.
.macro set_stack mode, base, size
	cps	#\mode
	ldr	r0, =\base
	ldr	r1, =\size
	mla	r0, r4, r1, r0
	mov	sp, r0
.endm

// set_stacks: one stack per mode that takes exceptions, then the kernel's
// own in SYS mode, where the CPU stays: an `svc` taken from SYS mode lands
// in SVC mode and clobbers nothing the caller needs (from SVC mode it
// would overwrite lr_svc and spsr_svc). The CPU's id is MPIDR.Aff0, as
// arch_cpu_id reads it; a CPU beyond the ARM_NCPU sets of stacks halts.
// Clobbers r0, r1, r4.
.macro set_stacks
	mrc	p15, 0, r4, c0, c0, 5	// MPIDR
	and	r4, r4, #ARM_MPIDR_AFF0
	cmp	r4, #ARM_NCPU
	bhs	arm_cpu_park
	add	r4, r4, #1
	set_stack ARM_MODE_UND, arm_stack_und, ARM_TRAP_STACK_SIZE
	set_stack ARM_MODE_ABT, arm_stack_abt, ARM_TRAP_STACK_SIZE
	set_stack ARM_MODE_IRQ, arm_stack_irq, ARM_TRAP_STACK_SIZE
	set_stack ARM_MODE_FIQ, arm_stack_fiq, ARM_TRAP_STACK_SIZE
	set_stack ARM_MODE_SVC, arm_stack_svc, ARM_TRAP_STACK_SIZE
	set_stack ARM_MODE_SYS, arm_stack_sys, ARM_STACK_SLOT
.endm

	.section .text.boot, "ax"
	.global _start
	.type	_start, %function
_start:
	.cfi_startproc
	.cfi_undefined lr		// the outermost frame, for gdb
	// 1. Leave HYP mode if QEMU started us there; 2. the vectors;
	// 3. this CPU's stacks (the boot CPU is CPU 0).
	leave_hyp
	set_vectors
	set_stacks

	// 4. Clear .bss (linker/arm.ld aligns both ends to 8 bytes).
	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
	mov	r3, #0
2:	cmp	r0, r1
	stmialo	r0!, {r2, r3}
	blo	2b

	// 5. The MMU, then C. The build is soft-float (mk/arch-arm.mk), so
	// the compiler emits no VFP/NEON code and CPACR/FPEXC stay off.
	// fp = lr = 0 ends gdb's backtraces here.
	mov	fp, #0
	mov	lr, #0
	bl	arm_mmu_init
	bl	arm_start
	b	arm_cpu_park
	.cfi_endproc
	.size	_start, . - _start

// arm_secondary: where PSCI CPU_ON starts the other CPUs (smp.c), at its
// physical address with the MMU off. The same steps as _start's, but the
// boot CPU has already cleared .bss and built the page table, so this CPU
// only turns the MMU and caches on with that table, then runs mp_enter.
// Until then it reads nothing the boot CPU wrote with its caches on.
	.global arm_secondary
	.type	arm_secondary, %function
arm_secondary:
	.cfi_startproc
	.cfi_undefined lr
	leave_hyp
	set_vectors
	set_stacks
	mov	fp, #0
	mov	lr, #0
	bl	arm_mmu_enable
	bl	mp_enter
	b	arm_cpu_park
	.cfi_endproc
	.size	arm_secondary, . - arm_secondary

// arm_cpu_park: where a CPU with nowhere to go waits, interrupts off.
arm_cpu_park:
	cpsid	aif
3:	wfi
	b	3b

// The stacks: ARM_NCPU of each kind, CPU i's at [BASE + i * SIZE,
// BASE + (i + 1) * SIZE). The kernel's SYS-mode slots are page-aligned and
// start with the guard page that arch/arm/mmu.c leaves unmapped.
// linker/arm.ld places the section after .bss; nothing clears it.
	.section .stack, "aw", %nobits
	.balign	16
	.global	arm_stack_und, arm_stack_abt, arm_stack_irq
	.global	arm_stack_fiq, arm_stack_svc, arm_stack_sys
arm_stack_und:	.space	ARM_NCPU * ARM_TRAP_STACK_SIZE
arm_stack_abt:	.space	ARM_NCPU * ARM_TRAP_STACK_SIZE
arm_stack_irq:	.space	ARM_NCPU * ARM_TRAP_STACK_SIZE
arm_stack_fiq:	.space	ARM_NCPU * ARM_TRAP_STACK_SIZE
arm_stack_svc:	.space	ARM_NCPU * ARM_TRAP_STACK_SIZE
	.balign	ARM_GUARD_SIZE
arm_stack_sys:	.space	ARM_NCPU * ARM_STACK_SLOT
	.global	arm_stack_end
arm_stack_end:
