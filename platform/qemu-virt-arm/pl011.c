// SPDX-License-Identifier: BSD-3-Clause
// The virt board's console: the PL011 UART at 0x09000000, polled (no
// interrupts), transmit only.
#include <stdint.h>

#include "virt.h"

#define UART_DR	  0x00 // data
#define UART_FR	  0x18 // flags
#define UART_LCRH 0x2c // line control
#define UART_CR	  0x30 // control
#define UART_IMSC 0x38 // interrupt mask

#define FR_TXFF	   (1u << 5) // transmit FIFO full
#define LCRH_FEN   (1u << 4) // FIFOs on
#define LCRH_WLEN8 (3u << 5) // 8 data bits
#define CR_UARTEN  (1u << 0)
#define CR_TXE	   (1u << 8)
#define CR_RXE	   (1u << 9)

static inline volatile uint32_t *uart_reg(uintptr_t off)
{
	return (volatile uint32_t *)(VIRT_PL011_BASE + off);
}

// pl011_init sets 8N1 with FIFOs and enables the UART; the baud
// rate is whatever the firmware left (QEMU ignores it).
void pl011_init(void)
{
	*uart_reg(UART_CR) = 0;
	*uart_reg(UART_IMSC) = 0;
	*uart_reg(UART_LCRH) = LCRH_WLEN8 | LCRH_FEN;
	*uart_reg(UART_CR) = CR_UARTEN | CR_TXE | CR_RXE;
}

void platform_console_write(const char *s, size_t n)
{
	while (n-- > 0) {
		while (*uart_reg(UART_FR) & FR_TXFF)
			;
		*uart_reg(UART_DR) = (uint8_t)*s++;
	}
}
