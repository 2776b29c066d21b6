// SPDX-License-Identifier: BSD-3-Clause
// The per-CPU page cache (kernel pcp; ./run-qemu.sh --pcp), off by default:
// it changes the seed's placement, which stays the default and the oracle's.
// As Linux keeps per-CPU page lists in front of its buddy allocator, and as
// 6.1810's lock lab gives each CPU its own free list: each CPU keeps runs of
// 1 to PCP_NCLASS pages that sys_free gave back, one list per run length,
// under a lock of its own, and sys_alloc (and sys_reserve) takes an exact
// run from its own CPU's lists first, then steals one from another CPU's
// (with up to half of that CPU's runs of the length), and only then asks
// the pool (mem_lock) for a batch of runs of the length under one hold
// (heaplab_alloc_bulk). A CPU keeps at most PCP_MAX bytes of those; past
// that, and for runs longer than PCP_LONG pages, sys_free goes to the pool.
//
// No CPU waits for a cache's lock, its own included (spin_trylock; but
// pcp_drain's, when the other CPUs are done): with four vCPUs on two host
// cores, the holder of a lock is now and then preempted by the host, and
// every CPU that waits for it meanwhile counts a failed test-and-set each
// turn, tens of thousands from one acquire. A busy cache is passed over
// by a stealer and by the check, and its owner treats it as empty at an
// allocation; at a free it keeps the run aside, on lists only it touches
// (interrupts off, no lock), which its next hold of the lock moves onto
// the cache's lists (busy_selftest, at pcp_start, checks that way).
//
// Runs of PCP_NCLASS + 1 to PCP_LONG pages are served as multiples of
// PCP_LONG_STEP pages (pcp_round, which sys_alloc, sys_free and
// sys_reserve ask), so that a freed one meets its next allocation more
// often.
//
// Longer runs, of PCP_NCLASS + 1 to PCP_LONG pages, have lists and a
// budget of their own, PCP_LONG_MAX a CPU (lbytes). The SMP stress asks
// for runs of 17 to 80 pages once in 20 sys_allocs, and each took the
// pool's lock three times (an allocation, and a free in two halves); kept
// in the same PCP_MAX as the short runs, they filled it, seldom asked for
// again at their exact length, and sent the short runs to the pool. The
// page stress's contract (kmem.h) is about the short runs, and holds.
//
//   cpu 0: [1] -> run -> run   [2] -> run   ...   [16]        (pcp 0's lock)
//   cpu 1: [1] -> run          [2]          ...   [16] -> run (pcp 1's lock)
//
// A cached run is zero but for its first word, the link. It is in use as
// far as the pool knows: the pool's check balances, and `heap stats`
// counts the caches' bytes apart. pcp_drain gives every run back to the
// pool, through heaplab_free, which refuses (and so stops the machine on)
// a run given back twice through two CPUs' caches; a CPU refuses a run its
// own cache already holds. Lock order: a pcp lock is never held while
// another is taken, nor with mem_lock.
#include "kmem.h"

#include <string.h>

#define PAGE_SHIFT	 12		    // log2(PAGE_SIZE)
#define PCP_STEAL_BATCH	 8		    // runs one steal takes at most
#define PCP_REFILL_BATCH 8		    // runs one refill from the pool takes at most
#define PCP_REFILL_PAGES 16		    // and pages
#define PCP_LONG	 80		    // the longest run kept, in pages
#define PCP_LONG_STEP	 8		    // longer runs' lengths: multiples of it
#define PCP_LONG_MAX	 (1024 * PAGE_SIZE) // bytes of longer runs one CPU keeps: 4 MiB
_Static_assert(PAGE_SIZE == 1u << PAGE_SHIFT, "PAGE_SHIFT");

// PCP_NCLASS and PCP_MAX: kmem.h (the page stress checks the cap).

struct pcp_run {
	struct pcp_run *next;
};

