// SPDX-License-Identifier: BSD-3-Clause
// What the self-test's files share (selftest.c has the table and runs it):
// T, which fails a case naming its file, line and condition, and the cases
// kept in files of their own.
#ifndef HEAPLAB_SELFTEST_H
#define HEAPLAB_SELFTEST_H

// selftest_fail notes why the running case failed; answers 1.
int selftest_fail(const char *file, int line, const char *what);

#define T(c)                                                                                       \
	do {                                                                                       \
		if (!(c))                                                                          \
			return selftest_fail(__FILE__, __LINE__, #c);                              \
	} while (0)

// The interrupt cases (selftest_irq.c).
int t_timer_ticks(void);
int t_irq_masked(void);
int t_irq_nesting(void);
int t_lock_masks(void);

#endif
