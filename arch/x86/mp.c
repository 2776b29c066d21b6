// SPDX-License-Identifier: BSD-3-Clause
// x86 multiprocessing: which CPU this is, and starting the others. The
// ACPI MADT lists the CPUs (acpi.c); the boot CPU starts them one at a
// time with INIT, startup, startup through its local APIC (lapic.c), at
// the real-mode trampoline (boot/x86/trampoline.S) copied to
// X86_TRAMPOLINE. That reaches protected mode and the boot entry's
// ap_entry (entry32.S; entry64.S goes on to long mode with the boot page
// tables), which takes the stack set aside here and calls x86_ap_start.
//
// Ids: the boot CPU is 0, the MADT's other CPUs 1, 2, ... in its order;
// cpus[id].arch.apicid is each one's APIC id. Each CPU's %gs points at its own
// struct cpu (percpu.c), so arch_cpu_id is a single load.
//
// Handshake: the boot CPU writes the next CPU's id and stack top into
// mp_ap_id and mp_ap_stack, sends the IPIs, and waits (MP_CHECKIN_MS at most)
// until that CPU has taken them and set mp_ap_up to its id before it
// starts the next one.
#include <string.h>

#include "x86.h"

#include "kernel.h"
#include "pc.h"

#define MP_CHECKIN_MS 5000 // how long a started CPU may take to check in

// Each other CPU's stack, above its guard page (mmu.c unmaps it).
static char mp_stacks[NCPU - 1][GUARD_SIZE + AP_STACK_SIZE] __attribute__((aligned(4096)));
extern char boot_stack_guard[]; // boot/x86/stack.S
volatile int mp_ap_id;		// the CPU being started (x86_ap_start reads it)
uintptr_t mp_ap_stack;		// its stack's top (ap_entry loads it)
static volatile int mp_ap_up;	// the last CPU that checked in

extern const char x86_trampoline[], x86_trampoline_end[]; // trampoline.S

// arch_cpu_id: see arch/arch.h.
int arch_cpu_id(void)
{
	int id;

	__asm__ volatile("movl %%gs:0, %0" : "=r"(id));
	return id;
}

// x86_guard_page answers where the guard page below CPU id's stack is.
uintptr_t x86_guard_page(int id)
{
	return id == 0 ? (uintptr_t)boot_stack_guard : (uintptr_t)mp_stacks[id - 1];
}

// x86_cpu_init makes this CPU CPU id: %gs points at cpus[id].
void x86_cpu_init(int id)
{
	cpus[id].id = id;
	percpu_load(&cpus[id]);
}

// mp_apicid answers this CPU's initial APIC id (CPUID leaf 1).
static uint32_t mp_apicid(void)
{
	uint32_t r[4];

	cpuid(1, r);
	return r[1] >> 24;
}

// x86_ap_start is every other CPU's first C code, on its own stack with
// the kernel's GDT and page tables; it loads the IDT and checks in.
void x86_ap_start(void)
{
	int id = mp_ap_id;

	x86_mmu_enable();
	x86_cpu_init(id);
	x86_tss_init(id);
	trap_load();
	lapic_cpu_init();
	if (mp_apicid() != cpus[id].arch.apicid)
		panic("mp: cpu %d woke with APIC id %lu, the MADT said %lu", id,
		      (unsigned long)mp_apicid(), (unsigned long)cpus[id].arch.apicid);
	__atomic_store_n(&mp_ap_up, id, __ATOMIC_RELEASE);
	mp_enter();
}

// mp_start_ap starts CPU id, INIT then two startup IPIs with the delays
// Intel's MP specification asks for, and answers 0 once it checked in, or
// -1 if it did not.
static int mp_start_ap(int id)
{
	uint32_t apicid = cpus[id].arch.apicid;
	int ms;

	mp_ap_id = id;
	mp_ap_stack = (uintptr_t)mp_stacks[id - 1] + GUARD_SIZE + AP_STACK_SIZE;
	lapic_ipi_init(apicid);
	pit_delay_us(10000);
	lapic_ipi_startup(apicid, X86_TRAMPOLINE >> 12);
	pit_delay_us(200);
	lapic_ipi_startup(apicid, X86_TRAMPOLINE >> 12);
	pit_delay_us(200);
	for (ms = 0; ms < MP_CHECKIN_MS; ms++) {
		if (__atomic_load_n(&mp_ap_up, __ATOMIC_ACQUIRE) == id)
			return 0;
		pit_delay_us(1000);
	}
	return -1;
}

// mp_number gives the n CPUs of apicids their ids: the boot CPU 0, the
// others 1.. in the MADT's order. Answers how many it numbered.
static int mp_number(const uint32_t *apicids, int n)
{
	int i, have = 1, boot_listed = 0;

	cpus[0].arch.apicid = mp_apicid();
	for (i = 0; i < n; i++)
		if (apicids[i] == cpus[0].arch.apicid)
			boot_listed = 1;
		else if (have < NCPU)
			cpus[have++].arch.apicid = apicids[i];
	if (!boot_listed)
		kprintf("# x86: the boot CPU's APIC id %lu is not in the MADT\n",
			(unsigned long)cpus[0].arch.apicid);
	return have;
}

// mp_lapic_base answers where the boot CPU's local APIC is, as the
// IA32_APIC_BASE MSR said (lapic.c; the MADT should agree), or 0 if it is
// off.
static uintptr_t mp_lapic_base(uintptr_t madt_base)
{
	uintptr_t base = lapic_base();

	if (base != 0 && base != madt_base)
		kprintf("# x86: the MADT puts the local APIC at %#lx, the CPU at %#lx\n",
			(unsigned long)madt_base, (unsigned long)base);
	return base;
}

// arch_start_cpus: see arch/arch.h. The CPUs past the first that does
// not check in are not started, so the ids stay dense.
int arch_start_cpus(int want, int *listed)
{
	uint32_t apicids[NCPU];
	uintptr_t madt_base = 0;
	int n = acpi_madt_cpus(apicids, NCPU, &madt_base), have, id;

	*listed = n > 0 ? n : 1;
	if (n == 0 || mp_lapic_base(madt_base) == 0)
		return 1;
	have = mp_number(apicids, n < NCPU ? n : NCPU);
	memcpy((void *)X86_TRAMPOLINE, x86_trampoline, x86_trampoline_end - x86_trampoline);
	for (id = 1; id < want && id < have; id++)
		if (mp_start_ap(id) < 0) {
			kprintf("# x86: cpu %d (APIC id %lu) did not check in within %d ms\n", id,
				(unsigned long)cpus[id].arch.apicid, MP_CHECKIN_MS);
			break;
		}
	return id;
}
