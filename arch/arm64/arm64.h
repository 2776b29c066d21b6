// SPDX-License-Identifier: BSD-3-Clause
// 64-bit ARM (ARMv8-A, AArch64, QEMU virt): exception levels, the trap
// frame the vector stubs build, system-register accessors and the stacks.
// The virt board's memory map, UART and firmware calls are shared with the
// 32-bit port (platform/qemu-virt-arm).
#ifndef HEAPLAB_ARM64_H
#define HEAPLAB_ARM64_H

// Stacks, ARM64_NCPU sets (NCPU; smp.c checks they agree), picked by the
// CPU's id (MPIDR_EL1.Aff0, see arch_cpu_id). The kernel runs at EL1 on
// SP_EL0 ("EL1t"): each CPU's kernel stack, with an unmapped guard page
// below it. Every exception switches to SP_EL1 ("EL1h"), a trap stack of
// the CPU's own, so an overflow into the guard page is reported from a
// stack that still works:
//
//   arm64_stack_trap   +------------------+  CPU 0's trap stack (SP_EL1),
//                      |  trap stack 0..7 |  ARM64_TRAP_STACK_SIZE each
//   arm64_stack_kern   +------------------+  page-aligned
//                      |  guard page      |  unmapped (mmu.c)
//                      |  kernel stack 0  |  SP_EL0 starts at its top
//                      |  guard page      |
//                      |  kernel stack 1  |  ... one slot per CPU
#define ARM64_NCPU	      8
#define ARM64_STACK_SIZE      0x10000 // each CPU's kernel stack (SP_EL0)
#define ARM64_GUARD_SIZE      0x1000  // an unmapped page below each (mmu.c)
#define ARM64_STACK_SLOT      (ARM64_GUARD_SIZE + ARM64_STACK_SIZE)
#define ARM64_TRAP_STACK_SIZE 0x4000 // each CPU's trap stack (SP_EL1): room for panic's printf
#define ARM64_MPIDR_AFF0      0xff   // MPIDR_EL1's lowest affinity field: the core

// PSTATE as SPSR_ELx holds it: the level and stack (M[3:0]), the masks.
#define ARM64_PSR_EL1H	    0x5	       // EL1 on SP_EL1
#define ARM64_PSR_DAIF	    (0xf << 6) // debug, SError, IRQ, FIQ masked
#define ARM64_PSR_I	    (1 << 7)
#define ARM64_CURRENTEL_EL2 (2 << 2) // CurrentEL reads the level in bits [3:2]

// ESR_EL1 (the syndrome of a synchronous exception): the exception class
// in bits [31:26], the class's details (ISS) in [24:0].
#define ARM64_ESR_EC(esr)  (((esr) >> 26) & 0x3f)
#define ARM64_ESR_ISS(esr) ((esr)&0x1ffffff)
#define ARM64_EC_UNKNOWN   0x00 // an undefined instruction (and hlt with semihosting off)
#define ARM64_EC_FP	   0x07 // FP/SIMD access trapped (CPACR_EL1)
#define ARM64_EC_ILLEGAL   0x0e // illegal execution state
#define ARM64_EC_SVC64	   0x15
#define ARM64_EC_HVC64	   0x16
#define ARM64_EC_SMC64	   0x17
#define ARM64_EC_SYS64	   0x18 // a trapped msr/mrs
#define ARM64_EC_IABT_LOW  0x20
#define ARM64_EC_IABT_CUR  0x21 // instruction abort at EL1
#define ARM64_EC_PC_ALIGN  0x22
#define ARM64_EC_DABT_LOW  0x24
#define ARM64_EC_DABT_CUR  0x25 // data abort at EL1
#define ARM64_EC_SP_ALIGN  0x26
#define ARM64_EC_SERROR	   0x2f
#define ARM64_EC_BRK64	   0x3c
#define ARM64_ISS_WNR	   (1u << 6)	// data abort: a write
#define ARM64_ISS_FNV	   (1u << 10)	// abort: FAR_EL1 is not valid
#define ARM64_ISS_FSC(iss) ((iss)&0x3f) // abort: the fault status code

