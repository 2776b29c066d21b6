// SPDX-License-Identifier: BSD-3-Clause
// The PC's board services: ending the run through QEMU's isa-debug-exit
// device, and masking the legacy 8259 PICs.
#include "x86.h"

#include "pc.h"

#define DEBUG_EXIT_PORT 0xf4 // -device isa-debug-exit,iobase=0xf4,iosize=0x04
#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1

// platform_exit makes QEMU exit with status (status << 1) | 1. Without the
// device the write does nothing, and the CPU halts for good.
void platform_exit(int status)
{
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

// pic_disable masks every line of both 8259 PICs: heaplab takes no device
// interrupts, and their default vectors would collide with exceptions.
void pic_disable(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
