// SPDX-License-Identifier: BSD-3-Clause
// The 32-bit ARM exception vectors (VBAR points here) and their entry
// stubs: the brk system call's `svc 0` fast path, the IRQ (the timer's
// tick), and the faults, which save the interrupted context as a struct
// arm_trapframe and never return.
#include "arm.h"

	.syntax unified
	.arm

	.section .text.vectors, "ax"
	.balign	32
	.global	arm_vectors
arm_vectors:
	b	_start			// 0x00 reset
	b	trap_undef		// 0x04 undefined instruction
	b	trap_svc		// 0x08 supervisor call
	b	trap_pabort		// 0x0c prefetch abort
	b	trap_dabort		// 0x10 data abort
	b	trap_hyp		// 0x14 not used
	b	trap_irq		// 0x18 IRQ
	b	trap_fiq		// 0x1c FIQ

// trap_fault KIND: push a trap frame holding r0-r12 on this mode's stack
// and go to trap_fault_common with r0 = frame, r1 = KIND, lr = the
// return address as the exception left it (arm_trap_fault fixes the pc).
.macro trap_fault kind
	sub	sp, sp, #ARM_TF_SIZE
	stmia	sp, {r0-r12}
	mov	r0, sp
	mov	r1, #\kind
	b	trap_fault_common
.endm

trap_undef:	trap_fault ARM_TRAP_UNDEF
trap_pabort:	trap_fault ARM_TRAP_PABORT
trap_dabort:	trap_fault ARM_TRAP_DABORT
trap_hyp:	trap_fault ARM_TRAP_HYP
trap_fiq:	trap_fault ARM_TRAP_FIQ

// Finish the frame: pc, spsr, and the sp and lr of the interrupted mode,
// read by switching to that mode for two instructions (SYS for USR, which
// shares its registers). Then report; arm_trap_fault does not return.
// The CFI lets gdb unwind from arm_trap_fault or panic into the code that
// faulted: every register of the interrupted context is in the frame.
trap_fault_common:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_def_cfa sp, 0
	.cfi_return_column pc
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
	.cfi_offset r\n, \n * 4
	.endr
	.cfi_offset sp, ARM_TF_SP
	.cfi_offset lr, ARM_TF_LR
	.cfi_offset pc, ARM_TF_PC
	str	lr, [r0, #ARM_TF_PC]
	mrs	r2, spsr
	str	r2, [r0, #ARM_TF_SPSR]
	mrs	r3, cpsr
	and	r4, r2, #ARM_MODE_MASK
	cmp	r4, #ARM_MODE_USR
	moveq	r4, #ARM_MODE_SYS
	orr	r4, r4, #(ARM_PSR_I | ARM_PSR_F)
	msr	cpsr_c, r4
	mov	r5, sp
	mov	r6, lr
	msr	cpsr_c, r3
	str	r5, [r0, #ARM_TF_SP]
	str	r6, [r0, #ARM_TF_LR]
	bl	arm_trap_fault
1:	wfi
	b	1b
	.cfi_endproc

// svc: the brk system call, `svc 0` with the number in r0 and the argument
// in r1 (arch_syscall1), answered in r0; every other register is kept.
// srsdb saves the return address and the caller's CPSR on the SVC stack,
// rfeia restores both; the caller's own sp and lr (SYS mode's, banked) are
// saved too, for gdb: the CFI below unwinds through them from
// syscall_dispatch into the caller. An svc with another immediate, or one
// taken in SVC mode (which has just overwritten lr_svc), is a fault.
// Semihosting's `svc 0x123456` never gets here while QEMU's semihosting is
// on.
trap_svc:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_def_cfa sp, 0
	.cfi_return_column pc
	srsdb	sp!, #ARM_MODE_SVC
	.cfi_adjust_cfa_offset 8
	.cfi_offset pc, -8
	push	{r1-r3, r12}
	.cfi_adjust_cfa_offset 16
	mov	r2, sp
	stmdb	r2, {sp, lr}^		// SYS (= USR) mode's sp and lr
	sub	sp, sp, #8
	.cfi_adjust_cfa_offset 8
	.cfi_offset sp, -32
	.cfi_offset lr, -28
	mrs	r12, spsr
	and	r2, r12, #ARM_MODE_MASK
	cmp	r2, #ARM_MODE_SVC
	beq	trap_svc_bad
	tst	r12, #ARM_PSR_T
	ldrhne	r2, [lr, #-2]		// T32: svc #imm8
	andne	r2, r2, #0xff
	ldreq	r2, [lr, #-4]		// A32: svc #imm24
	biceq	r2, r2, #0xff000000
	cmp	r2, #ARM_SVC_SYSCALL
	bne	trap_svc_bad
	bl	syscall_dispatch
	add	sp, sp, #8
	pop	{r1-r3, r12}
	rfeia	sp!

trap_svc_bad:
	add	sp, sp, #8
	pop	{r1-r3, r12}
	add	sp, sp, #8		// drop srsdb's words: lr_svc, spsr_svc hold them
	trap_fault ARM_TRAP_SVC
	.cfi_endproc

// irq: an interrupt, taken in IRQ mode on this CPU's IRQ stack with IRQs
// masked, from SYS mode (every other mode runs with them masked). lr_irq
// is the interrupted instruction + 4. srsdb saves where to go back and the
// interrupted CPSR, then the registers a C call may clobber and, for gdb,
// SYS mode's sp and lr (the CFI unwinds through them from virt_irq
// into the interrupted code); 40 bytes, so the stack stays 8-aligned.
// virt_irq(pc) (the board's) handles it, rfeia goes back.
trap_irq:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_def_cfa sp, 0
	.cfi_return_column pc
	sub	lr, lr, #4
	srsdb	sp!, #ARM_MODE_IRQ
	.cfi_adjust_cfa_offset 8
	.cfi_offset pc, -8
	push	{r0-r3, r12}
	.cfi_adjust_cfa_offset 20
	.cfi_offset r0, -28
	.cfi_offset r1, -24
	.cfi_offset r2, -20
	.cfi_offset r3, -16
	.cfi_offset r12, -12
	mov	r2, sp
	stmdb	r2, {sp, lr}^		// SYS (= USR) mode's sp and lr
	sub	sp, sp, #12		// those two, and a word of padding
	.cfi_adjust_cfa_offset 12
	.cfi_offset sp, -36
	.cfi_offset lr, -32
	ldr	r0, [sp, #32]		// the interrupted pc, srsdb's first word
	bl	virt_irq
	add	sp, sp, #12
	pop	{r0-r3, r12}
	rfeia	sp!
	.cfi_endproc
