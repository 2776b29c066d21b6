// SPDX-License-Identifier: BSD-3-Clause
// 32-bit ARM multiprocessing: which CPU this is, and starting the others
// with PSCI CPU_ON at arm_secondary (boot/arm/start.S), which gives each
// its own stacks, the vectors and the boot CPU's page table, then mp_enter.
#include "arm.h"
#include "virt.h"

#include "kernel.h"

_Static_assert(ARM_NCPU == NCPU, "boot/arm/start.S reserves stacks for ARM_NCPU CPUs");

// arch_cpu_id reads MPIDR's Aff0: QEMU virt numbers CPU n's Aff0 n, with
// Aff1 (the cluster) 0 for the first 8, so the ids are dense from 0, the
// boot CPU. start.S picks each CPU's stacks by the same field.
int arch_cpu_id(void)
{
	return (int)(ARM_CP15_READ(c0, c0, 5) & ARM_MPIDR_AFF0);
}

// arch_start_cpus: see arch/arch.h. The board's PSCI starts them
// (psci_start_cpus), each at arm_secondary with its id in r0, and says which
// ones it started.
int arch_start_cpus(int want, int *listed)
{
	return *listed = psci_start_cpus(want, (uintptr_t)arm_secondary);
}