struct pcp {
	struct spinlock lock;
	struct pcp_run *list[PCP_LONG + 1]; // by pages; [0] unused
	// Runs this CPU kept while its lock was busy, by pages: its own alone
	// (interrupts off), no lock; moved to list at its next hold of the
	// lock. naside counts them.
	struct pcp_run *aside[PCP_LONG + 1];
	unsigned long naside;
	uintptr_t bytes;  // in lists and aside 1..PCP_NCLASS (atomic)
	uintptr_t lbytes; // in the longer ones (atomic)
	unsigned long hits, steals, misses, kept, spilled; // this CPU's, atomic
	unsigned long busy; // runs kept aside because this cache's lock was busy
};

struct pcp pcps[NCPU];
int pcp_on; // read by gdb's heap stats
static const char *const pcp_names[8] = {"pcp 0", "pcp 1", "pcp 2", "pcp 3",
					 "pcp 4", "pcp 5", "pcp 6", "pcp 7"};

// pages answers the run length of n bytes in pages, 0 if no list keeps it.
static uintptr_t pages(uintptr_t n)
{
	uintptr_t r = heaplab_round(&mempool, n) >> PAGE_SHIFT;

	return r <= PCP_LONG ? r : 0;
}

// counter answers the count of c that runs of k pages add to, and cap its
// bound.
static uintptr_t *counter(struct pcp *c, uintptr_t k)
{
	return k <= PCP_NCLASS ? &c->bytes : &c->lbytes;
}

static uintptr_t cap(uintptr_t k)
{
	return k <= PCP_NCLASS ? PCP_MAX : PCP_LONG_MAX;
}

static int me(void)
{
	int id;

	push_off();
	id = arch_cpu_id();
	pop_off();
	return id;
}

// unaside moves the runs c kept aside onto its lists; c's lock held, and
// c this CPU's (or the other CPUs done: pcp_drain).
static void unaside(struct pcp *c)
{
	struct pcp_run *r;
	uintptr_t k;

	if (c->naside == 0)
		return;
	for (k = 1; k <= PCP_LONG; k++)
		while ((r = c->aside[k]) != NULL) {
			c->aside[k] = r->next;
			r->next = c->list[k];
			c->list[k] = r;
		}
	c->naside = 0;
}

// take pops a run of k pages from c, this CPU's cache, or NULL: one it kept
// aside (no lock), else one of its list. An empty list is seen without the
// lock (a read that may be stale, so the lock decides). The owner does not
// wait for its own lock: held, it is held by a stealer or the caches'
// check, whose vCPU the host may have preempted (one such wait made 28,750
// failed test-and-sets in a --smp 4 run), so the lock busy is as the list
// empty (one failed test-and-set counted): the CPU steals or asks the pool.
static struct pcp_run *take(struct pcp *c, uintptr_t k)
{
	struct pcp_run *r;

	push_off(); // c->aside is this CPU's alone
	if ((r = c->aside[k]) != NULL) {
		c->aside[k] = r->next;
		c->naside--;
		__atomic_fetch_sub(counter(c, k), k << PAGE_SHIFT, __ATOMIC_RELAXED);
	}
	pop_off();
	if (r != NULL || __atomic_load_n(&c->list[k], __ATOMIC_RELAXED) == NULL ||
	    !spin_trylock(&c->lock))
		return r;
	unaside(c);
	r = c->list[k];
	if (r != NULL) {
		c->list[k] = r->next;
		__atomic_fetch_sub(counter(c, k), k << PAGE_SHIFT, __ATOMIC_RELAXED);
	}
	spin_unlock(&c->lock);
	return r;
}

