// The boot CPU's local APIC, through its registers in memory (0xfee00000
// under QEMU, in the last GiB below 4 GiB that mmu.c maps uncached):
// turning it on, and the INIT and startup IPIs that start
// the other CPUs. Interrupts stay off on every CPU, so no vector is set up.
#include "x86.h"

#include "kernel.h"

#define LAPIC_ID       0x020 // this CPU's APIC id, in bits 31..24
#define LAPIC_SVR      0x0f0 // spurious-interrupt vector register
#define LAPIC_ICRLO    0x300 // interrupt command, low word: writing it sends
#define LAPIC_ICRHI    0x310 // interrupt command, high word: the destination
#define SVR_ENABLE     0x100 // the APIC's software enable
#define SVR_VECTOR     0xff  // spurious vector (never delivered: IF stays 0)
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

// lapic_init takes the APIC's registers at base and software-enables it.
void lapic_init(uintptr_t base)
{
	lapic = (volatile uint32_t *)base;
	lapic_write(LAPIC_SVR, SVR_ENABLE | SVR_VECTOR);
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
