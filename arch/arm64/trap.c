// SPDX-License-Identifier: BSD-3-Clause
// 64-bit ARM traps: arm64_trap, which every vector stub (vectors.S) calls,
// serves the brk system call and the IRQ (the tick, through the board's
// GIC code), and reports everything else (an abort, an undefined
// instruction, an FIQ or SError (never unmasked), a trap from a level
// heaplab never runs at): the exception and where it was taken, the
// syndrome decoded, the faulting address, the interrupted registers; then
// the run ends through panic(), which names a NULL dereference or a stack
// overflow when the address says it is one.
#include <stddef.h>
#include <stdio.h>

#include "arm64.h"

#include "kernel.h"
#include "virt.h"

_Static_assert(offsetof(struct arm64_trapframe, x[30]) == ARM64_TF_X30, "ARM64_TF_X30");
_Static_assert(offsetof(struct arm64_trapframe, sp) == ARM64_TF_SP, "ARM64_TF_SP");
_Static_assert(offsetof(struct arm64_trapframe, pc) == ARM64_TF_PC, "ARM64_TF_PC");
_Static_assert(offsetof(struct arm64_trapframe, pstate) == ARM64_TF_PSTATE, "ARM64_TF_PSTATE");
_Static_assert(offsetof(struct arm64_trapframe, esr) == ARM64_TF_ESR, "ARM64_TF_ESR");
_Static_assert(offsetof(struct arm64_trapframe, far) == ARM64_TF_FAR, "ARM64_TF_FAR");
_Static_assert(offsetof(struct arm64_trapframe, q) == ARM64_TF_Q, "ARM64_TF_Q");
_Static_assert(offsetof(struct arm64_trapframe, fpsr) == ARM64_TF_FPSR, "ARM64_TF_FPSR");
_Static_assert(offsetof(struct arm64_trapframe, fpcr) == ARM64_TF_FPCR, "ARM64_TF_FPCR");
_Static_assert(sizeof(struct arm64_trapframe) == ARM64_TF_SIZE, "ARM64_TF_SIZE");
_Static_assert(ARM64_TF_SIZE % 16 == 0, "sp stays 16-byte aligned");

// trap_kind_name names the vector's exception type (kind's low two bits).
static const char *trap_kind_name(int kind)
{
	static const char *const names[] = {"synchronous exception", "unexpected irq",
					    "unexpected fiq", "SError"};

	return names[kind & 3];
}

// trap_where says where the exception was taken from (kind's group).
static const char *trap_where(int kind)
{
	static const char *const names[] = {"in the kernel (EL1 on SP_EL0)",
					    "in a trap handler (EL1 on SP_EL1)",
					    "from EL0 (AArch64), which heaplab never runs",
					    "from EL0 (AArch32), which heaplab never runs"};

	return names[(kind >> 2) & 3];
}

// trap_ec_name names a synchronous exception's class (ESR_EL1.EC).
static const char *trap_ec_name(uint64_t esr)
{
	static const char *const names[64] = {
	    [ARM64_EC_UNKNOWN] = "undefined instruction",
	    [ARM64_EC_FP] = "FP/SIMD access trapped",
	    [ARM64_EC_ILLEGAL] = "illegal execution state",
	    [ARM64_EC_SVC64] = "bad svc",
	    [ARM64_EC_HVC64] = "hvc",
	    [ARM64_EC_SMC64] = "smc",
	    [ARM64_EC_SYS64] = "trapped system register access",
	    [ARM64_EC_IABT_LOW] = "instruction abort from EL0",
	    [ARM64_EC_IABT_CUR] = "instruction abort",
	    [ARM64_EC_PC_ALIGN] = "pc alignment fault",
	    [ARM64_EC_DABT_LOW] = "data abort from EL0",
	    [ARM64_EC_DABT_CUR] = "data abort",
	    [ARM64_EC_SP_ALIGN] = "sp alignment fault",
	    [ARM64_EC_SERROR] = "SError",
	    [ARM64_EC_BRK64] = "brk instruction",
	};
	const char *name = names[ARM64_ESR_EC(esr)];

	return name != NULL ? name : "exception of an unexpected class";
}

// trap_fsc_name decodes an abort's fault status code (ISS.DFSC/IFSC); the
// four kinds of MMU fault carry the table level in their low two bits.
static const char *trap_fsc_name(uint32_t fsc, int *level)
{
	static const char *const mmu[] = {"address size fault", "translation fault",
					  "access flag fault", "permission fault"};

	*level = -1;
	if (fsc < 0x10) {
		*level = (int)(fsc & 3);
		return mmu[fsc >> 2];
	}
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	default:
		return "unknown fault status";
	}
}

// trap_is_abort answers whether the frame is an abort with a valid FAR,
// and how it accessed: "read", "write" or "fetch".
static int trap_is_abort(const struct arm64_trapframe *tf, int kind, const char **how)
{
	uint64_t ec = ARM64_ESR_EC(tf->esr), iss = ARM64_ESR_ISS(tf->esr);

	if ((kind & 3) != ARM64_TRAP_SYNC || (iss & ARM64_ISS_FNV))
		return 0;
	if (ec == ARM64_EC_DABT_CUR || ec == ARM64_EC_DABT_LOW)
		*how = iss & ARM64_ISS_WNR ? "write" : "read";
	else if (ec == ARM64_EC_IABT_CUR || ec == ARM64_EC_IABT_LOW)
		*how = "fetch";
	else
		return 0;
	return 1;
}