// steal pops a run of k pages from c, another CPU's cache, and with it up
// to half of the runs of that length c has (PCP_STEAL_BATCH at most, and
// as many as room, this CPU's free bytes, allows), as a chain through the
// links; NULL if c has none, or if c's lock is busy: a stealer does not
// wait for another CPU's cache (its owner may be in the middle of a free,
// or its vCPU preempted by the host while it holds the lock, and a
// spinning stealer then counts failed test-and-sets for as long), it tries
// the next CPU's, then the pool. As Linux's pcp refills a batch at a time,
// a CPU that ran dry of a length takes another CPU's lock once for several
// allocations, not once for each. c's list is walked at most twice the
// batch deep, so that the lock's hold is bounded.
static struct pcp_run *steal(struct pcp *c, uintptr_t k, uintptr_t room)
{
	uintptr_t seen = 0, want, i;
	struct pcp_run *r, *last;

	if (__atomic_load_n(&c->list[k], __ATOMIC_RELAXED) == NULL || !spin_trylock(&c->lock))
		return NULL;
	for (r = c->list[k]; r != NULL && seen < 2 * PCP_STEAL_BATCH; r = r->next)
		seen++;
	want = (seen + 1) / 2; // 0 if the list emptied since the look
	if (want > 1 + room / (k << PAGE_SHIFT))
		want = 1 + room / (k << PAGE_SHIFT);
	r = last = c->list[k];
	for (i = 1; i < want; i++)
		last = last->next;
	if (r != NULL) {
		c->list[k] = last->next;
		last->next = NULL;
		__atomic_fetch_sub(counter(c, k), want * (k << PAGE_SHIFT), __ATOMIC_RELAXED);
	}
	spin_unlock(&c->lock);
	return r;
}

// keep puts a chain of runs of k pages (linked, the last one's link NULL)
// on cpu's list, cpu this CPU: the runs a steal or a refill brought
// besides the one asked for. Its lock busy (a stealer's, or the check's),
// they are kept aside, with no lock: a CPU never waits for a cache's lock.
static void keep(int cpu, uintptr_t k, struct pcp_run *chain)
{
	struct pcp *c = &pcps[cpu];
	struct pcp_run *x;
	uintptr_t n = 1;

	if (chain == NULL)
		return;
	for (x = chain; x->next != NULL; x = x->next)
		n++;
	__atomic_fetch_add(counter(c, k), n * (k << PAGE_SHIFT), __ATOMIC_RELAXED);
	if (spin_trylock(&c->lock)) {
		unaside(c);
		x->next = c->list[k];
		c->list[k] = chain;
		spin_unlock(&c->lock);
		return;
	}
	push_off();
	x->next = c->aside[k];
	c->aside[k] = chain;
	c->naside += n;
	c->busy += n;
	pop_off();
}

// refill answers a run of k pages from the pool, and with it, under the
// same hold of the pool's lock (heaplab_alloc_bulk: the places single
// calls would give), up to PCP_REFILL_BATCH - 1 more that go on this
// CPU's list, as many as room allows: as Linux's rmqueue_bulk refills a
// per-CPU list, a CPU that runs dry of a length takes the pool's lock once
// for several allocations. NULL if the pool has none.
static struct pcp_run *refill(int cpu, uintptr_t k, uintptr_t room)
{
	void *got[PCP_REFILL_BATCH];
	uintptr_t want = 1 + room / (k << PAGE_SHIFT), n, i;

	if (want > PCP_REFILL_PAGES / k)
		want = PCP_REFILL_PAGES / k;
	if (want > PCP_REFILL_BATCH)
		want = PCP_REFILL_BATCH;
	if (want == 0)
		want = 1;
	n = heaplab_alloc_bulk(&mempool, k << PAGE_SHIFT, got, want);
	if (n == 0)
		return NULL;
	for (i = 1; i + 1 < n; i++)
		((struct pcp_run *)got[i])->next = got[i + 1];
	if (n > 1)
		keep(cpu, k, got[1]); // the last one's link is zero: the pool's bytes
	return got[0];
}

