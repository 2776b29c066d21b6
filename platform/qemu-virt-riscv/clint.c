// The riscv64 virt board's CLINT (SiFive's core-local interruptor, which
// QEMU models as an ACLINT): one 32-bit msip register per hart, whose bit 0
// is that hart's machine software interrupt, the inter-hart signal that
// wakes a hart waiting in wfi (arch/riscv64/smp.c); and mtime, the clock
// the time CSR reads.
#include "virt.h"

#define CLINT_MSIP(h) (VIRT_CLINT_BASE + 4ul * (unsigned)(h))

uint64_t virt_timebase_hz = 10000000; // QEMU's ACLINT default, until the tree says

void virt_ipi_send(int h)
{
	__asm__ volatile("fence w, o" ::: "memory"); // the release before the signal
	*(volatile uint32_t *)CLINT_MSIP(h) = 1;
}

void virt_ipi_clear(int h)
{
	*(volatile uint32_t *)CLINT_MSIP(h) = 0;
}
