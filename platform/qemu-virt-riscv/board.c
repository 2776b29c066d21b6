// SPDX-License-Identifier: BSD-3-Clause
// The riscv64 virt board's exit: the test device (QEMU's sifive_test at
// 0x100000), whose one register ends the run when written: 0x5555 passes
// (QEMU exits 0), (code << 16) | 0x3333 fails with code (QEMU exits code).
#include "virt.h"

#include "arch.h"

#define TEST_PASS 0x5555u
#define TEST_FAIL 0x3333u

void platform_exit(int status)
{
	volatile uint32_t *test = (volatile uint32_t *)VIRT_TEST_BASE;

	*test = status == 0 ? TEST_PASS : ((uint32_t)status & 0xffff) << 16 | TEST_FAIL;
	for (;;)
		__asm__ volatile("wfi");
}
