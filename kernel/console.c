// SPDX-License-Identifier: BSD-3-Clause
// Console output for the kernel: kprintf, panic and the run's exit line,
// and the trap code's kprintf_nolock.
// Lines are formatted with newlib's vsnprintf into a buffer and written
// whole under the console lock, so lines from several CPUs never mix.
#include "kernel.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct spinlock cons_lock = SPINLOCK_INIT("console");

static void console_puts(const char *s, size_t n)
{
	spin_lock(&cons_lock);
	platform_console_write(s, n);
	spin_unlock(&cons_lock);
}

int console_busy(void)
{
	return __atomic_load_n(&cons_lock.locked, __ATOMIC_ACQUIRE) != 0;
}

static int kvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);

	if (n < 0)
		return n;
	if ((size_t)n < sizeof buf) {
		console_puts(buf, (size_t)n);
		return n;
	}
	console_puts(buf, sizeof buf - 1); // cut, and saying so
	n = snprintf(buf, sizeof buf, "\n# kprintf: the line above was cut at %u of %d bytes\n",
		     (unsigned)sizeof buf - 1, n);
	console_puts(buf, (size_t)n);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

// kprintf_nolock: see kernel.h. The line is cut at 159 bytes.
void kprintf_nolock(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		platform_console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void kexit(int status)
{
	if (lockstat_at_exit)
		lockstat_print(0);
	kprintf("# heaplab: exit %d\n", status);
	platform_exit(status);
}

// panic is where every fatal error ends: a fault, a failed check, a
// refused sys_free, a misused lock. It does not take the console lock, so
// that a panic inside the console still prints; the first CPU to panic
// speaks, the others halt. A fault inside a CPU's own panic ends the run
// at once, saying so, instead of halting silently.
void panic(const char *fmt, ...)
{
	static const char again[] = "panic: a fault while panicking\n# heaplab: exit 120\n";
	char buf[512];
	va_list ap;
	int n, me = arch_cpu_id() + 1, was = 0;

	static int panicking; // the panicking CPU's id + 1

	_Static_assert(EXIT_PANIC == 120, "the exit line in again[]");
	arch_irq_save();
	if (!__atomic_compare_exchange_n(&panicking, &was, me, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (was != me)
			arch_halt(); // another CPU is panicking: let its message out whole
		platform_console_write(again, sizeof again - 1);
		platform_exit(EXIT_PANIC);
	}
	n = snprintf(buf, sizeof buf, "panic: cpu %d: ", arch_cpu_id());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	platform_console_write(buf, strnlen(buf, sizeof buf));
	platform_console_write("\n", 1);
	n = snprintf(buf, sizeof buf, "# heaplab: exit %d\n", EXIT_PANIC);
	platform_console_write(buf, (size_t)n);
	platform_exit(EXIT_PANIC);
}
