// SPDX-License-Identifier: BSD-3-Clause
// The 64-bit ARM entry points: QEMU's -kernel jumps to _start, at the
// start of the image, on the boot CPU; PSCI CPU_ON starts every other CPU
// at arm64_secondary. Both come with the MMU off and do the least they
// can before C runs.
//
// Which exception level: QEMU's virt machine starts a -kernel image at
// EL1, or at EL2 with -M virt,virtualization=on (PSCI's CPU_ON starts the
// others at the level the boot CPU started at). heaplab runs at EL1, the
// level of an operating system's kernel, from either: there an `svc` is
// taken to EL1 itself, at VBAR_EL1, so the brk system call lands in
// heaplab's own vectors (arch/arm64/vectors.S), while PSCI's `hvc` (or
// `smc`) goes to the firmware, which QEMU plays itself. The 32-bit port
// runs at PL1 too.
#include "arm64.h"

// The EL2 registers leave_el2 sets, as the architecture names their bits.
#define HCR_RW		(1 << 31)  // HCR_EL2: EL1 is AArch64
#define CNTHCTL_EL1PC	0x3	   // CNTHCTL_EL2: EL1 may use the physical counter and timer
#define CPTR_EL2_NOTRAP 0x33ff	   // RES1 bits only: FP/SIMD is not trapped to EL2
#define SCTLR_EL1_RESET 0x30d00800 // RES1 bits only: MMU and caches off
#define CPACR_FPEN	(3 << 20)  // CPACR_EL1: FP/SIMD at EL1 is not trapped

// leave_el2: if the CPU is at EL2, make EL1 AArch64 and untrapped and drop
// to it, on SP_EL1 with every exception masked. Clobbers x9.
.macro leave_el2
	mrs	x9, CurrentEL
	cmp	x9, #ARM64_CURRENTEL_EL2
	b.ne	1f
	mov	x9, #HCR_RW
	msr	hcr_el2, x9
	mov	x9, #CNTHCTL_EL1PC
	msr	cnthctl_el2, x9
	msr	cntvoff_el2, xzr
	mov	x9, #CPTR_EL2_NOTRAP
	msr	cptr_el2, x9
	ldr	x9, =SCTLR_EL1_RESET
	msr	sctlr_el1, x9
	mov	x9, #(ARM64_PSR_DAIF | ARM64_PSR_EL1H)
	msr	spsr_el2, x9
	adr	x9, 1f
	msr	elr_el2, x9
	eret
1:	msr	daifset, #0xf
.endm

// set_cpu: the vectors, FP/SIMD on (newlib's memcpy and memset use the
// vector registers; the only trap that returns, the svc, is a function
// call: see vectors.S), then this CPU's two stacks,
// and the kernel's own, SP_EL0, selected. The CPU's id is MPIDR_EL1.Aff0,
// as arch_cpu_id reads it; a CPU beyond the ARM64_NCPU sets of stacks
// parks. Clobbers x9-x11.
.macro set_cpu
	ldr	x9, =arm64_vectors
	msr	vbar_el1, x9
	mov	x9, #CPACR_FPEN
	msr	cpacr_el1, x9
	isb
	mrs	x9, mpidr_el1
	and	x9, x9, #ARM64_MPIDR_AFF0
	cmp	x9, #ARM64_NCPU
	b.hs	arm64_cpu_park
	add	x9, x9, #1		// stacks grow down from the slot's top
	ldr	x10, =arm64_stack_trap
	mov	x11, #ARM64_TRAP_STACK_SIZE
	madd	x10, x9, x11, x10
	mov	sp, x10			// SP_EL1: still selected after reset
	ldr	x10, =arm64_stack_kern
	ldr	x11, =ARM64_STACK_SLOT
	madd	x10, x9, x11, x10
	msr	sp_el0, x10
	msr	spsel, #0		// from here on sp is SP_EL0
.endm

	.section .text.boot, "ax"
	.global _start
	.type	_start, %function
_start:
	.cfi_startproc
	.cfi_undefined x30		// the outermost frame, for gdb
	msr	daifset, #0xf
	leave_el2
	set_cpu

	// Clear .bss (linker/arm64.ld aligns both ends to 16 bytes).
	ldr	x9, =__bss_start
	ldr	x10, =__bss_end
2:	cmp	x9, x10
	b.hs	3f
	stp	xzr, xzr, [x9], #16
	b	2b

	// The MMU, then C; fp = lr = 0 ends gdb's backtraces here.
3:	mov	x29, #0
	mov	x30, #0
	bl	arm64_mmu_init
	bl	arm64_start
	b	arm64_cpu_park
	.cfi_endproc
	.size	_start, . - _start

// arm64_secondary: where PSCI CPU_ON starts the other CPUs (smp.c), at its
// physical address with the MMU off and x0 = the context id (the CPU's id,
// unused: MPIDR_EL1 says it too). The same steps as _start's, but the
// boot CPU has already cleared .bss and built the page tables, so this CPU
// only turns the MMU and caches on with them, then runs mp_enter. Until
// then it reads nothing the boot CPU wrote with its caches on.
	.global arm64_secondary
	.type	arm64_secondary, %function
arm64_secondary:
	.cfi_startproc
	.cfi_undefined x30
	msr	daifset, #0xf
	leave_el2
	set_cpu
	mov	x29, #0
	mov	x30, #0
	bl	arm64_mmu_enable
	bl	mp_enter
	b	arm64_cpu_park
	.cfi_endproc
	.size	arm64_secondary, . - arm64_secondary

// arm64_cpu_park: where a CPU with nowhere to go waits, interrupts off.
	.type	arm64_cpu_park, %function
arm64_cpu_park:
	msr	daifset, #0xf
4:	wfi
	b	4b
	.size	arm64_cpu_park, . - arm64_cpu_park

	.ltorg

// The stacks: ARM64_NCPU of each kind, CPU i's at [BASE + i * SIZE,
// BASE + (i + 1) * SIZE). The kernel stacks' slots are page-aligned and
// start with the guard page that arch/arm64/mmu.c leaves unmapped.
// linker/arm64.ld places the section after .bss; nothing clears it.
	.section .stack, "aw", %nobits
	.balign	16
	.global	arm64_stack_trap, arm64_stack_kern, arm64_stack_end
arm64_stack_trap:	.space	ARM64_NCPU * ARM64_TRAP_STACK_SIZE
	.balign	ARM64_GUARD_SIZE
arm64_stack_kern:	.space	ARM64_NCPU * ARM64_STACK_SLOT
arm64_stack_end:
