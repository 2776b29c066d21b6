// SPDX-License-Identifier: BSD-3-Clause
// The 64-bit ARM exception vectors (VBAR_EL1 points here), their common
// entry, which saves the interrupted context as a struct arm64_trapframe
// on the CPU's trap stack (SP_EL1) and calls arm64_trap, and the caller's
// side of the brk system call, arch_syscall1.
//
// The table is 16 entries of 0x80 bytes, in four groups by where the
// exception came from (ARM64_TRAP_* in arm64.h): EL1 on SP_EL0, where the
// kernel runs; EL1 on SP_EL1, a trap inside a trap handler; and EL0 in
// AArch64 or AArch32, where heaplab never runs. Only the brk system call
// (`svc #0` from EL1 on SP_EL0) and the IRQ (the tick, from EL1 on SP_EL0:
// traps run with IRQs masked) return; everything else ends the run.
#include "arm64.h"

// vector KIND: the first two registers go into a new frame, KIND into x0.
.macro vector kind
	.balign	0x80
	sub	sp, sp, #ARM64_TF_SIZE
	stp	x0, x1, [sp]
	mov	x0, #\kind
	b	trap_entry
.endm

// save_fp BASE, restore_fp BASE: q0-q31, FPSR and FPCR at BASE (the
// frame's q field). Clobber x10 and x11.
.macro save_fp base
	stp	q0, q1, [\base, #0]
	stp	q2, q3, [\base, #32]
	stp	q4, q5, [\base, #64]
	stp	q6, q7, [\base, #96]
	stp	q8, q9, [\base, #128]
	stp	q10, q11, [\base, #160]
	stp	q12, q13, [\base, #192]
	stp	q14, q15, [\base, #224]
	stp	q16, q17, [\base, #256]
	stp	q18, q19, [\base, #288]
	stp	q20, q21, [\base, #320]
	stp	q22, q23, [\base, #352]
	stp	q24, q25, [\base, #384]
	stp	q26, q27, [\base, #416]
	stp	q28, q29, [\base, #448]
	stp	q30, q31, [\base, #480]
	mrs	x10, fpsr
	mrs	x11, fpcr
	str	x10, [\base, #(ARM64_TF_FPSR - ARM64_TF_Q)]
	str	x11, [\base, #(ARM64_TF_FPCR - ARM64_TF_Q)]
.endm

.macro restore_fp base
	ldp	q0, q1, [\base, #0]
	ldp	q2, q3, [\base, #32]
	ldp	q4, q5, [\base, #64]
	ldp	q6, q7, [\base, #96]
	ldp	q8, q9, [\base, #128]
	ldp	q10, q11, [\base, #160]
	ldp	q12, q13, [\base, #192]
	ldp	q14, q15, [\base, #224]
	ldp	q16, q17, [\base, #256]
	ldp	q18, q19, [\base, #288]
	ldp	q20, q21, [\base, #320]
	ldp	q22, q23, [\base, #352]
	ldp	q24, q25, [\base, #384]
	ldp	q26, q27, [\base, #416]
	ldp	q28, q29, [\base, #448]
	ldp	q30, q31, [\base, #480]
	ldr	x10, [\base, #(ARM64_TF_FPSR - ARM64_TF_Q)]
	ldr	x11, [\base, #(ARM64_TF_FPCR - ARM64_TF_Q)]
	msr	fpsr, x10
	msr	fpcr, x11
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global	arm64_vectors
arm64_vectors:
	vector	ARM64_TRAP_SYNC
	vector	ARM64_TRAP_IRQ
	vector	ARM64_TRAP_FIQ
	vector	ARM64_TRAP_SERROR
	vector	ARM64_TRAP_SPX + ARM64_TRAP_SYNC
	vector	ARM64_TRAP_SPX + ARM64_TRAP_IRQ
	vector	ARM64_TRAP_SPX + ARM64_TRAP_FIQ
	vector	ARM64_TRAP_SPX + ARM64_TRAP_SERROR
	vector	ARM64_TRAP_EL0 + ARM64_TRAP_SYNC
	vector	ARM64_TRAP_EL0 + ARM64_TRAP_IRQ
	vector	ARM64_TRAP_EL0 + ARM64_TRAP_FIQ
	vector	ARM64_TRAP_EL0 + ARM64_TRAP_SERROR
	vector	ARM64_TRAP_EL0_32 + ARM64_TRAP_SYNC
	vector	ARM64_TRAP_EL0_32 + ARM64_TRAP_IRQ
	vector	ARM64_TRAP_EL0_32 + ARM64_TRAP_FIQ
	vector	ARM64_TRAP_EL0_32 + ARM64_TRAP_SERROR

// trap_entry: x0 = the kind, x0 and x1 saved. Save the rest of the
// context, the interrupted sp (SP_EL0, or for a trap taken on SP_EL1 the
// sp above this frame), ELR, SPSR, ESR and FAR, the FP/SIMD registers,
// then arm64_trap(frame, kind). When it returns (the system call, an IRQ),
// restore everything, the system call's answer in x0, and eret. The CFI lets gdb unwind from arm64_trap,
// syscall_dispatch or panic into the interrupted code: every register of
// its context is in the frame (DWARF numbers x0-x30 0-30, sp 31, pc 32).
	.type	trap_entry, %function
trap_entry:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_return_column 32
	.cfi_def_cfa sp, 0
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #ARM64_TF_X30]
	mrs	x2, spsr_el1
	mrs	x3, elr_el1
	mrs	x4, esr_el1
	mrs	x5, far_el1
	mrs	x6, sp_el0
	add	x7, sp, #ARM64_TF_SIZE
	tst	x2, #1			// SPSR.M[0]: it ran on SP_EL1
	csel	x6, x7, x6, ne
	str	x6, [sp, #ARM64_TF_SP]
	stp	x3, x2, [sp, #ARM64_TF_PC]
	stp	x4, x5, [sp, #ARM64_TF_ESR]
	add	x9, sp, #ARM64_TF_Q
	save_fp	x9
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	.cfi_offset \n, \n * 8
	.endr
	.cfi_offset 31, ARM64_TF_SP
	.cfi_offset 32, ARM64_TF_PC
	mov	x1, x0
	mov	x0, sp
	bl	arm64_trap
	add	x9, sp, #ARM64_TF_Q
	restore_fp x9
	ldp	x2, x3, [sp, #ARM64_TF_PC]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x0, x1, [sp]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #ARM64_TF_X30]
	add	sp, sp, #ARM64_TF_SIZE
	eret
	.cfi_endproc
	.size	trap_entry, . - trap_entry

// uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg): the brk system
// call's trap, `svc #0` with the number in x0 and the argument in x1,
// answered in x0 (arm64_trap). trap_entry gives back every register but
// x0, the vector registers too.
	.text
	.global	arch_syscall1
	.type	arch_syscall1, %function
arch_syscall1:
	.cfi_startproc
	svc	#ARM64_SVC_SYSCALL
	ret
	.cfi_endproc
	.size	arch_syscall1, . - arch_syscall1
