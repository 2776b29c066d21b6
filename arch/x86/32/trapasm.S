// i386 trap entry and exit, and the system call stub. Each vector's stub
// (trapvec.h) pushes an error code and its number, then alltraps saves
// every register into a struct trapframe (width.h), calls trap(tf) and
// restores them, %eax carrying a system call's result. Interrupts take the
// same path: the i386 image runs with SSE off (no CR4.OSFXSR) and its
// handlers compute nothing in the x87, so there is no FPU state to keep.
#include "x86.h"

#include "trapvec.h"

allirqs:
alltraps:
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	pushal
	cld
	pushl %esp		// trap(tf)
	call trap
	addl $4, %esp
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
