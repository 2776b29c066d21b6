// SPDX-License-Identifier: BSD-3-Clause
// 64-bit ARM multiprocessing: which CPU this is, and starting the others
// with PSCI CPU_ON (the board's psci_start_cpus) at arm64_secondary
// (boot/arm64/start.S), which gives each its own stacks, the vectors and
// the boot CPU's page tables, then mp_enter.
#include "arm64.h"

#include "kernel.h"
#include "virt.h"

_Static_assert(ARM64_NCPU == NCPU, "boot/arm64/start.S reserves stacks for ARM64_NCPU CPUs");

// arch_cpu_id reads MPIDR_EL1's Aff0: QEMU virt numbers CPU n's Aff0 n,
// with Aff1 (the cluster) 0 for the first 8, so the ids are dense from 0,
// the boot CPU. start.S picks each CPU's stacks by the same field.
int arch_cpu_id(void)
{
	return (int)(ARM64_MRS(mpidr_el1) & ARM64_MPIDR_AFF0);
}

// arch_start_cpus: see arch/arch.h. The board's PSCI starts them
// (psci_start_cpus), each at arm64_secondary with its id in x0, and says
// which ones it started.
int arch_start_cpus(int want, int *listed)
{
	return *listed = psci_start_cpus(want, (uintptr_t)arm64_secondary);
}
