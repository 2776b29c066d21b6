// SPDX-License-Identifier: BSD-3-Clause
// riscv64 multiprocessing. With -bios none QEMU starts every hart at once
// at _start (boot/riscv64/start.S); all but hart 0 wait in riscv_secondary
// until arch_start_cpus releases them, then run mp_enter. A waiting hart
// sleeps in wfi with only the machine software interrupt enabled (mie.MSIE,
// with mstatus.MIE off, so no trap is taken), and the boot hart wakes it
// through the CLINT's msip.
#include "riscv.h"
#include "virt.h"

#include "kernel.h"

_Static_assert(RISCV_NCPU == NCPU, "boot/riscv64/start.S reserves stacks for RISCV_NCPU harts");

// Harts below this number may run (hart 0 always does). It lives in .data,
// not .bss: the other harts read it while hart 0 may still be clearing .bss.
static int smp_released = 1;

// riscv_secondary: see riscv.h. The msip that woke this hart is lowered
// before it goes on, so that nothing is left pending.
void riscv_secondary(void)
{
	int h = arch_cpu_id();

	CSR_WRITE(mie, MIE_MSIE);
	while (h >= __atomic_load_n(&smp_released, __ATOMIC_ACQUIRE))
		__asm__ volatile("wfi");
	virt_ipi_clear(h);
	CSR_WRITE(mie, 0);
	mp_enter();
}

// arch_start_cpus: see arch/arch.h. The harts the device tree lists are
// all waiting already: the first want of them (ids 0..want-1) are released
// at once, and mp_start waits for them to arrive.
int arch_start_cpus(int want, int *listed)
{
	int h, n = want < virt_harts ? want : virt_harts;

	if (n > NCPU)
		n = NCPU;
	*listed = virt_harts;
	__atomic_store_n(&smp_released, n, __ATOMIC_RELEASE);
	for (h = 1; h < n; h++)
		virt_ipi_send(h);
	return n;
}