// pcp_alloc: this CPU's run, else another's, else a refill from the pool
// (NULL: the pool is out, and sys_alloc's own call answers so). What a
// steal or a refill brought besides the run goes on this CPU's list.
static void *pcp_alloc(uintptr_t n)
{
	uintptr_t k = pages(n), room;
	struct pcp_run *r;
	int cpu = me(), i;

	if (k == 0)
		return NULL;
	r = take(&pcps[cpu], k);
	// only this CPU adds to its counts: a stale figure is too high, never too low
	room = cap(k) - __atomic_load_n(counter(&pcps[cpu], k), __ATOMIC_RELAXED);
	for (i = (cpu + 1) % NCPU; r == NULL && i != cpu; i = (i + 1) % NCPU)
		if ((r = steal(&pcps[i], k, room)) != NULL) {
			__atomic_fetch_add(&pcps[cpu].steals, 1, __ATOMIC_RELAXED);
			keep(cpu, k, r->next);
		}
	if (r == NULL) {
		__atomic_fetch_add(&pcps[cpu].misses, 1, __ATOMIC_RELAXED);
		if ((r = refill(cpu, k, room)) == NULL)
			return NULL;
	} else
		__atomic_fetch_add(&pcps[cpu].hits, 1, __ATOMIC_RELAXED);
	r->next = NULL; // the one word that was not zero
	return r;
}

// refuse_listed stops the machine if the run p is on list already: a
// double free (pcp_free asks its lists and the runs it kept aside).
static void refuse_listed(const struct pcp_run *list, const void *p)
{
	for (; list != NULL; list = list->next)
		if (list == p)
			heaplab_fail(&mempool,
				     "sys_free: double free (the run is in this CPU's page cache)");
}

// pcp_free keeps k pages at p on this CPU's list: 1 if it did, 0 if the
// pool is to have them (too long a run, the cache full, or not a run the
// pool could have handed out, which the pool then refuses in its words).
// The run is zeroed with no lock held, all but its first word, the link (a
// run this cache holds already is zero there already, and is refused under
// the lock); then one hold of the lock checks and links it. The lock busy,
// the run is kept aside instead, with no lock, checked against the runs
// kept aside only (one that is on the list too is refused when pcp_drain
// gives both back).
static int pcp_free(void *p, uintptr_t n)
{
	uintptr_t k = pages(n), a = (uintptr_t)p, top;
	struct pcp *c = &pcps[me()];
	struct pcp_run *r;

	top = __atomic_load_n(&mempool.bloc, __ATOMIC_RELAXED); // only ever grows
	if (k == 0 || (a & (PAGE_SIZE - 1)) != 0 || a < mempool.start || a > top ||
	    (k << PAGE_SHIFT) > top - a)
		return 0;
	// only this CPU adds to its counts: a stale figure is too high
	if (__atomic_load_n(counter(c, k), __ATOMIC_RELAXED) + (k << PAGE_SHIFT) > cap(k)) {
		__atomic_fetch_add(&c->spilled, 1, __ATOMIC_RELAXED);
		return 0;
	}
	memset((char *)p + sizeof *r, 0, (k << PAGE_SHIFT) - sizeof *r);
	__atomic_fetch_add(counter(c, k), k << PAGE_SHIFT, __ATOMIC_RELAXED);
	if (!spin_trylock(&c->lock)) {
		push_off(); // c->aside is this CPU's alone
		refuse_listed(c->aside[k], p);
		r = p;
		r->next = c->aside[k];
		c->aside[k] = r;
		c->naside++;
		c->busy++;
		c->kept++;
		pop_off();
		return 1;
	}
	unaside(c);
	refuse_listed(c->list[k], p);
	r = p;
	r->next = c->list[k];
	c->list[k] = r;
	c->kept++;
	spin_unlock(&c->lock);
	return 1;
}

