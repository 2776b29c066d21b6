// SPDX-License-Identifier: BSD-3-Clause
// Shared x86 declarations (i386 and amd64): segment selectors, control
// register bits, port I/O, and what the files of arch/x86 give each other.
// The per-width half (trap frame, gate layout) is <width.h>, picked by the
// include path (arch/x86/32 or arch/x86/64). Included from assembly too.
#ifndef HEAPLAB_X86_H
#define HEAPLAB_X86_H

// The PC's physical memory map and I/O ports are in platform/pc/pc.h.

// GDT selectors (arch/x86/gdt.c): a flat kernel code and data segment,
// then on i386 one small data segment per CPU, over its struct cpu,
// that %gs holds (amd64 points the GS base MSR at it instead), then two
// slots per CPU for its task state (tss.c): on i386 its own TSS and the
// double fault's task, on amd64 one 16-byte TSS descriptor.
#define SEG_KCODE    0x08
#define SEG_KDATA    0x10
#define SEG_KCPU(id) (0x18 + 8 * (id))
#define SEG_TSS(id)  (SEG_KCPU(NCPU) + 16 * (id))
#define GDT_SLOTS    (3 + 3 * NCPU)

// Page table entry bits (mmu.c, boot/x86/entry64.S).
#define PTE_P	      0x001	 // present
#define PTE_W	      0x002	 // writable
#define PTE_PWT	      0x008	 // write-through
#define PTE_PCD	      0x010	 // cache disable
#define PTE_PS	      0x080	 // a big page (in a page directory)
#define X86_MMIO_BASE 0xc0000000 // the last GiB below 4 GiB: mapped uncached
#define CR4_PSE	      0x00000010 // i386: 4 MiB pages
#define CR0_WP	      0x00010000 // write protection applies to ring 0 too

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
#define MSR_APIC_BASE  0x0000001b // the local APIC's physical base, bits 12..
#define APIC_BASE_EN   0x00000800 // in MSR_APIC_BASE: the APIC is on
#define MSR_GS_BASE    0xc0000101 // amd64: the base %gs addresses

#define EFLAGS_IF 0x00000200

// Trap vectors with a name the code uses.
#define T_NMI	   2	// NMI: whatever the interrupt flag (watchdog_nmi)
#define T_DBLFLT   8	// double fault: on a stack of its own
#define T_PGFLT	   14	// page fault: CR2 holds the address
#define T_SYSCALL  0x80 // int $0x80: the system call
#define T_NEXC	   32	// CPU exceptions are vectors 0..31
#define T_TIMER	   32	// the local APIC timer: the tick
#define T_SPURIOUS 0xff // the local APIC's spurious interrupt: no EOI

// Local APIC timer entry bits (lapic_timer_set).
#define LAPIC_LVT_MASKED   0x10000
#define LAPIC_LVT_PERIODIC 0x20000

#define BOOT_STACK_SIZE 65536
#define AP_STACK_SIZE	32768 // each other CPU's stack (arch/x86/mp.c)
#define GUARD_SIZE	4096  // the unmapped page below each of them
#define DF_STACK_SIZE	16384 // each CPU's double-fault stack (tss.c)

// The other CPUs start in real mode at X86_TRAMPOLINE, a page below 1 MiB
// (the startup IPI's vector is its page number), where arch/x86/mp.c copies
// boot/x86/trampoline.S. QEMU's multiboot loader keeps its memory map and
// boot info at 0x9000..0x9600: the page before is free.
#define X86_TRAMPOLINE 0x8000

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "width.h"

#include "arch.h"

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

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

// cpuid answers leaf's eax, ebx, ecx, edx in r[0..3].
static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
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
void gdt_set(int sel, uint64_t desc);	   // gdt.c

struct cpu;
void percpu_load(struct cpu *c);		   // 32/percpu.c, 64/percpu.c
void x86_cpu_init(int id);			   // mp.c
void x86_ap_start(void) __attribute__((noreturn)); // mp.c: the other CPUs' C entry

// The local APIC (lapic.c): lapic_init finds and turns on the boot CPU's
// (once paging is on), lapic_cpu_init every other CPU's.
void lapic_init(void);
void lapic_cpu_init(void);
uintptr_t lapic_base(void);
void lapic_timer_set(uint32_t lvt, uint32_t count);
uint32_t lapic_timer_left(void);
void lapic_eoi(void);
void lapic_ipi_init(uint32_t apicid);
void lapic_ipi_startup(uint32_t apicid, uint32_t page);

// Guarded memory: the paging (mmu.c over the per-width halves in 32/ and
// 64/paging.c), the stacks' guard pages (mp.c, boot/x86/stack.S), each
// CPU's task state with the double fault's stack (32/, 64/tss.c).
void x86_mmu_init(void);			// mmu.c: the boot CPU, once
void x86_mmu_enable(void);			// paging.c: every CPU
void x86_mmu_map_big(void);			// paging.c: the big pages
uintptr_t x86_guard_page(int id);		// mp.c: CPU id's guard page
void x86_tss_init(int id);			// tss.c: this CPU's TSS (ltr)
void x86_df_gate(struct gatedesc *g, int id);	// tss.c: its IDT's vector 8
extern char x86_df_stacks[NCPU][DF_STACK_SIZE]; // tss.c
void x86_double_fault(uintptr_t sp, uintptr_t pc) __attribute__((noreturn)); // trap.c

void x86_start(uint32_t magic, uint32_t info) __attribute__((noreturn)); // start.c
void trap_init(void);							 // trap.c
void trap_load(void);							 // trap.c
void trap(struct trapframe *tf);					 // trap.c
#endif

#endif
