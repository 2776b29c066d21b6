// SPDX-License-Identifier: BSD-3-Clause
// The GICv2 of QEMU virt ("arm,cortex-a15-gic" in its device tree: the
// distributor at 0x08000000, the CPU interfaces at 0x08010000), as far as
// the tick needs it: the virtual timer's PPI enabled on every CPU, and
// virt_irq, where the IRQ exception goes (arch/arm/vectors.S), which
// takes the interrupt, runs its handler and ends it.
#include "virt.h"

#include "kernel.h"

#define GICD_CTLR	0x000 // distributor: forwarding on
#define GICD_ISENABLER	0x100 // set-enable bits; the first word (SGIs, PPIs) per CPU
#define GICD_IPRIORITYR 0x400 // a byte per interrupt; the first 32 per CPU
#define GICC_CTLR	0x000 // CPU interface: signalling on
#define GICC_PMR	0x004 // priority mask: lets in what is more urgent
#define GICC_IAR	0x00c // acknowledge: answers the interrupt taken
#define GICC_EOIR	0x010 // end of interrupt: write back what IAR answered
#define GIC_SPURIOUS	1023  // IAR's "nothing pending"
#define GIC_PRIO_TICK	0xa0
#define VIRT_TIMER_PPI	27 // the device tree's /timer: PPI 11, the virtual timer

static volatile uint32_t *gic_reg(uintptr_t base, uint32_t off)
{
	return (volatile uint32_t *)(base + off);
}

// gic_cpu_init enables the timer's PPI on this CPU, at GIC_PRIO_TICK, and
// this CPU's interface; the boot CPU first turns the distributor on.
static void gic_cpu_init(void)
{
	volatile uint8_t *prio = (volatile uint8_t *)(VIRT_GICD_BASE + GICD_IPRIORITYR);

	if (arch_cpu_id() == 0)
		*gic_reg(VIRT_GICD_BASE, GICD_CTLR) = 1;
	prio[VIRT_TIMER_PPI] = GIC_PRIO_TICK;
	*gic_reg(VIRT_GICD_BASE, GICD_ISENABLER) = 1u << VIRT_TIMER_PPI;
	*gic_reg(VIRT_GICC_BASE, GICC_PMR) = 0xff;
	*gic_reg(VIRT_GICC_BASE, GICC_CTLR) = 1;
}

// platform_timer_start: see platform/platform.h. Each CPU's generic timer raises
// its own copy of the PPI.
void platform_timer_start(unsigned hz)
{
	gic_cpu_init();
	arm_timer_start(hz);
}

// virt_irq is the IRQ exception's handler, on the IRQ mode's stack with
// interrupts off, for an interrupt that came at pc: acknowledge, handle, end.
void virt_irq(uintptr_t pc)
{
	uint32_t iar = *gic_reg(VIRT_GICC_BASE, GICC_IAR), id = iar & 0x3ff;

	if (id == GIC_SPURIOUS)
		return;
	if (id != VIRT_TIMER_PPI)
		panic("gic: unexpected interrupt %lu", (unsigned long)id);
	arm_timer_irq(pc);
	*gic_reg(VIRT_GICC_BASE, GICC_EOIR) = iar;
}
