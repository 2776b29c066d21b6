// The 32-bit ARM entry point: QEMU's -kernel jumps here, at the start of
// the image, in SVC mode (HYP with -M virt,virtualization=on) with the MMU
// off. It does the least it can before C runs: see _start's steps.
#include "arm.h"

	.syntax unified
	.arm
	.arch_extension virt

// set_stack MODE, TOP: enter MODE (interrupts stay masked) and point its
// banked sp at TOP (linker/arm.ld reserves one stack per mode).
.macro set_stack mode, top
	cps	#\mode
	ldr	sp, =\top
.endm

	.section .text.boot, "ax"
	.global _start
	.type	_start, %function
_start:
	.cfi_startproc
	.cfi_undefined lr		// the outermost frame, for gdb
	// 1. Leave HYP mode if QEMU started us there: the kernel runs at PL1.
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

	// 2. Exceptions go to arm_vectors (SCTLR.V = 0: vectors at VBAR).
	ldr	r0, =arm_vectors
	mcr	p15, 0, r0, c12, c0, 0
	mrc	p15, 0, r0, c1, c0, 0
	bic	r0, r0, #(1 << 13)
	mcr	p15, 0, r0, c1, c0, 0
	isb

	// 3. One stack per mode that takes exceptions, then the kernel's
	// own in SYS mode, where it stays: an `svc` taken from SYS mode lands
	// in SVC mode and clobbers nothing the caller needs (from SVC mode it
	// would overwrite lr_svc and spsr_svc).
	set_stack ARM_MODE_UND, _stack_und_top
	set_stack ARM_MODE_ABT, _stack_abt_top
	set_stack ARM_MODE_IRQ, _stack_irq_top
	set_stack ARM_MODE_FIQ, _stack_fiq_top
	set_stack ARM_MODE_SVC, _stack_svc_top
	set_stack ARM_MODE_SYS, _stack_sys_top

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
3:	wfi
	b	3b
	.cfi_endproc
	.size	_start, . - _start
