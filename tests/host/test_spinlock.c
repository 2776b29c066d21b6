// SPDX-License-Identifier: BSD-3-Clause
// cmocka tests of the kernel's spinlock (kernel/spinlock.c, the very file
// the images build) on a pretend machine: each misuse must be fatal and
// name the lock and its holder (and, taken in an interrupt, where that
// came); nesting of interrupt-off must hold. With it, the progress
// watchdog (kernel/watchdog.c), which a CPU spinning for a lock runs.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../kernel/kernel.h"

// The pretend machine: which CPU runs, its interrupt flag, a tick counter.
static int cur_cpu;
static int irq_on = 1;
static uint64_t ticks;
static jmp_buf panic_jmp;
static char panic_msg[512];

int arch_cpu_id(void)
{
	return cur_cpu;
}

uintptr_t arch_irq_save(void)
{
	uintptr_t s = (uintptr_t)irq_on;

	irq_on = 0;
	return s;
}

void arch_irq_restore(uintptr_t s)
{
	irq_on = (int)s;
}

void arch_irq_enable(void)
{
	irq_on = 1;
}

int arch_irq_enabled(void)
{
	return irq_on;
}

int arch_spin_trylock(volatile uint32_t *w)
{
	return __atomic_exchange_n(w, 1, __ATOMIC_ACQUIRE) == 0;
}

void arch_spin_unlock(volatile uint32_t *w)
{
	__atomic_store_n(w, 0, __ATOMIC_RELEASE);
}

// release_after, if not 0: the holder lets go after that many spins of
// another CPU (contention, on one host thread).
static int release_after;
static struct spinlock *release_lk;

void arch_spin_wait(void)
{
	if (release_after > 0 && --release_after == 0)
		arch_spin_unlock(&release_lk->locked);
}

static uint64_t tick_step = 1; // how far the clock moves at each reading

uint64_t arch_ticks(void)
{
	return ticks += tick_step;
}

uint64_t arch_ticks_hz(void)
{
	return 1000000; // a tick is a microsecond
}

// What kprintf printed (lockstat_print's lines).
static char printed[4096];
static size_t nprinted;

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(printed + nprinted, sizeof printed - nprinted, fmt, ap);
	va_end(ap);
	if (n > 0)
		nprinted += (size_t)n < sizeof printed - nprinted ? (size_t)n : 0;
	return n;
}

// The NMI's report writes with no lock, straight to the console: into
// printed too. Two CPUs are up, and the console lock is free.
void platform_console_write(const char *s, size_t n)
{
	if (n > sizeof printed - 1 - nprinted)
		fail_msg("console output overflows the test's buffer");
	memcpy(printed + nprinted, s, n);
	nprinted += n;
	printed[nprinted] = '\0';
}

int console_busy(void)
{
	return 0;
}

int mp_cpus_up(void)
{
	return 2;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof panic_msg, fmt, ap);
	va_end(ap);
	longjmp(panic_jmp, 1);
}

