// SPDX-License-Identifier: BSD-3-Clause
// amd64 trap entry and exit, and the system call stub. Each vector's stub
// (trapvec.h) pushes an error code and its number, then alltraps saves
// every general register into a struct trapframe (width.h), calls trap(tf)
// and restores them, %rax carrying a system call's result. The CPU aligns
// %rsp to 16 before it pushes, and the frame is 176 bytes, so trap is
// called with the stack aligned as the ABI wants.
#include "x86.h"

#include "trapvec.h"

// save REG: push REG, and tell the CFI where it went.
.macro save reg
	pushq %\reg
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %\reg, 0
.endm

// trap_entry FPU: the common entry; with FPU 1 (interrupts) the x87 and
// SSE state is kept too, in 512 bytes below the frame (fxsave wants them
// 16-aligned, as %rsp is here): the interrupted code may be in the middle
// of newlib's SSE code, and the handler is compiled C that may use them.
// The CFI lets gdb unwind from trap into the interrupted code: the frame
// holds every register, the CPU's part the interrupted %rip and %rsp.
.macro trap_entry fpu
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 56		// vector, error code, rip, cs, rflags, rsp, ss
	.cfi_offset %rip, -40
	.cfi_offset %rsp, -16
	save rax
	save rbx
	save rcx
	save rdx
	save rbp
	save rsi
	save rdi
	save r8
	save r9
	save r10
	save r11
	save r12
	save r13
	save r14
	save r15
	cld
	movq %rsp, %rdi		// trap(tf)
	.if \fpu
	subq $512, %rsp
	.cfi_adjust_cfa_offset 512
	fxsave (%rsp)
	.endif
	call trap
	.if \fpu
	fxrstor (%rsp)
	addq $512, %rsp
	.endif
	.cfi_endproc
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		// vector and error code
	iretq
.endm

alltraps:
	trap_entry 0
allirqs:
	trap_entry 1

// uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg): int $0x80 with num
// in %rax and arg in %rbx; the handler's result comes back in %rax. Out of
// line, so the compiler assumes every caller-saved register (the SSE ones
// included) is clobbered.
	.globl arch_syscall1
arch_syscall1:
	pushq %rbx
	movq %rdi, %rax
	movq %rsi, %rbx
	int $T_SYSCALL
	popq %rbx
	ret

	.section .note.GNU-stack, "", @progbits
