// The amd64 entry. A multiboot loader jumps to _start in 32-bit protected
// mode, paging and interrupts off, the magic in %eax and the boot info's
// address in %ebx. In 32-bit code: take the boot stack, clear .bss, build
// page tables identity-mapping the first 4 GiB with 2 MiB pages (kernel,
// heap, modules, and the local APIC at 0xfee00000), enable PAE, long mode
// and paging, load the GDT and jump to 64-bit code; there turn on SSE and
// call x86_start(magic, info).
//
//   pml4[0] -> pdpt; pdpt[i] -> pd + i*4 KiB (i < 4); pd[j] -> j * 2 MiB
//   The last GiB (0xc0000000..) holds device memory: mapped uncached.
//
// kernel.asm, a listing of the ELF64, shows the 32-bit part decoded as
// 64-bit code; `objdump -d -M i386 --start-address=...` reads it right.
#include "x86.h"

#define PTE_P	0x001 // present
#define PTE_W	0x002 // writable
#define PTE_PWT 0x008 // write-through
#define PTE_PCD 0x010 // cache disable
#define PTE_PS	0x080 // 2 MiB page (in a page directory)
#define NPDE	2048  // 4 page directories of 512 entries: 4 GiB
#define PDE_MMIO 1536 // first entry of the last GiB

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
	movl $(boot_pd + PTE_P + PTE_W), %eax
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
3:	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $NPDE, %ecx
	jne 2b

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax		// paging on, x87/SSE: no emulation
	andl $~CR0_EM, %eax
	orl $(CR0_PG | CR0_PE | CR0_MP | CR0_NE), %eax
	movl %eax, %cr0

	lgdt gdt_desc
	ljmp $SEG_KCODE, $start64

	.code64
start64:
	.cfi_startproc
	.cfi_undefined rip	// the outermost frame, for gdb's backtraces
	movw $SEG_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
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

	.bss
	.balign 4096
	.globl boot_pml4		// the AP trampoline loads it into %cr3
boot_pml4:
	.space 4096
boot_pdpt:
	.space 4096
boot_pd:
	.space 4 * 4096

	.section .note.GNU-stack, "", @progbits
