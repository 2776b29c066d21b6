// SPDX-License-Identifier: BSD-3-Clause
// amd64 per-CPU data: each CPU's GS base (the IA32_GS_BASE MSR) is its
// struct cpu, so that %gs:0 is its id (arch_cpu_id). Nothing reloads
// %gs after this (a selector load would reset the base).
#include "x86.h"

#include "kernel.h"

// percpu_load points this CPU's %gs at c.
void percpu_load(struct cpu *c)
{
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
}
