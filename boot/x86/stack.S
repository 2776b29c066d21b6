// The boot stack, BOOT_STACK_SIZE bytes in .bss, on which the x86 entry
// (entry32.S, entry64.S) runs x86_start and everything after it.
#include "x86.h"

	.bss
	.balign 16
	.globl boot_stack, boot_stack_top
boot_stack:
	.space BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
