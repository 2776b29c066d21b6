// SPDX-License-Identifier: BSD-3-Clause
// i386 trap entry and exit, and the system call stub. Each vector's stub
// (trapvec.h) pushes an error code and its number, then alltraps saves
// every register into a struct trapframe (width.h), calls trap(tf) and
// restores them, %eax carrying a system call's result. Interrupts take the
// same path: the i386 image runs with SSE off (no CR4.OSFXSR) and its
// handlers compute nothing in the x87, so there is no FPU state to keep.
// The CFI lets gdb unwind from trap into the interrupted code: the frame
// holds every register, and the interrupted %esp is just past it (no ring
// change, so the CPU pushed none).
#include "x86.h"

#include "trapvec.h"

allirqs:
alltraps:
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %esp, 20		// vector, error code, eip, cs, eflags
	.cfi_offset %eip, -12
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	pushal
	.cfi_adjust_cfa_offset 48
	.cfi_offset %eax, -40
	.cfi_offset %ecx, -44
	.cfi_offset %edx, -48
	.cfi_offset %ebx, -52
	.cfi_offset %ebp, -60
	.cfi_offset %esi, -64
	.cfi_offset %edi, -68
	cld
	pushl %esp		// trap(tf)
	.cfi_adjust_cfa_offset 4
	call trap
	addl $4, %esp
	.cfi_endproc
	popal
	popl %gs
	popl %fs
	popl %es
	popl %ds
	addl $8, %esp		// vector and error code
	iret

// uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg): int $0x80 with num
// in %eax and arg in %ebx; the handler's result comes back in %eax. Out of
// line, so the compiler assumes every caller-saved register is clobbered.
	.globl arch_syscall1
arch_syscall1:
	pushl %ebx
	movl 8(%esp), %eax
	movl 12(%esp), %ebx
	int $T_SYSCALL
	popl %ebx
	ret

	.section .note.GNU-stack, "", @progbits
