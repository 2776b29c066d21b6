// SPDX-License-Identifier: BSD-3-Clause
// The x86 console: COM1 (the 16550 UART at 0x3f8), 115200 8N1, polled,
// interrupts off. QEMU connects it to stdio.
#include "x86.h"

#include "pc.h"

#define COM1	 0x3f8
#define UART_THR 0 // transmit holding register (DLAB=0)
#define UART_DLL 0 // divisor latch, low byte (DLAB=1)
#define UART_IER 1 // interrupt enable (DLAB=0)
#define UART_DLM 1 // divisor latch, high byte (DLAB=1)
#define UART_FCR 2 // FIFO control
#define UART_LCR 3 // line control
#define UART_MCR 4 // modem control
#define UART_LSR 5 // line status
#define LCR_8N1	 0x03
#define LCR_DLAB 0x80
#define LSR_THRE 0x20 // transmit holding register empty

// serial_init programs COM1 for 115200 baud (divisor 1), 8N1, FIFOs on.
void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0xc7); // enable, clear both, 14-byte threshold
	outb(COM1 + UART_MCR, 0x03); // DTR, RTS; OUT2 off: no interrupts
}

// platform_console_write sends the n bytes at s as they are (no \r added).
void platform_console_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		while ((inb(COM1 + UART_LSR) & LSR_THRE) == 0)
			;
		outb(COM1 + UART_THR, (uint8_t)s[i]);
	}
}
