// SPDX-License-Identifier: BSD-3-Clause
// The riscv64 trap entry (mtvec, direct mode): every trap, the brk system
// call's ecall and the faults alike, saves the interrupted context as a
// struct riscv_trapframe on this hart's trap stack and calls riscv_trap
// (trap.c); a trap that riscv_trap returns from resumes where the frame
// says.
//
// The trap stack: mscratch holds its top while the hart runs outside a
// trap, and 0 while it handles one. Swapping sp with mscratch therefore
// gives the trap stack on a first trap, even when sp itself is what broke
// (an overflow into the guard page), and 0 on a trap taken inside the
// handler, which then swaps back and stays on the trap stack below the
// frame it is handling. The frame's scratch word is what mscratch gets
// back when the trap returns.
#include "riscv.h"

	.text
	.balign	4
	.global	riscv_trap_entry
riscv_trap_entry:
	csrrw	sp, mscratch, sp	// sp: the trap stack; mscratch: the interrupted sp
	beqz	sp, 1f
	addi	sp, sp, -TF_SIZE
	sd	t0, TF_X(5)(sp)
	csrrw	t0, mscratch, zero	// the interrupted sp; mscratch 0 until the return
	sd	t0, TF_X(2)(sp)
	addi	t0, sp, TF_SIZE
	sd	t0, TF_SCRATCH(sp)
	j	riscv_trap_save
1:	csrrw	sp, mscratch, sp	// a trap in a trap: back on the trap stack, mscratch 0
	addi	sp, sp, -TF_SIZE
	sd	t0, TF_X(5)(sp)
	addi	t0, sp, TF_SIZE
	sd	t0, TF_X(2)(sp)
	sd	zero, TF_SCRATCH(sp)
	j	riscv_trap_save

// riscv_trap_save: the frame's sp, t0 and scratch are set; save the rest
// and call riscv_trap, then restore everything from the frame and mret.
// The CFI lets gdb unwind from riscv_trap, syscall_dispatch or panic into
// the code that trapped: every register is in the frame, and the return
// column is mepc (DWARF's CSR numbers start at 4096).
riscv_trap_save:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_def_cfa sp, 0
	.cfi_return_column 4096 + 0x341
	.cfi_offset 4096 + 0x341, TF_EPC
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.cfi_offset x\n, TF_X(\n)
	.endr
	.irp	n, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, TF_X(\n)(sp)
	.endr
	csrr	t0, mepc
	sd	t0, TF_EPC(sp)
	csrr	t0, mcause
	sd	t0, TF_CAUSE(sp)
	csrr	t0, mtval
	sd	t0, TF_TVAL(sp)
	csrr	t0, mstatus
	sd	t0, TF_STATUS(sp)
	mv	a0, sp
	call	riscv_trap

	ld	t0, TF_EPC(sp)
	csrw	mepc, t0
	ld	t0, TF_STATUS(sp)	// MPP and MPIE as the trap found them
	csrw	mstatus, t0
	ld	t0, TF_SCRATCH(sp)
	csrw	mscratch, t0
	.irp	n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	x\n, TF_X(\n)(sp)
	.endr
	ld	sp, TF_X(2)(sp)
	mret
	.cfi_endproc
