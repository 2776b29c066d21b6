// SPDX-License-Identifier: BSD-3-Clause
// Portable kernel declarations: console, panic, the brk handler, locks,
// and the run's exit statuses.
#ifndef HEAPLAB_KERNEL_H
#define HEAPLAB_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "platform.h"

// Exit statuses the image ends with. The last console line of every run
// is "# heaplab: exit N"; run-qemu.sh requires it as well as QEMU's status.
enum {
	EXIT_PASS = 0,	  // self-test passed / replay ran clean
	EXIT_FAIL = 1,	  // a self-test case failed / replay refused an op
	EXIT_PANIC = 120, // panic, failed check, or a CPU fault
};

// The break, byte-exact, moved only by the brk system call
// (kernel/syscall.c), which only the break's owner (kernel/brk.c) calls.
extern uintptr_t heap_break;

// A spinlock; the holder is recorded so a debugger can show it, and the
// lock keeps its statistics as MIT 6.1810's lock lab does (nacquire and
// nts, kalloctest's #acquire() and #test-and-set), plus the longest hold
// and the longest stretch with interrupts off that taking it opened (its
// spinning and its hold), in arch_ticks(). The holder updates them, under
// the lock, but nts, to which a failed spin_trylock adds one without it
// (atomically); lockstat_print reads them.
struct spinlock {
	volatile uint32_t locked;
	const char *name;
	int cpu;	// holder's CPU id, -1 when free
	uintptr_t pc;	// where the holder took it
	uint64_t since; // arch_ticks() when the holder took it
	unsigned long nacquire;	 // times taken
	unsigned long nts;	 // failed test-and-sets before taking it
	uint64_t hold_max;	 // longest hold
	uint64_t irqoff_max;	 // longest interrupts-off stretch its push_off opened
	uint64_t irqoff_since;	 // when the holder's push_off turned them off (0: was off)
	int listed;		 // in lockstat_print's table, or never to be (spin_init)
	unsigned long wait_max;	 // the most failed test-and-sets one acquire made
	uintptr_t wait_pc;	 // where its holder had taken the lock when that wait began
};
// A free lock called nm, for a static initializer.
#define SPINLOCK_INIT(nm) ((struct spinlock){.locked = 0, .name = (nm), .cpu = -1})
extern struct spinlock mem_lock; // the allocator's lock (mempool.lockarg)
extern unsigned long spin_bound; // attempts before "lockup suspected"

// Per-CPU state, indexed by arch_cpu_id(): the one per-CPU table (stacks
// aside), with the architecture's part in arch (arch/ARCH/arch_cpu.h).
#define WATCH_PCS 4 // ticks whose pcs a CPU keeps (cpu.tick_pcs)
struct cpu {
	int id;			// first: x86's %gs:0 reads it (arch_cpu_id)
	struct arch_cpu arch;	// the CPU port's own
	int noff;		// depth of push_off nesting
	uintptr_t intena;	// interrupt state before the outermost push_off
	unsigned long acquires; // locks taken
	unsigned long spins;	// of those, how many had to spin
	unsigned long nts;	// failed test-and-sets on every lock, but in a tick's handler
	uint64_t spin_ticks;	// arch_ticks() spent spinning
	uint64_t hold_ticks;	// arch_ticks() spent holding a lock
	uintptr_t ops;		// stress operations done
	uint64_t stress_t0, stress_t1;	// arch_ticks() when its stress began and ended
	unsigned long stress_ticks0;	// timer_ticks when its stress began
	unsigned long stress_ticks1;	// and when it ended

	// The tick (tick.c): the timer interrupts this CPU took, and while a
	// tick's handler runs, where the interrupt came (else 0); the pcs
	// the last WATCH_PCS ticks came at, for the watchdog's report.
	volatile unsigned long timer_ticks;
	uintptr_t irq_pc;
	uintptr_t tick_pcs[WATCH_PCS];

	// The progress watchdog (watchdog.c): while watched, the CPU counts
	// its progress; the longest stretch between two counts, its own.
	volatile int watched;
	volatile unsigned long progress;
	const char *doing; // what it does now, for the report: a call's name
	uintptr_t doing_n; // and its size in bytes (0: none)
	uint64_t progress_at, progress_gap; // arch_ticks()
	const char *gap_doing;		    // what it did in the longest gap
};
extern struct cpu cpus[NCPU];
struct cpu *mycpu(void);
void push_off(void);
void pop_off(void);

// The tick (tick.c): every CPU's timer interrupt, TICK_HZ a second, from
// tick_start (run by each CPU once, with interrupts off) on; it turns
// interrupts on. tick_interrupt counts it and samples the allocator under
// mem_lock, which is safe only because mem_lock's holders keep interrupts
// off: kmem_irq_unsafe (the kernel option irqunsafe, a demonstration)
// lets the allocator hold it with them on, and the first tick that comes
// inside deadlocks its CPU against itself (spin_lock names it).
#define TICK_HZ 100
void tick_start(void);
void delay_ms(unsigned long ms);  // spins ms milliseconds of arch_ticks
extern uintptr_t tick_inuse_peak; // the most bytes in use a tick saw
extern unsigned long tick_skipped; // ticks that found mem_lock busy (kernel/tick.c)
extern int kmem_irq_unsafe;	  // irqunsafe (kernel/kmem.c)
void kmem_irq_unsafe_hold(void);  // irqunsafe's end: mem_lock held, a tick awaited

