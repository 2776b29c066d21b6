// SPDX-License-Identifier: BSD-3-Clause
// Stand-in for xv6-riscv's kernel/memlayout.h: RAM for the kernel and its
// pages runs from KERNBASE (where QEMU's -kernel loads it) to PHYSTOP.
#define KERNBASE 0x80000000L
#define PHYSTOP	 (KERNBASE + 128 * 1024 * 1024)
