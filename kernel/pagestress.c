// SPDX-License-Identifier: BSD-3-Clause
// The page stress (kernel pagestress; ./run-qemu.sh --page-stress), lab 9's
// measure, in the manner of 6.1810's kalloctest: pages alone, through
// sys_alloc and sys_free, on every CPU. With pcp (the per-CPU page cache,
// kernel/pcp.c or a student's lab/pcp.c) it first checks what the cache
// must do, each from what the pool sees (its bytes in use), never from
// the cache's own records, so that any design of the cache is judged the
// same way:
//   steal  CPU 0 frees 64 pages into its cache; CPU 1, whose cache is
//          empty, then allocates 64 pages: each must be one of those, and
//          the pool must not have been asked (its bytes in use unchanged);
//   cap    CPU 0 allocates twice PCP_MAX bytes of pages and frees them: its
//          cache keeps some, at most PCP_MAX, the rest goes to the pool;
//   drain  pcp_drain gives every cached byte back, and answers how many.
// Then every CPU runs PAGE_OPS random allocations and frees of 1 to 4
// pages, and more until every CPU has made its PAGE_OPS, each checked zero
// on arrival and stamped (8 words a page), the stamps checked at its free.
// The failed test-and-sets of every lock the CPUs took meanwhile (the
// allocator's: the pool's, the caches', the break's), but those of a
// tick's handler (its sample of the pool, the same in every design), are
// printed per CPU and in all, the figure lab 9's grader bounds. Last, a
// drain and the pool's full check: every byte back, the check balanced.
#include "kmem.h"

#define STEAL_RUNS 64
#define CAP_RUNS   ((int)(2 * PCP_MAX / PAGE_SIZE))
#define PAGE_OPS   6000
// A CPU that has made its PAGE_OPS goes on until every CPU has made theirs
// (at most PAGE_OPS_MAX): the count then covers all of the slowest CPU's
// share with the others at work beside it, however the host schedules
// QEMU's threads (a vCPU descheduled through the others' whole share was a
// single lock counted 0).
#define PAGE_OPS_MAX (20 * PAGE_OPS)
// The random phase checks and stamps every STAMP_STRIDE-th word (8 a page):
// enough to see two CPUs handed one page, and cheap, so that the phase's
// time is the allocator's and a lock every CPU takes shows in the count.
#define STAMP_STRIDE 128
#define PAGE_SLOTS   16
#define BARRIER_S    5	// seconds a CPU waits for the others at a step
#define WARM_RUNS    20 // > PAGE_SLOTS; 4 * 20 runs of 1 to 4 pages: 800 KiB < PCP_MAX

static void *runs[CAP_RUNS];
static volatile int phase;	 // the barrier's count of arrivals
static int page_bad[NCPU];	 // zero or stamp failures per CPU
static unsigned long nts0[NCPU]; // failed test-and-sets before the random phase
static unsigned long acq0[NCPU]; // and locks taken
static unsigned long nts1[NCPU]; // after it
static unsigned long acq1[NCPU];
static int page_ops[NCPU];	 // operations each CPU made in it
static int ops_done;		 // CPUs that have made their PAGE_OPS
static int stolen_ok, stolen_n;	 // the steal check's verdict and count
static uintptr_t steal_inuse[2]; // the pool's bytes in use around CPU 1's allocations
static int ncpus;		 // CPUs in the stress
static uintptr_t inuse_start;	 // the pool's bytes in use before the stress
static int cap_ok, drained_ok;	 // the cap's and the drains' verdicts (CPU 0's)
static uintptr_t drained;	 // bytes the drains gave back

// barrier waits until every CPU of the stress has called it as often as
// this one has. A CPU that never comes (a cache that loops) stops the run
// within BARRIER_S seconds, saying so, where a wait without a bound would
// leave the grader only its timeout to go by.
static void barrier(int cpu)
{
	static int passed[NCPU];
	int k = ++passed[cpu], n;
	uint64_t t0 = arch_ticks(), bound = arch_ticks_hz() * BARRIER_S;

	__atomic_add_fetch(&phase, 1, __ATOMIC_ACQ_REL);
	while ((n = __atomic_load_n(&phase, __ATOMIC_ACQUIRE)) < k * ncpus) {
		if (arch_ticks() - t0 > bound)
			panic(
			    "pagestress: looped: cpu %d waited %d s at step %d for the other CPUs, "
			    "and %d of %d never came (a loop in the cache?)",
			    cpu, BARRIER_S, k, k * ncpus - n, ncpus);
		arch_spin_wait();
	}
}

