// SPDX-License-Identifier: BSD-3-Clause
// The PC board (platform/pc): what QEMU's i386 and x86_64 machines put
// around the CPU, as arch/x86 uses it. The CPU's own parts (paging, the
// GDT and IDT, the local APIC, per-CPU state) are arch/x86/x86.h.
#ifndef HEAPLAB_PC_H
#define HEAPLAB_PC_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"

// Physical memory of `qemu-system-{i386,x86_64} -m 256M` as heaplab uses it,
// identity-mapped (arch/x86/mmu.c): 4 GiB in big pages (2 MiB on amd64, 4 MiB on
// i386), but the kernel image in 4 KiB pages so that page 0 and the guard
// page below every CPU's stack stay unmapped:
//
//   0x00000000  +------------------+  page 0: unmapped (NULL faults)
//   0x00008000  |  AP trampoline   |  boot/x86/trampoline.S, copied here
//   0x00009000  |  multiboot info  |  QEMU's memory map and boot info
//   0x000a0000  |  VGA, BIOS       |
//   0x00100000  +------------------+  linker/ARCH.ld: multiboot header,
//               |  kernel image    |  text, rodata, data, bss (stacks, each
//               |                  |  above an unmapped guard page; the
//               |                  |  double-fault stacks; page tables)
//   _heap_start +------------------+  page-aligned; QEMU first loads the
//               |  heap            |  multiboot module (the trace) here:
//               |  (HEAP_SIZE)     |  start.c moves it past _heap_end and
//   _heap_end   +------------------+  zeroes the heap before kmain
//               |  the trace       |
//   0x10000000  +------------------+  end of RAM (-m 256M; run-qemu.sh gives
//                                     more when the heap and trace need it)
//   0xc0000000  ....................  the heap ends below (linker/ARCH.ld)
//   0xfee00000  |  local APIC      |  (mapped uncached, as is all of the
//                                     last GiB below 4 GiB)
//
// I/O ports: COM1 at 0x3f8 (serial.c), isa-debug-exit at 0xf4 (board.c), the
// PIT at 0x40-0x43 and 0x61 (pit.c), the legacy PICs (masked, board.c).
// Interrupts: each CPU's local APIC timer alone (vector T_TIMER, the tick;
// timer.c).

void serial_init(void); // serial.c: COM1, 115200 8N1
void pic_disable(void); // board.c: mask both 8259s

// pit_delay_us waits at least us microseconds on the PIT's channel 2. A
// clock measured against it is measured PIT_CAL_TRIES times, the least
// count kept: a host that holds QEMU off the CPU during one makes it long,
// never short.
void pit_delay_us(uint32_t us);
#define PIT_CAL_TRIES 5

// The CPU list of the ACPI MADT (acpi.c): acpi_early reads what must be
// read before page 0 is unmapped; acpi_madt_cpus answers how many CPUs the
// MADT lists, their APIC ids in apicids (at most max) and the local APIC's
// base in *lapic_base.
void acpi_early(void);
int acpi_madt_cpus(uint32_t *apicids, int max, uintptr_t *lapic_base);

// pc_boot_info reads what the multiboot loader handed over (multiboot.c):
// it checks the RAM QEMU was given holds the heap, answers the command
// line, and the trace module (moved clear of the heap) with its length in
// *len, or NULL; then zeroes what the loader left inside the heap.
const char *pc_boot_info(uint32_t magic, uint32_t info, const char **cmdline, size_t *len);

#endif