// must_panic runs stmt, which must panic with a message holding every
// string in want (NULL-terminated).
#define must_panic(stmt, ...)                                                                      \
	do {                                                                                       \
		const char *want_[] = {__VA_ARGS__, NULL};                                         \
		panic_msg[0] = '\0';                                                               \
		if (setjmp(panic_jmp) == 0) {                                                      \
			stmt;                                                                      \
			fail_msg("no panic from %s", #stmt);                                       \
		}                                                                                  \
		for (int i_ = 0; want_[i_] != NULL; i_++)                                          \
			if (strstr(panic_msg, want_[i_]) == NULL)                                  \
				fail_msg("panic '%s' lacks '%s'", panic_msg, want_[i_]);           \
	} while (0)

static struct spinlock lk;

static int setup(void **state)
{
	(void)state;
	memset(cpus, 0, sizeof cpus);
	for (int i = 0; i < NCPU; i++)
		cpus[i].id = i;
	cur_cpu = 0;
	irq_on = 1;
	tick_step = 1;
	spin_init(&lk, "testlock");
	return 0;
}

static void test_lock_unlock_records_holder(void **state)
{
	(void)state;
	cur_cpu = 2;
	spin_lock(&lk);
	assert_int_equal(lk.locked, 1);
	assert_int_equal(lk.cpu, 2);
	assert_true(lk.pc != 0);
	assert_true(spin_holding(&lk));
	assert_int_equal(irq_on, 0);
	spin_unlock(&lk);
	assert_int_equal(lk.locked, 0);
	assert_int_equal(lk.cpu, -1);
	assert_int_equal(irq_on, 1);
	assert_int_equal(cpus[2].acquires, 1);
}

static void test_interrupts_nest(void **state)
{
	struct spinlock other;

	(void)state;
	spin_init(&other, "other");
	spin_lock(&lk);
	spin_lock(&other);
	spin_unlock(&other);
	assert_int_equal(irq_on, 0); // still inside lk
	spin_unlock(&lk);
	assert_int_equal(irq_on, 1);
}

static void test_recursive_acquire_is_fatal(void **state)
{
	(void)state;
	cur_cpu = 1;
	spin_lock(&lk);
	must_panic(spin_lock(&lk), "testlock", "recursive", "cpu 1");
}

static void test_release_not_held_is_fatal(void **state)
{
	(void)state;
	must_panic(spin_unlock(&lk), "testlock", "does not hold");
	cur_cpu = 3;
	spin_lock(&lk);
	cur_cpu = 0; // another CPU releasing cpu 3's lock
	must_panic(spin_unlock(&lk), "testlock", "cpu 0 does not hold", "holder cpu 3");
}

static void test_spinning_past_the_bound_is_fatal(void **state)
{
	unsigned long bound = spin_bound;

	(void)state;
	cur_cpu = 1;
	spin_lock(&lk); // cpu 1 takes it and never lets go
	cur_cpu = 0;
	spin_bound = 1000;
	must_panic(spin_lock(&lk), "testlock", "lockup suspected", "cpu 0", "held by cpu 1");
	spin_bound = bound;
}

// The watchdog: a watched CPU that holds a lock and makes no progress
// (interrupts off: no tick of its own) is named by the CPU spinning for
// that lock, with the lock and where it was taken, once WATCHDOG_S seconds
// of that CPU's clock have passed; not before.
static void test_watchdog_names_a_holder_that_loops(void **state)
{
	(void)state;
	cur_cpu = 1;
	watchdog_begin(&cpus[1]);
	cpus[1].ops = 7;
	cpus[1].doing = "sys_free";
	cpus[1].doing_n = 20480;
	spin_lock(&lk); // and it loops, never letting go
	cur_cpu = 0;
	tick_step = 100000; // a tenth of a second a reading: 50 checks to the bound
	must_panic(spin_lock(&lk), "stress: looped: cpu 1 made no progress for 5 s",
		   "in sys_free(20480 bytes), after 7 ops", "it has interrupts off (no tick since)",
		   "it holds testlock, taken at pc 0x");
	assert_true(ticks >= 5 * 1000000); // not before the bound
	watchdog_end(&cpus[1]);
}

// tick is one tick on CPU c at pc, as tick_interrupt keeps it.
static void tick(struct cpu *c, uintptr_t pc)
{
	c->tick_pcs[c->timer_ticks % WATCH_PCS] = pc;
	c->timer_ticks++;
}

// One that takes ticks meanwhile (it loops with interrupts on) is named
// with the pcs they came at, the latest first, each once, and none of a
// tick before it stopped; one that makes progress is not named however
// long it runs, nor one no longer watched.
static void test_watchdog_names_the_pcs_of_a_loop(void **state)
{
	int i;

	(void)state;
	watchdog_begin(&cpus[2]);
	tick_step = 1000000;	   // a second a reading
	for (i = 0; i < 20; i++) { // twenty seconds, progress at every check
		watchdog_progress(&cpus[2]);
		watchdog_check(NULL);
	}
	watchdog_end(&cpus[2]);
	for (i = 0; i < 20; i++) // nor after its end
		watchdog_check(NULL);
	for (i = 0; i < WATCH_PCS; i++) // ticks while it made progress
		tick(&cpus[2], 0x9999);
	watchdog_begin(&cpus[2]);
	watchdog_check(NULL);
	tick(&cpus[2], 0x1234); // then three in the loop
	tick(&cpus[2], 0x5678);
	tick(&cpus[2], 0x1234);
	must_panic(for (i = 0; i < 20; i++) watchdog_check(NULL), "stress: looped: cpu 2",
		   "its last ticks came at pc 0x1234 0x5678");
	assert_true(strstr(panic_msg, "0x5678 0x") == NULL); // each pc once
	assert_true(strstr(panic_msg, "0x9999") == NULL);    // none before the loop
	watchdog_end(&cpus[2]);
}

// 6.1810's statistics: #acquire() and failed test-and-sets, the longest
// hold and the longest interrupts-off stretch, which belongs to the lock
// whose push_off turned interrupts off; and the most contended first.
static struct spinlock quiet = SPINLOCK_INIT("quiet"), busy = SPINLOCK_INIT("busy");

static void test_lock_statistics(void **state)
{
	char *q, *b;

	(void)state;
	spin_lock(&quiet); // interrupts off here: quiet's stretch
	ticks += 50;
	spin_lock(&busy); // nested: interrupts were already off
	spin_unlock(&busy);
	spin_unlock(&quiet);
	assert_int_equal(quiet.nacquire, 1);
	assert_int_equal(quiet.nts, 0);
	assert_true(quiet.hold_max >= 50 && quiet.irqoff_max >= quiet.hold_max);
	assert_int_equal(busy.irqoff_max, 0);

	cur_cpu = 1;
	spin_lock(&busy); // cpu 1 holds it while cpu 0 spins three times
	cur_cpu = 0;
	release_after = 3;
	release_lk = &busy;
	spin_lock(&busy);
	assert_int_equal(busy.nacquire, 3);
	assert_int_equal(busy.nts, 1 + 3); // the first try, then each spin
	spin_unlock(&busy);
	assert_true(busy.irqoff_max > 0); // this time its push_off turned them off

	nprinted = 0;
	lockstat_print(0);
	q = strstr(printed, "lock: quiet: #test-and-set 0 #acquire() 1 hold ");
	b = strstr(printed, "lock: busy: #test-and-set 4 #acquire() 3 hold ");
	assert_non_null(q);
	assert_non_null(b);
	assert_true(b < q); // the most contended first
	nprinted = 0;
	lockstat_print(1);
	assert_null(strstr(printed, "lock: quiet:"));
	assert_non_null(strstr(printed, "lock: busy:"));
	// a lock set up by spin_init (it may be on a stack) is never listed
	nprinted = 0;
	spin_lock(&lk);
	spin_unlock(&lk);
	lockstat_print(0);
	assert_null(strstr(printed, "testlock"));
}

// spin_trylock takes a free lock as spin_lock does, answers 0 at once on
// one another CPU holds (counting one failed test-and-set, interrupts as
// they were), and a CPU that holds it already is fatal.
static void test_trylock(void **state)
{
	(void)state;
	cur_cpu = 2;
	assert_int_equal(spin_trylock(&lk), 1);
	assert_int_equal(lk.cpu, 2);
	assert_true(lk.pc != 0);
	assert_int_equal(irq_on, 0);
	assert_int_equal(lk.nacquire, 1);
	cur_cpu = 0;
	irq_on = 1;
	assert_int_equal(spin_trylock(&lk), 0); // cpu 2 holds it: no spin
	assert_int_equal(irq_on, 1);
	assert_int_equal(cpus[0].noff, 0);
	assert_int_equal(lk.nts, 1);
	assert_int_equal(cpus[0].nts, 1);
	assert_int_equal(lk.nacquire, 1);
	cur_cpu = 2;
	irq_on = 0;
	must_panic(spin_trylock(&lk), "spin_trylock: testlock", "recursive", "cpu 2");
	cpus[2].noff = 1; // the panic left spin_trylock's push_off on
	spin_unlock(&lk);
	assert_int_equal(lk.locked, 0);
}

static void test_pop_off_unbalanced_is_fatal(void **state)
{
	(void)state;
	irq_on = 0;
	must_panic(pop_off(), "pop_off", "not pushed");
}

// Interrupts turned on inside push_off (what the irqunsafe demonstration
// does by hand, and a forgotten pop_off's caller might) are caught at the
// next pop_off.
static void test_pop_off_with_interrupts_on_is_fatal(void **state)
{
	(void)state;
	push_off();
	push_off();
	arch_irq_enable();
	must_panic(pop_off(), "pop_off", "cpu 0", "interrupts are on", "depth 2");
}

// push_off inside code that already turned interrupts off leaves them off
// at its pop_off; nested ones come back on only at the outermost.
static void test_push_off_keeps_the_outer_state(void **state)
{
	uintptr_t s;

	(void)state;
	s = arch_irq_save();
	push_off();
	push_off();
	pop_off();
	pop_off();
	assert_int_equal(irq_on, 0);
	arch_irq_restore(s);
	assert_int_equal(irq_on, 1);
	assert_int_equal(cpus[0].noff, 0);
}

// A tick's handler taking a lock its CPU holds (the holder let interrupts
// in) names the lock, the holder's pc and where the interrupt came.
static void test_lock_taken_in_an_interrupt_is_named(void **state)
{
	(void)state;
	cur_cpu = 2;
	spin_lock(&lk);
	arch_irq_enable(); // the holder's mistake
	cpus[2].irq_pc = 0x1234;
	irq_on = 0; // the interrupt's entry
	must_panic(spin_lock(&lk), "testlock", "recursive acquire", "cpu 2 already holds it",
		   "an interrupt at pc 0x1234", "wait for itself");
}

// An NMI (imagerun.py's, when the console stays silent) on a machine where
// no CPU's progress is watched: the first CPU in waits a bounded time for
// the others' notes (CPU 1 never comes: one host thread), names each, and
// stops the machine as looped with the pcs it has.
static void test_nmi_outside_the_stress_reports_looped(void **state)
{
	(void)state;
	nprinted = 0;
	tick_step = 1000; // a millisecond a reading: the wait ends, it does not hang
	must_panic(watchdog_nmi(0x4242), "nmi: looped", "found the CPUs at pc 0x4242");
	assert_non_null(strstr(printed, "nmi: cpu 0 at pc 0x4242\n"));
	assert_non_null(strstr(printed, "nmi: cpu 1: no note within 500 ms\n"));
}

// In the stress, a CPU with no progress for the watchdog's bound is named
// with its call and pc, and the machine stops; one that made progress
// lately lets the run go on.
static void test_nmi_in_the_stress_names_the_stuck_cpu(void **state)
{
	(void)state;
	nprinted = 0;
	tick_step = 1000;
	watchdog_begin(&cpus[0]);
	watchdog_nmi(0x1111); // its progress is fresh: no loop, going on
	assert_non_null(strstr(printed, "nmi: cpu 0 at pc 0x1111: in the stress"));
	assert_non_null(strstr(printed, "nmi: no loop: every CPU in the stress made progress"));
	cpus[0].doing = "sys_alloc";
	cpus[0].doing_n = 8192;
	cpus[0].ops = 42;
	ticks += 6 * 1000000; // six seconds with no progress
	nprinted = 0;
	must_panic(watchdog_nmi(0x2222), "stress: looped: 1 of 2 CPUs made no progress for 5 s",
		   "an NMI found them at pc 0x2222");
	assert_non_null(strstr(printed, "nmi: cpu 0 at pc 0x2222: no progress for 6."));
	assert_non_null(strstr(printed, "in sys_alloc(8192 bytes), after 42 ops"));
	watchdog_end(&cpus[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_lock_unlock_records_holder, setup),
	    cmocka_unit_test_setup(test_interrupts_nest, setup),
	    cmocka_unit_test_setup(test_recursive_acquire_is_fatal, setup),
	    cmocka_unit_test_setup(test_release_not_held_is_fatal, setup),
	    cmocka_unit_test_setup(test_spinning_past_the_bound_is_fatal, setup),
	    cmocka_unit_test_setup(test_watchdog_names_a_holder_that_loops, setup),
	    cmocka_unit_test_setup(test_watchdog_names_the_pcs_of_a_loop, setup),
	    cmocka_unit_test_setup(test_lock_statistics, setup),
	    cmocka_unit_test_setup(test_trylock, setup),
	    cmocka_unit_test_setup(test_pop_off_unbalanced_is_fatal, setup),
	    cmocka_unit_test_setup(test_pop_off_with_interrupts_on_is_fatal, setup),
	    cmocka_unit_test_setup(test_push_off_keeps_the_outer_state, setup),
	    cmocka_unit_test_setup(test_lock_taken_in_an_interrupt_is_named, setup),
	    cmocka_unit_test_setup(test_nmi_outside_the_stress_reports_looped, setup),
	    cmocka_unit_test_setup(test_nmi_in_the_stress_names_the_stuck_cpu, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
