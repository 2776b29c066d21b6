// SPDX-License-Identifier: BSD-3-Clause
// The SMP stress test: every CPU runs a random mix of sys_alloc, sys_free
// and sys_reserve, and of malloc, calloc and free of every size class and
// of large objects (the objects layer's, or newlib's with NEWLIB_MALLOC=1),
// checks that what it gets is zeroed (but malloc's), stamps it with a tag
// unique to the CPU and allocation, and verifies the tag just before
// freeing it, so any overlap between CPUs shows. The system pool checks
// itself after every operation (its automatic check, whose scan of free
// bytes is bounded, so its time under the lock does not grow with the
// heap), the objects heap class by class every OBJ_CHECK_EVERY operations,
// the page caches (--pcp) every PCP_CHECK_EVERY, and the full checks run
// once each CPU is done. Each CPU counts its progress for the watchdog (kernel/watchdog.c)
// at every operation: a CPU that loops in the allocator stops the run
// within WATCHDOG_S seconds, `stress: looped: cpu N ...`.
#include "kmem.h"

#include <stdlib.h>

#define HOBJ_CLASS_TABLES
#include "../objects/objects.h"

#define STRESS_OPS 20000
#define SLOTS	   24

// The objects heap's full check (hobj_check) takes its 66 locks and walks
// every span. Every 256 operations it made most of the class locks'
// acquires once the per-CPU caches took malloc off them (4 CPUs checking,
// each taking the 65 in turn): the stress's cost, not that of the
// allocator's users. So every 1024, as the page caches' check; and even
// then every failed test-and-set on a class lock was a wait for one the
// check held (a holder preempted with 65 locks stalls every CPU). So the
// periodic check is hobj_check_class, one class's lock held and no other
// (what it leaves to the full check: objects/check.c), in both modes
// (bench/smp.py compares one stress with and without the caches); the
// full checks at the end see every span as before. One class every
// OBJ_CHECK_EVERY operations, each in turn (every class every 1026
// operations on each CPU, as the full check every 1024 before), each CPU
// starting at another class. A turn that comes while another CPU checks
// that class is put off to the next turn, 18 operations on
// (obj_checking): CPUs that check the classes in one order fall into step
// behind one whose vCPU the host preempted while it held a class lock,
// and then queue behind each other at every class lock (in three runs,
// every wait on a class lock but three was a check's for another CPU's
// check of that class).
#define OBJ_CHECK_EVERY 18
#define PCP_CHECK_EVERY 1024 // each pcp_check takes every CPU's cache lock

struct sblock {
	uint32_t *p;
	uintptr_t n;  // bytes asked for
	uint32_t tag; // cpu << 24 | sequence
	int kind;     // 0 sys_alloc, 1 sys_reserve, 2 malloc, 3 calloc
};

uint64_t stress_stat;	     // bytes out through sys_alloc, all CPUs
static int stress_bad[NCPU]; // pattern or zero failures per CPU
static uintptr_t stress_ops = STRESS_OPS;

// obj_checking[c]: a CPU checks class c now; the turns that checked, and
// those put off because another CPU did.
static int obj_checking[HOBJ_NCLASS];
static unsigned long obj_checks, obj_put_off;

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

// pick_size: mostly a few pages, sometimes up to 320 KiB.
static uintptr_t pick_size(uint32_t *s)
{
	uint32_t r = rnd(s) % 100;

	if (r < 60)
		return PAGE_SIZE * (1 + rnd(s) % 2) - rnd(s) % 64;
	if (r < 95)
		return PAGE_SIZE * (3 + rnd(s) % 14);
	return PAGE_SIZE * (17 + rnd(s) % 64);
}

// pick_small: a size of a class picked at random (all alike), 0 to 15
// bytes short of the class's size; one in 16 a large object (32 KiB to
// 96 KiB).
static uintptr_t pick_small(uint32_t *s)
{
	uintptr_t n;

	if (rnd(s) % 16 == 0)
		return HOBJ_MAX_SMALL + 1 + rnd(s) % (64u << 10);
	n = hobj_class_size[1 + rnd(s) % (HOBJ_NCLASS - 1)] - rnd(s) % 16;
	return n != 0 ? n : 1;
}

static void stamp(struct sblock *b)
{
	uintptr_t i, n = b->n / 4;

	for (i = 0; i < n; i++)
		if (b->kind != 2 && b->p[i] != 0)
			break;
	if (i < n)
		stress_bad[b->tag >> 24]++;
	for (i = 0; i < n; i++)
		b->p[i] = b->tag ^ (uint32_t)i;
}

static void verify(struct sblock *b)
{
	uintptr_t i, n = b->n / 4;

	for (i = 0; i < n; i++)
		if (b->p[i] != (b->tag ^ (uint32_t)i)) {
			stress_bad[b->tag >> 24]++;
			kprintf("stress: cpu %u: block %p tag %#x word %lu is %#x: overwritten\n",
				(unsigned)(b->tag >> 24), (void *)b->p, (unsigned)b->tag,
				(unsigned long)i, (unsigned)b->p[i]);
			return;
		}
}

