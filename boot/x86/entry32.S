// The i386 entry. A multiboot loader jumps to _start in 32-bit protected
// mode, paging and interrupts off, the magic in %eax and the boot info's
// address in %ebx, with no GDT we may rely on. Load ours, take the boot
// stack, clear .bss, turn on the x87 FPU and call x86_start(magic, info).
#include "x86.h"

	.text
	.globl _start
_start:
	cli
	lgdt gdt_desc
	ljmp $SEG_KCODE, $1f
1:	movw $SEG_KDATA, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	movw %cx, %ss
	movl $boot_stack_top, %esp
	movl %eax, %esi		// keep the magic; %ebx keeps the info

	cld			// clear .bss (the stack is in it: nothing on it yet)
	movl $_bss_start, %edi
	movl $_bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl %cr0, %eax		// x87 FPU: no emulation, native errors
	andl $~CR0_EM, %eax
	orl $(CR0_MP | CR0_NE), %eax
	movl %eax, %cr0
	fninit

	xorl %ebp, %ebp		// ends gdb's backtraces
	pushl %ebx
	pushl %esi
	call x86_start
2:	cli
	hlt
	jmp 2b

	.section .note.GNU-stack, "", @progbits
