// SPDX-License-Identifier: BSD-3-Clause
// Delays on the PIT's channel 2 (the speaker's, gated through port 0x61),
// which counts at 1.193182 MHz whatever the CPU's speed and needs no
// interrupt: in mode 0 its output, readable as port 0x61 bit 5, goes high
// when the count runs out. Starting the other CPUs needs only these waits.
#include "x86.h"

#include "pc.h"

#include "kernel.h"

#define PIT_HZ	       1193182u
#define PIT_CH2	       0x42
#define PIT_CMD	       0x43
#define PIT_CH2_MODE0  0xb0 // channel 2, low byte then high byte, mode 0, binary
#define PORTB	       0x61
#define PORTB_GATE2    0x01	   // channel 2 counts while set
#define PORTB_SPEAKER  0x02	   // channel 2 drives the speaker: kept off
#define PORTB_OUT2     0x20	   // channel 2's output
#define PIT_CHUNK_US   50000u	   // the most one count of 16 bits can wait
#define PIT_POLL_BOUND (1ul << 24) // reads of port 0x61 before giving up

// pit_wait counts count ticks down on channel 2 and waits for the end.
static void pit_wait(uint32_t count)
{
	unsigned long n;

	outb(PORTB, (inb(PORTB) & ~PORTB_SPEAKER) | PORTB_GATE2);
	outb(PIT_CMD, PIT_CH2_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, (count >> 8) & 0xff);
	for (n = 0; !(inb(PORTB) & PORTB_OUT2); n++)
		if (n > PIT_POLL_BOUND)
			panic("pit: channel 2 never ended a count of %lu ticks",
			      (unsigned long)count);
}

// pit_delay_us waits at least us microseconds.
void pit_delay_us(uint32_t us)
{
	uint32_t chunk;

	while (us > 0) {
		chunk = us < PIT_CHUNK_US ? us : PIT_CHUNK_US;
		pit_wait((uint32_t)((uint64_t)chunk * PIT_HZ / 1000000u) + 1);
		us -= chunk;
	}
}