// pool_inuse answers the pool's bytes in use, read under its lock.
static uintptr_t pool_inuse(void)
{
	uintptr_t n;

	spin_lock(&mem_lock);
	n = mempool.inuse;
	spin_unlock(&mem_lock);
	return n;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

// is_zero answers whether n bytes at p are all zero.
static int is_zero(const void *p, uintptr_t n)
{
	const uintptr_t *w = p;
	uintptr_t i;

	for (i = 0; i < n / sizeof *w; i++)
		if (w[i] != 0)
			return 0;
	return 1;
}

// steal_cpu: CPU 0 fills its cache, CPU 1 runs dry and must take from it.
static void steal_cpu(int cpu)
{
	int i, j, mine;

	if (cpu == 0) {
		for (i = 0; i < STEAL_RUNS; i++)
			if ((runs[i] = sys_alloc(PAGE_SIZE, NULL)) == NULL)
				panic("pagestress: out of memory");
		for (i = 0; i < STEAL_RUNS; i++)
			sys_free(runs[i], PAGE_SIZE, NULL);
	}
	barrier(cpu);
	if (cpu == 1) {
		void *got[STEAL_RUNS];

		steal_inuse[0] = pool_inuse();
		for (i = 0; i < STEAL_RUNS; i++)
			if ((got[i] = sys_alloc(PAGE_SIZE, NULL)) == NULL)
				panic("pagestress: out of memory");
		steal_inuse[1] = pool_inuse();
		for (i = 0; i < STEAL_RUNS; i++) {
			for (mine = 0, j = 0; j < STEAL_RUNS && !mine; j++)
				mine = got[i] == runs[j];
			stolen_n += mine;
			page_bad[cpu] += !is_zero(got[i], PAGE_SIZE);
		}
		stolen_ok = stolen_n == STEAL_RUNS && steal_inuse[0] == steal_inuse[1];
		for (i = 0; i < STEAL_RUNS; i++)
			sys_free(got[i], PAGE_SIZE, NULL);
	}
	barrier(cpu);
}

// drain_check drains every cache and checks that what came back is every
// cached byte: the pool's bytes in use back at inuse0 (nothing is live),
// drain's answer what the pool got back, and the pool's full check
// balanced. Answers 1 if all holds, saying what did not.
static int drain_check(const char *when, uintptr_t inuse0)
{
	uintptr_t before = pool_inuse(), n = pcp_drain(), after = pool_inuse();
	uintptr_t fr = kmem_free_bytes(&mempool, NULL);

	heaplab_check_or_fail(&mempool);
	drained += n;
	if (after == inuse0 && n == before - after && fr + after == mempool.taken)
		return 1;
	kprintf("pagestress: %s: %lu KiB cached before the drain, %lu KiB still held after it "
		"(nothing is live); pcp_drain answered %lu KiB; the pool's free plus in use is "
		"%lu KiB of the %lu KiB it took\n",
		when, (unsigned long)((before - inuse0) >> 10),
		(unsigned long)((after - inuse0) >> 10), (unsigned long)(n >> 10),
		(unsigned long)((fr + after) >> 10), (unsigned long)(mempool.taken >> 10));
	return 0;
}

// cap_check: CPU 0 frees twice PCP_MAX bytes; its cache keeps at most
// PCP_MAX of them. Answers 1 if it did (and kept some).
static int cap_check(uintptr_t inuse0)
{
	uintptr_t kept;
	int i;

	for (i = 0; i < CAP_RUNS; i++)
		if ((runs[i] = sys_alloc(PAGE_SIZE, NULL)) == NULL)
			panic("pagestress: out of memory");
	for (i = 0; i < CAP_RUNS; i++)
		sys_free(runs[i], PAGE_SIZE, NULL);
	kept = pool_inuse() - inuse0;
	kprintf("pagestress: cap: cpu 0 freed %lu KiB of single pages; its cache kept %lu KiB "
		"(PCP_MAX %lu KiB)\n",
		(unsigned long)((uintptr_t)CAP_RUNS * PAGE_SIZE >> 10), (unsigned long)(kept >> 10),
		(unsigned long)(PCP_MAX >> 10));
	return kept > 0 && kept <= PCP_MAX;
}

struct pblock {
	uint32_t *p;
	uintptr_t n;
	uint32_t tag;
};

// warm fills this CPU's cache with WARM_RUNS runs of each length the
// random phase asks for (with the single lock, the pool's list): more than
// it can hold at once, so that a cache that keeps what its CPU frees never
// runs dry, and what is counted next is the steady state. Every CPU has
// allocated all of its runs before any frees one: none is stolen meanwhile.
static void warm(int cpu)
{
	void *w[4][WARM_RUNS];
	int k, i;

	for (k = 0; k < 4; k++)
		for (i = 0; i < WARM_RUNS; i++)
			if ((w[k][i] = sys_alloc(PAGE_SIZE * (uintptr_t)(k + 1), NULL)) == NULL)
				panic("pagestress: out of memory");
	barrier(cpu);
	for (k = 0; k < 4; k++)
		for (i = 0; i < WARM_RUNS; i++)
			sys_free(w[k][i], PAGE_SIZE * (uintptr_t)(k + 1), NULL);
}

// random_cpu: random allocations and frees of 1 to 4 pages, PAGE_OPS and
// then more until every CPU has made its PAGE_OPS, the locks' figures
// taken around them.
static void random_cpu(int cpu)
{
	struct pblock b[PAGE_SLOTS] = {{0}};
	uint32_t s = 88172645u + 104729u * (uint32_t)cpu, seq = 0;
	struct cpu *c = &cpus[cpu];
	uintptr_t i, w;
	int op, k;

	warm(cpu);
	barrier(cpu);
	nts0[cpu] = c->nts;
	acq0[cpu] = c->acquires;
	for (op = 0;; op++) {
		if (op == PAGE_OPS)
			__atomic_add_fetch(&ops_done, 1, __ATOMIC_ACQ_REL);
		if (op >= PAGE_OPS &&
		    (op >= PAGE_OPS_MAX || __atomic_load_n(&ops_done, __ATOMIC_ACQUIRE) >= ncpus))
			break;
		k = (int)(rnd(&s) % PAGE_SLOTS);
		if (b[k].p != NULL) {
			for (w = 0; w < b[k].n / 4; w += STAMP_STRIDE)
				if (b[k].p[w] != (b[k].tag ^ (uint32_t)w)) {
					page_bad[cpu]++;
					kprintf("pagestress: cpu %d: run %p word %lu overwritten\n",
						cpu, (void *)b[k].p, (unsigned long)w);
					break;
				}
			sys_free(b[k].p, b[k].n, NULL);
			b[k].p = NULL;
			continue;
		}
		b[k].n = PAGE_SIZE * (rnd(&s) % 4 < 2 ? 1 : 2 + rnd(&s) % 3);
		b[k].tag = (uint32_t)cpu << 24 | (++seq & 0xffffff);
		if ((b[k].p = sys_alloc(b[k].n, NULL)) == NULL)
			panic("pagestress: cpu %d: out of memory", cpu);
		for (i = 0; i < b[k].n / 4 && b[k].p[i] == 0; i += STAMP_STRIDE)
			;
		if (i < b[k].n / 4) {
			page_bad[cpu]++;
			kprintf("pagestress: cpu %d: run %p not zero on arrival\n", cpu,
				(void *)b[k].p);
		}
		for (i = 0; i < b[k].n / 4; i += STAMP_STRIDE)
			b[k].p[i] = b[k].tag ^ (uint32_t)i;
	}
	for (k = 0; k < PAGE_SLOTS; k++)
		if (b[k].p != NULL)
			sys_free(b[k].p, b[k].n, NULL);
	nts1[cpu] = c->nts;
	acq1[cpu] = c->acquires;
	page_ops[cpu] = op;
}

// pagestress_cpu is one CPU's share (mp_stress_with).
static void pagestress_cpu(int cpu)
{
	if (pcp_on && ncpus >= 2)
		steal_cpu(cpu);
	barrier(cpu);
	if (cpu == 0 && pcp_on) { // the others wait: the pool's figures are CPU 0's alone
		drained_ok = drain_check("after the steal", inuse_start);
		cap_ok = cap_check(inuse_start);
		drained_ok &= drain_check("after the cap", inuse_start);
	}
	barrier(cpu);
	random_cpu(cpu);
	barrier(cpu); // every CPU done: none left for mp_stress_with to wait on
}

// pagestress runs it on up CPUs, pcp on or not; answers the failed cases.
int pagestress(int up, int pcp)
{
	uintptr_t inuse0 = pool_inuse(), nts = 0, acq = 0;
	int i, failed = 0, bad = 0, checking;

	ncpus = up;
	ops_done = 0;
	inuse_start = inuse0;
	checking = kmem_set_checking(&mempool, 1); // every pool operation checked
	if (pcp)
		pcp_start();
	mp_stress_with(up, pagestress_cpu);
	for (i = 0; i < up; i++) {
		kprintf("pagestress: cpu %d: %d ops, #test-and-set %lu #acquire() %lu\n", i,
			page_ops[i], nts1[i] - nts0[i], acq1[i] - acq0[i]);
		nts += nts1[i] - nts0[i];
		acq += acq1[i] - acq0[i];
		bad += page_bad[i];
	}
	kprintf("pagestress: the allocator's locks: #test-and-set %lu #acquire() %lu\n",
		(unsigned long)nts, (unsigned long)acq);
	if (pcp) {
		if (up >= 2)
			kprintf(
			    "pagestress: steal: %d of the %d pages cpu 1 got were pages cpu 0 had "
			    "freed; the pool's bytes in use went from %lu to %lu KiB meanwhile\n",
			    stolen_n, STEAL_RUNS, (unsigned long)(steal_inuse[0] >> 10),
			    (unsigned long)(steal_inuse[1] >> 10));
		failed += kcase("pcp: a CPU that ran dry took its pages from another's cache, not "
				"the pool",
				up >= 2 && stolen_ok);
		failed += kcase("pcp: a CPU's cache kept at most PCP_MAX bytes, the rest went to "
				"the pool",
				cap_ok);
		kprintf("pagestress: drain: %lu KiB back to the pool in two drains\n",
			(unsigned long)(drained >> 10));
		failed += kcase("pcp: drain gave back every cached byte, and said how many",
				drained_ok && drained > 0);
		pcp_report();
	}
	failed += kcase("pagestress: every run zeroed on arrival and intact until freed", bad == 0);
	failed += kcase("pagestress: every byte back in the pool, its check balanced",
			drain_check("at the end", inuse0));
	kmem_set_checking(&mempool, checking);
	return failed;
}
