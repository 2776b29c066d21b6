// Shared x86 declarations (i386 and amd64): segment selectors, control
// register bits, port I/O, and what the files of arch/x86 give each other.
// The per-width half (trap frame, gate layout) is <width.h>, picked by the
// include path (arch/x86/32 or arch/x86/64). Included from assembly too.
#ifndef HEAPLAB_X86_H
#define HEAPLAB_X86_H

// GDT selectors (arch/x86/gdt.c): a flat kernel code and data segment.
#define SEG_KCODE 0x08
#define SEG_KDATA 0x10

// Control registers and the EFER MSR.
#define CR0_PE	       0x00000001 // protected mode
#define CR0_MP	       0x00000002 // monitor coprocessor (FWAIT honours TS)
#define CR0_EM	       0x00000004 // x87 emulation: must be off
#define CR0_NE	       0x00000020 // native x87 error reporting (#MF)
#define CR0_PG	       0x80000000 // paging
#define CR4_PAE	       0x00000020
#define CR4_OSFXSR     0x00000200 // FXSAVE/FXRSTOR and SSE
#define CR4_OSXMMEXCPT 0x00000400 // SSE exceptions as #XM
#define MSR_EFER       0xc0000080
#define EFER_LME       0x00000100 // long mode enable

#define EFLAGS_IF 0x00000200

// Trap vectors with a name the code uses.
#define T_PGFLT	  14   // page fault: CR2 holds the address
#define T_SYSCALL 0x80 // int $0x80: the system call
#define T_NEXC	  32   // CPU exceptions are vectors 0..31

#define BOOT_STACK_SIZE 65536

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "width.h"

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uintptr_t rcr2(void)
{
	uintptr_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

// The GDT's pseudo-descriptor, as lgdt and lidt read it.
struct x86_desc_ptr {
	uint16_t limit;
	uintptr_t base;
} __attribute__((packed));

extern const struct x86_desc_ptr gdt_desc; // gdt.c; boot/x86 loads it

void x86_start(uint32_t magic, uint32_t info) __attribute__((noreturn)); // start.c
void serial_init(void);							 // serial.c
void trap_init(void);							 // trap.c
void trap(struct trapframe *tf);					 // trap.c
void pic_disable(void);							 // cpu.c
#endif

#endif
