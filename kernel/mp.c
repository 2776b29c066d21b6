// Bringing up the other CPUs and running the stress test on all of them.
// The boot CPU starts the others (arch_start_cpus), counts the ones that
// reach mp_enter, opens the gate, runs its own share and waits for theirs.
#include "kmem.h"

static volatile int ncpu_up = 1; // CPUs in the kernel (the boot CPU counts)
static volatile int gate;	 // set once every CPU is up: start the stress
static volatile int ndone;	 // CPUs that finished their share

// wait_for spins (without a lock) until *v reaches want or the bound runs
// out; answers the last value seen.
static int wait_for(volatile int *v, int want, unsigned long bound)
{
	int x;

	while ((x = __atomic_load_n(v, __ATOMIC_ACQUIRE)) < want && bound-- > 0)
		__asm__ volatile("" ::: "memory");
	return x;
}

void mp_enter(void)
{
	int id = arch_cpu_id();

	cpus[id].id = id;
	__atomic_add_fetch(&ncpu_up, 1, __ATOMIC_ACQ_REL);
	wait_for(&gate, 1, ~0ul);
	stress_cpu(id);
	__atomic_add_fetch(&ndone, 1, __ATOMIC_ACQ_REL);
	arch_halt();
}

// mp_start starts the other CPUs and answers how many are up, printing
// the `N CPUs up` line. want is the number QEMU was given.
int mp_start(int want)
{
	int i, have, up;

	for (i = 0; i < NCPU; i++)
		cpus[i].id = i;
	if (want > NCPU) {
		kprintf("# mp: %d CPUs asked, the kernel runs at most %d\n", want, NCPU);
		want = NCPU;
	}
	have = want > 1 ? arch_start_cpus(want) : 1;
	up = wait_for(&ncpu_up, want, 1ul << 30);
	kprintf("%d CPUs up (%d asked, the firmware lists %d)\n", up, want, have);
	return up;
}

// mp_stress runs the stress on every CPU that is up, the boot CPU too, and
// waits until all have finished.
void mp_stress(int up)
{
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	stress_cpu(0);
	if (wait_for(&ndone, up - 1, ~0ul) < up - 1)
		panic("mp: only %d of %d CPUs finished the stress", ndone + 1, up);
}
