// SPDX-License-Identifier: BSD-3-Clause
// riscv64 traps (trapasm.S saves the frame): the brk system call's ecall
// and the machine timer's interrupt (the tick), handled and returned from,
// and everything else, which is a fault here: it prints the cause, the pc,
// mtval and the interrupted registers, then ends the run through panic().
#include <stddef.h>

#include "riscv.h"
#include "virt.h"

#include "kernel.h"

_Static_assert(offsetof(struct riscv_trapframe, epc) == TF_EPC, "TF_EPC");
_Static_assert(offsetof(struct riscv_trapframe, cause) == TF_CAUSE, "TF_CAUSE");
_Static_assert(offsetof(struct riscv_trapframe, tval) == TF_TVAL, "TF_TVAL");
_Static_assert(offsetof(struct riscv_trapframe, status) == TF_STATUS, "TF_STATUS");
_Static_assert(offsetof(struct riscv_trapframe, scratch) == TF_SCRATCH, "TF_SCRATCH");
_Static_assert(sizeof(struct riscv_trapframe) == TF_SIZE, "TF_SIZE");
_Static_assert(TF_SIZE % 16 == 0, "the frame keeps sp 16-byte aligned");

// trap_cause_name names an exception cause.
static const char *trap_cause_name(uint64_t cause)
{
	static const char *const names[] = {
	    [CAUSE_FETCH_MISALIGNED] = "instruction address misaligned",
	    [CAUSE_FETCH_ACCESS] = "instruction access fault",
	    [CAUSE_ILLEGAL] = "illegal instruction",
	    [CAUSE_BREAKPOINT] = "breakpoint",
	    [CAUSE_LOAD_MISALIGNED] = "load address misaligned",
	    [CAUSE_LOAD_ACCESS] = "load access fault",
	    [CAUSE_STORE_MISALIGNED] = "store address misaligned",
	    [CAUSE_STORE_ACCESS] = "store access fault",
	    [CAUSE_ECALL_U] = "ecall from U-mode",
	    [CAUSE_ECALL_S] = "ecall from S-mode",
	    [CAUSE_FETCH_PAGE] = "instruction page fault",
	    [CAUSE_LOAD_PAGE] = "load page fault",
	    [CAUSE_STORE_PAGE] = "store page fault",
	};

	if (cause & MCAUSE_INTR)
		return "unexpected interrupt";
	if (cause < sizeof names / sizeof names[0] && names[cause] != NULL)
		return names[cause];
	return "unknown exception";
}

// trap_access answers how a memory fault accessed its address ("read",
// "write" or "fetch"), or NULL when the cause is not a memory fault.
static const char *trap_access(uint64_t cause)
{
	switch (cause) {
	case CAUSE_FETCH_ACCESS:
	case CAUSE_FETCH_PAGE:
		return "fetch";
	case CAUSE_LOAD_ACCESS:
	case CAUSE_LOAD_PAGE:
		return "read";
	case CAUSE_STORE_ACCESS:
	case CAUSE_STORE_PAGE:
		return "write";
	default:
		return NULL;
	}
}

// trap_print_regs prints the interrupted registers by their ABI names,
// four to a line.
static void trap_print_regs(const struct riscv_trapframe *tf)
{
	static const char *const names[32] = {
	    "pc", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
	    "a1", "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
	    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};
	uint64_t r[32];
	int i;

	for (i = 0; i < 32; i++)
		r[i] = i == 0 ? tf->epc : tf->x[i]; // x0 is always 0: show the pc there
	for (i = 0; i < 32; i += 4)
		kprintf_nolock("trap:  %-3s %016lx  %-3s %016lx  %-3s %016lx  %-3s %016lx\n",
			       names[i], (unsigned long)r[i], names[i + 1], (unsigned long)r[i + 1],
			       names[i + 2], (unsigned long)r[i + 2], names[i + 3],
			       (unsigned long)r[i + 3]);
}

// trap_fault reports a fault and ends the run, naming a NULL dereference
// or a stack overflow when the address says it is one.
static void trap_fault(struct riscv_trapframe *tf) __attribute__((noreturn));
static void trap_fault(struct riscv_trapframe *tf)
{
	static const char again[] = "trap: fault while reporting a fault\n# heaplab: exit 120\n";
	const char *what = trap_cause_name(tf->cause), *how = trap_access(tf->cause);

	_Static_assert(EXIT_PANIC == 120, "the exit line in again[]");
	if (mycpu()->arch.trap_depth++ > 0) { // a second fault while reporting one
		platform_console_write(again, sizeof again - 1);
		platform_exit(EXIT_PANIC);
	}
	kprintf_nolock("trap: %s on cpu %d at pc %016lx, mcause %#lx, mtval %016lx, mstatus %#lx\n",
		       what, arch_cpu_id(), (unsigned long)tf->epc, (unsigned long)tf->cause,
		       (unsigned long)tf->tval, (unsigned long)tf->status);
	trap_print_regs(tf);
	if (how != NULL) {
		fault_panic_named(tf->tval, how, tf->epc);
		panic("%s at pc %#lx: %s of address %#lx", what, (unsigned long)tf->epc, how,
		      (unsigned long)tf->tval);
	}
	panic("%s at pc %#lx", what, (unsigned long)tf->epc);
}

// riscv_trap: see riscv.h. The ecall is four bytes (it has no compressed
// form), so the call returns to the instruction after it; an interrupt
// returns to the instruction it came before.
void riscv_trap(struct riscv_trapframe *tf)
{
	if (tf->cause == CAUSE_ECALL_M) {
		tf->x[REG_A0] = syscall_dispatch(tf->x[REG_A7], tf->x[REG_A0]);
		tf->epc += 4;
		return;
	}
	if (tf->cause == (MCAUSE_INTR | IRQ_MTIMER)) {
		virt_timer_irq(tf->epc);
		return;
	}
	trap_fault(tf);
}