// pcp_round serves a run of PCP_NCLASS + 1 to PCP_LONG pages as one of a
// multiple of PCP_LONG_STEP pages: the SMP stress's runs of 17 to 80 pages
// were 64 lengths, and a CPU's 4 MiB of them seldom held the length asked
// for, nor another CPU's, so that most of the caches' misses, each one a
// hold of the pool's lock, were of those; as 8 lengths they meet more
// often. Linux's pages come in power-of-two orders for the same reason.
// Shorter runs keep their lengths (lab 9's contract is about them).
static uintptr_t pcp_round(uintptr_t n)
{
	uintptr_t k = pages(n);

	if (k <= PCP_NCLASS)
		return n;
	k = (k + PCP_LONG_STEP - 1) / PCP_LONG_STEP * PCP_LONG_STEP;
	return k <= PCP_LONG ? k << PAGE_SHIFT : n;
}

static const struct sys_cache pcp_cache = {
    .alloc = pcp_alloc, .free = pcp_free, .round = pcp_round};

// busy_selftest checks that a CPU whose own cache's lock another CPU holds
// neither waits for it nor gives its frees to the pool, by playing that
// other CPU: the lock is marked held by the next CPU (as a stealer
// preempted with it would leave it) while this one allocates a page, which
// it steals from the next CPU's cache (a run put there first), and frees
// it: the run must be kept aside, with no lock; once the lock is free, the
// next allocation takes it back from there. A cache that waited for its
// lock would spin here until lockup. Its run goes back to the pool, the
// caches are drained, and their counts zeroed (pcp_report is the
// stress's); the failed test-and-sets are the play's, not contention, and
// are taken back off the counts. It touches only runs of one page, and
// frees none through the cache's lock, so that lab 9's planted bugs
// (tests/test_grade_labs.py), graded as copies of this file, meet the
// stresses first, as they would without it.
static void busy_selftest(void)
{
	int cpu = me(), next = (cpu + 1) % NCPU;
	struct pcp *c = &pcps[cpu], *o = &pcps[next];
	unsigned long nts = c->lock.nts, cnts;
	uintptr_t inuse0 = mempool.inuse;
	struct pcp_run *seed = heaplab_alloc(&mempool, PAGE_SIZE);
	void *p, *q;

	if (seed == NULL)
		return; // no page to play with
	push_off();
	cnts = mycpu()->nts;
	pop_off();
	seed->next = o->list[1];
	o->list[1] = seed;
	__atomic_fetch_add(&o->bytes, PAGE_SIZE, __ATOMIC_RELAXED);
	c->lock.cpu = next;
	c->lock.locked = 1;
	p = sys_alloc(PAGE_SIZE, NULL);
	sys_free(p, PAGE_SIZE, NULL);
	if (p == NULL || c->naside == 0 || c->aside[1] != p)
		panic("pcp: self-test: cpu %d, its cache's lock busy, did not keep its free aside",
		      cpu);
	c->lock.locked = 0;
	c->lock.cpu = -1;
	q = sys_alloc(PAGE_SIZE, NULL);
	if (q != p)
		panic("pcp: self-test: cpu %d did not take back the run it kept aside", cpu);
	if (heaplab_free(&mempool, q, PAGE_SIZE) != HEAPLAB_OK)
		panic("pcp: self-test: the pool refused the run back");
	pcp_drain();
	if (c->naside != 0 || mempool.inuse != inuse0)
		panic("pcp: self-test: the caches did not give every run back");
	c->lock.nts = nts;
	push_off();
	mycpu()->nts = cnts;
	pop_off();
	c->hits = c->steals = c->misses = c->kept = c->spilled = c->busy = 0;
	o->hits = o->steals = o->misses = o->kept = o->spilled = o->busy = 0;
}

// pcp_start turns the cache on, and checks its owner's way past a busy
// lock (busy_selftest); before any other CPU allocates.
void pcp_start(void)
{
	int i;

	for (i = 0; i < NCPU; i++)
		spin_init(&pcps[i].lock, pcp_names[i % 8]);
	for (i = 0; i < NCPU; i++)
		pcps[i].lock.listed = 0; // static: lockstat's table may list them
	pcp_on = 1;
	sys_cache = &pcp_cache;
	busy_selftest();
}

