// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM fault reports: what the vector stubs (vectors.S) call for an
// undefined instruction, an abort, an FIQ (never unmasked) or a stray svc.
// Each prints the mode, the faulting pc and address, the status registers
// and the interrupted registers, then ends the run through panic().
#include <stddef.h>

#include "arm.h"
#include "virt.h"

#include "kernel.h"

_Static_assert(offsetof(struct arm_trapframe, sp) == ARM_TF_SP, "ARM_TF_SP");
_Static_assert(offsetof(struct arm_trapframe, lr) == ARM_TF_LR, "ARM_TF_LR");
_Static_assert(offsetof(struct arm_trapframe, pc) == ARM_TF_PC, "ARM_TF_PC");
_Static_assert(offsetof(struct arm_trapframe, spsr) == ARM_TF_SPSR, "ARM_TF_SPSR");
_Static_assert(sizeof(struct arm_trapframe) == ARM_TF_SIZE, "ARM_TF_SIZE");

static const char *const trap_kind_names[] = {
    [ARM_TRAP_UNDEF] = "undefined instruction", // vector 0x04
    [ARM_TRAP_PABORT] = "prefetch abort",	// 0x0c
    [ARM_TRAP_DABORT] = "data abort",		// 0x10
    [ARM_TRAP_HYP] = "reserved vector 0x14",	// 0x14
    [ARM_TRAP_FIQ] = "unexpected fiq",		// 0x1c: FIQs stay masked
    [ARM_TRAP_SVC] = "bad svc",			// 0x08, an svc not the brk call's
};

// trap_mode_name names the processor mode in a PSR.
static const char *trap_mode_name(uint32_t psr)
{
	static const char *const names[32] = {
	    [ARM_MODE_USR] = "usr", [ARM_MODE_FIQ] = "fiq", [ARM_MODE_IRQ] = "irq",
	    [ARM_MODE_SVC] = "svc", [ARM_MODE_MON] = "mon", [ARM_MODE_ABT] = "abt",
	    [ARM_MODE_HYP] = "hyp", [ARM_MODE_UND] = "und", [ARM_MODE_SYS] = "sys",
	};
	const char *name = names[psr & ARM_MODE_MASK];

	return name != NULL ? name : "?";
}

// trap_fsr_name decodes the status of a short-descriptor DFSR or IFSR,
// whose FS field is bits {10, 3:0} (ARM ARM B4.1.52).
static const char *trap_fsr_name(uint32_t fsr)
{
	static const char *const names[32] = {
	    [0x01] = "alignment fault",
	    [0x02] = "debug event",
	    [0x03] = "access flag fault, section",
	    [0x04] = "cache maintenance fault",
	    [0x05] = "translation fault, section",
	    [0x06] = "access flag fault, page",
	    [0x07] = "translation fault, page",
	    [0x08] = "synchronous external abort",
	    [0x09] = "domain fault, section",
	    [0x0b] = "domain fault, page",
	    [0x0c] = "external abort on table walk, level 1",
	    [0x0d] = "permission fault, section",
	    [0x0e] = "external abort on table walk, level 2",
	    [0x0f] = "permission fault, page",
	    [0x10] = "TLB conflict abort",
	    [0x16] = "asynchronous external abort",
	};
	const char *name = names[((fsr >> 6) & 0x10) | (fsr & 0xf)];

	return name != NULL ? name : "unknown fault status";
}

// trap_fix_pc turns the return address the exception left in tf->pc into
// the address of the instruction that trapped (ARM ARM B1.8.3).
static void trap_fix_pc(struct arm_trapframe *tf, int kind)
{
	int thumb = (tf->spsr & ARM_PSR_T) != 0;

	if (kind == ARM_TRAP_DABORT)
		tf->pc -= 8;
	else if (kind == ARM_TRAP_UNDEF || kind == ARM_TRAP_SVC)
		tf->pc -= thumb ? 2 : 4;
	else
		tf->pc -= 4;
}

// trap_svc_imm answers the immediate of the svc at tf->pc.
static uint32_t trap_svc_imm(const struct arm_trapframe *tf)
{
	if (tf->spsr & ARM_PSR_T)
		return *(const uint16_t *)tf->pc & 0xff;
	return *(const uint32_t *)tf->pc & 0xffffff;
}

