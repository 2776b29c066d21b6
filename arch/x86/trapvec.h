// SPDX-License-Identifier: BSD-3-Clause
// The trap vectors, included by the i386 and amd64 trapasm.S: each
// vector's stub pushes an error code (0 when the CPU pushes none) and its
// number, then jumps to the file's alltraps, or for an interrupt (which
// can come between any two instructions) to its allirqs. `push $imm` and
// `.dc.a` take the width of the code around them.

// vector N: the entry for vector N; the CPU pushes an error code itself for
// 8, 10-14, 17, 21, 29 and 30.
.macro vector n
	.globl vector\n
vector\n:
	.if !((\n == 8) || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	push $0
	.endif
	push $\n
	.if \n == 2		// NMI: it comes between any two instructions, and returns
	jmp allirqs
	.else
	jmp alltraps
	.endif
.endm

	.text
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vector \n
.endr
	vector 128		// T_SYSCALL

// irqvector N: the entry for interrupt vector N (no error code).
.macro irqvector n
	.globl vector\n
vector\n:
	push $0
	push $\n
	jmp allirqs
.endm

	irqvector 32		// T_TIMER
	irqvector 255		// T_SPURIOUS

// The entries trap_init installs for vectors 0..31.
	.section .rodata
	.balign 8
	.globl trap_vectors
trap_vectors:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.dc.a vector\n
.endr
	.text
