// SPDX-License-Identifier: BSD-3-Clause
// Stand-in for xv6-riscv's kernel/spinlock.h: the lock, with its holder
// recorded for debugging.
struct spinlock {
	uint locked;	 // held?
	char *name;	 // for debugging
	struct cpu *cpu; // the holder
};