// obj_check_class checks class c of the objects heap, its lock the only
// one held, and stops on a failure as kobj_check_or_fail does.
static void obj_check_class(unsigned c)
{
	struct hobj_fault f;
	char msg[200];

	kobj_init();
	if (hobj_check_class(&kobj_heap, c, &f) != HOBJ_OK) {
		hobj_fault_format(&f, msg, sizeof msg);
		panic("objects: check of class %u failed: %s", c, msg);
	}
}

// doing notes what this CPU calls now, for the watchdog's report.
static void doing(int cpu, const char *what, uintptr_t n)
{
	cpus[cpu].doing_n = n;
	cpus[cpu].doing = what;
}

static const char *const get_names[4] = {"sys_alloc", "sys_reserve", "malloc", "calloc"};

static int get(struct sblock *b, int cpu, uint32_t seq, uint32_t *s)
{
	b->kind = rnd(s) % 2 == 0 ? 2 + (int)(rnd(s) % 4 == 0) : (int)(rnd(s) % 8 == 0);
	b->n = b->kind >= 2 ? pick_small(s) : pick_size(s);
	b->tag = (uint32_t)cpu << 24 | (seq & 0xffffff);
	doing(cpu, get_names[b->kind], b->n);
	if (b->kind == 2)
		b->p = malloc(b->n);
	else if (b->kind == 3)
		b->p = calloc(1, b->n);
	else if (b->kind == 1)
		b->p = sys_reserve(b->n);
	else
		b->p = sys_alloc(b->n, &stress_stat);
	if (b->p == NULL)
		return -1;
	stamp(b);
	return 0;
}

static void put(struct sblock *b)
{
	verify(b);
	doing((int)(b->tag >> 24), b->kind >= 2 ? "free" : "sys_free", b->n);
	if (b->kind >= 2)
		free(b->p);
	else
		sys_free(b->p, b->n, b->kind == 0 ? &stress_stat : NULL);
	b->p = NULL;
}

// CPUs that began the stress, that finished their share, and the full
// checks run at the end (stress_cpu).
static int stress_begun, stress_finished, stress_full_checks;

// stress_cpu is one CPU's share of the stress.
void stress_cpu(int cpu)
{
	struct sblock blk[SLOTS] = {{0}};
	uint32_t s = 2463534242u + 7919u * (uint32_t)cpu, seq = 0;
	unsigned cls = 1 + (unsigned)cpu * 15 % (HOBJ_NCLASS - 1); // the next to check
	struct cpu *c = &cpus[cpu];
	int i;

	__atomic_add_fetch(&stress_begun, 1, __ATOMIC_ACQ_REL);
	c->stress_ticks0 = c->timer_ticks;
	c->stress_t0 = arch_ticks();
	c->ops = 0;
	watchdog_begin(c);
	for (; c->ops < stress_ops; c->ops++, watchdog_progress(c)) {
		i = (int)(rnd(&s) % SLOTS);
		if (blk[i].p != NULL)
			put(&blk[i]);
		else if (get(&blk[i], cpu, ++seq, &s) < 0)
			panic("stress: cpu %d: out of memory after %lu ops", cpu,
			      (unsigned long)c->ops);
		if (c->ops % PCP_CHECK_EVERY == PCP_CHECK_EVERY - 1 && pcp_on) {
			doing(cpu, "pcp_check", 0);
			pcp_check();
		}
		if (c->ops % OBJ_CHECK_EVERY == OBJ_CHECK_EVERY - 1) {
			if (__atomic_exchange_n(&obj_checking[cls], 1, __ATOMIC_ACQUIRE) == 0) {
				doing(cpu, "hobj_check_class", 0);
				obj_check_class(cls);
				__atomic_store_n(&obj_checking[cls], 0, __ATOMIC_RELEASE);
				__atomic_fetch_add(&obj_checks, 1, __ATOMIC_RELAXED);
				cls = cls % (HOBJ_NCLASS - 1) + 1;
			} else {
				__atomic_fetch_add(&obj_put_off, 1, __ATOMIC_RELAXED);
			}
		}
	}
	for (i = 0; i < SLOTS; i++, watchdog_progress(c))
		if (blk[i].p != NULL)
			put(&blk[i]);
	doing(cpu, "kobj_stash_flush", 0);
	kobj_stash_flush(); // this CPU's stashed large objects (--pcp) back
	// The full checks hold the pool's lock, or every lock of the objects
	// heap, for a walk of the whole heap: a CPU still at work that needs a
	// lock meanwhile waits the whole walk (and longer if the host preempts
	// the checker's vCPU). So they run after the last operation of every
	// CPU that has begun, by the CPU that finishes last, in both modes;
	// while the stress runs, the periodic checks above and the pool's own
	// check after each operation (checked builds) do the checking. A CPU
	// that began after every other had finished checks again at its end.
	if (__atomic_add_fetch(&stress_finished, 1, __ATOMIC_ACQ_REL) ==
	    __atomic_load_n(&stress_begun, __ATOMIC_ACQUIRE)) {
		doing(cpu, "heaplab_check", 0);
		heaplab_check_or_fail(&mempool);
		watchdog_progress(c);
		doing(cpu, "kobj_check", 0);
		kobj_check_or_fail();
		__atomic_add_fetch(&stress_full_checks, 1, __ATOMIC_RELAXED);
	}
	watchdog_end(c);
	c->stress_t1 = arch_ticks();
	c->stress_ticks1 = c->timer_ticks;
}

