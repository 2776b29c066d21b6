// SPDX-License-Identifier: BSD-3-Clause
// The host's part of struct cpu, for the host tests that build kernel
// code (tests/host/test_spinlock.c supplies the rest of arch.h).
#ifndef HEAPLAB_HOST_ARCH_CPU_H
#define HEAPLAB_HOST_ARCH_CPU_H

struct arch_cpu {
	int unused;
};

#endif
