// SPDX-License-Identifier: BSD-3-Clause
// The other CPUs' first steps, on i386 and amd64 alike. arch/x86/mp.c
// copies this code to X86_TRAMPOLINE, below 1 MiB, and a startup IPI
// starts a CPU there in real mode (CS = X86_TRAMPOLINE >> 4, IP = 0),
// interrupts and paging off. It loads a GDT of its own (flat 32-bit code
// and data, at the kernel's selectors), turns protected mode on and jumps
// to the kernel's ap_entry (entry32.S, entry64.S), which does the rest.
//
// The code runs at its copy's address, not where it is linked: TRAMP(x)
// is label x's address in the copy. It is data to the kernel (.rodata).
#include "x86.h"

#define TRAMP(x) (X86_TRAMPOLINE + (x) - x86_trampoline)

	.section .rodata
	.balign 16
	.code16
	.globl x86_trampoline, x86_trampoline_end
x86_trampoline:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl TRAMP(tramp_gdt_desc)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEG_KCODE, $ap_entry	// 32-bit code from here on

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	// SEG_KCODE: 32-bit code, base 0, limit 4 GiB
	.quad 0x00cf92000000ffff	// SEG_KDATA: data, base 0, limit 4 GiB
tramp_gdt_desc:
	.word tramp_gdt_desc - tramp_gdt - 1
	.long TRAMP(tramp_gdt)
x86_trampoline_end:

	.section .note.GNU-stack, "", @progbits
