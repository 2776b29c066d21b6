// SPDX-License-Identifier: BSD-3-Clause
// The amd64 entry. A multiboot loader jumps to _start in 32-bit protected
// mode, paging and interrupts off, the magic in %eax and the boot info's
// address in %ebx. In 32-bit code: take the boot stack, clear .bss, build
// page tables identity-mapping the first 4 GiB with 2 MiB pages (kernel,
// heap, modules, and the local APIC at 0xfee00000), enable PAE, long mode
// and paging, load the GDT and jump to 64-bit code; there turn on SSE and
// call x86_start(magic, info). The other CPUs come to ap_entry from the
// trampoline (trampoline.S) in 32-bit code, and take the same road into
// long mode with the boot CPU's page tables, then call x86_ap_start.
//
//   pml4[0] -> pdpt; pdpt[i] -> pd + i*4 KiB (i < 4); pd[j] -> j * 2 MiB
//   The last GiB (0xc0000000..) holds device memory: mapped uncached.
//   pd is x86_pd, where arch/x86/mmu.c later maps the kernel's first MiBs
//   with 4 KiB pages, leaving page 0 and the stacks' guard pages out.
//
// kernel.asm, a listing of the ELF64, shows the 32-bit part decoded as
// 64-bit code; `objdump -d -M i386 --start-address=...` reads it right.
#include "x86.h"

#define NPDE	2048  // 4 page directories of 512 entries: 4 GiB
#define PDE_MMIO 1536 // first entry of the last GiB

// long_mode target: from 32-bit protected mode with paging off, turn on
// PAE (and SSE), load boot_pml4, set EFER.LME, turn paging on (x87/SSE: no
// emulation), load the kernel's GDT and jump to the 64-bit code at target.
.macro long_mode target
	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	andl $~CR0_EM, %eax
	orl $(CR0_PG | CR0_PE | CR0_MP | CR0_NE), %eax
	movl %eax, %cr0
	lgdt gdt_desc
	ljmp $SEG_KCODE, $\target
.endm

// kernel_segments loads the kernel data segment into every data segment
// register (in long mode only %fs and %gs have a base, the MSRs').
.macro kernel_segments
	movw $SEG_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
.endm

	.text
	.code32
	.globl _start
_start:
	cli
	movl $boot_stack_top, %esp
	movl %eax, %esi		// keep the magic; %ebx keeps the info

	cld			// clear .bss (stack and page tables are in it)
	movl $_bss_start, %edi
	movl $_bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl $(boot_pdpt + PTE_P + PTE_W), boot_pml4
	movl $(x86_pd + PTE_P + PTE_W), %eax
	xorl %ecx, %ecx
1:	movl %eax, boot_pdpt(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b

	xorl %ecx, %ecx		// pd[j] = j * 2 MiB | flags
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P + PTE_W + PTE_PS), %eax
	cmpl $PDE_MMIO, %ecx
	jb 3f
	orl $(PTE_PWT + PTE_PCD), %eax
3:	movl %eax, x86_pd(, %ecx, 8)
	incl %ecx
	cmpl $NPDE, %ecx
	jne 2b

	long_mode start64

	.code64
start64:
	.cfi_startproc
	.cfi_undefined rip	// the outermost frame, for gdb's backtraces
	kernel_segments
	movq $boot_stack_top, %rsp // its upper half is undefined after the switch
	fninit
	xorl %ebp, %ebp		// ends gdb's backtraces
	movl %esi, %edi		// x86_start(magic, info)
	movl %ebx, %esi
	call x86_start
4:	cli
	hlt
	jmp 4b
	.cfi_endproc

// ap_entry: another CPU, in 32-bit protected mode on the trampoline's GDT,
// with its segment registers still from real mode; the boot CPU has built
// the page tables long ago.
	.code32
	.globl ap_entry
ap_entry:
	movw $SEG_KDATA, %ax	// %ds reaches past 64 KiB only from here
	movw %ax, %ds
	long_mode ap_start64

// ap_start64: take the stack arch/x86/mp.c set aside for this CPU
// (mp_ap_stack), and x86_ap_start.
	.code64
ap_start64:
	.cfi_startproc
	.cfi_undefined rip
	kernel_segments
	movq mp_ap_stack, %rsp
	cld
	fninit
	xorl %ebp, %ebp
	call x86_ap_start
5:	cli
	hlt
	jmp 5b
	.cfi_endproc

	.bss
	.balign 4096
	.globl boot_pml4		// ap_entry (above) loads it too
boot_pml4:
	.space 4096
boot_pdpt:
	.space 4096
	.globl x86_pd			// mmu.c splits its first entries
x86_pd:
	.space 4 * 4096

	.section .note.GNU-stack, "", @progbits
