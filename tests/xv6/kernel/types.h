// SPDX-License-Identifier: BSD-3-Clause
// Stand-in for xv6-riscv's kernel/types.h (the names it defines, as xv6
// defines them), so that examples/xv6/kalloc.c compiles here as in xv6.
typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;

typedef uint64 pde_t;
