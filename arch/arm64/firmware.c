// SPDX-License-Identifier: BSD-3-Clause
// The two instructions the virt board's code (platform/qemu-virt-arm)
// needs from the 64-bit CPU: the semihosting trap and the firmware call.
#include "arm64.h"

#include "virt.h"

// arm_semihost traps with `hlt #0xf000` (A64), which QEMU answers itself
// when started with -semihosting-config enable=on: the call number in w0,
// its argument block in x1, the answer in x0. QEMU allows the call from
// EL1, where heaplab runs.
uintptr_t arm_semihost(uintptr_t op, const void *arg)
{
	register uintptr_t x0 __asm__("x0") = op;
	register const void *x1 __asm__("x1") = arg;

	__asm__ volatile("hlt %[imm]"
			 : "+r"(x0)
			 : "r"(x1), [imm] "i"(ARM64_HLT_SEMIHOST)
			 : "memory");
	return x0;
}

// arm_smccc makes firmware call fn (ARM DEN 0028, SMCCC) with arguments
// a1-a3 in x1-x3 through `hvc #0` (to EL2, where QEMU's PSCI answers on
// plain virt) or `smc #0` (with -M virt,virtualization=on, where QEMU
// plays the secure monitor), and answers x0. The firmware may clobber
// x0-x17; it keeps the rest.
intptr_t arm_smccc(int smc, uintptr_t fn, uintptr_t a1, uintptr_t a2, uintptr_t a3)
{
	register uintptr_t x0 __asm__("x0") = fn;
	register uintptr_t x1 __asm__("x1") = a1;
	register uintptr_t x2 __asm__("x2") = a2;
	register uintptr_t x3 __asm__("x3") = a3;

	if (smc)
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	return (intptr_t)x0;
}
