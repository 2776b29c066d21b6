// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM's firmware call (ARM DEN 0028, SMCCC): function id in r0,
// arguments in r1-r3, the answer in r0. The firmware may clobber r1-r3;
// it keeps the rest.
#include "arm.h"
#include "virt.h"

intptr_t arm_smccc(int smc, uintptr_t fn, uintptr_t a1, uintptr_t a2, uintptr_t a3)
{
	register uint32_t r0 __asm__("r0") = fn;
	register uint32_t r1 __asm__("r1") = a1;
	register uint32_t r2 __asm__("r2") = a2;
	register uint32_t r3 __asm__("r3") = a3;

	if (smc)
		__asm__ volatile(".arch_extension sec\n\tsmc #0"
				 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory");
	else
		__asm__ volatile(".arch_extension virt\n\thvc #0"
				 : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)::"memory");
	return (int32_t)r0;
}
