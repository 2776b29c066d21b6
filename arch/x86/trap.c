// The IDT and the C half of every trap (trapasm.S is the other): a system
// call goes to syscall_dispatch, a CPU exception ends the run via panic.
#include "x86.h"

#include "kernel.h"

static struct gatedesc idt[256];
extern const uintptr_t trap_vectors[T_NEXC]; // trapasm.S
extern char vector128[];		     // trapasm.S: the system call

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

// trap_init fills the IDT (exceptions 0..31 and the system call vector; the
// rest not present) and loads it.
void trap_init(void)
{
	int i;

	for (i = 0; i < T_NEXC; i++)
		gate_set(&idt[i], trap_vectors[i], SEG_KCODE, 0);
	gate_set(&idt[T_SYSCALL], (uintptr_t)vector128, SEG_KCODE, 3);
	trap_load();
}

// trap_load loads the IDT on this CPU; every CPU shares it.
void trap_load(void)
{
	struct x86_desc_ptr d = {sizeof idt - 1, (uintptr_t)idt};

	__asm__ volatile("lidt %0" : : "m"(d));
}

// trap_fault reports a CPU exception: the CPU, the vector and its name,
// the error code, the faulting address (CR2 for a page fault) and where it
// happened.
static void trap_fault(const struct trapframe *tf) __attribute__((noreturn));
static void trap_fault(const struct trapframe *tf)
{
	const char *name = tf->trapno < T_NEXC ? trap_names[tf->trapno] : "unexpected vector";
	int cpu = arch_cpu_id();

	if (tf->trapno == T_PGFLT)
		panic("cpu %d: trap %lu (%s), error 0x%lx, cr2 0x%lx, %s 0x%lx", cpu,
		      (unsigned long)tf->trapno, name, (unsigned long)tf->err,
		      (unsigned long)rcr2(), TF_PC_NAME, (unsigned long)TF_PC(tf));
	panic("cpu %d: trap %lu (%s), error 0x%lx, %s 0x%lx", cpu, (unsigned long)tf->trapno, name,
	      (unsigned long)tf->err, TF_PC_NAME, (unsigned long)TF_PC(tf));
}

// trap is called by alltraps for every vector with the saved registers.
void trap(struct trapframe *tf)
{
	if (tf->trapno == T_SYSCALL) {
		TF_SYSNUM(tf) = syscall_dispatch(TF_SYSNUM(tf), TF_SYSARG(tf));
		return;
	}
	trap_fault(tf);
}