// The progress watchdog (watchdog.c), for work that must keep moving on
// every CPU (the SMP stress): a watched CPU counts its progress, and a
// CPU that sees one make none for WATCHDOG_S seconds stops the machine
// with `stress: looped: cpu N ...`, where it was if known. Every tick
// looks (watchdog_check, from tick_interrupt), and so does a CPU spinning
// for a lock (spin_wait; lk: the lock, whose holder it names), since a
// CPU looping with interrupts off takes no tick.
#define WATCHDOG_S 5
void watchdog_begin(struct cpu *c);
void watchdog_progress(struct cpu *c);
void watchdog_end(struct cpu *c);
int watchdog_watching(void); // how many CPUs are watched
void watchdog_check(const struct spinlock *lk);
uint64_t watchdog_longest(int *cpu); // the longest gap of any CPU, and whose
int mp_cpus_up(void);	// CPUs in the kernel (kernel/mp.c), ids 0 to N-1
int console_busy(void); // the console lock is held: a line may be half out

void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
int spin_trylock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
int spin_holding(struct spinlock *lk);

// lockstat_print prints the statistics of every static lock (SPINLOCK_INIT)
// taken so far, the most contended (failed test-and-sets) first; top > 0
// prints that many.
// lockstat_at_exit (the kernel option lockstat) makes kexit print them all.
void lockstat_print(int top);
// lockstat_group reports the n run-time locks at locks as one row, name.
void lockstat_group(struct spinlock *locks, unsigned n, const char *name);
extern int lockstat_at_exit;
extern uint64_t lockstat_hz; // arch_ticks_hz(), for debuggers (tools/gdb: heap locks)

// kprintf prints to the console: it formats with newlib's vsnprintf into a
// 512-byte buffer and writes that whole under the console lock, so lines of
// several CPUs never mix (console.c); longer output is cut there, with a
// line that says so.
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// kprintf_nolock formats one short line (under 160 bytes) and writes it
// straight to the console, without the console lock: for the trap code's
// fault reports, since the code that faulted may hold that lock.
void kprintf_nolock(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// panic prints "panic: ...", the exit line, and ends the run with
// EXIT_PANIC. Faults and failed checks end here.
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// fault_panic_named ends the run with a panic that names a memory fault at
// addr (how: "read", "write" or "fetch", at pc) when it can: "NULL
// dereference" in page 0, "stack overflow on CPU N" in a guard page.
// Otherwise it returns, and the trap code reports the fault as it is.
void fault_panic_named(uintptr_t addr, const char *how, uintptr_t pc);

// stack_guard_slot answers which of n stack slots of slot bytes each,
// starting at base with a guard of guard bytes at the bottom of each, has
// addr in its guard, or -1: arch_stack_guard for ports that lay their
// stacks out so (arm, arm64, riscv64).
int stack_guard_slot(uintptr_t addr, uintptr_t base, uintptr_t slot, uintptr_t guard, int n);

// kcase prints one named result of the self-test (`ok   NAME` or
// `FAIL NAME`) and counts it; answers 1 if it failed. kverdict prints the
// `N passed, M failed` line and answers M.
int kcase(const char *name, int ok);
int kverdict(void);

// kexit prints "# heaplab: exit N" and ends the run.
void kexit(int status) __attribute__((noreturn));

// handover_take reads the hand-over blob "heaplab: CMDLINE\n" TRACE at
// blob (kernel/handover.c): it answers the command line in *cmdline ("" if
// there is no blob) and the trace with its length, or NULL when there is
// none (the command line's trace=LEN token gives its length). A trace that
// would run past ram_end is refused and ends the run.
const char *handover_take(uintptr_t blob, uintptr_t ram_end, const char **cmdline, size_t *len);

// The break's one owner (kernel/brk.c), through which every client moves
// it, each call a brk trap: kbrk_sbrk takes n bytes at the break, rounded
// up to align, inside [lo, hi) (the start, or HEAPLAB_BRK_FAIL), zeroed once
// kbrk_lock is released (kbrk_sbrk_raw: not zeroed, for the pools, which
// zero a growth themselves outside their lock); kbrk_now reads
// the break; kbrk_give gives back [at, top) if that is its top (0 or -1).
// sys_brk is the system call's kernel side.
uintptr_t kbrk_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
uintptr_t kbrk_sbrk_raw(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi);
uintptr_t kbrk_now(void);
int kbrk_give(uintptr_t at, uintptr_t top);
uintptr_t sys_brk(uintptr_t addr);
extern unsigned brk_fault_every; // self-test: every Nth grow fails (0: none)

#endif
