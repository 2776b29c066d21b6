// 32-bit ARM (ARMv7-A, QEMU virt): processor modes, the trap frame the
// vector stubs build, coprocessor accessors and the virt board's layout.
#ifndef HEAPLAB_ARM_H
#define HEAPLAB_ARM_H

// Physical memory of `qemu-system-arm -M virt -m 256M` as heaplab uses it:
//
//   0x00000000  +------------------+  flash; the first MiB is left unmapped
//               |  devices         |  so that NULL dereferences fault
//   0x09000000  |  PL011 UART      |
//   0x40000000  +------------------+  RAM; QEMU puts the device tree here
//   0x40100000  |  kernel image    |  linker/arm.ld: text, data, bss,
//               |  mode stacks     |  the stacks of every mode for each of
//               |  heap            |  ARM_NCPU CPUs (boot/arm/start.S),
//               |                  |  then the heap [_heap_start, _heap_end)
//   0x48000000  +------------------+  hand-over blob from run-qemu.sh:
//               |  "heaplab: ..."  |  "heaplab: CMDLINE\n" TRACE NUL
//   0x50000000  +------------------+  end of RAM (-m 256M)
#define ARM_RAM_BASE   0x40000000u
#define ARM_RAM_SIZE   0x10000000u
#define ARM_HANDOVER   0x48000000u
#define ARM_PL011_BASE 0x09000000u

// Stacks, ARM_NCPU sets (kernel/arch.h's NCPU; smp.c checks they agree):
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

// PSCI (ARM DEN 0022): the firmware calls that power CPUs on, made with
// `hvc #0` or `smc #0` as the device tree's /psci node says: function id
// in r0, arguments in r1-r3, the answer in r0.
#define ARM_PSCI_CPU_ON	 0x84000003u // SMC32 CPU_ON(target MPIDR, entry, context)
#define ARM_PSCI_SUCCESS 0

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
#define ARM_SVC_SYSCALL			 0
#define ARM_SVC_SEMIHOST		 0x123456
#define ARM_SEMIHOST_EXIT_EXTENDED	 0x20
#define ARM_ADP_STOPPED_APPLICATION_EXIT 0x20026

// Which vector a fault came through (arm_trap_fault's kind; vectors.S
// passes these).
#define ARM_TRAP_UNDEF	0
#define ARM_TRAP_PABORT 1
#define ARM_TRAP_DABORT 2
#define ARM_TRAP_HYP	3 // the reserved vector, 0x14
#define ARM_TRAP_IRQ	4
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
// then arm_start (start.c), which sets up the console (console.c).
// arm_mmu_init builds the page table and turns the MMU on; the other CPUs,
// entering at arm_secondary (start.S, started by smp.c), only turn it on
// with the same table (arm_mmu_enable), then run mp_enter.
void arm_mmu_init(void);
void arm_mmu_enable(void);
void arm_start(void) __attribute__((noreturn));
void arm_console_init(void);
void arm_secondary(void) __attribute__((noreturn));
extern char arm_stack_sys[]; // start.S: ARM_NCPU slots of ARM_STACK_SLOT bytes

// arm_psci_cpu_on asks the firmware to start the CPU whose MPIDR is mpidr
// at the physical address entry (MMU off, r0 = context); answers PSCI's
// status, ARM_PSCI_SUCCESS or a negative error (psci.c).
int arm_psci_cpu_on(uint32_t mpidr, uintptr_t entry, uint32_t context);

// arm_trap_fault reports a fault of kind ARM_TRAP_* taken with frame tf
// and ends the run; the vector stubs call it.
void arm_trap_fault(struct arm_trapframe *tf, int kind) __attribute__((noreturn));

// arm_semihost issues semihosting call op with argument block arg.
uint32_t arm_semihost(uint32_t op, const void *arg);

#endif // __ASSEMBLER__
#endif