// The brk system call is `svc #0`. Semihosting is `hlt #0xf000` in A64,
// which QEMU answers itself when started with -semihosting-config
// enable=on; without it, hlt is an undefined instruction (trap.c).
#define ARM64_SVC_SYSCALL	0
#define ARM64_HLT_SEMIHOST	0xf000
#define ARM64_INSN_HLT_SEMIHOST (0xd4400000u | ARM64_HLT_SEMIHOST << 5)

// The vector a trap came through (arm64_trap's kind): VBAR_EL1 + kind *
// 0x80. Four groups of four (synchronous, IRQ, FIQ, SError): taken at EL1
// on SP_EL0 (the kernel at work), at EL1 on SP_EL1 (a trap in a trap
// handler), and from EL0 in AArch64 or AArch32, which heaplab never runs.
#define ARM64_TRAP_SYNC	  0
#define ARM64_TRAP_IRQ	  1
#define ARM64_TRAP_FIQ	  2
#define ARM64_TRAP_SERROR 3
#define ARM64_TRAP_SPX	  4  // + one of the above: on the trap stack
#define ARM64_TRAP_EL0	  8  // + one of the above: from EL0, AArch64
#define ARM64_TRAP_EL0_32 12 // + one of the above: from EL0, AArch32
#define ARM64_TRAP_KINDS  16

// Offsets into struct arm64_trapframe (below), for vectors.S.
#define ARM64_TF_X30	240
#define ARM64_TF_SP	248
#define ARM64_TF_PC	256
#define ARM64_TF_PSTATE 264
#define ARM64_TF_ESR	272
#define ARM64_TF_FAR	280
#define ARM64_TF_Q	288 // 16-byte aligned, for stp of the q registers
#define ARM64_TF_FPSR	800
#define ARM64_TF_FPCR	808
#define ARM64_TF_SIZE	816

#ifndef __ASSEMBLER__

#include <stdint.h>

// What the vector stubs (arch/arm64/vectors.S) save on the trap stack
// before calling C: the interrupted context, the FP/SIMD registers too
// (an interrupt may come in the middle of newlib's memset, which uses
// them, and the handler's C code may use them), and the syndrome.
struct arm64_trapframe {
	uint64_t x[31];	   // x0-x30 (x29 the frame pointer, x30 the link register)
	uint64_t sp;	   // the interrupted code's stack pointer
	uint64_t pc;	   // ELR_EL1: where to return (after an svc, an irq) or what faulted
	uint64_t pstate;   // SPSR_EL1: the interrupted PSTATE
	uint64_t esr;	   // ESR_EL1: why
	uint64_t far;	   // FAR_EL1: the faulting address, for aborts
	uint64_t q[32][2]; // q0-q31
	uint64_t fpsr, fpcr;
};

// System registers by name: ARM64_MRS(mpidr_el1), ARM64_MSR(vbar_el1, v).
#define ARM64_MRS(reg)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));                                      \
		v_;                                                                                \
	})
#define ARM64_MSR(reg, v) __asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(v)) : "memory")

// Boot, in the order _start (boot/arm64/start.S) runs it: the MMU (mmu.c),
// then arm64_start (start.c), which sets up the console and calls kmain.
// arm64_mmu_init builds the page tables and turns the MMU on; the other
// CPUs, entering at arm64_secondary (start.S, started by smp.c), only turn
// it on with the same tables (arm64_mmu_enable), then run mp_enter.
void arm64_mmu_init(void);
void arm64_mmu_enable(void);
void arm64_start(void) __attribute__((noreturn));
void arm64_secondary(void) __attribute__((noreturn));
extern char arm64_stack_kern[]; // start.S: ARM64_NCPU slots of ARM64_STACK_SLOT bytes

// arm64_trap is what every vector stub calls with the frame it saved and
// its kind (ARM64_TRAP_*): the brk system call returns, with the answer in
// tf->x[0], and so does an IRQ (the tick), handled by the board's GIC
// code; everything else is a fault, reported, and the run ends.
void arm64_trap(struct arm64_trapframe *tf, int kind);

#endif // __ASSEMBLER__
#endif
