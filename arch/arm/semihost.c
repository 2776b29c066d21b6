// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM semihosting: the debugger-call interface QEMU implements,
// which the virt board uses to end the run with a status (board.c).
#include "arm.h"
#include "virt.h"

// arm_semihost traps with `svc 0x123456` (A32), which QEMU answers itself
// when started with -semihosting-config enable=on; r0 carries the answer.
uintptr_t arm_semihost(uintptr_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("svc %[imm]" : "+r"(r0) : "r"(r1), [imm] "i"(ARM_SVC_SEMIHOST) : "memory");
	return r0;
}