// trap_print_regs prints the interrupted registers, four to a line.
static void trap_print_regs(const struct arm_trapframe *tf)
{
	static const char *const names[] = {"r0", "r1", "r2",  "r3", "r4",  "r5", "r6", "r7",
					    "r8", "r9", "r10", "fp", "r12", "sp", "lr", "pc"};
	const uint32_t *r = tf->r; // r0-r12, sp, lr, pc are consecutive
	int i;

	for (i = 0; i < 16; i += 4)
		kprintf_nolock("trap:  %-3s %08lx  %-3s %08lx  %-3s %08lx  %-3s %08lx\n", names[i],
			       (unsigned long)r[i], names[i + 1], (unsigned long)r[i + 1],
			       names[i + 2], (unsigned long)r[i + 2], names[i + 3],
			       (unsigned long)r[i + 3]);
}

// trap_print_insn prints the instruction at tf->pc, in the state it ran in.
static void trap_print_insn(const struct arm_trapframe *tf)
{
	if (tf->spsr & ARM_PSR_T)
		kprintf_nolock("trap: instruction %04x (thumb)\n", *(const uint16_t *)tf->pc);
	else
		kprintf_nolock("trap: instruction %08lx (arm)\n",
			       (unsigned long)*(const uint32_t *)tf->pc);
}

// trap_report prints what the fault was and where: for aborts the
// faulting address and status register, for all the pc and PSR.
static void trap_report(const struct arm_trapframe *tf, int kind, const char *what)
{
	uint32_t dfsr = ARM_CP15_READ(c5, c0, 0), dfar = ARM_CP15_READ(c6, c0, 0);
	uint32_t ifsr = ARM_CP15_READ(c5, c0, 1), ifar = ARM_CP15_READ(c6, c0, 2);

	kprintf_nolock("trap: %s in %s mode on cpu %d at pc %08lx, spsr %08lx\n", what,
		       trap_mode_name(tf->spsr), arch_cpu_id(), (unsigned long)tf->pc,
		       (unsigned long)tf->spsr);
	if (kind == ARM_TRAP_DABORT)
		kprintf_nolock("trap: %s address %08lx, dfsr %08lx: %s%s\n",
			       dfsr & (1 << 11) ? "write" : "read", (unsigned long)dfar,
			       (unsigned long)dfsr, trap_fsr_name(dfsr),
			       dfsr & (1 << 12) ? " (external)" : "");
	if (kind == ARM_TRAP_PABORT)
		kprintf_nolock("trap: fetch address %08lx, ifsr %08lx: %s\n", (unsigned long)ifar,
			       (unsigned long)ifsr, trap_fsr_name(ifsr));
	if (kind == ARM_TRAP_UNDEF || kind == ARM_TRAP_SVC)
		trap_print_insn(tf);
	trap_print_regs(tf);
}

// arm_trap_fault: see arm.h. A semihosting call that trapped (QEMU's
// semihosting is off) halts instead, since panic would exit the same way.
void arm_trap_fault(struct arm_trapframe *tf, int kind)
{
	static const char again[] = "trap: fault while reporting a fault\n# heaplab: exit 120\n";
	const char *what = trap_kind_names[kind];

	_Static_assert(EXIT_PANIC == 120, "the exit line in again[]");
	trap_fix_pc(tf, kind);
	if (kind == ARM_TRAP_SVC && trap_svc_imm(tf) == ARM_SVC_SEMIHOST)
		virt_semihosting_off("arm");
	if (mycpu()->arch.trap_depth++ > 0) { // a second fault while reporting one
		platform_console_write(again, sizeof again - 1);
		platform_exit(EXIT_PANIC);
	}
	trap_report(tf, kind, what);
	if (kind == ARM_TRAP_DABORT)
		fault_panic_named(ARM_CP15_READ(c6, c0, 0),
				  ARM_CP15_READ(c5, c0, 0) & (1 << 11) ? "write" : "read", tf->pc);
	if (kind == ARM_TRAP_PABORT)
		fault_panic_named(ARM_CP15_READ(c6, c0, 2), "fetch", tf->pc);
	if (kind == ARM_TRAP_SVC && (tf->spsr & ARM_MODE_MASK) == ARM_MODE_SVC)
		panic("svc in svc mode at pc %08lx: the outer lr_svc and spsr_svc are lost",
		      (unsigned long)tf->pc);
	if (kind == ARM_TRAP_DABORT)
		panic("%s at pc %08lx, address %08lx", what, (unsigned long)tf->pc,
		      (unsigned long)ARM_CP15_READ(c6, c0, 0));
	panic("%s at pc %08lx", what, (unsigned long)tf->pc);
}
