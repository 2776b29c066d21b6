// SPDX-License-Identifier: BSD-3-Clause
// What portable kernel code needs from the CPU: traps, atomics, interrupt
// state, per-CPU identity, stacks and guard pages, the tick counter. Each
// CPU port (arch/x86 for i386 and amd64, arch/arm, arch/riscv64)
// implements all of it; what the board around the CPU supplies (console,
// exit, device timers) is platform/platform.h. kernel/ and mem/ never test
// the architecture with #ifdef. Each port also has an arch_cpu.h, found on the include path, with
// struct arch_cpu: its part of the one struct cpu (kernel/kernel.h).
#ifndef HEAPLAB_ARCH_H
#define HEAPLAB_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "arch_cpu.h"

// Heap bounds, defined by linker/$(ARCH).ld after the kernel's sections,
// page-aligned; HEAP_SIZE (make variable) bytes apart.
extern char _heap_start[], _heap_end[];

#define PAGE_SIZE 4096u

// System call numbers; a syscall stub traps (int $0x80 / svc #0 / ecall)
// with the number and one argument, and the trap handler calls
// syscall_dispatch.
#define SYS_BRK 1

// arch_syscall1 is the syscall stub: it traps into the kernel and answers
// the handler's result.
uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg);

// Atomic 64-bit add, for the allocator's byte counters.
void arch_atomic_add64(uint64_t *p, int64_t delta);

// This CPU's interrupt flag (x86 IF, arm CPSR.I), for the spinlock's
// push_off/pop_off and the tick. Every CPU turns interrupts on once its
// timer runs (tick_start); a spinlock's holder keeps them off.
uintptr_t arch_irq_save(void); // disable, answer the previous state
void arch_irq_restore(uintptr_t state);
void arch_irq_enable(void); // sti, cpsie i
int arch_irq_enabled(void); // are they on?

// ---- SMP and spinlocks ----
#define NCPU 8 // the most CPUs the kernel runs

// This CPU's id: 0 for the boot CPU, 1..NCPU-1 for the others, dense.
int arch_cpu_id(void);

// Start up to want-1 other CPUs (want counts the boot CPU), each on a stack
// of its own and with the kernel's traps and page tables, running mp_enter().
// Answers how many CPUs it started, the boot CPU included (their ids are
// 0..N-1), and sets *listed to how many the machine has as the firmware
// lists them (the ACPI MADT on x86; on arm, PSCI telling which ones
// started; on riscv64, the device tree's /cpus). Arch code need not wait
// for them to reach mp_enter: mp_start does, and panics if one never does.
int arch_start_cpus(int want, int *listed);

// Guarded memory: page 0 is unmapped, so a NULL dereference faults, and so
// is a guard page below every CPU's stack, whose overflow faults on a
// stack of its own (amd64 IST, an i386 task gate, arm's abort mode,
// riscv64's per-hart trap stack; there PMP denies the pages instead).
// arch_stack_guard answers which CPU's guard page holds addr, or -1; the
// trap code passes faults to fault_panic_named (kernel/fault.c).
int arch_stack_guard(uintptr_t addr);

// What every other CPU runs once started (kernel/mp.c); never returns.
void mp_enter(void) __attribute__((noreturn));

// The spinlock's atomic halves. trylock: one attempt with an acquire
// barrier (x86 xchg; arm ldrex/strex + dmb; riscv64 amoswap.w.aq), 1 if
// it took the lock. unlock: release barrier then store 0 (arm: dmb, str,
// dsb, sev; riscv64: amoswap.w.rl). wait: the polite pause between
// attempts (x86 pause; arm wfe; riscv64 pause).
int arch_spin_trylock(volatile uint32_t *word);
void arch_spin_unlock(volatile uint32_t *word);
void arch_spin_wait(void);

// A free-running counter for measuring spin time (x86 rdtsc; arm CNTVCT;
// riscv64 the time CSR), and the halting idle loop for CPUs with nothing
// left to do.
uint64_t arch_ticks(void);
uint64_t arch_ticks_hz(void); // arch_ticks per second (measured once on x86)
void arch_halt(void) __attribute__((noreturn));

// Called by the boot code once the machine is set up (stack, .bss cleared,
// traps installed, console ready): cmdline is the kernel command line (or
// ""), and trace/tracelen the trace handed to the image (or NULL, 0).
void kmain(const char *cmdline, const char *trace, size_t tracelen) __attribute__((noreturn));

// Portable trap handlers, called by the arch's trap entry: system calls,
// the timer's interrupt (kernel/tick.c), and an NMI on a port that takes
// one (x86: QEMU's inject-nmi raises LINT1 on every CPU), which lab 9's
// grader sends after seconds of a silent console (tools/imagerun.py):
// watchdog_nmi (kernel/watchdog.c) stops the machine `looped:`, naming
// each CPU's pc, or, finding the stress moving, says so and returns.
uintptr_t syscall_dispatch(uintptr_t num, uintptr_t arg);
void tick_interrupt(uintptr_t pc); // pc: where the interrupt came
void watchdog_nmi(uintptr_t pc);   // pc: where the NMI came, on this CPU

#endif
