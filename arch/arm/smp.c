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

// arch_start_cpus: see arch/arch.h. CPU i's MPIDR is i (Aff0, as above);
// the context id handed to arm_secondary's r0 is i too. The first CPU that
// PSCI refuses ends the loop, so the ids of the CPUs started stay dense
// (QEMU answers INVALID_PARAMETERS for CPUs past its -smp count). PSCI
// answers before the CPU runs: the boot CPU does not wait for it here.
int arch_start_cpus(int want, int *listed)
{
	int cpu, st;

	if (want > NCPU)
		want = NCPU;
	for (cpu = 1; cpu < want; cpu++) {
		st = psci_cpu_on((uintptr_t)cpu, (uintptr_t)arm_secondary, (uintptr_t)cpu);
		if (st != PSCI_SUCCESS) {
			kprintf("# arm: PSCI CPU_ON of cpu %d failed: %d (%s)\n", cpu, st,
				psci_error(st));
			break;
		}
	}
	*listed = cpu;
	return cpu;
}
