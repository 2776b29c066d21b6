// SPDX-License-Identifier: BSD-3-Clause
// The kernel's side of the allocator: its heaplab_ops and small helpers that
// the self-test, the demo and the trace mode share.
#ifndef HEAPLAB_KMEM_H
#define HEAPLAB_KMEM_H

#include <stdio.h>

#include "../include/heaplab.h"
#include "../runtime/sys.h"
#include "kernel.h"

extern const struct heaplab_ops kmem_ops;
extern int kmem_index;

void kmem_init(void);
void kmem_pool_init(struct heaplab_pool *pool, struct spinlock *lk, uintptr_t start, uintptr_t end,
		    uintptr_t page);
uintptr_t kmem_free_bytes(struct heaplab_pool *pool, int *nblocks);
void kmem_print_list(struct heaplab_pool *pool, uintptr_t base);
int kmem_set_checking(struct heaplab_pool *pool, int on);

// The objects layer's heap, malloc's in the image (kernel/kobj.c).
struct hobj_heap;
extern struct heaplab_pool kobj_pool;
extern struct hobj_heap kobj_heap;
extern uintptr_t kobj_brk_bytes;
void kobj_init(void);
void kobj_check_or_fail(void);
void kobj_mark(void);
int kobj_set_checking(int on);
int kobj_set_caching(int on);
uintptr_t kobj_stash_flush(void);
void kobj_stash_report(void);

// Entry points of the three things the image can run.
int selftest_run(const char *only); // NULL: every case not marked alone
int mp_start(int want);
extern unsigned long mp_late_ms; // mplate=MS (kernel/mp.c)
extern unsigned long mp_wait_ms; // mpwait=MS (kernel/mp.c)
void mp_stress(int up);
void mp_stress_with(int up, void (*fn)(int));
int pagestress(int up, int pcp); // kernel pagestress (kernel/pagestress.c)
int mp_run_cpu1(void (*fn)(void));
void stress_cpu(int cpu);
int stress_report(int up, uintptr_t inuse0, uint64_t stat0, uintptr_t objs0);
void demo_run(void);
int trace_run(const char *trace, size_t len, uintptr_t heap, uintptr_t page, int check, int exact);
uintptr_t trace_pool(uintptr_t heap, uintptr_t page);
int trace_bench(const char *trace, size_t len, uintptr_t heap, uintptr_t page);
int irq_bench(void); // kernel irqbench (kernel/irqbench.c)

// The per-CPU page cache in front of the system pool (kernel/pcp.c, or lab
// 9's lab/pcp.c), off unless the command line says pcp. Its contract, which
// the page stress checks: a CPU keeps every run of 1 to PCP_NCLASS pages
// freed on it while it holds at most PCP_MAX bytes of such runs, and past
// that gives them to the pool. (kernel/pcp.c keeps longer runs too, in a
// budget of their own.)
#define PCP_NCLASS 16		     // runs of 1..16 pages
#define PCP_MAX	   (256 * PAGE_SIZE) // bytes of them one CPU keeps: 1 MiB
extern int pcp_on;
void pcp_start(void);
void pcp_check(void);
uintptr_t pcp_drain(void);
void pcp_report(void);

#endif
