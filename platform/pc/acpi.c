// SPDX-License-Identifier: BSD-3-Clause
// The ACPI tables, as far as starting the other CPUs needs them: the RSDP
// (in the EBDA's first KiB, else in the BIOS area 0xe0000..0xfffff), then
// the XSDT (ACPI 2.0 and later) or the RSDT, then the MADT ("APIC"), which
// lists every CPU's local APIC. QEMU's firmware puts the tables near the
// top of RAM, below 4 GiB, which both ports identity-map (mmu.c). The
// EBDA's segment is read at boot, before page 0, where the BIOS data area
// keeps it, is unmapped (acpi_early). A table past 4 GiB, or one whose
// checksum is wrong, is ignored.
#include <string.h>

#include "x86.h"

#include "pc.h"

#include "kernel.h"

#define EBDA_SEGMENT	0x40e // BIOS data area: the EBDA's segment
#define BIOS_AREA	0xe0000
#define BIOS_AREA_END	0x100000
#define MADT_LAPIC	0 // entry: a processor's local APIC
#define MADT_LAPIC_ADDR 5 // entry: the local APICs' 64-bit address
#define MADT_ENABLED	1 // MADT_LAPIC flags: the CPU can be started

struct acpi_rsdp {
	char sig[8]; // "RSD PTR "
	uint8_t sum; // the first 20 bytes sum to 0
	char oem[6];
	uint8_t revision; // 2 and later: the fields after rsdt exist
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t xsum; // all length bytes sum to 0
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char sig[4];
	uint32_t length; // of the whole table, header included
	uint8_t revision, sum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic; // the local APICs' physical address
	uint32_t flags;
	uint8_t entries[]; // type, length, then length - 2 bytes
} __attribute__((packed));

// acpi_phys answers a pointer to physical address a, which the compiler
// may not assume anything about (low addresses look like NULL + offset).
static const void *acpi_phys(uintptr_t a)
{
	const void *p = (const void *)a;

	__asm__("" : "+r"(p));
	return p;
}

static uint8_t acpi_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n-- > 0)
		s += *b++;
	return s;
}

// acpi_scan answers the valid RSDP in [lo, hi) (on 16-byte boundaries).
static const struct acpi_rsdp *acpi_scan(uintptr_t lo, uintptr_t hi)
{
	const struct acpi_rsdp *r;

	for (; lo + 20 <= hi; lo += 16) {
		r = acpi_phys(lo);
		if (memcmp(r->sig, "RSD PTR ", 8) != 0 || acpi_sum(r, 20) != 0)
			continue;
		if (r->revision < 2 ||
		    (r->length >= sizeof *r && r->length <= 4096 && acpi_sum(r, r->length) == 0))
			return r;
	}
	return NULL;
}

static uint16_t acpi_ebda_segment;

// acpi_early reads what ACPI needs from page 0 while it is still mapped.
void acpi_early(void)
{
	acpi_ebda_segment = *(const volatile uint16_t *)acpi_phys(EBDA_SEGMENT);
}

static const struct acpi_rsdp *acpi_find_rsdp(void)
{
	uintptr_t ebda = (uintptr_t)acpi_ebda_segment << 4;
	const struct acpi_rsdp *r = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = acpi_scan(ebda, ebda + 1024);
	return r != NULL ? r : acpi_scan(BIOS_AREA, BIOS_AREA_END);
}

// acpi_table answers the table at phys if it has signature sig and sums to
// 0, else NULL.
static const struct acpi_header *acpi_table(uint64_t phys, const char *sig)
{
	const struct acpi_header *h;

	if (phys == 0 || phys >= 0x100000000ull - sizeof *h)
		return NULL;
	h = acpi_phys((uintptr_t)phys);
	if (memcmp(h->sig, sig, 4) != 0 || h->length < sizeof *h || acpi_sum(h, h->length) != 0)
		return NULL;
	return h;
}

// acpi_find answers the table with signature sig that the XSDT (if there is
// one) or the RSDT lists, or NULL.
static const struct acpi_header *acpi_find(const struct acpi_rsdp *r, const char *sig)
{
	const struct acpi_header *sdt = NULL, *t;
	size_t width = 8, i, n;
	uint64_t phys = 0;

	if (r->revision >= 2)
		sdt = acpi_table(r->xsdt, "XSDT");
	if (sdt == NULL) {
		sdt = acpi_table(r->rsdt, "RSDT");
		width = 4;
	}
	if (sdt == NULL)
		return NULL;
	n = (sdt->length - sizeof *sdt) / width;
	for (i = 0; i < n; i++) {
		memcpy(&phys, (const char *)(sdt + 1) + i * width, width); // little-endian
		if ((t = acpi_table(phys, sig)) != NULL)
			return t;
	}
	return NULL;
}

// acpi_madt_entry notes one MADT entry e: an enabled CPU's APIC id goes to
// apicids[*n] (while *n < max) and counts; an address entry moves *base.
static void acpi_madt_entry(const uint8_t *e, uint32_t *apicids, int max, int *n, uintptr_t *base)
{
	uint32_t flags;
	uint64_t addr;

	if (e[0] == MADT_LAPIC && e[1] >= 8) {
		memcpy(&flags, e + 4, 4);
		if (!(flags & MADT_ENABLED))
			return;
		if (*n < max)
			apicids[*n] = e[3];
		(*n)++;
	} else if (e[0] == MADT_LAPIC_ADDR && e[1] >= 12) {
		memcpy(&addr, e + 4, 8);
		if (addr < 0x100000000ull)
			*base = (uintptr_t)addr;
	}
}

// acpi_madt_cpus lists the APIC ids of the CPUs the MADT marks enabled, in
// its order, in apicids (at most max of them), sets *lapic_base to where
// the local APICs are, and answers how many CPUs it lists (0: no MADT).
// QEMU lists APIC ids above 254 in x2APIC entries, which a kernel of at
// most NCPU CPUs never meets: they are not read.
int acpi_madt_cpus(uint32_t *apicids, int max, uintptr_t *lapic_base)
{
	const struct acpi_rsdp *r = acpi_find_rsdp();
	const struct acpi_madt *m;
	const uint8_t *e, *end;
	int n = 0;

	if (r == NULL) {
		kprintf("# x86: no ACPI RSDP in the EBDA or at 0xe0000..0xfffff\n");
		return 0;
	}
	m = (const struct acpi_madt *)acpi_find(r, "APIC");
	if (m == NULL) {
		kprintf("# x86: the ACPI tables have no valid MADT\n");
		return 0;
	}
	*lapic_base = m->lapic;
	end = (const uint8_t *)m + m->h.length;
	for (e = m->entries; e + 2 <= end && e[1] >= 2 && e + e[1] <= end; e += e[1])
		acpi_madt_entry(e, apicids, max, &n, lapic_base);
	return n;
}
