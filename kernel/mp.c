// SPDX-License-Identifier: BSD-3-Clause
// Bringing up the other CPUs and running the stress test on all of them.
// The boot CPU starts the others (arch_start_cpus), waits until every one
// it started has reached mp_enter (MP_UP_MS at most, then it panics), opens
// the gate to that many, runs its own share and waits for theirs.
#include "kmem.h"

#define MP_UP_MS 10000 // how long a started CPU may take to reach mp_enter

static volatile int ncpu_up = 1;       // CPUs in the kernel (the boot CPU counts)
static volatile int gate;	       // set once every CPU is up: how many run the stress
static volatile int ndone;	       // CPUs that finished their share
unsigned long mp_late_ms;	       // mplate=MS: CPU 1 is that late (a test of the wait)
unsigned long mp_wait_ms = MP_UP_MS;   // mpwait=MS: mp_start's bound (a shorter test)
static void (*volatile mp_task)(void); // what CPU 1 runs instead of the stress (mp_run_cpu1)
static void (*volatile mp_share)(int); // each CPU's share, stress_cpu unless mp_stress_with says

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
	tick_start();
	if (id == 1 && mp_late_ms > 0)
		delay_ms(mp_late_ms);
	__atomic_add_fetch(&ncpu_up, 1, __ATOMIC_ACQ_REL);
	wait_for(&gate, 1, ~0ul);
	if (id >= gate) // started, given up on by arch code, and woken late
		arch_halt();
	if (id == 1 && mp_task != NULL)
		mp_task();
	else if (mp_share != NULL)
		mp_share(id);
	else
		stress_cpu(id);
	__atomic_add_fetch(&ndone, 1, __ATOMIC_ACQ_REL);
	// Its ticks watch the CPUs still in the stress (kernel/watchdog.c), one
	// of which may loop with interrupts off, where no tick of its own comes.
	while (watchdog_watching() > 0)
		arch_spin_wait();
	arch_halt();
}

int mp_cpus_up(void)
{
	return __atomic_load_n(&ncpu_up, __ATOMIC_ACQUIRE);
}

// mp_wait_up waits until the started CPUs (the boot CPU counts) have all
// reached mp_enter, and panics naming how many did not within mp_wait_ms
// (MP_UP_MS unless the kernel option mpwait=MS says otherwise).
static int mp_wait_up(int started)
{
	uint64_t t0 = arch_ticks(), bound = arch_ticks_hz() / 1000 * mp_wait_ms;
	int up;

	while ((up = __atomic_load_n(&ncpu_up, __ATOMIC_ACQUIRE)) < started)
		if (arch_ticks() - t0 > bound)
			panic("mp: %d CPUs started, but only %d reached the kernel within %lu ms",
			      started, up, mp_wait_ms);
	return started;
}

// mp_start starts the other CPUs and answers how many are up, printing
// the `N CPUs up` line. want is the number QEMU was given.
int mp_start(int want)
{
	int i, listed = 1, up;

	for (i = 0; i < NCPU; i++)
		cpus[i].id = i;
	lockstat_hz = arch_ticks_hz(); // measured now (x86), before other CPUs ask for it
	if (want > NCPU) {
		kprintf("# mp: %d CPUs asked, the kernel runs at most %d\n", want, NCPU);
		want = NCPU;
	}
	up = mp_wait_up(want > 1 ? arch_start_cpus(want, &listed) : 1);
	kprintf("%d CPUs up (%d asked, the firmware lists %d)\n", up, want, listed);
	return up;
}

// mp_stress runs the stress on every CPU that is up, the boot CPU too, and
// waits until all have finished.
void mp_stress(int up)
{
	__atomic_store_n(&gate, up, __ATOMIC_RELEASE);
	stress_cpu(0);
	if (wait_for(&ndone, up - 1, ~0ul) < up - 1)
		panic("mp: only %d of %d CPUs finished the stress", ndone + 1, up);
}

// mp_stress_with runs fn(cpu) on every CPU that is up instead of the
// stress (the page stress, kernel/pagestress.c), and waits for them all.
void mp_stress_with(int up, void (*fn)(int))
{
	mp_share = fn;
	__atomic_store_n(&gate, up, __ATOMIC_RELEASE);
	fn(0);
	if (wait_for(&ndone, up - 1, ~0ul) < up - 1)
		panic("mp: only %d of %d CPUs finished their share", ndone + 1, up);
}

// mp_run_cpu1 starts one other CPU and has it run fn (on its own stack,
// above its own guard page) instead of the stress, then waits for it; the
// self-test's faults on a CPU other than the boot CPU use it. Answers 0
// once fn has returned, or -1 if there is no second CPU (QEMU given one).
int mp_run_cpu1(void (*fn)(void))
{
	if (mp_start(2) < 2)
		return -1;
	mp_task = fn;
	__atomic_store_n(&gate, 2, __ATOMIC_RELEASE);
	wait_for(&ndone, 1, ~0ul);
	return 0;
}