// trap_reg_name names register i of the frame's run x0-x30, sp, pc.
static const char *trap_reg_name(int i, char buf[4])
{
	if (i == 31)
		return "sp";
	if (i == 32)
		return "pc";
	snprintf(buf, 4, "x%d", i);
	return buf;
}

// trap_print_regs prints the interrupted registers, three to a line.
static void trap_print_regs(const struct arm64_trapframe *tf)
{
	const uint64_t *r = tf->x; // x0-x30, then sp and pc: 33 in a row
	char a[4], b[4], c[4];
	int i;

	for (i = 0; i < 33; i += 3)
		kprintf_nolock("trap:  %-3s %016lx  %-3s %016lx  %-3s %016lx\n",
			       trap_reg_name(i, a), (unsigned long)r[i], trap_reg_name(i + 1, b),
			       (unsigned long)r[i + 1], trap_reg_name(i + 2, c),
			       (unsigned long)r[i + 2]);
}

// trap_report prints what the exception was and where: the syndrome, for
// aborts the address and the fault, for undefined instructions the
// instruction, and the registers.
static void trap_report(const struct arm64_trapframe *tf, int kind, const char *what)
{
	uint64_t iss = ARM64_ESR_ISS(tf->esr);
	const char *how, *fault;
	int level;

	kprintf_nolock("trap: %s %s on cpu %d at pc %016lx, pstate %08lx, esr %08lx\n", what,
		       trap_where(kind), arch_cpu_id(), (unsigned long)tf->pc,
		       (unsigned long)tf->pstate, (unsigned long)tf->esr);
	if (trap_is_abort(tf, kind, &how)) {
		fault = trap_fsc_name(ARM64_ISS_FSC(iss), &level);
		if (level >= 0)
			kprintf_nolock("trap: %s address %016lx: %s, level %d\n", how,
				       (unsigned long)tf->far, fault, level);
		else
			kprintf_nolock("trap: %s address %016lx: %s\n", how, (unsigned long)tf->far,
				       fault);
	}
	if ((kind & 3) == ARM64_TRAP_SYNC && ARM64_ESR_EC(tf->esr) == ARM64_EC_UNKNOWN)
		kprintf_nolock("trap: instruction %08lx\n",
			       (unsigned long)*(const uint32_t *)tf->pc);
	trap_print_regs(tf);
}

// trap_fault reports a trap that is not the system call and ends the run.
// A semihosting call that trapped (QEMU's semihosting is off) halts
// instead, since panic would exit the same way.
static void trap_fault(struct arm64_trapframe *tf, int kind) __attribute__((noreturn));
static void trap_fault(struct arm64_trapframe *tf, int kind)
{
	static const char again[] = "trap: fault while reporting a fault\n# heaplab: exit 120\n";
	int sync = (kind & 3) == ARM64_TRAP_SYNC;
	const char *what = sync ? trap_ec_name(tf->esr) : trap_kind_name(kind), *how;

	_Static_assert(EXIT_PANIC == 120, "the exit line in again[]");
	if (sync && ARM64_ESR_EC(tf->esr) == ARM64_EC_UNKNOWN &&
	    *(const uint32_t *)tf->pc == ARM64_INSN_HLT_SEMIHOST)
		virt_semihosting_off("arm64");
	if (mycpu()->arch.trap_depth++ > 0) { // a second fault while reporting one
		platform_console_write(again, sizeof again - 1);
		platform_exit(EXIT_PANIC);
	}
	if (sync && ARM64_ESR_EC(tf->esr) == ARM64_EC_SVC64)
		tf->pc -= 4; // ELR points past the svc
	trap_report(tf, kind, what);
	if (trap_is_abort(tf, kind, &how)) {
		fault_panic_named(tf->far, how, tf->pc);
		panic("%s %s at pc %#lx, address %#lx", what, trap_where(kind),
		      (unsigned long)tf->pc, (unsigned long)tf->far);
	}
	panic("%s %s at pc %#lx", what, trap_where(kind), (unsigned long)tf->pc);
}

// arm64_trap: see arm64.h. The system call is `svc #0` from the kernel
// (EL1 on SP_EL0); an svc with another immediate is a fault. IRQs come
// only there too: every trap masks them until its eret.
void arm64_trap(struct arm64_trapframe *tf, int kind)
{
	if (kind == ARM64_TRAP_SYNC && ARM64_ESR_EC(tf->esr) == ARM64_EC_SVC64 &&
	    (ARM64_ESR_ISS(tf->esr) & 0xffff) == ARM64_SVC_SYSCALL) {
		tf->x[0] = syscall_dispatch(tf->x[0], tf->x[1]);
		return;
	}
	if (kind == ARM64_TRAP_IRQ) {
		virt_irq(tf->pc);
		return;
	}
	trap_fault(tf, kind);
}
