// SPDX-License-Identifier: BSD-3-Clause
// Stand-in for xv6-riscv's kernel/riscv.h: the page size and rounding
// (xv6's also has the CSR accessors, which kalloc.c does not use).
typedef uint64 pte_t;
typedef uint64 *pagetable_t;

#define PGSIZE	       4096 // bytes a page
#define PGSHIFT	       12   // bits of offset within a page
#define PGROUNDUP(sz)  (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))
