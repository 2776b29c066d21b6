// SPDX-License-Identifier: BSD-3-Clause
// The i386 entries. A multiboot loader jumps to _start in 32-bit protected
// mode, paging and interrupts off, the magic in %eax and the boot info's
// address in %ebx, with no GDT we may rely on. Load ours, take the boot
// stack, clear .bss, turn on the x87 FPU and call x86_start(magic, info).
// The other CPUs come to ap_entry from the trampoline (trampoline.S).
#include "x86.h"

// kernel_segments loads the kernel's GDT and every segment register.
.macro kernel_segments
	lgdt gdt_desc
	ljmp $SEG_KCODE, $1f
1:	movw $SEG_KDATA, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	movw %cx, %ss
.endm

// fpu_on turns the x87 FPU on: no emulation, native errors.
.macro fpu_on
	movl %cr0, %eax
	andl $~CR0_EM, %eax
	orl $(CR0_MP | CR0_NE), %eax
	movl %eax, %cr0
	fninit
.endm

	.text
	.globl _start
_start:
	cli
	kernel_segments
	movl $boot_stack_top, %esp
	movl %eax, %esi		// keep the magic; %ebx keeps the info

	cld			// clear .bss (the stack is in it: nothing on it yet)
	movl $_bss_start, %edi
	movl $_bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	fpu_on
	xorl %ebp, %ebp		// ends gdb's backtraces
	pushl %ebx
	pushl %esi
	call x86_start
2:	cli
	hlt
	jmp 2b

// ap_entry: another CPU, in 32-bit protected mode on the trampoline's GDT,
// with its segment registers still from real mode. Load ours, take the
// stack arch/x86/mp.c set aside for it (mp_ap_stack), and x86_ap_start.
	.globl ap_entry
ap_entry:
	movw $SEG_KDATA, %cx	// %ds reaches past 64 KiB only from here
	movw %cx, %ds
	kernel_segments
	movl mp_ap_stack, %esp
	cld
	fpu_on
	xorl %ebp, %ebp
	call x86_ap_start
3:	cli
	hlt
	jmp 3b

	.section .note.GNU-stack, "", @progbits
