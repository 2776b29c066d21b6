// SPDX-License-Identifier: BSD-3-Clause
// The boot stack, BOOT_STACK_SIZE bytes in .bss above a guard page, on
// which the x86 entry (entry32.S, entry64.S) runs x86_start and everything
// after it.
#include "x86.h"

	.bss
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:		// unmapped (arch/x86/mmu.c): an overflow faults
	.space GUARD_SIZE
boot_stack:
	.space BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
