// SPDX-License-Identifier: BSD-3-Clause
// PSCI on the virt board: the firmware interface that powers CPUs on,
// through the conduit the device tree's /psci node names ("hvc" on QEMU
// virt, "smc" with -M virt,virtualization=on, where QEMU plays the secure
// monitor). The call itself is the CPU port's arm_smccc.
#include <string.h>

#include "virt.h"

#include "kernel.h"

// The flattened device tree (devicetree.org's specification, chapter 5):
// a header, then a block of big-endian 32-bit tokens, each node a
// BEGIN_NODE with its name, its properties and its children, then an
// END_NODE; property names are offsets into a strings block. QEMU puts the
// tree at the bottom of RAM when it boots an ELF image (virt.h).
#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_END	       9u
#define FDT_MAX	       (1u << 20) // QEMU's limit: the tree must end below the kernel

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings;
	uint32_t off_mem_rsvmap, version, last_comp_version;
};

enum psci_conduit { PSCI_HVC, PSCI_SMC };

static uint32_t fdt_u32(const uint32_t *p)
{
	return __builtin_bswap32(*p);
}

// fdt_words answers how many 32-bit words a name or value of n bytes takes.
static uint32_t fdt_words(uint32_t n)
{
	return (n + 3) / 4;
}

// fdt_is_psci answers whether a node name is the root's "psci" child.
static int fdt_is_psci(const char *name)
{
	return strcmp(name, "psci") == 0 || strncmp(name, "psci@", 5) == 0;
}

// fdt_psci_method walks the tree at blob for the /psci node's "method"
// property and answers its value ("hvc" or "smc"), or NULL when there is
// no tree or no such property.
static const char *fdt_psci_method(const void *blob)
{
	const struct fdt_header *h = blob;
	const uint32_t *p, *end;
	const char *strings;
	int depth = 0, in_psci = 0;

	if (fdt_u32(&h->magic) != FDT_MAGIC || fdt_u32(&h->totalsize) > FDT_MAX)
		return NULL;
	p = (const uint32_t *)((const char *)blob + fdt_u32(&h->off_dt_struct));
	end = (const uint32_t *)((const char *)blob + fdt_u32(&h->totalsize));
	strings = (const char *)blob + fdt_u32(&h->off_dt_strings);
	while (p < end) {
		uint32_t tok = fdt_u32(p++), len;

		if (tok == FDT_BEGIN_NODE) {
			in_psci = ++depth == 2 && fdt_is_psci((const char *)p);
			p += fdt_words(strlen((const char *)p) + 1);
		} else if (tok == FDT_END_NODE) {
			depth--;
			in_psci = 0;
		} else if (tok == FDT_PROP) {
			len = fdt_u32(p);
			if (in_psci && strcmp(strings + fdt_u32(p + 1), "method") == 0)
				return (const char *)(p + 2);
			p += 2 + fdt_words(len);
		} else if (tok != FDT_NOP) {
			break; // FDT_END, or a token this walker does not know
		}
	}
	return NULL;
}

// psci_conduit answers how to call PSCI, from the device tree, read once:
// hvc when it does not say (what the issue's QEMU virt uses).
static enum psci_conduit psci_conduit(void)
{
	static int conduit = -1;
	const char *method;

	if (conduit < 0) {
		method = fdt_psci_method((const void *)VIRT_RAM_BASE);
		conduit = method != NULL && strcmp(method, "smc") == 0 ? PSCI_SMC : PSCI_HVC;
		if (method != NULL && strcmp(method, "smc") != 0 && strcmp(method, "hvc") != 0)
			kprintf("# arm: unknown PSCI method '%s' in the device tree, using hvc\n",
				method);
	}
	return conduit;
}

// psci_cpu_on: see virt.h. The CPU_ON of the caller's width; the dsb
// makes every write so far visible before the new CPU can run.
int psci_cpu_on(uintptr_t mpidr, uintptr_t entry, uintptr_t context)
{
	uintptr_t fn = sizeof(uintptr_t) == 8 ? PSCI_CPU_ON64 : PSCI_CPU_ON32;

	__asm__ volatile("dsb sy" ::: "memory");
	return (int)arm_smccc(psci_conduit() == PSCI_SMC, fn, mpidr, entry, context);
}

// psci_error names a PSCI status (ARM DEN 0022, table 6).
static const char *psci_error(int st)
{
	static const char *const names[] = {
	    "SUCCESS",	  "NOT_SUPPORTED",    "INVALID_PARAMETERS", "DENIED",	"ALREADY_ON",
	    "ON_PENDING", "INTERNAL_FAILURE", "NOT_PRESENT",	    "DISABLED", "INVALID_ADDRESS",
	};

	return st <= 0 && -st < (int)(sizeof names / sizeof names[0]) ? names[-st] : "?";
}

// psci_start_cpus: see virt.h. CPU i's MPIDR is i: QEMU virt numbers CPU
// n's Aff0 n, with Aff1 (the cluster) 0 for the first 8, as both ports'
// arch_cpu_id read it. The first CPU that PSCI refuses ends the loop, so
// the ids of the CPUs started stay dense (QEMU answers INVALID_PARAMETERS
// for CPUs past its -smp count). PSCI answers before the CPU runs: nobody
// waits for it here (mp_start does).
int psci_start_cpus(int want, uintptr_t entry)
{
	int cpu, st;

	if (want > NCPU)
		want = NCPU;
	for (cpu = 1; cpu < want; cpu++) {
		st = psci_cpu_on((uintptr_t)cpu, entry, (uintptr_t)cpu);
		if (st != PSCI_SUCCESS) {
			kprintf("# psci: CPU_ON of cpu %d failed: %d (%s)\n", cpu, st,
				psci_error(st));
			break;
		}
	}
	return cpu;
}
