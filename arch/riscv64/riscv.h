// SPDX-License-Identifier: BSD-3-Clause
// RISC-V (RV64IMAC, machine mode): the CSRs heaplab uses, the trap frame
// the trap entry builds, the stacks, and the boot code's C entry points.
#ifndef HEAPLAB_RISCV_H
#define HEAPLAB_RISCV_H

// The privilege level: everything runs in M-mode. QEMU starts with -bios
// none, so no firmware owns M-mode: the hart comes out of reset there,
// heaplab's own mtvec takes every trap, and the brk system call's `ecall`
// from M-mode is a real synchronous exception (mcause 11) that lands in it.
// An S-mode kernel would need M-mode code under it all the same (firmware,
// or ours, to delegate the traps) and Sv39 page tables for its guards, and
// trapping from U-mode a user half; M-mode alone has what heaplab needs:
// PMP guards page 0 and every stack's guard page (pmp.c), mscratch points
// each hart at a trap stack of its own, and the CLINT wakes parked harts.

// Stacks, RISCV_NCPU sets (arch/arch.h's NCPU; smp.c checks they agree):
// each hart runs on a kernel stack with a guard page below it that PMP
// makes inaccessible, and takes traps on a trap stack of its own, so that
// a stack overflow's fault still has a stack to run on. boot/riscv64/
// start.S reserves both, hart h's at index h.
#define RISCV_NCPU	      8
#define RISCV_STACK_SIZE      0x10000 // the kernel's
#define RISCV_GUARD_SIZE      0x1000  // inaccessible below each (pmp.c)
#define RISCV_STACK_SLOT      (RISCV_GUARD_SIZE + RISCV_STACK_SIZE)
#define RISCV_TRAP_STACK_SIZE 0x4000 // each hart's trap stack: room for panic's printf

// CSR fields.
#define MSTATUS_MIE (1ul << 3)	// interrupts on in M-mode
#define MIE_MSIE    (1ul << 3)	// software interrupt (the CLINT's msip) enabled
#define MIE_MTIE    (1ul << 7)	// timer interrupt enabled
#define MCAUSE_INTR (1ul << 63) // an interrupt, not an exception
#define IRQ_MTIMER  7		// mcause of the machine timer interrupt, with MCAUSE_INTR

// Exception causes (mcause without MCAUSE_INTR; privileged spec, table 3.6).
#define CAUSE_FETCH_MISALIGNED 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL	       2
#define CAUSE_BREAKPOINT       3
#define CAUSE_LOAD_MISALIGNED  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_STORE_MISALIGNED 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U	       8
#define CAUSE_ECALL_S	       9
#define CAUSE_ECALL_M	       11
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE	       13
#define CAUSE_STORE_PAGE       15

// The brk system call: `ecall` with the call's number in a7 and its
// argument in a0, answered in a0 (Linux's convention).
#define REG_A0 10
#define REG_A7 17

// Offsets into struct riscv_trapframe (below), for trapasm.S.
#define TF_X(n)	   ((n)*8)
#define TF_EPC	   256
#define TF_CAUSE   264
#define TF_TVAL	   272
#define TF_STATUS  280
#define TF_SCRATCH 288
#define TF_SIZE	   304

#ifndef __ASSEMBLER__

#include <stdint.h>

// What the trap entry (trapasm.S) saves on the trap stack before calling
// riscv_trap: the interrupted context. The handler may change x[] and
// epc (the system call does: a0 and the pc after the ecall); the return
// path restores them.
struct riscv_trapframe {
	uint64_t x[32];	  // x1-x31 by number (x[2] the interrupted sp); x[0] unused
	uint64_t epc;	  // mepc: the instruction that trapped
	uint64_t cause;	  // mcause
	uint64_t tval;	  // mtval: the faulting address, for access faults
	uint64_t status;  // mstatus at the trap
	uint64_t scratch; // what mscratch gets back on return (trapasm.S)
	uint64_t pad;	  // keeps the frame 16-byte aligned
};

// CSR access by name: CSR_READ(mhartid), CSR_WRITE(mtvec, v); CSR_SET and
// CSR_CLEAR set or clear bits and answer the old value.
#define CSR_READ(csr)                                                                              \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("csrr %0, " #csr : "=r"(v_));                                     \
		v_;                                                                                \
	})
#define CSR_WRITE(csr, v)    __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define CSR_SET(csr, bits)   CSR_RMW("csrrs", csr, bits)
#define CSR_CLEAR(csr, bits) CSR_RMW("csrrc", csr, bits)
#define CSR_RMW(insn, csr, bits)                                                                   \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile(insn " %0, " #csr ", %1"                                          \
				 : "=r"(v_)                                                        \
				 : "r"((uint64_t)(bits))                                           \
				 : "memory");                                                      \
		v_;                                                                                \
	})

// Boot, in the order boot/riscv64/start.S runs it, on every hart: the trap
// vector and mscratch (start.S itself), then riscv_pmp_init (pmp.c); then
// the boot hart (hart 0) clears .bss and runs riscv_start (start.c) with
// the device tree QEMU left in a1, and every other hart waits in
// riscv_secondary (smp.c) until arch_start_cpus releases it.
void riscv_pmp_init(void);
void riscv_start(const void *fdt) __attribute__((noreturn));
void riscv_secondary(void) __attribute__((noreturn));
extern char riscv_stacks[]; // start.S: RISCV_NCPU slots of RISCV_STACK_SLOT bytes

// riscv_trap handles the trap saved in tf: the brk system call, or a fault,
// which ends the run (trap.c). trapasm.S calls it.
void riscv_trap(struct riscv_trapframe *tf);

#endif // __ASSEMBLER__
#endif
