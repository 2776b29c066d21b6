// SPDX-License-Identifier: BSD-3-Clause
// The riscv64 virt board's console: the NS16550A UART at 0x10000000,
// polled (no interrupts), transmit only. Its registers are bytes.
#include "virt.h"

#include "arch.h"

#define UART_THR 0 // transmit holding register (write)
#define UART_IER 1 // interrupt enable
#define UART_FCR 2 // FIFO control (write)
#define UART_LCR 3 // line control
#define UART_LSR 5 // line status

#define FCR_FIFO_ON  0x07 // enable, and clear both FIFOs
#define LCR_8N1	     0x03 // 8 data bits, no parity, one stop bit
#define LSR_TX_EMPTY 0x20 // THR empty: room for a byte

static inline volatile uint8_t *uart_reg(unsigned off)
{
	return (volatile uint8_t *)(VIRT_UART_BASE + off);
}

// virt_uart_init sets 8N1 with FIFOs and no interrupts; the baud rate is
// whatever reset left (QEMU ignores it).
void virt_uart_init(void)
{
	*uart_reg(UART_IER) = 0;
	*uart_reg(UART_LCR) = LCR_8N1;
	*uart_reg(UART_FCR) = FCR_FIFO_ON;
}

void platform_console_write(const char *s, size_t n)
{
	while (n-- > 0) {
		while (!(*uart_reg(UART_LSR) & LSR_TX_EMPTY))
			;
		*uart_reg(UART_THR) = (uint8_t)*s++;
	}
}
