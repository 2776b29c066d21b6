// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM (ARMv7-A, QEMU virt): processor modes, the trap frame the
// vector stubs build, coprocessor accessors and the virt board's layout.
#ifndef HEAPLAB_ARM_H
#define HEAPLAB_ARM_H

// The virt board's memory map, UART and firmware calls are in
// platform/qemu-virt-arm/virt.h.

// Stacks, ARM_NCPU sets (arch/arch.h's NCPU; smp.c checks they agree):
// each CPU has one stack per exception mode and the kernel's, in SYS mode,
// with an unmapped guard page below it: an overflow aborts, and the abort
// runs on the abort mode's own stack. Its cpu id (MPIDR.Aff0, see
// arch_cpu_id) picks the set.
#define ARM_NCPU	    8
#define ARM_STACK_SIZE	    0x10000 // the kernel's, in SYS mode
#define ARM_GUARD_SIZE	    0x1000  // an unmapped page below each (mmu.c)
#define ARM_STACK_SLOT	    (ARM_GUARD_SIZE + ARM_STACK_SIZE)
#define ARM_TRAP_STACK_SIZE 0x4000 // each exception mode's: room for panic's printf
#define ARM_MPIDR_AFF0	    0xff   // MPIDR's lowest affinity field: the core

// CPSR/SPSR fields.
#define ARM_MODE_USR  0x10
#define ARM_MODE_FIQ  0x11
#define ARM_MODE_IRQ  0x12
#define ARM_MODE_SVC  0x13
#define ARM_MODE_MON  0x16
#define ARM_MODE_ABT  0x17
#define ARM_MODE_HYP  0x1a
#define ARM_MODE_UND  0x1b
#define ARM_MODE_SYS  0x1f
#define ARM_MODE_MASK 0x1f
#define ARM_PSR_T     (1 << 5) // Thumb state
#define ARM_PSR_F     (1 << 6) // FIQ masked
#define ARM_PSR_I     (1 << 7) // IRQ masked
#define ARM_PSR_A     (1 << 8) // asynchronous aborts masked

// Semihosting (ARM's "Semihosting for AArch32 and AArch64"): the call
// number goes in r0, a pointer to its argument block in r1, and the trap is
// `svc 0x123456` in A32 state, which QEMU handles itself when started with
// -semihosting-config enable=on. The brk system call is `svc 0`.
#define ARM_SVC_SYSCALL	 0
#define ARM_SVC_SEMIHOST 0x123456

// Which vector a fault came through (arm_trap_fault's kind; vectors.S
// passes these).
#define ARM_TRAP_UNDEF	0
#define ARM_TRAP_PABORT 1
#define ARM_TRAP_DABORT 2
#define ARM_TRAP_HYP	3 // the reserved vector, 0x14
#define ARM_TRAP_FIQ	5
#define ARM_TRAP_SVC	6 // an svc other than the brk system call's

// Offsets into struct arm_trapframe (below), for vectors.S.
#define ARM_TF_SP   52
#define ARM_TF_LR   56
#define ARM_TF_PC   60
#define ARM_TF_SPSR 64
#define ARM_TF_SIZE 72

#ifndef __ASSEMBLER__

#include <stdint.h>

// What the vector stubs (arch/arm/vectors.S) push on the exception mode's
// stack before calling C: the interrupted context.
struct arm_trapframe {
	uint32_t r[13]; // r0-r12
	uint32_t sp;	// sp of the interrupted mode
	uint32_t lr;	// lr of the interrupted mode
	uint32_t pc;	// the instruction that trapped
	uint32_t spsr;	// the interrupted CPSR
	uint32_t pad;	// keeps the frame 8-byte aligned (AAPCS)
};

// CP15 register access: ARM_CP15_READ(c1, c0, 0) is SCTLR, and so on
// (crn, crm, opc2; opc1 is 0 for every register heaplab uses).
#define ARM_CP15_READ(crn, crm, op2)                                                               \
	({                                                                                         \
		uint32_t v_;                                                                       \
		__asm__ volatile("mrc p15, 0, %0, " #crn ", " #crm ", " #op2 : "=r"(v_));          \
		v_;                                                                                \
	})
#define ARM_CP15_WRITE(crn, crm, op2, v)                                                           \
	__asm__ volatile("mcr p15, 0, %0, " #crn ", " #crm ", " #op2 ::"r"((uint32_t)(v))          \
			 : "memory")

// Boot, in the order _start (boot/arm/start.S) runs it: the MMU (mmu.c),
// then arm_start (start.c), which sets up the console (the board's PL011).
// arm_mmu_init builds the page table and turns the MMU on; the other CPUs,
// entering at arm_secondary (start.S, started by smp.c), only turn it on
// with the same table (arm_mmu_enable), then run mp_enter.
void arm_mmu_init(void);
void arm_mmu_enable(void);
void arm_start(void) __attribute__((noreturn));
void arm_secondary(void) __attribute__((noreturn));
extern char arm_stack_sys[]; // start.S: ARM_NCPU slots of ARM_STACK_SLOT bytes

// arm_trap_fault reports a fault of kind ARM_TRAP_* taken with frame tf
// and ends the run; the vector stubs call it.
void arm_trap_fault(struct arm_trapframe *tf, int kind) __attribute__((noreturn));

#endif // __ASSEMBLER__
#endif