// pcp_check checks every CPU's cache, each under its own lock: each run of
// its list's length, page-aligned, inside the pool's regions, its first
// words past the link zero (a bounded look: the lock is held meanwhile;
// pcp_drain's frees and the pool's full check see every byte once the runs
// are back), and the bytes as counted. Stops in heaplab_fail. A cache
// whose lock is busy is passed over (spin_trylock), as a steal passes it:
// the SMP stress checks every 1024 operations on every CPU, and a check
// that waited for a cache's owner preempted by the host made most of the
// caches' locks' failed test-and-sets; the check after the stress, with
// the other CPUs done, finds every lock free and checks every cache.
void pcp_check(void)
{
	uintptr_t k, sum[2], a, i;
	struct pcp_run *r;
	int cpu;

	for (cpu = 0; cpu < NCPU; cpu++) {
		if (!spin_trylock(&pcps[cpu].lock))
			continue;
		for (sum[0] = sum[1] = 0, k = 1; k <= PCP_LONG; k++)
			for (r = pcps[cpu].list[k]; r != NULL;
			     r = r->next, sum[k > PCP_NCLASS] += k << PAGE_SHIFT) {
				a = (uintptr_t)r;
				if ((a & (PAGE_SIZE - 1)) != 0 || a < mempool.start ||
				    a > mempool.bloc || (k << PAGE_SHIFT) > mempool.bloc - a)
					heaplab_fail(&mempool,
						     "pcp: a cached run outside the pool");
				for (i = sizeof *r; i < 64;
				     i += sizeof(uintptr_t)) // its first words
					if (*(const uintptr_t *)(a + i) != 0)
						heaplab_fail(&mempool,
							     "pcp: a cached run not zero");
			}
		if (sum[0] > pcps[cpu].bytes || sum[1] > pcps[cpu].lbytes)
			heaplab_fail(&mempool,
				     "pcp: the runs add up to more than the cache counts");
		spin_unlock(&pcps[cpu].lock);
	}
}

// pcp_drain gives every cached run back to the pool; a refused one (a run
// that two CPUs' caches held) stops the machine. Answers the bytes.
uintptr_t pcp_drain(void)
{
	uintptr_t k, n = 0;
	struct pcp_run *r;
	int cpu, err;

	for (cpu = 0; cpu < NCPU; cpu++)
		for (k = 1; k <= PCP_LONG; k++)
			for (;;) { // the other CPUs are done: every lock is free
				spin_lock(&pcps[cpu].lock);
				unaside(&pcps[cpu]);
				if ((r = pcps[cpu].list[k]) != NULL) {
					pcps[cpu].list[k] = r->next;
					__atomic_fetch_sub(counter(&pcps[cpu], k), k << PAGE_SHIFT,
							   __ATOMIC_RELAXED);
				}
				spin_unlock(&pcps[cpu].lock);
				if (r == NULL)
					break;
				r->next = NULL;
				err = heaplab_free(&mempool, r, k << PAGE_SHIFT);
				if (err != HEAPLAB_OK)
					heaplab_fail(&mempool,
						     "pcp: a cached run given back twice");
				n += k << PAGE_SHIFT;
			}
	return n;
}

// pcp_report prints what the caches did during the stress.
void pcp_report(void)
{
	int cpu;

	for (cpu = 0; cpu < NCPU; cpu++)
		if (pcps[cpu].hits + pcps[cpu].misses + pcps[cpu].kept > 0)
			kprintf(
			    "pcp %d: %lu allocs from the cache (%lu stolen), %lu from the pool; "
			    "%lu frees kept, %lu to the pool (cache full); %lu runs kept aside "
			    "(its lock "
			    "busy)\n",
			    cpu, pcps[cpu].hits, pcps[cpu].steals, pcps[cpu].misses, pcps[cpu].kept,
			    pcps[cpu].spilled, pcps[cpu].busy);
}
