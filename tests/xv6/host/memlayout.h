// SPDX-License-Identifier: BSD-3-Clause
// The host harness's memlayout.h (tests/xv6/harness.c): its RAM is an
// array, `end` (kalloc.c's `extern char end[]`), and PHYSTOP its end, left
// unaligned on purpose, as kinit must cope with any [end, PHYSTOP).
#define XV6_RAM (300 * 4096 + 1000) // bytes of the harness's `end` array
#define PHYSTOP ((uint64)end + XV6_RAM)