// per_s answers n events over ticks of arch_ticks at hz, per second.
static unsigned long per_s(uint64_t n, uint64_t ticks, uint64_t hz)
{
	return ticks == 0 ? 0 : (unsigned long)(n * hz / ticks);
}

// us converts arch_ticks() at hz to microseconds, without overflow for
// hours of ticks at GHz rates.
static uint64_t us(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * 1000000 + ticks % hz * 1000000 / hz;
}

// stress_report prints each CPU's figures and judges the end state: every
// byte back, the counter at its start, no tag overwritten, every CPU's
// timer ticking, the objects heap's objects in use at their start (objs0).
// It answers the number of failed points.
int stress_report(int up, uintptr_t inuse0, uint64_t stat0, uintptr_t objs0)
{
	uintptr_t fr = kmem_free_bytes(&mempool, NULL), peak;
	uint64_t hz = arch_ticks_hz();
	int i, bad = 0, failed = 0, silent = 0, slow;
	struct hobj_stats st;
	uint64_t gap;

	for (i = 0; i < up; i++) {
		kprintf("cpu %d: %lu ops, spun for a lock %lu times of %lu, %lu us spinning, "
			"%lu us holding, %lu ticks\n",
			i, (unsigned long)cpus[i].ops, (unsigned long)cpus[i].spins,
			(unsigned long)cpus[i].acquires, (unsigned long)us(cpus[i].spin_ticks, hz),
			(unsigned long)us(cpus[i].hold_ticks, hz), cpus[i].timer_ticks);
		kprintf("cpu %d: %lu ops/s of guest time, %lu timer ticks/s (TICK_HZ %d)\n", i,
			per_s(cpus[i].ops, cpus[i].stress_t1 - cpus[i].stress_t0, hz),
			per_s(cpus[i].stress_ticks1 - cpus[i].stress_ticks0,
			      cpus[i].stress_t1 - cpus[i].stress_t0, hz),
			TICK_HZ);
		bad += stress_bad[i];
		silent += cpus[i].timer_ticks == 0;
	}
	spin_lock(&mem_lock);
	peak = tick_inuse_peak;
	spin_unlock(&mem_lock);
	kprintf("timer: the most of the heap in use at a tick was %lu KiB (%lu ticks skipped "
		"their sample: another CPU held the pool's lock)\n",
		(unsigned long)(peak >> 10), __atomic_load_n(&tick_skipped, __ATOMIC_RELAXED));
	gap = watchdog_longest(&slow);
	kprintf("stress: the longest a CPU went between two operations: %lu us (cpu %d, in %s); "
		"the watchdog stops one that goes %d s\n",
		(unsigned long)us(gap, hz), slow,
		cpus[slow].gap_doing != NULL ? cpus[slow].gap_doing : "its start", WATCHDOG_S);
	kprintf("stress: the objects heap checked class by class: %lu checks, %lu turns put off "
		"(another CPU checking that class)\n",
		__atomic_load_n(&obj_checks, __ATOMIC_RELAXED),
		__atomic_load_n(&obj_put_off, __ATOMIC_RELAXED));
	kobj_stash_report();
	lockstat_print(5);
	if (__atomic_load_n(&stress_full_checks, __ATOMIC_RELAXED) == 0)
		panic("stress: no CPU ran the full checks at the end (%d began, %d finished)",
		      stress_begun, stress_finished);
	failed += kcase("timer: every CPU took timer interrupts", silent == 0);
	failed += kcase("stress: every block zeroed on arrival and intact until freed", bad == 0);
	failed += kcase("stress: the byte counter is back at its start", stress_stat == stat0);
	failed += kcase("stress: the free list holds every byte taken through sbrk",
			mempool.inuse == inuse0 && fr + inuse0 == mempool.taken);
	hobj_stats(&kobj_heap, &st);
	failed += kcase("stress: every malloc of every CPU freed: the objects heap as it was",
			st.inuse == objs0);
	return failed;
}
