// SPDX-License-Identifier: BSD-3-Clause
// Stand-in for xv6-riscv's kernel/param.h: the limits kalloc.c may see.
#define NPROC 64 // processes
#define NCPU  8	 // CPUs
