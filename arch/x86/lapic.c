// SPDX-License-Identifier: BSD-3-Clause
// The local APIC, through its registers in memory (0xfee00000 under QEMU,
// in the last GiB below 4 GiB that mmu.c maps uncached), where each CPU
// sees its own: turning it on on every CPU, its timer (the tick's source,
// which platform/pc/timer.c runs), the end of an interrupt, and the INIT
// and startup IPIs that start the other CPUs.
#include "x86.h"

#include "kernel.h"

#define LAPIC_ID       0x020 // this CPU's APIC id, in bits 31..24
#define LAPIC_TPR      0x080 // task priority: 0 lets every vector in
#define LAPIC_EOI      0x0b0 // end of interrupt: write 0
#define LAPIC_SVR      0x0f0 // spurious-interrupt vector register
#define LAPIC_ICRLO    0x300 // interrupt command, low word: writing it sends
#define LAPIC_ICRHI    0x310 // interrupt command, high word: the destination
#define LAPIC_TIMER    0x320 // the timer's local vector table entry
#define LAPIC_LINT0    0x350 // the LINT0 pin's entry (the 8259s, in a PC)
#define LAPIC_LINT1    0x360 // the LINT1 pin's entry (NMI, in a PC)
#define LAPIC_TICR     0x380 // the timer's initial count
#define LAPIC_TCCR     0x390 // the timer's current count
#define LAPIC_TDCR     0x3e0 // the timer's divider
#define SVR_ENABLE     0x100 // the APIC's software enable
#define LVT_DM_NMI     0x400 // a local vector table entry's delivery mode: NMI
#define TDCR_DIV16     0x3   // the timer counts at the bus clock / 16
#define ICR_INIT       0x500
#define ICR_STARTUP    0x600
#define ICR_PENDING    0x1000 // delivery status: the IPI is not sent yet
#define ICR_ASSERT     0x4000
#define ICR_LEVEL      0x8000
#define ICR_SEND_BOUND (1ul << 20) // status reads before giving up

static volatile uint32_t *lapic;

static uint32_t lapic_read(uint32_t reg)
{
	return lapic[reg / 4];
}

// lapic_write writes reg, then reads the id register so that the write
// is done before anything after it.
static void lapic_write(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
	(void)lapic[LAPIC_ID / 4];
}

// lapic_init finds the boot CPU's local APIC through the IA32_APIC_BASE
// MSR and turns it on (lapic_cpu_init); without one (the MSR says it is
// off) it says so, and there is no timer and no other CPU.
void lapic_init(void)
{
	uint64_t msr = rdmsr(MSR_APIC_BASE);

	if (!(msr & APIC_BASE_EN)) {
		kprintf("# x86: the local APIC is disabled (IA32_APIC_BASE %#llx)\n",
			(unsigned long long)msr);
		return;
	}
	lapic = (volatile uint32_t *)(uintptr_t)(msr & 0xfffff000u);
	lapic_cpu_init();
}

// lapic_base answers where the local APICs are, or 0 if there is none.
uintptr_t lapic_base(void)
{
	return (uintptr_t)lapic;
}

// lapic_cpu_init software-enables this CPU's local APIC, with spurious
// interrupts on T_SPURIOUS, LINT0 masked (the 8259s stay out), LINT1 an
// NMI (QEMU's inject-nmi raises it on every CPU: the grader's way in when
// every CPU loops with interrupts off, kernel/watchdog.c) and every
// priority let in.
void lapic_cpu_init(void)
{
	lapic_write(LAPIC_SVR, SVR_ENABLE | T_SPURIOUS);
	lapic_write(LAPIC_LINT0, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_LINT1, LVT_DM_NMI);
	lapic_write(LAPIC_TPR, 0);
}

// lapic_timer_set programs this CPU's timer: entry lvt (a vector, or
// LAPIC_LVT_MASKED; LAPIC_LVT_PERIODIC to reload), counting down from
// count at the bus clock / 16. Count 0 stops it.
void lapic_timer_set(uint32_t lvt, uint32_t count)
{
	lapic_write(LAPIC_TDCR, TDCR_DIV16);
	lapic_write(LAPIC_TIMER, lvt);
	lapic_write(LAPIC_TICR, count);
}

// lapic_timer_left answers the timer's current count.
uint32_t lapic_timer_left(void)
{
	return lapic_read(LAPIC_TCCR);
}

// lapic_eoi ends the interrupt this CPU is handling.
void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

// lapic_ipi sends the IPI icr to the CPU whose APIC id is apicid and waits
// until the APIC has sent it.
static void lapic_ipi(uint32_t apicid, uint32_t icr)
{
	unsigned long n;

	lapic_write(LAPIC_ICRHI, apicid << 24);
	lapic_write(LAPIC_ICRLO, icr);
	for (n = 0; lapic_read(LAPIC_ICRLO) & ICR_PENDING; n++)
		if (n > ICR_SEND_BOUND)
			panic("lapic: IPI %#lx to APIC %lu never left", (unsigned long)icr,
			      (unsigned long)apicid);
}

// lapic_ipi_init resets the CPU apicid into its wait for a startup IPI:
// INIT asserted, then deasserted.
void lapic_ipi_init(uint32_t apicid)
{
	lapic_ipi(apicid, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	lapic_ipi(apicid, ICR_INIT | ICR_LEVEL);
}

// lapic_ipi_startup starts the CPU apicid in real mode at page << 12.
void lapic_ipi_startup(uint32_t apicid, uint32_t page)
{
	lapic_ipi(apicid, ICR_STARTUP | page);
}
